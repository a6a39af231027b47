#!/usr/bin/env bash
# Blind transfer from an agent's phone (issue 2: "blind transfer when an agent's phone
# sends REFER"). A customer calls 300 (alice). Alice answers and, after 1 s, sends REFER
# to bob. centrala accepts it (202), reports the outcome in a NOTIFY (sipfrag 200), ends
# alice's leg with BYE and rings bob, who answers, plays 1000 Hz for 2 s and hangs up;
# the customer, on the line all along, gets BYE.
# Asserts: SIPp outcomes of all three; alice saw a 200 sipfrag; the log shows the
# transfer and bob's bridge; the interaction has agent bob, a `transferred` event to bob
# between two `answered` events, two recording segments (alice's, then bob's), and in
# bob's segment the customer's channel holds bob's tone echoed back (so the customer was
# bridged to bob).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

sipp_bg apid alice 30 "$(scen refer-agent.xml ring_ms=200 talk_ms=1000 target=bob \
	domain="$ACME_DOMAIN")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" \
	-rtp_echo -m 1
sipp_bg bpid bob 30 "$(scen queue-agent.xml ring_ms=200 talk_ms=2000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 12)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
register_agent bob bob-pw "$(peer_port 12)" "$(peer_port 22)"

rc=0
sipp_run caller 30 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -rtp_echo -m 1 -key number 300 -key domain "$ACME_DOMAIN" \
	-key from cust || rc=$?
expect_sipp_ok caller "$rc"
for who in alice:"$apid" bob:"$bpid"; do
	rc=0
	wait_rc "${who#*:}" || rc=$?
	expect_sipp_ok "${who%%:*}" "$rc"
done
grep -q 'notify SIP/2.0 200' "$WORK/alice.log" || fail "alice got no NOTIFY with a 200 sipfrag"
grep -q 'refer done' "$WORK/alice.log" || fail "alice's leg was not ended after the transfer"
wait_log 'tenant=acme call=1 event=interaction ' 5
expect_log 'tenant=acme call=1 event=ringing user=bob'
expect_log 'tenant=acme call=1 event=bridged agent=bob'
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
i = ix[0]
assert i["agent"] == "bob" and i["hangup_by"] == "agent", i
ev = [(e["event"], e.get("agent") or e.get("to")) for e in i["timeline"]]
k = ev.index(("transferred", "bob"))
assert ("answered", "alice") in ev[:k] and ("answered", "bob") in ev[k:], ev
'
# Each bridge records a segment: alice's is the interaction's recording, bob's the
# second; both are on the timeline.
segs=$("$PYTHON" -c 'import json, sys
i = json.loads(open(sys.argv[1]).readline())
p = [e["path"] for e in i["timeline"] if e["event"] == "recording"]
assert len(p) == 2 and p[0] == i["recording"] and p[1].endswith("-2.wav"), p
print(p[1])' "$WORK/interactions.jsonl") || fail "want two recording segments on the timeline"
[ -s "$(first_recording)" ] || fail "alice's segment is missing"
tone_check "$segs" 0 1000 || fail "the customer's channel does not hold bob's tone echoed back"
tone_check "$segs" 1 1000 || fail "bob's channel does not hold his tone"
