#!/usr/bin/env bash
# timeout: 420
# serial: it loads both cores with SIPp and measures the server while it runs, on the
# fixed ports of bench/sip-bridge.sh
# The soak benchmark's three-minute version: 25 calls/s of 4-s calls, each answered,
# played a 1-s prompt and queued for one of 125 registered agents, recorded, through
# bench/sip-bridge.sh with the server's RSS, open files and CPU per call sampled every
# 10 s. No call may fail; once the calls are over and the SIP stack has freed their
# transactions, the server holds exactly as many open files as it did idle; and over the
# steady state (from a minute after the first calls to the last call placed) its RSS
# grows less than SOAK_RSS_KIB_MIN KiB a minute. The default, 4096, fails a leak of
# about 2.7 KiB per call at this rate; today's build grows by about 1-1.5 KiB per call
# over its first ten minutes (docs/performance.md, Soak), which this bound tolerates
# until that is explained. bench/soak.sh measures the hour at 50 calls/s.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

rate=${SOAK_RATE:-25} secs=${SOAK_SECONDS:-180} hold=4000
limit=${SOAK_RSS_KIB_MIN:-4096}
agents=$((rate * hold / 1000 * 5 / 4))
ROUTE=queue AGENTS=$agents IO=${CENTRALA_RTP_IO:-uring} AFTER=40 SAMPLE=10 \
	SOAK_RESULT="$WORK/soak.result" CENTRALA_BIN=$BIN \
	timeout 400 "$TOP/bench/sip-bridge.sh" "$rate" "$secs" record "$hold" >"$WORK/soak.out" 2>&1 ||
	fail "the soak did not run: $(tail -n 5 "$WORK/soak.out")"
[ -s "$WORK/soak.result" ] || fail "no soak figures: $(tail -n 5 "$WORK/soak.out")"
val() { awk -v k="$1" '$1 == k {print $2}' "$WORK/soak.result"; }
note "$(grep -E 'attempted=|slopes per minute|open files:' "$WORK/soak.out" | sed 's/^ *//')"
[ "$(val failed)" = 0 ] || fail "$(val failed) calls failed"
[ "$(val samples)" -ge 5 ] || fail "only $(val samples) samples of the steady state"
[ "$(val fds_after)" = "$(val fds_idle)" ] ||
	fail "open files: $(val fds_idle) idle, $(val fds_after) after the calls"
awk -v s="$(val rss_slope_kib_min)" -v l="$limit" 'BEGIN { exit !(s < l) }' ||
	fail "RSS grows $(val rss_slope_kib_min) KiB a minute in the steady state (limit $limit)"
