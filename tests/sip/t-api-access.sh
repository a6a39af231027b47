#!/usr/bin/env bash
# The access matrix of numbers, click-to-dial, the call actions, wrap-up, the agent's
# queues, a recording's segments and users as an agent: each endpoint as no token, each
# role (agent, supervisor, admin, qa) and another tenant's user, with the expected
# status (401, 403, 404 for another tenant's objects, never its data); then the audit
# log of the live writes made meanwhile (a forced state, queue membership, a campaign's
# controls), with nothing of what was refused.
# Asserts: what tests/sip/api_access.py asserts (responses checked against the OpenAPI
# document).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

trunk_port=$(peer_port 30)
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    reason_codes: [lunch]
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: quinn, password: quinn-secret, roles: [qa]}
    queues:
      - {id: support}
      - {id: outbound}
    numbers:
      - {number: "200", queue: support}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
    campaigns:
      - {id: renewals, queue: outbound, trunk: pstn, caller_id: "+48221000000", lists: [nov]}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, supervisor, admin]}
    queues:
      - {id: bq}
    numbers:
      - {number: "900", queue: bq}
YAML
start_server
wait_log 'event=http_listening' 5
"$PYTHON" "$SCEN/api_access.py" "$API_PORT" >&2 || fail "api_access.py failed"
stop_server
