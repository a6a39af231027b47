"""A progressive campaign seen through the API while it dials (t-campaign-progressive):
the agent's screen pop carries the lead and its fields, the supervisor gets
campaign.stats, and GET /api/v1/campaigns/{id} counts what the carrier did once every
lead has been tried; pause and start; the roles. Touches OUT.ready when listening and
OUT when done.
usage: campaign_api.py API_PORT OUT"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
out = sys.argv[2]
alice = api.login("acme", "alice", "alice-secret")
bob = api.login("acme", "bob", "bob-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
wa = WebSocket(api.port, alice)
wa.send({"subscribe": ["agent.me"]})
assert wa.recv()["type"] == "subscribed"
wb = WebSocket(api.port, bob)
wb.send({"subscribe": ["campaigns"]})
assert wb.recv()["type"] == "subscribed"
# An agent may not watch campaigns.
w = WebSocket(api.port, alice)
w.send({"subscribe": ["campaigns"]})
assert w.recv()["type"] != "subscribed"
open(out + ".ready", "w").close()

# The screen pop of the answered lead: its number, name, list and extra columns.
offer, _ = wa.wait(lambda m: m.get("type") == "contact.offered", timeout=40)
d = offer["data"]
lead = d.get("lead")
assert lead, d
assert lead["campaign"] == "nov" and lead["list"] == "nov" and lead["id"] == 1, lead
assert lead["phone"] == "+48601000001" and lead["name"] == "Anna", lead
assert lead["fields"] == {"plan": "gold"}, lead
assert lead["attempt"] == 1, lead
assert d["to"] == "+48601000001" and d["queue"] == "outbound" and d["agent"] == "alice", d
stats, _ = wb.wait(lambda m: m.get("type") == "campaign.stats", timeout=10)
assert stats["data"]["id"] == "nov" and stats["data"]["mode"] == "progressive", stats

# Every lead that may be dialed today has been: 1 answered, 2 busy twice, 3 never
# answers (the ring time), 4 invalid; 5 is on the do-not-call list, 6 outside its window.
deadline = time.time() + 60
while True:
    st, c, _ = api.call("GET", "/api/v1/campaigns/nov", bob)
    assert st == 200, (st, c)
    if c["total"]["dialed"] >= 5 and c["dialing_now"] == 0 and c["active_attempts"] == 0:
        break
    assert time.time() < deadline, c
    time.sleep(0.5)
check_response(doc, "GET", "/api/v1/campaigns/{id}", st, c)
t = c["total"]
assert t["dialed"] == 5 and t["answered"] == 1 and t["human"] == 1, t
assert t["connected"] == 1 and t["abandoned"] == 0 and t["failed"] == 4, t
assert t["machine"] == 0 and t["abandoned_pct"] == 0, t
assert c["today"]["dialed"] == 5, c["today"]
assert c["state"] == "running" and c["queue"] == "outbound", c
# Open: lead 1 (a person, retried unless an agent disposes), 3 (no answer, retried in an
# hour) and 6 (waiting for its window); 2, 4 and 5 are closed.
assert c["leads_left"] == 3, c
assert c["abandoned_window"]["cap_pct"] == 3, c["abandoned_window"]

st, lst, _ = api.call("GET", "/api/v1/campaigns", bob)
assert st == 200 and [x["id"] for x in lst["items"]] == ["nov"], lst
check_response(doc, "GET", "/api/v1/campaigns", st, lst)
# An agent lists the preview campaigns only (none here), and controls none.
st, b, _ = api.call("GET", "/api/v1/campaigns", alice)
assert st == 200 and b["items"] == [], (st, b)
st, b, _ = api.call("GET", "/api/v1/campaigns/nov", alice)
assert st == 403, (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/nov/pause", alice)
assert st == 403, (st, b)
st, b, _ = api.call("GET", "/api/v1/campaigns/nope", bob)
assert st == 404, (st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/nov/pause", bob)
assert st == 200 and b["state"] == "paused", b
check_response(doc, "POST", "/api/v1/campaigns/{id}/pause", st, b)
st, b, _ = api.call("POST", "/api/v1/campaigns/nov/start", bob)
assert st == 200 and b["state"] == "running", b
open(out, "w").close()
