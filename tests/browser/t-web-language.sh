#!/usr/bin/env bash
# The page's language (tests/browser/language.mjs): with no choice saved in the browser,
# the user's `language` setting (ivan: ru) wins over the browser's (Spanish); a user
# without one (maria) gets the browser's; Russian plural forms (1, 2 and 5 reason codes)
# and an API error code in Russian words.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    reason_codes: [lunch]
    users:
      - {username: ivan, password: ivan-secret, roles: [admin], language: ru}
      - {username: maria, password: maria-secret, roles: [agent]}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

browser_bg bpid language.mjs
browser_wait "$bpid"
stop_server
