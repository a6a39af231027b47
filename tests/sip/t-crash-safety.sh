#!/usr/bin/env bash
# Crash safety (DESIGN.md "storage off the call path"): kill -9 the server in the middle
# of a burst of calls, restart it, and check what the store and the recordings kept.
#
# A SIPp UAS registered as agent alice answers every call to 300 and echoes its RTP; a
# SIPp caller places 40 calls at 10 per second, each streaming a tone for 1 to 2 s and
# hanging up. Once at least 8 interactions are stored and at least 3 calls are bridged
# and still talking, the server gets SIGKILL. An interaction counts as stored when the
# store logged `event=interaction_stored id=... ended=1`, which it writes only after the
# COMMIT holding the record returned (src/store/writer.c): those are the calls whose
# durability is certain. After a restart, `centrala export interactions` must hold every
# one of them, complete (from, number, agent, created/answered/ended, a timeline from
# "created" to "ended", its recording), and every WAV file in the recordings directory,
# those of the calls cut off by the kill included, must be a valid WAV: RIFF and data
# sizes agree with each other and never count more bytes than the file holds (the
# recorder writes the data before the header that counts it, src/media/wav.c; bytes
# after the counted data are a chunk the kill caught before its header rewrite, which a
# header rewrite would recover). Bounded: about 10 s, well under a minute.
#
# The store is SQLite in the test's directory; with CENTRALA_TEST_PG set to a PostgreSQL
# URL (tests/store/pg-start prints one) the same runs on PostgreSQL, whose schema is
# emptied first.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=40
RATE=10
MIN_STORED=8
MIN_TALKING=3
agent_pid='' caller_pid=''

write_acme_config
if [ -n "${CENTRALA_TEST_PG:-}" ]; then
	command -v psql >/dev/null || skip "psql is missing (Debian postgresql-client)"
	psql "$CENTRALA_TEST_PG" -qc "SET client_min_messages = warning; DROP SCHEMA public \
CASCADE; CREATE SCHEMA public" >/dev/null || fail "cannot empty $CENTRALA_TEST_PG"
	sed -i "s|^store: .*|store: \"$CENTRALA_TEST_PG\"|" "$CONFIG"
	# The default PostgreSQL spool, var/store.spool, is relative to the working directory.
	BIN=$(realpath "$BIN")
	cd "$WORK"
fi
start_server
make_tone "$WORK/caller-440.wav" 440 10

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 60 "$(scen agent-answer.xml ring_ms=100)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

sipp_bg caller_pid caller 60 \
	"$(scen crash-caller.xml wav="$WORK/caller-440.wav" talk_min_ms=1000 talk_max_ms=2000)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -r "$RATE" -m "$CALLS" \
	-l "$CALLS" -key number 300 -key domain "$ACME_DOMAIN"

# Interactions whose commit the store confirmed.
stored_count() {
	grep -c 'mod=store tenant=acme event=interaction_stored id=[0-9A-Z]* ended=1' \
		"$1" || true
}
# Calls bridged (recording) whose interaction the engine has not written: still talking.
# Prints "CALL RECORDING" lines.
talking() {
	awk '/event=bridged / {
		if (match($0, /call=[0-9]+/)) c = substr($0, RSTART + 5, RLENGTH - 5)
		if (match($0, /recording=[^ ]*/)) r[c] = substr($0, RSTART + 10, RLENGTH - 10)
	}
	/event=interaction / {
		if (match($0, /call=[0-9]+/)) delete r[substr($0, RSTART + 5, RLENGTH - 5)]
	}
	END { for (c in r) print c, r[c] }' "$1"
}

killed=0
for _ in $(seq 200); do
	if [ "$(stored_count "$SERVER_LOG")" -ge "$MIN_STORED" ] &&
		[ "$(talking "$SERVER_LOG" | wc -l)" -ge "$MIN_TALKING" ]; then
		server=$(pgrep -P "$SERVER_PID")
		[ -n "$server" ] || fail "no centrala process under $SERVER_PID"
		kill -KILL "$server"
		killed=1
		break
	fi
	kill -0 "$caller_pid" 2>/dev/null || break
	sleep 0.1
done
[ "$killed" -eq 1 ] ||
	fail "never saw $MIN_STORED stored and $MIN_TALKING talking calls at once" \
		"($(stored_count "$SERVER_LOG") stored, $(talking "$SERVER_LOG" | wc -l) talking)"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
# The peers have nothing left to talk to: stop them before the server comes back.
kill -TERM "$caller_pid" "$agent_pid" 2>/dev/null || true
wait "$caller_pid" 2>/dev/null || true
wait "$agent_pid" 2>/dev/null || true

cp "$SERVER_LOG" "$WORK/server-killed.log"
grep -oE 'event=interaction_stored id=[0-9A-Z]+ ended=1' "$WORK/server-killed.log" |
	sed -E 's/.* id=([0-9A-Z]+) .*/\1/' | sort -u >"$WORK/stored.ids"
