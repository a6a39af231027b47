#!/usr/bin/env bash
# The agent hangs up: the agent's SIPp answers, plays a 1000 Hz tone for 3 s and sends
# BYE; the caller, whose RTP port echoes what it receives, must get a BYE from centrala.
# Asserts: both SIPp succeed, the interaction says hangup_by=agent, and the recording's
# right channel (agent) holds 1000 Hz and its left channel (customer) the echo of it,
# which the caller can only send back if it received our RTP.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 30 "$(scen agent-hangup.xml wav="$WORK/agent-1000.wav" talk_ms=3000)" \
	-p "$agent_port" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

rc=0
sipp_run caller 30 "$(scen caller-wait-bye.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
grep -q '^BYE ' "$WORK/caller.msg" || fail "the caller got no BYE"

wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=agent' 5
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, "%d interactions" % len(ix)
i = ix[0]
assert i["hangup_by"] == "agent", i
assert i["answered"] and 2.0 <= i["talk_s"] <= 6.0, i
assert [e["event"] for e in i["timeline"]][-1] == "ended", i["timeline"]
'
rec=$(first_recording)
soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read $rec"
tone_check "$rec" 1 1000 440 || fail "agent channel (right) does not hold 1000 Hz"
tone_check "$rec" 0 1000 440 || fail "customer channel (left) does not hold the echoed 1000 Hz"
