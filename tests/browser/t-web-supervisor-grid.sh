#!/usr/bin/env bash
# The wallboard's agent grid in headless Chromium (tests/browser/supervisor-grid.mjs):
# the supervisor sue sorts it, filters it by text and by state; a SIPp customer talks to
# alice (SIPp as her phone) and sue listens, whispers and barges from the grid's buttons
# (SIPp as sue's phone is rung and joins; the interaction's timeline, in the browser and
# through the API, has the three modes in order); sue forces alice not ready and logs
# dave out from the grid, and the server has the states.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    timezone: Europe/Warsaw
    reason_codes: [lunch]
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}}
      - {username: carol, name: Carol Zieliński, password: carol-secret, roles: [agent], queues: {sales: 0}}
      - {username: dave, name: Dawid Adamski, password: dave-secret, roles: [agent], queues: {sales: 0}}
      - {username: sue, name: Sue Baker, password: sue-secret, roles: [supervisor], sip: {user: sue, password: sue-pw}}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 3s}
      - {id: sales, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

# alice's and sue's phones: each answers one call and waits for its BYE.
phone=$(scen agent-answer.xml ring_ms=200)
sipp_bg apid alice-phone 120 "$phone" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
sipp_bg spid sue-phone 120 "$phone" -p "$(peer_port 12)" -mi 127.0.0.1 -mp "$(media_port 2)" -rtp_echo -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
register_agent sue sue-pw "$(peer_port 12)" "$(peer_port 22)"

browser_bg bpid supervisor-grid.mjs 150
wait_file grid.ready "$bpid" 60
sipp_bg cpid caller 100 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 3)" \
	-rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from 22123456
browser_wait "$bpid"
for p in cpid apid spid; do
	rc=0
	wait_rc "${!p}" || rc=$?
	expect_sipp_ok "$p" "$rc"
done
stop_server
