#!/usr/bin/env bash
# Call control in conversation through the API, with SIPp phones: three customers call
# queue 200 one after another and talk to alice. Call 1: mute, hold and resume (the
# mute outlasting the hold), unmute, recording
# pause and resume, DTMF to the customer, then supervisor sue monitors (her phone is
# rung and joins in listen mode, then whisper, then barge). Call 2: alice consults bob
# and cancels, then brings bob into a three-way conference. Call 3: alice consults bob
# and completes the transfer. The supervisor hangs each call up through the API.
# Another tenant's user (agent, supervisor and admin there) and an agent of this tenant
# who is not on the call (bob), each trying every call action on call 1 while it is up,
# get 404 (bob 403 for monitoring) and the call goes on untouched.
# Asserts: each request's answer and the call's events (tests/sip/api_control.py); what
# call 1's customer is sent (logged by queue_rtp.py): music on hold while held, silence
# while muted, the DTMF as RFC 4733 events, nothing of the supervisor's tone during the
# whisper and her tone during the barge; every SIPp peer succeeds
# (each got its BYE), each interaction's timeline holds the steps in order, bob being
# call 3's agent, none of call 1's steps being another tenant's; the audit log holds
# every call action (who, which, the monitor's mode, never the DTMF digits) and the
# disposition set on the live call; and call 1's recording in segments is served whole, by segment and by
# range, to whom it should be, audited (tests/sip/api_recording.py).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
      - {username: bob, password: bob-secret, roles: [agent], sip: {user: bob, password: bob-pw}}
      - {username: sue, password: sue-secret, roles: [supervisor], sip: {user: sue, password: sue-pw}}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, supervisor, admin], sip: {user: carl, password: carl-pw}}
YAML
start_server
wait_log 'event=http_listening' 5

# One expansion of the phones' scenario for alice and bob (scen rewrites its file).
# alice's phone sends no audio (no echo): what call 1's customer hears is then only what
# the server plays (music on hold, DTMF) and sue's voice, a 1000 Hz tone from her phone.
phone=$(scen agent-answer.xml ring_ms=200)
make_tone "$WORK/sue.wav" 1000 3
sipp_bg alice_pid alice 90 "$phone" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" \
	-m 3
sipp_bg bob_pid bob 90 "$phone" -p "$(peer_port 12)" -mi 127.0.0.1 -mp "$(media_port 2)" \
	-rtp_echo -m 3
sipp_bg sue_pid sue 90 "$(scen agent-answer-play.xml ring_ms=200 wav="$WORK/sue.wav")" \
	-p "$(peer_port 13)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
register_agent bob bob-pw "$(peer_port 12)" "$(peer_port 22)"
register_agent sue sue-pw "$(peer_port 13)" "$(peer_port 23)"

# Call 1's customer: its SDP names the port of queue_rtp.py, which logs every packet it
# is sent (and sends nothing).
caller1=$WORK/queue-caller-logged.xml
mv "$(scen queue-caller.xml media_port="$(media_port 5)")" "$caller1"
caller=$(scen queue-caller.xml)
ids=()
caller_pid='' sink_pid=''
for step in basics conference consult; do
	if [ "$step" = basics ]; then
		timeout 60 "$PYTHON" "$SCEN/queue_rtp.py" "$(media_port 5)" 40 "$WORK/cust-rtp.json" \
			--log &
		sink_pid=$!
		_BG_PIDS+=("$sink_pid")
		sipp_bg caller_pid "caller-$step" 40 "$caller1" -p "$(peer_port 4)" \
			-mi 127.0.0.1 -mp "$(media_port 6)" -m 1 -key number 200 \
			-key domain "$ACME_DOMAIN" -key from cust
	else
		sipp_bg caller_pid "caller-$step" 40 "$caller" -p "$(peer_port 4)" \
			-mi 127.0.0.1 -mp "$(media_port 4)" -rtp_echo -m 1 -key number 200 \
			-key domain "$ACME_DOMAIN" -key from cust
	fi
	ix=$("$PYTHON" "$SCEN/api_control.py" "$API_PORT" "$step" "$WORK/marks-$step.json") ||
		fail "$step through the API failed"
	if [ "$step" = basics ]; then
		kill -TERM "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" || true
	fi
	rc=0
	wait_rc "$caller_pid" || rc=$?
	expect_sipp_ok "caller-$step" "$rc"
	wait_log "event=interaction id=$ix " 10
	ids+=("$ix")
done
for p in alice bob sue; do
	pid_var="${p}_pid"
	rc=0
	wait_rc "${!pid_var}" || rc=$?
	expect_sipp_ok "$p" "$rc"
done

"$PYTHON" - "$API_PORT" "$SCEN" "${ids[@]}" <<'PY' || fail "the timelines are not as expected"
import sys
sys.path.insert(0, sys.argv[2])
from api import Api
api = Api(int(sys.argv[1]))
sue = api.login("acme", "sue", "sue-secret")
def steps(ix):
    st, b, _ = api.call("GET", f"/api/v1/interactions/{ix}", sue)
    assert st == 200, b
    return b, [e["event"] for e in b["timeline"]]
