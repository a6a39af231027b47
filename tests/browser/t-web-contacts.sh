#!/usr/bin/env bash
# Contacts in headless Chromium (tests/browser/contacts.mjs): an agent creates a contact
# through the form, edits it, and finds it by name, by e-mail and by a phone number
# written another way, while another contact stays out of the results.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: maria, password: maria-secret, roles: [agent]}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

browser_bg bpid contacts.mjs
browser_wait "$bpid"
stop_server
