#!/usr/bin/env bash
# An agent's callback goes to the campaign when that agent is logged out past the
# campaign's callback_grace. Campaign `g` (progressive, callback_grace 3s) has one lead;
# a supervisor schedules its callback 1 s ahead for dave, who is logged out of the
# queue. It waits for dave through the grace (not released before), then anyone takes
# it: alice (ready) is rung and the person is put through to her.
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
      - {username: dave, password: dave-secret, roles: [agent], queues: {outbound: 0}}
      - {username: bob, password: bob-secret, roles: [supervisor]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 1s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    campaigns:
      - {id: g, queue: outbound, trunk: pstn, caller_id: "+48221000000", lists: [g],
         window: {from: "00:00", to: "24:00"}, callback_grace: 3s, paused: true}
YAML
printf 'phone,name,timezone\n+48601000001,Anna,UTC\n' >"$WORK/leads.csv"
timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list g "$WORK/leads.csv" \
	>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
wait_log 'campaign=g event=leads_loaded list=g leads=1 open=1' 5
sipp_bg carrier_pid carrier 60 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=300)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=1000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
at_ms=$("$PYTHON" - "$API_PORT" "$SCEN" <<'PY'
import sys, time
from datetime import datetime, timedelta, timezone
sys.path.insert(0, sys.argv[2])
from api import Api
api = Api(int(sys.argv[1]))
bob = api.login("acme", "bob", "bob-secret")
at = datetime.now(timezone.utc) + timedelta(seconds=1)
st, b, _ = api.call("POST", "/api/v1/campaigns/g/callbacks", bob,
                    {"list": "g", "lead": 1, "agent": "dave",
                     "at": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"})
assert st == 201 and b["agent"] == "dave", (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/g/start", bob)
assert st in (200, 204), (st, b)
print(int(at.timestamp() * 1000))
PY
) || fail "scheduling the callback for dave"
wait_log 'campaign=g event=callback_released lead=1' 15
wait_log 'campaign=g call=[0-9]+ event=connected lead=1 attempt=1 alice' 20
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
# Released after the grace (3 s past its time), not before.
"$PYTHON" - "$SERVER_LOG" "$at_ms" <<'PY' || fail "the callback went to the campaign before the grace"
import re, sys
from datetime import datetime, timezone
for line in open(sys.argv[1]):
    if "campaign=g event=callback_released lead=1" in line:
        ts = re.search(r"ts=(\S+)Z", line).group(1)
        t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc)
        assert t.timestamp() * 1000 >= int(sys.argv[2]) + 3000 - 5, (ts, sys.argv[2])
        break
else:
    raise SystemExit("no release")
PY
stop_server
