#!/usr/bin/env bash
# The RFC 4475 torture messages (tests/sip/torture/, written from the RFC's text) are sent
# to the SIP port over UDP and over TCP: each gets one of the answers
# tests/sip/torture.expected allows (the RFC's answer, or none: dropped), the server logs
# no sanitizer report, and afterwards it still serves calls: a SIPp call to alice is
# answered and recorded as an interaction.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server

here=$(dirname "$0")
# Over UDP most answers go to the address the message's Via names (not ours): a short
# wait each. Over TCP they come back on the connection.
for proto in udp tcp; do
	wait_s=1
	[ "$proto" = udp ] && wait_s=0.3
	python3 "$here/sip_torture.py" "$proto" "$SIP_HOST" "$SIP_PORT" "$here/torture" "$wait_s" \
		>"$WORK/torture-$proto.txt" || fail "sip_torture.py $proto failed"
	while read -r name got; do
		allowed=$(awk -v n="$name" '$1 == n { $1 = ""; print }' "$here/torture.expected")
		[ -n "$allowed" ] || fail "$name: not in torture.expected"
		ok=0
		for a in $allowed; do
			case "$a" in
			ok) [ "$got" != none ] && [ "$got" != 400 ] && [ "${got:0:1}" != 5 ] && ok=1 ;;
			*) [ "$got" = "$a" ] && ok=1 ;;
			esac
		done
		[ "$ok" -eq 1 ] || fail "$name over $proto: got $got, want one of:$allowed"
	done <"$WORK/torture-$proto.txt"
	note "$proto: $(tr '\n' ' ' <"$WORK/torture-$proto.txt")"
	kill -0 "$SERVER_PID" 2>/dev/null || fail "centrala died during the $proto messages"
done

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
