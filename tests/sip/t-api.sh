#!/usr/bin/env bash
# The HTTP API without calls (issue: API and CTI): malformed and unknown input, the
# access matrix of every endpoint for every role and for another tenant, agent state
# through the engine, events with their per-tenant sequence and since=N, login blocks,
# logout, /metrics, and real responses checked against the OpenAPI document.
# Asserts: everything tests/sip/api_basic.py asserts; the server stops cleanly.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    reason_codes: [lunch, break]
    dispositions: [sale, no_sale]
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}}
      - {username: bob, password: bob-secret, roles: [agent, supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: quinn, password: quinn-secret, roles: [qa]}
    queues:
      - {id: support, strategy: longest-idle}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, admin]}
    queues:
      - {id: beta-q}
YAML
start_server
wait_log 'event=http_listening' 5
"$PYTHON" "$SCEN/api_basic.py" "$API_PORT" >&2 || fail "api_basic.py failed"
stop_server
