#!/usr/bin/env bash
# RFC 4733 digits reach the engine: the caller, once bridged to the agent, plays
# /usr/share/sip-tester/dtmf_2833_1.pcap (telephone-event 101, event 1: one digit "1",
# start, six updates and the three end packets) and the server logs event=digit digit=1
# exactly once for the caller's leg (leg=0) and records it in the call's timeline. The
# bridge relays the events to the agent, whose SIPp echoes them back: the digit is then
# also seen once on the agent's leg (leg=1).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

pcap=/usr/share/sip-tester/dtmf_2833_1.pcap
[ -r "$pcap" ] || skip "$pcap not found (package sip-tester)"
write_acme_config
start_server

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 30 "$(scen agent-answer.xml ring_ms=100)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

rc=0
sipp_run caller 30 "$(scen caller-dtmf.xml pcap="$pcap")" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 2)" -m 1 -key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"

wait_log 'tenant=acme call=1 event=digit digit=1 leg=0' 5
n=$(grep -c 'event=digit .*leg=0' "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "want one digit event on the caller's leg, got $n: $(grep 'event=digit' "$SERVER_LOG")"
wait_log 'tenant=acme call=1 event=digit digit=1 leg=1' 5
n=$(grep -c 'event=digit' "$SERVER_LOG")
[ "$n" -eq 2 ] || fail "want two digit events in all, got $n: $(grep 'event=digit' "$SERVER_LOG")"
wait_log 'tenant=acme call=1 event=interaction ' 5
stop_server

export_interactions
check_interactions '
digits = [e.get("digit") for e in ix[0]["timeline"] if e["event"] == "digit"]
assert digits == ["1", "1"], digits
'
