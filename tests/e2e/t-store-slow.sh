#!/usr/bin/env bash
# timeout: 120
# A slow store never delays a call or a live read: the store is a PostgreSQL server of
# the test's own (tests/store/pg-start, loopback). After a first call, another session
# locks the interactions and agent_states tables for 12 seconds, so every write and every
# history read waits on them. Meanwhile SIPp places 20 calls at 5 per second to a
# registered SIPp phone, and an API client (tests/e2e/store_slow.py) starts a history
# read (GET /api/v1/interactions) that stays blocked, then, while it is still blocked,
# reads the live agents, changes alice's state and reads /healthz: each is answered.
# Asserts: every call succeeds during the lock; the live reads and the state change are
# answered while the history read waits; once the lock goes, the history read answers,
# and every call is stored exactly once (21 interactions, distinct ids, complete).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

CALLS=20
RATE=5
LOCK_S=12
command -v psql >/dev/null || skip "psql is missing (Debian postgresql-client)"
[ -x /usr/lib/postgresql/15/bin/initdb ] || skip "PostgreSQL 15 is missing (Debian postgresql-15)"
pg=$(mktemp -d /tmp/centrala-pg.XXXXXX)
lock_pid=
test_cleanup() {
	[ -n "$lock_pid" ] && kill "$lock_pid" 2>/dev/null
	"$TOP/tests/store/pg-stop" "$pg" --remove >/dev/null 2>&1 || true
}
url=$("$TOP/tests/store/pg-start" "$pg") || fail "PostgreSQL did not start: $(tail -n 5 "$pg/log" 2>/dev/null)"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}}
      - {username: bob, password: bob-secret, roles: [agent, supervisor]}
    numbers:
      - {number: "300", user: alice}
YAML
sed -i "s|^store: .*|store: \"$url\"|" "$CONFIG"
BIN=$(realpath "$BIN")
cd "$WORK"
start_server
wait_log 'event=http_listening' 10
make_tone "$WORK/caller-440.wav" 440 5

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 90 "$(scen agent-answer.xml ring_ms=50)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

call_scen=$(scen crash-caller.xml wav="$WORK/caller-440.wav" talk_min_ms=500 talk_max_ms=1000)
sipp_bg first_pid first 30 "$call_scen" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -m 1 -key number 300 -key domain "$ACME_DOMAIN"
rc=0
wait_rc "$first_pid" || rc=$?
expect_sipp_ok first "$rc"
count() { psql "$url" -XAtqc "SELECT count(*) FROM interactions" 2>/dev/null || echo 0; }
for _ in $(seq 40); do
	[ "$(count)" -ge 1 ] && break
	sleep 0.25
done
[ "$(count)" = 1 ] || fail "the first call was not stored ($(count) interactions)"

# The lock, held by a session of its own until LOCK_S seconds have passed.
psql "$url" -XAtq >"$WORK/lock.out" 2>&1 <<SQL &
BEGIN;
LOCK TABLE interactions, agent_states IN ACCESS EXCLUSIVE MODE;
SELECT 'locked';
SELECT pg_sleep($LOCK_S);
COMMIT;
SQL
lock_pid=$!
for _ in $(seq 40); do
	grep -q locked "$WORK/lock.out" && break
	sleep 0.1
done
grep -q locked "$WORK/lock.out" || fail "the lock was not taken: $(cat "$WORK/lock.out")"
note "interactions and agent_states locked for $LOCK_S s"

sipp_bg caller_pid caller 60 "$call_scen" -p "$(peer_port 4)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -r "$RATE" -m "$CALLS" -l "$CALLS" -key number 300 \
	-key domain "$ACME_DOMAIN"
"$PYTHON" "$TOP/tests/e2e/store_slow.py" "$API_PORT" "$WORK/lock.out" ||
	fail "the API waited on the slow store"
rc=0
wait_rc "$caller_pid" || rc=$?
expect_sipp_ok caller "$rc"
[ "$(sipp_stat caller 'SuccessfulCall(C)')" = "$CALLS" ] ||
	fail "$(sipp_stat caller 'SuccessfulCall(C)') of $CALLS calls succeeded"
wait "$lock_pid" || fail "the locking session failed: $(cat "$WORK/lock.out")"
lock_pid=
for _ in $(seq 60); do
	[ "$(count)" -ge $((CALLS + 1)) ] && break
	sleep 0.5
done
stop_server
kill -TERM "$agent_pid" 2>/dev/null || true
export_interactions
check_interactions "
assert len(ix) == $((CALLS + 1)), '%d interactions, want $((CALLS + 1))' % len(ix)
assert len({i['id'] for i in ix}) == len(ix), 'duplicate ids'
for i in ix:
    assert i['agent'] == 'alice' and i['answered'] and i['ended'], i
"
note "$CALLS calls and the live API answered while the store was locked; every call stored once"
