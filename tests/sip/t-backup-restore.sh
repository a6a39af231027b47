#!/usr/bin/env bash
# `centrala backup` during calls and `centrala restore` into a fresh directory.
#
# A SIPp UAS registered as agent alice answers and echoes every call to 300; a SIPp
# caller places 30 calls at 5 per second, each talking 1 to 2 s. Once at least 6
# interactions are stored and at least 2 calls are talking, `centrala backup` copies the
# live store (SQLite online backup) and the recordings into a new directory while the
# calls go on. After the burst, `centrala restore` puts the backup into a configuration
# whose store and recordings live elsewhere. `centrala export interactions` on it must
# hold every interaction of the backup (as many as backup.json counts), among them every
# interaction the store had confirmed before the backup began, each identical to the
# live server's final export but for the recording directory, with its recording's bytes
# identical to the original. A second restore onto the restored store is refused; a
# server starts on the restored configuration.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=30
RATE=5
agent_pid='' caller_pid=''

write_acme_config
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

stored_count() { grep -c 'event=interaction_stored id=[0-9A-Z]* ended=1' "$SERVER_LOG" || true; }
talking_count() {
	echo $(($(grep -c 'event=bridged ' "$SERVER_LOG" || true) - $(grep -c 'event=interaction ' \
		"$SERVER_LOG" || true)))
}
ready=0
for _ in $(seq 300); do
	if [ "$(stored_count)" -ge 6 ] && [ "$(talking_count)" -ge 2 ]; then
		ready=1
		break
	fi
	kill -0 "$caller_pid" 2>/dev/null || break
	sleep 0.1
done
[ "$ready" -eq 1 ] || fail "never 6 stored and 2 talking calls at once"
grep -oE 'event=interaction_stored id=[0-9A-Z]+ ended=1' "$SERVER_LOG" |
	sed -E 's/.* id=([0-9A-Z]+) .*/\1/' | sort -u >"$WORK/before.ids"
talking=$(talking_count)
timeout 60 "$BIN" backup --config "$CONFIG" "$WORK/backup" >"$WORK/backup.out" 2>&1 ||
	fail "centrala backup: $(cat "$WORK/backup.out")"
note "$(cat "$WORK/backup.out") — taken with $(wc -l <"$WORK/before.ids") stored, $talking talking"
kill -0 "$caller_pid" 2>/dev/null || fail "the calls were over before the backup ended"

rc=0
wait_rc "$caller_pid" || rc=$?
expect_sipp_ok caller "$rc"
kill -TERM "$agent_pid" 2>/dev/null || true
stop_server
export_interactions
cp "$WORK/interactions.jsonl" "$WORK/original.jsonl"

"$PYTHON" - "$WORK/backup" <<'PY' || fail "backup directory check failed"
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "backup.json")))
assert m["format"] == 1 and m["backend"] == "sqlite" and m["database"] == "centrala.db", m
assert m["interactions"] > 0 and m["recordings"] > 0 and m["missing_recordings"] == 0, m
idx = [json.loads(l) for l in open(os.path.join(d, "recordings.index"))]
assert len(idx) == m["recordings"], (len(idx), m)
for e in idx:
    p = os.path.join(d, "recordings", e["path"])
    assert os.path.getsize(p) == e["bytes"], e
PY

# Restore into a fresh directory.
fresh=$WORK/fresh
sed -e "s|^store: .*|store: \"sqlite:$fresh/centrala.db\"|" \
	-e "s|^recordings: .*|recordings: \"$fresh/recordings\"|" "$CONFIG" >"$WORK/restored.yaml"
timeout 60 "$BIN" restore --config "$WORK/restored.yaml" "$WORK/backup" >"$WORK/restore.out" 2>&1 ||
	fail "centrala restore: $(cat "$WORK/restore.out")"
note "$(cat "$WORK/restore.out")"
timeout 30 "$BIN" export interactions --config "$WORK/restored.yaml" >"$WORK/restored.jsonl" \
	2>"$WORK/export-restored.err" || fail "export of the restored store: $(cat "$WORK/export-restored.err")"
"$PYTHON" - "$WORK" "$REC_DIR" "$fresh/recordings" <<'PY' || fail "restored interactions differ"
import filecmp, json, os, sys
work, old, new = sys.argv[1:4]
load = lambda f: {i["id"]: i for i in map(json.loads, open(os.path.join(work, f))) if i}
orig, rest = load("original.jsonl"), load("restored.jsonl")
m = json.load(open(os.path.join(work, "backup", "backup.json")))
before = [l.strip() for l in open(os.path.join(work, "before.ids")) if l.strip()]
assert len(rest) == m["interactions"], (len(rest), m["interactions"])
assert set(rest) <= set(orig), set(rest) - set(orig)
for i in before:
    assert i in rest, i + " was stored before the backup and is not in the restore"
    want = json.dumps(orig[i], sort_keys=True).replace(old + "/", new + "/")
    got = json.dumps(rest[i], sort_keys=True)
    assert want == got, (i, want, got)
    r = rest[i]["recording"]
    assert r and r.startswith(new + "/"), r
    assert filecmp.cmp(r, orig[i]["recording"], shallow=False), r
for i, x in rest.items():
    if x["recording"]:
        assert os.path.isfile(x["recording"]), x["recording"]
print(f"{len(rest)} interactions restored ({len(before)} stored before the backup), "
      f"{len(orig)} in the live store at the end")
PY

# A second restore does not overwrite the restored store.
rc=0
timeout 60 "$BIN" restore --config "$WORK/restored.yaml" "$WORK/backup" >"$WORK/restore2.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a restore over an existing store: exit $rc, want 1"
grep -q 'exists' "$WORK/restore2.out" || fail "no reason given: $(cat "$WORK/restore2.out")"

# The server runs on what was restored.
CONFIG=$WORK/restored.yaml
start_server
expect_no_log 'event=(migration_failed|store_failed)'
stop_server
