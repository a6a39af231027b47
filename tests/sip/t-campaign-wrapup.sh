#!/usr/bin/env bash
# A disposition given in wrap-up, after the campaign's call ended, changes the lead as
# one given during the call does. Campaign `w` (progressive) calls three leads the SIPp
# carrier answers, one after another, for alice (wrap-up 60 s, ended through the API).
# After each call campaign_wrapup_api.py gives the disposition in wrap-up: `sale`
# (close), `later` (retry in 2 h: without it, the person's retry is 1 h), `stop`
# (do-not-call: closed and the number on the campaign's list) and `quit` (the contact's
# opt-out: the number on the tenant's list). Asserts each lead's state, disposition and
# next attempt in the store, and the do-not-call numbers.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
carrier_pid='' alice_pid='' py_pid=''

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
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 60s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    dispositions: [sale, later, stop, quit]
    campaigns:
      - {id: w, queue: outbound, trunk: pstn, caller_id: "+48221000000", lists: [w],
         window: {from: "00:00", to: "24:00"},
         dispositions: {sale: close, later: 2h, stop: dnc, quit: opt_out}}
YAML
printf 'phone,name,timezone\n+48601000001,Anna,UTC\n+48601000002,Bruno,UTC\n+48601000003,Celina,UTC\n+48601000004,Dorota,UTC\n' \
	>"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list w "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
wait_log 'campaign=w event=leads_loaded list=w leads=4 open=4' 5
"$PYTHON" "$SCEN/campaign_wrapup_api.py" "$API_PORT" "$WORK/api" >"$WORK/api.out" 2>&1 &
py_pid=$!
_BG_PIDS+=("$py_pid")
for _ in $(seq 300); do [ -e "$WORK/api.ready" ] && break; sleep 0.1; done
[ -e "$WORK/api.ready" ] || fail "campaign_wrapup_api.py did not start: $(cat "$WORK/api.out")"
sipp_bg carrier_pid carrier 90 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 4
sipp_bg alice_pid agent-alice 90 "$(scen queue-agent.xml ring_ms=300 talk_ms=1000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 4
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
rc=0
wait_rc "$py_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "campaign_wrapup_api.py failed: $(tail -n 20 "$WORK/api.out")"
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
expect_log 'campaign=w call=[0-9]+ event=disposed_in_wrap_up lead=1 code=sale state=done'
expect_log 'campaign=w call=[0-9]+ event=disposed_in_wrap_up lead=2 code=later state=ready'
expect_log 'campaign=w call=[0-9]+ event=disposed_in_wrap_up lead=3 code=stop state=done'
expect_log 'campaign=w call=[0-9]+ event=disposed_in_wrap_up lead=4 code=quit state=done'
expect_log 'campaign=w event=opt_out'
stop_server

timeout 30 "$BIN" export leads --config "$CONFIG" --tenant acme --list w >"$WORK/leads.out" \
	2>"$WORK/export.err" || fail "export leads: $(cat "$WORK/export.err")"
"$PYTHON" - "$WORK/leads.out" <<'PY' || fail "leads in the store: $(cat "$WORK/leads.out")"
import csv, sys, time
rows = {int(r["id"]): r for r in csv.DictReader(open(sys.argv[1]))}
got = {i: (r["state"], r["attempts"], r["disposition"]) for i, r in rows.items()}
assert got == {1: ("done", "1", "sale"), 2: ("ready", "1", "later"),
               3: ("done", "1", "stop"), 4: ("done", "1", "quit")}, got
# Later: in two hours (the person's own retry would be one hour).
left = int(rows[2]["next_ms"]) / 1000 - time.time()
assert 1.9 * 3600 < left <= 2 * 3600, left
PY
"$PYTHON" - "$WORK/centrala.db" <<'PY' || fail "the do-not-call lists"
import sqlite3, sys
rows = sorted(sqlite3.connect(sys.argv[1]).execute(
    "SELECT tenant, campaign, phone FROM dnc").fetchall())
# The campaign's list (campaign w), and the tenant's ('') for the contact's opt-out.
assert rows == [("acme", "", "+48601000004"), ("acme", "w", "+48601000003")], rows
PY
