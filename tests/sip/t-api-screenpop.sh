#!/usr/bin/env bash
# The screen pop and the call's record through the API, with a real call: a SIPp
# customer calls number 100, whose flow sets two variables, plays a second of tone and
# queues the call; SIPp phone alice answers. A WebSocket client logged in as alice gets
# contact.offered with the caller's number, the CRM contact the server created for it
# and the flow's variables, published before alice's phone gets the INVITE; then contact.answered
# and contact.ended; the disposition is set through the API during wrap-up (on the live
# call) and again after it (on the stored record), and the interaction is found by its
# contact, number, queue, agent and disposition, never by another tenant. The same
# customer calls again: the contact in its screen pop holds the first call's record.
# Asserts: what api_screenpop.py asserts; the event's time (the server's clock when it
# published it) is before the INVITE reached the phone (SIPp's message log timestamps);
# how long after the INVITE the client had it is printed; SIPp calls succeed.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

make_tone "$WORK/hello.wav" 600 1
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    dispositions: [sale, no_sale]
    users:
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}, auto_ready: true}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 3s}
    numbers:
      - {number: "100", flow: main}
    flows:
      main:
        start: tag
        nodes:
          tag: {type: set, vars: {segment: gold, account: "A-{caller}"}, next: hello}
          hello: {type: play, prompt: {file: "$WORK/hello.wav"}, next: q}
          q: {type: queue, queue: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, admin]}
YAML
start_server
wait_log 'event=http_listening' 5
make_tone "$WORK/agent.wav" 1000 10

"$PYTHON" "$SCEN/api_screenpop.py" "$API_PORT" "$WORK/pop.json" >"$WORK/pop.log" 2>&1 &
pop=$!
_BG_PIDS+=("$pop")
for _ in $(seq 100); do
	[ -e "$WORK/pop.json.ready" ] && break
	kill -0 "$pop" 2>/dev/null || break
	sleep 0.1
done
[ -e "$WORK/pop.json.ready" ] || fail "the API client did not start: $(tail -n 20 "$WORK/pop.log")"

sipp_bg apid agent-alice 40 \
	"$(scen queue-agent.xml ring_ms=500 talk_ms=1000 wav="$WORK/agent.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=alice from=logged_out to=ready' 5
rc=0
sipp_run caller 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 100 -key domain "$ACME_DOMAIN" \
	-key from 22123456 || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice "$rc"
rc=0
wait_rc "$pop" || rc=$?
cat "$WORK/pop.log" >&2
[ "$rc" -eq 0 ] || fail "api_screenpop.py failed"

# The INVITE's arrival at the phone, from SIPp's message log: "---- YYYY-MM-DD HH:MM:SS.us"
# (local time), "UDP message received [N] bytes :", a blank line, the message.
"$PYTHON" - "$WORK/agent-alice.msg" "$WORK/pop.json" <<'PY' || fail "the screen pop came after the INVITE"
import datetime, json, re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
invite = None
for i, l in enumerate(lines):
    m = re.search(r"(\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)", l)
    if m and i + 3 < len(lines) and "received" in lines[i + 1] and lines[i + 3].startswith("INVITE"):
        t = datetime.datetime.strptime(m.group(1) + " " + m.group(2), "%Y-%m-%d %H:%M:%S.%f")
        invite = t.timestamp()
        break
assert invite, "no INVITE in the phone's log"
pop = json.load(open(sys.argv[2]))
published = datetime.datetime.strptime(pop["event_time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
    tzinfo=datetime.timezone.utc).timestamp()
print(f"screen pop published {(invite - published) * 1000:.1f} ms before the INVITE arrived, "
      f"in the client {(pop['offered_at'] - invite) * 1000:+.1f} ms from it", file=sys.stderr)
assert published <= invite, (published, invite)
PY

# The same customer calls again: the screen pop now carries the first call in the
# contact's history, with the disposition set through the API.
"$PYTHON" - "$API_PORT" "$SCEN" "$WORK/pop.json" >"$WORK/pop2.log" 2>&1 <<'PY' &
import json, sys
sys.path.insert(0, sys.argv[2])
from api import Api, WebSocket
api = Api(int(sys.argv[1]))
first = json.load(open(sys.argv[3]))
ws = WebSocket(api.port, api.login("acme", "alice", "alice-secret"))
ws.send({"subscribe": ["agent.me"]})
assert ws.recv()["type"] == "subscribed"
open(sys.argv[3] + ".ready2", "w").close()
offer, _ = ws.wait(lambda m: m.get("type") == "contact.offered", timeout=30)
c = offer["data"]["contact"]
assert c["id"] == first["contact"], (c, first)
h = c["history"]
assert h and h[0]["id"] == first["interaction"], h
assert h[0]["disposition"] == "no_sale" and h[0]["answered"] is True, h
assert h[0]["queue"] == "support" and h[0]["agent"] == "alice", h
print("history in the screen pop: ok")
PY
pop2=$!
_BG_PIDS+=("$pop2")
for _ in $(seq 100); do
	[ -e "$WORK/pop.json.ready2" ] && break
	sleep 0.1
done
sipp_bg apid agent-alice2 40 \
	"$(scen queue-agent.xml ring_ms=200 talk_ms=500 wav="$WORK/agent.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
rc=0
sipp_run caller2 40 "$(scen queue-caller.xml)" -p "$(peer_port 3)" -mi 127.0.0.1 \
	-mp "$(media_port 2)" -rtp_echo -m 1 -key number 100 -key domain "$ACME_DOMAIN" \
	-key from 22123456 || rc=$?
expect_sipp_ok caller2 "$rc"
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-alice2 "$rc"
rc=0
wait_rc "$pop2" || rc=$?
cat "$WORK/pop2.log" >&2
[ "$rc" -eq 0 ] || fail "the second screen pop had no history"
stop_server
