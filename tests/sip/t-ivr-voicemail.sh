#!/usr/bin/env bash
# Voicemail from an IVR flow, stored as an interaction routed to a queue (issue 4,
# `voicemail` node), with a contact look-up and a TTS text rendered on request on the
# way. Flow `main` (number 100): `who` looks the caller up in the CRM (SIPp's caller
# "customer" is no phone number: not found), `greet` says a TTS text holding {caller}
# (rendered when asked, not at start-up), `vm` plays the beep and records up to 3 s
# for queue `support`, `bye` says thank-you and hangs up. Flow `quick` (number 101) goes
# straight to a 10 s voicemail. Three callers:
#   1. 100, streams a 440 Hz tone until the flow hangs up (the 3 s limit ends the message);
#   2. 101, presses # after about 1.5 s (ends the message; the flow goes on to `bye`);
#   3. 101, hangs up after about 2 s without pressing anything that ends it.
# Asserts: every message is an interaction with disposition voicemail, queue support and
# a recording (a WAV of the right length; the first one holds the caller's 440 Hz on its
# left channel); the paths hold lookup not_found, the voicemail node and how it ended
# (bye/hangup or caller_hangup); the greeting was rendered into the TTS cache.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

for d in pound 5; do
	[ -r "/usr/share/sip-tester/dtmf_2833_$d.pcap" ] || skip "SIPp's DTMF captures not found (package sip-tester)"
done
"$PYTHON" "$SCEN/ivr_dtmf.py" "$WORK/pound.pcap" '#'
"$PYTHON" "$SCEN/ivr_dtmf.py" "$WORK/five.pcap" 5
make_tone "$WORK/caller-440.wav" 440 10

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "100", flow: main}
      - {number: "101", flow: quick}
    flows:
      main:
        start: who
        nodes:
          who: {type: lookup, timeout: 2s, found: greet, not_found: greet}
          greet: {type: play, tts: "Hello {caller}. Leave a message.", lang: en, next: vm}
          vm: {type: voicemail, beep: true, max: 3s, queue: support, next: bye}
          bye: {type: hangup, prompt: thank-you}
      quick:
        start: vm
        nodes:
          vm: {type: voicemail, beep: true, max: 10s, queue: support, next: bye}
          bye: {type: hangup, prompt: thank-you}
YAML
start_server
wait_log 'event=flows_loaded flows=2 tts_rendered=0 ' 10

rc=0
sipp_run caller-1 30 "$(scen ivr-caller-talk.xml wav="$WORK/caller-440.wav")" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1 -key number 100 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller-1 "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 5
rc=0
sipp_run caller-2 30 "$(scen ivr-caller-bye.xml pcap="$WORK/pound.pcap" before_ms=1500)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 \
	-key number 101 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller-2 "$rc"
wait_log 'tenant=acme call=2 event=interaction ' 5
rc=0
sipp_run caller-3 30 "$(scen ivr-caller.xml pcap="$WORK/five.pcap" before_ms=500 after_ms=1500)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 1 \
	-key number 101 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller-3 "$rc"
wait_log 'tenant=acme call=3 event=interaction ' 5
for n in 1 2 3; do
	expect_log "tenant=acme call=$n event=voicemail queue=support duration_ms="
done
expect_log 'tenant=acme call=1 event=ivr_lookup flow=main node=who detail="not_found"'
expect_no_log 'event=ivr_(error|play_failed)'
[ "$(find "$WORK/tts" -name '*.wav' | wc -l)" -ge 1 ] || fail "the greeting was not rendered into the TTS cache"
stop_server

export_interactions
check_interactions '
import subprocess
assert len(ix) == 3, f"{len(ix)} interactions"
ix.sort(key=lambda i: i["created"])
ends = [("end", "bye", "hangup"), ("end", "bye", "hangup"), ("end", "vm", "caller_hangup")]
hangup_by = ["system", "system", "caller"]
lengths = [(2.5, 4.0), (0.8, 3.0), (1.0, 3.0)]
for k, i in enumerate(ix):
    assert i["disposition"] == "voicemail" and i["queue"] == "support", i
    assert i["recording"], i
    assert i["hangup_by"] == hangup_by[k], (k, i["hangup_by"])
    tl = [(e["kind"], e["node"], e["detail"]) for e in i["timeline"] if e["event"] == "ivr"]
    assert ("node", "vm", "voicemail") in tl and tl[-1] == ends[k], (k, tl)
    secs = float(subprocess.check_output(["soxi", "-D", i["recording"]]))
    lo, hi = lengths[k]
    assert lo <= secs <= hi, (k, secs)
tl = [(e["kind"], e["node"], e["detail"]) for e in ix[0]["timeline"] if e["event"] == "ivr"]
assert tl[:4] == [("node", "who", "lookup"), ("lookup", "who", "not_found"), ("node", "greet", "play"),
                  ("node", "vm", "voicemail")], tl
'
rec=$(first_recording)
tone_check "$rec" 0 440 1000 || fail "the first message (left channel) does not hold the caller's 440 Hz"