grep -oE 'event=interaction id=[0-9A-Z]+' "$WORK/server-killed.log" |
	sed -E 's/.* id=//' | sort -u >"$WORK/ended.ids"
talking "$WORK/server-killed.log" | awk '{ print $2 }' | grep -v '^$' >"$WORK/talking.recs" || true
note "at the kill: $(wc -l <"$WORK/ended.ids") calls ended, $(wc -l <"$WORK/stored.ids")" \
	"confirmed stored, $(wc -l <"$WORK/talking.recs") still talking"
[ "$(wc -l <"$WORK/stored.ids")" -ge "$MIN_STORED" ] || fail "too few stored ids in the log"

start_server
expect_no_log 'event=(migration_failed|spool_open_failed|records_lost)'

# Every interaction whose commit was confirmed is there and complete.
"$TOP/tests/store/check-interactions" --bin "$BIN" --config "$CONFIG" \
	--ids "$WORK/stored.ids" --allow-incomplete >"$WORK/check.out" 2>&1 ||
	fail "check-interactions: $(cat "$WORK/check.out")"
export_interactions
check_interactions "
import os
want = [l.strip() for l in open('$WORK/stored.ids') if l.strip()]
by = {i['id']: i for i in ix}
for w in want:
    assert w in by, w + ' is missing from the store'
    i = by[w]
    assert i['channel'] == 'voice' and i['direction'] == 'inbound', i
    assert i['from'] and i['from'].startswith('customer-'), i
    assert i['number'] == '300' and i['agent'] == 'alice', i
    assert i['created'] and i['answered'] and i['ended'], i
    assert i['created'] <= i['answered'] <= i['ended'], i
    assert i['hangup_by'] == 'caller' and not i['abandoned'], i
    assert 0.5 <= i['talk_s'] <= 4.0, i
    ev = [e['event'] for e in i['timeline']]
    assert ev[0] == 'created' and ev[-1] == 'ended' and 'answered' in ev, ev
    assert i['recording'] and os.path.isfile(i['recording']), i
"

# Every recording, finished or cut off by the kill, is a valid WAV.
if ! "$PYTHON" - "$REC_DIR" "$WORK/talking.recs" >"$WORK/wav.out" 2>&1 <<'PY'
import os, struct, sys, wave

root, talking_path = sys.argv[1], sys.argv[2]
talking = [l.strip() for l in open(talking_path) if l.strip()]
problems, seen, tails, audible = [], 0, 0, 0
for dirpath, _, files in os.walk(root):
    for f in sorted(files):
        if not f.endswith(".wav"):
            continue
        p = os.path.join(dirpath, f)
        seen += 1
        size = os.path.getsize(p)
        with open(p, "rb") as fh:
            h = fh.read(44)
        if len(h) < 44:
            problems.append(f"{p}: {size} bytes, shorter than a header")
            continue
        (riff, riff_size, wavefmt, fmt_len, tag, ch, rate, byte_rate, align, bits, data,
         data_size) = struct.unpack("<4sI8sIHHIIHH4sI", h)
        if (riff, wavefmt, data, fmt_len, tag) != (b"RIFF", b"WAVEfmt ", b"data", 16, 1):
            problems.append(f"{p}: not a canonical PCM WAV header")
            continue
        if ch != 2 or bits != 16 or rate not in (8000, 16000) or align != 4 or \
                byte_rate != rate * 4:
            problems.append(f"{p}: format {ch} ch {bits} bit {rate} Hz align {align}")
        if riff_size != 36 + data_size:
            problems.append(f"{p}: RIFF size {riff_size} but data size {data_size}")
        if data_size % align:
            problems.append(f"{p}: data size {data_size} not whole frames")
        if 44 + data_size > size:
            problems.append(f"{p}: header counts {data_size} bytes, file holds {size - 44}")
        if 44 + data_size < size:
            tails += 1  # a chunk written after the last header rewrite
        try:
            with wave.open(p, "rb") as w:
                n = w.getnframes()
                frames = w.readframes(n)
            if n != data_size // 4 or len(frames) != data_size:
                problems.append(f"{p}: wave reads {n} frames, {len(frames)} bytes")
        except (wave.Error, EOFError) as e:
            problems.append(f"{p}: wave: {e}")
        if data_size:
            audible += 1
present = [t for t in talking if os.path.isfile(t)]
if talking and not present:
    problems.append("no recording of the calls cut off by the kill: " + ", ".join(talking))
for p in problems[:20]:
    print(p)
print(f"{seen} recordings, {len(present)} of calls cut off by the kill, {audible} with audio, "
      f"{tails} with an uncounted tail, {len(problems)} problems")
sys.exit(1 if problems or seen == 0 or audible == 0 else 0)
PY
then
	fail "recordings: $(cat "$WORK/wav.out")"
fi
note "$(tail -n 1 "$WORK/wav.out")"
note "$(tail -n 1 "$WORK/check.out")"

stop_server
