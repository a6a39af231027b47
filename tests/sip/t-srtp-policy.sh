#!/usr/bin/env bash
# The SRTP rules of tenants and trunks, at the signalling level (the media itself is
# tested with baresip in tests/e2e/t-baresip-srtp.sh):
#   acme  srtp: required  - a plain RTP offer is refused with 488 (reason=srtp_required);
#                          an SRTP offer rings alice with an RTP/SAVP offer and a key;
#   beta  srtp: off       - an RTP/SAVP offer is refused with 488 (reason=srtp_off);
#   gamma srtp: optional, its trunk `carrier` (127.0.0.1, where SIPp calls from) srtp:
#                          required - a plain offer from the trunk is refused, naming the
#                          trunk; an RTP/SAVP offer is answered RTP/SAVP with our key.
#   delta srtp: optional (the default) - the legs we place offer best-effort SRTP
#                          (RTP/AVP with an a=crypto key): bob's phone takes the key and
#                          the caller's audio reaches it encrypted (each 160-byte PCMU
#                          frame carries the 10-byte SRTP tag), carol's plain phone
#                          answers plain RTP/AVP and gets the audio in the clear;
#   eps   a trunk with srtp: required - dave's call out through it offers RTP/SAVP
#                          with a key, and the carrier's SRTP answer is bridged.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    domain: $ACME_DOMAIN
    srtp: required
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
    numbers:
      - {number: "300", user: alice}
  - id: beta
    domain: beta.test
    srtp: off
    queues:
      - {id: q}
    numbers:
      - {number: "201", queue: q}
  - id: gamma
    domain: gamma.test
    queues:
      - {id: g}
    numbers:
      - {number: "202", queue: g}
    trunks:
      - {id: carrier, uri: "sip:127.0.0.1:5999", srtp: required}
  - id: delta
    domain: delta.test
    users:
      - {username: bob, sip: {user: bob, password: bob-pw}}
      - {username: carol, sip: {user: carol, password: carol-pw}}
    numbers:
      - {number: "400", user: bob}
      - {number: "401", user: carol}
  - id: eps
    domain: eps.test
    users:
      - {username: dave, sip: {user: dave, password: dave-pw}}
    trunks:
      - {id: secure, uri: "sip:127.0.0.1:$(peer_port 30)", srtp: required}
YAML
start_server

plain_refused() { # NAME NUMBER DOMAIN
	local rc=0
	sipp_run "$1" 15 "$(scen caller-rejected.xml number="$2" domain="$3" from_user=customer \
		from_host=client.invalid fmt=0 rtpmap='a=rtpmap:0 PCMU/8000' status=488)" \
		-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1 || rc=$?
	expect_sipp_ok "$1" "$rc"
}

# acme requires SRTP: a plain offer is refused.
plain_refused acme-plain 300 "$ACME_DOMAIN"
wait_log "tenant=acme event=rejected status=488 reason=srtp_required number=300 source=127.0.0.1:$(peer_port 3)\$" 5

# acme: an SRTP offer rings alice's phone with an SRTP offer of its own (her SIPp phone
# cannot take it and declines; what matters is what it was offered).
sipp_bg apid agent 30 "$(scen queue-agent-reject.xml ring_ms=100 status=486 reason='Busy Here')" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
timeout -k 3 20 sipp 127.0.0.1:"$SIP_PORT" -sf "$(scen caller-savp-refused.xml number=300 \
	domain="$ACME_DOMAIN" status=486)" -i 127.0.0.1 -p "$(peer_port 4)" -mp "$(media_port 3)" \
	-m 1 -nostdin -timeout 15s -timeout_error >"$WORK/acme-savp.out" 2>&1 || true
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent "$rc"
grep -q 'm=audio [0-9]* RTP/SAVP ' "$WORK/agent.msg" || fail "alice was not offered RTP/SAVP"
grep -qE 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}' "$WORK/agent.msg" ||
	fail "alice's offer has no key"
expect_no_log 'tenant=acme event=rejected status=488 reason=srtp_required number=300 source=127.0.0.1:'"$(peer_port 4)"

# beta has SRTP off: an RTP/SAVP offer is refused.
rc=0
sipp_run beta-savp 15 "$(scen caller-savp-refused.xml number=201 domain=beta.test status=488)" \
	-p "$(peer_port 5)" -mi 127.0.0.1 -mp "$(media_port 4)" -m 1 || rc=$?
expect_sipp_ok beta-savp "$rc"
wait_log 'tenant=beta event=rejected status=488 reason=srtp_off number=201 ' 5

# gamma's trunk requires SRTP: its plain offer is refused, naming the trunk...
plain_refused gamma-plain 202 gamma.test
wait_log 'tenant=gamma event=rejected status=488 reason=srtp_required number=202 .* trunk=carrier' 5
# ... and its SRTP offer is answered with SRTP.
rc=0
sipp_run gamma-savp 15 "$(scen caller-savp.xml number=202 domain=gamma.test talk_ms=500)" \
	-p "$(peer_port 6)" -mi 127.0.0.1 -mp "$(media_port 5)" -m 1 || rc=$?
