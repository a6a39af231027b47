#!/usr/bin/env bash
# A listener the server cannot open stops the start: a `tls:` listener (SIP over TLS is
# not served by this version) makes `serve` log event=listen_failed naming it and exit
# with an error, without ever listening on the others.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
sed -i "s|\"tcp:$SIP_HOST:$SIP_PORT\"\]|\"tcp:$SIP_HOST:$SIP_PORT\", \"tls:$SIP_HOST:$((SIP_PORT + 1))\"]|" "$CONFIG"
grep -q "tls:$SIP_HOST:$((SIP_PORT + 1))" "$CONFIG" || fail "no tls listener in the test config"
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "check refused the syntax: $(cat "$WORK/check.out")"

rc=0
timeout -k 5 20 "$BIN" serve --config "$CONFIG" 2>"$SERVER_LOG" || rc=$?
[ "$rc" -ne 0 ] || fail "serve exited 0 with a tls listener it cannot open"
[ "$rc" -ne 124 ] || fail "serve kept running with a tls listener it cannot open"
expect_log "event=listen_failed url=tls:$SIP_HOST:$((SIP_PORT + 1)) "
expect_no_log 'event=listening'
