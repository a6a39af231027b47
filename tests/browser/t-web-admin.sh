#!/usr/bin/env bash
# The admin console's forms in headless Chromium (tests/browser/admin.mjs), each change
# taking effect: a user made with roles, skill levels, queue membership, SIP credentials
# and auto_ready logs in through the login page, registers his (SIPp) phone with the SIP
# password typed in the form and is made ready by it; changed (roles, skill level,
# password) the old password fails and the new one logs in to a page without the
# supervisor's screens. A queue with skills, timeouts, overflow and service level made
# and changed. A webhook made (its secret shown once, never again) receives an event
# signed with that secret on a loopback receiver, its delivery log shows the delivery,
# and it is removed. An API key made (shown once) reads the agents and, revoked, is
# refused (401).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

HTTP_EXTRA="static: \"$WEB_DIR\", webhooks: {allow_private: true}"
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    timezone: Europe/Warsaw
    users:
      - {username: ada, name: Ada Admin, password: ada-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
YAML
start_server
wait_log 'event=http_listening' 5

browser_bg bpid admin.mjs 180
wait_file user.made "$bpid" 60
# erik's phone registers with the SIP credentials typed in the form.
register_agent erik erik-sip-pw "$(peer_port 11)" "$(peer_port 21)"
: >"$WORK/user.registered"
browser_wait "$bpid"
stop_server
