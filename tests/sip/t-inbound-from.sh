#!/usr/bin/env bash
# A tenant whose carrier sends from fixed addresses (trunk inbound_from) takes calls to
# its numbers only from there and from its authenticated phones. Number 301 rings bob
# (no phone registered: 480 once routed).
# 1. A stranger at 127.0.0.2 calls 301: 403, logged reason=not_from_trunk, not routed.
# 2. The carrier at 127.0.0.1 (inbound_from) calls 301: routed (480 from bob's routing).
# 3. alice's phone at 127.0.0.2 calls 301: challenged (407), authenticated, routed (480).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
      - {username: bob, sip: {user: bob, password: bob-pw}}
    numbers:
      - {number: "301", user: bob}
    trunks:
      - {id: pstn, uri: "sip:192.0.2.1:5060", inbound_from: ["127.0.0.1/32"]}
YAML
start_server

call() { # call NAME SOURCE_IP FROM_USER STATUS PORT_K
	local rc=0
	timeout -k 3 20 sipp 127.0.0.1:"$SIP_PORT" -sf "$(scen caller-rejected.xml number=301 \
		domain=127.0.0.1 from_user="$3" from_host=client.invalid fmt=0 \
		rtpmap="a=rtpmap:0 PCMU/8000" status="$4")" -i "$2" -p "$(peer_port "$5")" -m 1 \
		-nostdin -timeout 15s -timeout_error -trace_err -error_file "$WORK/$1.err" \
		>"$WORK/$1.out" 2>&1 || rc=$?
	expect_sipp_ok "$1" "$rc"
}

call stranger 127.0.0.2 48221234567 403 1
wait_log 'tenant=acme event=rejected status=403 reason=not_from_trunk number=301 source=127.0.0.2:' 5
expect_no_log 'event=incoming'

call carrier 127.0.0.1 48221234567 480 2
wait_log 'tenant=acme call=1 event=incoming from=48221234567 number=301 source=127.0.0.1:' 5

rc=0
timeout -k 3 20 sipp 127.0.0.1:"$SIP_PORT" -sf "$(scen caller-auth.xml number=301 \
	domain="$ACME_DOMAIN" from_user=alice status=480)" -i 127.0.0.2 -p "$(peer_port 3)" \
	-mi 127.0.0.2 -mp "$(media_port 1)" -m 1 -au alice -ap alice-pw \
	-auth_uri "301@$ACME_DOMAIN" -nostdin -timeout 15s -timeout_error -trace_err \
	-error_file "$WORK/phone.err" >"$WORK/phone.out" 2>&1 || rc=$?
expect_sipp_ok phone "$rc"
wait_log 'tenant=acme call=2 event=incoming from=alice number=301 source=127.0.0.2:' 5
stop_server
