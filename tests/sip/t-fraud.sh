#!/usr/bin/env bash
# Toll-fraud attempts, all refused: nobody but the tenant's rules decides what goes out
# through its trunk. Tenant acme (country PL) has trunk pstn (a SIPp carrier that
# answers 486 to whatever it gets) and outbound: {per_user_hour: 2}; the default
# premium/satellite blocks apply.
# 1. Spoofed From with a callback: a stranger at 127.0.0.2 claiming +48221234567 waits
#    in queue support (callback digit 1) and presses 1: no callback is taken.
# 2. REFER from an unauthenticated leg: the stranger calls alice (number 300), she
#    answers, the stranger sends REFER to +48221234567: NOTIFY 403, nothing dialled.
# 3. A transfer node fed a caller-controlled variable: flow `xfer` (number 101)
#    transfers to "{caller}"; the stranger's From is the satellite number
#    +881612345678: refused (blocked_prefix, via=flow), the flow takes `failed`.
# 4. A registered, authenticated phone dials a premium/satellite prefix: alice dials
#    +881612345678 and 0048701234567 (PL 70x premium): 403, reason blocked_prefix.
# 5. The API's click-to-dial to a satellite number: 403 "refused", alice's phone is not
#    rung.
# 6. A burst beyond the caps: alice dials +48221234567 three times; the carrier gets
#    two INVITEs (486 each), the third is refused (user_hour_cap) with 403.
# 7. A transfer by a user over her calls per hour: alice, talking to a caller, sends it
#    through the API to +48221234567: 409, refused (user_hour_cap, via=transfer,
#    user=alice) before she is let go, so she keeps the caller; the carrier sees nothing.
# 8. Bursts beyond the tenant's caps: tenant beta (outbound: {max_concurrent: 2,
#    per_hour: 3}, its carrier rings 2.5 s then answers 486) - bob places two calls at
#    once, a third while they ring is refused (concurrent_cap); once they ended, a third
#    goes out and a fourth is refused (tenant_hour_cap).
# acme's carrier sees exactly the two INVITEs of 6, beta's the three of 8; every refusal
# is logged with its reason and is on the interaction's timeline.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

pcap=/usr/share/sip-tester/dtmf_2833_1.pcap
[ -r "$pcap" ] || skip "$pcap not found (package sip-tester)"
trunk_port=$(peer_port 30)
OK_NUMBER=+48221234567

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    country: PL
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}}
      - {username: sue, password: sue-secret, roles: [supervisor]}
    queues:
      - {id: support, strategy: longest-idle, callback_digit: "1"}
    numbers:
      - {number: "200", queue: support}
      - {number: "300", user: alice}
      - {number: "101", flow: xfer}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
    outbound: {per_user_hour: 2}
    flows:
      xfer:
        start: out
        nodes:
          out: {type: transfer, number: "{caller}", failed: bye}
          bye: {type: hangup, prompt: thank-you}
  - id: beta
    domain: beta.test
    country: PL
    users:
      - {username: bob, sip: {user: bob, password: bob-pw}}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$(peer_port 31)"}
    outbound: {max_concurrent: 2, per_hour: 3}
YAML
start_server

sipp_bg trunk_pid carrier 90 "$(scen queue-agent-reject.xml ring_ms=100 status=486 \
	reason='Busy Here')" -p "$trunk_port" -m 2

# 1. Spoofed From, callback digit.
spoofed=$WORK/spoofed-dtmf.xml
sed "s|<sip:customer@client.invalid>|<sip:$OK_NUMBER@client.invalid>|" \
	"$(scen caller-dtmf.xml pcap="$pcap")" >"$spoofed"
rc=0
sipp_run stranger-cb 30 "$spoofed" -i 127.0.0.2 -p "$(peer_port 1)" -mi 127.0.0.2 \
	-mp "$(media_port 1)" -m 1 -key number 200 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok stranger-cb "$rc"
wait_log 'tenant=acme call=1 event=digit digit=1 leg=0' 5
wait_log 'tenant=acme call=1 event=interaction ' 10
expect_no_log 'event=callback_requested'

