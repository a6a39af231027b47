#!/usr/bin/env bash
# The SRTP rules of tenants and trunks, at the signalling level (the media itself is
# tested with baresip in tests/e2e/t-baresip-srtp.sh):
#   acme  srtp: required  - a plain RTP offer is refused with 488 (reason=srtp_required);
#                          an SRTP offer rings alice with an RTP/SAVP offer and a key;
#   beta  srtp: off       - an RTP/SAVP offer is refused with 488 (reason=srtp_off);
#   gamma srtp: optional, its trunk `carrier` (127.0.0.1, where SIPp calls from) srtp:
#                          required - a plain offer from the trunk is refused, naming the
#                          trunk; an RTP/SAVP offer is answered RTP/SAVP with our key.
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
stop_server
