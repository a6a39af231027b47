#!/usr/bin/env bash
# Webhook targets and deliveries under bounds (issue: API and CTI). First with the
# default http.webhooks (allow_private off): `centrala check` refuses a file webhook to a
# loopback address (path and line:col), the API refuses such targets (400 on url), and a
# webhook to a host name that resolves to loopback fails at delivery without reaching
# the receiver. Then with allow_private: true and per_target: 2 (the loopback receiver
# needs the first, explicitly): acme's receiver holds its requests, at most two are in
# flight to it while beta's webhook is served, and all arrive once released; /metrics
# gives deliveries by outcome, queue depth and attempts in flight per tenant.
# Asserts: what tests/sip/api_webhook_limits.py asserts, the check's error, the log lines.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

RX_PORT=$(peer_port 7)
users='      - {username: alice, password: alice-secret, roles: [agent]}
      - {username: ada, password: ada-secret, roles: [admin]}'

note "allow_private off: a file webhook to loopback is refused by check"
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
$users
    webhooks:
      - {id: local, url: "http://127.0.0.1:$RX_PORT/fast", events: ["*"], secret: file-hook-secret-0123456789}
YAML
if "$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1; then
	fail "centrala check took a webhook to 127.0.0.1 without allow_private"
fi
grep -Eq ':[0-9]+:[0-9]+: tenants\[0\]\.webhooks\[0\]\.url: the URL names a loopback, link-local or private address \(set http\.webhooks\.allow_private' "$WORK/check.out" ||
	fail "check's error does not name the url with its position: $(cat "$WORK/check.out")"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
$users
YAML
start_server
wait_log 'event=http_listening' 5
mkdir -p "$WORK/refused"
"$PYTHON" "$SCEN/api_webhook_limits.py" refused "$API_PORT" "$RX_PORT" "$WORK/refused" >&2 ||
	fail "api_webhook_limits.py refused failed"
expect_log 'event=webhook_refused webhook=named '
stop_server

note "allow_private on, per_target 2: bounded deliveries"
HTTP_EXTRA='webhooks: {allow_private: true, per_target: 2}' write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
$users
    webhooks:
      - {id: slow, url: "http://127.0.0.1:$RX_PORT/hold", events: [agent.state], secret: file-hook-secret-0123456789}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent]}
    webhooks:
      - {id: quick, url: "http://127.0.0.1:$RX_PORT/fast", events: [agent.state], secret: beta-secret-0123456789}
YAML
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "check refused allow_private: $(cat "$WORK/check.out")"
start_server
wait_log 'event=http_listening' 5
mkdir -p "$WORK/bounded"
"$PYTHON" "$SCEN/api_webhook_limits.py" bounded "$API_PORT" "$RX_PORT" "$WORK/bounded" >&2 ||
	fail "api_webhook_limits.py bounded failed"
expect_log 'event=webhook_delivered webhook=slow '
expect_log 'event=webhook_delivered webhook=quick '
stop_server
