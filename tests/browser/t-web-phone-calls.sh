#!/usr/bin/env bash
# Consultation, attended transfer, three-way conference, whisper and barge with browser
# phones (tests/browser/phone-calls.mjs). Every customer is a SIPp caller that echoes
# what it hears, so a page hearing its own tone back proves the customer heard it: alice
# (1000 Hz) consults ben (700 Hz) and completes the transfer, then conferences him in;
# supervisor bob (700 Hz) whispers to alice (the customer does not hear him) and barges
# in (the customer does).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0}}
      - {username: ben, name: Ben Ruiz, password: ben-secret, roles: [agent], queues: {support: 0}}
      - {username: bob, password: bob-secret, roles: [supervisor]}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 1s, ring_timeout: 30s}
    numbers:
      - {number: "200", queue: support}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

sox -q -n -r 48000 -c 1 -b 16 -e signed-integer "$WORK/agent-1000.wav" synth 240 sine 1000 vol 0.5
sox -q -n -r 48000 -c 1 -b 16 -e signed-integer "$WORK/agent-700.wav" synth 240 sine 700 vol 0.5
export PHONE_WAV_A=$WORK/agent-1000.wav PHONE_WAV_B=$WORK/agent-700.wav

browser_bg bpid phone-calls.mjs 300
for n in 1 2 3; do
	wait_file "web.c$n" "$bpid" 120
	rc=0
	sipp_run "customer$n" 120 "$(scen caller-wait-bye.xml)" -p "$(peer_port $((2 + n)))" \
		-mi 127.0.0.1 -mp "$(media_port $((1 + n)))" -rtp_echo -m 1 -key number 200 \
		-key domain "$ACME_DOMAIN" || rc=$?
	expect_sipp_ok "customer$n" "$rc"
done
browser_wait "$bpid"
stop_server

export_interactions
check_interactions '
assert len(ix) == 3, "%d interactions" % len(ix)
t1 = ix[0]["timeline"]
tr = [e for e in t1 if e["event"] == "transferred"]
assert tr and tr[0].get("to") == "ben", t1
ev2 = [e["event"] for e in ix[1]["timeline"]]
assert "third_party_answered" in ev2 and "third_party_left" in ev2, ev2
mon = [e for e in ix[2]["timeline"] if e["event"] == "monitor"]
assert [m.get("mode") for m in mon][:2] == ["whisper", "barge"], ix[2]["timeline"]
'
