#!/usr/bin/env bash
# IVR flows and calendars as live objects, through the API and through SIGHUP. An admin
# makes flow `live` (a TTS menu whose digit 1 goes to node `one`) and routes number 555
# to it; calendar `biz` (closed every day) and flow `timed` (an hours node on it) behind
# number 556. Caller 1 enters `live` and waits in its menu while the admin PUTs version
# 2 (digit 1 goes to node `two`, another prompt): caller 1 presses 1 and ends in `one`
# (the version it started with), caller 2 in `two`. An invalid flow is 400 with the node
# path and changes nothing; a draft version is not used by calls until published, and
# publishing version 1 again (rollback) sends the next caller to `one`. Calendar `biz`
# changed to 24h flips `timed` from `closed` to `opened` for the next call. The file's
# flow `main` changed in the file and reloaded with SIGHUP becomes version 2 for new
# calls. After a restart the API's flows (with their versions) and calendars are there.
# Asserts: every SIPp call succeeded; the nodes in each interaction's timeline; the
# API's answers checked against the OpenAPI document; roles, the other tenant (404), the
# file's objects (409 owned_by_file), objects in use (409 in_use); the audit entries.
# timeout: 240
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

config() {
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
      - {username: bob, password: bob-secret, roles: [supervisor]}
    calendars:
      filecal: {weekly: {daily: 24h}}
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: $1
        nodes:
          $1: {type: hangup}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [admin]}
YAML
}

config first
start_server
wait_log 'event=http_listening' 5
"$PYTHON" "$SCEN/ivr_dtmf.py" "$WORK/digit-1.pcap" 1
api() { "$PYTHON" "$SCEN/api_flows.py" "$API_PORT" "$1" || fail "step $1 failed"; }
live_count() { grep -c 'tenant=acme event=flows_live' "$SERVER_LOG"; }
# caller NAME NUMBER BEFORE_MS: presses 1 BEFORE_MS after the answer, waits for the BYE.
caller() {
	sipp_run "$1" 40 "$(scen ivr-caller-bye.xml pcap="$WORK/digit-1.pcap" before_ms="$3")" \
		-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1 \
		-key number "$2" -key domain "$ACME_DOMAIN"
}
# plain NAME NUMBER: a caller who sends nothing and waits for the flow's BYE.
plain() {
	sipp_run "$1" 20 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 3)" -mi 127.0.0.1 \
		-mp "$(media_port 1)" -m 1 -key number "$2" -key domain "$ACME_DOMAIN"
}
caller_bg() {
	sipp_bg "$1" "$2" 40 "$(scen ivr-caller-bye.xml pcap="$WORK/digit-1.pcap" before_ms="$4")" \
		-p "$(peer_port "$5")" -mi 127.0.0.1 -mp "$(media_port "$5")" -m 1 \
		-key number "$3" -key domain "$ACME_DOMAIN"
}

api setup
api invalid

# Caller 1 in version 1's menu while version 2 goes live; caller 2 after it.
caller_bg c1 caller-1 555 6000 3
wait_log 'tenant=acme call=1 event=ivr_node flow=live node=menu' 10
api v2
caller_bg c2 caller-2 555 1500 5
rc=0
wait_rc "$c1" || rc=$?
expect_sipp_ok caller-1 "$rc"
rc=0
wait_rc "$c2" || rc=$?
expect_sipp_ok caller-2 "$rc"
expect_log 'tenant=acme call=1 event=ivr_node flow=live node=one type=hangup'
expect_log 'tenant=acme call=2 event=ivr_node flow=live node=two type=hangup'

# A draft is not what calls run; publishing version 1 again is.
api draft
rc=0
caller caller-3 555 1000 || rc=$?
expect_sipp_ok caller-3 "$rc"
expect_log 'tenant=acme call=3 event=ivr_node flow=live node=two type=hangup'
api rollback
rc=0
caller caller-4 555 1000 || rc=$?
expect_sipp_ok caller-4 "$rc"
expect_log 'tenant=acme call=4 event=ivr_node flow=live node=one type=hangup'

# The calendar flips the hours branch for the next call.
rc=0
plain caller-5 556 || rc=$?
expect_sipp_ok caller-5 "$rc"
expect_log 'tenant=acme call=5 event=ivr_node flow=timed node=closed type=hangup'
api open
rc=0
plain caller-6 556 || rc=$?
expect_sipp_ok caller-6 "$rc"
expect_log 'tenant=acme call=6 event=ivr_node flow=timed node=opened type=hangup'

# SIGHUP with the file's flow changed: a new version for new calls.
rc=0
plain caller-7 100 || rc=$?
expect_sipp_ok caller-7 "$rc"
expect_log 'tenant=acme call=7 event=ivr_node flow=main node=first type=hangup'
before=$(live_count)
config second
signal_server HUP
wait_log 'event=reloaded ' 10
for _ in $(seq 100); do
	[ "$(live_count)" -gt "$before" ] && break
	sleep 0.1
done
[ "$(live_count)" -gt "$before" ] || fail "the reloaded flows did not go live"
expect_log 'tenant=acme event=flow_version flow=main version=2 by=file'
api reloaded
rc=0
plain caller-8 100 || rc=$?
expect_sipp_ok caller-8 "$rc"
expect_log 'tenant=acme call=8 event=ivr_node flow=main node=second type=hangup'

stop_server
start_server
wait_log 'event=http_listening' 5
api restarted
stop_server
expect_no_log 'event=flows_ready_lost'

export_interactions
check_interactions '
by = {}
for i in ix:
    nodes = [e["node"] for e in i["timeline"] if e["event"] == "ivr" and e["kind"] == "node"]
    by[len(by) + 1] = (i["number"], nodes)
assert len(ix) == 8, f"{len(ix)} interactions"
got = sorted(by.values())
want = sorted([("555", ["menu", "one"]), ("555", ["menu", "two"]), ("555", ["menu", "two"]),
               ("555", ["menu", "one"]), ("556", ["when", "closed"]), ("556", ["when", "opened"]),
               ("100", ["first"]), ("100", ["second"])])
assert got == want, got
'
