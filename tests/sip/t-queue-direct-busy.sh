#!/usr/bin/env bash
# An agent on a call the ACD did not route is busy for the ACD (issue 3: "no new voice
# while on voice"). alice is a phone-only agent of queue `support` and also has her own
# number 300. A customer calls 300 directly; alice answers and talks for 3 s. Meanwhile
# a second customer calls the queue: the queue call must not be offered to alice until
# her direct call has ended, and then it is, at once (no wrap-up after a direct call).
# Asserts: alice went busy with cause=external when the direct call was bridged and
# ready when it ended; the queue offer came after that; both calls were answered by
# alice; the direct call is in none of the queue's interactions.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 10s, wrap_up: 5s}
    numbers:
      - {number: "200", queue: support}
      - {number: "300", user: alice}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

sipp_bg apid agent-alice 40 \
	"$(scen queue-agent.xml ring_ms=300 talk_ms=3000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready cause=request' 5

sipp_bg dpid direct 30 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 300 -key domain "$ACME_DOMAIN" \
	-key from direct
wait_log 'tenant=acme call=1 event=bridged agent=alice' 5
expect_log 'event=agent_state agent=alice from=ready to=busy cause=external'
rc=0
sipp_run queued 40 "$(scen queue-caller.xml)" -p "$(peer_port 4)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" \
	-key from queued || rc=$?
expect_sipp_ok queued "$rc"
rc=0
wait_rc "$dpid" || rc=$?
expect_sipp_ok direct "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"
wait_log 'tenant=acme call=2 event=interaction ' 5
# The queue offer follows the end of the direct call, never during it.
"$PYTHON" "$SCEN/queue_log.py" firsts "$SERVER_LOG" \
	'agent=alice from=ready to=busy cause=external' 'call=2 event=queued queue=support' \
	'agent=alice from=busy to=ready cause=external' 'call=2 event=offered queue=support agent=alice' ||
	fail "alice was offered the queue call during her direct call"
stop_server

export_interactions
check_interactions '
assert len(ix) == 2, f"{len(ix)} interactions"
d = [i for i in ix if i["number"] == "300"][0]
q = [i for i in ix if i["number"] == "200"][0]
assert d["queue"] is None and d["agent"] == "alice" and d["answered"], d
assert q["queue"] == "support" and q["agent"] == "alice" and q["answered"], q
assert q["answered"] > d["ended"], (q["answered"], d["ended"])
'
