#!/usr/bin/env bash
# A phone calls out through the tenant's trunk (issue 2: "outbound legs through a
# configured trunk, answering the trunk's digest challenge"; "nothing unauthenticated may
# reach a trunk"). The trunk is a SIPp carrier that challenges every first INVITE (401,
# realm "carrier") and checks the credentials of the second (SIPp verifyauth).
# 1. A stranger (no credentials, not a tenant's user) dials the outside number: 404, and
#    the carrier sees nothing.
# 2. alice's phone dials it: centrala challenges her (407), she answers, centrala dials
#    sip:NUMBER@carrier, answers the carrier's challenge with the trunk's credentials,
#    the call is answered and bridged, alice hangs up after 2 s.
# Asserts: SIPp outcomes, the carrier's log (exactly two INVITEs to the number and "auth
# ok"), the interaction (direction outbound, agent alice, answered, recording).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

NUMBER=0048221234567
CARRIER_PORT=$(peer_port 30)
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$CARRIER_PORT", username: centrala, password: trunk-secret}
YAML
start_server

sipp_bg cpid carrier 30 "$(scen trunk-uas-auth.xml user=centrala pass=trunk-secret)" \
	-p "$CARRIER_PORT" -mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1

# 1. No credentials, no tenant user: not ours, and never the trunk's.
rc=0
sipp_run stranger 15 "$(scen caller-rejected.xml number="$NUMBER" domain=127.0.0.1 \
	from_user=stranger from_host=client.invalid fmt=0 rtpmap="a=rtpmap:0 PCMU/8000" \
	status=404)" -p "$(peer_port 3)" -m 1 || rc=$?
expect_sipp_ok stranger "$rc"
expect_no_log 'event=outbound'

# 2. alice, authenticated, out through the trunk.
rc=0
sipp_run alice 30 "$(scen trunk-phone-call.xml talk_ms=2000)" -p "$(peer_port 4)" \
	-mi 127.0.0.1 -mp "$(media_port 2)" -rtp_echo -m 1 -au alice -ap alice-pw -auth_uri "$NUMBER@$ACME_DOMAIN" \
	-key number "$NUMBER" -key domain "$ACME_DOMAIN" -key from_user alice || rc=$?
expect_sipp_ok alice "$rc"
rc=0
wait_rc "$cpid" || rc=$?
expect_sipp_ok carrier "$rc"
n=$(grep -c "invite ruri=sip:$NUMBER@127.0.0.1:$CARRIER_PORT" "$WORK/carrier.log" || true)
[ "$n" -eq 2 ] || fail "the carrier got $n INVITEs for $NUMBER, want 2 (challenged, then authenticated)"
grep -q 'auth ok' "$WORK/carrier.log" || fail "the carrier did not accept centrala's credentials"
wait_log 'tenant=acme call=[0-9]* event=interaction ' 5
expect_log 'event=outbound user=alice'
expect_log 'event=bridged agent=alice'
expect_no_log 'trunk-secret'
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
i = ix[0]
assert i["direction"] == "outbound", i
assert i["agent"] == "alice" and i["answered"] and i["recording"], i
assert 1.0 <= i["talk_s"] <= 5.0, i
ev = [e["event"] for e in i["timeline"]]
assert ev.index("dialled") < ev.index("answered") < ev.index("ended"), ev
'
