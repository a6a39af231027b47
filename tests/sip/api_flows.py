"""Flows and calendars through the API, one step of t-api-flows.sh per invocation; every
answer is checked against the OpenAPI document. usage: api_flows.py API_PORT STEP"""
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
step = sys.argv[2]
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200, st



class Token(str):
    """Logs in when first used (each login costs an Argon2id check)."""
    _cache = {}

    def __new__(cls, tenant, user, pw):
        o = str.__new__(cls, user)
        o.who = (tenant, user, pw)
        return o


def tok(t):
    if isinstance(t, Token):
        if t.who not in Token._cache:
            Token._cache[t.who] = api.login(*t.who)
        return Token._cache[t.who]
    return t


admin = Token("acme", "ada", "ada-secret")
sup = Token("acme", "bob", "bob-secret")
other = Token("beta", "carl", "carl-secret")


def call(method, path, token, body=None, dpath=None, want=None):
    st, b, _ = api.call(method, path, tok(token), body)
    if dpath:
        check_response(doc, method, dpath, st, b)
    if want is not None:
        assert st == want, f"{method} {path}: {st}, expected {want}: {b}"
    return st, b


def menu_flow(branch, text):
    """A menu whose digit 1 goes to node `branch`; its prompt is spoken by TTS."""
    return {"start": "menu", "nodes": {
        "menu": {"type": "menu", "prompt": {"tts": text, "lang": "en"}, "timeout": "10s",
                 "retries": 0, "options": {"1": branch}, "no_input": "bye", "invalid": "bye"},
        branch: {"type": "hangup"},
        "bye": {"type": "hangup"}}}


def hours_flow(cal):
    return {"start": "when", "nodes": {
        "when": {"type": "hours", "calendar": cal, "open": "opened", "closed": "closed",
                 "holiday": "closed"},
        "opened": {"type": "hangup"}, "closed": {"type": "hangup"}}}


F, FN = "/api/v1/flows", "/api/v1/flows/{name}"
C, CN = "/api/v1/calendars", "/api/v1/calendars/{id}"

if step == "setup":
    body = dict(menu_flow("one", "Version one. Press one."), name="live")
    st, b = call("POST", F, admin, body, F, 201)
    assert b["name"] == "live" and b["source"] == "api" and b["version"] == 1, b
    assert b["flow"]["nodes"]["menu"]["options"] == {"1": "one"}, b
    call("POST", F, admin, body, F, 409)  # a second POST of the name is refused
    call("POST", "/api/v1/numbers", admin, {"number": "555", "flow": "live"}, want=201)
    st, b = call("POST", C, admin, {"id": "biz", "weekly": {"daily": "closed"}}, C, 201)
    assert b["id"] == "biz" and b["source"] == "api" and b["calendar"]["weekly"], b
    call("POST", F, admin, dict(hours_flow("biz"), name="timed"), F, 201)
    call("POST", "/api/v1/numbers", admin, {"number": "556", "flow": "timed"}, want=201)
    # A calendar a flow uses cannot go; a flow a number routes to neither.
    st, b = call("DELETE", "/api/v1/calendars/biz", admin, None, CN, 409)
    assert b["error"]["code"] == "in_use" and "timed" in b["error"]["message"], b
    st, b = call("DELETE", "/api/v1/flows/timed", admin, None, FN, 409)
    assert b["error"]["code"] == "in_use" and "556" in b["error"]["message"], b
    # The file's objects are the file's.
    st, b = call("PUT", "/api/v1/flows/main", admin, menu_flow("x", "x"), FN, 409)
    assert b["error"]["code"] == "owned_by_file" and "line" in b["error"]["message"], b
    st, b = call("DELETE", "/api/v1/calendars/filecal", admin, None, CN, 409)
    assert b["error"]["code"] == "owned_by_file", b
    # Roles and tenants: a supervisor reads, only an admin writes; beta sees nothing.
    st, b = call("GET", F, sup, None, F, 200)
    assert sorted(f["name"] for f in b["items"]) == ["live", "main", "timed"], b
    st, b = call("GET", "/api/v1/flows/main", sup, None, FN, 200)
    assert b["source"] == "file" and b["version"] == 1, b
    call("PUT", "/api/v1/flows/live", sup, menu_flow("x", "x"), FN, 403)
    call("GET", "/api/v1/flows/live", other, None, FN, 404)
    call("GET", "/api/v1/flows/live/versions", other, None, FN + "/versions", 404)
    call("GET", "/api/v1/calendars/biz", other, None, CN, 404)
    st, b = call("GET", F, other, None, F, 200)
    assert b["items"] == [], b
    call("DELETE", "/api/v1/flows/live", other, None, FN, 404)
    print("setup ok")

