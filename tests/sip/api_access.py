"""The access matrix of the endpoints the other API tests do not cover, for
t-api-access.sh. usage: api_access.py PORT
Numbers CRUD, click-to-dial, every call action (on an interaction that is no call:
the role decides 401/403, then the call is not found, whoever asks), ending wrap-up,
the agent's queues, a recording's segments, users as an agent; each as no token, each
role of the tenant and another tenant's user. Then the audit log: a forced state, a
queue membership change, a campaign started, paused and stopped are there (actor,
fields), what was refused is not."""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, access_matrix, audit_entries, check_response, tokens  # noqa: E402

api = Api(int(sys.argv[1]))
tok = tokens(api, {
    "admin": ("acme", "ada", "ada-secret"),
    "agent": ("acme", "alice", "alice-secret"),
    "sup": ("acme", "bob", "bob-secret"),
    "qa": ("acme", "quinn", "quinn-secret"),
    "other": ("beta", "carl", "carl-secret"),
})
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
ALL = ("none", "agent", "sup", "qa", "admin", "other")


def row(method, path, dpath, body, **want):
    assert set(want) <= set(ALL), want
    return (method, path, dpath, body, want)  # asked in the order given


N, NK = "/api/v1/numbers", "/api/v1/numbers/{number}"
rows = [
    row("GET", N, N, None, none=401, agent=403, qa=403, sup=200, admin=200, other=200),
    # Another tenant names a queue of this one: there is no such queue in its own.
    row("POST", N, N, {"number": "555", "queue": "support"},
        none=401, agent=403, sup=403, qa=403, other=400, admin=201),
    row("POST", N, N, {"number": "555", "queue": "support"}, admin=200),  # the same again
    # The number is this tenant's: another's PUT cannot take it over.
    row("PUT", N + "/555", NK, {"queue": "bq"}, none=401, agent=403, sup=403, qa=403,
        other=409),
    row("PUT", N + "/555", NK, {"queue": "support", "priority": 3}, admin=200),
    row("DELETE", N + "/555", NK, None, none=401, agent=403, sup=403, qa=403, other=404),
]
access_matrix(api, doc, tok, rows)
st, b, _ = api.call("GET", N, tok["admin"])
assert [n for n in b["items"] if n["number"] == "555"] == \
    [{"number": "555", "queue": "support", "priority": 3, "source": "api"}], b
st, b, _ = api.call("GET", N, tok["other"])
assert {n["number"] for n in b["items"]} == {"900"}, b
access_matrix(api, doc, tok, [
    row("DELETE", N + "/555", NK, None, admin=204),
    row("DELETE", N + "/555", NK, None, admin=404, other=404),
])

# Click-to-dial: nobody here has a phone up (409); qa never dials.
C = "/api/v1/calls"
access_matrix(api, doc, tok, [
    row("POST", C, C, {"number": "48221234567"},
        none=401, qa=403, agent=409, sup=409, admin=409, other=409),
    row("GET", C, C, None, none=401, agent=403, qa=403, sup=200, admin=200, other=200),
])

# Every call action on an interaction that is no call of the tenant.
bodies = {"transfer": {"user": "alice"}, "dtmf": {"digits": "1"}, "consult": {"user": "alice"},
          "conference": {"user": "alice"}, "monitor": {"mode": "listen"}}
for action in ("hangup", "hold", "resume", "mute", "unmute", "transfer", "consult",
               "consult/complete", "consult/cancel", "conference", "dtmf", "monitor",
               "recording/pause", "recording/resume"):
    agent = 403 if action == "monitor" else 404
    access_matrix(api, doc, tok, [
        row("POST", f"{C}/NOPE/{action}", C + "/{interaction}/" + action, bodies.get(action),
            none=401, qa=403, agent=agent, sup=404, admin=404, other=404)])

