#!/usr/bin/env bash
# Call control through the API (issue: API and CTI). Click-to-dial: agent alice asks for
# 48221234567; her SIPp phone is rung first with the auto-answer hint, answers, hears
# ringback while the SIPp carrier behind the trunk is called, then both are bridged;
# alice hangs up through the API. Blind transfer: a customer queued on 200 talks to
# alice, who sends the customer to bob through the API; alice's leg is released and
# bob's phone rings, answers, talks and hangs up.
# Asserts: bad bodies are 400 with the field; an agent without a registered phone is
# 409; the agent's INVITE carries Call-Info answer-after=0; the carrier is dialled with
# the number; SIPp peers all succeed; the interactions (read through the API) say
# outbound with the number and the click-to-dial steps, and transferred to bob with bob
# as the agent; the audit log holds the click-to-dial (keyed by its interaction, the
# number's field named, not its value), alice's hangup and her transfer to bob.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

trunk_port=$(peer_port 30)
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
      - {username: bob, password: bob-secret, roles: [agent], sip: {user: bob, password: bob-pw}}
      - {username: sue, password: sue-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
YAML
start_server
wait_log 'event=http_listening' 5
make_tone "$WORK/bob.wav" 800 10

# ---- click-to-dial ----
sipp_bg trunk_pid trunk 40 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid alice1 40 "$(scen agent-answer.xml ring_ms=200)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
ix1=$("$PYTHON" "$SCEN/api_cti.py" "$API_PORT" dial) || fail "click-to-dial through the API failed"
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok alice1 "$rc"
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok trunk "$rc"
grep -q '^Call-Info: .*answer-after=0' "$WORK/alice1.msg" || fail "no auto-answer hint in alice's INVITE"
grep -q 'invite ruri=sip:48221234567@127.0.0.1' "$WORK/trunk.log" ||
	fail "the carrier was not dialled with the number: $(cat "$WORK/trunk.log")"

# ---- blind transfer ----
sipp_bg alice_pid alice2 40 "$(scen agent-answer.xml ring_ms=200)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
sipp_bg bob_pid bob 40 "$(scen agent-hangup.xml talk_ms=1000 wav="$WORK/bob.wav")" \
	-p "$(peer_port 12)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1
register_agent bob bob-pw "$(peer_port 12)" "$(peer_port 22)"
sipp_bg caller_pid caller 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from cust
ix2=$("$PYTHON" "$SCEN/api_cti.py" "$API_PORT" transfer) || fail "transfer through the API failed"
for p in caller alice2 bob; do
	pid_var="${p%2}_pid"
	[ "$p" = alice2 ] && pid_var=alice_pid
	rc=0
	wait_rc "${!pid_var}" || rc=$?
	expect_sipp_ok "$p" "$rc"
done
wait_log "event=interaction id=$ix2 " 10

"$PYTHON" - "$API_PORT" "$ix1" "$ix2" "$SCEN" <<'PY' || fail "the interactions are not as expected"
import sys
sys.path.insert(0, sys.argv[4])
from api import Api
api = Api(int(sys.argv[1]))
sup = api.login("acme", "sue", "sue-secret")
st, a, _ = api.call("GET", f"/api/v1/interactions/{sys.argv[2]}", sup)
assert st == 200 and a["direction"] == "outbound" and a["to"] == "48221234567", a
assert a["agent"] == "alice" and a["answered"], a
ev = [e["event"] for e in a["timeline"]]
for want in ("click_to_dial", "agent_connected", "dialled", "answered", "hangup_requested"):
    assert want in ev, (want, ev)
st, b, _ = api.call("GET", f"/api/v1/interactions/{sys.argv[3]}", sup)
assert st == 200 and b["agent"] == "bob" and b["queue"] == "support", b
ev = [(e["event"], e.get("to")) for e in b["timeline"]]
assert ("transferred", "bob") in ev, ev
from api import audit_entries
ada = api.login("acme", "ada", "ada-secret")
au = [(a["actor"], a["action"], a.get("detail")) for a in audit_entries(api, ada, "call", sys.argv[2])]
assert sorted(au, key=repr) == [("api:alice", "dial", "fields=number"),
                                ("api:alice", "hangup", None)], au
au = [(a["actor"], a["action"], a.get("detail")) for a in audit_entries(api, ada, "call", sys.argv[3])]
assert au == [("api:alice", "transfer", "fields=user user=bob")], au
PY
stop_server