elif step == "invalid":
    # A branch to a node that does not exist: 400 with the node path, nothing changes.
    st, b = call("PUT", "/api/v1/flows/live", admin, menu_flow("one", "x") | {
        "nodes": dict(menu_flow("one", "x")["nodes"],
                      menu=dict(menu_flow("one", "x")["nodes"]["menu"],
                                options={"1": "nowhere"}))}, FN, 400)
    assert b["error"]["code"] == "invalid_field", b
    assert b["error"]["field"] == "nodes.menu.options.1", b
    assert "nowhere" in b["error"]["message"], b
    st, b = call("PUT", "/api/v1/flows/live", admin, {"start": "menu", "nodes": {}, "bad": 1},
                 FN, 400)
    st, b = call("PUT", "/api/v1/calendars/biz", admin, {"weekly": {"someday": "09:00-10:00"}},
                 CN, 400)
    assert b["error"]["field"].startswith("weekly"), b
    st, b = call("GET", "/api/v1/flows/live", admin, None, FN, 200)
    assert b["version"] == 1 and b["latest"] == 1, b
    assert b["flow"]["nodes"]["menu"]["options"] == {"1": "one"}, b
    print("invalid ok")

elif step == "v2":
    t0 = time.time()
    st, b = call("PUT", "/api/v1/flows/live", admin, menu_flow("two", "Version two. Press one."),
                 FN, 200)
    assert b["version"] == 2 and b["latest"] == 2, b
    print(f"v2 live after {time.time() - t0:.2f} s")

elif step == "draft":
    st, b = call("PUT", "/api/v1/flows/live?publish=false", admin,
                 menu_flow("three", "Version three."), FN, 200)
    assert b["version"] == 2 and b["latest"] == 3, b
    st, b = call("GET", "/api/v1/flows/live/versions", sup, None, FN + "/versions", 200)
    assert [(v["version"], v["published"], v["by"]) for v in b["items"]] == [
        (3, False, "api:ada"), (2, True, "api:ada"), (1, False, "api:ada")], b
    st, b = call("GET", "/api/v1/flows/live/versions/3", sup, None, FN + "/versions/{n}", 200)
    assert b["flow"]["nodes"]["menu"]["options"] == {"1": "three"}, b
    call("GET", "/api/v1/flows/live/versions/9", sup, None, FN + "/versions/{n}", 404)
    call("POST", "/api/v1/flows/live/versions/1/publish", sup, None,
         FN + "/versions/{n}/publish", 403)
    print("draft ok")

elif step == "rollback":
    st, b = call("POST", "/api/v1/flows/live/versions/1/publish", admin, None,
                 FN + "/versions/{n}/publish", 200)
    assert b["version"] == 1 and b["latest"] == 3, b
    print("rollback ok")

elif step == "open":
    st, b = call("PUT", "/api/v1/calendars/biz", admin, {"weekly": {"daily": "24h"}}, CN, 200)
    assert b["calendar"] == {"weekly": {"daily": "24h"}}, b
    print("open ok")

elif step == "reloaded":
    st, b = call("GET", "/api/v1/flows/main", admin, None, FN, 200)
    assert b["source"] == "file" and b["version"] == 2, b
    assert "second" in b["flow"]["nodes"], b
    st, b = call("GET", "/api/v1/flows/main/versions", admin, None, FN + "/versions", 200)
    assert [(v["version"], v["by"]) for v in b["items"]] == [(2, "file"), (1, "file")], b
    print("reloaded ok")

elif step == "restarted":
    st, b = call("GET", "/api/v1/flows/live", admin, None, FN, 200)
    assert b["source"] == "api" and b["version"] == 1 and b["latest"] == 3, b
    st, b = call("GET", "/api/v1/calendars/biz", admin, None, CN, 200)
    assert b["calendar"] == {"weekly": {"daily": "24h"}}, b
    st, b = call("GET", "/api/v1/audit", admin)
    keys = {(e["object"], e["key"]) for e in b["items"]}
    assert ("flow", "live") in keys and ("calendar", "biz") in keys, keys
    # Removing: the number first, then the flow; the calendar once no flow uses it.
    call("DELETE", "/api/v1/numbers/556", admin, want=204)
    call("DELETE", "/api/v1/flows/timed", admin, None, FN, 204)
    call("DELETE", "/api/v1/calendars/biz", admin, None, CN, 204)
    call("GET", "/api/v1/calendars/biz", admin, None, CN, 404)
    print("restarted ok")
else:
    raise SystemExit(f"unknown step {step}")
