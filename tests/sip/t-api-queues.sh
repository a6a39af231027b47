#!/usr/bin/env bash
# Queues made, changed and removed through the API while calls are up, and kept across
# a restart. Twenty SIPp customers wait in the file's queue support while an admin makes
# queue vip (skills vip: 2) and number 555 for it: alice (vip: 3, a phone-only agent)
# joins it by her skill and answers the next call to 555. The admin then raises vip to
# vip: 5: the next call is not offered to alice. vip cannot be removed while 555 routes
# to it; after 555 goes, it can. Bad bodies are 400 naming the field, the file's queue a
# 409 naming its line; the access matrix of the writes for every role and the other
# tenant. After a restart the queue the API made last is there, marked as the API's.
# Asserts: /metrics counts the 20 waiting calls as acme's, active and waiting in support,
# and none of beta's; none of the 20 calls dropped; the probe calls' interactions (queue, agent);
# the API's answers checked against the OpenAPI document; the audit entries.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, skills: {vip: 3}, auto_ready: true}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: quinn, password: quinn-secret, roles: [qa]}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [admin]}
    queues:
      - {id: bq}
YAML
start_server
wait_log 'event=http_listening' 5
make_tone "$WORK/agent-1000.wav" 1000 5

api() { "$PYTHON" "$SCEN/api_queues.py" "$API_PORT" "$@"; }

sipp_bg load_pid load 60 "$(scen queue-caller-hangup.xml number=200 domain="$ACME_DOMAIN" \
	from=70000 rtp_port="$(media_port 3)" wait_ms=20000)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -m 20 -r 20 -l 20
for _ in $(seq 100); do
	[ "$(grep -c 'event=queued queue=support' "$SERVER_LOG")" -ge 20 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=queued queue=support' "$SERVER_LOG")" -ge 20 ] || fail "the 20 calls did not all queue"
# /metrics counts them, for their tenant only.
"$PYTHON" - "$API_PORT" <<'PY' || fail "/metrics does not count the 20 waiting calls"
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
got = {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
       if l and not l.startswith("#")}
want = {'centrala_calls_active{tenant="acme"}': 20, 'centrala_calls_active{tenant="beta"}': 0,
        'centrala_queue_waiting{tenant="acme",queue="support"}': 20}
for k, v in want.items():
    assert got.get(k) == v, f"{k} = {got.get(k)}, expected {v}"
assert got['centrala_queue_longest_wait_seconds{tenant="acme",queue="support"}'] > 0, got
print("metrics: 20 calls active and waiting in acme's support, none in beta")
PY

sipp_bg apid agent-alice 30 \
	"$(scen queue-agent.xml ring_ms=200 talk_ms=1000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5

api create || fail "making queue vip failed"
wait_log 'event=queue_added queue=vip source=api' 5
rc=0
sipp_run probe-vip 20 "$(scen queue-caller.xml)" -p "$(peer_port 6)" -mi 127.0.0.1 \
	-mp "$(media_port 6)" -rtp_echo -m 1 -key number 555 -key domain "$ACME_DOMAIN" \
	-key from 81000 || rc=$?
expect_sipp_ok probe-vip "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"
wait_log 'event=agent_state agent=alice from=wrap_up to=ready' 5

api raise || fail "changing queue vip failed"
rc=0
sipp_run probe-raised 20 "$(scen queue-caller-hangup.xml number=555 domain="$ACME_DOMAIN" \
	from=82000 rtp_port="$(media_port 6)" wait_ms=2000)" -p "$(peer_port 6)" \
	-mi 127.0.0.1 -mp "$(media_port 6)" -m 1 || rc=$?
expect_sipp_ok probe-raised "$rc"
[ "$(grep -c 'event=offered queue=vip agent=alice' "$SERVER_LOG")" = 1 ] ||
	fail "alice was offered a call of vip after its skills were raised above hers"

api delete || fail "removing queue vip failed"
api later || fail "making queue later failed"
rc=0
wait_rc "$load_pid" || rc=$?
expect_sipp_ok load "$rc"
[ "$(sipp_stat load SuccessfulCall\(C\))" = 20 ] || fail "not all 20 waiting calls ended well"

stop_server
start_server
wait_log 'event=api_objects object=queues loaded=1' 5
api after-restart || fail "queue later did not survive the restart"
stop_server

export_interactions
check_interactions '
q = {i["from"]: (i["queue"], i["agent"]) for i in ix}
assert q.get("810001") == ("vip", "alice"), q
assert q.get("820001") == ("vip", None), q
assert sum(1 for i in ix if i["number"] == "200") == 20, len(ix)
'
