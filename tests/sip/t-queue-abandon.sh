#!/usr/bin/env bash
# Callers who give up in the queue (issue 3: "a caller who hangs up while waiting is an
# abandon; while ringing an agent, the offer is cancelled").
# 1. Nobody is ready (alice's phone is not registered): a caller dials 200, is answered
#    at once, hears music on hold (RTP arrives at its port) for 2 s and hangs up.
# 2. alice's phone registers (auto_ready) and never answers; a second caller dials 200,
#    alice is offered the call and rings; the caller hangs up after 2 s, before the
#    ring timeout (10 s): alice's INVITE is CANCELled (her SIPp expects CANCEL and
#    answers 487), which is not a missed offer, and she is ready again.
# Asserts: event=queued and event=abandoned with waited_ms about 2000 for both calls;
# two interactions marked abandoned, not answered, with queued and abandoned on the
# timeline (the second also offered to alice); the caller's port got music on hold.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_support_config 'ring_timeout: 10s'
start_server

# rtp_sink VAR K SECONDS: queue_rtp.py on media_port K in the background, pid in VAR;
# its counts go to $WORK/rtp-K.json when it ends.
rtp_sink() {
	timeout 60 "$PYTHON" "$SCEN/queue_rtp.py" "$(media_port "$2")" "$3" "$WORK/rtp-$2.json" &
	printf -v "$1" '%s' "$!"
	_BG_PIDS+=("$!")
}
rtp_packets() {
	"$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["packets"])' "$WORK/rtp-$1.json"
}
# waited_ms of call N's event=abandoned line
waited_ms() {
	sed -n "s/.*tenant=acme call=$1 event=abandoned queue=support waited_ms=\([0-9]*\).*/\1/p" \
		"$SERVER_LOG" | head -n 1
}

# 1. Nobody ready.
rtp_sink sink1 0 6
rc=0
sipp_run caller-wait 30 "$(scen queue-caller-hangup.xml rtp_port="$(media_port 0)" wait_ms=2000)" \
	-p "$(peer_port 3)" -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from early || rc=$?
expect_sipp_ok caller-wait "$rc"
expect_log 'tenant=acme call=1 event=queued queue=support'
wait_log 'tenant=acme call=1 event=abandoned queue=support waited_ms=[0-9]+' 5
w=$(waited_ms 1)
[ "$w" -ge 1500 ] && [ "$w" -le 4000 ] || fail "call 1 waited_ms=$w for a caller who waited 2 s"
wait_rc "$sink1" || true
p=$(rtp_packets 0)
note "music on hold to the waiting caller: $p RTP packets in 2 s ($(cat "$WORK/rtp-0.json"))"
[ "$p" -ge 50 ] || fail "the waiting caller got $p RTP packets in 2 s: no music on hold"

# 2. alice rings and never answers; the caller hangs up while she rings.
agent_port=$(peer_port 11)
sipp_bg agent_pid agent 30 "$(scen agent-noanswer.xml)" -p "$agent_port" -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready cause=request' 5
rtp_sink sink2 1 6
rc=0
sipp_run caller-ring 30 "$(scen queue-caller-hangup.xml rtp_port="$(media_port 1)" wait_ms=2000)" \
	-p "$(peer_port 4)" -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from ringing || rc=$?
expect_sipp_ok caller-ring "$rc"
expect_log 'tenant=acme call=2 event=queued queue=support'
expect_log 'tenant=acme call=2 event=offered queue=support agent=alice'
wait_log 'tenant=acme call=2 event=abandoned queue=support waited_ms=[0-9]+' 5
w=$(waited_ms 2)
[ "$w" -ge 1500 ] && [ "$w" -le 4000 ] || fail "call 2 waited_ms=$w for a caller who waited 2 s"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"
grep -q '^CANCEL ' "$WORK/agent.msg" || fail "alice's phone got no CANCEL"
wait_log 'event=agent_state agent=alice from=reserved to=ready' 5
expect_no_log 'event=offer_missed'
expect_no_log 'event=answered'
wait_rc "$sink2" || true
p=$(rtp_packets 1)
[ "$p" -ge 50 ] || fail "the caller waiting while alice rang got $p RTP packets in 2 s"

for _ in $(seq 50); do
	[ "$(grep -c 'tenant=acme call=[12] event=interaction ' "$SERVER_LOG")" -ge 2 ] && break
	sleep 0.1
done
stop_server

export_interactions
check_interactions '
q = {i["from"]: i for i in ix if i["number"] == "200"}
assert sorted(q) == ["early1", "ringing1"], "interactions from %s" % sorted(q)
for f, i in q.items():
    assert i["queue"] == "support", i
    assert i["abandoned"] is True, i
    assert not i["answered"] and i["queued"], i
    assert i["hangup_by"] == "caller", i
    assert 1.5 <= i["wait_s"] <= 4.0, "wait_s %s for a 2 s wait: %s" % (i["wait_s"], i)
    ev = [e["event"] for e in i["timeline"]]
    assert "queued" in ev and "abandoned" in ev, ev
    assert ev.index("queued") < ev.index("abandoned"), ev
    assert "answered" not in ev, ev
    assert ev[-1] == "ended", ev
assert not q["early1"]["agent"], q["early1"]
assert not [e for e in q["early1"]["timeline"] if e["event"] == "offered"], q["early1"]["timeline"]
tl = q["ringing1"]["timeline"]
off = [e for e in tl if e["event"] == "offered"]
assert off and off[0].get("agent") == "alice", tl
assert tl.index(off[0]) < [e["event"] for e in tl].index("abandoned"), tl
'
