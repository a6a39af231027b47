#!/usr/bin/env bash
# Hold and resume from the agent's phone: call to 300, alice's SIPp answers and plays
# 1000 Hz, then re-INVITEs with a=sendonly (answered a=recvonly on the same port: we stop
# sending to her) and, 1.5 s later, with a=sendrecv (answered a=sendrecv); she talks on
# and hangs up. The caller echoes what it hears. Asserts: both SIPp succeed (the
# scenario checks the answers), the caller gets BYE, the timeline has held then unheld,
# the talk time spans the whole call, and the recording's right channel (agent) holds
# 1000 Hz and its left channel (customer) the echo of it: media flowed after the hold.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
make_tone "$WORK/agent-1000.wav" 1000 15

agent_port=$(peer_port 2)
agent_pid=
sipp_bg agent_pid agent 40 \
	"$(scen sip-agent-hold.xml wav="$WORK/agent-1000.wav" talk_ms=2500 hold_ms=1500)" \
	-p "$agent_port" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

rc=0
sipp_run caller 40 "$(scen caller-wait-bye.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
grep -q '^BYE ' "$WORK/caller.msg" || fail "the caller got no BYE"
[ "$(grep -c '^INVITE ' "$WORK/caller.msg")" -eq 1 ] ||
	fail "the agent's hold reached the caller as a re-INVITE"

wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=agent' 5
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, "%d interactions" % len(ix)
i = ix[0]
ev = [e["event"] for e in i["timeline"]]
assert "held" in ev and "unheld" in ev and ev.index("held") < ev.index("unheld"), ev
assert i["hangup_by"] == "agent" and i["answered"], i
assert 1.2 <= i["hold_s"] <= 3.0, "hold_s %s for a 1.5 s hold" % i["hold_s"]
assert 3.5 <= i["talk_s"] <= 8.5, "talk_s %s (hold not counted)" % i["talk_s"]
'
rec=$(first_recording)
soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read $rec"
tone_check "$rec" 1 1000 440 || fail "agent channel (right) does not hold 1000 Hz"
tone_check "$rec" 0 1000 440 || fail "customer channel (left) does not hold the echoed 1000 Hz"
