#!/usr/bin/env bash
# Ten callers to a queue number with three agents (issue 3, "Tests and benchmark").
# alice, bob and carol are phone-only agents (auto_ready) of queue `support`
# (longest-idle, wrap_up 3 s); each phone is a SIPp that answers every offer after
# 300 ms, plays a 1000 Hz tone for 2 s and hangs up. Ten callers dial 200 at 2 calls/s;
# each waits on hold until an agent has talked to it and hung up; its RTP port echoes
# what it hears.
# Asserts: every caller reached an agent (10 answered interactions with queue, agent,
# times and the timeline queued, offered, answered, ended; the recording's customer
# channel holds the agent's tone echoed by the caller, so caller and agent were
# bridged both ways); the agent's phone saw the caller's number as From; all three
# agents took calls, as evenly as longest-idle allows (4/3/3) and always the one idle
# longest; no agent was offered a call during its wrap-up (log order and times).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

WRAP_MS=3000
AGENTS=(alice bob carol)
CALLS=10

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
      - {username: bob, sip: {user: bob, password: bob-pw}, queues: {support: 0}, auto_ready: true}
      - {username: carol, sip: {user: carol, password: carol-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 10s, wrap_up: 3s}
    numbers:
      - {number: "200", queue: support}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

# The SIPp inside a `timeout` wrapper: SIGUSR1 makes it finish its calls and exit.
stop_sipp() {
	local child
	child=$(pgrep -P "$1" sipp || true)
	[ -n "$child" ] && kill -USR1 "$child" 2>/dev/null
	return 0
}

declare -A agent_pid
agent_scen=$(scen queue-agent.xml ring_ms=300 talk_ms=2000 wav="$WORK/agent-1000.wav")
k=0
for a in "${AGENTS[@]}"; do
	k=$((k + 1))
	sipp_bg pid "agent-$a" 85 "$agent_scen" -p "$(peer_port $((10 + k)))" -mi 127.0.0.1 \
		-mp "$(media_port "$k")"
	agent_pid[$a]=$pid
	register_agent "$a" "$a-pw" "$(peer_port $((10 + k)))" "$(peer_port $((20 + k)))"
	wait_log "event=agent_state agent=$a from=logged_out to=ready cause=request" 5
done

rc=0
sipp_run callers 70 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 0)" -rtp_echo -m "$CALLS" -r 2 -l "$CALLS" \
	-key number 200 -key domain "$ACME_DOMAIN" -key from cust || rc=$?
expect_sipp_ok callers "$rc"
[ "$(sipp_stat callers 'SuccessfulCall(C)')" = "$CALLS" ] ||
	fail "$(sipp_stat callers 'SuccessfulCall(C)') of $CALLS callers succeeded"
n180=$(grep -c '^SIP/2.0 180' "$WORK/callers.msg" || true)
[ "$n180" -ge "$CALLS" ] || fail "callers got $n180 180 Ringing for $CALLS calls (expected before the 200)"

for _ in $(seq 100); do
	[ "$(grep -c 'tenant=acme call=[0-9]* event=interaction ' "$SERVER_LOG")" -ge "$CALLS" ] && break
	sleep 0.1
done
for a in "${AGENTS[@]}"; do
	stop_sipp "${agent_pid[$a]}"
done
for a in "${AGENTS[@]}"; do
	rc=0
	wait_rc "${agent_pid[$a]}" || rc=$?
	expect_sipp_ok "agent-$a" "$rc"
done

[ "$(grep -c 'event=queued queue=support' "$SERVER_LOG")" -eq "$CALLS" ] ||
	fail "$(grep -c 'event=queued queue=support' "$SERVER_LOG") event=queued lines for $CALLS calls"
[ "$(grep -cE 'event=answered .*agent=(alice|bob|carol)' "$SERVER_LOG")" -eq "$CALLS" ] ||
	fail "$(grep -cE 'event=answered .*agent=' "$SERVER_LOG") event=answered lines for $CALLS calls"
expect_no_log 'event=offer_missed'
expect_no_log 'event=abandoned'
"$PYTHON" "$SCEN/queue_log.py" wrapup "$SERVER_LOG" "$WRAP_MS" ||
	fail "an agent was offered a call during its wrap-up"
"$PYTHON" "$SCEN/queue_log.py" longest-idle "$SERVER_LOG" "${AGENTS[@]}" ||
	fail "the offers did not follow longest-idle"
note "offers per agent: $("$PYTHON" "$SCEN/queue_log.py" offers "$SERVER_LOG")"

# Who served whom, as the agents' phones saw it (the From of each answered offer).
for a in "${AGENTS[@]}"; do
	sed -n 's/.*done from=\([^ ]*\) .*/\1/p' "$WORK/agent-$a.log" | sed "s/\$/ $a/"
done >"$WORK/served.txt"
# Every interaction is written again when its agent's wrap-up ends.
for _ in $(seq 100); do
	[ "$(grep -c 'event=interaction_wrapped ' "$SERVER_LOG")" -ge "$CALLS" ] && break
	sleep 0.1
done
stop_server

export_interactions
check_interactions "
agents = ['alice', 'bob', 'carol']
calls = $CALLS
wrap_ms = $WRAP_MS
served = dict(l.split() for l in open('$WORK/served.txt') if l.strip())
q = [i for i in ix if i['number'] == '200']
assert len(q) == calls, '%d interactions for number 200, not %d' % (len(q), calls)
def follows(events, want):
    # want: (event, agent or None) in this order, other events may come between
    k = 0
    for e in events:
        if k < len(want) and e['event'] == want[k][0] and (want[k][1] is None or e.get('agent') == want[k][1]):
            k += 1
    return k == len(want)
for i in q:
    assert i['queue'] == 'support', i
    assert i['agent'] in agents, i
    assert i['answered'] and i['queued'] and i['offered'] and i['ended'], i
    assert not i['abandoned'], i
    assert i['hangup_by'] == 'agent', i
    assert 1.0 <= i['talk_s'] <= 5.0, 'talk_s %s for a call of 2 s: %s' % (i['talk_s'], i)
    tl = i['timeline']
    assert follows(tl, [('queued', None), ('offered', i['agent']), ('answered', i['agent']),
                        ('ended', None)]), 'timeline of %s: %s' % (i['from'], tl)
    # The call ends, then the agent's wrap-up (written again when it is over).
    assert [e['event'] for e in tl][-2:] == ['ended', 'wrap_up_ended'], tl
    assert 2.5 <= i['wrapup_s'] <= 5.0, 'wrapup_s %s for a 3 s wrap-up: %s' % (i['wrapup_s'], i)
    assert served.get(i['from']) == i['agent'], \
        'interaction says %s served %s, the phones say %s' % (i['agent'], i['from'], served.get(i['from']))
    assert i['recording'], 'no recording: %s' % i
counts = {a: sum(1 for i in q if i['agent'] == a) for a in agents}
print('calls per agent:', counts)
assert min(counts.values()) >= 1, 'an agent got no call: %s' % counts
assert max(counts.values()) - min(counts.values()) <= 1, 'uneven spread: %s' % counts
open('$WORK/recordings.txt', 'w').write(''.join(i['recording'] + '\n' for i in q))
"
while read -r rec; do
	soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read $rec"
	tone_check "$rec" 1 1000 440 >/dev/null || fail "agent channel (right) of $rec does not hold 1000 Hz"
	tone_check "$rec" 0 1000 440 >/dev/null ||
		fail "customer channel (left) of $rec does not hold the agent's 1000 Hz echoed by the caller"
done <"$WORK/recordings.txt"
