#!/usr/bin/env bash
# Backup and restore figures: a SQLite store of N interactions (six-event timelines,
# notes) and R one-minute stereo recordings (1.92 MB each) is backed up with
# `centrala backup` and restored into a fresh directory with `centrala restore`; the
# bench prints the CPU time (user + system, from /usr/bin/time) and the wall time of
# each, the bytes moved and the peak RSS. It asserts nothing about time.
#
#   bench/backup.sh [BUILD/centrala] [INTERACTIONS] [RECORDINGS]
#   (defaults: build/centrala 200000 200; needs about 1 GB in /tmp)
set -euo pipefail

bin=$(realpath -e "${1:-build/centrala}")
n=${2:-200000}
r=${3:-200}
work=$(mktemp -d /tmp/centrala-bench-backup.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf 'store: "sqlite:%s/centrala.db"\nrecordings: "%s/recordings"\ntenants: []\n' \
	"$work" "$work" >"$work/live.yaml"
printf 'store: "sqlite:%s/fresh/centrala.db"\nrecordings: "%s/fresh/recordings"\ntenants: []\n' \
	"$work" "$work" >"$work/fresh.yaml"
"$bin" export interactions --config "$work/live.yaml" >/dev/null 2>&1 # creates the schema
/usr/bin/python3 - "$work" "$n" "$r" <<'PY'
import json, os, sqlite3, sys, time
work, n, r = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{work}/recordings/acme/2026-12-01", exist_ok=True)
minute = os.urandom(32000 * 60)  # 16-bit stereo 8 kHz, one minute
now = int(time.time() * 1000)
c = sqlite3.connect(f"{work}/centrala.db")
rows = []
for i in range(n):
    t = now - (n - i) * 1000
    rec = f"{work}/recordings/acme/2026-12-01/call-{i}-{t}.wav" if i < r else None
    if rec:
        with open(rec, "wb") as f:
            f.write(b"RIFF" + minute)
    tl = [{"ts": t, "event": e} for e in ("created", "queued", "offered", "answered",
                                          "recording", "ended")]
    rows.append(("acme", f"I{i:09d}", "voice", "inbound", f"+4822{i:07d}", "300", "support",
                 "alice", t, t + 60000, "notes about the call", rec, json.dumps(tl), t))
c.executemany("INSERT INTO interactions (tenant, id, channel, direction, from_addr, number, "
              "queue, agent, created_ms, ended_ms, notes, recording, timeline, updated_ms) "
              "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
c.commit()
PY
db_bytes=$(stat -c %s "$work/centrala.db")
rec_bytes=$(du -sb "$work/recordings" | cut -f1)

run() { # label, command...
	local label=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >"$work/out" 2>&1 ||
		{ cat "$work/out"; exit 1; }
	read -r wall user sys rss <"$work/time"
	awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v b="$((db_bytes + rec_bytes))" \
		'BEGIN { printf "%-8s CPU %.2f s (user %.2f, sys %.2f), wall %.2f s, %.0f MB/s of CPU, peak RSS %.1f MiB\n",
			l, u + s, u, s, w, b / 1e6 / (u + s > 0 ? u + s : 1e-9), m / 1024 }'
}
printf 'store: %d interactions, %.1f MB; recordings: %d files, %.1f MB\n' "$n" \
	"$(echo "$db_bytes / 1000000" | bc -l)" "$r" "$(echo "$rec_bytes / 1000000" | bc -l)"
run backup "$bin" backup --config "$work/live.yaml" "$work/backup"
run restore "$bin" restore --config "$work/fresh.yaml" "$work/backup"
echo "command: bench/backup.sh ${1:-build/centrala} $n $r  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
