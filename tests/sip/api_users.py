"""Users through the API for t-api-users.sh. usage: api_users.py PORT STEP [DB]
  create         errors and the access matrix, then queues apiq and frq (french: 2),
                 numbers 556 -> apiq and 557 -> frq, and user zoe (agent, phone, queue apiq,
                 french: 1, auto_ready) who logs in at once
  skill          zoe's french raised to 3 (nothing else sent: her passwords stay); she is
                 now a member of frq
  delete         zoe removed (she then cannot log in); yan made for the restart
  after-restart  yan listed as the API's and can log in; audit entries name fields, the
                 database holds no password (DB: the SQLite file)"""
import json
import sqlite3
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
step = sys.argv[2]
tok = {r: api.login(*a) for r, a in {
    "admin": ("acme", "ada", "ada-secret"),
    "sup": ("acme", "bob", "bob-secret"),
    "qa": ("acme", "quinn", "quinn-secret"),
    "other": ("beta", "carl", "carl-secret"),
}.items()}
tok["none"] = None
ada = tok["admin"]
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
ZOE = {"username": "zoe", "name": "Zoe", "password": "zoe-secret", "roles": ["agent"],
       "sip": {"user": "zoe", "password": "zoe-pw"}, "queues": {"apiq": 0},
       "skills": {"french": 1}, "auto_ready": True}


def users(token=ada):
    st, b, _ = api.call("GET", "/api/v1/users", token)
    assert st == 200, (st, b)
    check_response(doc, "GET", "/api/v1/users", st, b)
    return {u["username"]: u for u in b["items"]}


def staffed(q):
    st, b, _ = api.call("GET", f"/api/v1/queues/{q}", ada)
    assert st == 200, (st, b)
    return b["agents"]["staffed"]


def post(path, body, status=201, token=ada):
    st, b, _ = api.call("POST", path, token, body)
    assert st == status, (path, body, st, b)
    return b


if step == "create":
    post("/api/v1/queues", {"id": "apiq"})
    post("/api/v1/queues", {"id": "frq", "skills": {"french": 2}})
    post("/api/v1/numbers", {"number": "556", "queue": "apiq"})
    post("/api/v1/numbers", {"number": "557", "queue": "frq"})
    for body, status, field in (
            ({"username": "ada"}, 409, "username"),                      # the file's
            ({"username": "x1", "roles": ["boss"]}, 400, "roles"),
            ({"username": "x1", "queues": {"nope": 0}}, 400, "queues"),
            ({"username": "x1", "bogus": 1}, 400, "bogus"),
            ({"username": "x1", "sip": {"user": "x1"}}, 400, "sip.password"),
            ({"username": "x1", "skills": {"a": 11}}, 400, "skills.a"),
            ({"username": "x 1"}, 400, "username"),
            ({"username": "x1", "sip": {"user": "alice", "password": "p"}}, 409, "sip.user")):
        st, b, _ = api.call("POST", "/api/v1/users", ada, body)
        assert st == status and b["error"].get("field") == field, (body, st, b)
        check_response(doc, "POST", "/api/v1/users", st, b)
    st, b, _ = api.call("PUT", "/api/v1/users/alice", ada, {"skills": {"french": 9}})
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
    rows = [
        ("GET", "/api/v1/users", "/api/v1/users", None,
         dict(none=401, qa=403, sup=200, other=200, admin=200)),
        ("POST", "/api/v1/users", "/api/v1/users", {"username": "mx", "roles": ["qa"]},
         dict(none=401, qa=403, sup=403, other=201, admin=201)),
        ("GET", "/api/v1/users/mx", "/api/v1/users/{username}", None,
         dict(none=401, qa=403, sup=200, other=200, admin=200)),
        ("PUT", "/api/v1/users/mx", "/api/v1/users/{username}", {"roles": ["supervisor"]},
         dict(none=401, qa=403, sup=403, other=200, admin=200)),
        ("DELETE", "/api/v1/users/mx", "/api/v1/users/{username}", None,
         dict(none=401, qa=403, sup=403, other=204, admin=204)),
        ("GET", "/api/v1/users/mx", "/api/v1/users/{username}", None,
         dict(none=401, qa=403, sup=404, other=404, admin=404)),
        ("GET", "/api/v1/users/carl", "/api/v1/users/{username}", None,   # beta's
         dict(none=401, qa=403, sup=404, admin=404)),
        ("DELETE", "/api/v1/users/carl", "/api/v1/users/{username}", None,
         dict(none=401, qa=403, sup=403, admin=404)),
    ]
    for method, path, dpath, body, want in rows:
        assert method.lower() in doc["paths"][dpath], (method, dpath)
        for who in ("none", "qa", "sup", "other", "admin"):
            if who not in want:
                continue
            st, b, _ = api.call(method, path, tok[who], body)
            assert st == want[who], f"{method} {path} as {who}: {st} {b}"
            if isinstance(b, dict):
                check_response(doc, method, dpath, st, b)
    assert "carl" not in users() and "alice" not in users(tok["other"])

    b = post("/api/v1/users", ZOE)
    check_response(doc, "POST", "/api/v1/users", 201, b)
    assert "secret" not in json.dumps(b) and "zoe-pw" not in json.dumps(b), b
    assert b == {"username": "zoe", "name": "Zoe", "roles": ["agent"], "sip": {"user": "zoe"},
                 "queues": {"apiq": 0}, "skills": {"french": 1}, "auto_ready": True,
                 "source": "api"}, b
    assert users()["zoe"]["source"] == "api" and users()["alice"]["source"] == "file"
    z = api.login("acme", "zoe", "zoe-secret")
    st, b, _ = api.call("GET", "/api/v1/me", z)
    assert st == 200 and b["roles"] == ["agent"], (st, b)
    post("/api/v1/users", dict(ZOE, username="zed"), 409)   # zoe's SIP user
