#!/usr/bin/env bash
# A queue's `overflow: {message: TEXT}` speaks the text, then hangs up (issue 3: "a
# message and hang-up"). Queue `support` has no agent and max_wait 1 s; its message is a
# Polish sentence, rendered by text-to-speech when the server starts (tenant language
# pl). The caller waits on hold and gets the server's BYE.
# Asserts: the overflow line names the message target; the message was rendered into
# the TTS cache at start (before any call) with speech of plausible length; the BYE
# comes after the wait plus most of the message; the interaction is not an abandon and
# its timeline has queued then overflowed.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: pl
    queues:
      - {id: support, strategy: longest-idle, max_wait: 1s,
         overflow: {message: "Wszyscy konsultanci są zajęci. Prosimy zadzwonić później."}}
    numbers:
      - {number: "200", queue: support}
YAML
start_server
# The message is in the cache before the first call: one WAV of 2 to 8 s of speech.
msg=$(find "$WORK/tts" -name '*.wav' -newer "$CONFIG" | head -n 1)
[ -n "$msg" ] || fail "no rendered message in $WORK/tts"
dur=$(soxi -D "$msg")
"$PYTHON" -c "import sys; d = float(sys.argv[1]); sys.exit(0 if 2.0 <= d <= 8.0 else 1)" "$dur" ||
	fail "the message lasts $dur s"

t0=$(date +%s%N)
rc=0
sipp_run caller 30 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 0)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" \
	-key from cust || rc=$?
expect_sipp_ok caller "$rc"
ms=$((($(date +%s%N) - t0) / 1000000))
want=$("$PYTHON" -c "import sys; print(int(1000 + 800 * float(sys.argv[1])))" "$dur")
[ "$ms" -ge "$want" ] || fail "BYE after $ms ms; the wait and the message need $want ms"
wait_log 'tenant=acme call=1 event=interaction ' 5
expect_log 'tenant=acme call=1 event=overflowed queue=support reason=max_wait target=message'
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
i = ix[0]
ev = [e["event"] for e in i["timeline"]]
assert ev.index("queued") < ev.index("overflowed"), ev
assert not i["abandoned"] and i["hangup_by"] == "system", i
'
