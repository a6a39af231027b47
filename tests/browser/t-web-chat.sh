#!/usr/bin/env bash
# The web chat in headless Chromium (tests/browser/chat.mjs): a company's page that
# includes /chat.js, visitors who chat through its iframe in four languages, and alice's
# agent desktop: messages both ways with typing, delivery and read marks, markup shown as
# text, a reload that resumes the chat, three chats held at once with chat capacity 3 (a
# fourth waits until one is closed), the public socket's limits (rate, size, chats per
# address), and every message on the interaction's timeline and in `centrala export`.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    timezone: Europe/Warsaw
    channels: {chat: {capacity: 3}}
    chat: {queues: [support, sales], max_message: 500, per_second: 3, sessions_per_address: 5, resume: 1m,
           canned: ["Dziękujemy za cierpliwość.", "Czy mogę jeszcze w czymś pomóc?"]}
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0, sales: 0}}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m}
      - {id: sales, strategy: longest-idle, ring_timeout: 5m}
YAML
web_static
# The company's page, on an origin of its own (another port), includes the chat script.
SHOP_PORT=$((SIP_PORT + 72))
mkdir -p "$WORK/shop"
cat >"$WORK/shop/shop.html" <<HTML
<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1><p>Lamps and more.</p>
<script src="http://127.0.0.1:$API_PORT/chat.js" data-tenant="acme" data-topics="support,sales"></script>
</body></html>
HTML
"$PYTHON" -m http.server "$SHOP_PORT" --bind 127.0.0.1 --directory "$WORK/shop" >"$WORK/shop.log" 2>&1 &
_BG_PIDS+=($!)
export SHOP_URL="http://127.0.0.1:$SHOP_PORT/shop.html"
"$BIN" check "$CONFIG" >"$WORK/check.log" 2>&1 || fail "centrala check refused the file: $(cat "$WORK/check.log")"
start_server
wait_log 'event=http_listening' 5
browser_bg bpid chat.mjs
browser_wait "$bpid"
stop_server
"$BIN" export interactions --config "$CONFIG" --format jsonl >"$WORK/export.jsonl" ||
	fail "centrala export failed"
grep '"channel":"chat"' "$WORK/export.jsonl" >"$WORK/chats.jsonl" || fail "no chat in the export"
n=$(wc -l <"$WORK/chats.jsonl")
[ "$n" -ge 4 ] || fail "the export has $n chats, expected at least 4"
grep -q '"event":"chat_in"' "$WORK/chats.jsonl" || fail "the export has no visitor message"
grep -q '"event":"chat_out"' "$WORK/chats.jsonl" || fail "the export has no agent message"
grep -q 'Dzie.*dobry, w czym' "$WORK/chats.jsonl" || fail "the agent's text is not in the export"
