#!/usr/bin/env bash
# Predictive dialing, simulated: `centrala simulate` runs outbound campaigns through the
# dialer's own pacer (src/dialer) with virtual time, over many seeds, and this prints one
# Markdown table row per campaign: mean and worst abandonment (abandoned / answered by
# a person), the mean upper 95% bound, occupancy, talk + wrap minutes per agent-hour and
# calls per hour. It asserts nothing; the figures go to docs/performance.md.
#
#   bench/dialer.sh [BUILD/centrala] [SEEDS]      (defaults: build/centrala 50)
#
# Every campaign: AHT 180 s (exponential), wrap-up 30 s, time to answer lognormal
# (mean 12 s, sd 6 s), ring timeout 25 s, 10% answered by machines (hung up by AMD after
# 2.5 s), 8 hours, cap 3% over the day. The goal for 25 agents at a 20% answer rate:
# at least 50 minutes per agent-hour with abandonment at most 3%.
set -euo pipefail

bin=$(realpath -e "${1:-build/centrala}")
seeds=${2:-50}
work=$(mktemp -d /tmp/centrala-bench-dialer.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "# $bin simulate (campaign scenarios below) --seeds $seeds --format json"
echo
echo "| mode | agents | answered by a person | abandoned % (mean / worst) | upper 95% bound (mean / worst) | occupancy | talk + wrap min per agent-hour (mean / worst) | calls per hour |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
run() {
	local mode=$1 agents=$2 rate=$3 f="$work/$1-$2-$3.yaml"
	cat >"$f" <<YAML
duration: 8h
campaign:
  mode: $mode
  agents: $agents
  answer_rate: $rate%
  machine_rate: 10%
  handle_time: {dist: exponential, mean: 180s}
  wrap_up: 30s
  ring_time: {dist: lognormal, mean: 12s, sd: 6s}
  ring_timeout: 25s
  amd: {action: hangup, decision: 2.5s}
  abandon_cap: 3%
YAML
	"$bin" simulate "$f" --seeds "$seeds" --format json | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
runs = j["runs"]
def mean(k): return sum(r[k] for r in runs) / len(runs)
print("| %s | %d | %s%% | %.2f / %.2f | %.2f / %.2f | %.1f%% | %.1f / %.1f | %.0f |" % (
    j["mode"], j["agents"], sys.argv[1], 100 * mean("abandon_rate"),
    100 * max(r["abandon_rate"] for r in runs), 100 * mean("abandon_upper"),
    100 * max(r["abandon_upper"] for r in runs), 100 * mean("occupancy"),
    mean("work_min_per_agent_hour"), min(r["work_min_per_agent_hour"] for r in runs),
    mean("calls_per_hour")))' "$rate"
}
run predictive 25 20
run progressive 25 20
run predictive 10 20
run predictive 50 20
run predictive 25 10
run predictive 25 30
run predictive 10 10
run predictive 50 30