# 2. The stranger, bridged to alice, asks the server to call out for it.
sipp_bg alice_pid agent-alice 40 "$(scen agent-answer.xml ring_ms=200)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 4)" -rtp_echo -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
rc=0
sipp_run stranger-refer 30 "$(scen caller-refer.xml)" -i 127.0.0.2 -p "$(peer_port 2)" \
	-mi 127.0.0.2 -mp "$(media_port 2)" -m 1 -key number 300 -key domain "$ACME_DOMAIN" \
	-key target "$OK_NUMBER" || rc=$?
expect_sipp_ok stranger-refer "$rc"
grep -q 'notify SIP/2.0 403' "$WORK/stranger-refer.log" ||
	fail "the stranger's REFER got no NOTIFY 403: $(cat "$WORK/stranger-refer.log")"
wait_log "tenant=acme call=2 event=refer_refused to=\\$OK_NUMBER" 5
wait_rc "$alice_pid" || true

# 3. A flow's transfer to the number the caller wrote in its From.
rc=0
sipp_run stranger-flow 30 "$(scen ivr-cb-caller.xml)" -i 127.0.0.2 -p "$(peer_port 3)" \
	-mi 127.0.0.2 -mp "$(media_port 3)" -m 1 -key number 101 -key domain "$ACME_DOMAIN" \
	-key from +881612345678 || rc=$?
expect_sipp_ok stranger-flow "$rc"
wait_log 'tenant=acme call=3 event=outbound_refused reason=blocked_prefix via=flow number=\+881612345678' 5
wait_log 'tenant=acme call=3 event=ivr_node flow=xfer node=bye' 5

# 4. alice, authenticated, dials a satellite and a premium number.
# dial NAME NUMBER STATUS PORT_K [USER DOMAIN MEDIA_K] (a 180 relayed from the carrier
# may come first)
dial_scen() {
	local sc=$WORK/dial-$1.xml
	sed 's|^  <recv response="\(4[0-9][0-9]\)"/>$|  <recv response="180" optional="true"/>\n&|' \
		"$(scen caller-auth.xml number="$2" domain="$4" from_user="$3" status="$5")" >"$sc"
	echo "$sc"
}
dial() {
	local rc=0 user=${5:-alice} dom=${6:-$ACME_DOMAIN}
	sipp_run "$1" 20 "$(dial_scen "$1" "$2" "$user" "$dom" "$3")" -p "$(peer_port "$4")" \
		-mi 127.0.0.1 -mp "$(media_port "${7:-5}")" -m 1 -au "$user" -ap "$user-pw" \
		-auth_uri "$2@$dom" || rc=$?
	expect_sipp_ok "$1" "$rc"
}
dial sat +881612345678 403 5
wait_log 'event=outbound_refused reason=blocked_prefix via=phone number=\+881612345678 user=alice' 5
dial premium 0048701234567 403 6
wait_log 'event=outbound_refused reason=blocked_prefix via=phone number=0048701234567 user=alice' 5

# 5. Click-to-dial through the API.
wait_log 'event=http_listening' 5
"$PYTHON" - "$API_PORT" "$SCEN" <<'PY' || fail "click-to-dial to a satellite number was not refused"
import sys
sys.path.insert(0, sys.argv[2])
from api import Api
api = Api(int(sys.argv[1]))
alice = api.login("acme", "alice", "alice-secret")
st, b, _ = api.call("POST", "/api/v1/calls", alice, {"number": "+881612345678"})
assert st == 403 and b["error"]["code"] == "refused", (st, b)
PY
wait_log 'tenant=acme event=outbound_refused reason=blocked_prefix via=api number=\+881612345678 user=alice' 5
expect_no_log 'event=click_to_dial'

# 6. A burst beyond alice's calls per hour.
dial burst1 "$OK_NUMBER" 486 7
dial burst2 "$OK_NUMBER" 486 8
dial burst3 "$OK_NUMBER" 403 9
wait_log 'event=outbound_refused reason=user_hour_cap via=phone number=\+48221234567 user=alice' 5
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok carrier "$rc"

# 7. alice, over her calls per hour, transfers a caller to an outside number.
sipp_bg alice_pid agent-alice2 40 "$(scen agent-answer.xml ring_ms=200)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 4)" -rtp_echo -m 1
sipp_bg caller_pid xfer-caller 30 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 12)" -mi 127.0.0.1 \
	-mp "$(media_port 6)" -rtp_echo -m 1 -key number 300 -key domain "$ACME_DOMAIN"
