#!/usr/bin/env bash
# An IVR flow takes a callback request (issue 4, node `callback`). Flow `main` on number
# 100: node `cb` (type callback, queue support, number "{caller}") records the request,
# then node `bye` (type hangup, prompt thank-you) thanks the caller and hangs up. The
# tenant has trunk pstn pointing at a SIPp playing the carrier, and queue support with
# agent alice (auto_ready), whose phone is not registered at first: nobody is ready.
# 1. Customer 48221234567 dials 100 and waits: the flow runs cb, logs
#    event=ivr_callback and event=callback_requested for queue support, plays the
#    thank-you prompt and hangs up (the caller gets BYE, no sooner than most of the
#    prompt after its ACK). Nothing is offered while no agent is ready.
# 2. alice's phone registers: the callback is offered to her (event=offered ...
#    callback=1), her phone shows the customer's number and answers; the trunk gets
#    INVITE sip:48221234567@127.0.0.1:PORT and answers; customer and agent are bridged
#    (event=callback_connected, event=bridged; the recording holds alice's 1000 Hz on
#    her channel and the carrier's echo of it on the customer's); alice hangs up 3 s
#    after answering.
# Asserts on the log order, the peers' traces and the exported interactions: two, both
# from the customer's number; the IVR call's timeline has the path cb, bye, end hangup
# and no agent; the callback's has queue support, agent alice, answered, hung up by the
# agent, and the timeline callback_requested, offered, agent_connected, dialled,
# answered, ended.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

CUST=48221234567
trunk_port=$(peer_port 30)
trunk_pid='' alice_pid=''

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 15s}
    numbers:
      - {number: "100", flow: main}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
    flows:
      main:
        start: cb
        nodes:
          cb: {type: callback, queue: support, number: "{caller}", next: bye}
          bye: {type: hangup, prompt: thank-you}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

order() {
	"$PYTHON" "$SCEN/queue_log.py" order "$SERVER_LOG" "$@" || fail "log order: $*"
}

# 1. The caller leaves the request and is thanked and hung up on.
rc=0
sipp_run caller 40 "$(scen ivr-cb-caller.xml number=100 domain="$ACME_DOMAIN" from="$CUST")" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 1 || rc=$?
expect_sipp_ok caller "$rc"
grep -q '^BYE ' "$WORK/caller.msg" || fail "caller: no BYE from centrala"
wait_log "tenant=acme call=1 event=ivr_callback queue=support number=$CUST" 10
wait_log 'tenant=acme call=[0-9]+ event=callback_requested queue=support' 10
wait_log 'tenant=acme call=1 event=interaction ' 10
cb=$(sed -nE 's/.*tenant=acme call=([0-9]+) event=callback_requested queue=support.*/\1/p' \
	"$SERVER_LOG" | head -n 1)
[ -n "$cb" ] || fail "no call id on event=callback_requested"
n=$(grep -c 'event=callback_requested' "$SERVER_LOG" || true)
[ "$n" -eq 1 ] || fail "want one callback request, got $n: $(grep 'event=callback_requested' "$SERVER_LOG")"
note "IVR call 1, callback call $cb"
# The path is logged after the actions of each step: the request comes between the
# session's start and its end at node bye.
order 'tenant=acme call=1 event=ivr_node flow=main node=cb type=callback' \
	'tenant=acme call=1 event=ivr_node flow=main node=bye type=hangup' \
	'tenant=acme call=1 event=ivr_end flow=main node=bye detail="hangup"' \
	'tenant=acme call=1 event=interaction '
order 'tenant=acme call=1 event=ivr_start flow=main' \
	"tenant=acme call=$cb event=callback_requested queue=support" \
	'tenant=acme call=1 event=ivr_end flow=main node=bye'
expect_no_log 'event=ivr_error'
expect_no_log 'event=offered'
expect_no_log 'event=abandoned'
prompt_ms=$(soxi -D "$TOP/prompts/en/thank-you.wav" | awk '{printf "%d", $1 * 1000}')
gap=$("$PYTHON" "$SCEN/queue_cb_trace.py" "$WORK/caller.msg" '^ACK ' '^BYE ') ||
	fail "caller: no ACK then BYE in its trace"
note "thank-you prompt ${prompt_ms} ms; caller's ACK to centrala's BYE ${gap} ms"
[ "$gap" -ge $((prompt_ms * 8 / 10)) ] ||
	fail "the caller was hung up ${gap} ms after its ACK: the ${prompt_ms} ms thank-you was not played"