expect_sipp_ok gamma-savp "$rc"
grep -q 'answer: m=audio [0-9]* RTP/SAVP 0 a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' \
	"$WORK/gamma-savp.log" || fail "gamma's answer: $(cat "$WORK/gamma-savp.log")"
wait_log 'tenant=gamma call=[0-9]+ event=interaction ' 5

make_tone "$WORK/caller-440.wav" 440 5
LISTEN=$(media_port 8)

# delta: an outgoing leg to a phone, which answers with [crypto] in [proto]; the
# caller's audio reaches the phone's media address, where a listener counts it.
# usage: optional_leg USER NUMBER PROTO CRYPTO_LINE
optional_leg() {
	local user=$1 number=$2 rc=0 lpid
	sipp_bg ppid "$user" 30 "$(scen agent-srtp-answer.xml proto="$3" crypto="$4" \
		rtp_port="$LISTEN")" -p "$(peer_port 12)" -mp "$(media_port 7)" -m 1
	sipp_run "register-$user" 15 "$(scen register.xml)" -p "$(peer_port 22)" -m 1 \
		-au "$user" -ap "$user-pw" -auth_uri delta.test -key user "$user" -key domain delta.test \
		-key contact_port "$(peer_port 12)" -key expires 600 || rc=$?
	expect_sipp_ok "register-$user" "$rc"
	wait_log "event=registered user=$user " 5
	python3 "$SCEN/queue_rtp.py" "$LISTEN" 15 "$WORK/$user-rtp.json" &
	lpid=$!
	_BG_PIDS+=("$lpid")
	sipp_run "call-$user" 30 "$(scen caller.xml number="$number" domain=delta.test \
		wav="$WORK/caller-440.wav" talk_ms=2000)" -p "$(peer_port 7)" -mi 127.0.0.1 \
		-mp "$(media_port 6)" -m 1 || rc=$?
	expect_sipp_ok "call-$user" "$rc"
	rc=0
	wait_rc "$ppid" || rc=$?
	expect_sipp_ok "$user" "$rc"
	kill -TERM "$lpid" 2>/dev/null || true
	wait "$lpid" || true
	grep -q '^offer m=RTP/AVP$' "$WORK/$user.log" ||
		fail "$user was not offered RTP/AVP: $(cat "$WORK/$user.log")"
	grep -qE '^offer key=a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}$' \
		"$WORK/$user.log" || fail "$user's offer carries no key: $(cat "$WORK/$user.log")"
}

# A phone that takes the key: the audio it gets is SRTP (160 + 10 bytes a packet).
optional_leg bob 400 AVP "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
python3 - "$WORK/bob-rtp.json" <<'PY' || fail "bob's media: $(cat "$WORK/bob-rtp.json")"
import json, sys
st = json.load(open(sys.argv[1]))
assert st["packets"] >= 50, st
assert st["payload_bytes"] == 170 * st["packets"], st
PY
# A plain phone: plain RTP/AVP, the call goes on in the clear.
optional_leg carol 401 AVP "a=sendrecv"
python3 - "$WORK/carol-rtp.json" <<'PY' || fail "carol's media: $(cat "$WORK/carol-rtp.json")"
import json, sys
st = json.load(open(sys.argv[1]))
assert st["packets"] >= 50, st
assert st["payload_bytes"] == 160 * st["packets"], st
PY
expect_no_log 'event=bad_answer'

# eps: a trunk with srtp: required offers RTP/SAVP with a key, and takes the SRTP answer.
NUMBER=0048221234567
sipp_bg cpid carrier 30 "$(scen agent-srtp-answer.xml proto=SAVP \
	crypto="a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" \
	rtp_port="$LISTEN")" -p "$(peer_port 30)" -mp "$(media_port 7)" -m 1
rc=0
sipp_run dave 30 "$(scen trunk-phone-call.xml talk_ms=1000)" -p "$(peer_port 8)" \
	-mi 127.0.0.1 -mp "$(media_port 6)" -rtp_echo -m 1 -au dave -ap dave-pw \
	-auth_uri "$NUMBER@eps.test" -key number "$NUMBER" -key domain eps.test -key from_user dave ||
	rc=$?
expect_sipp_ok dave "$rc"
rc=0
wait_rc "$cpid" || rc=$?
expect_sipp_ok carrier "$rc"
grep -q '^offer m=RTP/SAVP$' "$WORK/carrier.log" ||
	fail "the trunk was not offered RTP/SAVP: $(cat "$WORK/carrier.log")"
grep -qE '^offer key=a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}$' \
	"$WORK/carrier.log" || fail "the trunk's offer carries no key"
wait_log 'tenant=eps call=[0-9]+ event=interaction ' 5
expect_log 'tenant=eps call=[0-9]+ event=bridged'
stop_server
