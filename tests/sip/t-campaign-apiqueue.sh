#!/usr/bin/env bash
# A campaign of the configuration file dials for a queue made through the API. The
# server starts without campaigns; an admin makes queue `apiq` (skill sales: alice has
# it). `centrala check` passes a file whose campaign names apiq and refuses one naming
# a queue found nowhere (line:column, "neither in the tenant's queues of the file nor made
# through the API"). A reload (SIGHUP) with the first file starts the campaign, which
# dials its lead and puts the person through to alice; a reload with the second is
# refused and the running configuration stays. A restart on the first file starts the
# campaign again (serve checks against the store as well).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
carrier_pid='' alice_pid=''

tenant() {
	cat <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw},
         skills: {sales: 5}, auto_ready: true}
      - {username: ada, password: ada-secret, roles: [admin]}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
YAML
}
campaign() {
	cat <<YAML
    campaigns:
      - {id: a, queue: $1, trunk: pstn, caller_id: "+48221000000", lists: [a],
         window: {from: "00:00", to: "24:00"}}
YAML
}
tenant | write_config
cp "$CONFIG" "$WORK/plain.yaml"
{ tenant; campaign apiq; } | write_config
cp "$CONFIG" "$WORK/apiq.yaml"
{ tenant; campaign nowhere; } | write_config
cp "$CONFIG" "$WORK/nowhere.yaml"
cp "$WORK/plain.yaml" "$CONFIG"
printf 'phone,name,timezone\n+48601000001,Anna,UTC\n' >"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list a "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
"$PYTHON" - "$API_PORT" "$SCEN" <<'PY' || fail "making queue apiq through the API"
import sys
sys.path.insert(0, sys.argv[2])
from api import Api
api = Api(int(sys.argv[1]))
ada = api.login("acme", "ada", "ada-secret")
st, b, _ = api.call("POST", "/api/v1/queues", ada,
                    {"id": "apiq", "strategy": "longest-idle", "skills": {"sales": 1},
                     "wrap_up": "1s"})
assert st == 201, (st, b)
PY

rc=0
"$BIN" check "$WORK/nowhere.yaml" >"$WORK/nowhere.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "check exited $rc for a campaign whose queue is nowhere: $(cat "$WORK/nowhere.out")"
grep -qE 'nowhere.yaml:[0-9]+:[0-9]+: tenants\[0\]\.campaigns\[0\]\.queue: unknown queue "nowhere": neither in the tenant.s queues of the file nor made through the API' \
	"$WORK/nowhere.out" || fail "no clear error for the queue found nowhere: $(cat "$WORK/nowhere.out")"
"$BIN" check "$WORK/apiq.yaml" >"$WORK/apiq.out" 2>&1 ||
	fail "check refused a campaign on a queue made through the API: $(cat "$WORK/apiq.out")"

sipp_bg carrier_pid carrier 90 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice 90 "$(scen queue-agent.xml ring_ms=300 talk_ms=1000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
cp "$WORK/apiq.yaml" "$CONFIG"
signal_server HUP
wait_log 'campaign=a event=campaign_started' 20
wait_log 'campaign=a call=[0-9]+ event=connected lead=1 attempt=1 alice' 30
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"

cp "$WORK/nowhere.yaml" "$CONFIG"
signal_server HUP
wait_log 'event=reload_error error=.*unknown queue .nowhere.: neither' 20
wait_log 'event=reload_failed' 5
expect_no_log 'campaign=a event=campaign_changed'
stop_server

cp "$WORK/apiq.yaml" "$CONFIG"
start_server
wait_log 'campaign=a event=campaign_started' 10
stop_server
