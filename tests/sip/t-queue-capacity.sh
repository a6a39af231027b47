#!/usr/bin/env bash
# Per-tenant channel rules (issue 3: "capacity per channel ... rules per tenant"). Tenant
# acme lets an agent hold two voice calls at once (`channels: {voice: {capacity: 2,
# blocks: []}}`: voice blocks nothing). Two customers call the queue together; alice, the
# only agent, is offered the second while she talks to the first.
# Asserts: both calls answered by alice, the second offered before the first ended;
# alice busy (not ready) in between.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    channels:
      voice: {capacity: 2, blocks: []}
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

sipp_bg apid agent-alice 30 \
	"$(scen queue-agent.xml ring_ms=200 talk_ms=3000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5
rc=0
sipp_run callers 30 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 2 -r 2 -l 2 -key number 200 \
	-key domain "$ACME_DOMAIN" -key from cust || rc=$?
expect_sipp_ok callers "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"
wait_log 'tenant=acme call=2 event=interaction ' 5
"$PYTHON" "$SCEN/queue_log.py" firsts "$SERVER_LOG" \
	'call=1 event=answered queue=support agent=alice' \
	'call=2 event=offered queue=support agent=alice' 'call=1 event=interaction ' ||
	fail "the second call was not offered to alice during the first"
stop_server

export_interactions
check_interactions '
assert len(ix) == 2 and all(i["agent"] == "alice" and i["answered"] for i in ix), ix
'
