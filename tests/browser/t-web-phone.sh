#!/usr/bin/env bash
# The browser phone (tests/browser/phone.mjs): alice logs in to the desktop with "use
# this browser as my phone" in headless Chromium, whose fake microphone plays a 1000 Hz
# tone; her WebRTC session (ICE-lite, DTLS-SRTP) comes up and she goes ready. Refused
# first: bad SDP, an admin, a tenant with browser_phone: false. A SIPp customer
# streaming 440 Hz reaches the queue; the page rings, she answers there and the page
# hears 440 Hz (WebAudio analyser); a digit from the page's keypad, hold and resume are
# on the timeline; she hangs up from the page (the customer gets a BYE). A second
# customer's call is listened to by supervisor bob from his own browser phone and
# survives an ICE restart from alice's page; the customer hangs up himself and the page
# goes back to ready. A third customer is transferred from the page's call to dave's SIP
# phone (blind, through the API). Last, alice clicks to dial: the page answers by itself
# and hears her own tone echoed by the carrier behind the trunk. The first call's stereo recording holds 440 Hz on the customer's
# channel and 1000 Hz on the agent's. Chromium runs against 127.0.0.1, the server's RTP
# address here.
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
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: ann, password: ann-secret, roles: [admin]}
      - {username: dave, password: dave-secret, sip: {user: dave, password: dave-pw}}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 1s, ring_timeout: 30s}
    numbers:
      - {number: "200", queue: support}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$(peer_port 30)"}
  - id: beta
    domain: beta.test
    browser_phone: false
    users:
      - {username: carol, password: carol-secret, roles: [agent], queues: {sales: 0}}
    queues:
      - {id: sales}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

# Chromium's fake microphone: 16-bit PCM at 48 kHz, 1000 Hz.
sox -q -n -r 48000 -c 1 -b 16 -e signed-integer "$WORK/agent-1000.wav" synth 120 sine 1000 vol 0.5
make_tone "$WORK/caller-440.wav" 440 30
export PHONE_WAV=$WORK/agent-1000.wav

# The carrier behind the trunk, for the click-to-dial at the end: it answers and echoes.
sipp_bg tpid trunk 180 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$(peer_port 30)" \
	-mi 127.0.0.1 -mp "$(media_port 6)" -rtp_echo -m 1

browser_bg bpid phone.mjs
wait_file web.ready "$bpid" 60
rc=0
sipp_run caller 60 "$(scen caller-stream-wait-bye.xml wav="$WORK/caller-440.wav")" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 -key number 200 \
	-key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=agent' 10

wait_file web.second "$bpid" 30
mv "$WORK/caller-queue-talk.xml" "$WORK/caller-queue-talk.xml.old" 2>/dev/null || true
rc=0
sipp_run caller2 60 "$(scen caller-queue-talk.xml wav="$WORK/caller-440.wav" talk_ms=25000)" \
	-p "$(peer_port 4)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 1 -key number 200 \
	-key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller2 "$rc"
wait_log 'tenant=acme call=2 event=interaction .* answered=1 .* hangup_by=caller' 10

# The third customer is transferred from the browser phone to dave's SIP phone.
sipp_bg dpid dave-phone 60 "$(scen agent-answer.xml ring_ms=300)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
register_agent dave dave-pw "$(peer_port 11)" "$(peer_port 21)"
wait_file web.third "$bpid" 30
mv "$WORK/caller-stream-wait-bye.xml" "$WORK/caller-stream-wait-bye.xml.1"
rc=0
sipp_run caller3 60 "$(scen caller-stream-wait-bye.xml wav="$WORK/caller-440.wav")" \
	-p "$(peer_port 5)" -mi 127.0.0.1 -mp "$(media_port 4)" -m 1 -key number 200 \
	-key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller3 "$rc"
rc=0
wait_rc "$dpid" || rc=$?
expect_sipp_ok dave-phone "$rc"
browser_wait "$bpid"
expect_log 'event=phone_connected agent=alice'
expect_log 'event=phone_renegotiated agent=alice ice_restart=1'
stop_server

export_interactions
check_interactions '
assert len(ix) == 4, "%d interactions" % len(ix)
ev = [e["event"] for e in ix[0]["timeline"]]
assert "held" in ev and "unheld" in ev, ev
ev2 = [e["event"] for e in ix[1]["timeline"]]
assert "third_party_answered" in ev2 and "third_party_left" in ev2, ev2
ev3 = [e for e in ix[2]["timeline"] if e["event"] == "transferred"]
assert ev3 and ev3[0].get("to") == "dave", ix[2]["timeline"]
ev4 = [e["event"] for e in ix[3]["timeline"]]
assert ix[3]["direction"] == "outbound" and "click_to_dial" in ev4 and "answered" in ev4, ix[3]
digits = [e for e in ix[0]["timeline"] if e["event"] == "digit"]
assert digits and digits[0].get("digit") == "5", ix[0]["timeline"]
'
rec=$(first_recording)
soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read $rec"
tone_check "$rec" 0 440 1000 || fail "the customer's channel (left) does not hold 440 Hz"
tone_check "$rec" 1 1000 440 || fail "the agent's channel (right) does not hold the browser's 1000 Hz"
