#!/usr/bin/env bash
# Digest with SHA-256 over the wire (SIPp and baresip know MD5 only): a phone answering
# the SHA-256 challenge registers; with sip.nonce_ttl at 2 s, re-using its nonce 3 s
# later gets 401 with stale=true, and answering the fresh challenge registers again.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config "nonce_ttl: 2s"
start_server

timeout 30 "$PYTHON" "$SCEN/sip_register.py" 127.0.0.1 "$SIP_PORT" "$(peer_port 1)" \
	alice alice-pw "$ACME_DOMAIN" --stale-after 3 >"$WORK/phone.out" 2>&1 ||
	fail "SHA-256 phone: $(cat "$WORK/phone.out")"
cat "$WORK/phone.out" >&2
[ "$(grep -c "event=registered user=alice domain=$ACME_DOMAIN .* contacts=1" "$SERVER_LOG")" -eq 2 ] ||
	fail "want two registrations of alice"
expect_no_log 'event=register_auth_failed'
stop_server
