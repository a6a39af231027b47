#!/usr/bin/env bash
# A `tls:` listener the server cannot open stops the start, never a silent skip:
#   1. without sip.tls (no certificate), `check` refuses the file, naming the listener;
#   2. with a certificate file that does not exist, `serve` logs tls_config_error naming
#      sip.tls.cert and event=listen_failed for the listener, and exits with an error
#      without ever listening on the others;
#   3. with a key that is not the certificate's, the same naming sip.tls.key; no copy
#      of the key is left in the runtime directory.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl not installed"
TLS_PORT=$((SIP_PORT + 45))
export TMPDIR=$WORK/run
mkdir -p "$TMPDIR"

write_acme_config
sed -i "s|\"tcp:$SIP_HOST:$SIP_PORT\"\]|\"tcp:$SIP_HOST:$SIP_PORT\", \"tls:$SIP_HOST:$TLS_PORT\"]|" "$CONFIG"
grep -q "tls:$SIP_HOST:$TLS_PORT" "$CONFIG" || fail "no tls listener in the test config"
rc=0
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "check accepted a tls listener without sip.tls (exit $rc)"
grep -q 'sip.listen\[2\]: a tls: listener needs sip.tls' "$WORK/check.out" ||
	fail "check does not name the listener: $(cat "$WORK/check.out")"

# serve_fails WHAT: serve must exit non-zero, promptly, having listened on nothing.
serve_fails() {
	rc=0
	timeout -k 5 20 "$BIN" serve --config "$CONFIG" 2>"$SERVER_LOG" || rc=$?
	[ "$rc" -ne 0 ] || fail "serve exited 0 with $1"
	[ "$rc" -ne 124 ] || fail "serve kept running with $1"
	expect_log "event=listen_failed url=tls:$SIP_HOST:$TLS_PORT "
	expect_no_log 'event=listening'
}

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=centrala.test -days 2 \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/openssl.err" || fail "openssl req failed"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=other.test -days 2 \
	-keyout "$WORK/other-key.pem" -out "$WORK/other-cert.pem" 2>>"$WORK/openssl.err" ||
	fail "openssl req failed"

write_acme_config "tls: {cert: \"$WORK/missing.pem\", key: \"$WORK/key.pem\"}"
sed -i "s|\"tcp:$SIP_HOST:$SIP_PORT\"\]|\"tcp:$SIP_HOST:$SIP_PORT\", \"tls:$SIP_HOST:$TLS_PORT\"]|" "$CONFIG"
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "check refused the file: $(cat "$WORK/check.out")"
serve_fails "a certificate file that does not exist"
expect_log "event=tls_config_error key=sip.tls.cert file=\"$WORK/missing.pem\""

write_acme_config "tls: {cert: \"$WORK/cert.pem\", key: \"$WORK/other-key.pem\"}"
sed -i "s|\"tcp:$SIP_HOST:$SIP_PORT\"\]|\"tcp:$SIP_HOST:$SIP_PORT\", \"tls:$SIP_HOST:$TLS_PORT\"]|" "$CONFIG"
serve_fails "a key that is not the certificate's"
expect_log "event=tls_config_error key=sip.tls.key file=\"$WORK/other-key.pem\""
# No copy of the key is left behind in the runtime directory.
[ -z "$(ls -A "$TMPDIR")" ] || fail "a copy of the certificate is left: $(ls -A "$TMPDIR")"
