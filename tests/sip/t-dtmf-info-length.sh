#!/usr/bin/env bash
# SIP INFO bodies are read with their Content-Length: bytes after the body that a
# datagram happens to carry are not part of the message. A caller sends dtmf-relay with
# length 6 before "=1" and application/dtmf with length 0 before "1" (neither is a
# digit), then a well-formed "2"; the flow's menu takes 2 (node done), never 1 (wrong).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: menu1
        nodes:
          menu1: {type: menu, prompt: please-hold, timeout: 5s, options: {"1": wrong, "2": done}}
          wrong: {type: hangup, prompt: thank-you}
          done: {type: hangup, prompt: thank-you}
YAML
start_server

rc=0
sipp_run caller 30 "$(scen caller-info-length.xml)" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1 -key number 100 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 10
expect_no_log 'event=digit digit=1 '
expect_log 'tenant=acme call=1 event=digit digit=2 leg=0 via=info'
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=done type=hangup'
expect_no_log 'node=wrong'
stop_server
