#!/usr/bin/env bash
# The monitoring files in contrib/ against a running server: /metrics of a server with
# a tenant, a queue and agents is scraped, and tests/contrib/check.py checks that every
# metric the Grafana dashboard and the Prometheus alert rules query is one the server
# serves, with the labels they select on.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, skills: {support: 1}}
    queues:
      - {id: support, skills: {support: 1}}
    numbers:
      - {number: "200", queue: support}
YAML
start_server
curl -sf -m 5 "http://127.0.0.1:$API_PORT/metrics" >"$WORK/metrics.txt" ||
	fail "GET /metrics failed"
grep -q '^centrala_calls_active{tenant="' "$WORK/metrics.txt" || fail "no centrala_calls_active in /metrics"
"$PYTHON" "$TOP/tests/contrib/check.py" --metrics "$WORK/metrics.txt" "$TOP" >"$WORK/check.out" 2>&1 ||
	fail "contrib against /metrics: $(cat "$WORK/check.out")"
note "$(tail -n 1 "$WORK/check.out")"
stop_server
