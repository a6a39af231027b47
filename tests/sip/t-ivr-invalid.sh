#!/usr/bin/env bash
# Invalid digits make a menu retry, then fall through to its `invalid` branch (issue 4).
# Flow `main` on number 100: a menu (prompt from the English prompt set, 5 s timeout,
# two retries, options 1 and 2) whose `invalid` branch is node `wrong`, a hang-up after
# `goodbye`. The caller presses 7, 8 and 9, a second and a half apart (each invalid
# entry plays `invalid-option` and the menu again, which the next digit interrupts), and
# waits for the BYE.
# Asserts: the three digits were each logged as invalid (retries 2 = three attempts),
# then the flow went to `wrong` and hung up; the interaction's timeline holds menu,
# invalid 7, invalid 8, invalid 9, wrong, end hangup; no_input was never taken.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

for d in 7 8 9; do
	[ -r "/usr/share/sip-tester/dtmf_2833_$d.pcap" ] || skip "SIPp's DTMF captures not found (package sip-tester)"
done
"$PYTHON" "$SCEN/ivr_dtmf.py" "$WORK/digits.pcap" 789 1500

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    queues:
      - {id: sales, strategy: longest-idle}
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: menu
        nodes:
          menu:
            type: menu
            prompt: please-hold
            timeout: 5s
            retries: 2
            options: {"1": sales, "2": support}
            invalid: wrong
            no_input: nobody
          sales: {type: queue, queue: sales}
          support: {type: queue, queue: support}
          wrong: {type: hangup, prompt: goodbye}
          nobody: {type: hangup}
YAML
start_server

rc=0
sipp_run caller 30 "$(scen ivr-caller-bye.xml pcap="$WORK/digits.pcap" before_ms=500)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1 \
	-key number 100 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 5
for d in 7 8 9; do
	expect_log "tenant=acme call=1 event=ivr_invalid flow=main node=menu detail=\"$d\""
done
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=wrong type=hangup'
expect_no_log 'event=ivr_(timeout|node flow=main node=nobody)'
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
tl = [e for e in ix[0]["timeline"] if e["event"] == "ivr"]
path = [(e["kind"], e["node"], e["detail"]) for e in tl]
assert path == [("node", "menu", "menu"), ("invalid", "menu", "7"), ("invalid", "menu", "8"),
                ("invalid", "menu", "9"), ("node", "wrong", "hangup"),
                ("end", "wrong", "hangup")], path
assert ix[0]["queue"] is None, ix[0]
'
