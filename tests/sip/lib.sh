# Shared helpers for the protocol tests (tests/sip/t-*.sh, tests/e2e/t-*.sh), sourced by
# each test. A test starts its own centrala on its own ports in its own directory, drives
# real peers (SIPp, baresip) against it over loopback, asserts, and stops the server with
# SIGTERM, checking that it exits cleanly. Every process is bounded with `timeout` and
# killed when the test ends, whatever way it ends.
#
# Environment (set by tests/run-protocol; defaults let a test run on its own):
#   CENTRALA_BIN  the server binary (required)
#   TEST_SLOT     1..99, picks this test's port block so tests never collide
#   TEST_WORK     the test's scratch directory (kept by the runner on failure)
#   CENTRALA_RTP_IO  the media packet path the server must run (rtp.io): uring (default;
#                 the server refuses to start without it) or epoll
#   CENTRALA_RTP_KERNEL  the kernel relay of bridged packets (rtp.kernel_relay): off
#                 (default), on (the server refuses to start without it) or auto
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${CENTRALA_BIN:?CENTRALA_BIN must name the centrala binary}
SLOT=${TEST_SLOT:-$(($$ % 90 + 1))}
WORK=${TEST_WORK:-$(mktemp -d "/tmp/centrala-proto.XXXXXX")}
mkdir -p "$WORK"
SCEN=$TOP/tests/sip
# The system's python3 (standard library only); a python3 earlier in PATH may be a slow
# wrapper (pyenv shims take seconds to start on a loaded machine).
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

# Port plan for slot N (loopback only): the server's SIP port at 20000+100N, peers' SIP
# ports just above it (peer_port K); peers' RTP at 30000+100N..+99 (media_port K); the
# server's RTP at 40000+200N..+199. Ports other programs hold are avoided: when a SIP
# or peer-RTP block is taken, the next candidate (1700 further on, modulo the region)
# is tried; the server's RTP range needs no check (the media engine skips ports in use).
# A test running in a network namespace of its own may set SIP_HOST, SIP_PORT and
# RTP_ADDR after sourcing this file, and SERVER_PREFIX (e.g. ip netns exec NS).
SIP_HOST=127.0.0.1
RTP_ADDR=127.0.0.1
SERVER_PREFIX=()
declare -A _busy=()
if command -v ss >/dev/null; then
	while read -r p; do _busy[$p]=1; done < <(ss -Hlntu 2>/dev/null | awk '{n = split($5, a, ":"); print a[n]}')
fi
_block_free() {
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		[ -z "${_busy[$i]:-}" ] || return 1
	done
}
for _k in $(seq 0 9); do
	_off=$(((SLOT * 100 + _k * 1700) % 10000))
	SIP_PORT=$((20000 + _off))
	PEER_RTP_BASE=$((30000 + _off))
	_block_free "$SIP_PORT" 50 && _block_free "$PEER_RTP_BASE" 100 && break
done
RTP_MIN=$((40000 + (SLOT * 200) % 20000))
RTP_MAX=$((RTP_MIN + 199))
# The server's HTTP API listens above the peers' SIP ports, in the same block.
API_PORT=$((SIP_PORT + 60))
# peer_port K (1..49): a peer's SIP port. media_port K (0..9): a peer's RTP port block.
peer_port() { echo $((SIP_PORT + $1)); }
media_port() { echo $((PEER_RTP_BASE + $1 * 10)); }

