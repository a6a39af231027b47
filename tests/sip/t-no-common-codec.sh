#!/usr/bin/env bash
# An offer with no codec we support (GSM only, payload type 3) to a provisioned number
# with a registered agent gets 488 Not Acceptable Here; the agent is never rung.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
# A registered agent that must not ring: nothing listens at its Contact.
register_agent alice alice-pw "$(peer_port 2)" "$(peer_port 1)"

rc=0
sipp_run gsm 15 "$(scen caller-rejected.xml number=300 domain="$ACME_DOMAIN" \
	from_user=customer from_host=client.invalid fmt="3" rtpmap="a=rtpmap:3 GSM/8000" \
	status=488)" -p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1 || rc=$?
expect_sipp_ok gsm "$rc"
grep -A12 '^SIP/2.0 488' "$WORK/gsm.msg" | grep -q '^Warning: 399 .*codec' ||
	fail "the 488 has no Warning naming the codec problem"
wait_log 'event=rejected status=488' 5
expect_no_log 'event=ringing'
stop_server
