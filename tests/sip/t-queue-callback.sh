#!/usr/bin/env bash
# Virtual hold: a caller waiting in a queue presses the callback digit, hangs up and
# keeps the place; the agent who takes it is rung first, then the customer is dialled
# through the tenant's trunk and the two are bridged (issue 3, "callback").
# Queues support (number 200, agent alice) and billing (number 201, agent bob) both
# have callback_digit "1"; trunk pstn points at a SIPp playing the carrier. Nobody is
# ready at first (the agents' phones are not registered).
# 1. Customer 48221234567 dials 200: 180, then 200 and music on hold; after 1.5 s it
#    sends RFC 4733 digit 1 (dtmf_2833_1.pcap), hears the confirmation prompt and gets
#    BYE from centrala (event=callback_requested). alice's phone registers (auto_ready):
#    the callback is offered to her (event=offered ... callback=1) and her phone shows
#    the customer's number; she answers, hears ringback while the trunk gets
#    INVITE sip:48221234567@127.0.0.1:PORT, the carrier answers, customer and agent are
#    bridged (event=callback_connected, event=bridged; the recording holds alice's
#    1000 Hz on her channel and the carrier's echo of it on the customer's) and alice
#    hangs up 3 s after answering.
# 2. Customer 48227654321 dials 201 and leaves a callback the same way; bob's phone
#    registers and answers the offer, the carrier answers the callback 486 Busy Here:
#    event=callback_failed, centrala hangs up bob's leg (his phone gets BYE), the call
#    ends (its interaction is written at once, not at shutdown) and bob is ready again.
# Asserts on the log order, the peers' message traces and the exported interactions:
# one per call, not abandoned, queue and agent set, the timeline callback_requested,
# offered, agent_connected, dialled, then answered (1) or callback_failed (2), ended;
# answered time only for the call that was connected.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

pcap=/usr/share/sip-tester/dtmf_2833_1.pcap
[ -r "$pcap" ] || skip "$pcap not found (package sip-tester)"
CUST1=48221234567
CUST2=48227654321
trunk_port=$(peer_port 30)
trunk_pid='' alice_pid='' bob_pid=''