# Leaks of libraries we cannot fix here, known and documented (tests/sip/lsan.supp).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP/tests/sip/lsan.supp"
# Full stacks for allocations made inside libraries built without frame pointers
# (OpenSSL), so that a suppression can name the function that leaked.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
# A sanitizer build writes the reports of AddressSanitizer, LeakSanitizer and
# ThreadSanitizer, of the server and of every command the test runs (export, check,
# restore...), to $WORK/sanitizer.PID rather than to the process's stderr, which a test
# may discard or expect a message on; the test fails when one was written (stop_server,
# and _cleanup however the test ends), so a report never passes unseen. UBSan (gcc's,
# beside ASan) ignores log_path: its reports go to stderr (the server's is its log, which
# is searched too) and it exits 86, a status no test expects of a command.
SAN_LOG=$WORK/sanitizer
export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$SAN_LOG"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:exitcode=86"
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}log_path=$SAN_LOG"
# (LeakSanitizer would also write the suppressions it used, with no report: not wanted.)
export LSAN_OPTIONS="$LSAN_OPTIONS:print_suppressions=0"
SAN_REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:|SUMMARY: '
# True when a sanitizer report was written (or is in the server's log); sanitizer_reports
# prints them.
sanitizer_written() {
	local f
	for f in "$SAN_LOG".*; do
		[ -e "$f" ] && grep -qE "$SAN_REPORT" "$f" && return 0
	done
	[ -e "$SERVER_LOG" ] && grep -qE "$SAN_REPORT" "$SERVER_LOG"
}
sanitizer_reports() {
	local f
	for f in "$SAN_LOG".*; do
		[ -e "$f" ] && grep -qE "$SAN_REPORT" "$f" || continue
		echo "--- sanitizer report $f:" >&2
		head -n 60 "$f" >&2
	done
	if [ -e "$SERVER_LOG" ] && grep -qE "$SAN_REPORT" "$SERVER_LOG"; then
		echo "--- sanitizer report in $SERVER_LOG:" >&2
		grep -m 1 -A 30 -E "$SAN_REPORT" "$SERVER_LOG" >&2
	fi
}

CONFIG=$WORK/centrala.yaml
SERVER_LOG=$WORK/server.log
REC_DIR=$WORK/recordings
SERVER_PID=
_BG_PIDS=()

note() { printf '  %s\n' "$*" >&2; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
# A missing peer or permission skips a test run by hand; under CI (CI=true) it fails,
# so that a green run proves the test ran.
skip() {
	if [ "${CI:-}" = true ]; then
		printf 'FAIL: %s (a skip is a failure under CI=true)\n' "$*" >&2
		exit 1
	fi
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

_cleanup() {
	local rc=$?
	set +e
	for p in "${_BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		# SERVER_PID is the `timeout` wrapping centrala: it passes TERM on.
		local child
		child=$(pgrep -P "$SERVER_PID" || true)
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 30); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
		kill -KILL "$SERVER_PID" 2>/dev/null
	fi
	wait 2>/dev/null
	if sanitizer_written; then
		sanitizer_reports
		[ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] ||
			printf 'FAIL: a sanitizer report was written (%s.*)\n' "$SAN_LOG" >&2
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -s "$SERVER_LOG" ]; then
		echo "--- last lines of $SERVER_LOG" >&2
		tail -n 15 "$SERVER_LOG" >&2
	fi
	if type test_cleanup >/dev/null 2>&1; then
		test_cleanup
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# Writes the server's configuration: the common sections, then tenants from stdin.
# usage: write_config [extra sip: keys as YAML flow pairs] <<'YAML' ... tenants YAML
# HTTP_EXTRA (YAML flow pairs) adds keys to http:, e.g. the webhooks' allow_private that
# a test with a loopback receiver needs.
write_config() {
	local sip_extra=${1:-}
	{
		echo "sip: {listen: [\"udp:$SIP_HOST:$SIP_PORT\", \"tcp:$SIP_HOST:$SIP_PORT\"]${sip_extra:+, $sip_extra}}"
		echo "rtp: {address: $RTP_ADDR, ports: $RTP_MIN-$RTP_MAX, workers: 1, io: ${CENTRALA_RTP_IO:-uring}, kernel_relay: ${CENTRALA_RTP_KERNEL:-off}}"
		echo "http: {listen: \"127.0.0.1:$API_PORT\"${HTTP_EXTRA:+, $HTTP_EXTRA}}"
		echo "store: \"sqlite:$WORK/centrala.db\""
		echo "recordings: \"$REC_DIR\""
		# A test stops its server with SIGTERM, often with a call still up: hang it up
		# at once, as before drains existed (t-sigterm-drain sets its own grace).
		echo "shutdown_grace: 0s"
		cat
	} >"$CONFIG"
}

# The tenant most tests use: agent alice with a phone, number 300 rings her.
ACME_DOMAIN=acme.test
write_acme_config() {
	write_config "${1:-}" <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
      - {username: bob, sip: {user: bob, password: bob-pw}}
    numbers:
      - {number: "300", user: alice}
YAML
}

# The queue tests' tenant: agent alice (a phone, ready on registering) alone in queue
# support (longest idle, with the options given as YAML flow pairs), number 200 to it.
# usage: write_support_config 'wrap_up: 2s'
write_support_config() {
	write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, $1}
    numbers:
      - {number: "200", queue: support}
YAML
}

