#!/usr/bin/env bash
# Idle cost of registered phones: PHONES SIPp phones (one user each, digest-authenticated)
# register with centrala, then nothing happens for IDLE_SECONDS. Prints the server's CPU
# time while idle with no phone (the baseline), during the registrations, and over the
# idle period that follows them, in 10-s slices so the 32-s clean-up of the REGISTER
# transactions (timer J, then the stack frees them) shows where it lands. The goal is an
# idle server below 1% of a core. CPU times come from /proc/PID/task/*/schedstat
# (nanoseconds on a CPU, per thread), so the figure does not depend on wall-clock speed
# on a shared machine. Loopback only; a benchmark, it asserts nothing.
#
# usage: bench/sip-register-idle.sh [PHONES=4000]
# Environment: CENTRALA_BIN (default build/centrala); IDLE_SECONDS (default 120: the
# idle period measured after the last phone registered); RATE (registrations started
# per second, default 400); STRACE=FILE counts the engine thread's system calls over
# the idle period (strace -c, summary in FILE); PERF=FILE records a CPU profile of the
# server over the idle period (perf record -g, for perf report -i FILE). KEEP=1 keeps
# the scratch directory (configuration, server log, SIPp statistics).
set -uo pipefail
phones=${1:-4000}
idle=${IDLE_SECONDS:-120}
rate=${RATE:-400}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CENTRALA_BIN:-$top/build/centrala}
work=$(mktemp -d /tmp/centrala-bench.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

sip_port=5360 phone_port=5370
{
	cat <<YAML
sip: {listen: ["udp:127.0.0.1:$sip_port"]}
http: {listen: "127.0.0.1:5399"}
rtp: {address: 127.0.0.1, ports: 46000-46999}
recordings: "$work/rec"
store: "sqlite:$work/centrala.db"
log: warn
tenants:
  - id: bench
    domain: bench.local
    users:
YAML
	for i in $(seq "$phones"); do
		printf '      - {username: p%d, sip: {user: p%d, password: pw%d}}\n' "$i" "$i" "$i"
	done
} >"$work/bench.yaml"
# SIPp's injection file: one line per phone, taken in order. SIPp expands no field inside
# [authentication], so the whole keyword is the second field.
{
	echo SEQUENTIAL
	for i in $(seq "$phones"); do echo "p$i;[authentication username=p$i password=pw$i]"; done
} >"$work/phones.csv"
sed -e 's|\[authentication .*\]$|[field1]|' -e 's|\[agent\]|[field0]|g' -e 's|\[domain\]|bench.local|g' \
	-e "s|\[contact_port\]|$phone_port|g" "$top/bench/sipp/register.xml" >"$work/register.xml"

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$bin" serve --config "$work/bench.yaml" 2>"$work/server.log" &
server=$!
pids+=("$server")
for _ in $(seq 600); do
	ss -Hlun "sport = :$sip_port" 2>/dev/null | grep -q . && break
	kill -0 "$server" 2>/dev/null || { echo "server exited: $(tail -n 3 "$work/server.log")"; exit 1; }
	sleep 0.1
done

# Nanoseconds on a CPU: the whole server, and its engine thread (which runs the stack).
cpu_ns() { cat /proc/"$server"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
engine_ns() { awk '{print $1}' /proc/"$server"/task/"$server"/schedstat 2>/dev/null || echo 0; }
now() { date +%s.%N; }
pct() { awk -v ns="$1" -v s="$2" 'BEGIN {printf "%.2f", (s > 0 ? ns / 1e7 / s : 0)}'; }

# Baseline: the server idle with no phone registered.
sleep 2
b0=$(cpu_ns) t0=$(now)
sleep 10
b1=$(cpu_ns) t1=$(now)
base_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')

r0=$(cpu_ns) e0=$(engine_ns)
timeout $((phones / rate + 120)) sipp 127.0.0.1:$sip_port -sf "$work/register.xml" -i 127.0.0.1 \
	-p $phone_port -inf "$work/phones.csv" -r "$rate" -m "$phones" -l 2000 -max_socket 1024 \
	-nostdin -trace_stat -stf "$work/stat.csv" -trace_err -error_file "$work/register.err" \
	>/dev/null 2>&1
r1=$(cpu_ns) e1=$(engine_ns) t2=$(now)
ok=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "SuccessfulCall(C)") k = i; next } { v = $k } END { print v + 0 }' "$work/stat.csv")

