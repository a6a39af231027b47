#!/usr/bin/env bash
# Call control through the API (issue: API and CTI). Click-to-dial: agent alice asks for
# 48221234567; her SIPp phone is rung first with the auto-answer hint, answers, hears
# ringback while the SIPp carrier behind the trunk is called, then both are bridged;
# alice hangs up through the API. Blind transfer: a customer queued on 200 talks to
# alice, who sends the customer to bob through the API; alice's leg is released and
# bob's phone rings, answers, talks and hangs up. Then three more customers are sent
# on by alice: to queue sales (bob answers), to flow to-bob (whose transfer node rings
# bob), and to 48221234567 (the SIPp carrier behind the trunk answers; the supervisor
# hangs up through the API). Queue support has a 60 s wrap-up: after each transfer alice
# ends hers through the API and is ready at once (the next customer reaches her).
# Asserts: bad bodies are 400 with the field; an agent without a registered phone is
# 409; the agent's INVITE carries Call-Info answer-after=0; the carrier is dialled with
# the number; SIPp peers all succeed; the interactions (read through the API) say
# outbound with the number and the click-to-dial steps, and transferred to bob with bob
# as the agent; the audit log holds the click-to-dial (keyed by its interaction, the
# number's field named, not its value), alice's hangup and her transfer to bob;
# contact.transferred names each target (to_agent, to_queue, to_flow, to_number); during
# the transfer to the number /metrics counts acme's one call and one WebSocket, none of
# beta's, and after the calls none and five answered; the carrier is dialled with the
# number; each interaction's timeline says transferred to its target, the queue's and
# the flow's with bob as the agent.
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
      - {username: bob, password: bob-secret, roles: [agent], sip: {user: bob, password: bob-pw}, queues: {sales: 0}, auto_ready: true}
      - {username: sue, password: sue-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 60s}
      - {id: sales, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
    flows:
      to-bob:
        start: xfer
        nodes:
          xfer: {type: transfer, user: bob, failed: bye}
          bye: {type: hangup}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
  - id: beta
    name: Beta
    queues:
      - {id: beta-q}
YAML
start_server
wait_log 'event=http_listening' 5
make_tone "$WORK/bob.wav" 800 10

# ---- click-to-dial ----
alice_pid='' trunk_pid='' bob_pid=''
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
sipp_bg bob_pid bob 120 "$(scen agent-hangup.xml talk_ms=1000 wav="$WORK/bob.wav")" \
	-p "$(peer_port 12)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 3
register_agent bob bob-pw "$(peer_port 12)" "$(peer_port 22)"
sipp_bg caller_pid caller 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from cust
ix2=$("$PYTHON" "$SCEN/api_cti.py" "$API_PORT" transfer) || fail "transfer through the API failed"
for p in caller alice2; do
	pid_var="${p%2}_pid"
	[ "$p" = alice2 ] && pid_var=alice_pid
	rc=0
	wait_rc "${!pid_var}" || rc=$?
	expect_sipp_ok "$p" "$rc"
done
wait_log "event=interaction id=$ix2 " 10

# ---- blind transfers to a queue, a flow and a number ----
# The queue and the flow's transfer reach bob (whose phone, started above, takes three
# calls); the number reaches the SIPp carrier behind the trunk.
more=()
for kind in queue flow number; do
	sipp_bg alice_pid "alice-$kind" 40 "$(scen agent-answer.xml ring_ms=200)" \
		-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
	if [ "$kind" = number ]; then
		sipp_bg trunk_pid trunk-xfer 40 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
			-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
	fi
	sipp_bg caller_pid "caller-$kind" 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" \
		-mi 127.0.0.1 -mp "$(media_port 3)" -rtp_echo -m 1 -key number 200 \
		-key domain "$ACME_DOMAIN" -key from cust
	ix=$("$PYTHON" "$SCEN/api_cti.py" "$API_PORT" "transfer-$kind") ||
		fail "transfer to a $kind through the API failed"
	for p in caller alice; do
		pid_var="${p}_pid"
		rc=0
		wait_rc "${!pid_var}" || rc=$?
		expect_sipp_ok "$p-$kind" "$rc"
	done
	if [ "$kind" = number ]; then
		rc=0
		wait_rc "$trunk_pid" || rc=$?
		expect_sipp_ok trunk-xfer "$rc"
		grep -q 'invite ruri=sip:48221234567@127.0.0.1' "$WORK/trunk-xfer.log" ||
			fail "the carrier was not dialled with the number: $(cat "$WORK/trunk-xfer.log")"
	fi
	wait_log "event=interaction id=$ix " 10
	more+=("$ix")
done
rc=0
wait_rc "$bob_pid" || rc=$?
expect_sipp_ok bob "$rc"

"$PYTHON" - "$API_PORT" "$ix1" "$ix2" "$SCEN" "${more[@]}" <<'PY' || fail "the interactions are not as expected"
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
for ix, to, agent in zip(sys.argv[5:8], ("sales", "to-bob", "48221234567"), ("bob", "bob", "alice")):
    st, b, _ = api.call("GET", f"/api/v1/interactions/{ix}", sup)
    assert st == 200 and b["agent"] == agent, (to, b)
    ev = [(e["event"], e.get("to")) for e in b["timeline"]]
    assert ("transferred", to) in ev, (to, ev)
    if to == "sales":
        assert b["queue"] == "sales", b
print("transfers to a queue, a flow and a number: as expected")
st, text, _ = api.call("GET", "/metrics")
assert 'centrala_calls_active{tenant="acme"} 0' in text, text
assert 'centrala_calls_total{tenant="acme",result="answered"} 5' in text, text
from api import audit_entries
ada = api.login("acme", "ada", "ada-secret")
au = [(a["actor"], a["action"], a.get("detail")) for a in audit_entries(api, ada, "call", sys.argv[2])]
assert sorted(au, key=repr) == [("api:alice", "dial", "fields=number"),
                                ("api:alice", "hangup", None)], au
au = [(a["actor"], a["action"], a.get("detail")) for a in audit_entries(api, ada, "call", sys.argv[3])]
assert au == [("api:alice", "transfer", "fields=user user=bob")], au
PY
stop_server