# Starts centrala on $CONFIG and waits (at most 60 s) for the engine's "event=started":
# SIP listens a moment before the engine runs (the store, the API and its password
# hashing start in between, seconds on a loaded machine or under ASan), and a request
# sent in that gap waits unanswered.
start_server() {
	: >"$SERVER_LOG"
	# timeout's -k counts from the SIGTERM it passes on (stop_server's): it must leave
	# the server the 30 s stop_server allows (a sanitizer build checks for leaks at exit).
	timeout -k 35 300 "${SERVER_PREFIX[@]}" "$BIN" serve --config "$CONFIG" 2>>"$SERVER_LOG" &
	SERVER_PID=$!
	for _ in $(seq 600); do
		if grep -q 'mod=engine event=started' "$SERVER_LOG"; then
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || fail "centrala exited before it started"
		sleep 0.1
	done
	fail "centrala did not log event=started within 60 s"
}

# Sends signal $1 (HUP, ...) to the server process itself: the timeout that runs it
# would pass a signal on and then kill the server after its -k delay. With a
# SERVER_PREFIX (ip netns exec) the server is the newest process of the group.
signal_server() {
	local pid
	pid=$(pgrep -n -g "$(ps -o pgid= -p "$SERVER_PID" | tr -d ' ')" -f "$BIN serve") ||
		fail "no server process under $SERVER_PID"
	kill -"$1" "$pid"
}

