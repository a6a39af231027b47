#!/usr/bin/env bash
# timeout: 150
# serial: 30 calls/s with media for 20 s; beside other tests on two cores SIPp falls
# behind (its ACKs late, calls torn down by the server)
# The database goes away while calls come in: a PostgreSQL server of the test's own
# (tests/store/pg-start, loopback) is the store; SIPp places 600 calls at 30 per second
# to a registered SIPp phone, each talking 0.5 to 1 s. Five seconds in, PostgreSQL stops
# (fast shutdown: connections cut); seven seconds later it starts again on the same
# data. Every call must succeed (the engine never waits on the store), the store must
# say it lost the database and got it back (event=database_down, event=database_up),
# the spool file must grow while the database is away (the calls' records wait there),
# and once the spool has drained every call is in the database exactly once: 600
# interactions, 600 distinct ids, each complete.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

CALLS=600
RATE=30
command -v psql >/dev/null || skip "psql is missing (Debian postgresql-client)"
[ -x /usr/lib/postgresql/15/bin/initdb ] || skip "PostgreSQL 15 is missing (Debian postgresql-15)"
pg=$(mktemp -d /tmp/centrala-pg.XXXXXX)
# lib.sh's clean-up (peers, then the server) calls this last.
test_cleanup() { "$TOP/tests/store/pg-stop" "$pg" --remove >/dev/null 2>&1 || true; }
url=$("$TOP/tests/store/pg-start" "$pg") || fail "PostgreSQL did not start: $(tail -n 5 "$pg/log" 2>/dev/null)"

write_acme_config
sed -i "s|^store: .*|store: \"$url\"|" "$CONFIG"
# About 40 calls up at once, four ports each: twice the slot's 200 server ports.
sed -i "s|ports: $RTP_MIN-$RTP_MAX|ports: $RTP_MIN-$((RTP_MIN + 399))|" "$CONFIG"
# The PostgreSQL spool (var/store.spool) is relative to the working directory.
BIN=$(realpath "$BIN")
cd "$WORK"
start_server
make_tone "$WORK/caller-440.wav" 440 10

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 90 "$(scen agent-answer.xml ring_ms=50)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

sipp_bg caller_pid caller 90 \
	"$(scen crash-caller.xml wav="$WORK/caller-440.wav" talk_min_ms=500 talk_max_ms=1000)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -r "$RATE" -m "$CALLS" \
	-l "$CALLS" -key number 300 -key domain "$ACME_DOMAIN"
sleep 5
"$TOP/tests/store/pg-stop" "$pg" || fail "could not stop PostgreSQL"
note "PostgreSQL stopped after 5 s"
spool=$WORK/var/store.spool
sleep 1
s1=$(stat -c %s "$spool" 2>/dev/null || echo 0)
sleep 6
s2=$(stat -c %s "$spool" 2>/dev/null || echo 0)
note "spool: $s1 bytes 1 s into the outage, $s2 bytes 7 s in"
[ "$s2" -gt "$s1" ] || fail "the spool did not grow during the outage ($s1 then $s2 bytes)"
"$TOP/tests/store/pg-start" "$pg" >/dev/null || fail "PostgreSQL did not start again"
note "PostgreSQL back after 7 s"
rc=0
wait_rc "$caller_pid" || rc=$?
expect_sipp_ok caller "$rc"
[ "$(sipp_stat caller 'SuccessfulCall(C)')" = "$CALLS" ] ||
	fail "$(sipp_stat caller 'SuccessfulCall(C)') of $CALLS calls succeeded"
wait_log 'event=database_down' 1
wait_log 'event=database_up' 30

# The spool drains behind the database's return: wait until every call is there.
count() { psql "$url" -XAtqc "SELECT count(*) FROM interactions" 2>/dev/null || echo 0; }
for _ in $(seq 60); do
	[ "$(count)" -ge "$CALLS" ] && break
	sleep 0.5
done
note "$(count) interactions in PostgreSQL; store log: $(grep -oE 'event=(database_down|database_up|spool_[a-z_]+)' "$SERVER_LOG" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
stop_server
kill -TERM "$agent_pid" 2>/dev/null || true
export_interactions
check_interactions "
assert len(ix) == $CALLS, '%d interactions, want $CALLS' % len(ix)
assert len({i['id'] for i in ix}) == $CALLS, 'duplicate ids'
for i in ix:
    assert i['agent'] == 'alice' and i['answered'] and i['ended'], i
    ev = [e['event'] for e in i['timeline']]
    assert ev[0] == 'created' and ev[-1] == 'ended', ev
"
