#!/usr/bin/env bash
# The agent desktop's calls with more parties (tests/browser/agent-calls.mjs), SIPp as
# every phone: a customer nobody knows is named in the screen pop's card; alice
# consults a number through the SIPp carrier behind the trunk and goes back to the
# caller, then transfers the caller blind to the queue sales, where bob answers; in the
# wrap-up she clicks the new contact's number (her phone rings, then the customer
# through the carrier); a second caller goes blind to bob from the directory.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

trunk_port=$(peer_port 30)
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    dispositions: [sale, no_sale]
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}}
      - {username: bob, name: Bob Kran, password: bob-secret, roles: [agent], sip: {user: bob, password: bob-pw}, queues: {sales: 0}, auto_ready: true}
      - {username: sue, password: sue-secret, roles: [supervisor]}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 60s}
      - {id: sales, strategy: longest-idle}
    numbers:
      - {number: "100", queue: support}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
YAML
web_static
start_server
wait_log 'event=http_listening' 5
make_tone "$WORK/bob.wav" 800 10

# The carrier: the number alice consults, then the customer she calls back.
sipp_bg cpid carrier 150 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 2
sipp_bg apid alice-phone 150 "$(scen agent-answer.xml ring_ms=300)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 3
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
sipp_bg bpid2 bob-phone 150 "$(scen agent-hangup.xml talk_ms=2000 wav="$WORK/bob.wav")" \
	-p "$(peer_port 12)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 2
register_agent bob bob-pw "$(peer_port 12)" "$(peer_port 22)"

CALLER1=48601000001 CALLER2=48602000001 CONSULT=48225550000 browser_bg bpid agent-calls.mjs 150
caller() { # caller NAME FROM: a customer calls the queue and waits until hung up on
	local rc=0
	sipp_run "$1" 60 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
		-mp "$(media_port 3)" -rtp_echo -m 1 -key number 100 -key domain "$ACME_DOMAIN" \
		-key from "$2" || rc=$?
	expect_sipp_ok "$1" "$rc"
}
wait_file web.call1 "$bpid" 60
caller caller1 4860100000
wait_file web.call2 "$bpid" 60
caller caller2 4860200000
browser_wait "$bpid"
for p in carrier:$cpid alice-phone:$apid bob-phone:$bpid2; do
	rc=0
	wait_rc "${p#*:}" || rc=$?
	expect_sipp_ok "${p%%:*}" "$rc"
done
grep -q 'invite ruri=sip:+48601000001@127.0.0.1' "$WORK/carrier.log" ||
	fail "the carrier was not dialled with the contact's number: $(cat "$WORK/carrier.log")"
grep -q 'invite ruri=sip:48225550000@127.0.0.1' "$WORK/carrier.log" ||
	fail "the carrier was not dialled with the consulted number: $(cat "$WORK/carrier.log")"
stop_server
