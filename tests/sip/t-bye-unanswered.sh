#!/usr/bin/env bash
# An agent's phone that vanishes mid-call does not hold its agent. The customer hangs up
# after 2 s of talking; centrala sends BYE to alice's phone, which never answers it (nor
# its retransmissions). The call, the agent and the interaction are done when the BYE
# goes out, not when its transaction gives up 32 s later: alice is ready again and the
# interaction written at once. When the stack gives up on that BYE (408, about 32 s),
# it is logged and nothing else happens.
# Asserts: alice busy → ready and the interaction logged within 2 s of the customer's
# hang-up; the BYE's failure logged once, 30 s or more later, with no other change of
# alice's state; one interaction, ended by the caller, agent alice.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_support_config 'wrap_up: 0s'
start_server

# alice's phone: the BYE goes unanswered for 40 s (SIPp still there, silent: no ICMP
# error ends the transaction early).
sipp_bg silent_pid agent-silent 60 "$(scen agent-bye-silent.xml ring_ms=100 silent_ms=40000)" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5

# The customer: answered by the queue, put through to alice, hangs up after 2 s.
rc=0
sipp_run caller 20 "$(scen queue-caller-hangup.xml number=200 domain="$ACME_DOMAIN" \
	from=81000 rtp_port="$(media_port 3)" wait_ms=2000)" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 3)" -m 1 || rc=$?
expect_sipp_ok caller "$rc"
hung=$(date +%s%N)
wait_log 'tenant=acme call=1 event=interaction ' 2
wait_log 'event=agent_state agent=alice from=busy to=ready' 2
took=$((($(date +%s%N) - hung) / 1000000))
note "alice ready and the interaction written ${took} ms after the customer hung up"
expect_no_log 'event=bye_failed'

# The stack's end of the first BYE: timer F, 64 × T1 = 32 s after it was sent.
wait_log 'mod=sip event=bye_failed .*status=408' 40
took=$((($(date +%s%N) - hung) / 1000000))
[ "$took" -ge 30000 ] || fail "the BYE failed ${took} ms after the hang-up: no retransmissions?"
[ "$(grep -c 'event=bye_failed' "$SERVER_LOG")" = 1 ] || fail "bye_failed logged more than once"
[ "$(grep -c 'event=agent_state agent=alice' "$SERVER_LOG")" = 4 ] ||
	fail "alice's state changed after the call: $(grep 'event=agent_state agent=alice' "$SERVER_LOG")"
kill "$silent_pid" 2>/dev/null || true
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
i = ix[0]
assert i["agent"] == "alice" and i["ended"] and i["hangup_by"] == "caller", i
'
