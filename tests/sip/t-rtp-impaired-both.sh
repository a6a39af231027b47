#!/usr/bin/env bash
# Both ends on a bad network, media both ways and SIP: the issue's 5% loss, 0-80 ms
# jitter and the reordering it brings, without netem (this kernel has none).
# - The caller's RTP is the impaired capture of t-rtp-impaired (rtp_impair.py: 7 s of
#   440 Hz, a 0.5-s silence 3 s in, RFC 4733 digits 1 and 5), replayed by SIPp.
# - The agent's media go through udp_impair.py both ways: the agent's SDP names the
#   relay's port P while its SIPp (echoing what it hears) is bound to Q; the relay
#   loses 5% of each direction's datagrams and delays the rest by 0-80 ms.
# - SIP: the caller's and the agent's SIPp each lose 5% of the messages they send and
#   receive (-lost 5, seeded by SIPp from the clock, so often none in two calls), and
#   the agent's SIP also goes through a udp_impair.py of its own whose seed loses the
#   first INVITE towards the agent and its first 200 OK back, every run: both sides'
#   retransmissions must recover.
# Two calls, one after the other. Each completes (SIPp counts them successful); each
# digit is detected exactly once on each leg (the agent echoes them); the recording
# stays aligned: the silence in place in both channels (the echo's a round trip
# behind, through the relay twice) and each channel's tone as long as sent (lost
# packets are silence in their place, not squeezed out).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=2
write_acme_config
start_server
"$PYTHON" "$TOP/tests/sip/rtp_impair.py" "$WORK/impaired.pcap" --seconds 7 --gap 3:0.5 \
	--digit 2:1 --digit 5:5 --loss 0.05 --jitter-ms 80 --reorder 0.05 --seed 7 \
	2>"$WORK/impair.log" || fail "rtp_impair.py: $(cat "$WORK/impair.log")"
note "caller's stream: $(cat "$WORK/impair.log")"

# start_relay NAME LISTEN TARGET SEED: udp_impair.py in the background, ready; its pid
# goes to NAME_pid, its output to $WORK/NAME.log.
start_relay() {
	local name=$1 pid
	"$PYTHON" "$TOP/tests/sip/udp_impair.py" --listen "$2" --target "$3" --loss 0.05 \
		--jitter-ms 80 --seed "$4" 2>"$WORK/$name.log" &
	pid=$!
	_BG_PIDS+=("$pid")
	printf -v "${name}_pid" '%s' "$pid"
	for _ in $(seq 50); do
		grep -q '^ready' "$WORK/$name.log" && return 0
		kill -0 "$pid" 2>/dev/null || fail "udp_impair.py ($name): $(cat "$WORK/$name.log")"
		sleep 0.1
	done
	fail "udp_impair.py ($name) not ready within 5 s"
}
# stop_relay NAME: its counts, each direction of which must have lost and reordered.
stop_relay() {
	local name=$1 pid dir line k v
	pid=${name}_pid
	kill -TERM "${!pid}"
	wait "${!pid}" || fail "udp_impair.py ($name) exited with status $?: $(cat "$WORK/$name.log")"
	note "$name: $(grep -v '^ready' "$WORK/$name.log" | tr '\n' ';')"
	for dir in to_peer to_server; do
		line=$(grep "^$dir " "$WORK/$name.log") || fail "no $dir counts from $name"
		for k in "${@:2}"; do
			v=$(sed -n "s/.* $k=\([0-9]*\).*/\1/p" <<<"$line")
			[ "${v:-0}" -gt 0 ] || fail "$name $dir: $k=$v ($line)"
		done
	done
}

# The agent's media: its SDP names the relay's port (scen replaces [media_port]), its
# SIPp's media are bound to agent_media (-mp).
media_relay_port=$(media_port 3) agent_media=$(media_port 1)
start_relay media_relay "$media_relay_port" "$agent_media" 11
# The agent's SIP: it registers the relay's port as its Contact, and its 200 OK's
# Contact names it too (scen replaces [local_port]), so that the server's requests
# (INVITE, ACK, BYE) and the agent's answers all cross the relay. The seed is one whose
# draws lose the first INVITE towards the agent and its first 200 OK back (each
# direction decides the fate of its datagrams in the order they arrive), so that both
# retransmissions are needed every run, whatever SIPp's -lost (clock-seeded) does.
sip_relay_port=$(peer_port 4) agent_port=$(peer_port 2)
start_relay sip_relay "$sip_relay_port" "$agent_port" 619
agent=$(scen agent-answer.xml ring_ms=100 media_port="$media_relay_port" local_port="$sip_relay_port")
# A call's 200 OK to BYE may be lost too: the agent must still be there to answer the
# server's BYE retransmissions (0.5, 1.5, 3.5 s after the first), as a phone does for
# 32 s (RFC 3261 timer J). SIPp's 500 ms would leave the server's BYE retransmissions
# unanswered (the call is over for the engine once the BYE is out, t-bye-unanswered,
# but the stack would log the BYE's failure 32 s later).
sed -i 's|<timewait milliseconds="500"/>|<timewait milliseconds="4000"/>|' "$agent"
grep -q '<timewait milliseconds="4000"/>' "$agent" || fail "agent-answer.xml has no timewait of 500 ms"
sipp_bg agent_pid agent 60 "$agent" -p "$agent_port" -mi 127.0.0.1 -mp "$agent_media" -rtp_echo \
	-m "$CALLS" -lost 5
