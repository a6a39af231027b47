#!/usr/bin/env bash
# Callbacks scheduled through the API. Campaign `cb` (progressive) has two leads the SIPp
# carrier answers: Anna (UTC) and Bruno (UTC+3). Before alice's phone is up,
# campaign_callback_api.py checks the refusals and schedules Bruno's callback at a
# local time in his zone 6 s ahead, to alice, and Anna's in an hour for the campaign.
# Bruno is dialed at his callback's time, not before, and connected to alice; Anna is not
# dialed. Her callback is in the store as the campaign's (callback agent "*"), an hour
# ahead, so it stays a callback over a restart.
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
      - {username: carl, password: carl-secret, roles: [agent]}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 1s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    campaigns:
      - {id: cb, queue: outbound, trunk: pstn, caller_id: "+48221000000", lists: [c],
         window: {from: "00:00", to: "24:00"}}
YAML
printf 'phone,name,timezone\n+48601000001,Anna,UTC\n+48601000002,Bruno,Etc/GMT-3\n' >"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list c "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
wait_log 'campaign=cb event=leads_loaded list=c leads=2 open=2' 5
at_ms=$("$PYTHON" "$SCEN/campaign_callback_api.py" "$API_PORT" 2>"$WORK/api.err") ||
	fail "campaign_callback_api.py: $(tail -n 20 "$WORK/api.err")"
expect_log 'campaign=cb event=callback_scheduled lead=2 at=[^ ]+ agent=alice by=bob'
expect_log 'campaign=cb event=callback_scheduled lead=1 at=[^ ]+ agent=- by=carl'
sipp_bg carrier_pid carrier 60 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=1000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'campaign=cb call=[0-9]+ event=connected lead=2 attempt=1 alice' 30
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
expect_no_log 'campaign=cb .*event=dial lead=1 '
# Dialed at the callback's time, not before (the log's time is UTC).
"$PYTHON" - "$SERVER_LOG" "$at_ms" <<'PY' || fail "Bruno was dialed before his callback"
import re, sys
from datetime import datetime, timezone
for line in open(sys.argv[1]):
    if re.search(r"campaign=cb call=\d+ event=dial lead=2 ", line):
        ts = re.search(r"ts=(\S+)Z", line).group(1)
        t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
        assert t.timestamp() * 1000 >= int(sys.argv[2]) - 5, (ts, sys.argv[2])
        break
else:
    raise SystemExit("no dial of lead 2")
PY
stop_server
"$PYTHON" - "$WORK/centrala.db" <<'PY' || fail "the callbacks in the store"
import sqlite3, sys, time
rows = dict((r[0], r[1:]) for r in sqlite3.connect(sys.argv[1]).execute(
    "SELECT id, state, next_ms, callback_agent FROM leads WHERE list = 'c'"))
state, next_ms, agent = rows[1]
assert state == "ready" and agent == "*", rows
assert 3500 < next_ms / 1000 - time.time() <= 3600, rows
assert rows[2][2] is None, rows  # called back: an ordinary retry now
PY
