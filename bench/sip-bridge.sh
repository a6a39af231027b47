#!/usr/bin/env bash
# Bridged-call capacity: SIPp callers → centrala, whose number answers, plays a 1-s
# prompt and transfers to a registered SIPp agent, which answers at once; both phones
# stream G.711 µ-law for the whole call. Prints calls attempted/failed, the peak of
# concurrent calls, the server's CPU milliseconds per completed call (split by thread),
# RSS per concurrent call, how much of the media the load generator really delivered,
# and the load average; then, beside the CPU per call while the calls ran, the same
# with the AFTER seconds that follow the last call (the stack frees the calls'
# transactions 32 s after they end), less the server's idle rate measured before the
# calls. Loopback only.
#
# It runs once per media packet path (rtp.io), each with a server and SIPp of its own,
# one after the other, and ends with a table of both side by side: the server's CPU per
# call, and the whole machine's busy time per call (its CPUs' time less idle, iowait and
# steal from /proc/stat) less the CPU the SIPp processes used, which also counts kernel work
# (softirq) that the server's own figures do not show. On a shared machine that figure
# also holds whatever else ran: compare paths within one run, and medians over runs.
#
# usage: bench/sip-bridge.sh [RATE_CPS=50] [SECONDS=10] [record|norecord] [HOLD_MS=12000]
# Environment: CENTRALA_BIN (default build/centrala); ROUTE=user sends the number
# straight to the agent (no answer, no prompt); ROUTE=queue plays the prompt and queues
# the call for one of AGENTS (default 20) registered agents (longest idle); ROUTE=menu
# makes the prompt a menu ("press 1"; no digit or another one hangs up) that the caller
# answers with an RFC 4733 1 (300 ms in), then queues as ROUTE=queue; PERF=FILE records a CPU profile of the
# server (perf record -g, PERF_FREQ samples a second, default 499) while the calls run, for
# `perf report -i FILE`; AFTER=SECONDS
# (default 40, 0 skips it) is how long the server is watched after the calls end;
# IO="kernel uring epoll" (default) are the paths, in order (IO=epoll runs one; kernel
# is io_uring with the kernel relay of bridged RTP, rtp.kernel_relay: on); SYSCALLS=1
# counts the server's system calls (perf stat, raw_syscalls tracepoint; it adds a little
# to the server's CPU); SAMPLE=SECONDS samples the server's RSS, open files and CPU per
# call while the calls run and prints their slopes after the warm-up (WARM=SECONDS,
# default the hold plus 60 s; bench/soak.sh), SOAK_RESULT=FILE
# writes those figures as "key value" lines; PORT_BASE (default 5260) moves the SIP
# ports (the server's, the agents', the callers' and the registering SIPp's at +0, +10,
# +20, +30) and the HTTP port (+39), so that two runs on one machine do not meet.
set -uo pipefail
ios=${IO:-kernel uring epoll}
if [ "$(echo "$ios" | wc -w)" -gt 1 ]; then
	results=$(mktemp -d /tmp/centrala-bench-io.XXXXXX)
	for io in $ios; do
		IO=$io RESULT=$results/$io "$0" "$@"
		echo
		sleep 2 # the ports of the last run's sockets rest
	done
	printf 'per completed call, side by side (%s cps x %ss, hold %s ms, %s, route %s):\n' \
		"${1:-50}" "${2:-10}" "${4:-12000}" "${3:-record}" "${ROUTE:-flow}"
	printf '  %-8s %7s %7s %12s %12s %14s %14s %12s %10s %10s %9s %9s %8s\n' path calls failed "server CPU" \
		"media CPU" "machine-SIPp" "less no-calls" "SIPp" "relay prog" softirq syscalls "RTP in" "kernel"
	for io in $ios; do
		[ -f "$results/$io" ] || { echo "  $io: no result"; continue; }
		awk -v io="$io" '{ v[$1] = $2 } END {
			printf "  %-8s %7d %7d %9.2f ms %9.2f ms %11.2f ms %11.2f ms %9.2f ms %7.3f ms %7.2f ms %9s %9d %7.1f%%\n", io, v["calls"],
				v["failed"], v["cpu"], v["media"], v["machine"], v["machine_net"], v["sipp"], v["bpf"], v["softirq"],
				(v["syscalls"] > 0 ? v["syscalls"] : "-"), v["rtp"], v["kernel"] }' "$results/$io"
	done
	rm -rf "$results"
	printf 'reproduce: %s%s%s%s%sbench/sip-bridge.sh %s\n' "${ROUTE:+ROUTE=$ROUTE }" "${AGENTS:+AGENTS=$AGENTS }" \
		"${IO:+IO=\"$IO\" }" "${SYSCALLS:+SYSCALLS=1 }" "${AFTER:+AFTER=$AFTER }" "$*"
	exit 0
