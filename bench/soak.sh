#!/usr/bin/env bash
# The soak: RATE calls/s (default 50) of 12-s calls for MINUTES (default 60), each
# answered, offered a menu (a 1-s prompt; the caller presses 1, RFC 4733) and queued
# for one of enough registered agents (longest idle), recorded. Every minute it samples
# the server's RSS, open files and CPU per call, and at the end prints the table and,
# after the warm-up (WARM seconds, default 300: the stack's 32-s transactions and the
# bounded caches, the store's page cache, the event ring, the recorder's buffers, fill
# in the first minutes), the slope of each, RSS's slope as bytes per call over the whole
# steady state and over its second half alone, and the median CPU per call of each half
# (bench/sip-bridge.sh's menu route with SAMPLE=60). Flat means no leak: open files
# back to the idle count after the calls, RSS and CPU per call with slopes near zero,
# the second half's RSS slope no steeper than the whole's and its CPU per call no higher.
#
# usage: bench/soak.sh [RATE=50] [MINUTES=60] [record|norecord]
# Environment: CENTRALA_BIN, IO (uring or epoll, default uring), SAMPLE (default 60),
# WARM (default 300), AFTER (default 40), PORT_BASE (default 5260).
set -euo pipefail
rate=${1:-50} minutes=${2:-60} mode=${3:-record} hold=12000
agents=$((rate * hold / 1000 * 5 / 4))
warm=${WARM:-300}
[ "$warm" -lt $((minutes * 60)) ] || warm=$((minutes * 60 / 3))
echo "soak: $rate calls/s of $((hold / 1000))-s calls for $minutes min, $agents agents, $mode, warm-up ${warm} s"
ROUTE=menu AGENTS=$agents IO=${IO:-uring} SAMPLE=${SAMPLE:-60} AFTER=${AFTER:-40} WARM=$warm \
	exec "$(dirname "$0")/sip-bridge.sh" "$rate" "$((minutes * 60))" "$mode" "$hold"
