#!/usr/bin/env bash
# timeout: 420
# serial: it loads both cores with SIPp and measures the server while it runs
# The soak benchmark's three-minute version: 25 calls/s of 4-s calls for 170 s, each
# answered, offered a menu whose 1-s prompt the caller answers with an RFC 4733 1, and
# queued for one of 125 registered agents, recorded, through bench/sip-bridge.sh's menu
# route with the server's RSS, open files and CPU per call sampled every 5 s. No call may
# fail (a digit not heard ends the call: failed); once the calls are over, the server
# holds exactly as many open files as it did idle; over the last minute of calls its RSS
# grows by less than SOAK_BYTES_PER_CALL bytes per call (least squares); and the median
# CPU per call of the steady state's second half is within SOAK_CPU_GROWTH percent
# (default 30) of its first half's: work that grows with the calls already handled (a
# scan of a list that only lengthens) shows there, while a sample slowed by a busy
# machine does not move a median. The minute before is
# warm-up: the stack holds every transaction of the last 32 s, and bounded caches (the
# store's page cache, the event ring, the recorder's buffers) fill within about two
# minutes at this rate. The default, 1000, fails the growth the message queues' rings
# caused before their slots came in reusable blocks (about 2,000 bytes per call in that
# minute, and no levelling off) and passes today's build (a few hundred at most, the
# tail of the warm-up; docs/performance.md, Soak, has the figures and the hour).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

rate=${SOAK_RATE:-25} secs=${SOAK_SECONDS:-170} hold=4000
limit=${SOAK_BYTES_PER_CALL:-1000} cpu_growth=${SOAK_CPU_GROWTH:-30}
agents=$((rate * hold / 1000 * 5 / 4))
# The media path of this run (lib.sh): the bench's "kernel" is io_uring with the kernel
# relay.
io=${CENTRALA_RTP_IO:-uring}
[ "${CENTRALA_RTP_KERNEL:-off}" = on ] && io=kernel
# The bench's SIP and HTTP ports inside this test's block (+0..+39, lib.sh checked 50).
PORT_BASE=$SIP_PORT ROUTE=menu AGENTS=$agents IO=$io AFTER=35 SAMPLE=5 \
	WARM=60 SOAK_RESULT="$WORK/soak.result" CENTRALA_BIN=$BIN \
	timeout 300 "$TOP/bench/sip-bridge.sh" "$rate" "$secs" record "$hold" >"$WORK/soak.out" 2>&1 ||
	fail "the soak did not run: $(tail -n 5 "$WORK/soak.out")"
[ -s "$WORK/soak.result" ] || fail "no soak figures: $(tail -n 5 "$WORK/soak.out")"
val() { awk -v k="$1" '$1 == k {print $2}' "$WORK/soak.result"; }
note "$(grep -E 'attempted=|slopes per minute|RSS after the warm-up|open files:|CPU per call after' "$WORK/soak.out" | sed 's/^ *//')"
[ "$(val failed)" = 0 ] || fail "$(val failed) calls failed"
[ "$(val samples_late)" -ge 8 ] || fail "only $(val samples_late) samples in the last minute"
[ "$(val fds_after)" = "$(val fds_idle)" ] ||
	fail "open files: $(val fds_idle) idle, $(val fds_after) after the calls"
awk -v s="$(val rss_late_bytes_per_call)" -v l="$limit" 'BEGIN { exit !(s < l) }' ||
	fail "RSS grows $(val rss_late_bytes_per_call) bytes per call over the last minute of calls ($(val rss_slope_late_kib_min) KiB a minute; limit $limit bytes per call)"
awk -v a="$(val cpu_first_half_ms)" -v b="$(val cpu_second_half_ms)" -v g="$cpu_growth" \
	'BEGIN { exit !(a > 0 && b <= a * (1 + g / 100)) }' ||
	fail "CPU per call grows: median $(val cpu_first_half_ms) ms in the first half of the steady state, $(val cpu_second_half_ms) ms in the second (limit +$cpu_growth%; slope $(val cpu_slope_ms_min) ms a minute)"