# Stops the server with SIGTERM and checks that it exits 0 within 30 s, having logged
# event=stopped and no sanitizer report.
stop_server() {
	local rc
	[ -n "$SERVER_PID" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || fail "centrala was not running at the end"
	for _ in $(seq 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		fail "centrala still running 30 s after SIGTERM"
	fi
	set +e
	wait "$SERVER_PID"
	rc=$?
	set -e
	SERVER_PID=
	if sanitizer_written; then
		fail "sanitizer report from the server (below, or in $SERVER_LOG)"
	fi
	[ "$rc" -eq 0 ] || fail "centrala exited with status $rc after SIGTERM"
	grep -q 'event=stopped' "$SERVER_LOG" || fail "no event=stopped in the server log"
}

# Waits up to $2 seconds (default 5) for an extended regex in the server log.
wait_log() {
	local re=$1 secs=${2:-5}
	for _ in $(seq $((secs * 10))); do
		grep -qE -- "$re" "$SERVER_LOG" && return 0
		sleep 0.1
	done
	fail "server log has no line matching /$re/ after ${secs}s"
}

expect_log() {
	grep -qE -- "$1" "$SERVER_LOG" || fail "server log has no line matching /$1/"
}

expect_no_log() {
	if grep -qE -- "$1" "$SERVER_LOG"; then
		fail "server log has a line matching /$1/: $(grep -E -- "$1" "$SERVER_LOG" | head -n 1)"
	fi
}

# A copy of scenario tests/sip/FILE in $WORK with [KEY] replaced by VALUE everywhere:
# SIPp 3.6.1 expands -key values in message text only, not inside attributes such as
# <pause milliseconds>, <exec rtp_stream> or <ereg regexp>, nor inside [authentication].
# The copy is always $WORK/FILE: to run one scenario with two sets of values (two SIPp
# started in the background), rename the first copy before expanding the second.
# usage: path=$(scen FILE KEY=VALUE...)
scen() {
	local src=$SCEN/$1 out=$WORK/$1 kv args=(-e '')
	shift
	for kv in "$@"; do
		args+=(-e "s|\[${kv%%=*}\]|${kv#*=}|g")
	done
	sed "${args[@]}" "$src" >"$out"
	echo "$out"
}

# Runs SIPp in the foreground, bounded. usage: sipp_run NAME SECONDS SCENARIO_PATH ARGS...
# Messages go to $WORK/NAME.msg, unexpected ones to $WORK/NAME.err, statistics to
# $WORK/NAME.csv, <log> actions to $WORK/NAME.log. Returns SIPp's exit status (0: every
# call succeeded).
sipp_run() {
	local name=$1 secs=$2 scenario=$3
	shift 3
	local rc=0
	timeout -k 3 "$((secs + 5))" sipp 127.0.0.1:"$SIP_PORT" -sf "$scenario" -i 127.0.0.1 \
		-nostdin -trace_msg -message_file "$WORK/$name.msg" -trace_err \
		-error_file "$WORK/$name.err" -trace_stat -stf "$WORK/$name.csv" -fd 1 \
		-trace_logs -log_file "$WORK/$name.log" -timeout "${secs}s" -timeout_error "$@" \
		>"$WORK/$name.out" 2>&1 || rc=$?
	return "$rc"
}

# The same in the background; the pid goes to the named variable.
# usage: sipp_bg VAR NAME SECONDS SCENARIO_PATH ARGS...
sipp_bg() {
	local var=$1 name=$2 secs=$3 scenario=$4
	shift 4
	timeout -k 3 "$((secs + 5))" sipp 127.0.0.1:"$SIP_PORT" -sf "$scenario" -i 127.0.0.1 \
		-nostdin -trace_msg -message_file "$WORK/$name.msg" -trace_err \
		-error_file "$WORK/$name.err" -trace_stat -stf "$WORK/$name.csv" -fd 1 \
		-trace_logs -log_file "$WORK/$name.log" -timeout "${secs}s" -timeout_error "$@" \
		>"$WORK/$name.out" 2>&1 &
	printf -v "$var" '%s' "$!"
	_BG_PIDS+=("$!")
}

# Waits for a background process and returns its exit status.
wait_rc() {
	local rc=0
	wait "$1" || rc=$?
	return "$rc"
}

# Asserts a SIPp run's exit status; on failure shows its error log.
expect_sipp_ok() {
	local name=$1 rc=$2
	if [ "$rc" -ne 0 ]; then
		echo "--- $name: exit $rc; $WORK/$name.out and $WORK/$name.err:" >&2
		tail -n 15 "$WORK/$name.out" >&2 2>/dev/null || true
		tail -n 30 "$WORK/$name.err" >&2 2>/dev/null || true
		fail "SIPp $name failed (exit $rc)"
	fi
}

# A value from the last line of a SIPp statistics file by column name.
sipp_stat() {
	local name=$1 col=$2
	awk -F';' -v c="$col" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i }
		END { print (k ? $k : "") }' "$WORK/$name.csv"
}

# Registers SIP user $1 (password $2) with a Contact at 127.0.0.1:$3, from SIP port $4.
register_agent() {
	local user=$1 pass=$2 contact_port=$3 from_port=$4 rc=0
	sipp_run "register-$user" 15 "$(scen register.xml)" -p "$from_port" -m 1 \
		-au "$user" -ap "$pass" -auth_uri "$ACME_DOMAIN" -key user "$user" -key domain "$ACME_DOMAIN" \
		-key contact_port "$contact_port" -key expires 600 || rc=$?
	expect_sipp_ok "register-$user" "$rc"
	wait_log "event=registered user=$user " 5
}

# Writes the interactions the server stored to $WORK/interactions.jsonl (the export
# command of DESIGN.md contract 2; run after stop_server so everything is committed).
export_interactions() {
	timeout 30 "${SERVER_PREFIX[@]}" "$BIN" export interactions --config "$CONFIG" --format jsonl \
		>"$WORK/interactions.jsonl" 2>"$WORK/export.err" ||
		fail "centrala export interactions failed: $(cat "$WORK/export.err")"
	if [ -s "$REC_DIR/interactions.jsonl" ] && [ ! -s "$WORK/interactions.jsonl" ]; then
		cp "$REC_DIR/interactions.jsonl" "$WORK/interactions.jsonl"
	fi
}

# The recording path of the first stored interaction.
first_recording() {
	"$PYTHON" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["recording"] or "")' \
		"$WORK/interactions.jsonl"
}

