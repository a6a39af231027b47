#!/usr/bin/env bash
# An agent with a stale registration: alice has two contacts, one where nothing answers
# any more (a phone that went away) and a live SIPp that answers. The call is answered by
# the live phone, the caller talks 2 s and hangs up. The INVITE to the dead contact can
# only end by timeout (32 s: no provisional response means no CANCEL), and that must not
# count as talk time nor hold the call open: the interaction is written at once and
# says talk_s about 2.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
make_tone "$WORK/caller-440.wav" 440 10

# The stale binding first. Its port swallows what it gets and never answers (on loopback
# an unbound port would answer with ICMP and fail the INVITE at once, unlike a phone
# gone from the network).
timeout 90 "$PYTHON" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
time.sleep(90)' "$(peer_port 9)" &
_BG_PIDS+=("$!")
register_agent alice alice-pw "$(peer_port 9)" "$(peer_port 8)"
mv "$WORK/register-alice.msg" "$WORK/register-stale.msg"
agent_port=$(peer_port 2)
sipp_bg agent_pid agent 60 "$(scen agent-answer.xml ring_ms=200)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"
expect_log 'event=registered user=alice .* contacts=2'

rc=0
sipp_run caller 30 "$(scen caller.xml wav="$WORK/caller-440.wav" talk_ms=2000)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 \
	-key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
expect_log 'tenant=acme call=1 event=ringing user=alice legs=2'
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 5
stop_server

export_interactions
check_interactions '
i = ix[0]
assert i["answered"] and i["hangup_by"] == "caller", i
assert 1.0 <= i["talk_s"] <= 5.0, "talk_s %s for a call of 2 s" % i["talk_s"]
'
