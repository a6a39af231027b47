#!/usr/bin/env bash
# Callback dispositions with their time and agent, dispositions given after the wrap-up
# ended, and callbacks of leads the campaign no longer holds. Campaign `d` (progressive,
# one attempt per lead) calls four leads the SIPp carrier answers, for alice; see
# campaign_dispose_api.py for what she does with each. Asserts: lead 1 called back at
# its time to alice (a second attempt), lead 2 closed by its call's end, read back from
# the store by the late disposition and scheduled for the campaign tomorrow 10:00 in its
# zone (UTC+3), lead 3's number on the tenant's do-not-call list by an opt-out given
# after the wrap-up, lead 4 (closed) called back through the callbacks route; six calls
# in all, nothing else dialed.
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
      - {username: carl, password: carl-secret, roles: [agent], queues: {outbound: 0}}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 60s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    dispositions: [sale, later, quit]
    campaigns:
      - {id: d, queue: outbound, trunk: pstn, caller_id: "+48221000000", lists: [d],
         window: {from: "00:00", to: "24:00"}, max_attempts: 1,
         dispositions: {sale: close, later: callback, quit: opt_out}}
YAML
printf 'phone,name,timezone\n+48601000001,Anna,UTC\n+48601000002,Bruno,Etc/GMT-3\n+48601000003,Celina,UTC\n+48601000004,Dorota,UTC\n' \
	>"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list d "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
wait_log 'campaign=d event=leads_loaded list=d leads=4 open=4' 5
"$PYTHON" "$SCEN/campaign_dispose_api.py" "$API_PORT" "$WORK/api" >"$WORK/api.out" 2>&1 &
py_pid=$!
_BG_PIDS+=("$py_pid")
for _ in $(seq 300); do [ -e "$WORK/api.ready" ] && break; sleep 0.1; done
[ -e "$WORK/api.ready" ] || fail "campaign_dispose_api.py did not start: $(cat "$WORK/api.out")"
sipp_bg carrier_pid carrier 120 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 6
sipp_bg alice_pid agent-alice 120 "$(scen queue-agent.xml ring_ms=300 talk_ms=1000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 6
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
rc=0
wait_rc "$py_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "campaign_dispose_api.py failed: $(tail -n 20 "$WORK/api.out")"
wait_log 'campaign=d call=[0-9]+ event=connected lead=1 attempt=2 alice' 30
wait_log 'campaign=d call=[0-9]+ event=connected lead=4 attempt=2 alice' 30
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
expect_log 'campaign=d event=lead_read list=d lead=2 state=done'
expect_log 'campaign=d event=disposed_after_wrap_up lead=2 interaction=[^ ]+ code=later state=ready by=alice'
expect_log 'campaign=d event=disposed_after_wrap_up lead=3 interaction=[^ ]+ code=quit state=done by=alice'
expect_log 'campaign=d event=lead_read list=d lead=4 state=done'
expect_log 'campaign=d event=callback_scheduled lead=4 at=[^ ]+ agent=alice by=alice'
expect_no_log 'campaign=d .*event=dial lead=[23] attempt=2'
at_ms=$(cat "$WORK/api.at")
stop_server

"$PYTHON" - "$WORK/centrala.db" "$at_ms" <<'PY' || fail "the leads and do-not-call numbers in the store"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {r[0]: r[1:] for r in db.execute(
    "SELECT id, state, attempts, next_ms, callback_agent, disposition FROM leads "
    "WHERE list = 'd'")}
# Lead 2: a callback for the campaign at 10:00 in its zone tomorrow.
assert rows[2] == ("ready", 1, int(sys.argv[2]), "*", "later"), rows
assert rows[3][0] == "done" and rows[3][4] == "quit", rows
# Leads 1 and 4 called back once, then closed (their one attempt was used).
assert rows[1][:2] == ("done", 2) and rows[4][:2] == ("done", 2), rows
dnc = sorted(db.execute("SELECT campaign, phone FROM dnc WHERE tenant = 'acme'"))
assert dnc == [("", "+48601000003")], dnc
PY
