"""Queue hours from an API calendar, and a flow change stored after its client left, for
t-api-queue-hours.sh. usage: api_queue_hours.py API_PORT STEP"""
import json
import socket
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
step = sys.argv[2]
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200, st
admin = api.login("acme", "ada", "ada-secret")
C, CN = "/api/v1/calendars", "/api/v1/calendars/{id}"
Q, QN = "/api/v1/queues", "/api/v1/queues/{id}"
FN = "/api/v1/flows/{name}"


def call(method, path, body=None, dpath=None, want=None):
    st, b, _ = api.call(method, path, admin, body)
    if dpath:
        check_response(doc, method, dpath, st, b)
    if want is not None:
        assert st == want, f"{method} {path}: {st}, expected {want}: {b}"
    return st, b


def audit_has(obj, key, action):
    st, b = call("GET", "/api/v1/audit", want=200)
    return any((e["object"], e["key"], e["action"]) == (obj, key, action) for e in b["items"])


if step == "setup":
    call("POST", C, {"id": "shop", "weekly": {"daily": "closed"}}, C, 201)
    # An API calendar is a queue's hours; an unknown one is not.
    st, b = call("POST", Q, {"id": "sales", "hours": "nope"}, Q, 400)
    assert b["error"]["field"] == "hours", b
    st, b = call("POST", Q, {"id": "sales", "hours": "shop", "max_wait": "1s",
                             "overflow": {"hangup": True}}, Q, 201)
    assert b["config"]["hours"] == "shop", b
    call("POST", "/api/v1/numbers", {"number": "600", "queue": "sales"}, want=201)
    # A calendar a queue's hours name cannot go.
    st, b = call("DELETE", "/api/v1/calendars/shop", None, CN, 409)
    assert b["error"]["code"] == "in_use" and "sales" in b["error"]["message"], b
    print("setup ok")

elif step == "open":
    st, b = call("PUT", "/api/v1/calendars/shop", {"weekly": {"daily": "24h"}}, CN, 200)
    print("open ok")

elif step == "gone":
    # A flow PUT whose client leaves before the answer (its prompt is still rendering):
    # the change goes live and is stored all the same.
    body = json.dumps({"start": "hello", "nodes": {
        "hello": {"type": "play", "prompt": {"tts": "Stored without a client.", "lang": "en"},
                  "next": "bye"},
        "bye": {"type": "hangup"}}})
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall((f"PUT /api/v1/flows/gone HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"Authorization: Bearer {admin}\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
    s.close()
    for _ in range(100):
        if audit_has("flow", "gone", "create"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the flow made without a client was not stored")
    st, b = call("GET", "/api/v1/flows/gone", None, FN, 200)
    assert b["version"] == 1, b
    print("gone ok")

elif step == "restarted":
    st, b = call("GET", "/api/v1/flows/gone", None, FN, 200)
    assert b["source"] == "api" and b["version"] == 1, b
    st, b = call("GET", "/api/v1/queues/sales", None, QN, 200)
    assert b["config"]["hours"] == "shop", b
    call("DELETE", "/api/v1/numbers/600", want=204)
    call("DELETE", "/api/v1/queues/sales", None, QN, 204)
    call("DELETE", "/api/v1/calendars/shop", None, CN, 204)
    print("restarted ok")
else:
    raise SystemExit(f"unknown step {step}")
