#!/usr/bin/env bash
# The dialer's pages in headless Chromium (tests/browser/dialer.mjs) against this server,
# with SIPp as the carrier behind the campaigns' trunk and as alice's phone: the admin
# makes a campaign in the form (the server's error shown at its field first; when the
# server makes campaigns through its API) and imports a list with a bad row (its line and
# column in the report), then the good rows, exports the list and adds a do-not-call
# number; alice takes a preview lead (its fields, history and the script with its fields
# put in), skips it, takes it again and dials it: the carrier answers and her screen pop
# shows the lead and the script; the wallboard's campaign tile follows a progressive
# campaign started (a call dialing) and paused from the admin page. Screenshots of the
# new screens in every language go to build/web-screenshots.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    timezone: Europe/Warsaw
    dispositions: [sale, no_sale, later]
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {outbound: 0}}
      - {username: carol, password: carol-secret, roles: [agent], sip: {user: carol, password: carol-pw}, queues: {sales: 0}, auto_ready: true}
      - {username: bob, name: Bob García, password: bob-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 30s}
      - {id: sales, strategy: longest-idle, ring_timeout: 15s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    campaigns:
      - {id: calls, name: Renewals, mode: preview, queue: outbound, trunk: pstn, caller_id: "+48221000000",
         window: {from: "00:00", to: "23:59"}, preview_timeout: 60s, lists: [vip],
         dispositions: {sale: close, later: callback},
         script: "Hello {{name}}, your {{plan}} plan ends on {{ends}}. <b>{{missing}}</b>"}
      - {id: reminders, mode: progressive, queue: sales, trunk: pstn, caller_id: "+48221000000",
         window: {from: "00:00", to: "23:59"}, ring_time: 15s, lists: [rem], paused: true}
YAML
printf 'phone,name,timezone,plan,ends\n+48601000001,Anna Kowalska,UTC,gold,2027-01-31\n' >"$WORK/vip.csv"
printf 'phone,name,timezone\n+48601000021,Rafał,UTC\n' >"$WORK/rem.csv"
for l in vip rem; do
	timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list $l "$WORK/$l.csv" \
		>"$WORK/import-$l.out" 2>&1 || fail "import leads $l: $(cat "$WORK/import-$l.out")"
done
web_static
start_server
wait_log 'event=http_listening' 5
wait_log 'campaign=calls event=leads_loaded list=vip leads=1 open=1' 10

# The carrier answers the preview lead and lets the progressive campaign's lead ring
# until the ring time (15 s) cancels it.
sipp_bg carrier_pid carrier 150 "$(scen campaign-carrier.xml busy=0 invalid=0 \
	silent=48601000021 ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" \
	-rtp_echo -m 2
make_tone "$WORK/agent.wav" 1000 5
sipp_bg alice_pid alice-phone 150 "$(scen queue-agent.xml ring_ms=300 talk_ms=4000 \
	wav="$WORK/agent.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
register_agent carol carol-pw "$(peer_port 12)" "$(peer_port 22)"

browser_bg bpid dialer.mjs 170
wait_file preview.skipped "$bpid" 120
expect_log 'campaign=calls event=preview_skipped agent=alice lead=1'
browser_wait "$bpid"
expect_log 'campaign=calls call=[0-9]+ event=connected lead=1 attempt=1 alice'
expect_log 'campaign=reminders event=start from=paused'
expect_log 'campaign=reminders .*event=dial lead=1 '
expect_log 'campaign=reminders event=pause from=running'
for p in alice_pid carrier_pid; do
	rc=0
	wait_rc "${!p}" || rc=$?
	expect_sipp_ok "${p%_pid}" "$rc"
done
# The wrap-up's callback: to alice, tomorrow 10:00 in the lead's zone (UTC). A preview
# dial rings alice directly and leaves her no wrap-up: the form's disposition comes after.
expect_log 'campaign=calls .*event=disposed_(in|after)_wrap_up lead=1 .*code=later state=ready'
stop_server
"$PYTHON" - "$WORK/centrala.db" <<'PY' || fail "the wrap-up's callback in the store"
import sqlite3, sys
from datetime import datetime, timedelta, timezone
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT state, next_ms, callback_agent, disposition FROM leads WHERE list = 'vip' AND id = 1").fetchone()
day = (datetime.now(timezone.utc) + timedelta(days=1)).date()
at = int(datetime(day.year, day.month, day.day, 10, 0, tzinfo=timezone.utc).timestamp() * 1000)
# The test may have crossed midnight UTC between the form and this check.
ok = {at, at - 86400000}
assert row[0] == "ready" and row[1] in ok and row[2] == "alice" and row[3] == "later", row
PY
