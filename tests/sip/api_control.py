"""Call control through the API for t-api-control.sh.
usage: api_control.py PORT STEP [MARKS.json]
  basics     call 1: another tenant's admin and supervisor cannot hang it up, hold,
             monitor or transfer it (404) and it stays as it was; mute, hold, resume
             (still muted), unmute, recording pause/resume, DTMF, a disposition on the
             live call, then supervisor sue
             monitors (listen, whisper, barge) and hangs the call up; MARKS.json gets the
             time.monotonic() of each step, for the customer's RTP to be checked against
  conference call 2: alice consults bob and cancels, then brings bob into a conference;
             sue hangs up
  consult    call 3: alice consults bob and completes the transfer; sue hangs up
Each prints the call's interaction id."""
import json
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
step = sys.argv[2]
alice = api.login("acme", "alice", "alice-secret")
sue = api.login("acme", "sue", "sue-secret")
carl = api.login("beta", "carl", "carl-secret")  # agent, supervisor and admin of beta
st, doc, _ = api.call("GET", "/api/v1/openapi.json")


def call_of(pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st, calls, _ = api.call("GET", "/api/v1/calls", sue)
        for c in calls["items"]:
            if pred(c):
                return c
        time.sleep(0.1)
    raise AssertionError(f"no such call: {calls}")


def metric(name, labels):
    """A sample's value from /metrics: name{labels} exactly."""
    st, text, _ = api.call("GET", "/metrics")
    assert st == 200, st
    for line in text.splitlines():
        if line.startswith(f"{name}{{{labels}}} "):
            return float(line.split()[-1])
    raise AssertionError(f"no {name}{{{labels}}} in /metrics")


def do(token, ix, action, body=None, want=200):
    st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/{action}", token, body)
    assert st == want, (action, body, st, b)
    if st == 200:
        check_response(doc, "POST", "/api/v1/calls/{interaction}/" + action, st, b)
    return b


c = call_of(lambda c: c["state"] == "talking" and c["agent"] == "alice")
ix = c["interaction"]
# The supervisor's events of the call (topic interactions).
ws = WebSocket(api.port, sue)
ws.send({"subscribe": ["interactions"]})
assert ws.recv()["type"] == "subscribed"


def events_of(types, timeout=5):
    """The call's events of these types, in the order they came, once all have come."""
    got = []
    deadline = time.time() + timeout
    while len(got) < len(types):
        m = ws.recv(max(0.01, deadline - time.time()))
        if m["type"] in types and m["data"].get("interaction") == ix:
            check_response(doc, "GET", "/api/v1/events", 101, m)
            got.append(m)
    return got


marks = {}


def mark(name):
    marks[name] = time.monotonic()


if step == "basics":
    # Another tenant's user does not find the call, whatever it tries; it goes on as it was.
    # Nor does an agent of this tenant who is not on it (bob); monitoring is refused to
    # him by his role.
    bob = api.login("acme", "bob", "bob-secret")
    for action, body in (("hangup", None), ("hold", None), ("resume", None),
                         ("monitor", {"mode": "barge"}), ("transfer", {"user": "carl"}),
                         ("mute", None), ("unmute", None), ("recording/pause", None),
                         ("recording/resume", None), ("dtmf", {"digits": "9"}),
                         ("consult", {"user": "carl"}), ("consult/complete", None),
                         ("consult/cancel", None), ("conference", {"user": "carl"})):
        st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/{action}", carl, body)
        assert st == 404 and b["error"]["code"] == "not_found", (action, st, b)
        if body and "user" in body:
            body = {"user": "bob"}
        st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/{action}", bob, body)
        assert st == (403 if action == "monitor" else 404), ("bob", action, st, b)
    st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", carl, {"code": "x"})
    assert st in (400, 404), (st, b)
    st, b, _ = api.call("GET", "/api/v1/calls", carl)
    assert st == 200 and b["items"] == [], b
    c = call_of(lambda c: c["interaction"] == ix)
    assert c["state"] == "talking" and c["agent"] == "alice" and not c["held"] and \
        not c["muted"] and not c["third_party"] and not c["recording_paused"], c
    do(alice, ix, "unmute", want=409)
    b = do(alice, ix, "mute")
    mark("muted")
    assert b["muted"] is True and b["held"] is False, b
    do(alice, ix, "mute", want=409)
    time.sleep(0.6)  # muted, not held: the customer hears silence
    mark("hold")
    b = do(alice, ix, "hold")
    assert b["held"] is True and b["muted"] is True, b
    do(alice, ix, "hold", want=409)
    time.sleep(1.2)  # music on hold for the customer; the interaction's hold_s counts it
    b = do(alice, ix, "resume")
    mark("resumed")
    assert b["held"] is False and b["muted"] is True, b  # the mute outlasts the hold
    assert call_of(lambda c: c["interaction"] == ix)["muted"] is True
    b = do(alice, ix, "unmute")
    assert b["muted"] is False, b
    b = do(alice, ix, "recording/pause")
    assert b["recording_paused"] is True, b
    do(alice, ix, "recording/resume")
    want = ["call.muted", "call.held", "call.resumed", "call.unmuted", "recording.paused",
            "recording.resumed"]
    got = events_of(set(want))
    assert [m["type"] for m in got] == want, [m["type"] for m in got]
    assert all(m["data"]["agent"] == "alice" for m in got), got
    assert all(a["seq"] < b["seq"] for a, b in zip(got, got[1:])), got
    mark("dtmf")
    do(alice, ix, "dtmf", {"digits": "12#"})
    do(alice, ix, "dtmf", {"digits": "1x"}, want=400)
    st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", alice,
                        {"code": "sale", "notes": "live"})
    assert st == 200 and b["interaction"] == ix, (st, b)
    do(alice, ix, "monitor", {"mode": "listen"}, want=403)  # an agent does not monitor
    do(sue, ix, "monitor", {"mode": "shout"}, want=400)
    do(sue, ix, "monitor", {"mode": "listen"})
    call_of(lambda c: c["interaction"] == ix and c["third_party"] == "monitor")
    # sue's phone rings and answers (the timeline, checked by t-api-control.sh, says
    # that it answered before the whisper).
    time.sleep(1.5)
    rtp0 = metric("centrala_rtp_packets_total", 'direction="in"')
    mark("whisper")
    do(sue, ix, "monitor", {"mode": "whisper"})
    time.sleep(1.5)  # sue's phone plays its tone: alice hears it, the customer must not
    mark("barge")
    do(sue, ix, "monitor", {"mode": "barge"})
    time.sleep(1.5)  # now the customer hears sue
    mark("barge_end")
    # /metrics: the tenant's one call; sue's tone (50 packets a second) counted as RTP in.
    assert metric("centrala_calls_active", 'tenant="acme"') == 1
    rtp = metric("centrala_rtp_packets_total", 'direction="in"') - rtp0
    assert rtp >= 100, f"{rtp} RTP packets in over 3 s of sue's tone"
    do(alice, ix, "hold", want=409)  # a mixed call is not held
    do(alice, ix, "mute", want=409)  # nor muted
    do(alice, ix, "conference", {"user": "bob"}, want=409)  # one third party at a time
    time.sleep(0.5)
elif step == "conference":
    do(alice, ix, "consult", {"user": "bob", "number": "1"}, want=400)
    do(alice, ix, "consult", {"user": "nobody"}, want=400)
    do(alice, ix, "consult", {"user": "bob"})
    time.sleep(1.0)
    do(alice, ix, "consult/cancel")
    deadline = time.time() + 5
    while call_of(lambda c: c["interaction"] == ix)["third_party"] and time.time() < deadline:
        time.sleep(0.1)
    do(alice, ix, "conference", {"user": "bob"})
    time.sleep(1.0)
elif step == "consult":
    do(alice, ix, "consult/complete", want=409)
    do(alice, ix, "consult", {"user": "bob"})
    time.sleep(1.0)
    do(alice, ix, "consult/complete")
    m = events_of({"contact.transferred"})[0]
    assert m["data"]["agent"] == "alice" and m["data"]["to_agent"] == "bob", m
    assert m["data"]["queue"] == "support", m
    call_of(lambda c: c["interaction"] == ix and c["agent"] == "bob" and not c["third_party"])
st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/hangup", sue)
assert st == 200, (st, b)
if len(sys.argv) > 3:
    with open(sys.argv[3], "w") as f:
        json.dump(marks, f)
print(ix)
