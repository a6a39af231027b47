#!/usr/bin/env bash
# Reason codes and dispositions through the API: an admin adds a reason code and an
# agent goes not ready with it at once (another tenant cannot); removed, it is refused
# while the agent in it keeps it; a disposition the API adds is accepted at once. The
# file's codes answer 409, bad codes 400 naming the field; the access matrix for every
# role and the other tenant. After a restart the API's codes are back.
# Asserts: everything tests/sip/api_codes.py asserts (responses checked against the
# OpenAPI document, audit entries).
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
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: alice, password: alice-secret, roles: [agent]}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: quinn, password: quinn-secret, roles: [qa]}
    queues:
      - {id: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, admin]}
YAML
start_server
wait_log 'event=http_listening' 5
"$PYTHON" "$SCEN/api_codes.py" "$API_PORT" change >&2 || fail "api_codes.py change failed"
stop_server
start_server
wait_log 'event=api_objects object=reason_codes loaded=1' 5
"$PYTHON" "$SCEN/api_codes.py" "$API_PORT" after-restart >&2 || fail "the codes did not survive the restart"
stop_server
