#!/usr/bin/env bash
# A caller on a bad network: what it sends is lost (5%), delayed (0-80 ms) and reordered
# as netem would do it (tests/sip/rtp_impair.py writes the stream, SIPp replays it at
# the capture's times: this kernel has no netem). The stream is 7 s of 440 Hz with a
# 0.5-s silence 3 s in and RFC 4733 digits 1 (at 2 s) and 5 (at 5 s). The call to alice
# completes; each digit is detected exactly once on the caller's leg; and the recording
# stays aligned: the silence is 3.0 s after the tone's start in the caller's channel
# (lost packets fill their 20 ms, late ones go to their place), and lasts 0.5 s.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
"$PYTHON" "$TOP/tests/sip/rtp_impair.py" "$WORK/impaired.pcap" --seconds 7 --gap 3:0.5 \
	--digit 2:1 --digit 5:5 --loss 0.05 --jitter-ms 80 --reorder 0.05 --seed 7 \
	2>"$WORK/impair.log" || fail "rtp_impair.py: $(cat "$WORK/impair.log")"
note "$(cat "$WORK/impair.log")"

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 40 "$(scen agent-answer.xml ring_ms=100)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

caller=$(scen caller-dtmf.xml pcap="$WORK/impaired.pcap")
# The stream lasts 7 s (plus the jitter): hang up once it has been sent.
sed -i 's|<pause milliseconds="1500"/>|<pause milliseconds="7600"/>|' "$caller"
rc=0
sipp_run caller 40 "$caller" -p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 \
	-key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 5
for d in 1 5; do
	n=$(grep -c "call=1 event=digit digit=$d leg=0" "$SERVER_LOG" || true)
	[ "$n" -eq 1 ] || fail "digit $d seen $n times on the caller's leg: $(grep 'event=digit' "$SERVER_LOG")"
done
stop_server

export_interactions
rec=$(first_recording)
[ -f "$rec" ] || fail "no recording"
sox -q "$rec" -e signed-integer -b 16 "$WORK/rec16.wav" || fail "sox cannot read $rec"
tone_check "$rec" 0 440 1000 >"$WORK/tone.out" || fail "caller channel: $(cat "$WORK/tone.out")"
# The stream's one silence, 3 s after its start: the recorder's jitter buffer may add up
# to the network's jitter (80 ms) to its delay once, hence a slack of 0.14 s. The agent's
# phone echoes what it hears: the same silence, a round trip later, in the other channel.
# Each channel has a jitter buffer of its own, and the caller's holds more (its stream is
# the jittery one): relayed in the kernel, the echo comes back within the same tick, so
# it may be written up to two ticks before.
"$PYTHON" "$TOP/tests/sip/rec_align.py" "$WORK/rec16.wav" --gap 3.0:0.5 --gap-slack 0.14 \
	--echo=-0.04:0.2 >"$WORK/align.out" || fail "the recording is not aligned: $(cat "$WORK/align.out")"
note "recording: $(cat "$WORK/align.out")"
