#!/usr/bin/env bash
# An IVR menu routes by digit (issue 4, "DTMF 1 and 2 reach different queues"). Number
# 100 runs flow `main`: a TTS welcome (rendered when the server starts), then a menu
# whose options send 1 to queue `sales` and 2 to queue `support`. Each queue has one
# phone-only agent (auto_ready): sam for sales, sue for support, each a SIPp that rings,
# answers and waits for the BYE. Caller one presses 1 (RFC 4733), caller two presses 2;
# each stays 3 s after the digit and hangs up.
# Asserts: the flow's static TTS was rendered at start-up; sam's phone got exactly the
# first call and sue's the second; the server logged the path (ivr_node menu, the digit,
# the queue node); the two stored interactions have queue sales/agent sam and queue
# support/agent sue, and their timelines hold the IVR path in order (nodes welcome, menu,
# the digit, the queue node, end queue:ID) before the `queued` event.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

for d in 1 2; do
	[ -r "/usr/share/sip-tester/dtmf_2833_$d.pcap" ] || skip "SIPp's DTMF captures not found (package sip-tester)"
done
"$PYTHON" "$SCEN/ivr_dtmf.py" "$WORK/digit-1.pcap" 1
"$PYTHON" "$SCEN/ivr_dtmf.py" "$WORK/digit-2.pcap" 2

write_config <<YAML
prompts: "$TOP/prompts"
tts: {cache: "$WORK/tts"}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: en
    users:
      - {username: sam, sip: {user: sam, password: sam-pw}, queues: {sales: 0}, auto_ready: true}
      - {username: sue, sip: {user: sue, password: sue-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: sales, strategy: longest-idle, ring_timeout: 10s}
      - {id: support, strategy: longest-idle, ring_timeout: 10s}
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: welcome
        nodes:
          welcome: {type: play, tts: "Welcome to ACME.", lang: en, next: menu}
          menu:
            type: menu
            prompt: {tts: "For sales, press one. For support, press two.", lang: en}
            timeout: 5s
            retries: 1
            options: {"1": sales, "2": support}
            invalid: support
            no_input: support
          sales: {type: queue, queue: sales}
          support: {type: queue, queue: support, prompt: please-hold}
YAML
start_server
# Flows go live once the API's objects are loaded, just after SIP listens.
wait_log 'event=flows_loaded flows=1 tts_rendered=2 ' 10
[ "$(find "$WORK/tts" -name '*.wav' | wc -l)" -ge 2 ] || fail "the static TTS texts are not in the cache"

k=0
pid=
declare -A agent_pid
for a in sam sue; do
	k=$((k + 1))
	sipp_bg pid "agent-$a" 40 "$(scen agent-answer.xml ring_ms=300)" -p "$(peer_port $((10 + k)))" \
		-mi 127.0.0.1 -mp "$(media_port "$k")" -rtp_echo -m 1
	agent_pid[$a]=$pid
	register_agent "$a" "$a-pw" "$(peer_port $((10 + k)))" "$(peer_port $((20 + k)))"
done

call() { # call NAME DIGIT: one caller presses DIGIT once the welcome has played
	local rc=0
	sipp_run "$1" 30 "$(scen ivr-caller.xml pcap="$WORK/digit-$2.pcap" before_ms=1500 after_ms=3000)" \
		-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 5)" -m 1 \
		-key number 100 -key domain "$ACME_DOMAIN" || rc=$?
	expect_sipp_ok "$1" "$rc"
}

call caller-1 1
wait_log 'tenant=acme call=1 event=ivr_digit flow=main node=menu detail="1"' 5
wait_log 'tenant=acme call=1 event=interaction ' 10
call caller-2 2
wait_log 'tenant=acme call=2 event=ivr_digit flow=main node=menu detail="2"' 5
wait_log 'tenant=acme call=2 event=interaction ' 10
for a in sam sue; do
	rc=0
	wait_rc "${agent_pid[$a]}" || rc=$?
	expect_sipp_ok "agent-$a" "$rc"
	n=$(grep -c '^INVITE ' "$WORK/agent-$a.msg" || true)
	[ "$n" -eq 1 ] || fail "$a's phone got $n INVITEs, want 1"
done
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=menu type=menu'
expect_log 'tenant=acme call=1 event=ivr_node flow=main node=sales type=queue'
expect_log 'tenant=acme call=2 event=ivr_node flow=main node=support type=queue'
expect_no_log 'event=ivr_error'
stop_server

export_interactions
check_interactions '
assert len(ix) == 2, f"{len(ix)} interactions"
by_queue = {i["queue"]: i for i in ix}
assert set(by_queue) == {"sales", "support"}, by_queue.keys()
assert by_queue["sales"]["agent"] == "sam", by_queue["sales"]
assert by_queue["support"]["agent"] == "sue", by_queue["support"]
for q, digit in (("sales", "1"), ("support", "2")):
    tl = by_queue[q]["timeline"]
    ivr = [(e["kind"], e["node"], e["detail"]) for e in tl if e["event"] == "ivr"]
    want = [("node", "welcome", "play"), ("node", "menu", "menu"), ("digit", "menu", digit),
            ("node", q, "queue"), ("end", q, "queue:" + q)]
    assert ivr == want, (q, ivr)
    assert all(e["flow"] == "main" and e["ts"].endswith("Z") for e in tl if e["event"] == "ivr"), tl
    names = [e["event"] for e in tl]
    last_ivr = max(k for k, e in enumerate(tl) if e["event"] == "ivr")
    assert "queued" in names and names.index("queued") > last_ivr, names
    assert by_queue[q]["answered"], by_queue[q]
'
