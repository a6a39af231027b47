#!/usr/bin/env bash
# The soak: RATE calls/s (default 50) of 12-s calls for MINUTES (default 60), each
# answered, played a 1-s prompt and queued for one of enough registered agents
# (longest idle), recorded. Every minute it samples the server's RSS, open files and CPU
# per call, and at the end prints the table and the slope of each over the steady state
# (bench/sip-bridge.sh with SAMPLE=60). Flat means no leak: open files back to the idle
# count after the calls, RSS and CPU per call with slopes near zero.
#
# usage: bench/soak.sh [RATE=50] [MINUTES=60] [record|norecord]
# Environment: CENTRALA_BIN, IO (uring or epoll, default uring), SAMPLE (default 60).
set -euo pipefail
rate=${1:-50} minutes=${2:-60} mode=${3:-record} hold=12000
agents=$((rate * hold / 1000 * 5 / 4))
echo "soak: $rate calls/s of $((hold / 1000))-s calls for $minutes min, $agents agents, $mode"
ROUTE=queue AGENTS=$agents IO=${IO:-uring} SAMPLE=${SAMPLE:-60} AFTER=${AFTER:-40} \
	exec "$(dirname "$0")/sip-bridge.sh" "$rate" "$((minutes * 60))" "$mode" "$hold"
