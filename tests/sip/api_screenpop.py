"""The agent's screen pop and the call's record through the API, around a real call.
Logs in as agent alice (topic agent.me) and supervisor bob (queues, interactions), then
waits for the call the test places. Writes the epoch time the offer arrived to OUT.
usage: api_screenpop.py API_PORT OUT"""
import json
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
out = sys.argv[2]
alice = api.login("acme", "alice", "alice-secret")
bob = api.login("acme", "bob", "bob-secret")
beta = api.login("beta", "carl", "carl-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
wa = WebSocket(api.port, alice)
wa.send({"subscribe": ["agent.me"]})
assert wa.recv()["type"] == "subscribed"
wb = WebSocket(api.port, bob)
wb.send({"subscribe": ["queues", "interactions"]})
assert wb.recv()["type"] == "subscribed"
open(out + ".ready", "w").close()

offer, seen = wa.wait(lambda m: m.get("type") == "contact.offered", timeout=30)
t_offer = time.time()
d = offer["data"]
assert d["from"] == "221234561" and d["queue"] == "support" and d["agent"] == "alice", d
assert d["contact"] and d["contact"]["id"], f"no CRM contact in the screen pop: {d}"
assert "+48221234561" in json.dumps(d["contact"]), d["contact"]
assert d["ivr"].get("segment") == "gold" and d["ivr"].get("account") == "A-221234561", d["ivr"]
assert d["wait_s"] >= 0, d
assert d["ivr_path"] == ["main.tag", "main.hello", "main.q"], d["ivr_path"]
ix = d["interaction"]
with open(out, "w") as f:
    json.dump({"offered_at": t_offer, "event_time": offer["time"], "interaction": ix,
               "contact": d["contact"]["id"]}, f)

# While it rings, the agent's own view names the call.
st, me, _ = api.call("GET", "/api/v1/agents/me", alice)
assert st == 200 and me["interaction"] == ix, me
ans, _ = wa.wait(lambda m: m.get("type") == "contact.answered", timeout=15)
assert ans["data"]["interaction"] == ix and ans["seq"] > offer["seq"], ans
st, calls, _ = api.call("GET", "/api/v1/calls", bob)
assert st == 200 and [c["interaction"] for c in calls["items"]] == [ix], calls
assert calls["items"][0]["state"] == "talking" and calls["items"][0]["agent"] == "alice", calls
check_response(doc, "GET", "/api/v1/calls", st, calls)
# The supervisor saw the same contact queued, offered and answered, in order.
sup, seen_b = wb.wait(lambda m: m.get("type") == "contact.answered", timeout=5)
types = [m.get("type") for m in seen_b]
assert types.index("contact.queued") < types.index("contact.offered"), types
stats, _ = wb.wait(lambda m: m.get("type") == "queue.stats", timeout=3)
assert stats["data"]["id"] == "support" and stats["data"]["today"]["offered"] >= 1, stats
check_response(doc, "GET", "/api/v1/queues/{id}", 200, stats["data"])
st, _, _ = api.call("GET", f"/api/v1/calls/{ix}/hangup", bob)
assert st == 405, st

end, _ = wa.wait(lambda m: m.get("type") == "contact.ended", timeout=20)
assert end["data"]["interaction"] == ix and end["data"]["answered"] is True, end
# In wrap-up the engine still holds the call: the disposition goes onto it.
st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", alice,
                    {"code": "unknown-code"})
assert st == 400 and b["error"]["field"] == "code", b
st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", alice,
                    {"code": "sale", "notes": "wants the premium plan"})
assert st == 200, (st, b)
check_response(doc, "PUT", "/api/v1/interactions/{id}/disposition", st, b)
st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", beta, {"code": "sale"})
assert st == 404, (st, b)
# Wrap-up ends (3 s); the interaction is written again with the disposition.
wa.wait(lambda m: m.get("type") == "agent.state" and m["data"]["from"] == "wrap_up", timeout=10)
deadline = time.time() + 5
while True:
    st, got, _ = api.call("GET", f"/api/v1/interactions/{ix}", alice)
    if st == 200 and got["disposition"] == "sale" or time.time() > deadline:
        break
    time.sleep(0.2)
assert st == 200 and got["disposition"] == "sale", (st, got)
assert got["notes"] == "wants the premium plan", got
assert any(e["event"] == "disposition" for e in got["timeline"]), got["timeline"]
check_response(doc, "GET", "/api/v1/interactions/{id}", st, got)
# After the call the engine no longer holds it: the store's record is changed.
st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", bob, {"code": "no_sale"})
assert st == 200 and b["disposition"] == "no_sale" and b["notes"] == "wants the premium plan", b
st, page, _ = api.call("GET", f"/api/v1/interactions?contact={d['contact']['id']}", alice)
assert st == 200 and [i["id"] for i in page["items"]] == [ix], page
assert page["items"][0]["disposition"] == "no_sale", page
check_response(doc, "GET", "/api/v1/interactions", st, page)
for q in ("disposition=sale", "abandoned=true", "queue=sales", "agent=bob", "channel=email"):
    st, page, _ = api.call("GET", f"/api/v1/interactions?{q}", bob)
    assert st == 200 and page["items"] == [], (q, page)
for q in ("disposition=no_sale", "abandoned=false", "queue=support", "agent=alice",
          "number=100", "number=221234561", "direction=inbound", "since=2020-01-01"):
    st, page, _ = api.call("GET", f"/api/v1/interactions?{q}", bob)
    assert st == 200 and [i["id"] for i in page["items"]] == [ix], (q, page)
# Another tenant sees nothing of it.
st, b, _ = api.call("GET", f"/api/v1/interactions/{ix}", beta)
assert st == 404, (st, b)
st, page, _ = api.call("GET", "/api/v1/interactions", beta)
assert page["items"] == [], page
st, audit, _ = api.call("GET", "/api/v1/audit", api.login("acme", "ada", "ada-secret"))
assert any(a["object"] == "interaction" and a["key"] == ix for a in audit["items"]), audit
print("api screen pop: ok")
