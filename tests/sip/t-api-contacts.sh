#!/usr/bin/env bash
# Contacts and recordings through the API (issue: API and CTI), around a real call.
# Before the call: contacts created and searched by name in Polish, Spanish and Russian
# (prefix, any case), by phone in several written forms and by e-mail, in pages;
# updates, validation errors with the field's path, another tenant's contacts never
# seen, and the access matrix of the contact endpoints for every role. Then a SIPp
# customer calls as the number one contact holds; SIPp phone alice answers and talks
# five seconds (recorded). After the call: the contact's history holds the call (for the
# supervisor and alice, not for another agent); the recording is downloaded whole and
# in byte ranges (206, Content-Range), 416 past the end, by role (alice yes, agent dave
# and another tenant 404), never from a path outside the tenant's recordings folder;
# every download is in the audit log.
# Asserts: what api_contacts.py asserts; SIPp calls succeed.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
      - {username: dave, password: dave-secret, roles: [agent]}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: quinn, password: quinn-secret, roles: [qa]}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 1s}
    numbers:
      - {number: "100", queue: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, admin]}
YAML
start_server
wait_log 'event=http_listening' 5

"$PYTHON" "$SCEN/api_contacts.py" "$API_PORT" before "$WORK/contacts.json" >&2 ||
	fail "api_contacts.py before the call failed"

make_tone "$WORK/agent.wav" 1000 10
sipp_bg apid agent-alice 40 \
	"$(scen queue-agent.xml ring_ms=300 talk_ms=5000 wav="$WORK/agent.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5
rc=0
# The caller is 60123456 plus SIPp's call number: 601234561, the Polish contact's number.
sipp_run caller 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 100 -key domain "$ACME_DOMAIN" \
	-key from 60123456 || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"

"$PYTHON" "$SCEN/api_contacts.py" "$API_PORT" after "$WORK/contacts.json" "$WORK/centrala.db" >&2 ||
	fail "api_contacts.py after the call failed"
expect_log 'event=recording_outside_dir'
stop_server
