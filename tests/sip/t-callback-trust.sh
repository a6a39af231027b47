#!/usr/bin/env bash
# Callbacks dial only numbers something vouches for, through the trunk the tenant's
# rules choose. Tenant acme: queue support (number 200, callback digit 1, agent alice),
# flow main on number 100 whose `callback` node dials "{caller}"; trunks pstn and intl
# (both on 127.0.0.1, SIPp carriers) with outbound: {trunk: pstn, routes: [+44 → intl]}.
# 1. A stranger at 127.0.0.2 (no trunk's address) calls 200 claiming to be
#    +449012345678 and presses 1: no callback is taken (the digit is just a digit).
# 2. The same stranger calls 100: the flow's callback to "{caller}" is refused
#    (event=callback_refused reason=untrusted_number), nothing is queued.
# 3. The carrier (127.0.0.1, trunk pstn's host) delivers a call to 200 with From
#    "anonymous" and P-Asserted-Identity +447700900123; the customer presses 1 and
#    leaves a callback for the asserted number. alice registers and answers; the
#    callback goes out through trunk intl (route +44), not pstn, to +447700900123.
# No trunk gets any other INVITE.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

pcap=/usr/share/sip-tester/dtmf_2833_1.pcap
[ -r "$pcap" ] || skip "$pcap not found (package sip-tester)"
GOOD=+447700900123
pstn_port=$(peer_port 30)
intl_port=$(peer_port 31)

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 15s, callback_digit: "1"}
    numbers:
      - {number: "200", queue: support}
      - {number: "100", flow: main}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$pstn_port"}
      - {id: intl, uri: "sip:127.0.0.1:$intl_port"}
    outbound: {trunk: pstn, routes: [{prefix: "+44", trunk: intl}]}
    flows:
      main:
        start: cb
        nodes:
          cb: {type: callback, queue: support, number: "{caller}", next: bye}
          bye: {type: hangup, prompt: thank-you}
YAML
start_server

# A pstn carrier that must get nothing: it would answer anything it got.
sipp_bg pstn_pid pstn 60 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$pstn_port" \
	-mi 127.0.0.1 -mp "$(media_port 6)" -rtp_echo -m 1

# 1. Spoofed From, virtual hold digit, from a stranger's address.
spoofed=$WORK/spoofed-dtmf.xml
sed 's|<sip:customer@client.invalid>|<sip:+449012345678@client.invalid>|' \
	"$(scen caller-dtmf.xml pcap="$pcap")" >"$spoofed"
rc=0
sipp_run stranger1 30 "$spoofed" -i 127.0.0.2 -p "$(peer_port 1)" -mi 127.0.0.2 \
	-mp "$(media_port 1)" -m 1 -key number 200 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok stranger1 "$rc"
wait_log 'tenant=acme call=1 event=digit digit=1 leg=0' 5
wait_log 'tenant=acme call=1 event=interaction ' 10
expect_no_log 'call=1 event=(callback_requested|identity)'

# 2. The flow's callback node fed the stranger's From.
rc=0
sipp_run stranger2 30 "$(scen ivr-cb-caller.xml)" -i 127.0.0.2 -p "$(peer_port 2)" \
	-mi 127.0.0.2 -mp "$(media_port 2)" -m 1 -key number 100 -key domain "$ACME_DOMAIN" \
	-key from +449012345678 || rc=$?
expect_sipp_ok stranger2 "$rc"
wait_log 'tenant=acme call=2 event=callback_refused reason=untrusted_number number=\+449012345678' 5
expect_no_log 'event=callback_requested'

# 3. The carrier asserts the caller's number; the callback takes the +44 route.
sipp_bg intl_pid intl 60 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$intl_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
asserted=$WORK/asserted-cb.xml
sed "s|^\\(      From: .*\\)\$|\\1\\n      P-Asserted-Identity: <sip:$GOOD@carrier.invalid>|" \
	"$(scen queue-cb-caller.xml number=200 domain="$ACME_DOMAIN" from=anonymous hold_ms=1500 \
		pcap="$pcap")" >"$asserted"
grep -q "^      P-Asserted-Identity: <sip:$GOOD@" "$asserted" || fail "no PAI in $asserted"
rc=0
sipp_run carrier 40 "$asserted" -p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 1 ||
	rc=$?
expect_sipp_ok carrier "$rc"
wait_log "tenant=acme call=3 event=identity number=\\$GOOD by=pstn" 5
wait_log 'tenant=acme call=3 event=callback_requested queue=support' 5
sipp_bg alice_pid agent-alice 60 "$(scen agent-answer.xml ring_ms=300)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 4)" -rtp_echo -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'tenant=acme call=3 event=dialled trunk=intl' 15
wait_log 'tenant=acme call=3 event=callback_connected' 15
grep -qF "INVITE sip:$GOOD@127.0.0.1:$intl_port SIP/2.0" "$WORK/intl.msg" ||
	fail "trunk intl got no INVITE for $GOOD: $(grep '^INVITE' "$WORK/intl.msg")"
kill -TERM "$alice_pid" "$intl_pid" 2>/dev/null || true
stop_server
[ ! -s "$WORK/pstn.msg" ] || ! grep -q '^INVITE' "$WORK/pstn.msg" ||
	fail "trunk pstn was dialled: $(grep '^INVITE' "$WORK/pstn.msg")"
expect_no_log 'event=dialled trunk=pstn'