# 2. alice comes in: she is rung first, then the customer through the trunk.
sipp_bg trunk_pid trunk 60 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
sipp_bg alice_pid agent-alice 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=3000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log "tenant=acme call=$cb event=offered queue=support agent=alice .*callback=1" 15
wait_log "tenant=acme call=$cb event=callback_connected number=$CUST" 20
wait_log "tenant=acme call=$cb event=bridged agent=alice" 5
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok trunk "$rc"
wait_log "tenant=acme call=$cb event=interaction " 10
order "tenant=acme call=$cb event=callback_requested" 'event=registered user=alice ' \
	"tenant=acme call=$cb event=offered queue=support agent=alice .*callback=1" \
	"tenant=acme call=$cb event=answered queue=support agent=alice" \
	"tenant=acme call=$cb event=dialled trunk=pstn" \
	"tenant=acme call=$cb event=callback_connected number=$CUST" \
	"tenant=acme call=$cb event=bridged agent=alice" \
	"tenant=acme call=$cb event=interaction .*answered=1"
grep -q "^INVITE sip:$CUST@127.0.0.1:$trunk_port SIP/2.0" "$WORK/trunk.msg" ||
	fail "the trunk got no INVITE sip:$CUST@127.0.0.1:$trunk_port: $(grep '^INVITE' "$WORK/trunk.msg")"
grep -q "offer from=$CUST " "$WORK/agent-alice.log" ||
	fail "alice's phone did not show the customer's number: $(cat "$WORK/agent-alice.log")"
grep -q "done from=$CUST " "$WORK/agent-alice.log" || fail "alice's call did not end with her BYE"
n=$(grep -c 'event=offered' "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "want one offer, got $n: $(grep 'event=offered' "$SERVER_LOG")"
expect_no_log 'event=callback_failed'
stop_server

export_interactions
check_interactions "
assert len(ix) == 2, '%d interactions' % len(ix)
def events(i):
    return [e['event'] for e in i['timeline']]
def follows(ev, want):
    k = 0
    for e in ev:
        if k < len(want) and e == want[k]:
            k += 1
    return k == len(want)
ivr = [i for i in ix if 'ivr' in events(i)]
cb = [i for i in ix if 'callback_requested' in events(i)]
assert len(ivr) == 1 and len(cb) == 1, [events(i) for i in ix]
ivr, cb = ivr[0], cb[0]
assert ivr is not cb, events(ivr)
path = [(e['kind'], e['node'], e['detail']) for e in ivr['timeline'] if e['event'] == 'ivr']
assert path == [('node', 'cb', 'callback'), ('node', 'bye', 'hangup'),
                ('end', 'bye', 'hangup')], path
assert all(e['flow'] == 'main' for e in ivr['timeline'] if e['event'] == 'ivr'), ivr['timeline']
assert ivr['from'] == '$CUST' and ivr['number'] == '100', ivr
assert not ivr['agent'], ivr
assert events(ivr)[-1] == 'ended', events(ivr)
for e in ('queued', 'offered', 'abandoned', 'callback_requested'):
    assert e not in events(ivr), events(ivr)
assert cb['from'] == '$CUST', cb
assert cb['queue'] == 'support', cb
assert cb['agent'] == 'alice', cb
assert cb['answered'] and cb['offered'] and cb['ended'], cb
assert not cb['abandoned'], cb
assert cb['hangup_by'] == 'agent', 'alice hung up the connected callback, hangup_by=%s' % cb['hangup_by']
assert 1.0 <= cb['talk_s'] <= 6.0, 'talk_s %s for a talk of about 3 s' % cb['talk_s']
assert follows(events(cb), ['callback_requested', 'offered', 'agent_connected', 'dialled',
                            'answered', 'ended']), events(cb)
assert events(cb)[-1] == 'ended', events(cb)
assert events(cb).count('callback_requested') == 1, events(cb)
for e in ('ivr', 'abandoned', 'callback_failed'):
    assert e not in events(cb), events(cb)
assert cb['recording'], cb
open('$WORK/recording.txt', 'w').write(cb['recording'] + '\n')
"
rec=$(cat "$WORK/recording.txt")
soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read $rec"
tone_check "$rec" 1 1000 440 >/dev/null || fail "agent channel (right) of $rec does not hold 1000 Hz"
tone_check "$rec" 0 1000 440 >/dev/null ||
	fail "customer channel (left) of $rec does not hold the agent's 1000 Hz echoed by the carrier"
