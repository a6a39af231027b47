#!/usr/bin/env bash
# Preferred (sticky) agent: a caller's last agent is tried first (issue 3, "sticky").
# Queue support: longest-idle, sticky 10 s, no wrap-up; alice and bob are phone-only
# agents (auto_ready) registered one after the other, each phone answering every offer
# after 300 ms and hanging up after 1 s.
# 1. Caller cust1 dials 200: the agent idle longest (A) takes it.
# 2. cust1 calls again: the other agent (B) has now been idle longer than A, who has
#    just hung up, yet the call is offered to A first, and only to A.
# 3. A different caller, other1, dials 200: no preference, longest-idle gives it to B.
# Asserts on the log (offers, agent states, their order) and on the interactions: three
# answered calls with the agents A, A, B; and /metrics counts two callers remembered
# (cust1, other1: one entry per caller, not per call).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
      - {username: bob, sip: {user: bob, password: bob-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 10s, sticky: 10s}
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
order() {
	"$PYTHON" "$SCEN/queue_log.py" order "$SERVER_LOG" "$@" || fail "log order: $*"
}
# The agents offered call N, in order, one per line.
offers_of() {
	sed -n "s/.* call=$1 event=offered queue=support agent=\([a-z]*\) .*/\1/p" "$SERVER_LOG"
}

declare -A agent_pid
pid=
agent_scen=$(scen queue-agent.xml ring_ms=300 talk_ms=1000 wav="$WORK/agent-1000.wav")
k=0
for a in alice bob; do
	k=$((k + 1))
	sipp_bg pid "agent-$a" 90 "$agent_scen" -p "$(peer_port $((10 + k)))" -mi 127.0.0.1 \
		-mp "$(media_port "$k")"
	agent_pid[$a]=$pid
	register_agent "$a" "$a-pw" "$(peer_port $((10 + k)))" "$(peer_port $((20 + k)))"
	wait_log "event=agent_state agent=$a from=logged_out to=ready cause=request" 5
	sleep 0.3 # alice has been idle visibly longer than bob
done

# call N FROM: one call to 200 from FROM1 that talks to an agent until the agent hangs
# up; returns once the call's interaction is written and both agents are ready again.
call() {
	local n=$1 from=$2 rc=0
	sipp_run "caller$n" 40 "$(scen queue-caller.xml)" -p "$(peer_port $((2 + n)))" \
		-mi 127.0.0.1 -mp "$(media_port $((2 + n)))" -rtp_echo -m 1 \
		-key number 200 -key domain "$ACME_DOMAIN" -key from "$from" || rc=$?
	expect_sipp_ok "caller$n" "$rc"
	wait_log "tenant=acme call=$n event=interaction .*answered=1" 10
	# The agent who talked is ready again (no wrap-up) before the next call comes.
	for _ in $(seq 100); do
		[ "$("$PYTHON" - "$SERVER_LOG" <<'PY'
import re, sys
last = {}
for l in open(sys.argv[1], errors="replace"):
    m = re.search(r"event=agent_state agent=(\w+) from=\w+ to=(\w+)", l)
    if m:
        last[m.group(1)] = m.group(2)
print(" ".join(sorted(a for a, s in last.items() if s == "ready")))
PY
)" = "alice bob" ] && return 0
		sleep 0.1
	done
	fail "the agents were not both ready 10 s after call $n: $(grep 'event=agent_state' "$SERVER_LOG" | tail -n 4)"
}

call 1 cust
A=$(offers_of 1 | head -n 1)
case $A in
alice) B=bob ;;
bob) B=alice ;;
*) fail "call 1 was not offered to alice or bob: $(grep 'call=1 ' "$SERVER_LOG")" ;;
esac
note "call 1 (cust1) went to $A; $B has been idle since it registered"
[ "$A" = alice ] || fail "call 1 went to $A, not to alice who had been idle longest"

call 2 cust
# B went ready before A's last change to ready (the end of call 1): B is idle longest,
# and yet the same caller's second call goes to A, first and only.
order "event=agent_state agent=$B from=logged_out to=ready" "call=1 event=offered queue=support agent=$A " \
	"event=agent_state agent=$A from=busy to=ready cause=end" "call=2 event=queued queue=support" \
	"call=2 event=offered queue=support agent=$A " "call=2 event=answered queue=support agent=$A"
o2=$(offers_of 2 | tr '\n' ' ')
[ "$o2" = "$A " ] || fail "call 2 (cust1 again) was offered to: $o2(want $A only, its last agent)"
n=$(grep -c "event=agent_state agent=$B " "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "$B changed state before call 3: $(grep "event=agent_state agent=$B " "$SERVER_LOG")"

call 3 other
o3=$(offers_of 3 | tr '\n' ' ')
[ "$o3" = "$B " ] ||
	fail "call 3 (other1, a new caller) was offered to: $o3(want $B, idle longest; no preference)"
order "call=2 event=interaction " "call=3 event=queued queue=support" \
	"call=3 event=offered queue=support agent=$B " "call=3 event=answered queue=support agent=$B"
expect_no_log 'event=offer_missed'
expect_no_log 'event=abandoned'

for a in alice bob; do
	stop_sipp "${agent_pid[$a]}"
done
for a in alice bob; do
	rc=0
	wait_rc "${agent_pid[$a]}" || rc=$?
	expect_sipp_ok "agent-$a" "$rc"
done
grep -c '^offer from=' "$WORK/agent-$A.log" | grep -qx 2 ||
	fail "$A's phone got $(grep -c '^offer from=' "$WORK/agent-$A.log") offers, want 2"
[ "$(sed -n 's/^offer from=\([^ ]*\) .*/\1/p' "$WORK/agent-$A.log" | tr '\n' ' ')" = "cust1 cust1 " ] ||
	fail "$A's phone was not offered cust1 twice: $(cat "$WORK/agent-$A.log")"
[ "$(sed -n 's/^offer from=\([^ ]*\) .*/\1/p' "$WORK/agent-$B.log" | tr '\n' ' ')" = "other1 " ] ||
	fail "$B's phone was not offered other1 alone: $(cat "$WORK/agent-$B.log")"
remembered=$(curl -sf "http://127.0.0.1:$API_PORT/metrics" |
	sed -n 's/^centrala_callers_remembered{tenant="acme"} \([0-9]*\)$/\1/p')
[ "$remembered" = 2 ] || fail "callers remembered for the sticky queue: '$remembered', want 2"
stop_server

export_interactions
check_interactions "
q = sorted(ix, key=lambda i: i['created'])
got = [(i['from'], i['agent']) for i in q]
want = [('cust1', '$A'), ('cust1', '$A'), ('other1', '$B')]
assert got == want, 'calls and agents %s, want %s' % (got, want)
for i in q:
    assert i['queue'] == 'support' and i['answered'] and not i['abandoned'], i
    offered = [e.get('agent') for e in i['timeline'] if e['event'] == 'offered']
    assert offered == [i['agent']], 'offers of %s: %s' % (i['from'], offered)
"
