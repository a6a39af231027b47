#!/usr/bin/env bash
# An agent who does not answer loses the offer to the next one (issue 3).
# Queue `support`: longest-idle, ring_timeout 2s, max_no_answer 1. Three phone-only
# agents register in this order, so they are idle longest in this order:
#   alice  rings and never answers (SIPp expecting CANCEL),
#   carol  rings and declines with 486 Busy Here,
#   bob    answers after 300 ms, plays 1000 Hz for 2 s and hangs up.
# One caller dials 200: alice is offered and rung for 2 s, then CANCELled
# (offer_missed reason=timeout); carol is offered and declines (reason=rejected);
# bob answers. With max_no_answer 1 alice and carol are paused (not_ready, cause
# no_answer), so a second caller goes straight to bob.
# Asserts: the log order of these events, alice's ring lasting the ring timeout, the
# CANCEL at alice's phone, both pauses, and the interaction: answered by bob, with
# offered/offer_missed for alice and carol before offered/answered for bob.
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
      - {username: carol, sip: {user: carol, password: carol-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 2s, max_no_answer: 1}
    numbers:
      - {number: "200", queue: support}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

sipp_bg alice_pid agent-alice 40 "$(scen agent-noanswer.xml)" -p "$(peer_port 11)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready cause=request' 5
sipp_bg carol_pid agent-carol 40 "$(scen queue-agent-reject.xml ring_ms=300 status=486 reason='Busy Here')" \
	-p "$(peer_port 12)" -m 1
register_agent carol carol-pw "$(peer_port 12)" "$(peer_port 22)"
wait_log 'event=agent_state agent=carol from=logged_out to=ready cause=request' 5
sipp_bg bob_pid agent-bob 40 \
	"$(scen queue-agent.xml ring_ms=300 talk_ms=2000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 13)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 2
register_agent bob bob-pw "$(peer_port 13)" "$(peer_port 23)"
wait_log 'event=agent_state agent=bob from=logged_out to=ready cause=request' 5

rc=0
sipp_run caller 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 0)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" \
	-key from first || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
grep -q '^CANCEL ' "$WORK/agent-alice.msg" || fail "alice's phone got no CANCEL"
rc=0
wait_rc "$carol_pid" || rc=$?
expect_sipp_ok agent-carol "$rc"

"$PYTHON" "$SCEN/queue_log.py" order "$SERVER_LOG" \
	'tenant=acme call=1 event=queued queue=support' \
	'tenant=acme call=1 event=offered queue=support agent=alice' \
	'tenant=acme call=1 event=offer_missed .*agent=alice.* reason=timeout' \
	'tenant=acme call=1 event=offered queue=support agent=carol' \
	'tenant=acme call=1 event=offer_missed .*agent=carol.* reason=rejected' \
	'tenant=acme call=1 event=offered queue=support agent=bob' \
	'tenant=acme call=1 event=answered .*agent=bob' ||
	fail "call 1 did not go alice (timeout), carol (rejected), bob (answered)"
ring=$("$PYTHON" "$SCEN/queue_log.py" gap "$SERVER_LOG" 'call=1 event=offered .*agent=alice' \
	'call=1 event=offer_missed .*agent=alice') || fail "no ring time for alice"
note "alice rang for $ring ms (ring_timeout 2s)"
[ "$ring" -ge 1800 ] && [ "$ring" -le 3500 ] || fail "alice rang for $ring ms, not the 2 s ring timeout"
expect_log 'event=agent_state agent=alice .*to=not_ready cause=no_answer'
expect_log 'event=agent_state agent=carol .*to=not_ready cause=no_answer'

# A second caller: only bob is ready.
rc=0
sipp_run caller2 40 "$(scen queue-caller.xml)" -p "$(peer_port 4)" -mi 127.0.0.1 \
	-mp "$(media_port 1)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" \
	-key from second || rc=$?
expect_sipp_ok caller2 "$rc"
rc=0
wait_rc "$bob_pid" || rc=$?
expect_sipp_ok agent-bob "$rc"
expect_log 'tenant=acme call=2 event=offered queue=support agent=bob'
expect_no_log 'call=2 event=offered .*agent=(alice|carol)'
wait_log 'tenant=acme call=2 event=interaction ' 5
stop_server

export_interactions
check_interactions '
q = {i["from"]: i for i in ix if i["number"] == "200"}
assert sorted(q) == ["first1", "second1"], "interactions from %s" % sorted(q)
i = q["first1"]
assert i["queue"] == "support" and i["agent"] == "bob" and i["answered"], i
assert not i["abandoned"], i
tl = [(e["event"], e.get("agent")) for e in i["timeline"]]
want = [("queued", None), ("offered", "alice"), ("offer_missed", "alice"), ("offered", "carol"),
        ("offer_missed", "carol"), ("offered", "bob"), ("answered", "bob"), ("ended", None)]
k = 0
for ev, ag in tl:
    if k < len(want) and ev == want[k][0] and (want[k][1] is None or ag == want[k][1]):
        k += 1
assert k == len(want), "timeline %s lacks %s (in this order)" % (tl, want[k:])
assert 2.0 <= i["wait_s"] <= 6.0, "wait_s %s: alice rang 2 s, carol 0.3 s, bob 0.3 s" % i["wait_s"]
j = q["second1"]
assert j["agent"] == "bob" and j["answered"], j
assert not [e for e in j["timeline"] if e["event"] == "offer_missed"], j["timeline"]
'
