#!/usr/bin/env bash
# What a digest answer proves is checked against the request it comes with: the
# answer's uri must be the INVITE's Request-URI (an answer captured for one call cannot
# place another), and the authenticated user must be the one the From header names (a
# phone cannot authenticate as alice and call as bob). Both are refused with 403 and
# counted as failures; the right answer reaches bob (no phone registered: 480).
# The client is sip_invite_auth.py, which computes its own digest (SIPp's is always right).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config "auth_fail_limit: 10, auth_block: 60s"
start_server

invite() { # invite LOCAL_PORT FROM_USER AUTH_USER PASSWORD [--digest-uri URI]
	local out port=$1
	shift
	out=$(timeout 20 "$PYTHON" "$SCEN/sip_invite_auth.py" 127.0.0.1 "$SIP_PORT" "$port" \
		"$ACME_DOMAIN" bob "$@") ||
		fail "sip_invite_auth.py $*: $out"
	echo "$out" | tail -n 1
}

# The digest answered for another Request-URI than the one in the INVITE.
st=$(invite "$(peer_port 1)" alice alice alice-pw --digest-uri "sip:300@$ACME_DOMAIN")
[ "$st" = 403 ] || fail "digest uri of another request: want 403, got $st"
wait_log 'event=digest_uri_mismatch method=INVITE user=alice' 5

# alice's password, bob in the From header.
st=$(invite "$(peer_port 2)" bob alice alice-pw)
[ "$st" = 403 ] || fail "authenticated as alice, From bob: want 403, got $st"

expect_no_log 'event=unavailable user=bob'
[ "$(grep -c 'event=invite_auth_failed' "$SERVER_LOG")" -eq 2 ] ||
	fail "want two invite_auth_failed lines: $(grep 'event=invite_auth_failed' "$SERVER_LOG")"

# The same client, answering rightly, gets through (to bob, who has no phone).
st=$(invite "$(peer_port 3)" alice alice alice-pw)
[ "$st" = 480 ] || fail "right answer: want 480 from bob's routing, got $st"
wait_log 'event=unavailable user=bob' 5
stop_server
