#!/usr/bin/env bash
# Web chat benchmark: many visitors connected at once (docs/performance.md, "Web chat").
#
#   bench/chat.sh [VISITORS=1000] [ROUNDS=5]
#       Starts build/centrala on loopback with one tenant whose queue takes chats and has
#       no agent; VISITORS visitors connect to /api/v1/public/chat and start a chat each
#       (bench/chat-visitors.py); then ROUNDS times every visitor sends a message and
#       waits for its echo. Prints the server's RSS per visitor, its CPU time per message
#       and the echo latency. SQLite store in a temporary directory.
#
# Environment: CENTRALA_BIN (default build/centrala), PORT (default 28960), KEEP=1 keeps
# the work directory.
set -uo pipefail
visitors=${1:-1000}
rounds=${2:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CENTRALA_BIN:-$top/build/centrala}
port=${PORT:-28960}
work=$(mktemp -d /tmp/centrala-chatbench.XXXXXX)
server=
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "${server:-0}" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$server" ] && kill -KILL "$server" 2>/dev/null
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# The server and the client each hold one descriptor per visitor: 10,000 visitors need a
# limit above 10,100 (the systemd unit gives the server LimitNOFILE=65536; a shell's hard
# limit, `ulimit -Hn`, bounds this script).
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((visitors + 100)) ]; then
	echo "chat.sh: the descriptor limit $(ulimit -n) is below $((visitors + 100)) for $visitors visitors" >&2
	exit 1
fi

cat >"$work/c.yaml" <<YAML
sip: {listen: ["udp:127.0.0.1:$((port + 1))"]}
rtp: {address: 127.0.0.1, ports: 46000-46999}
http: {listen: "127.0.0.1:$port", limits: {ws_max: 100000}}
recordings: "$work/rec"
store: "sqlite:$work/centrala.db"
log: warn
tenants:
  - id: acme
    chat: {queues: [support], per_second: 10, sessions_per_address: 100000, resume: 10m}
    queues:
      - {id: support, strategy: longest-idle}
YAML
"$bin" serve --config "$work/c.yaml" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
	curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
echo "command: bench/chat.sh $visitors $rounds   ($(nproc) cores; $(uname -r))"
python3 "$top/bench/chat-visitors.py" "$port" acme support "$visitors" "$rounds" "$server"
