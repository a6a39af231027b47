#!/usr/bin/env bash
# HTTP API benchmarks (figures in docs/performance.md). Loopback only.
#
#   bench/api.sh http [SECONDS=10] [CONNECTIONS=64]
#       A store pre-filled with INTERACTIONS (100,000) interactions, then keep-alive load
#       from build/bench_api: PUT /api/v1/agents/me/state alternating ready/not_ready
#       (one agent token per connection), then GET /api/v1/interactions?limit=50
#       (supervisor tokens, following the cursor 10 pages deep). Requests/s, p50/p99
#       latency, the server's CPU time per request.
#   bench/api.sh events [SECONDS=20] [AGENTS=5000] [SUPERVISORS=200] [CPS=50]
#       AGENTS agent WebSockets (each its own login, subscribed to agent.me) and
#       SUPERVISORS supervisor WebSockets (queues, agents, interactions), while SIPp
#       callers ring a queue at CPS calls/s for SECONDS; the first PHONES (400) agents
#       are registered SIPp phones that answer at once and hang up after HOLD_MS
#       (4000). Event latency from the engine (the event's `time`) to the client, p50
#       and p99; server RSS per socket; how long the logins took.
#
# Environment: CENTRALA_BIN (default build/centrala), BENCH_API (build/bench_api),
# PORT_BASE (default 5330: SIP on it, the answering phone on +10, the callers on +20,
# HTTP on +3600), INTERACTIONS, PHONES, HOLD_MS, SOCKETS_PER_LOGIN (events: one login
# per socket by default; up to 8, the default http.limits.ws_per_token, shares each
# agent's token among that many sockets), KEEP=1 keeps the work directory.
set -uo pipefail
mode=${1:-http}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CENTRALA_BIN:-$top/build/centrala}
client=${BENCH_API:-$top/build/bench_api}
base=${PORT_BASE:-5330}
sip_port=$base agent_port=$((base + 10)) caller_port=$((base + 20))
http_port=$((base + 3600))
password=bench-secret-1
work=$(mktemp -d /tmp/centrala-apibench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	# The server drains its store queue before it exits; after the state-change load
	# that can take minutes (see docs/performance.md): the store is thrown away anyway.
	for _ in $(seq 50); do
		kill -0 "${server:-0}" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "${server:-}" ] && kill -KILL "$server" 2>/dev/null
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# write_config AGENTS SUPERVISORS PHONES: agents a0000.. (the first PHONES with a SIP
# phone and auto_ready), supervisors s000..; one queue "support" behind number 300.
write_config() {
	local na=$1 ns=$2 phones=$3 i u
	{
		cat <<YAML
sip: {listen: ["udp:127.0.0.1:$sip_port"]}
rtp: {address: 127.0.0.1, ports: 45000-49999}
http: {listen: "127.0.0.1:$http_port"}
recordings: "$work/rec"
store: "sqlite:$work/centrala.db"
log: warn
tenants:
  - id: bench
    domain: bench.local
    record: false
    create_contacts: false
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "300", queue: support}
    users:
YAML
		for ((i = 0; i < na; i++)); do
			u=$(printf 'a%04d' "$i")
			if ((i < phones)); then
				echo "      - {username: $u, roles: [agent], queues: {support: 0}, auto_ready: true, sip: {user: $u, password: pw$u}}"
			else
				echo "      - {username: $u, roles: [agent], queues: {support: 0}}"
			fi
			echo "$u" >>"$work/agents.txt"
		done
		for ((i = 0; i < ns; i++)); do
			u=$(printf 's%03d' "$i")
			echo "      - {username: $u, roles: [supervisor]}"
			echo "$u" >>"$work/sups.txt"
		done
	} >"$work/bench.yaml"
}

start_server() {
	"$bin" serve --config "$work/bench.yaml" 2>"$work/server.log" &
	server=$!
	pids+=("$server")
	for _ in $(seq 300); do
		grep -q 'event=http_listening' "$work/server.log" 2>/dev/null && return 0
		ss -Hltn "sport = :$http_port" 2>/dev/null | grep -q . && return 0
		kill -0 "$server" 2>/dev/null || { echo "server exited: $(tail -n 3 "$work/server.log")"; exit 1; }
		sleep 0.1
	done
	echo "server did not listen on $http_port"
	exit 1
}

login() { # USERS_FILE TOKENS_FILE IN_FLIGHT
	"$client" login "$http_port" bench "$password" "$1" "$2" "$3" || {
		echo "logins failed"
		exit 1
	}
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores, shared)"
case "$mode" in
http)
	secs=${2:-10}
	conns=${3:-64}
	nix=${INTERACTIONS:-100000}
	write_config "$conns" 16 0
	"$client" fill "sqlite:$work/centrala.db" "$work/bench.yaml" "$nix" "$password" || exit 1
	start_server
	login "$work/agents.txt" "$work/agent-tokens" 4
	login "$work/sups.txt" "$work/sup-tokens" 4
	"$client" http "$http_port" "$work/agent-tokens" state "$conns" "$secs" "$server"
	"$client" http "$http_port" "$work/sup-tokens" interactions "$conns" "$secs" "$server"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "reproduce: ${INTERACTIONS:+INTERACTIONS=$INTERACTIONS }bench/api.sh http $secs $conns"
	;;
