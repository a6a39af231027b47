#!/usr/bin/env bash
# CANCEL before answer: the agent's phone rings and never answers; the caller gives up
# after 1 s. The caller gets 200 for its CANCEL and 487 for its INVITE; centrala cancels
# the INVITE it sent to the agent (the agent's SIPp sees CANCEL, answers 487, gets ACK);
# the interaction is stored unanswered, hung up by the caller, without a recording.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 30 "$(scen agent-noanswer.xml)" -p "$agent_port" -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

rc=0
sipp_run caller 30 "$(scen caller-cancel.xml ring_ms=1000)" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 2)" -m 1 -key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
grep -q '^CANCEL ' "$WORK/agent.msg" || fail "the agent's INVITE was not cancelled"

wait_log 'tenant=acme call=1 event=interaction .* answered=0 .* hangup_by=caller' 5
expect_no_log 'event=bridged'
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, "%d interactions" % len(ix)
i = ix[0]
assert not i["answered"] and i["talk_s"] == 0, i
assert i["hangup_by"] == "caller" and i["agent"] == "alice", i
assert not i["recording"], i
assert i["offered"], i
'
[ -z "$(find "$REC_DIR" -name '*.wav' 2>/dev/null)" ] || fail "a recording exists for an unanswered call"
