#!/usr/bin/env bash
# The web application's files as the server sends them: the gzip copy the build wrote
# beside each text file goes, with Content-Encoding: gzip, to a client whose
# Accept-Encoding takes gzip (named, or "*", with any weight but 0) and the file itself to
# any other, Vary: Accept-Encoding on both; the copy unpacks to the file, byte for byte,
# also for a path the single-page application answers with its index. Then the agent
# desktop's first load in headless Chromium (tests/browser/first-load.mjs): every file
# arrives compressed and all of it, as received, is at most 300 KB.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0}}
    queues:
      - {id: support, strategy: longest-idle}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

# get PATH ACCEPT-ENCODING: headers to $WORK/h, body to $WORK/b
get() {
	local ae=()
	[ -n "$2" ] && ae=(-H "Accept-Encoding: $2")
	curl -sS -o "$WORK/b" -D "$WORK/h" "${ae[@]}" "http://127.0.0.1:$API_PORT$1" || fail "GET $1 failed"
	grep -q '^HTTP/1.1 200' "$WORK/h" || fail "GET $1 ($2): $(head -1 "$WORK/h")"
	grep -qi '^Vary: Accept-Encoding' "$WORK/h" || fail "GET $1 ($2): no Vary: Accept-Encoding"
}
gzipped() { # PATH AE FILE
	get "$1" "$2"
	grep -qi '^Content-Encoding: gzip' "$WORK/h" || fail "GET $1 with Accept-Encoding \"$2\": not gzip"
	gunzip -c "$WORK/b" | cmp -s - "$WEB_DIR/$3" || fail "GET $1: the gzip copy is not $3"
}
plain() { # PATH AE FILE
	get "$1" "$2"
	! grep -qi '^Content-Encoding' "$WORK/h" || fail "GET $1 with Accept-Encoding \"$2\": encoded"
	cmp -s "$WORK/b" "$WEB_DIR/$3" || fail "GET $1: not $3"
}
for f in main.js main.css index.html sw.js; do
	gzipped "/$f" "gzip, deflate, br" "$f"
	plain "/$f" "" "$f"
done
grep -qi '^Content-Type: text/javascript' <(get /main.js gzip && cat "$WORK/h") || fail "main.js gzip: not text/javascript"
gzipped / "gzip" index.html
gzipped /wallboard "br;q=1.0, gzip;q=0.8" index.html
gzipped /main.js "*" main.js
gzipped /main.js "deflate, GZIP;q=0.5" main.js
plain /main.js "gzip;q=0" main.js
plain /main.js "gzip; q=0.000, *" main.js
plain /main.js "identity" main.js
plain /main.js "*;q=0" main.js
plain /main.js "x-gzip" main.js
echo "static files: gzip copies to clients that take gzip, the files to the rest" >&2

browser_bg bpid first-load.mjs 90
browser_wait "$bpid"
stop_server
