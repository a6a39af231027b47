#!/usr/bin/env bash
# Periodic announcements to callers waiting in a queue (issue 3, "position and
# expected wait announcements").
# Queue support announces every 2 s with position and expected wait
# (`announce: {every: 2s, position: true, ewt: true}`); its only agent, alice, has no
# phone registered, so nobody is ready. Two callers dial 200 one after the other and
# wait about 5 s each on hold (RTP to a port of the test's queue_rtp.py), then hang up.
# Asserts: event=announce position=1 for the first caller and position=2 for the
# second while the first still waits (position=1 once the first has left), each caller
# announced at least twice, the first about 2 s after queueing and then about every
# 2 s (queue_cb_announce.py; no announcement after a caller left); both callers got
# audio all along; both calls are abandons in the log and in the interactions.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

EVERY_MS=2000
write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, announce: {every: 2s, position: true, ewt: true}}
    numbers:
      - {number: "200", queue: support}
YAML
start_server

# rtp_sink VAR K SECONDS: queue_rtp.py on media_port K in the background, pid in VAR;
# its counts go to $WORK/rtp-K.json when it ends.
rtp_sink() {
	timeout 60 "$PYTHON" "$SCEN/queue_rtp.py" "$(media_port "$2")" "$3" "$WORK/rtp-$2.json" &
	printf -v "$1" '%s' "$!"
	_BG_PIDS+=("$!")
}
rtp_json() {
	"$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$WORK/rtp-$1.json" "$2"
}

sink1='' sink2='' c1='' c2=''
rtp_sink sink1 0 12
rtp_sink sink2 1 12
sipp_bg c1 caller1 40 "$(scen queue-caller-hangup.xml rtp_port="$(media_port 0)" wait_ms=5000)" \
	-p "$(peer_port 3)" -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from first
wait_log 'tenant=acme call=1 event=queued queue=support' 10
sipp_bg c2 caller2 40 "$(scen queue-caller-hangup.xml rtp_port="$(media_port 1)" wait_ms=5000)" \
	-p "$(peer_port 4)" -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from second
wait_log 'tenant=acme call=2 event=queued queue=support' 10
rc=0
wait_rc "$c1" || rc=$?
expect_sipp_ok caller1 "$rc"
rc=0
wait_rc "$c2" || rc=$?
expect_sipp_ok caller2 "$rc"
wait_log 'tenant=acme call=1 event=abandoned queue=support' 5
wait_log 'tenant=acme call=2 event=abandoned queue=support' 5

grep 'event=announce' "$SERVER_LOG" | sed 's/^ts=\([^ ]*\) .* \(call=[0-9]* event=announce .*\)/\1 \2/' |
	while read -r l; do note "$l"; done
expect_log 'tenant=acme call=1 event=announce position=1 ewt_ms=-?[0-9]+'
expect_log 'tenant=acme call=2 event=announce position=2 ewt_ms=-?[0-9]+'
expect_no_log 'call=1 event=announce position=[^1]'
"$PYTHON" "$SCEN/queue_cb_announce.py" "$SERVER_LOG" "$EVERY_MS" 2 1 2 >"$WORK/announce.json" ||
	fail "announcements: $(cat "$WORK/announce.json")"
note "announcements (ms after queued, position): $(cat "$WORK/announce.json")"
expect_no_log 'event=offered'

# Music on hold and announcements kept the callers' audio going all along.
kill -TERM "$sink1" "$sink2" 2>/dev/null || true
wait_rc "$sink1" || true
wait_rc "$sink2" || true
for k in 0 1; do
	p=$(rtp_json "$k" packets)
	note "caller $((k + 1)): $(cat "$WORK/rtp-$k.json")"
	[ "$p" -ge 150 ] || fail "caller $((k + 1)) got $p RTP packets in about 5 s on hold"
done

for _ in $(seq 50); do
	[ "$(grep -c 'tenant=acme call=[12] event=interaction ' "$SERVER_LOG")" -ge 2 ] && break
	sleep 0.1
done
stop_server

export_interactions
check_interactions '
q = {i["from"]: i for i in ix}
assert sorted(q) == ["first1", "second1"], "interactions from %s" % sorted(q)
for i in q.values():
    assert i["queue"] == "support", i
    assert i["abandoned"] is True, i
    assert not i["answered"] and not i["agent"], i
    assert i["hangup_by"] == "caller", i
    assert 4.0 <= i["wait_s"] <= 8.0, "wait_s %s for a wait of 5 s: %s" % (i["wait_s"], i)
    ev = [e["event"] for e in i["timeline"]]
    assert "queued" in ev and "abandoned" in ev and ev[-1] == "ended", ev
'
