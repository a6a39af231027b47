#!/usr/bin/env bash
# A caller who presses nothing reaches the menu's `no_input` branch (issue 4). Flow
# `main` on number 100: a menu (prompt from the English prompt set, 1 s timeout, one
# retry, no_input_prompt `no-input`) whose options lead to a queue, whose `invalid`
# branch leads elsewhere and whose `no_input` branch is node `nobody`, a hang-up after
# `goodbye`. The caller (SIPp) sends no digit and waits for the BYE.
# Asserts: the server hangs up after both attempts timed out (the call lasts at least
# the two timeouts plus the prompts); the log and the interaction's timeline hold the
# path menu, timeout, timeout, nobody, end hangup, in time order; nothing was queued.
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
    queues:
      - {id: sales, strategy: longest-idle}
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: menu
        nodes:
          menu:
            type: menu
            prompt: please-hold
            timeout: 1s
            retries: 1
            options: {"1": sales}
            invalid: wrong
            no_input: nobody
            no_input_prompt: no-input
          sales: {type: queue, queue: sales}
          wrong: {type: hangup, prompt: invalid-option}
          nobody: {type: hangup, prompt: goodbye}
YAML
start_server

t0=$(date +%s%N)
rc=0
sipp_run caller 30 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 1)" -m 1 -key number 100 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
secs=$((($(date +%s%N) - t0) / 1000000))
[ "$secs" -ge 2000 ] || fail "the flow hung up after ${secs} ms, before two 1 s timeouts"
wait_log 'tenant=acme call=1 event=interaction ' 5
n=$(grep -c 'tenant=acme call=1 event=ivr_timeout flow=main node=menu' "$SERVER_LOG" || true)
[ "$n" -eq 2 ] || fail "want 2 timeouts in the log, got $n"
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=nobody type=hangup'
expect_no_log 'event=ivr_node flow=main node=(wrong|sales)'
expect_no_log 'event=queued'
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, f"{len(ix)} interactions"
i = ix[0]
tl = [e for e in i["timeline"] if e["event"] == "ivr"]
path = [(e["kind"], e["node"], e["detail"]) for e in tl]
assert path == [("node", "menu", "menu"), ("timeout", "menu", "no input"),
                ("timeout", "menu", "no input"), ("node", "nobody", "hangup"),
                ("end", "nobody", "hangup")], path
ts = [e["ts"] for e in tl]
assert ts == sorted(ts), ts
assert i["queue"] is None and i["hangup_by"] == "system", i
'
