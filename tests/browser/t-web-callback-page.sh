#!/usr/bin/env bash
# The public web callback page (tests/browser/callback.mjs) in headless Chromium against
# this server: the form in pl/es/ru/en, a refused number, a callback asked for "as soon
# as possible" and the same number refused as already planned. Then the callback itself:
# alice's SIPp phone is offered it, answers and hangs up after 2 s, the SIPp carrier is called for
# +34912345678 and answers; the interaction has channel callback and the visitor's
# number.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

trunk_port=$(peer_port 30)
write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 15s}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:$trunk_port"}
    web_callback: {queues: [support]}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

browser_bg bpid callback.mjs
wait_file web.requested "$bpid" 90
browser_wait "$bpid"
wait_log 'tenant=acme event=web_callback_requested id=[0-9A-Z]+ queue=support' 5
n=$(grep -c 'event=web_callback_requested' "$SERVER_LOG")
[ "$n" -eq 1 ] || fail "want one callback taken, got $n"

sipp_bg trunk_pid trunk 60 "$(scen queue-cb-trunk.xml ring_ms=300)" -p "$trunk_port" \
	-mi 127.0.0.1 -mp "$(media_port 5)" -rtp_echo -m 1
make_tone "$WORK/agent-1000.wav" 1000 10
sipp_bg alice_pid alice-phone 60 "$(scen queue-agent.xml ring_ms=300 talk_ms=2000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=offered queue=support agent=alice .*callback=1' 10
wait_log 'event=callback_connected number=\+34912345678' 20
rc=0
wait_rc "$alice_pid" || rc=$?
expect_sipp_ok alice-phone "$rc"
rc=0
wait_rc "$trunk_pid" || rc=$?
expect_sipp_ok trunk "$rc"
wait_log 'event=interaction .*answered=1' 10
stop_server
export_interactions
check_interactions "
assert len(ix) == 1, ix
i = ix[0]
assert i['channel'] == 'callback' and i['from'] == '+34912345678', i
assert i['agent'] == 'alice' and i['answered'], i
"
