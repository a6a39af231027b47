#!/usr/bin/env bash
# REGISTER with a wrong password: each answer to a challenge gets a new 401; after
# sip.auth_fail_limit (3 here) failures the address is blocked and gets 403 without a
# challenge. Another address is not blocked: the right password works from there.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config "auth_fail_limit: 3, auth_block: 60s"
start_server

rc=0
sipp_run wrong 20 "$(scen register-wrong.xml)" -p "$(peer_port 1)" -m 1 \
	-au alice -ap not-her-password -auth_uri "$ACME_DOMAIN" -key user alice -key domain "$ACME_DOMAIN" \
	-key contact_port "$(peer_port 2)" || rc=$?
expect_sipp_ok wrong "$rc"
[ "$(grep -c 'event=register_auth_failed user=alice' "$SERVER_LOG")" -eq 3 ] ||
	fail "want 3 register_auth_failed lines"
expect_log 'event=address_blocked source=127.0.0.1 for_s=60'
expect_no_log 'event=registered user=alice'
[ "$(grep -c '^SIP/2.0 401' "$WORK/wrong.msg")" -eq 4 ] || fail "want four 401 responses"
[ "$(grep -c '^SIP/2.0 403' "$WORK/wrong.msg")" -eq 1 ] || fail "want one 403 response"
if grep -A20 '^SIP/2.0 403' "$WORK/wrong.msg" | grep -q '^WWW-Authenticate'; then
	fail "the 403 of a blocked address carries a challenge"
fi

# The block is per address: bob registers from 127.0.0.2.
rc=0
timeout -k 3 20 sipp 127.0.0.1:"$SIP_PORT" -sf "$(scen register.xml)" -i 127.0.0.2 \
	-p "$(peer_port 3)" -m 1 -au bob -ap bob-pw -auth_uri "$ACME_DOMAIN" -key user bob -key domain "$ACME_DOMAIN" \
	-key contact_port "$(peer_port 4)" -key expires 600 -nostdin -timeout 15s \
	-timeout_error -trace_err -error_file "$WORK/other.err" >"$WORK/other.out" 2>&1 || rc=$?
expect_sipp_ok other "$rc"
wait_log "event=registered user=bob domain=$ACME_DOMAIN source=127.0.0.2:" 5
expect_no_log 'not-her-password'

stop_server
