#!/usr/bin/env bash
# The dial rate of the live dialer: an agentless campaign with LINES calls at a time
# over LEADS leads (imported with `centrala import leads` first), against a SIPp carrier
# that answers every INVITE 486 Busy Here at once, so each line is free again as soon
# as the engine has placed a call and recorded its result. Prints the calls the engine
# placed per second over SECONDS (from its log), the server's CPU time per call (from
# /proc/PID/stat, all its threads: SIP stack, engine, store writer, dialer worker), the
# records the store committed, and the command to reproduce. The pacing tick (4 per
# second) bounds the rate at LINES x 4 per second; SIPp shares the machine's cores.
# It asserts nothing; the figures go to docs/performance.md.
#
#   bench/dialer-live.sh [LINES=100] [SECONDS=20] [LEADS=30000]
# Environment: CENTRALA_BIN (default build/centrala), PORT_BASE (default 26000: SIP
# PORT_BASE, API +80, carrier +90, RTP 41000-41999).
set -euo pipefail

lines=${1:-100}
secs=${2:-20}
leads=${3:-30000}
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath -e "${CENTRALA_BIN:-$top/build/centrala}")
base=${PORT_BASE:-26000}
work=$(mktemp -d /tmp/centrala-bench-dialer-live.XXXXXX)
server='' carrier=''
cleanup() {
	if [ -n "$carrier" ]; then kill "$carrier" 2>/dev/null || true; fi
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/centrala.yaml" <<YAML
sip: {listen: ["udp:127.0.0.1:$base"]}
rtp: {address: 127.0.0.1, ports: 41000-41999, workers: 1}
http: {listen: "127.0.0.1:$((base + 80))"}
store: "sqlite:$work/centrala.db"
recordings: "$work/rec"
shutdown_grace: 0s
tenants:
  - id: acme
    name: ACME
    country: PL
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$((base + 90))"}
    flows:
      bye: {start: end, nodes: {end: {type: hangup}}}
    campaigns:
      - {id: bench, mode: agentless, lines: $lines, flow: bye, trunk: pstn,
         caller_id: "+48221000000", window: {from: "00:00", to: "23:59"},
         max_attempts: 1, lists: [bench]}
YAML
awk -v n="$leads" 'BEGIN { print "phone,timezone"; for (i = 0; i < n; i++) printf "+48%d,UTC\n", 601000000 + i }' \
	>"$work/leads.csv"
"$bin" import leads --config "$work/centrala.yaml" --tenant acme --list bench "$work/leads.csv" \
	>/dev/null 2>&1
sed -e 's/\[ring_ms\]/0/' -e 's/\[status\]/486/' -e 's/\[reason\]/Busy Here/' \
	"$top/tests/sip/queue-agent-reject.xml" >"$work/carrier.xml"
sipp -sf "$work/carrier.xml" -i 127.0.0.1 -p "$((base + 90))" -nostdin -bg_no >/dev/null 2>&1 &
carrier=$!
sleep 0.5
"$bin" serve --config "$work/centrala.yaml" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do grep -q 'event=leads_loaded' "$work/server.log" && break; sleep 0.1; done
sleep 2 # the first batches are read and the lines filled
ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
d0=$(grep -c 'mod=dialer .*event=dial ' "$work/server.log")
c0=$(ticks)
sleep "$secs"
d1=$(grep -c 'mod=dialer .*event=dial ' "$work/server.log")
c1=$(ticks)
kill -TERM "$server"
wait "$server" || true
server=''
calls=$((d1 - d0))
stored=$(grep -o 'mod=engine event=stopped stored=[0-9]*' "$work/server.log" | sed 's/.*stored=//')
failed=$(grep -c 'mod=dialer .*event=write_failed' "$work/server.log" || true)
echo "lines $lines, ${secs} s, $leads leads: $calls calls placed"
awk -v c="$calls" -v s="$secs" -v t=$((c1 - c0)) -v hz="$hz" 'BEGIN {
	printf "  %.0f calls/s placed; server CPU %.2f ms per call (%.0f%% of one core)\n",
		c / s, (c ? t * 1000 / hz / c : 0), t * 100 / hz / s }'
echo "  interactions and records committed by the store at the stop: ${stored:-?}; dialer write batches failed: $failed"
echo "reproduce: bench/dialer-live.sh $lines $secs $leads"
