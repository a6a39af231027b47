#!/usr/bin/env bash
# An IVR `hours` node sends callers by business hours (issue 4, "hours with a calendar
# that is closed now"). Three calendars of the tenant: `shut` (weekly: daily closed),
# `always` (daily 24h) and `feast` (open all week, but yesterday, today and tomorrow are
# holidays, so whatever the hour, today is one). Numbers 101, 102 and 103 run flows
# whose first node asks one calendar each and branches open / closed / holiday to
# hang-up nodes of those names. A check of the same configuration with
# `centrala check` passes, and one naming an unknown calendar fails with its place.
# Asserts: each caller (SIPp, no digits, waits for the BYE) went the way its calendar
# says now; the path in each interaction's timeline holds the hours entry ("closed",
# "open", "holiday") and the node it led to.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

# flow NAME CALENDAR
flow() {
	cat <<YAML
      $1:
        start: when
        nodes:
          when: {type: hours, calendar: $2, open: opened, closed: closed, holiday: holiday}
          opened: {type: hangup}
          closed: {type: hangup, prompt: closed}
          holiday: {type: hangup}
YAML
}

days=$(for d in -1 0 1; do date -u -d "$d day" +%F; done | paste -sd, -)
write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    timezone: UTC
    calendars:
      shut: {weekly: {daily: closed}}
      always: {weekly: {daily: 24h}}
      feast: {weekly: {daily: 24h}, holidays: [$days]}
    numbers:
      - {number: "101", flow: shut}
      - {number: "102", flow: always}
      - {number: "103", flow: feast}
    flows:
$(flow shut shut)
$(flow always always)
$(flow feast feast)
YAML
timeout 20 "$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "centrala check: $(cat "$WORK/check.out")"
sed 's/calendar: feast/calendar: fest/' "$CONFIG" >"$WORK/bad.yaml"
rc=0
timeout 20 "$BIN" check "$WORK/bad.yaml" >"$WORK/check-bad.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "centrala check of an unknown calendar exited $rc"
grep -qE 'bad\.yaml:[0-9]+:[0-9]+: tenants\[0\]\.flows\.feast\.nodes\.when\.calendar: unknown calendar "fest"' \
	"$WORK/check-bad.out" || fail "no placed error for the unknown calendar: $(cat "$WORK/check-bad.out")"
start_server

n=0
for number in 101 102 103; do
	n=$((n + 1))
	rc=0
	sipp_run "caller-$number" 20 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 3)" -mi 127.0.0.1 \
		-mp "$(media_port 1)" -m 1 -key number "$number" -key domain "$ACME_DOMAIN" || rc=$?
	expect_sipp_ok "caller-$number" "$rc"
	wait_log "tenant=acme call=$n event=interaction " 5
done
expect_log 'tenant=acme call=1 event=ivr_hours flow=shut node=when detail="closed"'
expect_log 'tenant=acme call=1 event=ivr_node flow=shut node=closed type=hangup'
expect_log 'tenant=acme call=2 event=ivr_node flow=always node=opened type=hangup'
expect_log 'tenant=acme call=3 event=ivr_node flow=feast node=holiday type=hangup'
stop_server

export_interactions
check_interactions '
assert len(ix) == 3, f"{len(ix)} interactions"
by_number = {i["number"]: i for i in ix}
for number, flow, state, node in (("101", "shut", "closed", "closed"),
                                  ("102", "always", "open", "opened"),
                                  ("103", "feast", "holiday", "holiday")):
    tl = [e for e in by_number[number]["timeline"] if e["event"] == "ivr"]
    path = [(e["kind"], e["node"], e["detail"]) for e in tl]
    assert path == [("node", "when", "hours"), ("hours", "when", state), ("node", node, "hangup"),
                    ("end", node, "hangup")], (number, path)
    assert all(e["flow"] == flow for e in tl), tl
'
