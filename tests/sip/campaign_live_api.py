"""Campaigns made, changed and removed through the API while the server runs
(t-campaign-live). Phase `make`: the refusals (roles, a bad field, an unknown queue, the
file's campaign), POST of campaign `live` (caller ID +48221000001) which dials its first
lead, a PUT while that call is up (caller ID +48221000002, ring time, retries) that the
next call uses, with the leads and figures kept, then DELETE once the second lead is
dialed; a campaign `later` made by PUT, paused, on a queue the API made, which the
queue's DELETE then finds in use. Phase `restart`: `later` came back from the store as
it was. Phase `reload`: after a SIGHUP whose file adds campaign `late`, drops `filec`
and lists `later` (the file takes it over). Touches OUT.ready when the test may start
its phones and OUT when done.
usage: campaign_live_api.py API_PORT OUT PHASE"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
out, phase = sys.argv[2], sys.argv[3]
ada = api.login("acme", "ada", "ada-secret")
bob = api.login("acme", "bob", "bob-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200


def get(cid, who=bob):
    return api.call("GET", "/api/v1/campaigns/" + cid, who)[:2]


def wait(cid, pred, secs=60):
    deadline = time.time() + secs
    while True:
        st, c = get(cid)
        assert st == 200, (st, c)
        if pred(c):
            return c
        assert time.time() < deadline, c
        time.sleep(0.2)


LIVE = {"id": "live", "mode": "progressive", "queue": "outbound", "trunk": "pstn",
        "caller_id": "+48221000001", "window": {"from": "00:00", "to": "24:00"},
        "ring_time": "15s", "max_attempts": 2, "lists": ["nov"]}

if phase == "make":
    # Supervisors watch campaigns; only admins write them.
    st, b, _ = api.call("POST", "/api/v1/campaigns", bob, LIVE)
    assert st == 403, (st, b)
    # The configuration's checks, the field named.
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, dict(LIVE, mode="bogus"))
    assert st == 400 and b["error"]["field"] == "mode", (st, b)
    check_response(doc, "POST", "/api/v1/campaigns", st, b)
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, dict(LIVE, ring_time="5s"))
    assert st == 400 and b["error"]["field"] == "ring_time", (st, b)
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, dict(LIVE, colour="red"))
    assert st == 400 and "colour" in b["error"]["message"], (st, b)
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, dict(LIVE, window={"from": "9"}))
    assert st == 400 and b["error"]["field"].startswith("window"), (st, b)
    # References are checked against what runs.
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, dict(LIVE, queue="nope"))
    assert st == 400 and b["error"]["field"] == "queue", (st, b)
    assert "nope" in b["error"]["message"], b
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, dict(LIVE, trunk="nope"))
    assert st == 400 and b["error"]["field"] == "trunk", (st, b)
    # The file's campaign is the file's.
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, dict(LIVE, id="filec"))
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
    assert "line" in b["error"]["message"], b
    st, b, _ = api.call("PUT", "/api/v1/campaigns/filec", ada, dict(LIVE, id="filec"))
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/campaigns/filec", ada)
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/campaigns/nope", ada)
    assert st == 404, (st, b)
    st, b, _ = api.call("PUT", "/api/v1/campaigns/other", ada, LIVE)
    assert st == 400 and b["error"]["field"] == "id", (st, b)

    st, c, _ = api.call("POST", "/api/v1/campaigns", ada, LIVE)
    assert st == 201, (st, c)
    check_response(doc, "POST", "/api/v1/campaigns", st, c)
    assert c["state"] == "running" and c["source"] == "api" and c["mode"] == "progressive", c
    assert c["config"] == LIVE, c["config"]
    st, b, _ = api.call("POST", "/api/v1/campaigns", ada, LIVE)
    assert st == 200, (st, b)  # the same again: a write of the same campaign
    st, lst, _ = api.call("GET", "/api/v1/campaigns", bob)
    assert sorted(x["id"] for x in lst["items"]) == ["filec", "live"], lst
    src = {x["id"]: x["source"] for x in lst["items"]}
    assert src == {"filec": "file", "live": "api"}, src
    check_response(doc, "GET", "/api/v1/campaigns", st, lst)
    c = wait("live", lambda c: c["leads_left"] == 3)
    open(out + ".ready", "w").close()

    # The first lead is dialed and answered: alice talks to it. A change now applies
    # to the next call; the leads and the figures stay.
    c = wait("live", lambda c: c["total"]["connected"] >= 1)
    assert c["total"]["dialed"] == 1, c
    changed = dict(LIVE, caller_id="+48221000002", ring_time="20s", retry={"busy": "2s"},
                   name="Live campaign", script="Hello {{name}}")
    st, c, _ = api.call("PUT", "/api/v1/campaigns/live", ada, changed)
    assert st == 200, (st, c)
    check_response(doc, "PUT", "/api/v1/campaigns/{id}", st, c)
    assert c["caller_id"] == "+48221000002" and c["name"] == "Live campaign", c
    assert c["config"] == changed, c["config"]
    assert c["total"]["dialed"] == 1 and c["leads_left"] == 3, c
    assert c["state"] == "running", c

    # The second lead is dialed with the new caller ID; the campaign is then removed:
    # that call finishes, the third lead is never dialed.
    c = wait("live", lambda c: c["total"]["dialed"] >= 2)
    st, b, _ = api.call("DELETE", "/api/v1/campaigns/live", bob)
    assert st == 403, (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/campaigns/live", ada)
    assert st == 204, (st, b)
    st, b = get("live")
    assert st == 404, (st, b)
    st, lst, _ = api.call("GET", "/api/v1/campaigns", bob)
    assert [x["id"] for x in lst["items"]] == ["filec"], lst

    # A campaign made by PUT, paused, on a queue the API made.
    st, q, _ = api.call("POST", "/api/v1/queues", ada, {"id": "apiq", "wrap_up": "1s"})
    assert st == 201, (st, q)
    later = {"id": "later", "queue": "apiq", "trunk": "pstn", "paused": True,
             "lists": [{"id": "nov", "priority": 5}],
             "dispositions": {"sale": "close", "later": "callback", "stop": "dnc"}}
    st, c, _ = api.call("PUT", "/api/v1/campaigns/later", ada, later)
    assert st == 201, (st, c)
    check_response(doc, "PUT", "/api/v1/campaigns/{id}", st, c)
    assert c["state"] == "paused" and c["queue"] == "apiq", c
    st, b, _ = api.call("DELETE", "/api/v1/queues/apiq", ada)
    assert st == 409 and b["error"]["code"] == "in_use", (st, b)
    assert "later" in b["error"]["message"], b
    st, audit, _ = api.call("GET", "/api/v1/audit", ada)
    assert st == 200, (st, audit)
    keys = [(a.get("object"), a.get("key")) for a in audit["items"]]
    assert ("campaign", "live") in keys and ("campaign", "later") in keys, keys
elif phase == "restart":
    st, c = get("later")
    assert st == 200, (st, c)
    assert c["source"] == "api" and c["state"] == "paused" and c["queue"] == "apiq", c
    assert c["config"]["dispositions"] == {"sale": "close", "later": "callback",
                                           "stop": "dnc"}, c["config"]
    st, b = get("live")
    assert st == 404, (st, b)
    open(out + ".ready", "w").close()
elif phase == "reload":
    open(out + ".ready", "w").close()
    c = wait("late", lambda c: c["total"]["connected"] >= 1)
    assert c["source"] == "file" and c["state"] == "running", c
    # One lead added to its list, read to its end already: dialed at once.
    lead = {"phone": "+48601000010", "name": "Ola, \"O\"", "timezone": "UTC",
            "priority": 5, "fields": {"plan": "gold"}}
    st, b, _ = api.call("POST", "/api/v1/lists/late/leads", bob, lead)
    assert st == 403, (st, b)
    st, b, _ = api.call("POST", "/api/v1/lists/late/leads", ada, lead)
    assert st == 201 and b["imported"] == 1, (st, b)
    check_response(doc, "POST", "/api/v1/lists/{id}/leads", st, b)
    st, b, _ = api.call("POST", "/api/v1/lists/late/leads", ada, lead)
    assert st == 409 and b["error"]["code"] == "duplicate", (st, b)
    st, b, _ = api.call("POST", "/api/v1/lists/late/leads", ada, {"phone": "abc"})
    assert st == 400 and b["error"]["field"] == "phone", (st, b)
    st, b, _ = api.call("POST", "/api/v1/lists/late/leads", ada,
                        {"phone": "+48601000011", "priority": 5000})
    assert st == 400 and b["error"]["field"] == "priority", (st, b)
    st, b, _ = api.call("POST", "/api/v1/lists/late/leads", ada,
                        {"phone": "+48601000011", "colour": "red"})
    assert st == 400, (st, b)
    c = wait("late", lambda c: c["total"]["connected"] >= 2)
    assert c["total"]["dialed"] == 2, c
    st, b = get("filec")
    assert st == 404, (st, b)
    st, c = get("later")
    assert st == 200 and c["source"] == "file" and c["queue"] == "outbound", (st, c)
    st, b, _ = api.call("PUT", "/api/v1/campaigns/later", ada, {"id": "later", "lists": ["nov"]})
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
open(out, "w").close()
