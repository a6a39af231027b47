#!/usr/bin/env bash
# Feature codes dialled from an agent's registered phone (issue 3: "feature codes
# dialled from a registered phone log in, go ready / not ready (with a reason digit),
# and log out, answered by a short prompt").
# alice is a phone-only agent of queue support (wrap_up 20s); her phone (a SIPp that
# answers one offer, plays 1000 Hz for 2 s and hangs up) registers and she is ready.
# From another SIPp she dials, each time authenticating as alice (407, then digest):
#   *22   not ready: a caller who then dials 200 waits 3 s and is not offered to her;
#   *21   ready: the waiting caller is offered to her at once, she answers, hangs up,
#         and starts her 20 s wrap-up;
#   *24   ends the wrap-up early;
#   *222  not ready with reason 2 (reason_codes[1]: lunch);
#   *23   log out;
#   *21   logs in again (ready); then her phone unregisters: logged out.
# Each feature call is answered 200, plays a prompt (RTP reaches the phone) and is hung
# up by centrala (BYE). Asserts the agent_state lines with cause=request, the offer
# only after *21, and the caller's interaction.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    reason_codes: [break, lunch, training]
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 10s, wrap_up: 20s}
    numbers:
      - {number: "200", queue: support}
YAML
start_server
make_tone "$WORK/agent-1000.wav" 1000 10

sipp_bg phone_pid agent-alice 80 \
	"$(scen queue-agent.xml ring_ms=300 talk_ms=2000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready cause=request' 5

# feature CODE: alice dials CODE from peer port 5; the prompt's RTP is counted on
# media port 5 and must be there; centrala must hang up (the scenario waits for BYE).
nfeature=0
feature() {
	local code=$1 rc=0 sink p
	nfeature=$((nfeature + 1))
	timeout 60 "$PYTHON" "$SCEN/queue_rtp.py" "$(media_port 5)" 30 "$WORK/rtp-fc$nfeature.json" &
	sink=$!
	_BG_PIDS+=("$sink")
	sipp_run "fc$nfeature" 20 "$(scen queue-feature.xml rtp_port="$(media_port 5)")" \
		-p "$(peer_port 5)" -m 1 -au alice -ap alice-pw -auth_uri "$code@$ACME_DOMAIN" -key number "$code" \
		-key domain "$ACME_DOMAIN" -key from_user alice || rc=$?
	kill -TERM "$sink" 2>/dev/null || true
	wait_rc "$sink" || true
	expect_sipp_ok "fc$nfeature" "$rc"
	grep -q '^BYE ' "$WORK/fc$nfeature.msg" || fail "$code: centrala did not hang up"
	p=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["packets"])' \
		"$WORK/rtp-fc$nfeature.json")
	note "$code: answered, prompt of $p RTP packets, BYE"
	[ "$p" -ge 5 ] || fail "$code: the phone got $p RTP packets: no prompt"
}

# A broken rule that does not stop the rest of the sequence: reported at the end.
MISMATCHES=()
later_fail() {
	note "MISMATCH: $*"
	MISMATCHES+=("$*")
}

feature '*22'
wait_log 'event=agent_state agent=alice from=ready to=not_ready cause=request' 5

rc=0
sipp_bg caller_pid caller 60 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 0)" -rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" \
	-key from waiting
wait_log 'event=queued queue=support' 5
sleep 3
expect_no_log 'event=offered'
grep -q 'offer from=' "$WORK/agent-alice.log" 2>/dev/null &&
	fail "alice's phone was offered a call while she was not ready"

feature '*21'
wait_log 'event=offered queue=support agent=alice' 5
# The state line of *21 says the agent asked for it, even when the waiting caller is
# offered at once (not_ready -> reserved in one change).
grep -qE 'event=agent_state agent=alice from=not_ready to=(ready|reserved) cause=request' \
	"$SERVER_LOG" || later_fail "*21 logged no agent_state from=not_ready with cause=request:" \
	"$(grep -E 'event=agent_state agent=alice from=not_ready' "$SERVER_LOG" | tail -n 1)"
rc=0
wait_rc "$caller_pid" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$phone_pid" || rc=$?
expect_sipp_ok agent-alice "$rc"
grep -q 'offer from=waiting1' "$WORK/agent-alice.log" ||
	fail "alice's phone did not get the waiting caller's number as From"
wait_log 'event=agent_state agent=alice .*to=wrap_up' 5

feature '*24'
wait_log 'event=agent_state agent=alice from=wrap_up to=ready cause=(wrap_up_skip|request)' 5
t=$("$PYTHON" "$SCEN/queue_log.py" gap "$SERVER_LOG" 'agent=alice .*to=wrap_up' \
	'agent=alice from=wrap_up to=ready') || fail "no end of wrap-up"
[ "$t" -lt 15000 ] || fail "*24 did not end the 20 s wrap-up early (it lasted $t ms)"

feature '*222'
wait_log 'event=agent_state agent=alice from=ready to=not_ready cause=request.*lunch' 5

feature '*23'
wait_log 'event=agent_state agent=alice from=not_ready to=logged_out cause=request' 5

feature '*21'
"$PYTHON" "$SCEN/queue_log.py" order "$SERVER_LOG" \
	'agent=alice from=not_ready to=logged_out cause=request' \
	'agent=alice from=logged_out to=ready cause=request' ||
	fail "*21 after *23 did not log alice in"

rc=0
sipp_run unregister 15 "$(scen queue-unregister.xml)" -p "$(peer_port 21)" -m 1 -au alice \
	-ap alice-pw -auth_uri "$ACME_DOMAIN" -key user alice -key domain "$ACME_DOMAIN" -key contact_port "$(peer_port 11)" ||
	rc=$?
expect_sipp_ok unregister "$rc"
wait_log 'event=agent_state agent=alice from=ready to=logged_out' 5

"$PYTHON" "$SCEN/queue_log.py" order "$SERVER_LOG" \
	'agent=alice from=logged_out to=ready cause=request' \
	'agent=alice from=ready to=not_ready cause=request' \
	'event=queued queue=support' \
	'agent=alice from=not_ready to=(ready|reserved)' \
	'event=offered queue=support agent=alice' \
	'event=answered .*agent=alice' \
	'agent=alice .*to=wrap_up' \
	'agent=alice from=wrap_up to=ready' \
	'agent=alice from=ready to=not_ready cause=request.*lunch' \
	'agent=alice from=not_ready to=logged_out cause=request' \
	'agent=alice from=logged_out to=ready cause=request' \
	'agent=alice from=ready to=logged_out' ||
	fail "alice's states did not follow the feature codes"
wait_log 'event=interaction .*from=waiting1 ' 5
stop_server

export_interactions
check_interactions '
q = [i for i in ix if i["number"] == "200"]
assert len(q) == 1, "%d interactions for 200" % len(q)
i = q[0]
assert i["from"] == "waiting1" and i["queue"] == "support" and i["agent"] == "alice", i
assert i["answered"] and not i["abandoned"], i
assert i["wait_s"] >= 3.0, "wait_s %s: the caller waited 3 s while alice was not ready" % i["wait_s"]
ev = [(e["event"], e.get("agent")) for e in i["timeline"]]
assert ("offered", "alice") in ev and ("answered", "alice") in ev, ev
assert ev.index(("queued", None)) < ev.index(("offered", "alice")) < ev.index(("answered", "alice")), ev
'
[ ${#MISMATCHES[@]} -eq 0 ] || fail "$(printf '%s; ' "${MISMATCHES[@]}")"
