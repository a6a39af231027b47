#!/usr/bin/env bash
# Wrap-up time on the interaction (issue 5: "wait/talk/hold/wrap-up seconds"). Queue
# support has wrap_up 2s; alice answers a caller, talks 1 s and hangs up. The interaction
# is written when the call ends (so a crash cannot lose it) and written again, same id,
# when alice's wrap-up ends.
# Asserts: the first write, then `interaction_wrapped` about 2 s later; one stored
# interaction with wrapup_s about 2, talk_s about 1, and `wrap_up_ended` last on its
# timeline. The tenant has no queue with `sticky`, so /metrics shows no caller's last
# agent remembered.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_support_config 'wrap_up: 2s'
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

sipp_bg apid agent-alice 30 \
	"$(scen queue-agent.xml ring_ms=200 talk_ms=1000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5
rc=0
sipp_run caller 30 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" \
	-key from cust || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 5
wait_log 'tenant=acme call=1 event=interaction_wrapped .*agent=alice' 10
expect_log 'event=agent_state agent=alice from=wrap_up to=ready cause=wrap_up_end'
remembered=$(curl -sf "http://127.0.0.1:$API_PORT/metrics" |
	sed -n 's/^centrala_callers_remembered{tenant="acme"} \([0-9]*\)$/\1/p')
[ "$remembered" = 0 ] || fail "callers remembered without a sticky queue: '$remembered', want 0"
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
i = ix[0]
assert 1.8 <= i["wrapup_s"] <= 4.0, i
assert 0.5 <= i["talk_s"] <= 3.0, i
assert i["timeline"][-1]["event"] == "wrap_up_ended", i["timeline"]
'
