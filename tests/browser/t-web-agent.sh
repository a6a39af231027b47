#!/usr/bin/env bash
# The agent desktop in headless Chromium (tests/browser/agent.mjs, playwright-core)
# against this server, with SIPp as the customer and as alice's phone: login in each
# language, state with a reason code, Alt+R ready, the screen pop of a call through the
# IVR that answers its question by DTMF (caller's number, contact, IVR answers, wait,
# chime and notification), hold and resume, mute, DTMF pad, recording pause and resume,
# Alt+N, Alt+T and Alt+X, the wrap-up countdown, disposition and notes on the
# interaction; the same customer's second call shows the first with them. Screenshots
# go to build/web-screenshots.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

"$PYTHON" "$SCEN/ivr_dtmf.py" "$WORK/account.pcap" 4821 300

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    record: true
    timezone: Europe/Warsaw
    reason_codes: [lunch, break]
    dispositions: [sale, no_sale]
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}}
      - {username: bob, password: bob-secret, roles: [supervisor]}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 30s}
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: account
        nodes:
          account:
            type: collect
            prompt: {tts: "Your account number, please.", lang: en}
            var: account
            min: 4
            max: 4
            timeout: 8s
            retries: 1
            next: tag
            invalid: tag
            no_input: tag
          tag: {type: set, vars: {segment: gold, ref: "A-{caller}"}, next: q}
          q: {type: queue, queue: support}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

sipp_bg apid alice-phone 180 "$(scen agent-answer.xml ring_ms=300)" -p "$(peer_port 11)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -rtp_echo -m 2
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"

CALLER=221234561 browser_bg bpid agent.mjs
wait_file web.ready "$bpid" 60
caller() { # caller NAME: the customer answers the IVR's question and waits for alice
	local rc=0
	sipp_run "$1" 90 "$(scen ivr-queue-caller.xml pcap="$WORK/account.pcap" before_ms=1500)" \
		-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -rtp_echo -m 1 -key number 100 \
		-key domain "$ACME_DOMAIN" -key from 22123456 || rc=$?
	expect_sipp_ok "$1" "$rc"
}
caller caller
# The same customer again, once the first call is wrapped up: the screen pop shows it.
wait_file web.call2 "$bpid" 90
caller caller2
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok alice-phone "$rc"
# The browser asks for a restart once the call is wrapped up: it must show itself
# offline meanwhile and ask for the login again after it.
wait_file web.restart "$bpid" 60
stop_server
start_server
browser_wait "$bpid"
stop_server
