#!/usr/bin/env bash
# The monitoring files in contrib/ against a running server: /metrics of a server with
# a tenant, a queue and agents is scraped, and tests/contrib/check.py checks that every
# metric the Grafana dashboard and the Prometheus alert rules query is one the server
# serves, with the labels they select on; the queue's service-level target and counters
# and the registered agents are served with their values (alice's phone registers and
# answers one call from queue support), and
# promtool checks the rules and runs their unit tests (centrala-alerts.test.yml).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, skills: {support: 1}, auto_ready: true}
    queues:
      - {id: support, skills: {support: 1}, service_level_target: 90}
    numbers:
      - {number: "200", queue: support}
YAML
command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
(cd "$TOP/contrib/prometheus" && promtool check rules centrala-alerts.yml &&
	promtool test rules centrala-alerts.test.yml) >"$WORK/promtool.out" 2>&1 ||
	fail "promtool: $(cat "$WORK/promtool.out")"
start_server
curl -sf -m 5 "http://127.0.0.1:$API_PORT/metrics" >"$WORK/before.txt" || fail "GET /metrics failed"
grep -qx 'centrala_agents_registered{tenant="acme"} 0' "$WORK/before.txt" ||
	fail "want no registered agent before alice's phone: $(grep registered "$WORK/before.txt")"
make_tone "$WORK/agent.wav" 1000 3
sipp_bg apid agent-alice 40 "$(scen queue-agent.xml ring_ms=200 talk_ms=1000 wav="$WORK/agent.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5
rc=0
sipp_run caller 20 "$(scen queue-caller.xml)" -p "$(peer_port 6)" -mi 127.0.0.1 \
	-mp "$(media_port 6)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from 81000 || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"
curl -sf -m 5 "http://127.0.0.1:$API_PORT/metrics" >"$WORK/metrics.txt" ||
	fail "GET /metrics failed"
grep -q '^centrala_calls_active{tenant="' "$WORK/metrics.txt" || fail "no centrala_calls_active in /metrics"
# The call, answered within the target (20 s by default), counts in both counters.
for want in 'centrala_agents_registered{tenant="acme"} 1' \
	'centrala_queue_service_level_target{tenant="acme",queue="support"} 0.9' \
	'centrala_queue_offered_total{tenant="acme",queue="support"} 1' \
	'centrala_queue_answered_in_target_total{tenant="acme",queue="support"} 1'; do
	grep -qxF "$want" "$WORK/metrics.txt" || fail "/metrics has no line '$want'"
done
"$PYTHON" "$TOP/tests/contrib/check.py" --metrics "$WORK/metrics.txt" "$TOP" >"$WORK/check.out" 2>&1 ||
	fail "contrib against /metrics: $(cat "$WORK/check.out")"
note "$(tail -n 1 "$WORK/check.out")"
stop_server