elif step == "skill":
    assert staffed("apiq") == 1 and staffed("frq") == 0   # zoe is ready, below frq's level
    body = {k: v for k, v in ZOE.items() if k != "password"}
    body["sip"] = {"user": "zoe"}
    body["skills"] = {"french": 3}
    st, b, _ = api.call("PUT", "/api/v1/users/zoe", ada, body)
    assert st == 200 and b["skills"] == {"french": 3}, (st, b)
    check_response(doc, "PUT", "/api/v1/users/{username}", st, b)
    assert staffed("frq") == 1, "zoe did not join frq by her new level"
    z = api.login("acme", "zoe", "zoe-secret")   # the password stayed
    st, b, _ = api.call("GET", "/api/v1/agents/zoe/states", z)   # her state history
    assert st == 200 and any(x["state"] == "ready" for x in b["items"]), (st, b)
    check_response(doc, "GET", "/api/v1/agents/{username}/states", st, b)
    for who in ("other", "qa"):
        st, b, _ = api.call("GET", "/api/v1/agents/zoe/states", tok[who])
        assert st == 404, (who, st, b)
    st, b, _ = api.call("GET", "/api/v1/agents/nobody/states", tok["sup"])
    assert st == 404, (st, b)
elif step == "delete":
    st, b, _ = api.call("DELETE", "/api/v1/users/zoe", ada)
    assert st == 204, (st, b)
    st, b, _ = api.call("POST", "/api/v1/login", body={"tenant": "acme", "username": "zoe",
                                                       "password": "zoe-secret"})
    assert st == 401, (st, b)
    assert "zoe" not in users()
    post("/api/v1/users", {"username": "yan", "password": "yan-secret", "roles": ["supervisor"]})
elif step == "after-restart":
    assert users()["yan"]["roles"] == ["supervisor"] and "zoe" not in users()
    y = api.login("acme", "yan", "yan-secret")
    st, b, _ = api.call("GET", "/api/v1/agents", y)
    assert st == 200, (st, b)
    st, b, _ = api.call("GET", "/api/v1/audit", ada)
    au = [(a["action"], a.get("detail") or "") for a in b["items"]
          if a["object"] == "user" and a["key"] == "zoe"]
    assert [a for a, _ in au] == ["create", "update", "delete"], au
    assert "password" in au[0][1] and "secret" not in json.dumps(b), au
    db = sqlite3.connect(sys.argv[3])
    for row in db.execute("SELECT username, body, password_hash FROM users"):
        assert "secret" not in (row[1] or "") and "-pw" not in (row[1] or ""), row
    src = dict(db.execute("SELECT username, source FROM users WHERE tenant = 'acme'"))
    assert src["yan"] == "api" and src["ada"] == "file", src
    h = db.execute("SELECT password_hash FROM users WHERE username = 'yan'").fetchone()[0]
    assert h.startswith("$argon2id$"), h
print("ok")
