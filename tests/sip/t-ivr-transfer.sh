#!/usr/bin/env bash
# A flow's `transfer` node with a `failed` branch waits for the outcome (issue 4). Flow
# `main` on number 100 transfers to user alice; `failed` leads to node `sorry`, which
# says goodbye and hangs up. Alice's phone (SIPp) first declines with 486: the flow takes
# `sorry` and the caller hears the goodbye and gets a BYE from the server. Then alice's
# phone answers: the caller is bridged to her, the flow ends with `end transfer:...`, and
# alice hangs up.
# Asserts: the log and the interactions' timelines (declined: node sorry, no answer;
# answered: bridged to alice, no sorry), and both callers' SIPp outcomes.
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
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: xfer
        nodes:
          xfer: {type: transfer, user: alice, failed: sorry}
          sorry: {type: hangup, prompt: goodbye}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

# 1. Alice declines: the flow goes on at `sorry`.
sipp_bg apid agent-reject 30 "$(scen queue-agent-reject.xml ring_ms=300 status=486 reason='Busy Here')" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
rc=0
sipp_run caller1 30 "$SCEN/caller-wait-bye.xml" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -m 1 -key number 100 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller1 "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-reject "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 5
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=sorry type=hangup'
expect_no_log 'tenant=acme call=1 event=bridged'

# 2. Alice answers: the caller is bridged to her and the flow is over.
sipp_bg apid agent-answer 30 \
	"$(scen queue-agent.xml ring_ms=300 talk_ms=2000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
rc=0
sipp_run caller2 30 "$(scen queue-caller.xml)" -p "$(peer_port 4)" -mi 127.0.0.1 \
	-mp "$(media_port 3)" -rtp_echo -m 1 -key number 100 -key domain "$ACME_DOMAIN" \
	-key from cust || rc=$?
expect_sipp_ok caller2 "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-answer "$rc"
wait_log 'tenant=acme call=2 event=interaction ' 5
expect_log 'tenant=acme call=2 event=bridged agent=alice'
expect_no_log 'tenant=acme call=2 event=ivr_node flow=main node=sorry'
stop_server

export_interactions
check_interactions '
assert len(ix) == 2, f"{len(ix)} interactions"
first, second = sorted(ix, key=lambda i: i["created"])
def path(i):
    return [(e["kind"], e["node"]) for e in i["timeline"] if e["event"] == "ivr"]
p1 = path(first)
assert ("node", "sorry") in p1 and p1[-1] == ("end", "sorry"), p1
assert first["answered"] is None, first
p2 = path(second)
assert ("node", "sorry") not in p2 and p2[-1][0] == "end", p2
ends = [e["detail"] for e in second["timeline"] if e["event"] == "ivr" and e["kind"] == "end"]
assert ends and ends[-1].startswith("transfer:"), ends
assert second["agent"] == "alice" and second["answered"], second
'
