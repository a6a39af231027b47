#!/usr/bin/env bash
# The brute-force guard covers calls too: a phone user's INVITE is challenged (407) and
# its credentials checked; an address blocked after repeated failed REGISTERs gets 403
# for an INVITE carrying credentials, even right ones, while another address with the
# same credentials goes through (to bob, who has no phone registered: 480).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config "auth_fail_limit: 3, auth_block: 60s"
start_server

# Authenticated call from 127.0.0.2: accepted, routed to bob, who is unavailable.
rc=0
timeout -k 3 20 sipp 127.0.0.1:"$SIP_PORT" -sf "$(scen caller-auth.xml number=bob \
	domain="$ACME_DOMAIN" from_user=alice status=480)" -i 127.0.0.2 -p "$(peer_port 1)" \
	-mi 127.0.0.2 -mp "$(media_port 1)" -m 1 -au alice -ap alice-pw -auth_uri "bob@$ACME_DOMAIN" -nostdin -timeout 15s \
	-timeout_error -trace_err -error_file "$WORK/other.err" >"$WORK/other.out" 2>&1 || rc=$?
expect_sipp_ok other "$rc"
wait_log 'event=unavailable user=bob' 5

# 127.0.0.1 fails three times and is blocked...
rc=0
sipp_run wrong 20 "$(scen register-wrong.xml)" -p "$(peer_port 2)" -m 1 \
	-au alice -ap not-her-password -auth_uri "$ACME_DOMAIN" -key user alice -key domain "$ACME_DOMAIN" \
	-key contact_port "$(peer_port 3)" || rc=$?
expect_sipp_ok wrong "$rc"
expect_log 'event=address_blocked source=127.0.0.1 '

# ...and from there even the right credentials on an INVITE are refused.
rc=0
sipp_run blocked 20 "$(scen caller-auth.xml number=bob domain="$ACME_DOMAIN" \
	from_user=alice status=403)" -p "$(peer_port 4)" -mi 127.0.0.1 -mp "$(media_port 2)" \
	-m 1 -au alice -ap alice-pw -auth_uri "bob@$ACME_DOMAIN" || rc=$?
expect_sipp_ok blocked "$rc"
expect_log 'event=invite_blocked source=127.0.0.1:'
[ "$(grep -c 'event=unavailable user=bob' "$SERVER_LOG")" -eq 1 ] ||
	fail "a blocked address got its INVITE authenticated and routed"
stop_server
