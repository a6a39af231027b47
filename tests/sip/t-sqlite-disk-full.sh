#!/usr/bin/env bash
# The SQLite store on a full disk: the database lives on a 4 MiB tmpfs, filled to the
# last byte once the server is up. 20 calls then all succeed (the engine never waits on
# the store); the store says the database is failing, once and not once per record or
# per retry; the records wait in memory (the spool beside the database cannot be written
# either). Once space is freed every interaction arrives, each once. Needs root.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=20
db=$WORK/db
mkdir -p "$db"
mount -t tmpfs -o size=4m,mode=0750 centrala-test "$db" 2>/dev/null ||
	skip "cannot mount a tmpfs (needs root)"
test_cleanup() { umount "$db" 2>/dev/null || true; }

write_acme_config
sed -i "s|^store: .*|store: \"sqlite:$db/centrala.db\"|" "$CONFIG"
start_server
# The disk fills: what SQLite and the spool may still write is what their files hold.
dd if=/dev/zero of="$db/filler" bs=4k >/dev/null 2>&1 || true
note "tmpfs full: $(df -h "$db" | awk 'NR == 2 {print $3 " used, " $4 " free"}')"
make_tone "$WORK/caller-440.wav" 440 10

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 60 "$(scen agent-answer.xml ring_ms=50)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"
rc=0
sipp_run caller 60 \
	"$(scen crash-caller.xml wav="$WORK/caller-440.wav" talk_min_ms=300 talk_max_ms=600)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -r 5 -m "$CALLS" -l "$CALLS" \
	-key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_log 'event=database_down' 5
sleep 3
downs=$(grep -c 'event=database_down' "$SERVER_LOG" || true)
errors=$(grep -cE 'level=(warn|error) mod=store' "$SERVER_LOG" || true)
note "with the disk full: $downs database_down, $errors store warnings and errors in all"
stored=$(grep -c 'event=interaction_stored' "$SERVER_LOG" || true)
note "$stored interactions confirmed while full"

rm -f "$db/filler"
for _ in $(seq 100); do
	[ "$(grep -c 'event=interaction_stored' "$SERVER_LOG" || true)" -ge "$CALLS" ] && break
	sleep 0.2
done
stop_server
export_interactions
check_interactions "
assert len(ix) == $CALLS, '%d interactions, want $CALLS' % len(ix)
assert len({i['id'] for i in ix}) == $CALLS, 'duplicate ids'
"
[ "$downs" -le 1 ] || fail "the store said database_down $downs times in one outage"
[ "$errors" -le 3 ] || fail "$errors store warnings and errors for one outage: $(grep -E 'level=(warn|error) mod=store' "$SERVER_LOG" | head -n 5)"
