#!/usr/bin/env bash
# A call to number 300, routed to user alice: one SIPp registers alice with a Contact at
# a second SIPp, which rings, answers and echoes RTP; a third SIPp calls 300, hears the
# relayed 180, streams a 440 Hz tone for 3 s and hangs up. Asserts: both SIPp succeed,
# the agent's leg gets its BYE, the interaction is stored answered with talk_s about 3
# and a recording; the recording is a valid stereo WAV of the call's length whose left
# channel (customer) holds 440 Hz and whose right channel (agent) holds the echo of it,
# which the agent can only send back if it received our RTP.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
make_tone "$WORK/caller-440.wav" 440 10

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 30 "$(scen agent-answer.xml ring_ms=300)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"

rc=0
sipp_run caller 30 "$(scen caller.xml wav="$WORK/caller-440.wav" talk_ms=3000)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 \
	-key number 300 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
grep -q '^BYE ' "$WORK/agent.msg" || fail "the agent's leg got no BYE"

expect_log 'tenant=acme call=1 event=incoming from=customer number=300'
expect_log 'tenant=acme call=1 event=ringing user=alice legs=1'
expect_log "tenant=acme call=1 event=bridged agent=alice recording=$REC_DIR/acme/"
wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=caller' 5
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
i = ix[0]
assert i["channel"] == "voice" and i["direction"] == "inbound", i
assert i["number"] == "300" and i["agent"] == "alice" and i["from"] == "customer", i
assert i["answered"] and i["ended"] and not i["abandoned"], i
assert 2.0 <= i["talk_s"] <= 6.0, "talk_s %s" % i["talk_s"]
assert i["recording"], "no recording path"
'
rec=$(first_recording)
[ -s "$rec" ] || fail "recording $rec missing or empty"
soxi "$rec" >"$WORK/soxi.txt" 2>&1 || fail "soxi cannot read $rec: $(cat "$WORK/soxi.txt")"
[ "$(soxi -c "$rec")" = 2 ] || fail "recording is not stereo"
dur=$(soxi -D "$rec")
awk -v d="$dur" 'BEGIN { exit !(d >= 2.0 && d <= 6.0) }' ||
	fail "recording lasts ${dur}s, the call lasted about 3 s"
tone_check "$rec" 0 440 1000 || fail "customer channel (left) does not hold 440 Hz"
tone_check "$rec" 1 440 1000 || fail "agent channel (right) does not hold the echoed 440 Hz"
