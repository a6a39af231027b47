#!/usr/bin/env bash
# Lead lists and do-not-call numbers through the API: a CSV of leads posted to a list
# with a column mapping (one bad row: 422 with the row's line and column, nothing
# imported; skip_bad=true: the good rows imported, the duplicate within the list
# skipped and told), numbers normalised to E.164, extra columns as fields in the export,
# a duplicate across lists told, 415 for a body that is not CSV, the roles (an agent
# neither imports nor exports), another tenant's view empty; do-not-call numbers into
# the tenant's and a campaign's list, read back page by page and removed (a number in
# national form; another tenant's removal touches nothing of this one's); the tenant's
# lists with their counts of leads.
# Asserts: what api_leads.py asserts.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, password: alice-secret, roles: [agent]}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: outbound}
    campaigns:
      - {id: renewals, queue: outbound, lists: [nov, dec]}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, admin, supervisor]}
YAML
start_server
wait_log 'event=http_listening' 5

"$PYTHON" "$SCEN/api_leads.py" "$API_PORT" "$WORK/centrala.db" >&2 ||
	fail "api_leads.py failed"
stop_server