Q = "/api/v1/agents/me/queues"
access_matrix(api, doc, tok, [
    # Not in wrap-up: nothing to end; the answer is the agent as it is. A supervisor or
    # an admin who is not also an agent is no agent.
    row("POST", "/api/v1/agents/me/wrapup/end", "/api/v1/agents/me/wrapup/end", None,
        none=401, qa=403, agent=200, sup=404, admin=404, other=200),
    row("GET", Q, Q, None, none=401, qa=403, agent=200, sup=404, admin=404, other=200),
    # The queue is this tenant's: another's user has no such queue.
    row("PUT", Q + "/support", Q + "/{queue}", {"member": False},
        none=401, qa=403, other=404, agent=200),
    row("PUT", Q + "/support", Q + "/{queue}", {"member": True}, agent=200),
    row("GET", "/api/v1/interactions/NOPE/recording/segments",
        "/api/v1/interactions/{id}/recording/segments", None,
        none=401, agent=404, sup=404, qa=404, admin=404, other=404),
])
st, b, _ = api.call("GET", Q, tok["agent"])
assert any(q["queue"] == "support" and q["member"] for q in b["items"]), b

# Users: an agent reads and writes none of them (the other roles: t-api-users).
U, UK = "/api/v1/users", "/api/v1/users/{username}"
access_matrix(api, doc, tok, [
    row("GET", U, U, None, agent=403),
    row("POST", U, U, {"username": "mx"}, agent=403),
    row("GET", U + "/alice", UK, None, agent=403),
    row("PUT", U + "/alice", UK, {"name": "A"}, agent=403),
    row("DELETE", U + "/bob", UK, None, agent=403),
])

# A forced state: the supervisor's and the admin's are done and audited; another
# tenant's user does not find alice.
S = "/api/v1/agents/alice/state"
access_matrix(api, doc, tok, [
    row("PUT", S, "/api/v1/agents/{username}/state", {"state": "not_ready", "reason": "lunch"},
        none=401, agent=403, qa=403, other=404, sup=200),
    row("PUT", S, "/api/v1/agents/{username}/state", {"state": "ready"}, admin=200),
])

# A campaign's controls: a supervisor's; another tenant's user finds no such campaign.
K = "/api/v1/campaigns/renewals/"
for action in ("start", "pause", "stop"):
    access_matrix(api, doc, tok, [
        row("POST", K + action, "/api/v1/campaigns/{id}/" + action, None,
            none=401, agent=403, qa=403, other=404, sup=200)])

au = audit_entries(api, tok["admin"])
got = [(a["actor"], a["object"], a["key"], a["action"], a.get("detail")) for a in au
       if a["object"] in ("agent", "campaign", "call", "number") and a["actor"] != "provision"]
want = [
    ("api:ada", "number", "555", "create", "fields=number,queue"),
    ("api:ada", "number", "555", "update", "fields=number,queue"),
    ("api:ada", "number", "555", "update", "fields=queue,priority,number"),
    ("api:ada", "number", "555", "delete", None),
    ("api:alice", "agent", "alice", "queue", "fields=member,queue member=false queue=support"),
    ("api:alice", "agent", "alice", "queue", "fields=member,queue member=true queue=support"),
    ("api:bob", "agent", "alice", "state",
     "fields=state,reason state=not_ready reason=lunch"),
    ("api:ada", "agent", "alice", "state", "fields=state state=ready"),
    ("api:bob", "campaign", "renewals", "start", None),
    ("api:bob", "campaign", "renewals", "pause", None),
    ("api:bob", "campaign", "renewals", "stop", None),
]
# Entries of one millisecond have no order among them: compared as a whole.
assert sorted(got, key=repr) == sorted(want, key=repr), got
# Nothing another tenant's user tried is in either tenant's log.
assert not [a for a in au if "carl" in a["actor"]], au
assert [a for a in audit_entries(api, tok["other"]) if a["actor"] != "provision"] == [], \
    audit_entries(api, tok["other"])
print("ok")
