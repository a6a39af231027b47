#!/usr/bin/env bash
# Accessibility in headless Chromium (tests/browser/a11y.mjs): axe-core (web/'s
# lockfile) run on every main screen in English and on the agent desktop in every
# language, failing on serious or critical violations (colour contrast among them), and
# a walk with the Tab key through the agent desktop's main controls, in order, each
# showing where the focus is.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"
[ -f "$TOP/web/node_modules/axe-core/axe.min.js" ] || skip "axe-core is missing (scripts/install-deps: npm ci in web/)"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    timezone: Europe/Warsaw
    reason_codes: [lunch]
    dispositions: [sale, no_sale]
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0}}
      - {username: bob, name: Bob García, password: bob-secret, roles: [agent, supervisor, admin], queues: {support: 0}}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
YAML
web_static
start_server
wait_log 'event=http_listening' 5
browser_bg bpid a11y.mjs 240
browser_wait "$bpid"
stop_server
