"""The operator role for t-api-operator.sh. usage: api_operator.py PORT
An operator of the service (the file's `operators`) logs in without a tenant, lists the
tenants and works in the one each request names (?tenant=); a tenant's own users never
reach another tenant, whatever they send."""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
call = api.call
st, doc, _ = call("GET", "/api/v1/openapi.json")

st, b, _ = call("POST", "/api/v1/login", body={"username": "ops", "password": "wrong"})
assert st == 401, (st, b)
st, b, _ = call("POST", "/api/v1/login", body={"tenant": "acme", "username": "ops",
                                               "password": "ops-secret"})
assert st == 401, (st, b)   # an operator is no tenant's user
st, b, _ = call("POST", "/api/v1/login", body={"username": "ops", "password": "ops-secret"})
assert st == 200 and "operator" in b["roles"], (st, b)
check_response(doc, "POST", "/api/v1/login", st, b)
ops = b["token"]
ada = api.login("acme", "ada", "ada-secret")
carl = api.login("beta", "carl", "carl-secret")

st, b, _ = call("GET", "/api/v1/me", ops)
assert st == 200 and b["username"] == "operator:ops" and b["tenant"] == "", b
st, b, _ = call("GET", "/api/v1/tenants", ops)
assert st == 200 and [t["id"] for t in b["items"]] == ["acme", "beta"], b
check_response(doc, "GET", "/api/v1/tenants", st, b)
for tok, want in ((ada, 403), (carl, 403), (None, 401)):
    st, b, _ = call("GET", "/api/v1/tenants", tok)
    assert st == want, (st, b)

st, b, _ = call("GET", "/api/v1/agents", ops)
assert st == 400 and b["error"]["code"] == "tenant_required", (st, b)
st, b, _ = call("GET", "/api/v1/agents?tenant=nope", ops)
assert st == 404, (st, b)
st, b, _ = call("GET", "/api/v1/users?tenant=acme", ops)
assert st == 200 and {u["username"] for u in b["items"]} == {"ada", "alice"}, b
st, b, _ = call("GET", "/api/v1/users?tenant=beta", ops)
assert st == 200 and {u["username"] for u in b["items"]} == {"carl"}, b

# Writes in the tenant named, audited with the operator as the actor.
st, b, _ = call("POST", "/api/v1/queues?tenant=beta", ops, {"id": "opq"})
assert st == 201, (st, b)
st, b, _ = call("GET", "/api/v1/queues/opq", carl)
assert st == 200 and b["source"] == "api", (st, b)
st, b, _ = call("GET", "/api/v1/queues/opq", ada)
assert st == 404, (st, b)
st, b, _ = call("GET", "/api/v1/audit?tenant=beta", ops)
assert st == 200 and any(a["actor"] == "api:operator:ops" and a["key"] == "opq"
                         for a in b["items"]), b

# A tenant's user naming another tenant stays in its own.
st, b, _ = call("GET", "/api/v1/queues?tenant=beta", ada)
assert st == 200 and "opq" not in [q["id"] for q in b["items"]], b
st, b, _ = call("DELETE", "/api/v1/queues/opq?tenant=beta", ada)
assert st == 404, (st, b)

# No events socket for a token without a tenant.
try:
    WebSocket(int(sys.argv[1]), token=ops)
    raise AssertionError("an operator's events socket was accepted")
except ConnectionError:
    pass
st, b, _ = call("POST", "/api/v1/logout", ops)
assert st == 204, (st, b)
st, b, _ = call("GET", "/api/v1/me", ops)
assert st == 401, (st, b)
print("ok")