fi
io=$ios
rtp_io=$io kernel_relay=off
[ "$io" = kernel ] && rtp_io=uring kernel_relay=on
rate=${1:-50}
secs=${2:-10}
mode=${3:-record}
hold=${4:-12000}
after=${AFTER:-40}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${CENTRALA_BIN:-$top/build/centrala}
work=$(mktemp -d /tmp/centrala-bench.XXXXXX)
pids=()
# On the kernel relay, the kernel's own count of the relay program's run time
# (kernel.bpf_stats_enabled, set for the run and put back after).
bpf_stats0=
if [ "$io" = kernel ] && [ -w /proc/sys/kernel/bpf_stats_enabled ]; then
	bpf_stats0=$(cat /proc/sys/kernel/bpf_stats_enabled)
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
fi
cleanup() {
	[ -z "$bpf_stats0" ] || echo "$bpf_stats0" >/proc/sys/kernel/bpf_stats_enabled
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Ports: the server's RTP 20000-39999 (four per call: two legs, RTP and RTCP, so 5,000
# calls), the agent's streams from 40000 up, the callers' from 50000 up.
base=${PORT_BASE:-5260}
sip_port=$base agent_port=$((base + 10)) caller_port=$((base + 20))
reg_port=$((base + 30)) http_port=$((base + 39))
record=true
[ "$mode" = norecord ] && record=false
sox -q -n -r 8000 -c 1 -e u-law "$work/tone.wav" synth 15 sine 440
sox -q -n -r 8000 -c 1 -e u-law "$work/agent.wav" synth 15 sine 1000
sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$work/hello.wav" synth 1 sine 600
# The agents: one user for the user and flow routes; AGENTS users (agent1...) in a
# longest-idle queue on the queue route, all registered to the one answering SIPp.
nagents=1
users="      - {username: agent, sip: {user: agent, password: agentpw}}"
next=agent last="{type: transfer, user: agent}"
hello= digit= names=agent
case "${ROUTE:-flow}" in
user) target='{number: "300", user: agent}' ;;
queue | menu)
	nagents=${AGENTS:-20}
	users=$(for i in $(seq "$nagents"); do
		printf '      - {username: agent%d, sip: {user: agent%d, password: agentpw}, queues: {bench: 0}, auto_ready: true}\n' "$i" "$i"
	done)
	names=$(seq -f 'agent%g' "$nagents")
	target='{number: "300", flow: bench}' next=queue last="{type: queue, queue: bench}"
	if [ "$ROUTE" = menu ]; then
		# The caller's 1 arrives during the prompt (barge-in); anything else ends the
		# call, which SIPp then counts as failed.
		hello="{type: menu, prompt: {file: \"$work/hello.wav\"}, timeout: 3s, retries: 0, options: {\"1\": $next}, invalid: bye, no_input: bye}"
		last="$last
          bye: {type: hangup}"
		digit='  <pause milliseconds="300"/>\n  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_1.pcap"/></action></nop>\n  <pause milliseconds="300"/>'
	fi
	;;
*) target='{number: "300", flow: bench}' ;;
esac
[ -n "$hello" ] || hello="{type: play, prompt: {file: \"$work/hello.wav\"}, next: $next}"
sed -e "s|\[wav\]|$work/agent.wav|" "$top/bench/sip-bridge-agent.xml" >"$work/agent.xml"
# SIPp does not expand keys inside <exec>: the WAV path goes into a copy of the scenario.
sed -e "s|\[wav\]|$work/tone.wav|" -e "s|\[hold\]|$hold|" -e "s|^  <!-- menu digit -->\$|$digit|" \
	"$top/bench/sipp/caller.xml" >"$work/caller.xml"