def in_order(ev, want):
    it = iter(ev)
    assert all(w in it for w in want), (want, ev)
b, ev = steps(sys.argv[3])
in_order(ev, ["answered", "muted", "held", "unheld", "unmuted", "recording_paused", "recording_resumed",
              "dtmf_sent", "monitor", "third_party_answered", "monitor", "monitor", "ended"])
# Once held and muted, not more: another tenant's tries changed nothing.
assert ev.count("held") == 1 and ev.count("muted") == 1, ev
assert b["disposition"] == "sale" and b["notes"] == "live", b
assert "carl" not in str(b["timeline"]), b["timeline"]
from api import audit_entries
ada = api.login("acme", "ada", "ada-secret")
# Entries of one millisecond from two workers have no order among them: compared as a
# whole (the timeline above has the order).
def entries(obj, ix):
    return sorted(((a["actor"], a["action"], a.get("detail"))
                   for a in audit_entries(api, ada, obj, ix)), key=repr)
au = entries("call", sys.argv[3])
assert au == sorted([("api:alice", "mute", "fields="), ("api:alice", "hold", "fields="),
              ("api:alice", "resume", "fields="), ("api:alice", "unmute", "fields="),
              ("api:alice", "recording/pause", "fields="),
              ("api:alice", "recording/resume", "fields="), ("api:alice", "dtmf", "fields=digits"),
              ("api:sue", "monitor", "fields=mode mode=listen"),
              ("api:sue", "monitor", "fields=mode mode=whisper"),
              ("api:sue", "monitor", "fields=mode mode=barge"),
              ("api:sue", "hangup", None)], key=repr), au
assert entries("interaction", sys.argv[3]) == [("api:alice", "update", "disposition,notes")]
au = entries("call", sys.argv[5])
assert au == sorted([("api:alice", "consult", "fields=user user=bob"),
                     ("api:alice", "consult/complete", "fields="), ("api:sue", "hangup", None)],
                    key=repr), au
carl = api.login("beta", "carl", "carl-secret")
assert [a for a in audit_entries(api, carl) if a["actor"] != "provision"] == [], \
    audit_entries(api, carl)
assert ev.count("recording") >= 2, ev  # the mixer records a segment of its own
assert b["hold_s"] is not None and b["hold_s"] > 0, b
b, ev = steps(sys.argv[4])
in_order(ev, ["answered", "consult", "third_party_answered", "third_party_left",
              "conference", "third_party_answered", "ended"])
b, ev = steps(sys.argv[5])
in_order(ev, ["answered", "consult", "third_party_answered", "transferred", "ended"])
assert b["agent"] == "bob", b
PY
# What call 1's customer was sent: music on hold while held (not silence, while the mute
# before it was); the DTMF as RFC 4733 events 1, 2, # each ended; during the whisper
# nothing of sue's tone, then during the barge her tone.
"$PYTHON" - "$WORK/cust-rtp.json" "$WORK/marks-basics.json" <<'PY' || fail "the customer's RTP is not as expected"
import json, statistics, sys
log = json.load(open(sys.argv[1]))["log"]
m = json.load(open(sys.argv[2]))
def level(t0, t1, least=10):
    rms = [p[3] for p in log if p[1] == 0 and t0 <= p[0] <= t1]
    assert len(rms) >= least, f"{len(rms)} PCMU packets between {t0:.2f} and {t1:.2f}"
    return statistics.median(rms) if rms else 0
muted = level(m["muted"] + 0.2, m["hold"], 0)  # silence, or no packet at all
held = level(m["hold"] + 0.3, m["resumed"])
whisper = level(m["whisper"] + 0.4, m["barge"])
barge = level(m["barge"] + 0.4, m["barge_end"])
print(f"customer's level: muted {muted}, held {held}, whisper {whisper}, barge {barge}")
assert muted < 50, f"the customer heard something while the agent was muted: {muted}"
assert held >= 300, f"no music on hold: {held}"
assert whisper < 50, f"the customer heard the whisper: {whisper}"
assert barge >= 300, f"the customer did not hear the barging supervisor: {barge}"
# RFC 4733: event, E|R|volume, duration; one event a timestamp, its last packets with E.
events = {}
for t, pt, ts, body in log:
    if pt != 0 and t >= m["dtmf"]:
        b = bytes.fromhex(body)
        assert len(b) == 4, body
        e = events.setdefault(ts, {"event": b[0], "end": False, "pt": pt})
        assert e["event"] == b[0], (ts, e, body)
        e["end"] |= bool(b[1] & 0x80)
seq = [events[ts] for ts in sorted(events)]
assert [e["event"] for e in seq] == [1, 2, 11], seq
assert all(e["end"] for e in seq) and {e["pt"] for e in seq} == {101}, seq
print(f"DTMF to the customer: {seq}")
PY
# Call 1 was recorded in segments (the monitor's mixer records one of its own): the API
# serves the whole call, each segment, and ranges across them (api_recording.py).
"$PYTHON" "$SCEN/api_recording.py" "$API_PORT" "${ids[0]}" ||
	fail "the recording in segments is not served as expected"
stop_server
