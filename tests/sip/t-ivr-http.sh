#!/usr/bin/env bash
# An IVR `http` node asks a company's system and its answer chooses the branch (issue 4,
# "an http node against a small HTTP server started by the test"). ivr_http.py listens
# on 127.0.0.1 and answers /route with {"customer": {"tier": ...}}: gold when the dialled
# number is 101, silver otherwise. Flow `dip` GETs /route with the caller and called
# numbers as parameters and a header, maps customer.tier to `tier`, and a condition sends
# gold to node `gold` and anything else to `silver`. Flows whose dip cannot succeed
# take their `error` branch: /slow answers after 3 s (timeout 1 s), /fail answers 500,
# and a port where nothing listens refuses the connection. Every branch ends in a
# hang-up, so each caller (SIPp, no digits) waits for the BYE.
# Asserts: each call took the branch its answer chose; the server saw caller, called
# and the header; the path in each interaction's timeline holds the http entry with its
# status (200; 0 for a timeout or a refused connection; 500) and detail ("ok" or what
# went wrong), the variable-chosen node, and the end.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

DIP_PORT=$(peer_port 30)
DOWN_PORT=$(peer_port 31)
: >"$WORK/http.log"
"$PYTHON" "$SCEN/ivr_http.py" "$DIP_PORT" "$WORK/http.log" >"$WORK/http.out" 2>&1 &
_BG_PIDS+=("$!")
for _ in $(seq 50); do
	grep -q listening "$WORK/http.out" && break
	sleep 0.1
done
grep -q listening "$WORK/http.out" || fail "the test's HTTP server did not start: $(cat "$WORK/http.out")"

# flow NAME URL TIMEOUT: a flow that dips URL and branches on the customer's tier.
flow() {
	cat <<YAML
      $1:
        start: dip
        nodes:
          dip:
            type: http
            url: "$2"
            params: {caller: "{caller}", called: "{called}"}
            headers: {X-Tenant: acme}
            timeout: $3
            into: crm
            map: {tier: customer.tier}
            next: route
            error: failed
          route: {type: condition, if: "tier == 'gold' and crm.customer.orders.0.id == 7", then: gold, else: silver}
          gold: {type: hangup}
          silver: {type: hangup}
          failed: {type: hangup}
YAML
}

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    numbers:
      - {number: "101", flow: dip}
      - {number: "102", flow: dip}
      - {number: "103", flow: slow}
      - {number: "104", flow: fail}
      - {number: "105", flow: down}
    flows:
$(flow dip "http://127.0.0.1:$DIP_PORT/route" 2s)
$(flow slow "http://127.0.0.1:$DIP_PORT/slow" 1s)
$(flow fail "http://127.0.0.1:$DIP_PORT/fail" 2s)
$(flow down "http://127.0.0.1:$DOWN_PORT/route" 2s)
YAML
start_server

call() { # call NUMBER: a caller who waits for the flow to hang up
	local rc=0
	sipp_run "caller-$1" 20 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 3)" -mi 127.0.0.1 \
		-mp "$(media_port 1)" -m 1 -key number "$1" -key domain "$ACME_DOMAIN" || rc=$?
	expect_sipp_ok "caller-$1" "$rc"
}

n=0
for number in 101 102 103 104 105; do
	n=$((n + 1))
	call "$number"
	wait_log "tenant=acme call=$n event=interaction " 5
done
expect_log 'tenant=acme call=1 event=ivr_node flow=dip node=gold type=hangup'
expect_log 'tenant=acme call=2 event=ivr_node flow=dip node=silver type=hangup'
expect_log 'tenant=acme call=3 event=ivr_node flow=slow node=failed type=hangup'
expect_log 'tenant=acme call=4 event=ivr_node flow=fail node=failed type=hangup'
expect_log 'tenant=acme call=5 event=ivr_node flow=down node=failed type=hangup'
stop_server

"$PYTHON" - "$WORK/http.log" <<'PY' || fail "the HTTP server did not see what the flow sends"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
route = [r for r in reqs if r["path"] == "/route"]
assert [r["query"]["called"] for r in route] == ["101", "102"], reqs
assert all(r["query"]["caller"] == "customer" for r in route), route
assert all(r["headers"].get("X-Tenant") == "acme" for r in reqs), reqs
assert [r["path"] for r in reqs] == ["/route", "/route", "/slow", "/fail"], reqs
PY

export_interactions
check_interactions '
assert len(ix) == 5, f"{len(ix)} interactions"
by_number = {i["number"]: i for i in ix}
want = {
    "101": ("dip", 200, lambda d: d == "ok", "gold"),
    "102": ("dip", 200, lambda d: d == "ok", "silver"),
    "103": ("slow", 0, lambda d: "timeout" in d, "failed"),
    "104": ("fail", 500, lambda d: "500" in d, "failed"),
    "105": ("down", 0, lambda d: d != "ok", "failed"),
}
for number, (flow, status, detail_ok, node) in want.items():
    tl = [e for e in by_number[number]["timeline"] if e["event"] == "ivr"]
    path = [(e["kind"], e["node"]) for e in tl]
    branch = [("node", "route")] if node != "failed" else []
    assert path == [("node", "dip"), ("http", "dip")] + branch + [("node", node), ("end", node)], (number, path)
    http = next(e for e in tl if e["kind"] == "http")
    assert http["flow"] == flow and http["status"] == status and detail_ok(http["detail"]), (number, http)
    assert tl[-1]["detail"] == "hangup", (number, tl[-1])
    assert by_number[number]["hangup_by"] == "system", by_number[number]
'
