"""Call control through the API for t-api-cti.sh. usage: api_cti.py PORT STEP
  dial      alice clicks to dial 48221234567; once bridged she hangs up through the API;
            prints the interaction id
  transfer  once alice talks to the queue's caller, she sends the caller to bob
  transfer-queue, transfer-flow, transfer-number
            the same to queue sales (bob answers), to flow to-bob (which transfers to
            bob), to 48221234567 (the carrier answers; sue then hangs up through the API);
            each prints the interaction id"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
step = sys.argv[2]
alice = api.login("acme", "alice", "alice-secret")
sup = api.login("acme", "sue", "sue-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")


def wait_talking(agent, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st, calls, _ = api.call("GET", "/api/v1/calls", sup)
        assert st == 200, calls
        for c in calls["items"]:
            if c["state"] == "talking" and c["agent"] == agent:
                return c
        time.sleep(0.1)
    raise AssertionError(f"no call of {agent} in conversation: {calls}")


def end_wrapup():
    """alice is in the queue's wrap-up (60 s) once her customer is sent on: she ends it
    through the API and is ready at once; a second end changes nothing."""
    deadline = time.time() + 10
    while True:
        st, b, _ = api.call("GET", "/api/v1/agents/me", alice)
        if b["state"] == "wrap_up":
            break
        assert time.time() < deadline, f"alice is not in wrap-up: {b}"
        time.sleep(0.1)
    st, b, _ = api.call("POST", "/api/v1/agents/me/wrapup/end", alice)
    assert st == 200 and b["state"] == "ready", (st, b)
    check_response(doc, "POST", "/api/v1/agents/me/wrapup/end", st, b)
    st, b, _ = api.call("GET", "/api/v1/agents/me", alice)
    assert b["state"] == "ready", b
    st, b, _ = api.call("POST", "/api/v1/agents/me/wrapup/end", alice)
    assert st == 200 and b["state"] == "ready", (st, b)


def metric(name, labels):
    """A sample's value from /metrics: name{labels} exactly."""
    st, text, _ = api.call("GET", "/metrics")
    assert st == 200, st
    for line in text.splitlines():
        if line.startswith(f"{name}{{{labels}}} "):
            return float(line.split()[-1])
    raise AssertionError(f"no {name}{{{labels}}} in /metrics")


if step == "dial":
    for bad in ({"number": "12a4"}, {"number": ""}, {"numbr": "1"}, {}):
        st, b, _ = api.call("POST", "/api/v1/calls", alice, bad)
        assert st == 400, (bad, st, b)
    st, b, _ = api.call("POST", "/api/v1/calls", api.login("acme", "bob", "bob-secret"),
                        {"number": "48221234567"})
    assert st == 409 and b["error"]["code"] == "unreachable", (st, b)  # bob has no phone up
    st, b, _ = api.call("POST", "/api/v1/calls", alice, {"number": "48221234567"})
    assert st == 201, (st, b)
    check_response(doc, "POST", "/api/v1/calls", st, b)
    ix = b["interaction"]
    c = wait_talking("alice")
    assert c["interaction"] == ix, (c, ix)
    st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/hangup", alice)
    assert st == 200, (st, b)
    print(ix)
elif step == "transfer":
    c = wait_talking("alice")
    ix = c["interaction"]
    for bad, code in (({"user": "nobody"}, 400), ({"user": "bob", "queue": "support"}, 400),
                      ({"number": "12x"}, 400), ({}, 400)):
        st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/transfer", alice, bad)
        assert st == code, (bad, st, b)
    st, b, _ = api.call("POST", "/api/v1/calls/NOPE/transfer", alice, {"user": "bob"})
    assert st == 404, (st, b)
    ws = WebSocket(api.port, sup)
    ws.send({"subscribe": ["interactions"]})
    assert ws.recv()["type"] == "subscribed"
    st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/transfer", alice, {"user": "bob"})
    assert st == 200, (st, b)
    check_response(doc, "POST", "/api/v1/calls/{interaction}/transfer", st, b)
    m, _ = ws.wait(lambda m: m["type"] == "contact.transferred")
    assert m["data"]["interaction"] == ix and m["data"]["agent"] == "alice", m
    assert m["data"]["to_agent"] == "bob", m
    check_response(doc, "GET", "/api/v1/events", 101, m)
    wait_talking("bob")
    end_wrapup()
    print(ix)
elif step.startswith("transfer-"):
    kind = step[len("transfer-"):]
    body = {"queue": {"queue": "sales"}, "flow": {"flow": "to-bob"},
            "number": {"number": "48221234567"}}[kind]
    c = wait_talking("alice")
    ix = c["interaction"]
    ws = WebSocket(api.port, sup)
    ws.send({"subscribe": ["interactions"]})
    assert ws.recv()["type"] == "subscribed"
    st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/transfer", alice, body)
    assert st == 200, (body, st, b)
    check_response(doc, "POST", "/api/v1/calls/{interaction}/transfer", st, b)
    m, _ = ws.wait(lambda m: m["type"] == "contact.transferred")
    want = {"queue": "sales", "flow": "to-bob", "number": "48221234567"}[kind]
    assert m["data"]["interaction"] == ix and m["data"]["agent"] == "alice", m
    assert m["data"]["to_" + kind] == want, m
    if kind == "number":
        deadline = time.time() + 20
        while True:
            st, calls, _ = api.call("GET", "/api/v1/calls", sup)
            c = [c for c in calls["items"] if c["interaction"] == ix]
            if c and c[0]["state"] == "talking":
                break
            assert time.time() < deadline, f"the carrier never answered: {calls}"
            time.sleep(0.1)
        # /metrics during the call: the tenant's one call and one socket (this one).
        time.sleep(1.0)
        assert metric("centrala_calls_active", 'tenant="acme"') == 1
        assert metric("centrala_calls_active", 'tenant="beta"') == 0
        assert metric("centrala_ws_clients", 'tenant="acme"') == 1
        assert metric("centrala_ws_clients", 'tenant="beta"') == 0
        st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/hangup", sup)
        assert st == 200, (st, b)
    else:
        wait_talking("bob")
    end_wrapup()
    print(ix)
