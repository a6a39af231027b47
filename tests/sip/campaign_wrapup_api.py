"""Dispositions given in wrap-up, after a campaign's call ended (t-campaign-wrapup):
alice takes four leads one after another; after each call, while she is in wrap-up,
she gives the disposition through PUT /interactions/{id}/disposition (sale, later,
stop, quit), then ends her wrap-up for the next lead. Touches OUT.ready once subscribed and
OUT when done.
usage: campaign_wrapup_api.py API_PORT OUT"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket  # noqa: E402

api = Api(int(sys.argv[1]))
out = sys.argv[2]
alice = api.login("acme", "alice", "alice-secret")
wa = WebSocket(api.port, alice)
wa.send({"subscribe": ["agent.me"]})
assert wa.recv()["type"] == "subscribed"
open(out + ".ready", "w").close()

for code in ("sale", "later", "stop", "quit"):
    offer, _ = wa.wait(lambda m: m.get("type") == "contact.offered", timeout=40)
    ix = offer["data"]["interaction"]
    assert offer["data"].get("lead"), offer
    ended, _ = wa.wait(lambda m: m.get("type") == "contact.ended"
                       and m["data"]["interaction"] == ix, timeout=30)
    deadline = time.time() + 10
    while True:
        st, me, _ = api.call("GET", "/api/v1/agents/me", alice)
        if me["state"] == "wrap_up":
            break
        assert time.time() < deadline, me
        time.sleep(0.1)
    st, b, _ = api.call("PUT", f"/api/v1/interactions/{ix}/disposition", alice, {"code": code})
    assert st == 200, (st, b)
    st, b, _ = api.call("POST", "/api/v1/agents/me/wrapup/end", alice)
    assert st in (200, 204), (st, b)
open(out, "w").close()
