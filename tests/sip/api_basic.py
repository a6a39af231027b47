"""The REST API and events without calls: errors, the access matrix, agent state through
the engine, events with since=N, login limits, metrics, and the OpenAPI document checked
against real responses. usage: api_basic.py API_PORT"""
import json
import socket
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
call = api.call

# ---- health, documents, bad input ----
st, b, _ = call("GET", "/healthz")
assert st == 200 and b == {"status": "ok"}, (st, b)
st, doc, _ = call("GET", "/api/v1/openapi.json")
assert st == 200 and doc["openapi"].startswith("3.1"), st
st, b, _ = call("POST", "/api/v1/login", raw='{"tenant": "acme", ')
assert st == 400 and b["error"]["code"] == "invalid_json" and b["error"]["offset"] == 19, b
st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "alice",
                                               "password": "x", "extra": 1})
assert st == 400 and b["error"]["field"] == "extra", b
st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "alice"})
assert st == 400 and b["error"]["field"] == "password", b
st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "alice",
                                               "password": "wrong"})
assert st == 401 and b["error"]["code"] == "invalid_credentials", b
check_response(doc, "POST", "/api/v1/login", st, b)
st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "nobody",
                                               "password": "wrong"})
assert st == 401, b
st, b, _ = call("POST", "/api/v1/login", raw="x" * (2 << 20))
assert st == 413 and b["error"]["code"] == "too_large", (st, b)
st, b, _ = call("GET", "/api/v1/nothing")
assert st == 404 and b["error"]["code"] == "not_found", b
st, b, _ = call("DELETE", "/api/v1/me")
assert st == 405, (st, b)

tok = {r: api.login(*a) for r, a in {
    "agent": ("acme", "alice", "alice-secret"),
    "sup": ("acme", "bob", "bob-secret"),
    "admin": ("acme", "ada", "ada-secret"),
    "qa": ("acme", "quinn", "quinn-secret"),
    "other": ("beta", "carl", "carl-secret"),
}.items()}
tok["none"] = None
st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "alice",
                                               "password": "alice-secret"})
check_response(doc, "POST", "/api/v1/login", st, b)
assert b["roles"] == ["agent"], b

