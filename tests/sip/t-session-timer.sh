#!/usr/bin/env bash
# Session timers (RFC 4028) on a call to number 300, answered by alice's SIPp:
#  1. the caller asks for Session-Expires: 90;refresher=uac: the 200 carries it (with
#     Require: timer); its refreshes, a re-INVITE with an offer and a body-less UPDATE,
#     each get 200 with Session-Expires and the call stays up until the caller's BYE;
#  2. Session-Expires: 60 is refused with 422 and Min-SE: 90, nobody is rung;
#  3. the caller asks centrala to refresh (refresher=uas): centrala sends an UPDATE with
#     Session-Expires before half the interval has passed (40-50 s), and the call goes
#     on after it. This part takes about 50 s.
# Asserts every SIPp run succeeds, two answered interactions hung up by the caller, the
# third call's talk time spans the refresh, and no session-timeout hang-up.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
make_tone "$WORK/caller-440.wav" 440 10

agent_port=$(peer_port 2)
agent_pid=
sipp_bg agent_pid agent 85 "$(scen agent-answer.xml ring_ms=200)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 2
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

rc=0
sipp_run caller-refreshes 30 \
	"$(scen sip-timer-caller-refreshes.xml wav="$WORK/caller-440.wav" talk_ms=1500)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 \
	-key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller-refreshes "$rc"
wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=caller' 5

rc=0
sipp_run too-small 10 "$(scen sip-timer-too-small.xml)" -p "$(peer_port 4)" \
	-mi 127.0.0.1 -mp "$(media_port 3)" -m 1 -key number 300 -key domain "$ACME_DOMAIN" ||
	rc=$?
expect_sipp_ok too-small "$rc"

rc=0
sipp_run we-refresh 70 "$(scen sip-timer-we-refresh.xml wav="$WORK/caller-440.wav")" \
	-p "$(peer_port 5)" -mi 127.0.0.1 -mp "$(media_port 4)" -m 1 \
	-key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok we-refresh "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
[ "$(grep -c '^INVITE ' "$WORK/agent.msg")" -eq 2 ] || fail "the agent was rung other than twice"
grep -q '^UPDATE ' "$WORK/we-refresh.msg" || fail "centrala sent no UPDATE refresh"
wait_log 'event=interaction .* answered=1 .* hangup_by=caller' 5
expect_no_log 'Session timeout|event=rtp_timeout'
stop_server

export_interactions
check_interactions '
assert len(ix) == 2, "%d interactions (the 422 must not make one)" % len(ix)
for i in ix:
    assert i["answered"] and i["hangup_by"] == "caller", i
ix.sort(key=lambda i: i["created"])
assert 3.0 <= ix[0]["talk_s"] <= 12.0, "refreshed call talk_s %s" % ix[0]["talk_s"]
assert 40.0 <= ix[1]["talk_s"] <= 60.0, "call refreshed by us talk_s %s" % ix[1]["talk_s"]
'
