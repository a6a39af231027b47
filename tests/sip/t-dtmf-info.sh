#!/usr/bin/env bash
# SIP INFO digits (issue 2: "SIP INFO DTMF accepted. Each digit becomes an engine
# event"). A phone without telephone-event calls a flow of two menus and sends "1" as
# application/dtmf-relay, then "2" as application/dtmf; the flow follows them to node
# `done`.
# Asserts: two digit events via=info on the caller's leg, the path menu1 → menu2 → done
# in the log and on the interaction's timeline.
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
          menu1: {type: menu, prompt: please-hold, timeout: 5s, options: {"1": menu2}}
          menu2: {type: menu, prompt: please-hold, timeout: 5s, options: {"2": done}}
          done: {type: hangup, prompt: thank-you}
YAML
start_server

rc=0
sipp_run caller 30 "$(scen caller-info.xml digit=1 digit2=2)" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1 -key number 100 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 10
expect_log 'tenant=acme call=1 event=digit digit=1 leg=0 via=info'
expect_log 'tenant=acme call=1 event=digit digit=2 leg=0 via=info'
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=done type=hangup'
stop_server

export_interactions
check_interactions '
i = ix[0]
nodes = [e["node"] for e in i["timeline"] if e["event"] == "ivr" and e["kind"] == "node"]
assert nodes[:3] == ["menu1", "menu2", "done"], nodes
digits = [e["detail"] for e in i["timeline"] if e["event"] == "ivr" and e["kind"] == "digit"]
assert digits == ["1", "2"], digits
'
