#!/usr/bin/env bash
# A preview campaign through the API (issue 12, the engine's side): agent alice asks for
# the next lead and gets it with its fields and the time left to decide (the same lead
# while it is held), skips it (it comes back, the attempt not counted), takes it again and
# dials it; the SIPp carrier answers +48601000001 and alice's phone (SIPp) is rung with
# the lead's number and answers; she talks 1 s and hangs up. A supervisor who is no agent
# gets 403, a progressive campaign 409, and with the only lead dialing there is no lead
# (404). An agent lists the preview campaigns only. Asserts: what campaign_preview.py
# asserts, the carrier's single INVITE, alice's INVITE from the lead's number, the
# stored lead (attempts 1, last result person) and the interaction (outbound, agent
# alice, answered, disposition person).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
carrier_pid='' alice_pid=''

write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw},
         queues: {outbound: 0}}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    campaigns:
      - {id: calls, mode: preview, queue: outbound, trunk: pstn, caller_id: "+48221000000",
         window: {from: "00:00", to: "23:59"}, preview_timeout: 30s, lists: [vip],
         script: "Hello {{name}}"}
      - {id: other, mode: progressive, queue: outbound, trunk: pstn, lists: [none], paused: true}
YAML
printf 'phone,name,timezone,plan\n+48601000001,Anna,UTC,gold\n' >"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list vip "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"
start_server
wait_log 'campaign=calls event=leads_loaded list=vip leads=1 open=1' 10

make_tone "$WORK/agent-1000.wav" 1000 10
sipp_bg carrier_pid carrier 40 "$(scen campaign-carrier.xml busy=0 invalid=0 silent=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice 40 "$(scen queue-agent.xml ring_ms=300 talk_ms=1000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
# Preview never dials by itself.
sleep 1
expect_no_log 'campaign=calls .*event=dial '

"$PYTHON" - "$API_PORT" <<'PY' >"$WORK/api.out" 2>&1 || fail "preview through the API: $(cat "$WORK/api.out")"
import sys
sys.path.insert(0, "tests/sip")
from api import Api, check_response
api = Api(int(sys.argv[1]))
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
alice = api.login("acme", "alice", "alice-secret")
bob = api.login("acme", "bob", "bob-secret")
# An agent lists the preview campaigns only (its desktop's preview card), with their time.
st, b, _ = api.call("GET", "/api/v1/campaigns", alice)
assert st == 200 and [c["id"] for c in b["items"]] == ["calls"], (st, b)
assert b["items"][0]["preview_timeout_s"] == 30.0, b
check_response(doc, "GET", "/api/v1/campaigns", st, b)
st, b, _ = api.call("GET", "/api/v1/campaigns", bob)
assert st == 200 and sorted(c["id"] for c in b["items"]) == ["calls", "other"], (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/calls/preview", alice)
assert st == 200, (st, b)
check_response(doc, "POST", "/api/v1/campaigns/{id}/preview", st, b)
assert b["lead"]["id"] == 1 and b["lead"]["phone"] == "+48601000001", b
assert b["lead"]["name"] == "Anna" and b["lead"]["fields"] == {"plan": "gold"}, b
assert b["lead"]["attempt"] == 1 and b["script"] == "Hello {{name}}", b
assert 25 <= b["expires_s"] <= 30, b
st, again, _ = api.call("POST", "/api/v1/campaigns/calls/preview", alice)
assert st == 200 and again["lead"]["id"] == 1, again
st, b, _ = api.call("POST", "/api/v1/campaigns/calls/preview/skip", alice)
assert st == 204, (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/calls/preview/skip", alice)
assert st == 404, (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/calls/preview", alice)
assert st == 200 and b["lead"]["id"] == 1 and b["lead"]["attempt"] == 1, b
st, b, _ = api.call("POST", "/api/v1/campaigns/calls/preview", bob)
assert st == 403 and b["error"]["code"] == "not_an_agent", (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/other/preview", alice)
assert st == 409 and b["error"]["code"] == "not_preview", (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/calls/preview/dial", alice)
assert st == 200 and b == {"campaign": "calls", "lead": 1, "dialled": True}, (st, b)
check_response(doc, "POST", "/api/v1/campaigns/{id}/preview/dial", st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/calls/preview", alice)
assert st == 404 and b["error"]["code"] == "no_lead", (st, b)
# The skip and the dial are in the audit log; the skip refused (404) is not.
from api import audit_entries
au = [(a["actor"], a["action"]) for a in audit_entries(api, api.login("acme", "ada", "ada-secret"),
                                                         "campaign", "calls")]
assert sorted(au) == [("api:alice", "preview/dial"), ("api:alice", "preview/skip")], au
PY
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
grep -q 'offer from=+48601000001 ' "$WORK/agent-alice.log" ||
	fail "alice's phone did not show the lead's number: $(cat "$WORK/agent-alice.log")"
n=$(grep -c 'invite to=' "$WORK/carrier.log")
[ "$n" -eq 1 ] || fail "want one INVITE at the carrier, got $n"
expect_log 'campaign=calls event=preview_skipped agent=alice lead=1'
expect_log 'campaign=calls call=[0-9]+ event=connected lead=1 attempt=1 alice'
wait_log 'campaign=calls call=[0-9]+ event=attempt_ended lead=1 attempt=1' 5
stop_server

timeout 30 "$BIN" export leads --config "$CONFIG" --tenant acme --list vip >"$WORK/leads.out" \
	2>"$WORK/export-leads.err" || fail "export leads: $(cat "$WORK/export-leads.err")"
grep -q '^1,+48601000001,Anna,UTC,0,ready,1,person,' "$WORK/leads.out" ||
	fail "lead in the store: $(cat "$WORK/leads.out")"
export_interactions
check_interactions "
assert len(ix) == 1, ix
i = ix[0]
assert i['direction'] == 'outbound' and i['to'] == '+48601000001', i
assert i['agent'] == 'alice' and i['answered'] and not i['abandoned'], i
assert i['disposition'] == 'person', i
"
