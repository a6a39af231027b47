#!/usr/bin/env bash
# Web callbacks: a visitor leaves a number and a time through the public route
# (POST /api/v1/public/callbacks, no token); at that time the callback enters the queue,
# the agent is rung first, then the customer through the tenant's trunk; the interaction
# has channel "callback" and the id the visitor was given. A request taken survives a
# restart before its time.
# Tenant acme (country PL) takes web callbacks for queue support (2 a hour per address);
# tenant beta takes none. Trunk pstn is a SIPp carrier that answers and echoes.
# 1. Refused, each with its status, code and field: beta (404), an unknown tenant (404,
#    the same answer), an unknown queue, a number that is no number, a blocked number
#    (outbound block +4870), a time without an offset, a time in the past, an unknown
#    field (400).
# 2. "22 123 45 67" at now + 3 s: 202 with the id, +48221234567 and the time; the same
#    number again: 409 already_requested. alice (registered, auto_ready) is offered the
#    callback when it is due, answers, the carrier is called and they are bridged.
# 3. +48227654321 at now + 12 s: 202; a third request from the same address: 429. The
#    server is stopped and started again before that time: the callback is loaded from
#    the store and rung at its time, to alice again.
# The two interactions: channel callback, outbound, the ids the visitor got, from the
# customer's number, queue support, agent alice, answered, timeline web_callback_due,
# offered, agent_connected, dialled, answered, ended.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

trunk_port=$(peer_port 30)
api="http://127.0.0.1:$API_PORT/api/v1/public/callbacks"

write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 15s}
      - {id: sales, strategy: longest-idle, ring_timeout: 15s}
    numbers:
      - {number: "200", queue: support}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
    outbound: {block: ["+4870"]}
    web_callback: {queues: [support], per_address_hour: 2}
  - id: beta
    name: Beta
    domain: beta.test
    queues:
      - {id: support}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

# post NAME JSON: writes the answer to $WORK/NAME.json and prints the status.
post() {
	curl -s -o "$WORK/$1.json" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$2" "$api"
}
# refused NAME JSON STATUS CODE FIELD
refused() {
	local st
	st=$(post "$1" "$2")
	[ "$st" = "$3" ] || fail "$1: want $3, got $st: $(cat "$WORK/$1.json")"
	"$PYTHON" - "$WORK/$1.json" "$4" "$5" <<'PY' || fail "$1: $(cat "$WORK/$1.json")"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == sys.argv[2], e
assert e.get("field", "") == sys.argv[3], e
assert e["message"], e
PY
}
at() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%S+00:00; }
local_at() { TZ=Europe/Warsaw date -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%S%:z; }

# 1. Refusals.
refused beta '{"tenant":"beta","queue":"support","number":"+48221234567"}' 404 not_found ""
refused nobody '{"tenant":"nobody","queue":"support","number":"+48221234567"}' 404 not_found ""
refused queue '{"tenant":"acme","queue":"sales","number":"+48221234567"}' 400 invalid_field queue
refused number '{"tenant":"acme","queue":"support","number":"call me"}' 400 invalid_field number
refused blocked '{"tenant":"acme","queue":"support","number":"+48 701 234 567"}' 400 invalid_field number
refused nooffset '{"tenant":"acme","queue":"support","number":"+48221234567","at":"2030-01-01T10:00:00"}' \
	400 invalid_field at
refused past "{\"tenant\":\"acme\",\"queue\":\"support\",\"number\":\"+48221234567\",\"at\":\"$(at -3600)\"}" \
	400 invalid_field at
refused field '{"tenant":"acme","queue":"support","number":"+48221234567","email":"x@y"}' 400 \
	unknown_field email
expect_no_log 'event=web_callback_requested'

