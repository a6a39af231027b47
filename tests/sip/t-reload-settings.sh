#!/usr/bin/env bash
# What SIGHUP applies besides the tenants' objects (docs/operations.md, "Reload"). The
# server starts with no retention limit, the log at info and calendar `office` closed
# every day; number 101's flow asks it. The store holds an interaction 40 days old with a
# recording and notes (written straight into SQLite between a first start and the second).
# Reload 1 sets `retention: {recordings: 30d, bodies: 10d}`, opens `office` all day and
# changes sip.user_agent: the retention job, which never started, starts and deletes the
# old recording and notes (one audit entry); the next call to 101 finds the office open;
# the user agent is logged as needing a restart. Reload 2 sets `log: warn`: the next call
# logs no info line, the warning about the user agent (still unlike the start) does;
# reload 3 brings info back; reload 4 removes the limits and the job goes idle.
# Asserts: the log lines above; the recording file gone; the interactions' hours path.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

config() { # $1: office's week, $2: tenant's extra keys, $3: top-level extra lines, $4: sip extra
	write_config "$4" <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
$3
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    timezone: UTC
$2
    calendars:
      office: {weekly: {daily: $1}}
    numbers:
      - {number: "101", flow: office}
    flows:
      office:
        start: when
        nodes:
          when: {type: hours, calendar: office, open: opened, closed: closed, holiday: closed}
          opened: {type: hangup}
          closed: {type: hangup}
YAML
}

call() { # NUMBER N
	local rc=0
	sipp_run "caller-$1-$2" 20 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 3)" -mi 127.0.0.1 \
		-mp "$(media_port 1)" -m 1 -key number 101 -key domain "$ACME_DOMAIN" || rc=$?
	expect_sipp_ok "caller-$1-$2" "$rc"
}

config closed "" "" ""
start_server
stop_server
mkdir -p "$REC_DIR/acme"
"$PYTHON" - "$WORK/centrala.db" "$REC_DIR/acme/old.wav" <<'PY' || fail "cannot seed the store"
import json, sqlite3, sys, time
db, path = sys.argv[1], sys.argv[2]
open(path, "wb").write(b"RIFF")
t = int(time.time() * 1000) - 40 * 86400000
c = sqlite3.connect(db)
c.execute("INSERT INTO interactions (tenant, id, channel, direction, from_addr, created_ms, "
          "ended_ms, notes, recording, timeline, updated_ms, legal_hold) VALUES "
          "('acme', 'OLD', 'voice', 'inbound', '+48221234567', ?, ?, 'card 4242', ?, ?, ?, 0)",
          (t, t + 60000, path, json.dumps([{"ts": "x", "event": "created"}]), t))
c.commit()
PY

start_server
call 101 1
wait_log 'tenant=acme call=1 event=ivr_hours flow=office node=when detail="closed"' 5
expect_no_log 'event=retention'

config 24h "    retention: {recordings: 30d, bodies: 10d}" "" 'user_agent: "centrala-reloaded"'
signal_server HUP
wait_log 'event=reloaded .*needs_restart=1' 10
expect_log 'event=reload_needs_restart what=sip.user_agent'
wait_log 'tenant=acme event=retention recordings=1 files=1 bodies=1 held=0 failed=0' 10
[ ! -e "$REC_DIR/acme/old.wav" ] || fail "the old recording was not deleted"
call 101 2
wait_log 'tenant=acme call=2 event=ivr_hours flow=office node=when detail="open"' 5

config 24h "    retention: {recordings: 30d, bodies: 10d}" "log: warn" 'user_agent: "centrala-reloaded"'
signal_server HUP
for _ in $(seq 100); do
	[ "$(grep -c 'event=reload_needs_restart what=sip.user_agent' "$SERVER_LOG")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=reload_needs_restart what=sip.user_agent' "$SERVER_LOG")" -ge 2 ] ||
	fail "the second reload said nothing at warn"
call 101 3
expect_no_log 'call=3 '
# Back to info: the stop's own line is one.
config 24h "    retention: {recordings: 30d, bodies: 10d}" "" 'user_agent: "centrala-reloaded"'
signal_server HUP
for _ in $(seq 100); do
	[ "$(grep -c 'event=reloaded ' "$SERVER_LOG")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=reloaded ' "$SERVER_LOG")" -ge 2 ] || fail "no info line after log went back to info"
# Reload 4 drops the limits: the job stops running.
config 24h "" "" 'user_agent: "centrala-reloaded"'
signal_server HUP
wait_log 'event=retention_idle ' 10
runs=$(grep -c 'event=retention ' "$SERVER_LOG")
stop_server
[ "$(grep -c 'event=retention ' "$SERVER_LOG")" -eq "$runs" ] || fail "retention ran without limits"

export_interactions
check_interactions '
by = {i["id"]: i for i in ix}
assert by["OLD"]["recording"] is None and by["OLD"]["notes"] is None, by["OLD"]
calls = [i for i in ix if i["id"] != "OLD"]
assert len(calls) == 3, len(calls)
states = sorted(e["detail"] for i in calls for e in i["timeline"]
                if e["event"] == "ivr" and e["kind"] == "hours")
assert states == ["closed", "open", "open"], states
'
n=$("$PYTHON" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
\"SELECT count(*) FROM audit_log WHERE tenant = 'acme' AND actor = 'retention'\").fetchone()[0])" \
	"$WORK/centrala.db")
[ "$n" -eq 1 ] || fail "$n retention audit entries, want 1"
