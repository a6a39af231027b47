#!/usr/bin/env bash
# Queues' hours follow the live calendars, and a change is stored even when its client
# has gone. An admin makes calendar `shop` (closed every day) through the API, queue
# `sales` with `hours: shop` (max_wait 1s, overflow: hangup) and number 600 to it. Caller
# 1 finds the queue closed; the admin changes `shop` to 24h; caller 2 is queued. The
# calendar cannot be deleted while the queue names it (409 in_use naming the queue). A
# flow PUT whose client closes its connection before the answer (while its TTS prompt
# renders) is live and stored, and is there after a restart.
# Asserts: every SIPp call succeeded; each call's queue decision in the log; the API's
# answers against the OpenAPI document; the audit entry of the flow; the objects after a
# restart.
# timeout: 120
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    timezone: UTC
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
YAML

start_server
wait_log 'event=http_listening' 5
api() { "$PYTHON" "$SCEN/api_queue_hours.py" "$API_PORT" "$1" || fail "step $1 failed"; }
plain() {
	sipp_run "$1" 20 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 3)" -mi 127.0.0.1 \
		-mp "$(media_port 1)" -m 1 -key number "$2" -key domain "$ACME_DOMAIN"
}

api setup
rc=0
plain caller-1 600 || rc=$?
expect_sipp_ok caller-1 "$rc"
expect_log 'tenant=acme call=1 event=overflowed queue=sales reason=closed'

api open
rc=0
plain caller-2 600 || rc=$?
expect_sipp_ok caller-2 "$rc"
expect_log 'tenant=acme call=2 event=queued queue=sales'
expect_no_log 'tenant=acme call=2 event=overflowed queue=sales reason=closed'
expect_log 'tenant=acme call=2 event=overflowed queue=sales reason=max_wait'

api gone
expect_log 'tenant=acme event=object_stored_unanswered object=flows key=gone'
stop_server
start_server
wait_log 'event=http_listening' 5
api restarted
stop_server
