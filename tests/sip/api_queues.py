"""Queues through the API for t-api-queues.sh. usage: api_queues.py PORT STEP
  create         errors and the access matrix first, then queue vip (skills vip: 2) and
                 number 555 -> vip
  raise          vip now needs vip: 5 (alice has 3): the next call is not offered to her
  delete         vip refused while number 555 routes to it; then both removed
  later          queue later made (kept for the restart)
  after-restart  later listed as the API's; vip gone; the audit log has the changes"""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
step = sys.argv[2]
tok = {r: api.login(*a) for r, a in {
    "admin": ("acme", "ada", "ada-secret"),
    "agent": ("acme", "alice", "alice-secret"),
    "sup": ("acme", "bob", "bob-secret"),
    "qa": ("acme", "quinn", "quinn-secret"),
    "other": ("beta", "carl", "carl-secret"),
}.items()}
tok["none"] = None
ada = tok["admin"]
st, doc, _ = api.call("GET", "/api/v1/openapi.json")


def queues(token=ada):
    st, b, _ = api.call("GET", "/api/v1/queues", token)
    assert st == 200, (st, b)
    check_response(doc, "GET", "/api/v1/queues", st, b)
    return {q["id"]: q for q in b["items"]}


if step == "create":
    for body, status, field in (
            ({"id": "support"}, 409, "id"),                               # the file's
            ({"id": "vip", "strategy": "nope"}, 400, "strategy"),
            ({"id": "vip", "bogus": 1}, 400, "bogus"),
            ({"id": "vip", "ring_timeout": "soon"}, 400, "ring_timeout"),
            ({"id": "vip", "hours": "nope"}, 400, "hours"),
            ({"id": "vip", "overflow": {"queue": "nope"}}, 400, "overflow"),
            ({"id": "vip", "skills": {"vip": 11}}, 400, "skills.vip"),
            ({"id": "v/ip"}, 400, "id"),
            ({"name": "no id"}, 400, "id")):
        st, b, _ = api.call("POST", "/api/v1/queues", ada, body)
        assert st == status and b["error"].get("field") == field, (body, st, b)
        check_response(doc, "POST", "/api/v1/queues", st, b)
    st, b, _ = api.call("PUT", "/api/v1/queues/support", ada, {"strategy": "ring-all"})
    assert st == 409 and b["error"]["code"] == "owned_by_file" and "line" in \
        b["error"]["message"], (st, b)
    st, b, _ = api.call("PUT", "/api/v1/queues/vip", ada, {"id": "other"})
    assert st == 400 and b["error"]["field"] == "id", (st, b)
    # The access matrix of the writes: admin only, each tenant its own.
    rows = [
        ("POST", "/api/v1/queues", "/api/v1/queues", {"id": "mx"},
         dict(none=401, agent=403, sup=403, qa=403, other=201, admin=201)),
        ("PUT", "/api/v1/queues/mx", "/api/v1/queues/{id}", {"strategy": "ring-all"},
         dict(none=401, agent=403, sup=403, qa=403, other=200, admin=200)),
        ("DELETE", "/api/v1/queues/mx", "/api/v1/queues/{id}", None,
         dict(none=401, agent=403, sup=403, qa=403, other=204, admin=204)),
        ("DELETE", "/api/v1/queues/mx", "/api/v1/queues/{id}", None,
         dict(none=401, agent=403, sup=403, qa=403, other=404, admin=404)),
        ("DELETE", "/api/v1/queues/bq", "/api/v1/queues/{id}", None,   # beta's, from acme
         dict(none=401, agent=403, sup=403, qa=403, admin=404)),
        ("GET", "/api/v1/queues/bq", "/api/v1/queues/{id}", None,
         dict(none=401, agent=404, sup=404, qa=403, admin=404)),
    ]
    for method, path, dpath, body, want in rows:
        assert method.lower() in doc["paths"][dpath], (method, dpath)
        for who in ("none", "agent", "sup", "qa", "other", "admin"):
            if who not in want:
                continue
            st, b, _ = api.call(method, path, tok[who], body)
            assert st == want[who], f"{method} {path} as {who}: {st} {b}"
            if isinstance(b, dict):
                check_response(doc, method, dpath, st, b)
    assert "mx" not in queues() and "mx" not in queues(tok["other"])
    # beta's queue of the same id never showed in acme, nor acme's in beta.
    st, b, _ = api.call("GET", "/api/v1/queues/bq", tok["other"])
    assert st == 200, (st, b)

    st, b, _ = api.call("POST", "/api/v1/queues", ada,
                        {"id": "vip", "name": "VIP", "skills": {"vip": 2}, "ring_timeout": "10s",
                         "wrap_up": "1500ms"})
    assert st == 201 and b["source"] == "api", (st, b)
    check_response(doc, "POST", "/api/v1/queues", st, b)
    c = b["config"]
    assert c["skills"] == {"vip": 2} and c["ring_timeout"] == "10s" and \
        c["wrap_up"] == "1500ms" and c["name"] == "VIP", c
    st, b, _ = api.call("POST", "/api/v1/numbers", ada, {"number": "555", "queue": "vip"})
    assert st == 201, (st, b)
    q = queues()
    assert q["support"]["source"] == "file" and q["vip"]["source"] == "api", q
    assert q["vip"]["agents"]["staffed"] == 1, q["vip"]  # alice joined by her skill
    assert "vip" not in queues(tok["other"])
    st, b, _ = api.call("GET", "/api/v1/queues/vip", tok["other"])
    assert st == 404, (st, b)
elif step == "raise":
    st, b, _ = api.call("PUT", "/api/v1/queues/vip", ada, {"skills": {"vip": 5}})
    assert st == 200 and b["config"]["skills"] == {"vip": 5} and \
        b["config"]["ring_timeout"] == "15s", (st, b)   # a PUT replaces the whole object
    check_response(doc, "PUT", "/api/v1/queues/{id}", st, b)
    assert queues()["vip"]["agents"]["staffed"] == 0, queues()["vip"]
elif step == "delete":
    st, b, _ = api.call("DELETE", "/api/v1/queues/vip", ada)
    assert st == 409 and b["error"]["code"] == "in_use" and "555" in b["error"]["message"], \
        (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/numbers/555", ada)
    assert st == 204, (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/queues/vip", ada)
    assert st == 204, (st, b)
    st, b, _ = api.call("GET", "/api/v1/queues/vip", ada)
    assert st == 404, (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/queues/support", ada)
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
elif step == "later":
    st, b, _ = api.call("POST", "/api/v1/queues", ada, {"id": "later", "strategy": "ring-all"})
    assert st == 201, (st, b)
elif step == "after-restart":
    q = queues()
    assert "vip" not in q and q["later"]["source"] == "api", q
    assert q["later"]["config"]["strategy"] == "ring-all", q["later"]
    st, b, _ = api.call("GET", "/api/v1/audit", ada)
    acts = [(a["action"], a.get("detail")) for a in b["items"]
            if a["object"] == "queue" and a["key"] == "vip"]
    assert [a for a, _ in acts] == ["create", "update", "delete"], acts
    assert acts[0][1] == "fields=id,name,skills,ring_timeout,wrap_up", acts
print("ok")
