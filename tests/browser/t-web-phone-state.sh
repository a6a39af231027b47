#!/usr/bin/env bash
# The browser phone and the agent's state (tests/browser/phone-state.mjs): microphone
# and speaker chosen in the page (Chromium's fake devices) are used and kept; a call
# rejected in the page goes to the next agent and the agent stays ready; a ring timeout
# withdraws the offer, and the second miss in a row (max_no_answer: 2) makes the agent
# not ready with reason no_answer; a customer whose phone sends no audio makes the page
# warn; the page closing and the browser going offline make
# her not ready with reason phone_lost (the wallboard shows it) until her phone is back;
# so does the page's media ending under a live socket, after which the page makes a new
# phone by itself.
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
      - {id: support, strategy: longest-idle, wrap_up: 1s, ring_timeout: 5s, max_no_answer: 2}
    numbers:
      - {number: "200", queue: support}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

sox -q -n -r 48000 -c 1 -b 16 -e signed-integer "$WORK/agent-1000.wav" synth 180 sine 1000 vol 0.5
make_tone "$WORK/caller-440.wav" 440 30
export PHONE_WAV=$WORK/agent-1000.wav

browser_bg bpid phone-state.mjs 240
wait_file web.first "$bpid" 90
sipp_bg c1pid caller1 90 "$(scen caller-stream-wait-bye.xml wav="$WORK/caller-440.wav")" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 -key number 200 \
	-key domain "$ACME_DOMAIN"
wait_file web.second "$bpid" 60
mv "$WORK/caller-stream-wait-bye.xml" "$WORK/caller-stream-wait-bye.xml.1"
sipp_bg c2pid caller2 90 "$(scen caller-stream-wait-bye.xml wav="$WORK/caller-440.wav")" \
	-p "$(peer_port 4)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 1 -key number 200 \
	-key domain "$ACME_DOMAIN"
# The third customer's phone sends no RTP at all (no stream, no echo).
wait_file web.third "$bpid" 60
rc=0
sipp_run caller3 60 "$(scen caller-wait-bye.xml)" -p "$(peer_port 5)" -mi 127.0.0.1 \
	-mp "$(media_port 4)" -m 1 -key number 200 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller3 "$rc"
rc=0
wait_rc "$c1pid" || rc=$?
expect_sipp_ok caller1 "$rc"
rc=0
wait_rc "$c2pid" || rc=$?
expect_sipp_ok caller2 "$rc"
browser_wait "$bpid"
expect_log 'call=1 event=offer_missed agent=alice reason=rejected status=603'
expect_log 'call=2 event=offer_missed agent=alice reason=timeout'
expect_log 'event=agent_phone_lost agent=alice reason=closed'
expect_log 'event=agent_phone_back agent=alice'
expect_log 'event=agent_phone_lost agent=alice reason=dtls_failed'
stop_server

export_interactions
check_interactions '
assert len(ix) == 3, "%d interactions" % len(ix)
for i in ix[:2]:
    assert i["agent"] == "ben" and i["answered"], i
    offered = [e.get("agent") for e in i["timeline"] if e["event"] == "offered"]
    assert offered[:2] == ["alice", "ben"], i["timeline"]
    missed = [e.get("agent") for e in i["timeline"] if e["event"] == "offer_missed"]
    assert missed == ["alice"], i["timeline"]
assert ix[2]["agent"] == "alice" and ix[2]["answered"], ix[2]
'
