#!/usr/bin/env bash
# Web application benchmarks (figures in docs/performance.md). Loopback only.
#
#   bench/web.sh [SECONDS=20] [QUEUES=200] [AGENTS=2000] [RATE=50]
#
# First load: the bytes of what the agent desktop loads (index.html, main.js, main.css)
# and of the gzip copies the build writes beside them, which the server sends to a
# browser that accepts gzip (as it then also measures: curl with Accept-Encoding). Wallboard: a server with QUEUES queues and AGENTS
# agents (each a member of one queue), a supervisor's wallboard in headless Chromium
# (bench/web-wallboard.mjs), while the supervisor's API forces RATE agent state changes
# per second (not ready with a reason, then back) for SECONDS: every change is an
# agent.state event to the page, and the queue's agents-by-state change a queue.stats
# event at most once a second per queue. Prints the page's frame intervals
# (requestAnimationFrame, p50/p95/p99/max), the long tasks (over 50 ms) and the events
# the page received.
#
# Environment: CENTRALA_BIN (default build/centrala), PORT_BASE (default 5930: SIP on
# it, HTTP on +60), KEEP=1 keeps the work directory.
set -uo pipefail
secs=${1:-20} queues=${2:-200} agents=${3:-2000} rate=${4:-50}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CENTRALA_BIN:-$top/build/centrala}
web=$(dirname "$bin")/web
base=${PORT_BASE:-5930}
work=$(mktemp -d /tmp/centrala-webbench.XXXXXX)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
[ -e "$web/index.html" ] || {
	echo "bench/web.sh: no web application in $web (make build)" >&2
	exit 2
}

echo "first load of the agent desktop (index.html, main.js, main.css):"
raw=0 gz=0
for f in index.html main.js main.css; do
	[ -e "$web/$f.gz" ] || {
		echo "bench/web.sh: no $web/$f.gz (make build writes the gzip copies)" >&2
		exit 2
	}
	r=$(stat -c %s "$web/$f") g=$(stat -c %s "$web/$f.gz")
	printf '  %-10s %8d bytes, %7d sent gzip\n' "$f" "$r" "$g"
	raw=$((raw + r)) gz=$((gz + g))
done
printf '  %-10s %8d bytes, %7d sent gzip (%.1f KB)\n' total "$raw" "$gz" "$(echo "$gz / 1024" | bc -l)"

python3 - "$work/centrala.yaml" "$queues" "$agents" "$base" "$work" "$web" <<'PY'
import sys
path, nq, na, base, work, web = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
with open(path, "w") as f:
    f.write(f'sip: {{listen: ["udp:127.0.0.1:{base}"]}}\n')
    f.write(f'rtp: {{address: 127.0.0.1, ports: {base + 100}-{base + 199}, workers: 1, io: epoll}}\n')
    f.write(f'http: {{listen: "127.0.0.1:{base + 60}", static: "{web}"}}\n')
    f.write(f'store: "sqlite:{work}/centrala.db"\nrecordings: "{work}/rec"\n')
    f.write("tenants:\n  - id: bench\n    timezone: Europe/Warsaw\n    reason_codes: [break]\n    users:\n")
    f.write("      - {username: sup, password: bench-secret-1, roles: [supervisor, admin]}\n")
    for i in range(na):
        f.write(f"      - {{username: a{i:04d}, roles: [agent], queues: {{q{i % nq:03d}: 0}}}}\n")
    f.write("    queues:\n")
    for q in range(nq):
        f.write(f"      - {{id: q{q:03d}, strategy: longest-idle}}\n")
PY
"$bin" serve --config "$work/centrala.yaml" 2>"$work/server.log" &
server=$!
for _ in $(seq 600); do
	grep -q 'event=http_listening' "$work/server.log" && break
	kill -0 "$server" 2>/dev/null || {
		tail -5 "$work/server.log"
		exit 1
	}
	sleep 0.1
done
echo "  as received (curl, Accept-Encoding: gzip):"
got=0
for f in / main.js main.css; do
	n=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_download}' "http://127.0.0.1:$((base + 60))/${f#/}")
	printf '  %-10s %8d bytes\n' "$f" "$n"
	got=$((got + n))
done
printf '  %-10s %8d bytes (%.1f KB)\n' total "$got" "$(echo "$got / 1024" | bc -l)"
echo
echo "wallboard, $queues queues and $agents agents, $rate state changes/s for ${secs}s:"
API_PORT=$((base + 60)) SECONDS_RUN=$secs AGENTS=$agents RATE=$rate QUEUES=$queues \
	node "$top/bench/web-wallboard.mjs"
rc=$?
echo
echo "command: bench/web.sh $secs $queues $agents $rate"
exit $rc