# 2. A callback in 3 s, given in the visitor's own zone.
st=$(post cb1 "{\"tenant\":\"acme\",\"queue\":\"support\",\"number\":\"22 123 45 67\",\"name\":\"Ewa\",\"language\":\"pl\",\"at\":\"$(local_at 3)\"}")
[ "$st" = 202 ] || fail "cb1: want 202, got $st: $(cat "$WORK/cb1.json")"
id1=$("$PYTHON" -c '
import json, sys, time
r = json.load(open(sys.argv[1]))
assert r["number"] == "+48221234567" and r["queue"] == "support", r
assert abs(r["due_ms"] / 1000 - time.time() - 3) < 2, r
print(r["id"])' "$WORK/cb1.json") || fail "cb1: $(cat "$WORK/cb1.json")"
refused again '{"tenant":"acme","queue":"support","number":"+48221234567"}' 409 already_requested ""
# The answers as the OpenAPI document describes them.
"$PYTHON" - "$SCEN" "$API_PORT" "$WORK" <<'PY' || fail "answers do not match the OpenAPI document"
import json, sys
sys.path.insert(0, sys.argv[1])
import api
st, doc, _ = api.Api(int(sys.argv[2])).call("GET", "/api/v1/openapi.json")
assert st == 200
for name, status in (("cb1", 202), ("again", 409), ("queue", 400), ("beta", 404)):
    api.check_response(doc, "POST", "/api/v1/public/callbacks", status,
                       json.load(open(f"{sys.argv[3]}/{name}.json")))
PY

sipp_bg trunk_pid trunk1 60 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice1 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=2000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log "event=web_callback_queued queue=support id=$id1" 10
# Queued or in its call, it still counts as waiting for this number.
refused again2 '{"tenant":"acme","queue":"support","number":"+48221234567"}' 409 already_requested ""
wait_log 'event=offered queue=support agent=alice .*callback=1' 10
wait_log 'event=callback_connected number=\+48221234567' 20
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice1 "$rc"
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok trunk1 "$rc"
grep -q '^INVITE sip:+48221234567@127.0.0.1' "$WORK/trunk1.msg" ||
	fail "the carrier got no INVITE for +48221234567: $(grep '^INVITE' "$WORK/trunk1.msg")"
wait_log 'event=interaction .*answered=1' 10

# 3. One in 12 s, then the address's limit; a restart before its time.
st=$(post cb2 "{\"tenant\":\"acme\",\"queue\":\"support\",\"number\":\"+48227654321\",\"at\":\"$(at 12)\"}")
[ "$st" = 202 ] || fail "cb2: want 202, got $st: $(cat "$WORK/cb2.json")"
id2=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/cb2.json")
refused limit '{"tenant":"acme","queue":"support","number":"+48225550000"}' 429 rate_limited ""
stop_server
expect_no_log "id=$id2 .*event=web_callback_queued|event=web_callback_queued .*id=$id2"
start_server
wait_log 'tenant=acme event=web_callbacks_loaded count=1' 5
sipp_bg trunk_pid trunk2 60 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice2 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=2000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 12)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1
register_agent alice alice-pw "$(peer_port 12)" "$(peer_port 22)"
wait_log "event=web_callback_queued queue=support id=$id2" 20
wait_log 'event=callback_connected number=\+48227654321' 20
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice2 "$rc"
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok trunk2 "$rc"
wait_log 'event=interaction .*answered=1' 10
stop_server

export_interactions
check_interactions "
by = {i['id']: i for i in ix}
assert sorted(by) == sorted(['$id1', '$id2']), 'interactions %s' % sorted(by)
for id, num in (('$id1', '+48221234567'), ('$id2', '+48227654321')):
    i = by[id]
    assert i['channel'] == 'callback', i
    assert i['direction'] == 'outbound', i
    assert i['from'] == num, i
    assert i['queue'] == 'support' and i['agent'] == 'alice', i
    assert i['answered'] and not i['abandoned'], i
    ev = [e['event'] for e in i['timeline']]
    want = ['web_callback_due', 'offered', 'agent_connected', 'dialled', 'answered', 'ended']
    k = 0
    for e in ev:
        if k < len(want) and e == want[k]:
            k += 1
    assert k == len(want), ev
"
