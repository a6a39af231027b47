"""The OpenAPI document against the server's route table, both ways (t-api-openapi.sh).
usage: api_openapi.py PORT ROUTE_C DOC_FILE

Every route of src/api/route.c's table is in the document with its method, and every
operation of the document is a route of the table or one of the WebSocket endpoints the
server upgrades before routing. The document served is the file in the tree, byte for
byte. Each documented operation asked of the running server without a token (its path
parameters filled with a made-up value) is found: never 404 no such resource nor 405,
and 401 unless it is public."""
import json
import re
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, WebSocket  # noqa: E402

api = Api(int(sys.argv[1]))
src = open(sys.argv[2]).read()
st, served, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200, st
with open(sys.argv[3]) as f:
    assert served == json.load(f), "the document served is not src/api/openapi.json"
doc = served

table = src[src.index("static const struct route routes[] = {"):]
table = table[:table.index("};")]
routes = {}
for method, pattern, roles in re.findall(
        r'\{M_(GET|POST|PUT|PATCH|DELETE), "([^"]+)", ([^,]+),', table):
    routes[(method.lower(), pattern)] = roles.strip()
assert len(routes) > 100, f"the route table was not read: {len(routes)} routes"

METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
ops = {}
for path, item in doc["paths"].items():
    for method in item:
        if method in METHODS:
            ops[(method, re.sub(r"\{[^}/]+\}", "*", path))] = path
WEBSOCKETS = {("get", "/api/v1/events"), ("get", "/api/v1/public/chat")}

missing = sorted(set(routes) - set(ops))
assert not missing, f"routes the document does not describe: {missing}"
extra = sorted(set(ops) - set(routes) - WEBSOCKETS)
assert not extra, f"operations of the document the server does not route: {extra}"
for ws in WEBSOCKETS:
    assert ws in ops, f"the document lost the WebSocket endpoint {ws}"

# Asked of the running server: each operation is found.
PUBLIC = {k for k, roles in routes.items() if roles == "0"}
for (method, pattern), path in sorted(ops.items()):
    if (method, pattern) in WEBSOCKETS:
        continue
    url = pattern.replace("*", "x1")
    if (method, pattern) in PUBLIC:
        continue  # login, health, metrics, public callbacks: exercised by their own tests
    st, b, _ = api.call(method.upper(), url)
    assert st == 401, f"{method.upper()} {url} ({path}) without a token: {st} {b}"

# The WebSocket endpoints are the server's too: without a token the events socket is
# refused (the handshake is not answered with 101).
try:
    WebSocket(int(sys.argv[1]))
    raise AssertionError("the events socket opened without a token")
except ConnectionError as e:
    assert "101" not in str(e), e
print(f"ok: {len(routes)} routes, {len(ops)} operations")
