#!/usr/bin/env bash
# Two progressive campaigns on one queue share its free agents. Campaigns `a` and `b`
# (four leads each, every one answered by the SIPp carrier after a second) dial for
# queue outbound, whose two agents, alice and bob (SIPp phones), take four calls each.
# Each free agent is dialed for by one campaign only: never more than two campaign
# calls are up at once (counted from the server's log, each call from its dial to its
# end), no person is abandoned, and every lead is connected.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

carrier_port=$(peer_port 30)
carrier_pid='' alice_pid='' bob_pid=''

write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {outbound: 0}, auto_ready: true}
      - {username: bob, sip: {user: bob, password: bob-pw}, queues: {outbound: 0}, auto_ready: true}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s, wrap_up: 1s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$carrier_port"}
    campaigns:
      - {id: a, queue: outbound, trunk: pstn, caller_id: "+48221000001", lists: [la],
         window: {from: "00:00", to: "24:00"}}
      - {id: b, queue: outbound, trunk: pstn, caller_id: "+48221000002", lists: [lb],
         window: {from: "00:00", to: "24:00"}}
YAML
for l in a:1 b:2; do
	{
		echo 'phone,name,timezone'
		for i in 1 2 3 4; do echo "+486010${l#*:}000$i,Lead ${l%%:*}$i,UTC"; done
	} >"$WORK/${l%%:*}.csv"
	timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list "l${l%%:*}" "$WORK/${l%%:*}.csv" \
		>"$WORK/import.out" 2>&1 || fail "import leads: $(cat "$WORK/import.out")"
done

make_tone "$WORK/agent-1000.wav" 1000 10
start_server
wait_log 'campaign=a event=leads_loaded list=la leads=4 open=4' 5
wait_log 'campaign=b event=leads_loaded list=lb leads=4 open=4' 5
sipp_bg carrier_pid carrier 90 "$(scen campaign-carrier.xml busy=0 silent=0 invalid=0 \
	ring_ms=1000)" -p "$carrier_port" -mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 8
# Two copies of the agent's scenario, each complete before its SIPp starts.
scen queue-agent.xml ring_ms=200 talk_ms=1500 wav="$WORK/agent-1000.wav" >/dev/null
mv "$WORK/queue-agent.xml" "$WORK/queue-agent-alice.xml"
bob_scen=$(scen queue-agent.xml ring_ms=200 talk_ms=1500 wav="$WORK/agent-1000.wav")
sipp_bg alice_pid agent-alice 90 "$WORK/queue-agent-alice.xml" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 4
sipp_bg bob_pid agent-bob 90 "$bob_scen" -p "$(peer_port 12)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -m 4
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
register_agent bob bob-pw "$(peer_port 12)" "$(peer_port 22)"
for who in alice bob; do
	rc=0
	wait_rc "$([ $who = alice ] && echo "$alice_pid" || echo "$bob_pid")" || rc=$?
	expect_sipp_ok "agent-$who" "$rc"
done
rc=0
wait_rc "$carrier_pid" || rc=$?
expect_sipp_ok carrier "$rc"
stop_server

expect_no_log 'mod=dialer .*event=abandoned'
n=$(grep -cE 'mod=dialer .*event=connected' "$SERVER_LOG")
[ "$n" -eq 8 ] || fail "want 8 leads connected, got $n"
# Calls up at once, from each campaign call's dial to its end.
"$PYTHON" - "$SERVER_LOG" <<'PY' || fail "more campaign calls up than agents"
import re, sys
up, most, order = set(), 0, []
for line in open(sys.argv[1]):
    m = re.search(r"mod=dialer .*campaign=(\w+) call=(\d+) event=(dial|attempt_ended) ", line)
    if not m:
        continue
    if m.group(3) == "dial":
        up.add(m.group(2))
        order.append(m.group(1))
    else:
        up.discard(m.group(2))
    most = max(most, len(up))
assert most <= 2, f"{most} calls up at once with 2 agents"
assert sorted(order) == ["a"] * 4 + ["b"] * 4, order
print(most, "".join(order))
PY
