"""Trunks through the API for t-api-trunks.sh. usage: api_trunks.py PORT STEP [ARGS]
  create PORT_A   errors first, then trunk pstn -> carrier A (201, no password returned)
  move PORT_B     pstn -> carrier B without a password (200: the password is kept)
  delete          pstn removed (204), 404 the second time; the audit names no secret"""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response  # noqa: E402

SECRET = "trunk-secret"
api = Api(int(sys.argv[1]))
step = sys.argv[2]
ada = api.login("acme", "ada", "ada-secret")
sam = api.login("acme", "sam", "sam-secret")
carl = api.login("beta", "carl", "carl-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")


def no_secret(b):
    assert SECRET not in str(b) and "password" not in b, b


if step == "create":
    uri = f"sip:127.0.0.1:{sys.argv[3]}"
    for who, body, status, field in (
            (ada, {"id": "pstn"}, 400, "uri"),
            (ada, {"id": "pstn", "uri": "http://x"}, 400, "uri"),
            (ada, {"id": "pstn", "uri": uri, "bogus": 1}, 400, "bogus"),
            (ada, {"id": "pstn", "uri": uri, "srtp": "maybe"}, 400, "srtp"),
            (ada, {"id": "pstn", "uri": uri, "register": True}, 400, "register"),
            (ada, {"id": "bad id", "uri": uri}, 400, "id"),
            (carl, {"id": "bt", "uri": uri}, 409, "id")):     # beta's file trunk
        st, b, _ = api.call("POST", "/api/v1/trunks", who, body)
        assert st == status and b["error"].get("field") == field, (body, st, b)
        check_response(doc, "POST", "/api/v1/trunks", st, b)
    st, b, _ = api.call("PUT", "/api/v1/trunks/bt", carl, {"uri": uri})
    assert st == 409 and b["error"]["code"] == "owned_by_file" and "line" in \
        b["error"]["message"], (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/trunks/bt", carl)
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
    # Another tenant's trunk is not found; a supervisor reads but does not write.
    st, b, _ = api.call("GET", "/api/v1/trunks/bt", ada)
    assert st == 404, (st, b)
    st, b, _ = api.call("POST", "/api/v1/trunks", sam, {"id": "pstn", "uri": uri})
    assert st == 403, (st, b)
    body = {"id": "pstn", "uri": uri, "username": "centrala", "password": SECRET,
            "caller_id": "+48221234567"}
    st, b, _ = api.call("POST", "/api/v1/trunks", ada, body)
    assert st == 201, (st, b)
    check_response(doc, "POST", "/api/v1/trunks", st, b)
    no_secret(b)
    assert b == {"id": "pstn", "uri": uri, "username": "centrala", "password_set": True,
                 "caller_id": "+48221234567", "register": False, "source": "api"}, b
    st, b, _ = api.call("GET", "/api/v1/trunks", sam)
    assert st == 200 and [t["id"] for t in b["items"]] == ["pstn"], b
    check_response(doc, "GET", "/api/v1/trunks", st, b)
    no_secret(b["items"][0])
    st, b, _ = api.call("GET", "/api/v1/trunks", carl)
    assert [(t["id"], t["source"]) for t in b["items"]] == [("bt", "file")], b
    no_secret(b["items"][0])
elif step == "move":
    uri = f"sip:127.0.0.1:{sys.argv[3]}"
    st, b, _ = api.call("PUT", "/api/v1/trunks/pstn", ada,
                        {"uri": uri, "username": "centrala", "caller_id": "+48221234567"})
    assert st == 200 and b["uri"] == uri and b["password_set"], (st, b)
    check_response(doc, "PUT", "/api/v1/trunks/{id}", st, b)
    no_secret(b)
    st, b, _ = api.call("GET", "/api/v1/trunks/pstn", sam)
    assert st == 200 and b["uri"] == uri, (st, b)
    check_response(doc, "GET", "/api/v1/trunks/{id}", st, b)
elif step == "delete":
    # A queue that overflows through the trunk holds it.
    st, b, _ = api.call("POST", "/api/v1/queues", ada, {
        "id": "ovf", "max_wait": "1m", "overflow": {"number": "0048221234567", "trunk": "pstn"}})
    assert st == 201, (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/trunks/pstn", ada)
    assert st == 409 and b["error"]["code"] == "in_use" and \
        b["error"]["message"] == "queue ovf overflows through it", (st, b)
    check_response(doc, "DELETE", "/api/v1/trunks/{id}", st, b)
    st, b, _ = api.call("DELETE", "/api/v1/queues/ovf", ada)
    assert st == 204, (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/trunks/pstn", ada)
    assert st == 204, (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/trunks/pstn", ada)
    assert st == 404, (st, b)
    st, b, _ = api.call("GET", "/api/v1/trunks", ada)
    assert b["items"] == [], b
    st, b, _ = api.call("GET", "/api/v1/audit", ada)
    assert st == 200, (st, b)
    au = [(e["action"], e.get("detail")) for e in b["items"] if e["object"] == "trunk"]
    assert [a for a, _ in au] == ["create", "update", "delete"], au
    assert SECRET not in str(b), "a trunk's password is in the audit log"
    assert any(d and "password" in d for _, d in au), au   # the field is named
else:
    sys.exit(f"unknown step {step}")
print(f"trunks {step}: ok")
