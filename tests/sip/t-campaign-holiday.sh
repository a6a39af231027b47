#!/usr/bin/env bash
# A campaign does not dial on its calendar's holidays, in the lead's local date. The
# tenant's calendar `office` has today (UTC) as a holiday; campaign `hol`, made through
# the API with `holidays: office` and a window of the whole day, has two leads the SIPp
# carrier answers: Anna, whose local date (UTC) is today, and Bruno, who lives in a zone
# where it is already tomorrow or still yesterday. Bruno is dialed and connected to
# alice; Anna is not, even once alice is free again. A PUT without `holidays` applies
# live: Anna is dialed at once.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
carrier_pid='' alice_pid=''
today=$(date -u +%F)
# A zone whose date is not today's UTC date now.
if [ "$(date -u +%-H)" -ge 12 ]; then bzone=Etc/GMT-14; else bzone=Etc/GMT+12; fi

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
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 1s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    calendars:
      office: {timezone: UTC, weekly: {daily: 24h}, holidays: ["$today"]}
YAML
printf 'phone,name,timezone\n+48601000001,Anna,UTC\n+48601000002,Bruno,%s\n' "$bzone" >"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list h "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
sipp_bg carrier_pid carrier 60 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 2
sipp_bg alice_pid agent-alice 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=1500 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"

# usage: campaign METHOD BODY-JSON (as ada); prints the status.
campaign() {
	"$PYTHON" - "$API_PORT" "$1" "$2" <<'PY'
import json, sys
sys.path.insert(0, "tests/sip")
from api import Api
api = Api(int(sys.argv[1]))
ada = api.login("acme", "ada", "ada-secret")
path = "/api/v1/campaigns" + ("/hol" if sys.argv[2] == "PUT" else "")
st, b, _ = api.call(sys.argv[2], path, ada, json.loads(sys.argv[3]))
assert st in (200, 201), (st, b)
print(st)
PY
}
cd "$TOP"
body='{"id":"hol","queue":"outbound","trunk":"pstn","caller_id":"+48221000000",
 "window":{"from":"00:00","to":"24:00"},"lists":["h"],"holidays":"office"}'
[ "$(campaign POST "$body")" = 201 ] || fail "POST /campaigns"
wait_log 'campaign=hol event=campaign_started .*source=api' 5
wait_log 'campaign=hol event=leads_loaded list=h leads=2 open=2' 5
wait_log 'campaign=hol call=[0-9]+ event=attempt_ended lead=2 attempt=1' 30
# Alice is free again a second after (her wrap-up): the holiday keeps Anna waiting.
sleep 3
expect_no_log 'campaign=hol .*event=dial lead=1 '
grep -q 'invite to=48601000002' "$WORK/carrier.log" || fail "Bruno was not dialed"

# Without the calendar, today is a day like any other: Anna is dialed.
[ "$(campaign PUT "${body/,\"holidays\":\"office\"/}")" = 200 ] || fail "PUT /campaigns/hol"
wait_log 'campaign=hol event=campaign_changed' 5
wait_log 'campaign=hol call=[0-9]+ event=dial lead=1 attempt=1' 10
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
invites=$(grep -o 'invite to=[0-9]*' "$WORK/carrier.log" | tr '\n' ' ')
[ "$invites" = 'invite to=48601000002 invite to=48601000001 ' ] || fail "carrier INVITEs: $invites"
stop_server
