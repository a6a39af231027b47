# Helpers of the browser tests, sourced after tests/sip/lib.sh: the built web application
# as the server's http.static, Chromium and node checked, a browser script run in the
# background and waited for.

WEB_DIR=$(dirname "$BIN")/web
[ -e "$WEB_DIR/index.html" ] || fail "no web application in $WEB_DIR (make build)"
command -v node >/dev/null || skip "node is missing (scripts/install-deps)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "chromium is missing (scripts/install-deps --test)"
[ -d "$TOP/web/node_modules/playwright-core" ] || skip "playwright-core is missing (scripts/install-deps)"
export WEB_SHOTS=${WEB_SHOTS:-$(dirname "$BIN")/web-screenshots}
export API_PORT TEST_WORK=$WORK

# Adds http.static to the configuration write_config wrote.
web_static() {
	sed -i "s|^http: {listen: \"127.0.0.1:$API_PORT\"}|http: {listen: \"127.0.0.1:$API_PORT\", static: \"$WEB_DIR\"}|" "$CONFIG"
	grep -q "static: \"$WEB_DIR\"" "$CONFIG" || fail "could not set http.static"
}

# Runs tests/browser/SCRIPT with node in the background, bounded (SECS, default 150 s),
# its output in $WORK/SCRIPT.log; the pid goes to the named variable.
browser_bg() {
	local var=$1 script=$2 secs=${3:-150}
	timeout -k 5 "$secs" node "$TOP/tests/browser/$script" >"$WORK/$script.log" 2>&1 &
	printf -v "$var" '%s' "$!"
	_BG_PIDS+=("$!")
}

# Waits for the browser script and fails the test with its log when it failed.
browser_wait() {
	local rc=0
	wait "$1" || rc=$?
	cat "$WORK"/*.mjs.log >&2
	[ "$rc" -eq 0 ] || fail "the browser script failed (exit $rc)"
}

# Waits up to SECS for $WORK/NAME, made by the browser script, while PID runs.
wait_file() {
	local name=$1 pid=$2 secs=$3
	for _ in $(seq $((secs * 10))); do
		[ -e "$WORK/$name" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$WORK"/*.mjs.log >&2
			fail "the browser script ended before $name"
		fi
		sleep 0.1
	done
	cat "$WORK"/*.mjs.log >&2
	fail "no $name from the browser script after ${secs}s"
}
