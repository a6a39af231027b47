"""Numbers through the API for t-api-numbers.sh. usage: api_numbers.py PORT STEP
  create         errors first, then 555 -> sales (201, source api)
  recreate       555 -> sales again
  reroute        555 -> support (200)
  delete         555 removed (204), gone from the list; 404 the second time
  after-restart  555 -> sales listed as the API's; the audit log has the changes"""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
step = sys.argv[2]
ada = api.login("acme", "ada", "ada-secret")
carl = api.login("beta", "carl", "carl-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")


def numbers(token=ada):
    st, b, _ = api.call("GET", "/api/v1/numbers", token)
    assert st == 200, (st, b)
    check_response(doc, "GET", "/api/v1/numbers", st, b)
    return {n["number"]: n for n in b["items"]}


if step == "create":
    for body, status, field in (
            ({"number": "200", "queue": "sales"}, 409, "number"),    # the file's
            ({"number": "900", "queue": "sales"}, 409, "number"),    # beta's
            ({"number": "556", "queue": "nope"}, 400, "queue"),
            ({"number": "557", "queue": "sales", "bogus": 1}, 400, "bogus"),
            ({"number": "558", "queue": "sales", "priority": "x"}, 400, "priority"),
            ({"number": "55a", "queue": "sales"}, 400, "number"),
            ({"queue": "sales"}, 400, "number")):
        st, b, _ = api.call("POST", "/api/v1/numbers", ada, body)
        assert st == status and b["error"].get("field") == field, (body, st, b)
    st, b, _ = api.call("PUT", "/api/v1/numbers/200", ada, {"queue": "sales"})
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
    st, b, _ = api.call("DELETE", "/api/v1/numbers/200", ada)
    assert st == 409, (st, b)
    st, b, _ = api.call("POST", "/api/v1/numbers", carl, {"number": "555", "queue": "bq"})
    assert st == 201, (st, b)  # beta may have 555 for a while ...
    st, b, _ = api.call("POST", "/api/v1/numbers", ada, {"number": "555", "queue": "sales"})
    assert st == 409, (st, b)  # ... and then acme may not
    st, b, _ = api.call("DELETE", "/api/v1/numbers/555", carl)
    assert st == 204, (st, b)
    st, b, _ = api.call("POST", "/api/v1/numbers", ada, {"number": "555", "queue": "sales"})
    assert st == 201 and b == {"number": "555", "queue": "sales", "source": "api"}, (st, b)
    check_response(doc, "POST", "/api/v1/numbers", st, b)
    n = numbers()
    assert n["200"]["source"] == "file" and n["555"]["queue"] == "sales", n
    assert "555" not in numbers(carl), numbers(carl)
elif step == "recreate":
    st, b, _ = api.call("POST", "/api/v1/numbers", ada, {"number": "555", "queue": "sales"})
    assert st == 201 and b["queue"] == "sales", (st, b)
elif step == "reroute":
    st, b, _ = api.call("PUT", "/api/v1/numbers/555", ada, {"queue": "support", "priority": 5})
    assert st == 200 and b["queue"] == "support" and b["priority"] == 5, (st, b)
    st, b, _ = api.call("PUT", "/api/v1/numbers/555", ada, {"number": "556", "queue": "sales"})
    assert st == 400, (st, b)
    assert numbers()["555"]["queue"] == "support"
elif step == "delete":
    st, b, _ = api.call("DELETE", "/api/v1/numbers/555", ada)
    assert st == 204, (st, b)
    assert "555" not in numbers()
    st, b, _ = api.call("DELETE", "/api/v1/numbers/555", ada)
    assert st == 404, (st, b)
elif step == "after-restart":
    n = numbers()
    assert n["555"] == {"number": "555", "queue": "sales", "source": "api"}, n
    st, b, _ = api.call("GET", "/api/v1/audit", ada)
    acts = [a["action"] for a in b["items"] if a["object"] == "number" and a["key"] == "555"]
    assert acts == ["create", "update", "delete", "create"], acts
    st, b, _ = api.call("GET", "/api/v1/audit", carl)
    acts = [a["action"] for a in b["items"] if a["object"] == "number" and a["key"] == "555"]
    assert acts == ["create", "delete"], acts
print("ok")
