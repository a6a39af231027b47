#!/usr/bin/env bash
# SIGTERM drains: with `shutdown_grace: 20s` and a call in progress, SIGTERM makes the
# server refuse a new call with 503 and a Retry-After, while the call in progress goes on
# to its end (the caller hangs up after 4 s of talk); then the server exits 0 by itself,
# well before the grace ends (event=drained). Again with a long call: a second SIGTERM
# stops the drain at once (event=drain_cut reason=signal), exit 0. With no call at all,
# SIGTERM stops at once (stop_server's 10 s, as in every other test).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
sed -i "s/^shutdown_grace: .*/shutdown_grace: 20s/" "$CONFIG"
make_tone "$WORK/caller-440.wav" 440 30

# The server process itself: SERVER_PID is its `timeout` wrapper, which would follow a
# SIGTERM of its own with SIGKILL 5 s later (timeout -k 5), before the drain ends.
term_server() {
	local srv
	srv=$(pgrep -P "$SERVER_PID" | head -n 1)
	[ -n "$srv" ] || fail "no server process under $SERVER_PID"
	kill -TERM "$srv"
}

# Waits up to $1 seconds for the server to exit; fails unless it exited 0.
server_exits() {
	local rc
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$SERVER_PID" 2>/dev/null && fail "centrala still running $1 s after the drain"
	set +e
	wait "$SERVER_PID"
	rc=$?
	set -e
	SERVER_PID=
	[ "$rc" -eq 0 ] || fail "centrala exited with status $rc"
	grep -q 'event=stopped' "$SERVER_LOG" || fail "no event=stopped in the server log"
	expect_no_log 'ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:'
}

call() { # call NAME TALK_MS AGENT_PORT_INDEX CALLER_PORT_INDEX
	sipp_bg "${1}_agent" "$1-agent" 60 "$(scen agent-answer.xml ring_ms=300)" \
		-p "$(peer_port "$3")" -mi 127.0.0.1 -mp "$(media_port "$3")" -m 1
	register_agent alice alice-pw "$(peer_port "$3")" "$(peer_port 1)"
	sipp_bg "${1}_caller" "$1-caller" 60 \
		"$(scen caller.xml wav="$WORK/caller-440.wav" talk_ms="$2")" -p "$(peer_port "$4")" \
		-mi 127.0.0.1 -mp "$(media_port "$4")" -m 1 -key number 300 -key domain "$ACME_DOMAIN"
}

# 1. The call in progress ends on its own; a new one is refused meanwhile.
start_server
call first 4000 2 3
wait_log 'event=bridged' 10
term_server
wait_log 'event=draining calls=1 grace_ms=20000' 5
rc=0
sipp_run late 15 "$(scen caller-rejected.xml number=300 domain="$ACME_DOMAIN" \
	from_user=customer from_host=client.invalid fmt="0" rtpmap="a=rtpmap:0 PCMU/8000" \
	status=503)" -p "$(peer_port 4)" -mi 127.0.0.1 -mp "$(media_port 5)" -m 1 || rc=$?
expect_sipp_ok late "$rc"
grep -qiE '^Retry-After: *[0-9]+' "$WORK/late.msg" || fail "the 503 has no Retry-After"
kill -0 "$SERVER_PID" 2>/dev/null || fail "centrala stopped with a call in progress"
rc=0
wait_rc "$first_caller" || rc=$?
expect_sipp_ok first-caller "$rc"
rc=0
wait_rc "$first_agent" || rc=$?
expect_sipp_ok first-agent "$rc"
server_exits 10
expect_log 'event=drained after_ms='
expect_log 'event=rejected status=503 reason=stopping'
expect_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=caller'
expect_no_log 'event=drain_cut'

# 2. A second SIGTERM ends the drain of a long call at once.
start_server
call second 30000 6 7
wait_log 'event=bridged' 10
term_server
wait_log 'event=draining calls=1' 5
term_server
server_exits 5
expect_log 'event=drain_cut calls=1 reason=signal'
kill "$second_caller" "$second_agent" 2>/dev/null || true

# 3. No call: SIGTERM stops at once.
start_server
stop_server
expect_no_log 'event=draining calls=0'
