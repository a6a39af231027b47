#!/usr/bin/env bash
# A predictive campaign's abandoned call (issue 12, DOMAIN.md "Outbound dialing
# rules"): agent alice is ready but her phone (SIPp) rings and never answers, so the
# person who answers the campaign's call (the SIPp carrier answers +48601000001) is not
# connected to an agent within 2 s: the offer to alice is cancelled, the call is counted
# as abandoned and hears the campaign's abandon_message (rendered by espeak-ng at start)
# before centrala hangs up. Asserts: event=abandoned about 2 s after the answer; the
# carrier's BYE comes at least 2 s plus most of the message after its ACK; alice's phone
# got the INVITE and its CANCEL; the API counts one person and one abandoned call today
# and over the cap's window; the stored lead's last result is abandoned with its retry
# 72 h away (Ofcom); the interaction is outbound, abandoned, disposition abandoned, with
# campaign_abandoned (after_ms >= 2000) on its timeline.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

command -v espeak-ng >/dev/null || skip "espeak-ng is missing (scripts/install-deps)"
carrier_port=$(peer_port 30)
carrier_pid='' alice_pid=''

write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    language: en
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {outbound: 0}, auto_ready: true}
      - {username: bob, password: bob-secret, roles: [supervisor]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    campaigns:
      - {id: renewals, mode: predictive, queue: outbound, trunk: pstn, caller_id: "+48221000000",
         window: {from: "00:00", to: "23:59"}, lists: [dec],
         abandon_message: "This is ACME calling about your contract. We will call you again."}
YAML
printf 'phone,timezone\n+48601000001,UTC\n' >"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list dec "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"
start_server
wait_log 'campaign=renewals event=campaign_started mode=predictive state=running' 10
msg=$(grep -o 'campaign=renewals event=campaign_started .* abandon_message=[^ ]*' "$SERVER_LOG" |
	sed 's/.*abandon_message=//')
[ -r "$msg" ] || fail "the abandon message was not rendered: $msg"
msg_ms=$(soxi -D "$msg" | awk '{printf "%d", $1 * 1000}')
wait_log 'campaign=renewals event=leads_loaded list=dec leads=1 open=1' 5

sipp_bg carrier_pid carrier 40 "$(scen campaign-carrier.xml busy=0 invalid=0 silent=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice 40 "$(scen agent-noanswer.xml)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"

wait_log 'campaign=renewals call=[0-9]+ event=abandoned lead=1 attempt=1' 20
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
expect_no_log 'event=bridged'
expect_no_log 'campaign=renewals .*event=connected'
gap=$("$PYTHON" "$SCEN/queue_cb_trace.py" "$WORK/carrier.msg" '^ACK ' '^BYE ') ||
	fail "carrier: no ACK then BYE in its trace"
note "abandon message ${msg_ms} ms; carrier's ACK to centrala's BYE ${gap} ms"
[ "$gap" -ge $((2000 + msg_ms * 8 / 10)) ] ||
	fail "BYE ${gap} ms after the answer: 2 s of grace and the ${msg_ms} ms message were not played"
[ "$gap" -le $((2000 + msg_ms + 3000)) ] || fail "BYE only ${gap} ms after the answer"

"$PYTHON" - "$API_PORT" <<'PY' || fail "campaign figures through the API"
import sys
sys.path.insert(0, "tests/sip")
from api import Api
api = Api(int(sys.argv[1]))
bob = api.login("acme", "bob", "bob-secret")
st, c, _ = api.call("GET", "/api/v1/campaigns/renewals", bob)
assert st == 200, (st, c)
for k in ("today", "total"):
    t = c[k]
    assert t["dialed"] == 1 and t["answered"] == 1 and t["human"] == 1, t
    assert t["abandoned"] == 1 and t["connected"] == 0 and t["abandoned_pct"] == 100, t
w = c["abandoned_window"]
assert w["human"] == 1 and w["abandoned"] == 1 and w["pct"] == 100, w
assert c["mode"] == "predictive" and c["at_risk"], c
PY
stop_server

timeout 30 "$BIN" export leads --config "$CONFIG" --tenant acme --list dec >"$WORK/leads.out" \
	2>"$WORK/export-leads.err" || fail "export leads: $(cat "$WORK/export-leads.err")"
"$PYTHON" - "$WORK/leads.out" <<'PY' || fail "lead in the store: $(cat "$WORK/leads.out")"
import csv, sys, time
r = list(csv.DictReader(open(sys.argv[1])))[0]
assert (r["state"], r["attempts"], r["last_result"]) == ("ready", "1", "abandoned"), r
assert int(r["next_ms"]) >= (time.time() + 71 * 3600) * 1000, r
PY
export_interactions
check_interactions "
assert len(ix) == 1, ix
i = ix[0]
assert i['direction'] == 'outbound' and i['to'] == '+48601000001', i
assert i['abandoned'] and i['disposition'] == 'abandoned' and not i['answered'], i
ab = [e for e in i['timeline'] if e['event'] == 'campaign_abandoned']
assert len(ab) == 1 and int(ab[0]['after_ms']) >= 2000, i['timeline']
ev = [e['event'] for e in i['timeline']]
assert ev.index('lead_answered') < ev.index('queued') < ev.index('campaign_abandoned'), ev
"