events)
	secs=${2:-20}
	na=${3:-5000}
	ns=${4:-200}
	cps=${5:-50}
	phones=${PHONES:-400}
	hold=${HOLD_MS:-4000}
	((phones > na)) && phones=$na
	write_config "$na" "$ns" "$phones"
	"$client" fill "sqlite:$work/centrala.db" "$work/bench.yaml" 1000 "$password" || exit 1
	sox -q -n -r 8000 -c 1 -e u-law "$work/tone.wav" synth 15 sine 440
	sox -q -n -r 8000 -c 1 -e u-law "$work/agent.wav" synth 15 sine 1000
	start_server
	rss_start=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
	echo "server RSS after start with $((na + ns)) users: $rss_start KiB"
	# The answering phone, then the registrations of the first $phones agents.
	sed -e "s|\[wav\]|$work/agent.wav|" "$top/bench/sip-bridge-agent.xml" >"$work/agent.xml"
	sipp 127.0.0.1:$sip_port -sf "$work/agent.xml" -i 127.0.0.1 -p $agent_port \
		-mi 127.0.0.1 -mp 42000 -rtp_threadtasks 300 -max_socket 4096 -nostdin \
		>/dev/null 2>&1 &
	pids+=($!)
	# One SIPp per registration (SIPp 3.6 does not expand injected fields inside
	# [authentication]), eight at a time on ports the system picks, three tries each.
	sed -e 's|\[authentication.*$|[authentication]|' -e "s|\[domain\]|bench.local|g" \
		-e "s|\[contact_port\]|$agent_port|g" "$top/bench/sipp/register.xml" >"$work/register.xml"
	t0=$(date +%s.%N)
	head -n "$phones" "$work/agents.txt" |
		xargs -P 8 -n 1 sh -c 'for try in 1 2 3; do timeout 30 sipp 127.0.0.1:'$sip_port' \
			-sf '"$work"'/register.xml -i 127.0.0.1 -m 1 -key agent "$0" -au "$0" \
			-ap "pw$0" -nostdin >/dev/null 2>&1 && exit 0; done; echo "$0"' >"$work/reg-failed"
	printf '%s of %s phones registered in %.1f s\n' "$((phones - $(wc -l <"$work/reg-failed")))" \
		"$phones" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')"
	# One login per socket, or one per SOCKETS_PER_LOGIN sockets (at most the server's
	# ws_per_token, 8): each login is an Argon2id check on the API's two workers.
	per=${SOCKETS_PER_LOGIN:-1}
	head -n $(((na + per - 1) / per)) "$work/agents.txt" >"$work/agents-login.txt"
	head -n $(((ns + per - 1) / per)) "$work/sups.txt" >"$work/sups-login.txt"
	login "$work/agents-login.txt" "$work/agent-tokens" 4
	login "$work/sups-login.txt" "$work/sup-tokens" 4
	rm -f "$work/ready"
	"$client" ws "$http_port" "$work/agent-tokens" "$na" "$work/sup-tokens" "$ns" "$server" \
		"$work/ready" &
	wsc=$!
	pids+=("$wsc")
	for _ in $(seq 1200); do
		[ -e "$work/ready" ] && break
		kill -0 "$wsc" 2>/dev/null || { echo "the WebSocket client exited"; exit 1; }
		sleep 0.1
	done
	sed -e "s|\[wav\]|$work/tone.wav|" -e "s|\[hold\]|$hold|" "$top/bench/sipp/caller.xml" >"$work/caller.xml"
	total=$((cps * secs))
	timeout $((secs + hold / 1000 + 60)) sipp 127.0.0.1:$sip_port -sf "$work/caller.xml" \
		-i 127.0.0.1 -p $caller_port -mi 127.0.0.1 -mp 52000 -r "$cps" -m "$total" \
		-l 100000 -max_socket 4096 -s 300 -key domain bench.local -rtp_threadtasks 300 \
		-nostdin -trace_stat -stf "$work/stat.csv" -fd 1 >/dev/null 2>&1
	sleep 1
	kill -INT "$wsc"
	wait "$wsc"
	ok=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "SuccessfulCall(C)") k = i; next } { v = $k } END { print v + 0 }' "$work/stat.csv")
	failed=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "FailedCall(C)") k = i; next } { v = $k } END { print v + 0 }' "$work/stat.csv")
	echo "calls: $total attempted at $cps/s with ${hold} ms hold, $ok successful, $failed failed"
	curl -s "http://127.0.0.1:$http_port/metrics" | grep -E '^centrala_(ws_clients|api_)' || true
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "reproduce: ${SOCKETS_PER_LOGIN:+SOCKETS_PER_LOGIN=$SOCKETS_PER_LOGIN }${PHONES:+PHONES=$PHONES }${HOLD_MS:+HOLD_MS=$HOLD_MS }bench/api.sh events $secs $na $ns $cps"
	;;
*)
	echo "usage: bench/api.sh http [SECONDS] [CONNECTIONS] | events [SECONDS] [AGENTS] [SUPERVISORS] [CPS]"
	exit 2
	;;
esac
