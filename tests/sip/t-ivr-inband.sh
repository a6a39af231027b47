#!/usr/bin/env bash
# A caller whose phone sends DTMF as tones in the audio (its SDP offers PCMU without
# telephone-event) still works a menu: when the flow waits for digits, the engine turns
# on in-band detection for the caller's leg. Flow `main` on number 100: a menu (options
# 2 → node `two`, a hang-up). The caller (SIPp) streams 1.5 s of silence, the DTMF tone
# pair of 2 (697 + 1336 Hz, 250 ms), then silence, and waits for the BYE.
# Asserts: the digit was heard (event=digit digit=2 via rtp) and the flow took option 2;
# the interaction's timeline holds menu, digit 2, two, end hangup.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

sox -q -n -r 8000 -c 2 "$WORK/pair.wav" synth 0.25 sine 697 sine 1336
sox -q "$WORK/pair.wav" -r 8000 -c 1 -e u-law "$WORK/digit-2.wav" remix - vol 0.5
sox -q -n -r 8000 -c 1 -e u-law "$WORK/silence.wav" trim 0 1.5
sox -q "$WORK/silence.wav" "$WORK/digit-2.wav" "$WORK/silence.wav" "$WORK/silence.wav" \
	-e u-law "$WORK/caller.wav"

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
        start: menu
        nodes:
          menu:
            type: menu
            prompt: please-hold
            timeout: 5s
            retries: 0
            options: {"2": two}
            invalid: wrong
            no_input: nobody
          two: {type: hangup}
          wrong: {type: hangup}
          nobody: {type: hangup}
YAML
start_server

rc=0
sipp_run caller 30 "$(scen ivr-caller-inband.xml wav="$WORK/caller.wav")" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1 -key number 100 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 5
expect_log 'tenant=acme call=1 event=digit digit=2 (.* )?via=rtp'
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=two type=hangup'
stop_server

export_interactions
check_interactions '
tl = [(e["kind"], e["node"], e["detail"]) for e in ix[0]["timeline"] if e["event"] == "ivr"]
assert tl == [("node", "menu", "menu"), ("digit", "menu", "2"), ("node", "two", "hangup"),
              ("end", "two", "hangup")], tl
'
