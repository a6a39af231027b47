#!/usr/bin/env bash
# Numbers changed through the API while calls are up, and kept across a restart. Twenty
# SIPp customers wait in queue support (no agent) while an admin makes number 555 for
# queue sales, re-routes it to support and removes and makes it again; calls to 555
# follow each change; the file's own number 200 and another tenant's 900 are refused
# with 409, bad bodies with 400 naming the field. After a restart 555 still routes to
# sales, marked as the API's.
# Asserts: none of the 20 calls dropped (SIPp: 20 successful calls, each hung up by the
# customer after 10 s); each probe call's interaction names the queue of the route in
# force when it came; the API's answers (status, fields, source); audit entries.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle}
      - {id: sales, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [admin]}
    queues:
      - {id: bq}
    numbers:
      - {number: "900", queue: bq}
YAML
start_server
wait_log 'event=http_listening' 5

api() { "$PYTHON" "$SCEN/api_numbers.py" "$API_PORT" "$@"; }
# probe NAME FROM: one short call to 555 from FROM (waits 1 s, hangs up).
probe() {
	local rc=0
	sipp_run "$1" 20 "$(scen queue-caller-hangup.xml number=555 domain="$ACME_DOMAIN" \
		from="$2" rtp_port="$(media_port 6)" wait_ms=1000)" -p "$(peer_port 6)" \
		-mi 127.0.0.1 -mp "$(media_port 6)" -m 1 || rc=$?
	expect_sipp_ok "$1" "$rc"
}

sipp_bg load_pid load 60 "$(scen queue-caller-hangup.xml number=200 domain="$ACME_DOMAIN" \
	from=70000 rtp_port="$(media_port 3)" wait_ms=10000)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -m 20 -r 20 -l 20
for _ in $(seq 100); do
	[ "$(grep -c 'event=queued queue=support' "$SERVER_LOG")" -ge 20 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=queued queue=support' "$SERVER_LOG")" -ge 20 ] || fail "the 20 calls did not all queue"

api create || fail "creating number 555 failed"
probe probe-sales 81000
api reroute || fail "re-routing number 555 failed"
probe probe-support 82000
api delete || fail "removing number 555 failed"
api recreate || fail "making number 555 again failed"
rc=0
wait_rc "$load_pid" || rc=$?
expect_sipp_ok load "$rc"
[ "$(sipp_stat load SuccessfulCall\(C\))" = 20 ] || fail "not all 20 waiting calls ended well"

stop_server
start_server
wait_log 'event=api_objects object=numbers loaded=1' 5
api after-restart || fail "number 555 did not survive the restart"
probe probe-restart 83000
stop_server

export_interactions
check_interactions '
q = {i["from"]: i["queue"] for i in ix}
assert q.get("810001") == "sales", q
assert q.get("820001") == "support", q
assert q.get("830001") == "sales", q
assert sum(1 for i in ix if i["number"] == "200") == 20, len(ix)
'
