#!/usr/bin/env bash
# A progressive campaign end to end (issue 12): six leads imported from CSV into list
# nov, one number on the tenant's do-not-call list, agent alice's phone (SIPp) in queue
# outbound and a SIPp carrier behind trunk pstn that answers +48601000001, answers
# +48601000002 486 Busy Here, never answers +48601000003 and answers +48601000004 404.
# +48601000005 is on the do-not-call list; +48601000006 lives at UTC+12, outside the
# campaign's window (three hours around now, UTC). Calls go out one per free agent with
# the campaign's caller ID: the answered lead is connected to alice (her phone gets the
# INVITE showing the lead's number; the screen pop carries the lead's fields), the busy
# lead is retried after retry.busy (2 s) and closed after its second busy
# (max_attempts 2), the silent lead is given up after ring_time (15 s, CANCEL), the
# invalid number closes its lead. Asserts: the carrier's INVITEs (exactly five, never
# the DNC or out-of-window number), what campaign_api.py asserts through the API, each
# lead's state, attempts and last result in the store (`centrala export leads`), and
# one outbound interaction per attempt with its result as disposition.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
carrier_pid='' alice_pid='' py_pid=''
h=$(date -u +%-H)
wfrom=$(printf '%02d:00' $((h > 0 ? h - 1 : 0)))
wto=$([ "$h" -ge 22 ] && echo "23:59" || printf '%02d:00' $((h + 2)))

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
      - {id: nov, mode: progressive, queue: outbound, trunk: pstn, caller_id: "+48221000000",
         window: {from: "$wfrom", to: "$wto"}, ring_time: 15s, max_attempts: 2,
         retry: {busy: 2s}, lists: [nov]}
YAML
cat >"$WORK/leads.csv" <<'CSV'
phone,name,timezone,plan
+48601000001,Anna,UTC,gold
+48601000002,Bartek,UTC,
+48601000003,Celina,UTC,
+48601000004,Dorota,UTC,
+48601000005,Ewa,UTC,
+48601000006,Franek,Etc/GMT-12,
CSV
printf 'phone\n+48601000005\n' >"$WORK/dnc.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list nov "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"
timeout 30 "$BIN" import dnc --config "$CONFIG" --tenant acme "$WORK/dnc.csv" \
	>"$WORK/dnc.out" 2>&1 || fail "import dnc: $(cat "$WORK/dnc.out")"
start_server
wait_log 'event=http_listening' 5
wait_log 'campaign=nov event=campaign_started mode=progressive state=running' 5
wait_log 'campaign=nov event=leads_loaded list=nov leads=6 open=6' 5
# Nobody is ready: nothing is dialled.
sleep 1
expect_no_log 'campaign=nov .*event=dial '

"$PYTHON" "$SCEN/campaign_api.py" "$API_PORT" "$WORK/api" >"$WORK/api.out" 2>&1 &
py_pid=$!
_BG_PIDS+=("$py_pid")
for _ in $(seq 100); do [ -e "$WORK/api.ready" ] && break; sleep 0.1; done
[ -e "$WORK/api.ready" ] || fail "campaign_api.py did not start: $(cat "$WORK/api.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
sipp_bg carrier_pid carrier 60 "$(scen campaign-carrier.xml busy=48601000002 \
	silent=48601000003 invalid=48601000004 ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 \
	-mp "$(media_port 5)" -rtp_echo -m 5
sipp_bg alice_pid agent-alice 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=2000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"

rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
rc=0
wait_rc "$py_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "campaign_api.py failed: $(tail -n 20 "$WORK/api.out")"

# The carrier: five INVITEs with the campaign's caller ID, the busy number twice.
invites=$(grep 'invite to=' "$WORK/carrier.log" | grep -o 'to=[0-9]*' | sort | uniq -c |
	awk '{print $1 "x" $2}' | tr '\n' ' ')
want='1xto=48601000001 2xto=48601000002 1xto=48601000003 1xto=48601000004 '
[ "$invites" = "$want" ] || fail "carrier INVITEs: $invites (want $want)"
n=$(grep -c 'invite to=[0-9]* from=+48221000000' "$WORK/carrier.log")
[ "$n" -eq 5 ] || fail "want the caller ID +48221000000 on 5 INVITEs: $(grep invite "$WORK/carrier.log")"
grep -q 'cancel to=48601000003' "$WORK/carrier.log" || fail "the silent lead's INVITE was not cancelled"
grep -q 'bye to=48601000001' "$WORK/carrier.log" || fail "the answered lead's call did not end with BYE"
# Alice's phone rang for the answered lead and showed its number.
grep -q 'offer from=+48601000001 ' "$WORK/agent-alice.log" ||
	fail "alice's phone did not show the lead's number: $(cat "$WORK/agent-alice.log")"
expect_log 'campaign=nov call=[0-9]+ event=connected lead=1 attempt=1 alice'
expect_log 'campaign=nov .*event=dnc_skipped lead=5'
expect_no_log 'campaign=nov .*event=dial lead=(5|6) '
expect_log 'campaign=nov call=[0-9]+ event=attempt_failed lead=3 attempt=1 result=no_answer'
expect_log 'campaign=nov call=[0-9]+ event=attempt_failed lead=2 attempt=2 result=busy'
stop_server

timeout 30 "$BIN" export leads --config "$CONFIG" --tenant acme --list nov >"$WORK/leads.out" \
	2>"$WORK/export-leads.err" || fail "export leads: $(cat "$WORK/export-leads.err")"
"$PYTHON" - "$WORK/leads.out" <<'PY' || fail "leads in the store: $(cat "$WORK/leads.out")"
import csv, sys
rows = {int(r["id"]): r for r in csv.DictReader(open(sys.argv[1]))}
want = {1: ("ready", "1", "person"), 2: ("done", "2", "busy"), 3: ("ready", "1", "no_answer"),
        4: ("done", "1", "invalid"), 5: ("done", "0", "dnc"), 6: ("ready", "0", "")}
for i, (state, attempts, last) in want.items():
    r = rows[i]
    got = (r["state"], r["attempts"], r["last_result"])
    assert got == (state, attempts, last), f"lead {i}: {got}, want {(state, attempts, last)}"
# Retries are scheduled: the no-answer lead in an hour, the answered one too (no
# disposition was given).
assert int(rows[3]["next_ms"]) > 0 and int(rows[1]["next_ms"]) > 0, rows
PY

export_interactions
check_interactions "
assert len(ix) == 5, 'want one interaction per attempt, got %d' % len(ix)
for i in ix:
    assert i['direction'] == 'outbound', i
    assert i['from'] == '+48221000000', i
    assert any(e['event'] == 'campaign' for e in i['timeline']), i['timeline']
got = sorted((i['to'], i['disposition']) for i in ix)
assert got == [('+48601000001', 'person'), ('+48601000002', 'busy'), ('+48601000002', 'busy'),
               ('+48601000003', 'no_answer'), ('+48601000004', 'invalid')], got
ok = [i for i in ix if i['to'] == '+48601000001'][0]
assert ok['agent'] == 'alice' and ok['queue'] == 'outbound' and ok['answered'], ok
assert not ok['abandoned'], ok
ev = [e['event'] for e in ok['timeline']]
assert ev.index('lead_answered') < ev.index('queued') < ev.index('campaign_connected'), ev
for i in ix:
    if i['to'] != '+48601000001':
        assert not i['answered'] and not i['agent'], i
"
