#!/usr/bin/env bash
# The RFC 4475 torture messages (tests/sip/torture/, written from the RFC's text) are sent
# to the SIP port: as written over TCP, then with a top Via naming the sender over TCP and
# UDP (sip_torture.py --via-self, so that answers come back). Each gets one of the answers
# tests/sip/torture.expected allows (the RFC's answer, or the server's where it departs,
# said there), a message whose answer can come back is answered unless the RFC expects
# it dropped, the server logs no sanitizer report, and afterwards it still serves calls:
# a SIPp call to alice is answered and recorded.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server

# check FILE STRICT: every answer in FILE is one torture.expected allows. Without STRICT
# (the messages as written) or when a message's Via could not be made ours, no answer is
# allowed as well: it went to the address its Via names.
check() {
	local name got via allowed ok a
	while read -r name got via; do
		allowed=$(awk -v n="$name" '$1 == n { $1 = ""; print }' "$here/torture.expected")
		[ -n "$allowed" ] || fail "$name: not in torture.expected"
		ok=0
		for a in $allowed; do
			case "$a" in
			ok) [ "$got" != none ] && [ "$got" != 400 ] && [ "${got:0:1}" != 5 ] && ok=1 ;;
			drop) [ "$got" = none ] && ok=1 ;;
			*) [ "$got" = "$a" ] && ok=1 ;;
			esac
		done
		[ "$got" = none ] && { [ "$2" = 0 ] || [ "$via" != via ]; } && ok=1
		[ "$ok" -eq 1 ] || fail "$name ($1): got $got, want one of:$allowed"
	done <"$1"
	[ "$(wc -l <"$1")" -eq "$(find "$here/torture" -type f | wc -l)" ] ||
		fail "$1: not every message was sent"
	note "$(basename "$1"): $(tr '\n' ' ' <"$1")"
}

# As written (over TCP: over UDP every answer goes to the address the Via names, not
# ours), then with our own Via over TCP and UDP.
here=$(dirname "$0")
torture() {
	python3 "$here/sip_torture.py" "$@" >"$out" || fail "sip_torture.py $* failed"
	kill -0 "$SERVER_PID" 2>/dev/null || fail "centrala died during sip_torture.py $*"
}
out=$WORK/torture-tcp.txt torture tcp "$SIP_HOST" "$SIP_PORT" "$here/torture" 1
check "$WORK/torture-tcp.txt" 0
out=$WORK/torture-via-tcp.txt torture --via-self tcp "$SIP_HOST" "$SIP_PORT" "$here/torture" 1
check "$WORK/torture-via-tcp.txt" 1
out=$WORK/torture-via-udp.txt torture --via-self udp "$SIP_HOST" "$SIP_PORT" "$here/torture" 0.5
check "$WORK/torture-via-udp.txt" 1

# Still serving calls.
make_tone "$WORK/caller-440.wav" 440 10
agent_port=$(peer_port 2)
sipp_bg agent_pid agent 30 "$(scen agent-answer.xml ring_ms=300)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"
rc=0
sipp_run caller 30 "$(scen caller.xml wav="$WORK/caller-440.wav" talk_ms=1000)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -m 1 -key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
wait_log 'tenant=acme call=[0-9]+ event=interaction .* answered=1' 5
stop_server
