#!/usr/bin/env bash
# SIGHUP reads the configuration file again while calls are up (docs/operations.md).
# Five customers wait in queue hold. The file then gains queue sales, number 300 for it,
# alice's membership of sales and user dave, and loses number 201; after SIGHUP the next
# call to 300 is answered by alice from sales, 201 is gone, dave logs in to the API and
# the API refuses number 300 as the file's. A broken file is then refused with its
# line and column, and the running configuration stays: the next call to 300 still
# reaches alice.
# Asserts: none of the five waiting calls dropped; the probe calls' interactions (queue,
# agent); the reload's log lines; the API's answers.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

config() { # $1: extra queue line, $2: alice's queues, $3: numbers, $4: extra user
	write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: $2, auto_ready: true}
$4
    queues:
      - {id: support}
      - {id: hold}
$1
    numbers:
$3
YAML
}
config "" "{support: 0}" '      - {number: "200", queue: support}
      - {number: "201", queue: hold}' ""
start_server
wait_log 'event=http_listening' 5
make_tone "$WORK/agent-1000.wav" 1000 5

sipp_bg load_pid load 60 "$(scen queue-caller-hangup.xml number=201 domain="$ACME_DOMAIN" \
	from=70000 rtp_port="$(media_port 3)" wait_ms=15000)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -m 5 -r 5 -l 5
sipp_bg apid agent-alice 40 \
	"$(scen queue-agent.xml ring_ms=200 talk_ms=1000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5
for _ in $(seq 100); do
	[ "$(grep -c 'event=queued queue=hold' "$SERVER_LOG")" -ge 5 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=queued queue=hold' "$SERVER_LOG")" -ge 5 ] || fail "the 5 calls did not all queue"

call() { # NAME FROM: a customer calling 300 who talks until the agent hangs up
	local rc=0
	sipp_run "$1" 20 "$(scen queue-caller.xml)" -p "$(peer_port 6)" -mi 127.0.0.1 \
		-mp "$(media_port 6)" -rtp_echo -m 1 -key number 300 -key domain "$ACME_DOMAIN" \
		-key from "$2" || rc=$?
	expect_sipp_ok "$1" "$rc"
}

config "      - {id: sales}" "{support: 0, sales: 0}" '      - {number: "200", queue: support}
      - {number: "300", queue: sales}' "      - {username: dave, password: dave-secret, roles: [supervisor]}"
signal_server HUP
wait_log 'event=reloaded added=' 10
expect_log 'event=queue_added queue=sales source=file'
call call-after-reload 81000
wait_log 'event=agent_state agent=alice from=busy to=ready' 5
"$PYTHON" - "$API_PORT" <<'PY' || fail "the API did not follow the reload"
import sys
sys.path.insert(0, "tests/sip")
from api import Api
api = Api(int(sys.argv[1]))
dave = api.login("acme", "dave", "dave-secret")          # a user the file just gained
ada = api.login("acme", "ada", "ada-secret")
st, b, _ = api.call("PUT", "/api/v1/numbers/300", ada, {"queue": "support"})
assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
st, b, _ = api.call("GET", "/api/v1/numbers", ada)
assert {n["number"] for n in b["items"]} == {"200", "300"}, b
st, b, _ = api.call("GET", "/api/v1/queues/sales", dave)
assert st == 200 and b["source"] == "file", (st, b)
PY

# A broken file: refused with its place, the running configuration stays.
cp "$CONFIG" "$WORK/good.yaml"
sed -i 's/      - {id: sales}/      - {id: sales, strategy: nope}/' "$CONFIG"
signal_server HUP
wait_log 'event=reload_failed .*errors=1' 10
grep -E 'event=reload_error error=".*centrala.yaml:[0-9]+:[0-9]+: .*strategy' "$SERVER_LOG" >/dev/null ||
	fail "the reload's error has no line:column"
call call-after-broken 82000
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$load_pid" || rc=$?
expect_sipp_ok load "$rc"
[ "$(sipp_stat load SuccessfulCall\(C\))" = 5 ] || fail "not all 5 waiting calls ended well"
stop_server

export_interactions
check_interactions '
q = {i["from"]: (i["queue"], i["agent"]) for i in ix}
assert q.get("810001") == ("sales", "alice"), q
assert q.get("820001") == ("sales", "alice"), q
assert sum(1 for i in ix if i["number"] == "201") == 5, len(ix)
'
