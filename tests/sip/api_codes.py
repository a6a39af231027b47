"""Reason codes and dispositions through the API for t-api-codes.sh.
usage: api_codes.py PORT STEP
  change         errors, the access matrix, a reason code an agent uses at once and
                 keeps after its removal, a disposition the engine accepts at once
  after-restart  the codes the API added are back, marked as the API's; audit entries"""
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


def codes(kind, token=ada):
    st, b, _ = api.call("GET", f"/api/v1/{kind}", token)
    assert st == 200, (st, b)
    check_response(doc, "GET", f"/api/v1/{kind}", st, b)
    return {c["code"]: c["source"] for c in b["items"]}


if step == "change":
    assert codes("reason-codes", tok["agent"]) == {"lunch": "file", "break": "file"}
    for kind in ("reason-codes", "dispositions"):
        for body, status, field in (({"code": "lunch" if kind[0] == "r" else "sale"}, 409, "code"),
                                    ({"code": "two words"}, 400, "code"),
                                    ({"code": "x" * 32}, 400, "code"),
                                    ({"code": "ok", "extra": 1}, 400, "extra"),
                                    ({}, 400, "code")):
            st, b, _ = api.call("POST", f"/api/v1/{kind}", ada, body)
            assert st == status and b["error"].get("field") == field, (kind, body, st, b)
        rows = [("POST", f"/api/v1/{kind}", f"/api/v1/{kind}", {"code": "mx"},
                 dict(none=401, agent=403, sup=403, qa=403, other=201, admin=201)),
                ("PUT", f"/api/v1/{kind}/mx", f"/api/v1/{kind}/{{code}}", None,
                 dict(none=401, agent=403, sup=403, qa=403, other=200, admin=200)),
                ("GET", f"/api/v1/{kind}", f"/api/v1/{kind}", None,
                 dict(none=401, agent=200, sup=200, qa=200, other=200, admin=200)),
                ("DELETE", f"/api/v1/{kind}/mx", f"/api/v1/{kind}/{{code}}", None,
                 dict(none=401, agent=403, sup=403, qa=403, other=204, admin=204)),
                ("DELETE", f"/api/v1/{kind}/mx", f"/api/v1/{kind}/{{code}}", None,
                 dict(none=401, agent=403, other=404, admin=404))]
        for method, path, dpath, body, want in rows:
            for who in ("none", "agent", "sup", "qa", "other", "admin"):
                if who not in want:
                    continue
                st, b, _ = api.call(method, path, tok[who], body)
                assert st == want[who], f"{method} {path} as {who}: {st} {b}"
                if isinstance(b, dict):
                    check_response(doc, method, dpath, st, b)

    # A reason code the API adds is usable at once, and only in its tenant.
    st, b, _ = api.call("POST", "/api/v1/reason-codes", ada, {"code": "mentoring"})
    assert st == 201 and b == {"code": "mentoring", "source": "api"}, (st, b)
    check_response(doc, "POST", "/api/v1/reason-codes", st, b)
    assert "mentoring" not in codes("reason-codes", tok["other"])
    st, b, _ = api.call("PUT", "/api/v1/agents/me/state", tok["agent"],
                        {"state": "not_ready", "reason": "mentoring"})
    assert st == 200 and b["reason"] == "mentoring", (st, b)
    st, b, _ = api.call("PUT", "/api/v1/agents/carl/state", tok["other"],
                        {"state": "not_ready", "reason": "mentoring"})
    assert st == 400, (st, b)
    # Removed, it is refused from then on; the agent in it keeps it.
    st, b, _ = api.call("DELETE", "/api/v1/reason-codes/mentoring", ada)
    assert st == 204, (st, b)
    st, b, _ = api.call("GET", "/api/v1/agents/me", tok["agent"])
    assert b["reason"] == "mentoring", b
    st, b, _ = api.call("PUT", "/api/v1/agents/me/state", tok["agent"],
                        {"state": "not_ready", "reason": "mentoring"})
    assert st == 400, (st, b)
    st, b, _ = api.call("PUT", "/api/v1/reason-codes/coaching", ada)
    assert st == 201, (st, b)
    st, b, _ = api.call("PUT", "/api/v1/reason-codes/coaching", ada)
    assert st == 200, (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/reason-codes/lunch", ada)
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)

    # A disposition the API adds is accepted at once (the engine checks codes).
    st, b, _ = api.call("PUT", "/api/v1/interactions/NOPE/disposition", tok["agent"],
                        {"code": "escalated"})
    assert st == 400 and b["error"]["field"] == "code", (st, b)
    st, b, _ = api.call("POST", "/api/v1/dispositions", ada, {"code": "escalated"})
    assert st == 201, (st, b)
    st, b, _ = api.call("PUT", "/api/v1/interactions/NOPE/disposition", tok["agent"],
                        {"code": "escalated"})
    assert st == 404, (st, b)
    assert codes("dispositions") == {"sale": "file", "no_sale": "file", "escalated": "api"}
elif step == "after-restart":
    assert codes("reason-codes") == {"lunch": "file", "break": "file", "coaching": "api"}, \
        codes("reason-codes")
    assert codes("dispositions")["escalated"] == "api"
    st, b, _ = api.call("GET", "/api/v1/audit", ada)
    acts = [(a["object"], a["key"], a["action"]) for a in b["items"]
            if a["object"] in ("reason_code", "disposition")]
    assert ("reason_code", "mentoring", "create") in acts and \
        ("reason_code", "mentoring", "delete") in acts and \
        ("disposition", "escalated", "create") in acts, acts
print("ok")
