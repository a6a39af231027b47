#!/usr/bin/env bash
# Do-not-call numbers changed through the API while a campaign runs, without a restart.
# Campaign `n` (progressive, one agent) has three leads; lead 1's number is on the
# tenant's do-not-call list from the start. Lead 1 is closed when picked (never dialed),
# lead 2 is dialed and talks 4 s. During that call a supervisor adds lead 3's number
# (POST /dnc) and removes lead 1's (DELETE /dnc/{phone}). Once alice is free, lead 3 is
# closed without a dial (the number blocked at once) and lead 1 is opened again and
# dialed (the number dialable again): two calls in all.
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
         queues: {outbound: 0}, auto_ready: true}
      - {username: bob, password: bob-secret, roles: [supervisor]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 1s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    campaigns:
      - {id: n, queue: outbound, trunk: pstn, caller_id: "+48221000000", lists: [n],
         window: {from: "00:00", to: "24:00"}}
YAML
printf 'phone,name,timezone\n+48601000001,Anna,UTC\n+48601000002,Bruno,UTC\n+48601000003,Celina,UTC\n' \
	>"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list n "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"
printf 'phone\n+48601000001\n' >"$WORK/dnc.csv"
timeout 30 "$BIN" import dnc --config "$CONFIG" --tenant acme "$WORK/dnc.csv" \
	>"$WORK/dnc.out" 2>&1 || fail "import dnc: $(cat "$WORK/dnc.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
wait_log 'campaign=n event=leads_loaded list=n leads=3 open=3' 5
sipp_bg carrier_pid carrier 90 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 2
sipp_bg alice_pid agent-alice 90 "$(scen queue-agent.xml ring_ms=300 talk_ms=4000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'campaign=n event=dnc_skipped lead=1' 15
wait_log 'campaign=n call=[0-9]+ event=connected lead=2 attempt=1 alice' 20
"$PYTHON" - "$API_PORT" "$SCEN" <<'PY' || fail "the do-not-call changes through the API"
import sys
sys.path.insert(0, sys.argv[2])
from api import Api
api = Api(int(sys.argv[1]))
bob = api.login("acme", "bob", "bob-secret")
st, b, _ = api.call("POST", "/api/v1/dnc", bob, raw="phone\n+48601000003\n",
                    headers={"Content-Type": "text/csv"})
assert st in (200, 201), (st, b)
st, b, _ = api.call("DELETE", "/api/v1/dnc/+48601000001", bob)
assert st == 204, (st, b)
PY
# The number the import named is blocked when the engine hears of the import, before
# the lists are read again.
wait_log 'campaign=n event=dnc_added numbers=1' 5
wait_log 'campaign=n event=dnc_lead_reopened lead=1 state=ready' 10
# Lead 2's call was still up: nothing was dialed meanwhile.
expect_no_log 'campaign=n call=[0-9]+ event=dial lead=[13] '
wait_log 'campaign=n event=dnc_skipped lead=3' 20
wait_log 'campaign=n call=[0-9]+ event=connected lead=1 attempt=1 alice' 20
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
expect_no_log 'campaign=n call=[0-9]+ event=dial lead=3 '
stop_server
"$PYTHON" - "$WORK/centrala.db" <<'PY' || fail "the leads and do-not-call numbers in the store"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {r[0]: r[1:] for r in db.execute(
    "SELECT id, attempts, last_result FROM leads WHERE list = 'n'")}
assert rows[1] == (1, "person") and rows[3] == (0, "dnc"), rows
dnc = sorted(db.execute("SELECT campaign, phone FROM dnc WHERE tenant = 'acme'"))
assert dnc == [("", "+48601000003")], dnc
PY