"$PYTHON" - "$API_PORT" "$SCEN" "$OK_NUMBER" <<'PY' || fail "alice's transfer over her cap was not refused"
import sys
sys.path.insert(0, sys.argv[2])
from api import Api, refused_number_transfer
api = Api(int(sys.argv[1]))
refused_number_transfer(api, api.login("acme", "alice", "alice-secret"),
                        api.login("acme", "sue", "sue-secret"), "alice", sys.argv[3])
PY
wait_log 'tenant=acme call=[0-9]+ event=outbound_refused reason=user_hour_cap via=transfer number=\+48221234567 user=alice' 5
for p in "$caller_pid" "$alice_pid"; do
	rc=0
	wait_rc "$p" || rc=$?
	expect_sipp_ok "transfer's caller or agent" "$rc"
done

# 8. Bursts beyond beta's concurrent and hourly caps.
sipp_bg beta_trunk carrier-beta 60 "$(scen queue-agent-reject.xml ring_ms=2500 status=486 \
	reason='Busy Here')" -p "$(peer_port 31)" -mp "$(media_port 9)" -m 3
rc=0
sipp_bg b1 beta1 20 "$(dial_scen beta1 "$OK_NUMBER" bob beta.test 486)" -p "$(peer_port 13)" \
	-mi 127.0.0.1 -mp "$(media_port 7)" -m 1 -au bob -ap bob-pw -auth_uri "$OK_NUMBER@beta.test"
sipp_bg b2 beta2 20 "$(dial_scen beta2 "$OK_NUMBER" bob beta.test 486)" -p "$(peer_port 14)" \
	-mi 127.0.0.1 -mp "$(media_port 8)" -m 1 -au bob -ap bob-pw -auth_uri "$OK_NUMBER@beta.test"
for _ in $(seq 50); do
	[ "$(grep -c 'offer from=' "$WORK/carrier-beta.log" 2>/dev/null)" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'offer from=' "$WORK/carrier-beta.log")" = 2 ] || fail "beta's two calls are not ringing"
dial beta3 "$OK_NUMBER" 403 15 bob beta.test
wait_log 'tenant=beta call=[0-9]+ event=outbound_refused reason=concurrent_cap via=phone number=\+48221234567 user=bob' 5
for p in "$b1" "$b2"; do
	rc=0
	wait_rc "$p" || rc=$?
	expect_sipp_ok "beta's burst" "$rc"
done
dial beta4 "$OK_NUMBER" 486 15 bob beta.test
dial beta5 "$OK_NUMBER" 403 16 bob beta.test
wait_log 'tenant=beta call=[0-9]+ event=outbound_refused reason=tenant_hour_cap via=phone number=\+48221234567 user=bob' 5
rc=0
wait_rc "$beta_trunk" || rc=$?
expect_sipp_ok carrier-beta "$rc"
stop_server

n=$(grep -c '^INVITE ' "$WORK/carrier.msg" || true)
[ "$n" -eq 2 ] || fail "the carrier got $n INVITEs, want the 2 of the burst: $(grep '^INVITE' "$WORK/carrier.msg")"
[ "$(grep -cF "INVITE sip:$OK_NUMBER@" "$WORK/carrier.msg")" -eq 2 ] ||
	fail "the carrier's INVITEs were not for $OK_NUMBER"
[ "$(grep -c 'tenant=acme call=[0-9]* event=dialled' "$SERVER_LOG")" -eq 2 ] ||
	fail "want 2 dialled legs: $(grep 'event=dialled' "$SERVER_LOG")"
n=$(grep -c "^INVITE sip:$OK_NUMBER@" "$WORK/carrier-beta.msg" || true)
[ "$n" -eq 3 ] || fail "beta's carrier got $n INVITEs, want 3"

export_interactions
check_interactions '
refusals = sorted(e["reason"] for i in ix for e in i["timeline"] if e["event"] == "outbound_refused")
assert refusals == (["blocked_prefix"] * 3 + ["concurrent_cap", "tenant_hour_cap"]
                    + ["user_hour_cap"] * 2), refusals
assert any(e["event"] == "refer_refused" for i in ix for e in i["timeline"]), "no refer_refused"
'
