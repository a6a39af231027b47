"""Callback dispositions, dispositions after the wrap-up and callbacks of closed leads
(t-campaign-dispose). Campaign `d` calls each lead once (max_attempts 1: an answered
lead without a disposition is closed when its call ends). alice takes the offers:
- lead 1 (UTC): during the call, the refusals of a bad `callback`, then `later` with a
  callback to herself at a local time 8 s ahead: called back, put through to her;
- lead 2 (UTC+3): no disposition; once her wrap-up is over and she is ready, `later`
  with a callback for the campaign tomorrow at 10:00 in the lead's zone: the closed lead
  is read back from the store and opened again;
- lead 3: once ready again, `quit` (opt-out): the number goes on the tenant's list;
- lead 4: no disposition; once ready, a callback through POST /campaigns/d/callbacks 3 s
  ahead to herself: the closed lead is read back and called again, put through to her.
Writes the expected instant of lead 2's callback (epoch ms) to OUT.at, touches
OUT.ready once subscribed and OUT when done.
usage: campaign_dispose_api.py API_PORT OUT"""
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
out = sys.argv[2]
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
alice = api.login("acme", "alice", "alice-secret")
carl = api.login("acme", "carl", "carl-secret")
wa = WebSocket(api.port, alice)
wa.send({"subscribe": ["agent.me"]})
assert wa.recv()["type"] == "subscribed"
open(out + ".ready", "w").close()


def dispose(ix, body, who=alice):
    st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", who, body)
    return st, b


def wait_state(want, timeout=10):
    deadline = time.time() + timeout
    while True:
        st, me, _ = api.call("GET", "/api/v1/agents/me", alice)
        if me["state"] == want:
            return
        assert time.time() < deadline, me
        time.sleep(0.1)


def end_wrap_up():
    wait_state("wrap_up")
    st, b, _ = api.call("POST", "/api/v1/agents/me/wrapup/end", alice)
    assert st in (200, 204), (st, b)
    wait_state("ready")


seen = {}
# Four offers through the queue; the agent's own callbacks ring alice directly.
for _ in range(4):
    offer, _ = wa.wait(lambda m: m.get("type") == "contact.offered", timeout=60)
    ix = offer["data"]["interaction"]
    lead = offer["data"]["lead"]
    # The campaign's codes that call back, for the desktop to ask their time and agent.
    assert lead["callback_codes"] == ["later"], lead
    key = (lead["id"], lead["attempt"])
    assert key not in seen, (key, seen)
    seen[key] = ix
    if key == (1, 1):
        # During the call: once alice has answered (the call is hers).
        wa.wait(lambda m: m.get("type") == "contact.answered"
                and m["data"]["interaction"] == ix, timeout=30)
        now = datetime.now(timezone.utc)
        local = (now + timedelta(seconds=8)).strftime("%Y-%m-%dT%H:%M:%S")
        st, b = dispose(ix, {"code": "sale", "callback": {"at": local}})
        assert st == 400 and b["error"]["field"] == "callback", (st, b)
        st, b = dispose(ix, {"code": "later", "callback": {"at": "soon"}})
        assert st == 400 and b["error"]["field"] == "callback.at", (st, b)
        st, b = dispose(ix, {"code": "later", "callback": {"at": local, "agent": "nobody"}})
        assert st == 400 and b["error"]["field"] == "callback.agent", (st, b)
        st, b = dispose(ix, {"code": "later", "callback": {"at": local, "agent": "carl"}})
        assert st == 403 and b["error"]["field"] == "callback.agent", (st, b)
        st, b = dispose(ix, {"code": "later", "callback": {"when": local}})
        assert st == 400 and b["error"]["field"] == "callback", (st, b)
        st, b = dispose(ix, {"code": "later", "callback": {"at": local, "agent": "alice"}})
        assert st == 200 and b["interaction"] == ix, (st, b)
        check_response(doc, "PUT", "/api/v1/interactions/{id}/disposition", st, b)
    wa.wait(lambda m: m.get("type") == "contact.ended" and m["data"]["interaction"] == ix,
            timeout=30)
    end_wrap_up()
    if key == (2, 1):
        # Tomorrow 10:00 in the lead's zone (UTC+3) is 07:00 UTC.
        day = (datetime.now(timezone.utc) + timedelta(hours=3) + timedelta(days=1)).date()
        st, b = dispose(ix, {"code": "later",
                             "callback": {"at": f"{day.isoformat()}T10:00", "agent": None}})
        assert st == 200 and b["disposition"] == "later", (st, b)
        check_response(doc, "PUT", "/api/v1/interactions/{id}/disposition", st, b)
        at = datetime(day.year, day.month, day.day, 7, 0, tzinfo=timezone.utc)
        with open(out + ".at", "w") as f:
            f.write(str(int(at.timestamp() * 1000)))
        # Not carl's: the store answers for it (404), the lead is not touched.
        st, b = dispose(ix, {"code": "quit"}, carl)
        assert st == 404, (st, b)
    elif key == (3, 1):
        st, b = dispose(ix, {"code": "quit"})
        assert st == 200 and b["disposition"] == "quit", (st, b)
    elif key == (4, 1):
        soon = (datetime.now(timezone.utc) + timedelta(seconds=3)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        st, b, _ = api.call("POST", "/api/v1/campaigns/d/callbacks", alice,
                            {"list": "d", "lead": 4, "at": soon, "agent": "alice"})
        assert st == 201 and b["agent"] == "alice", (st, b)
        check_response(doc, "POST", "/api/v1/campaigns/{id}/callbacks", st, b)
assert sorted(seen) == [(1, 1), (2, 1), (3, 1), (4, 1)], sorted(seen)
# The interactions keep the dispositions given after the wrap-up.
for key, code in (((2, 1), "later"), ((3, 1), "quit")):
    deadline = time.time() + 10
    while True:
        st, b, _ = api.call("GET", f"/api/v1/interactions/{seen[key]}", alice)
        if st == 200 and b.get("disposition") == code:
            break
        assert time.time() < deadline, (key, st, b)
        time.sleep(0.2)
open(out, "w").close()
