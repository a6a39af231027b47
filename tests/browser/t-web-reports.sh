#!/usr/bin/env bash
# The reports over a generated history (tests/browser/report_day.py): two working days
# of three agents and two queues (answered contacts with holds and wrap-up, abandons and
# short abandons, not-ready spans with reasons, the edges of intervals, midnight and the
# service-level target) written into the store through its own API (store_seed), then
# the reports page in headless Chromium (tests/browser/reports.mjs, in a browser whose
# time zone is not the tenant's): the interval report by 15, 30 and 60 minutes over a
# day and by 60 minutes over both days, the agent report and the disposition report
# (and the interval and agent reports over two days around the end of summer time),
# each CSV compared number by number with the figures computed from `centrala export
# interactions` and each agent's state log (GET /api/v1/agents/{u}/states).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

SEED=$(dirname "$BIN")/store_seed
[ -x "$SEED" ] || fail "no $SEED (make build)"
ZONE=Europe/Warsaw
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    timezone: $ZONE
    reason_codes: [lunch, training]
    dispositions: [sale, no_sale, callback]
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0}}
      - {username: bob, name: Bob García, password: bob-secret, roles: [agent], queues: {sales: 0}}
      - {username: carol, name: Carol Zieliński, password: carol-secret, roles: [agent], queues: {support: 0, sales: 0}}
      - {username: sue, name: Sue Baker, password: sue-secret, roles: [supervisor]}
    queues:
      - {id: support, strategy: longest-idle, service_level: 20s}
      - {id: sales, strategy: longest-idle, service_level: 30s}
    numbers:
      - {number: "200", queue: support}
      - {number: "300", queue: sales}
YAML
web_static
# The days before yesterday and yesterday in the tenant's zone (the history is past).
read -r DAY1 DAY2 < <("$PYTHON" -c 'import datetime, sys, zoneinfo
d = datetime.datetime.now(zoneinfo.ZoneInfo(sys.argv[1])).date()
print(d - datetime.timedelta(days=2), d - datetime.timedelta(days=1))' "$ZONE")
export REPORT_DAY1=$DAY1 REPORT_DAY2=$DAY2
"$PYTHON" "$TOP/tests/browser/report_day.py" seed acme "$ZONE" "$DAY1" "$DAY2" "$WORK/seed.jsonl" ||
	fail "could not generate the history"
# Two more days around the end of summer time in Warsaw (25 October 2026 has 25 hours).
DST1=2026-10-24 DST2=2026-10-25
export REPORT_DST1=$DST1 REPORT_DST2=$DST2
"$PYTHON" "$TOP/tests/browser/report_day.py" seed acme "$ZONE" "$DST1" "$DST2" "$WORK/seed-dst.jsonl" B ||
	fail "could not generate the history"
cat "$WORK/seed-dst.jsonl" >>"$WORK/seed.jsonl"
# The server makes the store's schema and the users; stopped, the history goes in.
start_server
stop_server
"$SEED" "sqlite:$WORK/centrala.db" "$WORK/seed.jsonl" || fail "store_seed failed"
start_server
wait_log 'event=http_listening' 5

browser_bg bpid reports.mjs 240
browser_wait "$bpid"

# Each agent's whole state log, as the API gives it.
"$PYTHON" - "$API_PORT" "$SCEN" "$WORK/states.json" <<'PY' || fail "could not read the state log"
import json, sys
sys.path.insert(0, sys.argv[2])
from api import Api
api = Api(int(sys.argv[1]))
sue = api.login("acme", "sue", "sue-secret")
out = {}
for a in ("alice", "bob", "carol"):
    st, b, _ = api.call("GET", f"/api/v1/agents/{a}/states?since=1970-01-01T00:00:00Z", sue)
    assert st == 200, b
    out[a] = b["items"]
json.dump(out, open(sys.argv[3], "w"))
PY
stop_server
export_interactions
R="$TOP/tests/browser/report_day.py"
T='{"support": 20, "sales": 30}'
for m in 15 30 60; do
	"$PYTHON" "$R" interval "$WORK/interactions.jsonl" "$WORK/interval-$m.csv" "$ZONE" "$DAY2" "$DAY2" "$m" "$T" ||
		fail "the interval report by $m minutes does not match the export"
done
"$PYTHON" "$R" interval "$WORK/interactions.jsonl" "$WORK/interval-days.csv" "$ZONE" "$DAY1" "$DAY2" 60 "$T" ||
	fail "the interval report over two days does not match the export"
"$PYTHON" "$R" interval "$WORK/interactions.jsonl" "$WORK/interval-dst.csv" "$ZONE" "$DST1" "$DST2" 60 "$T" ||
	fail "the interval report over the end of summer time does not match the export"
"$PYTHON" "$R" interval "$WORK/interactions.jsonl" "$WORK/interval-dst-15.csv" "$ZONE" "$DST2" "$DST2" 15 "$T" ||
	fail "the interval report of the 25-hour day does not match the export"
"$PYTHON" "$R" agent "$WORK/interactions.jsonl" "$WORK/states.json" "$WORK/agents-dst.csv" ||
	fail "the agent report over the end of summer time does not match the export and the state log"
"$PYTHON" "$R" agent "$WORK/interactions.jsonl" "$WORK/states.json" "$WORK/agents.csv" ||
	fail "the agent report does not match the export and the state log"
"$PYTHON" "$R" disposition "$WORK/interactions.jsonl" "$WORK/dispositions.csv" "$ZONE" "$DAY1" "$DAY2" ||
	fail "the disposition report does not match the export"