# ---- the access matrix: every endpoint x every kind of caller ----
ready = {"state": "ready"}
matrix = [
    # method, path, doc path, body, {caller: status}
    ("GET", "/api/v1/me", "/api/v1/me", None,
     dict(none=401, agent=200, sup=200, admin=200, qa=200, other=200)),
    # An admin who is not an agent has no agent state: not found.
    ("GET", "/api/v1/agents/me", "/api/v1/agents/me", None,
     dict(none=401, agent=200, sup=200, admin=404, qa=403, other=200)),
    ("PUT", "/api/v1/agents/me/state", "/api/v1/agents/me/state", ready,
     dict(none=401, agent=200, sup=200, admin=404, qa=403, other=200)),
    ("GET", "/api/v1/agents", "/api/v1/agents", None,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=200)),
    ("PUT", "/api/v1/agents/alice/state", "/api/v1/agents/{username}/state", ready,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=404)),
    ("GET", "/api/v1/agents/alice/states", "/api/v1/agents/{username}/states", None,
     dict(none=401, agent=200, sup=200, admin=200, qa=404, other=404)),
    ("GET", "/api/v1/agents/bob/states", "/api/v1/agents/{username}/states", None,
     dict(none=401, agent=404, sup=200, admin=200, qa=404, other=404)),
    ("GET", "/api/v1/queues", "/api/v1/queues", None,
     dict(none=401, agent=200, sup=200, admin=200, qa=403, other=200)),
    ("GET", "/api/v1/queues/support", "/api/v1/queues/{id}", None,
     dict(none=401, agent=200, sup=200, admin=200, qa=403, other=404)),
    ("GET", "/api/v1/directory", "/api/v1/directory", None,
     dict(none=401, agent=200, sup=200, admin=200, qa=403, other=200)),
    ("GET", "/api/v1/calls", "/api/v1/calls", None,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=200)),
    # An agent is given the preview campaigns (its desktop's preview card).
    ("GET", "/api/v1/campaigns", "/api/v1/campaigns", None,
     dict(none=401, agent=200, sup=200, admin=200, qa=403, other=200)),
    ("GET", "/api/v1/lists", "/api/v1/lists", None,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=200)),
    ("GET", "/api/v1/dnc", "/api/v1/dnc", None,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=200)),
    ("DELETE", "/api/v1/dnc/NOPE", "/api/v1/dnc/{phone}", None,
     dict(none=401, agent=403, sup=400, admin=400, qa=403, other=400)),
    ("GET", "/api/v1/campaigns/NOPE", "/api/v1/campaigns/{id}", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/campaigns/NOPE/start", "/api/v1/campaigns/{id}/start", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/campaigns/NOPE/pause", "/api/v1/campaigns/{id}/pause", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/campaigns/NOPE/stop", "/api/v1/campaigns/{id}/stop", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/campaigns/NOPE/preview", "/api/v1/campaigns/{id}/preview", None,
     dict(none=401, agent=404, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/campaigns/NOPE/preview/dial", "/api/v1/campaigns/{id}/preview/dial", None,
     dict(none=401, agent=404, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/campaigns/NOPE/preview/skip", "/api/v1/campaigns/{id}/preview/skip", None,
     dict(none=401, agent=404, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/calls/NOPE/hangup", "/api/v1/calls/{interaction}/hangup", None,
     dict(none=401, agent=404, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/calls/NOPE/mute", "/api/v1/calls/{interaction}/mute", None,
     dict(none=401, agent=404, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/calls/NOPE/unmute", "/api/v1/calls/{interaction}/unmute", None,
     dict(none=401, agent=404, sup=404, admin=404, qa=403, other=404)),
    ("GET", "/api/v1/interactions", "/api/v1/interactions", None,
     dict(none=401, agent=200, sup=200, admin=200, qa=200, other=200)),
    ("GET", "/api/v1/interactions/NOPE", "/api/v1/interactions/{id}", None,
     dict(none=401, agent=404, sup=404, admin=404, qa=404, other=404)),
    ("PUT", "/api/v1/interactions/NOPE/disposition", "/api/v1/interactions/{id}/disposition",
     {"code": "sale"}, dict(none=401, agent=404, sup=404, admin=404, qa=403, other=404)),
    ("GET", "/api/v1/audit", "/api/v1/audit", None,
     dict(none=401, agent=403, sup=403, admin=200, qa=403, other=200)),
    ("GET", "/api/v1/trunks", "/api/v1/trunks", None,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=200)),
    ("GET", "/api/v1/trunks/NOPE", "/api/v1/trunks/{id}", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    # No uri: the admins' bodies are refused (400 naming the field), others never read.
    ("POST", "/api/v1/trunks", "/api/v1/trunks", {"id": "t1"},
     dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
    ("PUT", "/api/v1/trunks/NOPE", "/api/v1/trunks/{id}", {"uri": "http://x"},
     dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
    ("DELETE", "/api/v1/trunks/NOPE", "/api/v1/trunks/{id}", None,
     dict(none=401, agent=403, sup=403, admin=404, qa=403, other=404)),
    # Flows and calendars: supervisors read, admins write; a body the validator refuses
    # is a 400 (nothing is made), another tenant's or a missing object a 404.
    ("GET", "/api/v1/flows", "/api/v1/flows", None,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=200)),
    ("POST", "/api/v1/flows", "/api/v1/flows", {"name": "bad", "start": "x", "nodes": {}},
     dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
    ("GET", "/api/v1/flows/NOPE", "/api/v1/flows/{name}", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("PUT", "/api/v1/flows/NOPE", "/api/v1/flows/{name}", {"start": "x", "nodes": {}},
     dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
    ("DELETE", "/api/v1/flows/NOPE", "/api/v1/flows/{name}", None,
     dict(none=401, agent=403, sup=403, admin=404, qa=403, other=404)),
    ("GET", "/api/v1/flows/NOPE/versions", "/api/v1/flows/{name}/versions", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("GET", "/api/v1/flows/NOPE/versions/1", "/api/v1/flows/{name}/versions/{n}", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("POST", "/api/v1/flows/NOPE/versions/1/publish", "/api/v1/flows/{name}/versions/{n}/publish",
     None, dict(none=401, agent=403, sup=403, admin=404, qa=403, other=404)),
    ("GET", "/api/v1/calendars", "/api/v1/calendars", None,
     dict(none=401, agent=403, sup=200, admin=200, qa=403, other=200)),
    ("POST", "/api/v1/calendars", "/api/v1/calendars", {"id": "bad", "weekly": {"x": "y"}},
     dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
    ("GET", "/api/v1/calendars/NOPE", "/api/v1/calendars/{id}", None,
     dict(none=401, agent=403, sup=404, admin=404, qa=403, other=404)),
    ("PUT", "/api/v1/calendars/NOPE", "/api/v1/calendars/{id}", {"weekly": {"x": "y"}},
     dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
    ("DELETE", "/api/v1/calendars/NOPE", "/api/v1/calendars/{id}", None,
     dict(none=401, agent=403, sup=403, admin=404, qa=403, other=404)),
    ("GET", "/metrics", "/metrics", None,
     dict(none=200, agent=200, sup=200, admin=200, qa=200, other=200)),
]
for method, path, dpath, body, want in matrix:
    assert dpath in doc["paths"] and method.lower() in doc["paths"][dpath], \
        f"{method} {dpath} is not in the OpenAPI document"
    for who, status in want.items():
        st, b, _ = call(method, path, tok[who], body)
        assert st == status, f"{method} {path} as {who}: {st}, expected {status}: {b}"
        if isinstance(b, dict):
            check_response(doc, method, dpath, st, b)
print(f"access matrix: {sum(len(m[4]) for m in matrix)} requests as expected")
# An agent's directory: users with presence and queues, and nothing else of theirs.
st, b, _ = call("GET", "/api/v1/directory", tok["agent"])
users = {x["id"]: x for x in b["items"] if x["kind"] == "user"}
assert "alice" in users and "state" in users["alice"] and "registered" in users["alice"], b
assert any(x["kind"] == "queue" and x["id"] == "support" for x in b["items"]), b
assert not any("password" in json.dumps(x) or "skills" in x for x in b["items"]), b

# Another tenant's lists hold only its own objects.
st, b, _ = call("GET", "/api/v1/agents", tok["other"])
assert [a["username"] for a in b["items"]] == ["carl"], b
st, b, _ = call("GET", "/api/v1/queues", tok["other"])
assert [q["id"] for q in b["items"]] == ["beta-q"], b

# ---- agent state through the engine ----
st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"],
                {"state": "not_ready", "reason": "nonsense"})
assert st == 400 and b["error"]["field"] == "reason", b
st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"],
                {"state": "ready", "reason": "lunch"})
assert st == 400 and b["error"]["field"] == "reason", b
st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"], {"state": "sleeping"})
assert st == 400 and b["error"]["field"] == "state", b

ws_a = WebSocket(api.port, tok["agent"])
ws_a.send({"subscribe": ["agents"]})
m = ws_a.recv()
assert m["type"] == "error" and m["error"]["code"] == "forbidden_topic", m
ws_a.send({"subscribe": ["agent.me"]})
m = ws_a.recv()
assert m["type"] == "subscribed" and m["data"]["topics"] == ["agent.me"], m
ws_s = WebSocket(api.port, tok["sup"])
ws_s.send({"subscribe": ["agents", "queues"]})
assert ws_s.recv()["type"] == "subscribed"
ws_o = WebSocket(api.port, tok["other"])
ws_o.send({"subscribe": ["agents", "queues", "interactions"]})
assert ws_o.recv()["type"] == "subscribed"

st, b, _ = call("PUT", "/api/v1/agents/alice/state", tok["sup"],
                {"state": "not_ready", "reason": "lunch"})
assert st == 200 and b["state"] == "not_ready" and b["reason"] == "lunch", b
m, _ = ws_a.wait(lambda m: m.get("type") == "agent.state" and m["data"]["state"] == "not_ready")
assert m["data"]["agent"] == "alice" and m["data"]["reason"] == "lunch", m
check_response(doc, "GET", "/api/v1/events", 101, m)
m2, _ = ws_s.wait(lambda m: m.get("type") == "agent.state" and m["data"]["state"] == "not_ready")
assert m2["seq"] == m["seq"], (m, m2)
last = m["seq"]
st, b, _ = call("GET", "/api/v1/agents/me", tok["agent"])
assert b["state"] == "not_ready" and b["reason"] == "lunch", b

# Missed while away: since=N replays what came after N, for the topics subscribed.
ws_a.close()
for s in ("ready", "logged_out"):
    st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"], {"state": s})
    assert st == 200 and b["state"] == s, b
ws_a = WebSocket(api.port, tok["agent"], since=last)
ws_a.send({"subscribe": ["agent.me"]})
assert ws_a.recv()["type"] == "subscribed"
got = [ws_a.recv(), ws_a.recv()]
assert [g["data"]["state"] for g in got] == ["ready", "logged_out"], got
# Numbered in order (a queue.stats of the agent's queue may come between them).
assert last < got[0]["seq"] < got[1]["seq"], got
# Gone longer than the ring holds (event_ring: 16 in t-api.sh): told to resync, with the
# oldest number still held, and nothing replayed.
ws_a.close()
for i in range(20):
    st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"],
                    {"state": "ready" if i % 2 == 0 else "logged_out"})
    assert st == 200, b
ws_a = WebSocket(api.port, tok["agent"], since=last)
ws_a.send({"subscribe": ["agent.me"]})
m = ws_a.recv()
assert m["type"] == "subscribed", m
now = m["data"]["seq"]
assert now >= last + 22, (now, last)
m = ws_a.recv()
assert m["type"] == "resync" and m["data"]["seq"] == now, m
assert m["data"]["oldest"] == now - 15 and m["data"]["oldest"] > last + 1, m
try:
    m = ws_a.recv(timeout=0.5)
    raise AssertionError(f"replayed after a resync: {m}")
except socket.timeout:
    pass
# Back within the ring, it replays again.
ws_a.close()
for s in ("ready", "logged_out"):
    st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"], {"state": s})
    assert st == 200 and b["state"] == s, b
ws_a = WebSocket(api.port, tok["agent"], since=now)
ws_a.send({"subscribe": ["agent.me"]})
assert ws_a.recv()["type"] == "subscribed"
got = [ws_a.recv(), ws_a.recv()]
assert [g["data"]["state"] for g in got] == ["ready", "logged_out"], got
assert now < got[0]["seq"] < got[1]["seq"], got
ws_a.close()
ws_a = WebSocket(api.port, tok["agent"])
ws_a.send({"subscribe": ["agent.me"]})
assert ws_a.recv()["type"] == "subscribed"
# The other tenant's supervisor heard none of it.
try:
    m = ws_o.recv(timeout=1.0)
    raise AssertionError(f"another tenant's event leaked: {m}")
except socket.timeout:
    pass

# The agent's state history is in the store (written behind).
time.sleep(0.5)
st, b, _ = call("GET", "/api/v1/agents/alice/states", tok["sup"])
states = [(x["state"], x["reason"]) for x in b["items"]]
i = states.index(("not_ready", "lunch"))
assert st == 200 and states[i:i + 3] == [("not_ready", "lunch"), ("ready", None),
                                         ("logged_out", None)], b
assert states[-2:] == [("ready", None), ("logged_out", None)] and len(states) >= i + 25, b
check_response(doc, "GET", "/api/v1/agents/{username}/states", st, b)
first = b["items"][0]["start"]
st, b, _ = call("GET", f"/api/v1/agents/alice/states?until={first}", tok["sup"])
assert st == 200 and b["items"] == [], b  # spans starting before the first: none
st, b, _ = call("GET", "/api/v1/agents/alice/states?until=yesterday", tok["sup"])
assert st == 400 and b["error"]["field"] == "until", b

# ---- queue log-in and log-out: the next routing decision follows ----
st, b, _ = call("GET", "/api/v1/agents/me/queues", tok["agent"])
assert st == 200 and b["items"] == [{"queue": "support", "penalty": 0, "member": True}], b
st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"], {"state": "ready"})
assert st == 200, b
st, q, _ = call("GET", "/api/v1/queues/support", tok["sup"])
assert q["agents"]["ready"] == 1 and q["agents"]["staffed"] == 1, q
for body, status in (({"member": "no"}, 400), ({"member": False, "x": 1}, 400), ({}, 400)):
    st, b, _ = call("PUT", "/api/v1/agents/me/queues/support", tok["agent"], body)
    assert st == status, (body, st, b)
st, b, _ = call("PUT", "/api/v1/agents/me/queues/sales", tok["agent"], {"member": False})
assert st == 404, (st, b)
st, b, _ = call("PUT", "/api/v1/agents/me/queues/support", tok["agent"], {"member": False})
assert st == 200 and b["items"][0]["member"] is False, b
# The supervisor (topic agents) and the agent (agent.me) are told.
for ws in (ws_s, ws_a):
    m, _ = ws.wait(lambda m: m.get("type") == "agent.queues")
    assert m["data"] == {"agent": "alice", "queues": [
        {"queue": "support", "penalty": 0, "member": False}]}, m
    check_response(doc, "GET", "/api/v1/events", 101, m)
st, q, _ = call("GET", "/api/v1/queues/support", tok["sup"])
assert q["agents"]["ready"] == 0 and q["agents"]["staffed"] == 0, q
st, b, _ = call("PUT", "/api/v1/agents/me/queues/support", tok["agent"], {"member": True})
assert st == 200 and b["items"][0]["member"] is True, b
st, q, _ = call("GET", "/api/v1/queues/support", tok["sup"])
assert q["agents"]["ready"] == 1, q

# queue.stats at most once a second per queue: twenty changes of the queue's agent over
# about 2.5 s are told in a few figures, a second apart, the last with the final count.
def qstats(ws, secs):
    out, deadline = [], time.time() + secs
    while time.time() < deadline:
        try:
            m = ws.recv(timeout=max(0.01, deadline - time.time()))
        except socket.timeout:
            break
        if m.get("type") == "queue.stats" and m["data"]["id"] == "support":
            out.append(m)
    return out
qstats(ws_s, 1.5)  # what the changes above caused
t0 = time.time()
for i in range(20):
    st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"],
                    {"state": "not_ready" if i % 2 == 0 else "ready"})
    assert st == 200, b
    time.sleep(0.125)
burst = time.time() - t0
stats = qstats(ws_s, 2.5)
assert 2 <= len(stats) <= burst + 3, (len(stats), burst)
when = [time.mktime(time.strptime(m["time"][:19], "%Y-%m-%dT%H:%M:%S")) +
        int(m["time"][20:23]) / 1000 for m in stats]
gaps = [b - a for a, b in zip(when, when[1:])]
assert all(g >= 0.9 for g in gaps), f"queue.stats closer than a second apart: {gaps}"
assert stats[-1]["data"]["agents"]["ready"] == 1, stats[-1]
check_response(doc, "GET", "/api/v1/events", 101, stats[-1])
print(f"queue.stats: {len(stats)} for 20 changes in {burst:.2f} s, gaps {gaps}")
# A supervisor logs the agent out: the agent is told, the queue has no staff left, and
# the agent's queue memberships are kept for the next log-in.
st, b, _ = call("PUT", "/api/v1/agents/alice/state", tok["sup"], {"state": "logged_out"})
assert st == 200 and b["state"] == "logged_out", b
check_response(doc, "PUT", "/api/v1/agents/{username}/state", st, b)
m, _ = ws_a.wait(lambda m: m.get("type") == "agent.state" and m["data"]["state"] == "logged_out")
assert m["data"]["agent"] == "alice" and m["data"]["from"] == "ready", m
st, b, _ = call("GET", "/api/v1/agents/me", tok["agent"])
assert b["state"] == "logged_out", b
st, q, _ = call("GET", "/api/v1/queues/support", tok["sup"])
assert q["agents"]["staffed"] == 0 and q["agents"]["ready"] == 0, q
st, b, _ = call("GET", "/api/v1/agents/me/queues", tok["agent"])
assert b["items"] == [{"queue": "support", "penalty": 0, "member": True}], b

# ---- metrics ----
st, text, _ = call("GET", "/metrics")
for name in ('centrala_calls_active{tenant="acme"} 0', 'centrala_calls_active{tenant="beta"} 0',
             'centrala_calls_total{tenant="acme",result="answered"}',
             'centrala_queue_waiting{tenant="acme",queue="support"}',
             'centrala_agents{tenant="acme",state="logged_out"}',
             'centrala_service_level{tenant="beta",queue="beta-q"}',
             # alice's and bob's sockets, carl's
             'centrala_ws_clients{tenant="acme"} 2', 'centrala_ws_clients{tenant="beta"} 1',
             "centrala_store_backlog", "process_cpu_seconds_total",
             # the media engine's counters (media_stats_prometheus)
             "centrala_ice_malformed_total 0", 'centrala_dtls_handshakes_total{result="failed"}',
             'centrala_srtp_refused_total{reason="auth"}', "centrala_rtcp_malformed_total"):
    assert name in text, f"{name} missing from /metrics"

# ---- logins: a user's block, a token's end ----
for _ in range(5):
    st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "quinn",
                                                   "password": "guess"})
    assert st == 401, b
st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "quinn",
                                               "password": "quinn-secret"})
assert st == 429 and b["error"]["code"] == "blocked", (st, b)
assert api.login("acme", "alice", "alice-secret")  # others from the same address still may
st, b, _ = call("POST", "/api/v1/logout", tok["sup"])
assert st == 204, st
st, b, _ = call("GET", "/api/v1/me", tok["sup"])
assert st == 401, st
try:
    deadline = time.time() + 3
    while time.time() < deadline:  # events queued before the logout may come first
        ws_s.recv(timeout=deadline - time.time())
    raise AssertionError("the logged-out token's socket stayed open")
except ConnectionError:
    pass
try:
    WebSocket(api.port, tok["sup"])
    raise AssertionError("a revoked token opened a socket")
except (ConnectionError, OSError):
    pass
print("api basic: ok")
