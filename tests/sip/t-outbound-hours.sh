#!/usr/bin/env bash
# Calling hours for agent-dialled calls (outbound.hours): tenant acme's calendar `shut`
# is closed all week, so alice's authenticated phone dialling out gets 403, logged
# reason=outside_hours and on the interaction's timeline; the carrier gets nothing.
# Tenant beta has the same rules with calendar `always` (24 h): bob's call goes out.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

trunk_port=$(peer_port 30)
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
    calendars:
      shut: {weekly: {daily: closed}}
    outbound: {hours: shut}
  - id: beta
    name: Beta
    domain: beta.test
    users:
      - {username: bob, sip: {user: bob, password: bob-pw}}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
    calendars:
      always: {weekly: {daily: 24h}}
    outbound: {hours: always}
YAML
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "check: $(cat "$WORK/check.out")"
start_server

sipp_bg trunk_pid carrier 40 "$(scen queue-agent-reject.xml ring_ms=100 status=486 \
	reason='Busy Here')" -p "$trunk_port" -m 1

dial() { # dial NAME USER PASS DOMAIN STATUS PORT_K
	local rc=0 sc=$WORK/dial-$1.xml
	sed 's|^  <recv response="\(4[0-9][0-9]\)"/>$|  <recv response="180" optional="true"/>\n&|' \
		"$(scen caller-auth.xml number=+48221234567 domain="$4" from_user="$2" \
			status="$5")" >"$sc"
	sipp_run "$1" 20 "$sc" -p "$(peer_port "$6")" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1 \
		-au "$2" -ap "$3" -auth_uri "+48221234567@$4" || rc=$?
	expect_sipp_ok "$1" "$rc"
}
dial alice alice alice-pw "$ACME_DOMAIN" 403 1
wait_log 'tenant=acme call=1 event=outbound_refused reason=outside_hours via=phone' 5
dial bob bob bob-pw beta.test 486 2
wait_log 'tenant=beta call=2 event=dialled trunk=pstn' 5
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok carrier "$rc"
stop_server
[ "$(grep -c '^INVITE ' "$WORK/carrier.msg")" -eq 1 ] || fail "the carrier got other INVITEs than bob's"

export_interactions
check_interactions '
by = {i["agent"]: i for i in ix}
ev = [e for e in by["alice"]["timeline"] if e["event"] == "outbound_refused"]
assert [e["reason"] for e in ev] == ["outside_hours"], by["alice"]["timeline"]
'
