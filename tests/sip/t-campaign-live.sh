#!/usr/bin/env bash
# Campaigns made, changed and removed while the server runs. The file has a paused
# campaign `filec`; campaign_live_api.py (phase make) checks the refusals, then makes
# campaign `live` through the API (progressive, caller ID +48221000001) on list nov (three
# leads the SIPp carrier answers). Its first lead is connected to alice; a PUT while that
# call is up changes the caller ID to +48221000002 (and the ring time, retries, name,
# script), which the second call presents; the campaign is deleted once its second lead is
# dialed: that call finishes and writes its lead, the third lead is never dialed. A
# campaign `later` made by PUT (paused) survives a restart. A SIGHUP whose file adds a
# running campaign `late` (its lead dialed and connected to alice), removes `filec` and
# lists `later` (the file takes it over) applies all three without a restart.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
carrier_pid='' alice_pid='' py_pid=''

config() {
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
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 1s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    dispositions: [sale, later, stop]
    campaigns:
$1
YAML
}
config '      - {id: filec, queue: outbound, trunk: pstn, paused: true, lists: [other]}'

cat >"$WORK/leads.csv" <<'CSV'
phone,name,timezone
+48601000001,Anna,UTC
+48601000002,Bartek,UTC
+48601000003,Celina,UTC
CSV
printf 'phone,name,timezone\n+48601000009,Lena,UTC\n' >"$WORK/late.csv"
for l in nov:leads late:late; do
	timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list "${l%%:*}" \
		"$WORK/${l#*:}.csv" >"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"
done

# Runs phase $1 of campaign_live_api.py in the background; waits for its .ready file.
api_phase() {
	rm -f "$WORK/api-$1" "$WORK/api-$1.ready"
	"$PYTHON" "$SCEN/campaign_live_api.py" "$API_PORT" "$WORK/api-$1" "$1" >"$WORK/api-$1.out" 2>&1 &
	py_pid=$!
	_BG_PIDS+=("$py_pid")
	for _ in $(seq 300); do
		[ -e "$WORK/api-$1.ready" ] && return 0
		kill -0 "$py_pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "campaign_live_api.py $1 did not get ready: $(tail -n 20 "$WORK/api-$1.out")"
}
api_done() {
	local rc=0
	wait_rc "$py_pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "campaign_live_api.py $1 failed: $(tail -n 20 "$WORK/api-$1.out")"
}
# Phones: the carrier answers $1 calls, alice takes $1 calls.
phones() {
	sipp_bg carrier_pid "carrier-$2" 60 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
		ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m "$1"
	sipp_bg alice_pid "alice-$2" 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=2500 \
		wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" \
		-m "$1"
	register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
}
phones_done() {
	local rc=0
	wait_rc "$alice_pid" || rc=$?
	expect_sipp_ok "alice-$1" "$rc"
	rc=0
	wait_rc "$carrier_pid" || rc=$?
	expect_sipp_ok "carrier-$1" "$rc"
}

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
wait_log 'campaign=filec event=campaign_started mode=progressive state=paused lists=1 source=file' 5

# ---- made, changed and removed through the API ----
api_phase make
wait_log 'campaign=live event=leads_loaded list=nov leads=3 open=3' 5
phones 2 1
api_done make
phones_done 1
wait_log 'campaign=live call=[0-9]+ event=attempt_ended lead=2 attempt=1' 20
expect_log 'campaign=live event=campaign_changed mode=progressive state=running'
expect_log 'campaign=live event=campaign_removed source=api calls=1'
expect_log 'campaign=later event=campaign_started mode=progressive state=paused lists=1 source=api'
# Removed: no new call, even with alice free again (her wrap-up is 1 s; the pacer
# decides four times a second).
sleep 3
expect_no_log 'campaign=live .*event=dial lead=3 '
invites=$(grep -o 'invite to=[0-9]* from=[+0-9]*' "$WORK/carrier-1.log" | tr '\n' ' ')
want='invite to=48601000001 from=+48221000001 invite to=48601000002 from=+48221000002 '
[ "$invites" = "$want" ] || fail "carrier INVITEs: $invites (want $want)"
grep -q 'offer from=+48601000002 ' "$WORK/alice-1.log" || fail "alice did not get the second lead"
grep -q 'bye to=48601000002' "$WORK/carrier-1.log" ||
	fail "the call in progress at the DELETE did not finish normally"
stop_server

timeout 30 "$BIN" export leads --config "$CONFIG" --tenant acme --list nov >"$WORK/leads.out" \
	2>"$WORK/export.err" || fail "export leads: $(cat "$WORK/export.err")"
"$PYTHON" - "$WORK/leads.out" <<'PY' || fail "leads in the store: $(cat "$WORK/leads.out")"
import csv, sys
rows = {int(r["id"]): r for r in csv.DictReader(open(sys.argv[1]))}
got = {i: (r["state"], r["attempts"], r["last_result"]) for i, r in rows.items()}
assert got == {1: ("ready", "1", "person"), 2: ("ready", "1", "person"),
               3: ("ready", "0", "")}, got
PY

# ---- stored: back after a restart ----
start_server
wait_log 'campaign=later event=campaign_started mode=progressive state=paused lists=1 source=api' 5
expect_log 'event=api_object object=campaign key=later'
api_phase restart
api_done restart

# ---- SIGHUP: a campaign added, one removed, the API's taken over ----
# Alice's phone is up first: nothing runs before the reload. The campaign the reload
# adds calls its lead, then the one campaign_live_api.py adds to its list.
phones 2 2
config '      - {id: late, queue: outbound, trunk: pstn, caller_id: "+48221000003", lists: [late],
         window: {from: "00:00", to: "24:00"}}
      - {id: later, queue: outbound, trunk: pstn, paused: true, lists: [nov]}'
signal_server HUP
wait_log 'event=reloaded' 20
expect_log 'campaign=late event=campaign_started mode=progressive state=running lists=1 source=file'
expect_log 'campaign=filec event=campaign_removed source=file'
expect_log 'event=api_object_replaced object=campaign key=later by=file'
expect_log 'campaign=later event=campaign_changed'
api_phase reload
api_done reload
phones_done 2
grep -q 'invite to=48601000009 from=+48221000003' "$WORK/carrier-2.log" ||
	fail "the campaign the reload added did not dial: $(cat "$WORK/carrier-2.log")"
grep -q 'invite to=48601000010 from=+48221000003' "$WORK/carrier-2.log" ||
	fail "the lead added through the API was not dialed: $(cat "$WORK/carrier-2.log")"
expect_log 'campaign=late event=list_grew list=late'
grep -q 'offer from=+48601000010 ' "$WORK/alice-2.log" || fail "alice did not get the added lead"
stop_server