cat >"$work/bench.yaml" <<YAML
sip: {listen: ["udp:127.0.0.1:$sip_port"]}
http: {listen: "127.0.0.1:$http_port"}
rtp: {address: 127.0.0.1, ports: 20000-39999, io: $rtp_io, kernel_relay: $kernel_relay}
recordings: "$work/rec"
store: "sqlite:$work/centrala.db"
log: warn
tenants:
  - id: bench
    domain: bench.local
    record: $record
    users:
$users
    queues:
      - {id: bench, strategy: longest-idle, ring_timeout: 10s, wrap_up: 0s}
    numbers:
      - $target
    flows:
      bench:
        start: hello
        nodes:
          hello: $hello
          $next: $last
YAML
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
"$bin" serve --config "$work/bench.yaml" 2>"$work/server.log" &
server=$!
pids+=("$server")
for _ in $(seq 100); do
	ss -Hlun "sport = :$sip_port" 2>/dev/null | grep -q . && break
	kill -0 "$server" 2>/dev/null || { echo "server exited: $(tail -n 3 "$work/server.log")"; exit 1; }
	sleep 0.1
done
timeout $((secs + hold / 1000 + after + 100)) sipp 127.0.0.1:$sip_port -sf "$work/agent.xml" -i 127.0.0.1 \
	-p $agent_port -mi 127.0.0.1 -mp 40000 -rtp_threadtasks 300 -max_socket 4096 -nostdin \
	-trace_err -error_file "$work/agent.err" \
	>/dev/null 2>&1 &
pids+=($!)
agent_timeout=$!
# The answering SIPp itself (its CPU is the load generator's), once `timeout` has
# started it: on a loaded machine that takes more than a moment.
agent_sipp=
for _ in $(seq 100); do
	agent_sipp=$(pgrep -P "$agent_timeout" sipp | head -n 1) && [ -n "$agent_sipp" ] && break
	kill -0 "$agent_timeout" 2>/dev/null || { echo "the agents' SIPp exited: $(tail -n 3 "$work/agent.err" 2>/dev/null)"; exit 1; }
	sleep 0.1
done
[ -n "$agent_sipp" ] || { echo "the agents' SIPp did not start within 10 s"; exit 1; }
# One SIPp run registers every agent, the names from an injection file.
{
	echo SEQUENTIAL
	# SIPp takes the digest credentials from a field written as its keyword.
	for n in $names; do echo "$n;[authentication username=$n password=agentpw]"; done
} >"$work/agents.csv"
sed -e 's|\[authentication .*\]$|[field1]|' -e "s|\[agent\]|[field0]|g" -e "s|\[domain\]|bench.local|g" \
	-e "s|\[contact_port\]|$agent_port|g" "$top/bench/sipp/register.xml" >"$work/register.xml"
timeout $((10 + nagents / 20)) sipp 127.0.0.1:$sip_port -sf "$work/register.xml" -i 127.0.0.1 -p $reg_port \
	-inf "$work/agents.csv" -m "$nagents" -r 100 -nostdin -trace_err -error_file "$work/register.err" \
	>/dev/null 2>&1 || { echo "agent registration failed: $(tail -n 3 "$work/register.err")"; exit 1; }

