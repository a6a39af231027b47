#!/usr/bin/env bash
# A call to a number that is not provisioned gets 404 and creates no call. The same call
# claiming to come from one of the tenant's phone users gets a 407 challenge instead:
# nothing unauthenticated goes further than the provisioned numbers.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server

rc=0
sipp_run unknown 15 "$(scen caller-rejected.xml number=999 domain="$ACME_DOMAIN" \
	from_user=customer from_host=client.invalid fmt="0" rtpmap="a=rtpmap:0 PCMU/8000" \
	status=404)" -p "$(peer_port 1)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1 || rc=$?
expect_sipp_ok unknown "$rc"
wait_log 'event=rejected status=404 number=999 source=127.0.0.1:' 5

rc=0
sipp_run as-user 15 "$(scen caller-rejected.xml number=999 domain="$ACME_DOMAIN" \
	from_user=alice from_host="$ACME_DOMAIN" fmt="0" rtpmap="a=rtpmap:0 PCMU/8000" \
	status=407)" -p "$(peer_port 2)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 || rc=$?
expect_sipp_ok as-user "$rc"
grep -q "^Proxy-Authenticate: Digest realm=\"$ACME_DOMAIN\"" "$WORK/as-user.msg" ||
	fail "the 407 has no challenge in realm $ACME_DOMAIN"

expect_no_log 'event=incoming'
expect_no_log 'event=ringing'
stop_server
export_interactions
[ ! -s "$WORK/interactions.jsonl" ] || fail "rejected calls left interactions: $(cat "$WORK/interactions.jsonl")"