register_agent alice alice-pw "$sip_relay_port" "$(peer_port 1)"

caller=$(scen caller-dtmf.xml pcap="$WORK/impaired.pcap")
# The stream lasts 7 s (plus the jitter): hang up once it has been sent.
sed -i 's|<pause milliseconds="1500"/>|<pause milliseconds="7600"/>|' "$caller"
rc=0
sipp_run caller 60 "$caller" -p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" \
	-m "$CALLS" -l 1 -lost 5 -key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
for side in caller agent; do
	ok=$(sipp_stat "$side" 'SuccessfulCall(C)') bad=$(sipp_stat "$side" 'FailedCall(C)')
	if [ "$ok" != "$CALLS" ] || [ "$bad" != 0 ]; then
		fail "$side: $ok of $CALLS calls successful, $bad failed"
	fi
done
lost_sip=$(cat "$WORK/caller.msg" "$WORK/agent.msg" | grep -c 'message.*lost' || true)
note "SIP: $lost_sip messages lost by SIPp (-lost 5), recovered by retransmission"

# Each relay did its harm both ways: the media relay carried two 7-s streams each way
# (700 packets; 5% lost and 0-80 ms of jitter at 20 ms spacing leave some of each), and
# RFC 4733 events among them; the SIP relay lost what its seed says.
stop_relay media_relay received lost reordered events
stop_relay sip_relay received lost

for _ in $(seq 100); do
	[ "$(grep -c 'tenant=acme call=[0-9]* event=interaction ' "$SERVER_LOG")" -ge "$CALLS" ] && break
	sleep 0.1
done
n=$(grep -c 'tenant=acme call=[0-9]* event=interaction ' "$SERVER_LOG" || true)
[ "$n" -eq "$CALLS" ] || fail "$n interactions logged, want $CALLS"
# The caller's digits are detected on its leg; relayed to the agent and echoed back,
# through the relay both ways, on the agent's too: once each.
for c in $(seq "$CALLS"); do
	for d in 1 5; do
		for leg in 0 1; do
			n=$(grep -c "call=$c event=digit digit=$d leg=$leg " "$SERVER_LOG" || true)
			[ "$n" -eq 1 ] ||
				fail "call $c: digit $d seen $n times on leg $leg: $(grep 'event=digit' "$SERVER_LOG")"
		done
	done
done
stop_server

export_interactions
"$PYTHON" -c 'import json, sys
for l in open(sys.argv[1]):
    if l.strip():
        print(json.loads(l)["recording"] or "-")' "$WORK/interactions.jsonl" >"$WORK/recs"
[ "$(wc -l <"$WORK/recs")" -eq "$CALLS" ] || fail "$(wc -l <"$WORK/recs") interactions, want $CALLS"
i=0
while read -r rec; do
	i=$((i + 1))
	[ -f "$rec" ] || fail "interaction $i has no recording ($rec)"
	sox -q "$rec" -e signed-integer -b 16 "$WORK/rec16-$i.wav" || fail "sox cannot read $rec"
	for ch in 0 1; do
		tone_check "$rec" "$ch" 440 1000 >"$WORK/tone.out" ||
			fail "recording $i, channel $ch: $(cat "$WORK/tone.out")"
	done
	# The caller's channel as in t-rtp-impaired (its stream's jitter is 80 ms, which the
	# recorder's jitter buffer may adapt to: 0.14 s), and its tone 7 s long within the
	# same slack: 5% of it squeezed out would be 0.35 s short. The echo comes back
	# through the relay both ways: 0-160 ms more of delay than there (its silence up to
	# 0.2 + 0.16 s after the caller's) and 240 ms of jitter in all, which the recorder's
	# buffer may adapt to during the call, hence 0.3 s of slack in that channel (its
	# losses, near 15%, squeezed out would be a second short).
	"$PYTHON" "$TOP/tests/sip/rec_align.py" "$WORK/rec16-$i.wav" --gap 3.0:0.5 \
		--gap-slack 0.14 --echo=-0.04:0.36 --length 7.0 --length-slack 0.14 --echo-slack 0.3 \
		>"$WORK/align.out" || fail "recording $i is not aligned: $(cat "$WORK/align.out")"
	note "recording $i: $(cat "$WORK/align.out")"
done <"$WORK/recs"