clk=$(getconf CLK_TCK)
# The machine's busy time in ticks: its CPUs' time since boot less their idle, iowait
# and steal. Not the sum of user, system, irq and softirq: with tick accounting
# (CONFIG_TICK_CPU_ACCOUNTING) those are sampled at the timer tick, and work that wakes
# on a timer and sleeps again before the next tick (RTP paced at 20 ms) is seldom
# sampled, while a tickless kernel clocks idle and iowait exactly at each entry and exit.
ncpu=$(getconf _NPROCESSORS_ONLN)
machine_busy() {
	awk -v n="$ncpu" -v clk="$clk" 'FNR == NR { up = $1; next }
		/^cpu / { printf "%.0f\n", up * clk * n - ($5 + $6 + $9); exit }' /proc/uptime /proc/stat
}
# Nanoseconds the server's BPF programs ran and how many times (each program once,
# however many descriptors it has).
bpf_run() {
	awk 'FNR == 1 { id = "" } /^prog_id:/ { id = $2 } /^run_time_ns:/ && id != "" { t[id] = $2 }
		/^run_cnt:/ && id != "" { c[id] = $2 }
		END { for (i in t) { ns += t[i]; n += c[i] } printf "%.0f %.0f\n", ns, n }' \
		/proc/"$server"/fdinfo/* 2>/dev/null
}
# The sampled ticks (user nice system irq softirq steal), printed beside it, and the
# softirq ticks alone (sampled too, so a lower bound).
machine_sampled() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
machine_softirq() { awk '/^cpu / {print $8; exit}' /proc/stat; }
# utime+stime of a process (its threads included), or of this shell's reaped children.
proc_ticks() { sed -E 's/^[0-9]+ \(.*\) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'; }
children_ticks() { sed -E 's/^[0-9]+ \(.*\) //' /proc/$$/stat | awk '{print $14 + $15}'; }
# Nanoseconds on a CPU (schedstat): the whole server, and its engine thread.
cpu_ns() { cat /proc/"$server"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
engine_ns() { awk '{print $1}' /proc/"$server"/task/"$server"/schedstat 2>/dev/null || echo 0; }
# The idle rate (ns of CPU per second), subtracted from the reading after the calls.
# The machine's own idle rate too (ticks a second, the agents' SIPp left out): what
# this machine spends with no calls (its own daemons, the idle server), subtracted from
# the machine figure as a second reading beside the raw one.
i0=$(cpu_ns) ie0=$(engine_ns) it0=$(date +%s.%N) mi0=$(machine_busy) ma0=$(proc_ticks "$agent_sipp")
sleep 5
i1=$(cpu_ns) ie1=$(engine_ns) it1=$(date +%s.%N) mi1=$(machine_busy) ma1=$(proc_ticks "$agent_sipp")
machine_idle_rate=$(awk -v d=$((mi1 - mi0 - (ma1 - ma0))) -v a="$it0" -v b="$it1" 'BEGIN {printf "%.2f", d / (b - a)}')
idle_rate=$(awk -v d=$((i1 - i0)) -v a="$it0" -v b="$it1" 'BEGIN {printf "%.0f", d / (b - a)}')
idle_erate=$(awk -v d=$((ie1 - ie0)) -v a="$it0" -v b="$it1" 'BEGIN {printf "%.0f", d / (b - a)}')
rss0=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
# Machine-wide UDP counters (this network namespace): RcvbufErrors, InDatagrams.
udp_stat() { awk -v c="$1" '/^Udp:/ { if (!h) { h = 1; for (i = 1; i <= NF; i++) if ($i == c) k = i } else print $k }' /proc/net/snmp; }
uerr0=$(udp_stat RcvbufErrors)
uin0=$(udp_stat InDatagrams)
# CPU ticks per thread ("tid comm ticks"), to split the server's time between the engine
# thread (which also runs the SIP stack), the media workers and the rest (store, ...).
thread_ticks() {
	for f in /proc/"$server"/task/*/stat; do
		sed -E 's/^([0-9]+) \((.*)\) (.*)$/\1 \2 \3/' "$f" 2>/dev/null |
			awk '{print $1, $2, $14 + $15}'
	done
}
thread_ticks >"$work/threads0"
cpu0=$(awk '{print $14+$15}' /proc/$server/stat)
busy0=$(machine_busy)
samp0=$(machine_sampled)
soft0=$(machine_softirq)
read -r bpf_ns0 bpf_n0 < <(bpf_run)
gen0=$(($(proc_ticks "$agent_sipp") + $(children_ticks)))
total=$((rate * secs))
start=$(date +%s.%N)
set +e
perf_pid=
if [ -n "${PERF:-}" ]; then
	perf record -q -F "${PERF_FREQ:-499}" -g -p "$server" -o "$PERF" >/dev/null 2>&1 &
	perf_pid=$!
fi
sys_pid=
if [ -n "${SYSCALLS:-}" ]; then
	perf stat -e raw_syscalls:sys_enter -x, -o "$work/syscalls" -p "$server" >/dev/null 2>&1 &
	sys_pid=$!
fi
# SAMPLE=SECONDS (the soak): the server's RSS, open files, CPU ticks and the calls
# completed so far, every SAMPLE seconds while the calls run.
fds() { find /proc/"$server"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss() { awk '/VmRSS/ {print $2}' /proc/"$server"/status; }
done_calls() {
	tail -n 1 "$work/stat.csv" 2>/dev/null | awk -F';' -v h="$(head -n 1 "$work/stat.csv" 2>/dev/null)" '
		BEGIN { n = split(h, c, ";"); for (i = 1; i <= n; i++) k[c[i]] = i }
		{ print $k["SuccessfulCall(C)"] + $k["FailedCall(C)"] }'
}
fds0=$(fds)
sampler_pid=
if [ -n "${SAMPLE:-}" ]; then
	(
		while kill -0 "$server" 2>/dev/null; do
			printf '%s %s %s %s %s\n' "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')" \
				"$(rss)" "$(fds)" "$(awk '{print $14 + $15}' /proc/"$server"/stat)" "$(done_calls)"
			sleep "$SAMPLE"
		done
	) >"$work/samples" &
	sampler_pid=$!
fi
timeout $((secs + hold / 1000 + 60)) sipp 127.0.0.1:$sip_port -sf "$work/caller.xml" \
	-i 127.0.0.1 -p $caller_port -mi 127.0.0.1 -mp 50000 -r "$rate" -m "$total" -l 100000 -max_socket 4096 \
	-s 300 -key domain bench.local \
	-rtp_threadtasks 300 -nostdin -trace_stat -stf "$work/stat.csv" -fd 1 -trace_err \
	-error_file "$work/caller.err" >/dev/null 2>&1
set -e
if [ -n "$sampler_pid" ]; then
	kill "$sampler_pid" 2>/dev/null || true
	wait "$sampler_pid" 2>/dev/null || true
fi
fds_end=$(fds) rss_end=$(rss)
end=$(date +%s.%N)
cpu1=$(awk '{print $14+$15}' /proc/$server/stat)
busy1=$(machine_busy)
samp1=$(machine_sampled)
soft1=$(machine_softirq)
read -r bpf_ns1 bpf_n1 < <(bpf_run)
gen1=$(($(proc_ticks "$agent_sipp") + $(children_ticks)))
for p in $perf_pid $sys_pid; do
	kill -INT "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
thread_ticks >"$work/threads1"
hwm=$(awk '/VmHWM/ {print $2}' /proc/$server/status)
load1=$(cut -d' ' -f1-3 /proc/loadavg)
uerr1=$(udp_stat RcvbufErrors)
uin1=$(udp_stat InDatagrams)
# The AFTER seconds that follow the last call: what the server spends finishing them.
a0=$(cpu_ns) ae0=$(engine_ns) at0=$(date +%s.%N)
sleep "$after"
a1=$(cpu_ns) ae1=$(engine_ns) at1=$(date +%s.%N)
fds_after=$(fds) rss_after=$(rss)
after_ns=$(awk -v d=$((a1 - a0)) -v r="$idle_rate" -v a="$at0" -v b="$at1" 'BEGIN {printf "%.0f", d - r * (b - a)}')
after_engine_ns=$(awk -v d=$((ae1 - ae0)) -v r="$idle_erate" -v a="$at0" -v b="$at1" 'BEGIN {printf "%.0f", d - r * (b - a)}')
# A column of SIPp's statistics by name: its last value, or its maximum with "max".
stat() {
	awk -F';' -v c="$1" -v how="${2:-last}" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ v = $k + 0; if (how == "max") { if (v > m) m = v } else m = v } END { print m + 0 }' "$work/stat.csv"
}
ok=$(stat 'SuccessfulCall(C)')
failed=$(stat 'FailedCall(C)')
peak=$(stat 'CurrentCall' max)
cpu_ms=$(( (cpu1 - cpu0) * 1000 / clk ))
conc=$(awk -v r="$rate" -v h="$hold" 'BEGIN {printf "%d", r * h / 1000}')
printf 'bridged calls: io=%s, ' "$io"
printf 'rate=%s cps for %ss, hold=%sms, %s, route=%s\n' "$rate" "$secs" "$hold" \
	"$mode" "${ROUTE:-flow}"
printf '  attempted=%s successful=%s failed=%s (%.3f%%)\n' "$total" "$ok" "$failed" \
	"$(awk -v f="$failed" -v t="$total" 'BEGIN {print (t ? 100 * f / t : 0)}')"
printf '  concurrent calls at peak %s (SIPp callers; rate x hold = %s)\n' "$peak" "$conc"
printf '  server CPU %s ms total, %.2f ms per completed call; with the %s s after the calls: %.2f ms per call (%.1f ms after them, engine+sip %.1f, idle rate %.2f ms/s subtracted)\n' \
	"$cpu_ms" "$(awk -v c="$cpu_ms" -v n="$ok" 'BEGIN {print (n ? c / n : 0)}')" "$after" \
	"$(awk -v c="$cpu_ms" -v a="$after_ns" -v n="$ok" 'BEGIN {print (n ? (c + a / 1e6) / n : 0)}')" \
	"$(awk -v a="$after_ns" 'BEGIN {print a / 1e6}')" "$(awk -v a="$after_engine_ns" 'BEGIN {print a / 1e6}')" \
	"$(awk -v r="$idle_rate" 'BEGIN {print r / 1e6}')"
awk -v main="$server" -v clk="$clk" -v n="$ok" '
	NR == FNR { t0[$1] = $3; next }
	{ d = $3 - t0[$1]; g = $1 == main ? "engine+sip" : ($2 ~ /^media/ ? "media" : "other");
	  ms[g] += d * 1000 / clk }
	END { printf "  per completed call: engine+sip %.2f ms, media workers %.2f ms, other threads %.2f ms\n",
		ms["engine+sip"] / n, ms["media"] / n, ms["other"] / n }' \
	"$work/threads0" "$work/threads1"
printf '  server RSS %s KiB idle, peak %s KiB: %.1f KiB per concurrent call\n' "$rss0" "$hwm" \
	"$(awk -v h="$hwm" -v b="$rss0" -v n="$peak" 'BEGIN {print (n ? (h - b) / n : 0)}')"
# SIPp reads none of the RTP sent to it (its sockets fill up and drop, counted below),
# so the datagrams delivered on the machine are about those the server received: a
# full call brings it one packet per 20 ms of hold from the caller and as many from the agent,
# less the 1-s prompt on the flow route. This shows whether SIPp kept the media flowing.
full=$((hold * 2 / 20))
[ "${ROUTE:-flow}" = user ] || full=$((full - 50))
printf '  RTP received by the server: %.0f packets per completed call of a full %d (%s UDP datagrams delivered on the machine, %s dropped at full SIPp buffers)\n' \
	"$(awk -v d="$((uin1 - uin0))" -v n="$ok" 'BEGIN {print (n ? d / n : 0)}')" "$full" \
	"$((uin1 - uin0))" "$((uerr1 - uerr0))"
# The server's own count (the kernel relay's packets never reach its sockets, so the
# machine's datagram count above does not see them as the server's).
metrics=$(curl -s "http://127.0.0.1:$http_port/metrics" || true)
m_in=$(echo "$metrics" | awk '/^centrala_rtp_packets_total\{direction="in"\}/ {print $2}')
m_kernel=$(echo "$metrics" | awk '/^centrala_rtp_kernel_relayed_total / {print $2}')
printf '  RTP the server counted in: %.0f packets per completed call, %s of them relayed by the kernel (%.1f%%)\n' \
	"$(awk -v d="${m_in:-0}" -v n="$ok" 'BEGIN {print (n ? d / n : 0)}')" "${m_kernel:-0}" \
	"$(awk -v k="${m_kernel:-0}" -v d="${m_in:-0}" 'BEGIN {print (d ? 100 * k / d : 0)}')"
m_rec=$(echo "$metrics" | awk '/^centrala_store_records_total / {print $2}')
m_tx=$(echo "$metrics" | awk '/^centrala_store_transactions_total / {print $2}')
printf '  store: %.1f records and %.1f transactions per completed call (since the start)\n' \
	"$(awk -v d="${m_rec:-0}" -v n="$ok" 'BEGIN {print (n ? d / n : 0)}')" \
	"$(awk -v d="${m_tx:-0}" -v n="$ok" 'BEGIN {print (n ? d / n : 0)}')"
printf '  load average before %s, after %s (2 cores, SIPp included)\n' "$load0" "$load1"
printf '  wall %.1f s\n' "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
machine_ms=$(((busy1 - busy0) * 1000 / clk))
gen_ms=$(((gen1 - gen0) * 1000 / clk))
soft_ms=$(((soft1 - soft0) * 1000 / clk))
printf '  machine busy %s ms (sampled at the tick %s ms, softirq %s ms), SIPp %s ms: %.2f ms per completed call without SIPp\n' \
	"$machine_ms" "$(((samp1 - samp0) * 1000 / clk))" "$soft_ms" "$gen_ms" \
	"$(awk -v m="$machine_ms" -v g="$gen_ms" -v n="$ok" 'BEGIN {print (n ? (m - g) / n : 0)}')"
machine_idle_ms=$(awk -v r="$machine_idle_rate" -v clk="$clk" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", r * 1000 / clk * (b - a)}')
printf '  machine with no calls %.1f ms a second (%s ms over the run): %.2f ms per completed call without SIPp and that\n' \
	"$(awk -v r="$machine_idle_rate" -v clk="$clk" 'BEGIN {print r * 1000 / clk}')" "$machine_idle_ms" \
	"$(awk -v m="$machine_ms" -v g="$gen_ms" -v i="$machine_idle_ms" -v n="$ok" 'BEGIN {print (n ? (m - g - i) / n : 0)}')"
bpf_ms=$(awk -v a="$bpf_ns0" -v b="$bpf_ns1" 'BEGIN {printf "%.1f", (b - a) / 1e6}')
if [ "$((bpf_n1 - bpf_n0))" -gt 0 ]; then
	# The program runs in the softirq of whoever sent the packet, on loopback mostly
	# SIPp's sending, so the line above counts most of it as SIPp's.
	printf '  relay program: %s runs, %s ms (%.0f ns a run, %.3f ms per completed call); machine less SIPp with it: %.2f ms per call\n' \
		"$((bpf_n1 - bpf_n0))" "$bpf_ms" "$(awk -v a="$bpf_ns0" -v b="$bpf_ns1" -v n="$((bpf_n1 - bpf_n0))" 'BEGIN {print (b - a) / n}')" \
		"$(awk -v m="$bpf_ms" -v n="$ok" 'BEGIN {print (n ? m / n : 0)}')" \
		"$(awk -v m="$machine_ms" -v g="$gen_ms" -v b="$bpf_ms" -v n="$ok" 'BEGIN {print (n ? (m - g + b) / n : 0)}')"
fi
sys_n=
if [ -f "$work/syscalls" ]; then
	sys_n=$(awk -F, '/raw_syscalls:sys_enter/ {print $1}' "$work/syscalls")
	printf '  server system calls %s: %.0f per completed call\n' "$sys_n" \
		"$(awk -v s="$sys_n" -v n="$ok" 'BEGIN {print (n ? s / n : 0)}')"
fi
if [ -n "${RESULT:-}" ]; then
	awk -v n="$ok" -v clk="$clk" -v c="$cpu_ms" -v m="$machine_ms" -v g="$gen_ms" \
		-v so="$soft_ms" -v f="$failed" -v sy="${sys_n:-0}" -v d="${m_in:-$((uin1 - uin0))}" \
		-v k="${m_kernel:-0}" -v b="$bpf_ms" -v mi="$machine_idle_ms" '
		NR == FNR { t0[$1] = $3; next }
		{ x = ($3 - t0[$1]) * 1000 / clk; if ($2 ~ /^media/) media += x }
		END { calls = n; if (!n) n = 1
		      printf "calls %d\nfailed %d\ncpu %.2f\nmedia %.2f\nmachine %.2f\nmachine_net %.2f\nsipp %.2f\nbpf %.3f\nsoftirq %.2f\nsyscalls %.0f\nrtp %.0f\nkernel %.1f\n",
			calls, f, c / n, media / n, (m - g) / n, (m - g - mi) / n, g / n, b / n, so / n, sy / n, d / n, (d ? 100 * k / d : 0) }' \
		"$work/threads0" "$work/threads1" >"$RESULT"
fi
if [ -n "${SAMPLE:-}" ]; then
	# The warm-up: the first calls end and the stack frees their transactions 32 s later
	# (timers J and K), so the server's working set grows for a call's hold plus about a
	# minute, then should hold still. The steady state runs from there (WARM=SECONDS) to
	# the last call placed; the slopes are least squares over its samples, and the RSS
	# slope is also given over its second half alone and as bytes per call, so that
	# growth that is still levelling off shows apart from growth that goes on.
	warm=${WARM:-$((hold / 1000 + 60))}
	printf '  soak: samples every %s s (warm-up until %s s)\n' "$SAMPLE" "$warm"
	printf '    %6s %9s %6s %7s %16s\n' t_s RSS_MiB fds calls "CPU ms per call"
	awk -v clk="$clk" 'NR > 1 && $5 > c { cpu = ($4 - t) * 1000 / clk / ($5 - c) }
		{ printf "    %6d %9.1f %6d %7d %16s\n", $1, $2 / 1024, $3, $5, (NR > 1 && $5 > c) ? sprintf("%.2f", cpu) : "-"
		  t = $4; c = $5 }' "$work/samples"
	awk -v warm="$warm" -v secs="$secs" -v rate="$rate" -v clk="$clk" -v fi="$fds0" -v fe="$fds_end" -v fa="$fds_after" \
		-v ri="$rss0" -v re="$rss_end" -v ra="$rss_after" -v f="$failed" -v after="${after}s" '
		# Least-squares slope (per minute) of series k over the samples from minute m on.
		function slope(k, m,   i, c, sx, sy, sxx, sxy) {
			for (i = 1; i <= n; i++) { if (x[i] < m) continue
				c++; sx += x[i]; sy += y[k, i]; sxx += x[i] * x[i]; sxy += x[i] * y[k, i] }
			return c > 1 && c * sxx != sx * sx ? (c * sxy - sx * sy) / (c * sxx - sx * sx) : 0 }
		function count(m,   i, c) { for (i = 1; i <= n; i++) if (x[i] >= m) c++; return c + 0 }
		# Median CPU per call of the samples before (late 0) or from (late 1) minute m.
		function median(m, late,   i, j, c, v, t) {
			for (i = 1; i <= n; i++) if ((x[i] >= m) == late) { v[++c] = y["cpu", i]
				for (j = c; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t } }
			return c ? (c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2) : 0 }
		NR > 1 && $5 > c && $1 >= warm && $1 <= secs { n++; x[n] = $1 / 60; y["rss", n] = $2; y["fds", n] = $3
			y["cpu", n] = ($4 - t) * 1000 / clk / ($5 - c); if (n == 1) r1 = $2 }
		{ t = $4; c = $5 }
		END { half = (x[1] + x[n]) / 2; rs = slope("rss", 0); rl = slope("rss", half); pc = 1024 / (rate * 60)
		      printf "    slopes per minute after the warm-up (%d to %d s, %d samples): RSS %+.1f KiB, open files %+.2f, CPU per call %+.3f ms\n",
			warm, secs, n, rs, slope("fds", 0), slope("cpu", 0)
		      printf "    RSS after the warm-up: %+.1f KiB a minute (%+.0f bytes per call); over its second half (from %d s, %d samples): %+.1f KiB a minute (%+.0f bytes per call)\n",
			rs, rs * pc, half * 60, count(half), rl, rl * pc
		      printf "    open files: idle %d, at the last call %d, %s later %d; RSS KiB: idle %d, first steady %d, at the last call %d, after %d\n",
			fi, fe, after, fa, ri, r1, re, ra
		      c1 = median(half, 0); c2 = median(half, 1)
		      printf "    CPU per call after the warm-up: median %.2f ms in its first half, %.2f ms in its second (%+.1f%%)\n",
			c1, c2, c1 ? 100 * (c2 - c1) / c1 : 0
		      if (ENVIRON["SOAK_RESULT"] != "")
			printf "failed %d\nsamples %d\nsamples_late %d\nwarm_s %d\nfds_idle %d\nfds_after %d\nrss_first %d\nrss_end %d\nrss_slope_kib_min %.1f\nrss_slope_late_kib_min %.1f\nrss_bytes_per_call %.0f\nrss_late_bytes_per_call %.0f\nfds_slope_min %.2f\ncpu_slope_ms_min %.3f\ncpu_first_half_ms %.2f\ncpu_second_half_ms %.2f\n",
				f, n, count(half), warm, fi, fa, r1, re, rs, rl, rs * pc, rl * pc,
				slope("fds", 0), slope("cpu", 0), c1, c2 > ENVIRON["SOAK_RESULT"] }' \
		"$work/samples"
fi
printf 'reproduce: %s%s%s%s%s%sbench/sip-bridge.sh %s %s %s %s\n' "${ROUTE:+ROUTE=$ROUTE }" "${AGENTS:+AGENTS=$AGENTS }" "${SAMPLE:+SAMPLE=$SAMPLE }" "${WARM:+WARM=$WARM }" "IO=$io " \
	"$([ "$after" = 40 ] || echo "AFTER=$after ")" "$rate" "$secs" "$mode" "$hold"
