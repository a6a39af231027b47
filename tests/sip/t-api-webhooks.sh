#!/usr/bin/env bash
# Webhooks and API keys (issue: API and CTI). A small receiver on loopback checks every
# delivery's HMAC-SHA256 signature; agent state changes made through the API are the
# events. The receiver starts late: the first delivery fails and is retried with backoff
# until it lands. The API's webhook is created, replaced (and its secret rotated) and
# deleted; the file's webhook is read-only (409); another tenant sees 404. API keys are
# created, used, listed without the key, revoked (401 after). Then, with the receiver
# down, a delivery is left pending and the server restarted: the pending delivery, the
# API's webhook and an API key all come back from the store.
# Asserts: everything tests/sip/api_webhooks.py asserts; no secret in the server log;
# the server stops cleanly both times.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

RX_PORT=$(peer_port 7)
# The receiver is on loopback: webhooks may go there only when the config says so.
HTTP_EXTRA='webhooks: {allow_private: true}' write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    reason_codes: [lunch, break]
    users:
      - {username: alice, password: alice-secret, roles: [agent]}
      - {username: bob, password: bob-secret, roles: [agent, supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: quinn, password: quinn-secret, roles: [qa]}
    queues:
      - {id: support}
    webhooks:
      - {id: crm, url: "http://127.0.0.1:$RX_PORT/crm", events: ["*"], secret: file-hook-secret-0123456789}
      - {id: offers, url: "http://127.0.0.1:$RX_PORT/offers", events: [contact.offered], secret: offers-secret-0123456789}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, admin]}
    webhooks:
      - {id: beta-hook, url: "http://127.0.0.1:$RX_PORT/beta", events: [agent.state], secret: beta-secret-0123456789}
YAML
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "centrala check refused the config: $(cat "$WORK/check.out")"
start_server
wait_log 'event=http_listening' 5
"$PYTHON" "$SCEN/api_webhooks.py" before "$API_PORT" "$RX_PORT" "$WORK" >&2 ||
	fail "api_webhooks.py before failed"
expect_log 'event=webhook_retry webhook=crm '
expect_log 'event=webhook_delivered webhook=crm '
stop_server
cp "$SERVER_LOG" "$WORK/server-first.log"

note "restart with a delivery pending"
start_server
wait_log 'event=http_listening' 5
expect_log 'event=webhook_pending_loaded deliveries=[1-9]'
expect_log 'event=api_keys_loaded keys=1'
"$PYTHON" "$SCEN/api_webhooks.py" after "$API_PORT" "$RX_PORT" "$WORK" >&2 ||
	fail "api_webhooks.py after failed"
stop_server

for s in file-hook-secret-0123456789 api-hook-secret-abcdefghijkl api-hook-secret-rotated-000000 \
	"$(cat "$WORK/key.txt")"; do
	expect_no_log "$s"
	if grep -qF -- "$s" "$WORK/server-first.log"; then
		fail "a secret in the first run's server log"
	fi
done
