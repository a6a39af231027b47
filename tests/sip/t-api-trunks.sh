#!/usr/bin/env bash
# Trunks through the API while calls are up (docs/api.md, "Trunks"). An admin makes
# trunk pstn to SIPp carrier A (which challenges, then checks the trunk's credentials);
# alice's phone calls out through it and talks for 8 s. Meanwhile the admin moves pstn
# to carrier B without sending the password again; bob's call goes to B, answering B's
# challenge with the kept password, while alice's call on A goes on to its end. The
# trunk is then removed: refused (409 naming the queue) while a queue overflows through
# it, then 204, then 404. Bad bodies get 400 naming the field, another
# tenant's file trunk 409 owned_by_file, reads by a supervisor 200, writes 403.
# Asserts: SIPp outcomes (both calls and both carriers), each carrier's INVITEs and
# "auth ok", the API's answers against the OpenAPI document, no password in any answer,
# the log or the audit, the interactions (outbound, answered, alice's talk time).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

NUMBER=0048221234567
PORT_A=$(peer_port 30)
PORT_B=$(peer_port 31)
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: sam, password: sam-secret, roles: [supervisor]}
      - {username: alice, sip: {user: alice, password: alice-pw}}
      - {username: bob, sip: {user: bob, password: bob-pw}}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [admin]}
    trunks:
      - {id: bt, uri: "sip:127.0.0.1:9"}
YAML
start_server
wait_log 'event=http_listening' 5

api() { "$PYTHON" "$SCEN/api_trunks.py" "$API_PORT" "$@"; }
carrier() { # VAR NAME PORT MEDIA_SLOT
	# A scenario file of its own: the next carrier's scen rewrites the shared one while
	# this SIPp may still be reading it.
	cp "$(scen trunk-uas-auth.xml user=centrala pass=trunk-secret)" "$WORK/$2.xml"
	sipp_bg "$1" "$2" 40 "$WORK/$2.xml" \
		-p "$3" -mi 127.0.0.1 -mp "$(media_port "$4")" -rtp_echo -m 1
}
# phone VAR NAME USER PASSWORD TALK_MS SLOT: a phone user calls NUMBER in the background.
phone() {
	cp "$(scen trunk-phone-call.xml talk_ms="$5")" "$WORK/$2.xml"
	sipp_bg "$1" "$2" 30 "$WORK/$2.xml" -p "$(peer_port "$6")" -mi 127.0.0.1 \
		-mp "$(media_port "$6")" -rtp_echo -m 1 -au "$3" -ap "$4" \
		-auth_uri "$NUMBER@$ACME_DOMAIN" -key number "$NUMBER" -key domain "$ACME_DOMAIN" \
		-key from_user "$3"
}
wait_file() { # FILE REGEX SECONDS
	for _ in $(seq $(($3 * 10))); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1 has no line matching /$2/ after $3 s"
}

carrier a_pid carrier-a "$PORT_A" 1
carrier b_pid carrier-b "$PORT_B" 2
api create "$PORT_A" || fail "making trunk pstn failed"
wait_log 'tenant=acme event=trunk_added trunk=pstn' 2

phone alice_pid alice alice alice-pw 8000 4
wait_file "$WORK/carrier-a.log" 'auth ok' 10
wait_log 'event=bridged' 5
api move "$PORT_B" || fail "moving trunk pstn failed"
wait_log 'tenant=acme event=trunk_changed trunk=pstn' 2

phone bob_pid bob bob bob-pw 1000 5
for p in bob:"$bob_pid" carrier-b:"$b_pid" alice:"$alice_pid" carrier-a:"$a_pid"; do
	rc=0
	wait_rc "${p#*:}" || rc=$?
	expect_sipp_ok "${p%%:*}" "$rc"
done
for c in a b; do
	n=$(grep -c "invite ruri=sip:$NUMBER@127.0.0.1:" "$WORK/carrier-$c.log" || true)
	[ "$n" -eq 2 ] || fail "carrier $c got $n INVITEs, want 2 (challenged, then authenticated)"
	grep -q 'auth ok' "$WORK/carrier-$c.log" || fail "carrier $c refused the trunk's credentials"
done
api delete || fail "removing trunk pstn failed"
wait_log 'tenant=acme event=trunk_removed trunk=pstn' 2
wait_log 'tenant=acme call=[0-9]* event=interaction .*agent=bob' 5
expect_no_log 'trunk-secret'
stop_server

export_interactions
check_interactions '
assert len(ix) == 2, f"{len(ix)} interactions"
by = {i["agent"]: i for i in ix}
for who in ("alice", "bob"):
    i = by[who]
    assert i["direction"] == "outbound" and i["answered"], i
assert by["alice"]["talk_s"] >= 7.0, by["alice"]
assert by["alice"]["ended"] > by["bob"]["ended"], (by["alice"]["ended"], by["bob"]["ended"])
'
