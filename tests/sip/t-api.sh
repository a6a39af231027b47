#!/usr/bin/env bash
# The HTTP API without calls (issue: API and CTI): malformed and unknown input, the
# access matrix of every endpoint for every role and for another tenant, agent state
# through the engine, events with their per-tenant sequence and since=N, login blocks,
# logout, a supervisor's forced logout of an agent, /metrics, and real responses checked
# against the OpenAPI document. The ring of
# events kept for since=N is 16 (http.limits.event_ring), so that a client away longer is
# told to resync; then the server restarts and the numbers go on rising.
# Asserts: everything tests/sip/api_basic.py asserts; after the restart a client with the
# last number from before is told to resync (the server's numbers past it) and the next
# event's number is past it too; the server stops cleanly.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

HTTP_EXTRA="limits: {event_ring: 16}"
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
# The tenant's last number before the restart, from a fresh subscription.
seq_of() {
	"$PYTHON" - "$API_PORT" "$SCEN" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
from api import Api, WebSocket
api = Api(int(sys.argv[1]))
ws = WebSocket(api.port, api.login("acme", "alice", "alice-secret"))
ws.send({"subscribe": ["agent.me"]})
m = ws.recv()
assert m["type"] == "subscribed", m
print(m["data"]["seq"])
PY
}
before=$(seq_of) || fail "no sequence number before the restart"
stop_server
start_server
wait_log 'event=http_listening' 5
"$PYTHON" - "$API_PORT" "$SCEN" "$before" <<'PY' || fail "the numbers did not go on rising"
import sys
sys.path.insert(0, sys.argv[2])
from api import Api, WebSocket
api = Api(int(sys.argv[1]))
before = int(sys.argv[3])
alice = api.login("acme", "alice", "alice-secret")
ws = WebSocket(api.port, alice, since=before)
ws.send({"subscribe": ["agent.me"]})
m = ws.recv()
assert m["type"] == "subscribed" and m["data"]["seq"] > before, (m, before)
m = ws.recv()
assert m["type"] == "resync" and m["data"]["seq"] > before, (m, before)
st, b, _ = api.call("PUT", "/api/v1/agents/me/state", alice, {"state": "ready"})
assert st == 200, b
m, _ = ws.wait(lambda m: m.get("type") == "agent.state")
assert m["seq"] > before and m["data"]["state"] == "ready", (m, before)
print(f"after the restart: {m['seq']} > {before}")
PY
stop_server
