#!/usr/bin/env bash
# A web chat handed to a named agent in headless Chromium (tests/browser/chat-transfer.mjs):
# alice holds a visitor's chat and types a username on her desktop; an unknown one, an
# agent logged out and an agent without room (chat capacity 1, already holding a chat) are
# refused with their reason and alice keeps the chat; bob, ready and free, is offered it
# with its history, accepts and answers the visitor, who sees his name. The route's own
# refusals (nothing named, no such interaction) and the timeline's transfer are checked
# through the API.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    channels: {chat: {capacity: 1}}
    chat: {queues: [support], resume: 1m}
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0}}
      - {username: bob, name: Bogdan Zieliński, password: bob-secret, roles: [agent]}
      - {username: sue, password: sue-secret, roles: [supervisor]}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m}
YAML
web_static
"$BIN" check "$CONFIG" >"$WORK/check.log" 2>&1 || fail "centrala check refused the file: $(cat "$WORK/check.log")"
start_server
wait_log 'event=http_listening' 5
browser_bg bpid chat-transfer.mjs
browser_wait "$bpid"
grep -q 'event=transfer_refused channel=chat .*to_agent=bob reason="the agent is not logged in"' "$WORK/server.log" ||
	fail "the refusal of a logged-out agent is not logged"
grep -q 'event=transferred channel=chat agent=alice queue=support to_agent=bob' "$WORK/server.log" ||
	fail "the transfer to bob is not logged"
stop_server
