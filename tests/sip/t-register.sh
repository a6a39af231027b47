#!/usr/bin/env bash
# REGISTER with the right password: the first request is challenged (401 carrying an
# MD5 and a SHA-256 challenge in the tenant's realm, qop="auth"), the answer gets 200
# listing our Contact; a second phone of the same user adds a second binding, and both
# are listed.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server

register_agent alice alice-pw "$(peer_port 2)" "$(peer_port 1)"
expect_log "event=registered user=alice domain=$ACME_DOMAIN source=127.0.0.1:$(peer_port 1) contacts=1"
grep -q "realm=\"$ACME_DOMAIN\".*algorithm=MD5, qop=\"auth\"" "$WORK/register-alice.msg" ||
	fail "401 has no MD5 challenge in realm $ACME_DOMAIN"
grep -q "realm=\"$ACME_DOMAIN\".*algorithm=SHA-256, qop=\"auth\"" "$WORK/register-alice.msg" ||
	fail "401 has no SHA-256 challenge in realm $ACME_DOMAIN"
grep -q "^Contact: <sip:alice@127.0.0.1:$(peer_port 2)>;expires=" "$WORK/register-alice.msg" ||
	fail "the 200 does not list our Contact"

# The same user's second phone: two bindings, both in the 200.
mv "$WORK/register-alice.msg" "$WORK/register-alice-1.msg"
register_agent alice alice-pw "$(peer_port 4)" "$(peer_port 3)"
expect_log "event=registered user=alice .* contacts=2"
grep -A12 '^SIP/2.0 200' "$WORK/register-alice.msg" | grep '^Contact:' >"$WORK/contacts.txt"
grep -q "<sip:alice@127.0.0.1:$(peer_port 2)>;expires=" "$WORK/contacts.txt" ||
	fail "second 200 lost the first binding: $(cat "$WORK/contacts.txt")"
grep -q "<sip:alice@127.0.0.1:$(peer_port 4)>;expires=" "$WORK/contacts.txt" ||
	fail "second 200 lacks the new binding: $(cat "$WORK/contacts.txt")"
# Passwords never reach the log.
expect_no_log 'alice-pw'

stop_server