trace_pid=
if [ -n "${STRACE:-}" ]; then
	strace -c -p "$server" -o "$STRACE" 2>/dev/null &
	trace_pid=$!
elif [ -n "${PERF:-}" ]; then
	perf record -q -F 999 -g -p "$server" -o "$PERF" >/dev/null 2>&1 &
	trace_pid=$!
fi
# The idle period, read every 10 s.
slices=()
prev=$(cpu_ns) preve=$(engine_ns)
i0=$prev ie0=$preve
elapsed=0
while [ "$elapsed" -lt "$idle" ]; do
	step=$((idle - elapsed < 10 ? idle - elapsed : 10))
	sleep "$step"
	elapsed=$((elapsed + step))
	cur=$(cpu_ns) cure=$(engine_ns)
	slices+=("$(printf '%3d-%3ds %6.1f ms (engine %6.1f)' $((elapsed - step)) "$elapsed" \
		"$(awk -v d=$((cur - prev)) 'BEGIN {print d / 1e6}')" \
		"$(awk -v d=$((cure - preve)) 'BEGIN {print d / 1e6}')")")
	prev=$cur preve=$cure
done
i1=$prev ie1=$preve t3=$(now)
if [ -n "$trace_pid" ]; then
	kill -INT "$trace_pid" 2>/dev/null || true
	wait "$trace_pid" 2>/dev/null || true
fi
idle_s=$(awk -v a="$t2" -v b="$t3" 'BEGIN {print b - a}')
base_ns=$((b1 - b0))
# The baseline's rate over the idle period, to show what the phones add to an idle server.
extra_ns=$(awk -v i=$((i1 - i0)) -v b="$base_ns" -v bs="$base_s" -v s="$idle_s" \
	'BEGIN {printf "%.0f", i - b / bs * s}')

if ! kill -0 "$server" 2>/dev/null; then
	wait "$server"
	echo "server exited (status $?) during the run: $(tail -n 3 "$work/server.log")"
	exit 1
fi
printf 'registered phones: %s of %s at %s/s\n' "$ok" "$phones" "$rate"
printf '  idle with no phone: %.1f ms CPU over %.1f s = %s%% of a core\n' \
	"$(awk -v d="$base_ns" 'BEGIN {print d / 1e6}')" "$base_s" "$(pct "$base_ns" "$base_s")"
printf '  registrations: %.1f ms CPU (engine %.1f), %.3f ms per phone\n' \
	"$(awk -v d=$((r1 - r0)) 'BEGIN {print d / 1e6}')" "$(awk -v d=$((e1 - e0)) 'BEGIN {print d / 1e6}')" \
	"$(awk -v d=$((r1 - r0)) -v n="$phones" 'BEGIN {print d / 1e6 / n}')"
printf '  idle after them: %.1f ms CPU (engine %.1f) over %.1f s = %s%% of a core (goal < 1%%); %.1f ms above the no-phone rate\n' \
	"$(awk -v d=$((i1 - i0)) 'BEGIN {print d / 1e6}')" "$(awk -v d=$((ie1 - ie0)) 'BEGIN {print d / 1e6}')" \
	"$idle_s" "$(pct $((i1 - i0)) "$idle_s")" "$(awk -v d="$extra_ns" 'BEGIN {print d / 1e6}')"
for s in "${slices[@]}"; do printf '    %s\n' "$s"; done
printf '  load average %s (2 cores, SIPp included)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'reproduce: %s%sbench/sip-register-idle.sh %s\n' "$([ "$idle" = 120 ] || echo "IDLE_SECONDS=$idle ")" \
	"$([ "$rate" = 400 ] || echo "RATE=$rate ")" "$phones"