write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
      - {username: bob, sip: {user: bob, password: bob-pw}, queues: {billing: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 15s, callback_digit: "1"}
      - {id: billing, strategy: longest-idle, ring_timeout: 15s, callback_digit: "1"}
    numbers:
      - {number: "200", queue: support}
      - {number: "201", queue: billing}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

order() {
	"$PYTHON" "$SCEN/queue_log.py" order "$SERVER_LOG" "$@" || fail "log order: $*"
}

# leave_callback NAME NUMBER FROM MEDIA_K: a customer dials NUMBER, waits, presses 1 and
# is hung up on after the confirmation prompt.
leave_callback() {
	local rc=0
	sipp_run "$1" 40 "$(scen queue-cb-caller.xml number="$2" domain="$ACME_DOMAIN" from="$3" \
		hold_ms=1500 pcap="$pcap")" -p "$(peer_port "$4")" -mi 127.0.0.1 \
		-mp "$(media_port "$4")" -m 1 || rc=$?
	expect_sipp_ok "$1" "$rc"
	# 180 Ringing came before the 200 that answered the INVITE (the status lines in the
	# trace: 100, 180, 200 received, then the 200 sent for centrala's BYE).
	codes=$(sed -n 's/^SIP\/2\.0 \([0-9]*\) .*/\1/p' "$WORK/$1.msg" | grep -v '^100$' | head -n 2 | tr '\n' ' ')
	[ "$codes" = "180 200 " ] || fail "$1: want 180 then 200 for the INVITE, got: $codes"
	grep -q '^BYE ' "$WORK/$1.msg" || fail "$1: no BYE from centrala"
}

# 1. A callback that connects.
leave_callback caller1 200 "$CUST1" 3
wait_log "tenant=acme call=1 event=callback_requested queue=support" 5
n=$(grep -c 'call=1 event=digit digit=1 leg=0' "$SERVER_LOG" || true)
[ "$n" -eq 1 ] || fail "want one digit 1 from the caller, got $n: $(grep 'event=digit' "$SERVER_LOG")"
order 'call=1 event=queued queue=support' 'call=1 event=digit digit=1 leg=0' \
	'call=1 event=callback_requested'
expect_no_log 'call=1 event=abandoned'
expect_no_log 'event=offered'
# The confirmation prompt was played before the BYE: the caller's BYE came at least
# 1.5 s (its hold) and most of the prompt after its ACK.
prompt_ms=$(soxi -D "$TOP/prompts/en/callback-confirm.wav" | awk '{printf "%d", $1 * 1000}')
gap=$("$PYTHON" "$SCEN/queue_cb_trace.py" "$WORK/caller1.msg" '^ACK ' '^BYE ') ||
	fail "caller1: no ACK then BYE in its trace"
note "confirmation prompt ${prompt_ms} ms; caller's ACK to centrala's BYE ${gap} ms (hold 1500 ms)"
[ "$gap" -ge $((1500 + prompt_ms * 8 / 10)) ] ||
	fail "the caller was hung up ${gap} ms after its ACK: the ${prompt_ms} ms confirmation was not played"

sipp_bg trunk_pid trunk1 60 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=3000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'tenant=acme call=1 event=offered queue=support agent=alice legs=1 callback=1' 10
wait_log 'tenant=acme call=1 event=callback_connected' 20
wait_log 'tenant=acme call=1 event=bridged agent=alice' 5
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok trunk1 "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 10
order 'call=1 event=callback_requested' 'event=registered user=alice ' \
	'call=1 event=offered queue=support agent=alice .*callback=1' \
	'call=1 event=answered queue=support agent=alice' 'call=1 event=dialled trunk=pstn' \
	"call=1 event=callback_connected number=$CUST1" 'call=1 event=bridged agent=alice' \
	'call=1 event=interaction .*answered=1'
grep -q "^INVITE sip:$CUST1@127.0.0.1:$trunk_port SIP/2.0" "$WORK/trunk1.msg" ||
	fail "the trunk got no INVITE sip:$CUST1@127.0.0.1:$trunk_port: $(grep '^INVITE' "$WORK/trunk1.msg")"
grep -q "offer from=$CUST1 " "$WORK/agent-alice.log" ||
	fail "alice's phone did not show the customer's number: $(cat "$WORK/agent-alice.log")"
grep -q "done from=$CUST1 " "$WORK/agent-alice.log" || fail "alice's call did not end with her BYE"
n=$(grep -c 'event=offered' "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "want one offer, got $n: $(grep 'event=offered' "$SERVER_LOG")"

# 2. A callback the customer does not take (486 from the carrier).
leave_callback caller2 201 "$CUST2" 4
wait_log "tenant=acme call=2 event=callback_requested queue=billing" 5
sipp_bg trunk_pid trunk2 60 "$(scen queue-agent-reject.xml ring_ms=300 status=486 \
	reason='Busy Here')" -p "$trunk_port" -m 1
sipp_bg bob_pid agent-bob 60 "$(scen agent-answer.xml ring_ms=300)" -p "$(peer_port 12)" \
	-mi 127.0.0.1 -mp "$(media_port 2)" -rtp_echo -m 1
register_agent bob bob-pw "$(peer_port 12)" "$(peer_port 22)"
wait_log 'tenant=acme call=2 event=offered queue=billing agent=bob legs=1 callback=1' 10
wait_log "tenant=acme call=2 event=callback_failed number=$CUST2" 20
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok trunk2 "$rc"
rc=0
wait_rc "$bob_pid" || rc=$?
expect_sipp_ok agent-bob "$rc"
grep -q "^INVITE sip:$CUST2@127.0.0.1:$trunk_port SIP/2.0" "$WORK/trunk2.msg" ||
	fail "the trunk got no INVITE sip:$CUST2@127.0.0.1:$trunk_port"
grep -q '^BYE ' "$WORK/agent-bob.msg" || fail "bob's leg was not hung up by centrala"
wait_log 'tenant=acme call=2 event=interaction ' 10
wait_log 'event=agent_state agent=bob from=[a-z_]+ to=ready cause=' 5
order 'call=2 event=callback_requested' 'call=2 event=offered queue=billing agent=bob .*callback=1' \
	'call=2 event=answered queue=billing agent=bob' 'call=2 event=dialled trunk=pstn' \
	"call=2 event=callback_failed number=$CUST2" 'call=2 event=interaction .*answered=0'
expect_no_log 'call=2 event=(bridged|callback_connected)'
stop_server

export_interactions
check_interactions "
by = {i['from']: i for i in ix}
assert sorted(by) == sorted(['$CUST1', '$CUST2']), 'interactions from %s' % sorted(by)
def events(i):
    return [e['event'] for e in i['timeline']]
def follows(ev, want):
    k = 0
    for e in ev:
        if k < len(want) and e == want[k]:
            k += 1
    return k == len(want)
ok, bad = by['$CUST1'], by['$CUST2']
for i, q, a in ((ok, 'support', 'alice'), (bad, 'billing', 'bob')):
    assert i['queue'] == q, i
    assert i['agent'] == a, i
    assert not i['abandoned'], i
    assert i['queued'] and i['offered'] and i['ended'], i
    assert events(i)[-1] == 'ended', events(i)
    assert 'abandoned' not in events(i), events(i)
    assert events(i).count('callback_requested') == 1, events(i)
assert ok['answered'], ok
assert ok['hangup_by'] == 'agent', 'alice hung up the connected callback, hangup_by=%s' % ok['hangup_by']
assert 1.0 <= ok['talk_s'] <= 6.0, 'talk_s %s for a talk of about 3 s' % ok['talk_s']
assert follows(events(ok), ['callback_requested', 'offered', 'agent_connected', 'dialled',
                            'answered', 'ended']), events(ok)
assert 'callback_failed' not in events(ok), events(ok)
assert ok['recording'], ok
open('$WORK/recording.txt', 'w').write(ok['recording'] + '\n')
assert not bad['answered'], bad
assert follows(events(bad), ['callback_requested', 'offered', 'agent_connected', 'dialled',
                             'callback_failed', 'ended']), events(bad)
assert 'answered' not in events(bad), events(bad)
assert not bad['recording'], bad
"
rec=$(cat "$WORK/recording.txt")
soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read $rec"
tone_check "$rec" 1 1000 440 >/dev/null || fail "agent channel (right) of $rec does not hold 1000 Hz"
tone_check "$rec" 0 1000 440 >/dev/null ||
	fail "customer channel (left) of $rec does not hold the agent's 1000 Hz echoed by the carrier"