# Runs a python3 check over the interactions: the code sees `ix`, the list of objects,
# and fails the test by raising (assert). usage: check_interactions 'PYTHON'
check_interactions() {
	"$PYTHON" - "$WORK/interactions.jsonl" "$1" <<'PY' || fail "interactions check failed"
import json, sys
ix = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
try:
    exec(sys.argv[2], {"ix": ix})
except AssertionError as e:
    print("interactions:", json.dumps(ix, indent=1)[:3000], file=sys.stderr)
    print("assertion failed:", e, file=sys.stderr)
    sys.exit(1)
PY
}

# A µ-law WAV of a sine tone: make_tone FILE HZ SECONDS
make_tone() {
	sox -q -n -r 8000 -c 1 -e u-law "$1" synth "$3" sine "$2"
}

# What a called party's phone sends after answering, for answering-machine tests: a
# µ-law WAV of 0.5 s of silence, TEXT said by espeak-ng in LANG and, with "beep", 0.6 s
# of silence and a voicemail's beep (1000 Hz, 0.4 s); then 3 s of silence. Check one
# with `build/bench_amd FILE` (prints the detector's decision).
# usage: make_greeting FILE LANG "TEXT" [beep]
make_greeting() {
	local out=$1 lang=$2 text=$3 raw=$WORK/greeting-$RANDOM
	local sx=(-r 8000 -c 1 -b 16 -e signed-integer)
	command -v espeak-ng >/dev/null || skip "espeak-ng is missing (scripts/install-deps --test)"
	espeak-ng -v "$lang" -w "$raw-say.wav" "$text" || fail "espeak-ng cannot say: $text"
	sox -q "$raw-say.wav" "${sx[@]}" "$raw-8k.wav" || fail "sox cannot convert $raw-say.wav"
	sox -q -n "${sx[@]}" "$raw-lead.wav" trim 0 0.5
	sox -q -n "${sx[@]}" "$raw-tail.wav" trim 0 3
	if [ "${4:-}" = beep ]; then
		sox -q -n "${sx[@]}" "$raw-gap.wav" trim 0 0.6
		sox -q -n "${sx[@]}" "$raw-beep.wav" synth 0.4 sine 1000 vol 0.3
		sox -q "$raw-lead.wav" "$raw-8k.wav" "$raw-gap.wav" "$raw-beep.wav" "$raw-tail.wav" \
			-e u-law "$out"
	else
		sox -q "$raw-lead.wav" "$raw-8k.wav" "$raw-tail.wav" -e u-law "$out"
	fi
	rm -f "$raw"-*.wav
}

# Checks which tone a channel of a WAV carries (tests/sip/tone.py, Goertzel): exits 0
# when HZ is the strongest of the tones named and the channel is not silent.
# usage: tone_check FILE CHANNEL HZ [OTHER_HZ...]   (CHANNEL 0 = left)
tone_check() {
	local f=$1 pcm
	shift
	pcm=$WORK/tone-$(basename "$f" .wav)-$RANDOM.wav
	sox -q "$f" -e signed-integer -b 16 "$pcm" || fail "sox cannot read $f"
	"$PYTHON" "$TOP/tests/sip/tone.py" "$pcm" "$@"
}
