"""Callbacks scheduled through the API (t-campaign-callback): the refusals, a callback
for lead 2 (whose zone is UTC+3) at a local time 6 s from now to alice, and one for lead
1 in an hour for the campaign. Prints the callback's instant (epoch ms) on stdout.
usage: campaign_callback_api.py API_PORT"""
import sys
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, audit_entries, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
bob = api.login("acme", "bob", "bob-secret")
carl = api.login("acme", "carl", "carl-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
path = "/api/v1/campaigns/cb/callbacks"


def post(body, who=bob):
    return api.call("POST", path, who, body)[:2]


now = datetime.now(timezone.utc)
soon = now + timedelta(seconds=6)
local = (soon + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S")
st, b = post({"list": "nope", "lead": 2, "at": local})
assert st == 404 and b["error"]["field"] == "list", (st, b)
st, b = post({"list": "c", "lead": 99, "at": local})
assert st == 404 and b["error"]["field"] == "lead", (st, b)
st, b = post({"list": "c", "lead": 2, "at": "tomorrow"})
assert st == 400 and b["error"]["field"] == "at", (st, b)
st, b = post({"list": "c", "lead": 2, "at": "2020-01-01T10:00:00Z"})
assert st == 400 and b["error"]["field"] == "at", (st, b)
st, b = post({"list": "c", "lead": 2, "at": local, "agent": "nobody"})
assert st == 400 and b["error"]["field"] == "agent", (st, b)
st, b = post({"list": "c", "lead": 2, "at": local, "colour": 1})
assert st == 400, (st, b)
# An agent schedules callbacks for itself or the campaign only.
st, b = post({"list": "c", "lead": 2, "at": local, "agent": "alice"}, carl)
assert st == 403, (st, b)
st, b = api.call("POST", "/api/v1/campaigns/nope/callbacks", bob,
                 {"list": "c", "lead": 2, "at": local})[:2]
assert st == 404, (st, b)

# Lead 2 at a local time in its own zone (UTC+3), by alice.
st, b = post({"list": "c", "lead": 2, "at": local, "agent": "alice"})
assert st == 201, (st, b)
check_response(doc, "POST", "/api/v1/campaigns/{id}/callbacks", st, b)
at = datetime.strptime(b["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
assert abs((at - soon).total_seconds()) < 1, (b, soon)
assert b["agent"] == "alice" and b["lead"] == 2 and b["timezone"] == "Etc/GMT-3", b
# Lead 1 in an hour, by the campaign (an instant with its offset), asked by carl.
st, b = post({"list": "c", "lead": 1, "agent": None,
              "at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")}, carl)
assert st == 201 and b.get("agent") is None, (st, b)
# The two callbacks are in the audit log (who, the fields given, the list and agent);
# none of the refused ones.
au = sorted((a["actor"], a["action"], a["detail"]) for a in audit_entries(
    api, api.login("acme", "ada", "ada-secret"), "campaign", "cb"))
assert au == [("api:bob", "callback", "fields=list,lead,at,agent list=c agent=alice"),
              ("api:carl", "callback", "fields=list,lead,agent,at list=c")], au
print(int(at.timestamp() * 1000))
