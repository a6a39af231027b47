#!/usr/bin/env bash
# Queue limits and overflow targets (issue 3: "max wait -> overflow target (another
# queue, a user, ... a message and hang-up); max queue length -> the same overflow").
# Nobody serves queues support, small and closing (alice, their member, never
# registers); bob serves queue other and answers every call after 300 ms, plays 1000 Hz
# for 2 s and hangs up.
# 1. 200 -> support {max_wait: 3s, overflow: {queue: other}}: after 3 s the caller
#    overflows to other (reason=max_wait target=queue:other) and bob answers.
# 2. 201 -> small {max_len: 1, overflow: {user: bob}}: a first caller waits (and hangs
#    up after 4 s: an abandon); a second one overflows at once (reason=max_len) and
#    rings bob directly, who answers.
# 3. 202 -> closing {max_wait: 2s, overflow: {hangup: true}}: after 2 s centrala hangs
#    up on the caller (BYE).
# Asserts: the log lines and their timing, the callers' SIPp outcomes, and the
# interactions (queue, agent, overflowed on the timeline, abandoned only for the caller
# who hung up).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0, small: 0, closing: 0}, auto_ready: true}
      - {username: bob, sip: {user: bob, password: bob-pw}, queues: {other: 0}, auto_ready: true}
    queues:
      - {id: other, strategy: longest-idle, ring_timeout: 10s}
      - {id: support, strategy: longest-idle, max_wait: 3s, overflow: {queue: other}}
      - {id: small, strategy: longest-idle, max_len: 1, overflow: {user: bob}}
      - {id: closing, strategy: longest-idle, max_wait: 2s, overflow: {hangup: true}}
    numbers:
      - {number: "200", queue: support}
      - {number: "201", queue: small}
      - {number: "202", queue: closing}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

sipp_bg bob_pid agent-bob 60 \
	"$(scen queue-agent.xml ring_ms=300 talk_ms=2000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent bob bob-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=bob from=logged_out to=ready cause=request' 5

gap() {
	"$PYTHON" "$SCEN/queue_log.py" gap "$SERVER_LOG" "$1" "$2" || fail "no time from /$1/ to /$2/"
}

# 1. max_wait to another queue.
rc=0
sipp_run caller-support 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 0)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" \
	-key from waiter || rc=$?
expect_sipp_ok caller-support "$rc"
"$PYTHON" "$SCEN/queue_log.py" order "$SERVER_LOG" \
	'tenant=acme call=1 event=queued queue=support' \
	'tenant=acme call=1 event=overflowed queue=support reason=max_wait target=queue:other' \
	'tenant=acme call=1 event=queued queue=other' \
	'tenant=acme call=1 event=offered queue=other agent=bob' \
	'tenant=acme call=1 event=answered .*agent=bob' ||
	fail "call 1 did not go support -> (max_wait) -> other -> bob"
t=$(gap 'call=1 event=queued queue=support' 'call=1 event=overflowed')
note "call 1 overflowed after $t ms (max_wait 3s)"
[ "$t" -ge 2700 ] && [ "$t" -le 4500 ] || fail "call 1 overflowed after $t ms, not max_wait 3s"

# 2. max_len: the second caller overflows at once and rings bob as a user.
timeout 60 "$PYTHON" "$SCEN/queue_rtp.py" "$(media_port 4)" 10 "$WORK/rtp-holder.json" &
_BG_PIDS+=("$!")
sipp_bg holder_pid caller-holder 30 \
	"$(scen queue-caller-hangup.xml rtp_port="$(media_port 4)" wait_ms=4000)" \
	-p "$(peer_port 4)" -m 1 -key number 201 -key domain "$ACME_DOMAIN" -key from holder
wait_log 'tenant=acme call=2 event=queued queue=small' 5
rc=0
sipp_run caller-late 40 "$(scen queue-caller.xml)" -p "$(peer_port 5)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 201 -key domain "$ACME_DOMAIN" \
	-key from late || rc=$?
expect_sipp_ok caller-late "$rc"
rc=0
wait_rc "$holder_pid" || rc=$?
expect_sipp_ok caller-holder "$rc"
expect_log 'tenant=acme call=3 event=overflowed queue=small reason=max_len target=user:bob'
t=$(gap 'tenant=acme call=3 event=incoming' 'call=3 event=overflowed')
[ "$t" -le 1000 ] || fail "call 3 overflowed $t ms after it came in, not at once (max_len)"
expect_log 'tenant=acme call=3 event=ringing user=bob'
wait_log 'tenant=acme call=2 event=abandoned queue=small' 5
rc=0
wait_rc "$bob_pid" || rc=$?
expect_sipp_ok agent-bob "$rc"
[ "$(grep -c 'done from=' "$WORK/agent-bob.log")" -eq 2 ] || fail "bob did not take two calls"

# 3. max_wait with hang-up.
rc=0
sipp_run caller-closing 30 "$(scen queue-caller.xml)" -p "$(peer_port 6)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -rtp_echo -m 1 -key number 202 -key domain "$ACME_DOMAIN" \
	-key from closing || rc=$?
expect_sipp_ok caller-closing "$rc"
expect_log 'tenant=acme call=4 event=overflowed queue=closing reason=max_wait target=hangup'
t=$(gap 'call=4 event=queued queue=closing' 'call=4 event=overflowed')
[ "$t" -ge 1700 ] && [ "$t" -le 3500 ] || fail "call 4 overflowed after $t ms, not max_wait 2s"

for _ in $(seq 50); do
	[ "$(grep -c 'tenant=acme call=[1-4] event=interaction ' "$SERVER_LOG")" -ge 4 ] && break
	sleep 0.1
done
stop_server

export_interactions
check_interactions '
q = {i["from"]: i for i in ix}
assert sorted(q) == ["closing1", "holder1", "late1", "waiter1"], "interactions from %s" % sorted(q)
def events(i):
    return [e["event"] for e in i["timeline"]]
i = q["waiter1"]
assert i["agent"] == "bob" and i["answered"] and not i["abandoned"], i
assert i["queue"] == "other", "queue %s: the call was answered from other" % i["queue"]
ev = events(i)
assert ev.count("queued") == 2 and "overflowed" in ev, ev
assert ev.index("queued") < ev.index("overflowed") < len(ev) - 1 - ev[::-1].index("queued") \
    < ev.index("answered"), ev
i = q["late1"]
assert i["agent"] == "bob" and i["answered"] and not i["abandoned"], i
assert "overflowed" in events(i), events(i)
i = q["holder1"]
assert i["queue"] == "small" and i["abandoned"] is True and not i["answered"], i
i = q["closing1"]
assert i["queue"] == "closing" and not i["answered"], i
assert i["abandoned"] is False, "hung up by overflow, not by the caller: %s" % i
assert i["hangup_by"] != "caller", i
assert "overflowed" in events(i), events(i)
'
