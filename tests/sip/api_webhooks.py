"""Webhooks and API keys through the real server (tests/sip/t-api-webhooks.sh).

usage:
  api_webhooks.py receiver PORT SECRETS_JSON LOG   a webhook receiver on 127.0.0.1:PORT;
      SECRETS_JSON maps a URL path to its webhook's secret. Every POST is checked
      (X-Centrala-Timestamp, X-Centrala-Signature = sha256=HMAC(secret, "TS.BODY")) and
      written to LOG as one JSON line {path, sig_ok, headers, event}; a bad signature is
      answered 401, a good one 200.
  api_webhooks.py before HTTP_PORT RX_PORT WORK    CRUD, access matrix, keys, a delivery
      retried after the receiver came up late, and one left pending with the receiver down.
  api_webhooks.py after HTTP_PORT RX_PORT WORK     after a restart: the key still works, the
      API's webhook is back, the pending delivery arrives.
Standard library only.
"""
import hashlib
import hmac
import http.server
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import Api, check_response  # noqa: E402

FILE_SECRET = "file-hook-secret-0123456789"
API_SECRET = "api-hook-secret-abcdefghijkl"
NEW_SECRET = "api-hook-secret-rotated-000000"


def receiver(port, secrets, log):
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            ts = self.headers.get("X-Centrala-Timestamp", "")
            sig = self.headers.get("X-Centrala-Signature", "")
            secret = secrets.get(self.path, "")
            want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
            ok = bool(secret) and hmac.compare_digest(want, sig) and \
                abs(time.time() - int(ts or 0)) < 300
            rec = {"path": self.path, "sig_ok": ok,
                   "headers": {k: v for k, v in self.headers.items()
                               if k.lower().startswith("x-centrala") or k == "Content-Type"},
                   "event": json.loads(body)}
            with open(log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", port), H)
    deadline = time.time() + 240  # bounded: the test never needs it longer
    srv.timeout = 0.5
    while time.time() < deadline:
        srv.handle_request()


class Rx:
    """The receiver as a child process, started and stopped by the test."""

    def __init__(self, port, work):
        self.port, self.log, self.p = port, os.path.join(work, "received.jsonl"), None
        self.secrets = {"/crm": FILE_SECRET, "/api-hook": API_SECRET}

    def start(self):
        self.p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "receiver",
                                   str(self.port), json.dumps(self.secrets), self.log])
        deadline = time.time() + 5
        import socket
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the receiver did not start")

    def stop(self):
        if self.p:
            self.p.terminate()
            self.p.wait(5)
            self.p = None

    def received(self):
        try:
            return [json.loads(x) for x in open(self.log) if x.strip()]
        except FileNotFoundError:
            return []

    def wait(self, pred, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [r for r in self.received() if pred(r)]
            if got:
                return got
            time.sleep(0.1)
        raise AssertionError(f"not received within {timeout} s: {what}; got {self.received()}")


def wait_for(f, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = f()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def deliveries(api, tok, hook):
    st, b, _ = api.call("GET", f"/api/v1/webhooks/{hook}/deliveries", tok)
    assert st == 200, (st, b)
    return b["items"]


def before(api, rx, work):
    call = api.call
    st, doc, _ = call("GET", "/api/v1/openapi.json")
    tok = {r: api.login(*a) for r, a in {
        "agent": ("acme", "alice", "alice-secret"),
        "sup": ("acme", "bob", "bob-secret"),
        "admin": ("acme", "ada", "ada-secret"),
        "qa": ("acme", "quinn", "quinn-secret"),
        "other": ("beta", "carl", "carl-secret"),
    }.items()}
    tok["none"] = None
    adm = tok["admin"]

    # ---- the file's webhook, read-only here; secrets never shown ----
    st, b, _ = call("GET", "/api/v1/webhooks", adm)
    check_response(doc, "GET", "/api/v1/webhooks", st, b)
    assert [w["id"] for w in b["items"]] == ["crm", "offers"], b
    crm = b["items"][0]
    assert crm["source"] == "file" and crm["events"] == ["*"] and "secret" not in crm, crm
    assert crm["url"] == f"http://127.0.0.1:{rx.port}/crm", crm

    # ---- validation ----
    bad = [
        ({"url": "ftp://x/", "events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:1/", "events": []}, "events"),
        ({"url": "http://127.0.0.1:1/", "events": ["agent.nope"]}, "events"),
        ({"url": "http://127.0.0.1:1/", "events": ["*"], "secret": "short"}, "secret"),
        ({"url": "http://127.0.0.1:1/", "events": ["*"], "id": "a b"}, "id"),
        ({"url": "http://127.0.0.1:1/", "events": ["*"], "extra": 1}, "extra"),
        ({"events": ["*"]}, "url"),
    ]
    for body, field in bad:
        st, b, _ = call("POST", "/api/v1/webhooks", adm, body)
        assert st == 400 and b["error"]["field"] == field, (body, st, b)
        check_response(doc, "POST", "/api/v1/webhooks", st, b)
    st, b, _ = call("POST", "/api/v1/webhooks", adm,
                    {"id": "crm", "url": "http://127.0.0.1:1/", "events": ["*"]})
    assert st == 409 and b["error"]["code"] == "owned_by_file", (st, b)
    assert "webhook crm is defined in the configuration file (line " in b["error"]["message"], b

    # ---- create, read, replace through the API ----
    st, b, _ = call("POST", "/api/v1/webhooks", adm,
                    {"id": "api-hook", "url": "http://127.0.0.1:1/wrong",
                     "events": ["contact.offered"], "secret": API_SECRET})
    assert st == 201 and b["secret"] == API_SECRET and b["source"] == "api", (st, b)
    check_response(doc, "POST", "/api/v1/webhooks", st, b)
    st, b, _ = call("POST", "/api/v1/webhooks", adm,
                    {"url": "http://127.0.0.1:1/made", "events": ["agent.state"]})
    assert st == 201 and len(b["secret"]) == 43 and b["id"], (st, b)
    made = b["id"]
    st, b, _ = call("POST", "/api/v1/webhooks", adm,
                    {"id": "api-hook", "url": "http://127.0.0.1:1/", "events": ["*"]})
    assert st == 409 and b["error"]["code"] == "exists", (st, b)
    st, b, _ = call("GET", "/api/v1/webhooks/api-hook", adm)
    assert st == 200 and "secret" not in b and b["events"] == ["contact.offered"], b
    check_response(doc, "GET", "/api/v1/webhooks/{id}", st, b)
    st, b, _ = call("PUT", "/api/v1/webhooks/api-hook", adm,
                    {"url": f"http://127.0.0.1:{rx.port}/api-hook", "events": ["agent.state"]})
    assert st == 200 and "secret" not in b and b["events"] == ["agent.state"], (st, b)
    check_response(doc, "PUT", "/api/v1/webhooks/{id}", st, b)
    st, b, _ = call("PUT", "/api/v1/webhooks/api-hook", adm,
                    {"url": f"http://127.0.0.1:{rx.port}/api-hook", "events": ["agent.state"],
                     "id": "x"})
    assert st == 400 and b["error"]["field"] == "id", (st, b)
    st, b, _ = call("DELETE", f"/api/v1/webhooks/{made}", adm)
    assert st == 204, (st, b)
    st, b, _ = call("GET", f"/api/v1/webhooks/{made}", adm)
    assert st == 404, (st, b)

    # ---- the access matrix of the new endpoints ----
    hook = {"url": "http://127.0.0.1:1/", "events": ["*"]}
    matrix = [
        ("GET", "/api/v1/webhooks", "/api/v1/webhooks", None,
         dict(none=401, agent=403, sup=403, admin=200, qa=403, other=200)),
        ("POST", "/api/v1/webhooks", "/api/v1/webhooks", {"events": ["*"]},
         dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
        ("GET", "/api/v1/webhooks/crm", "/api/v1/webhooks/{id}", None,
         dict(none=401, agent=403, sup=403, admin=200, qa=403, other=404)),
        ("PUT", "/api/v1/webhooks/crm", "/api/v1/webhooks/{id}", hook,
         dict(none=401, agent=403, sup=403, admin=409, qa=403, other=404)),
        ("PUT", "/api/v1/webhooks/api-hook", "/api/v1/webhooks/{id}", hook,
         dict(none=401, agent=403, sup=403, qa=403, other=404)),
        ("DELETE", "/api/v1/webhooks/crm", "/api/v1/webhooks/{id}", None,
         dict(none=401, agent=403, sup=403, admin=409, qa=403, other=404)),
        ("DELETE", "/api/v1/webhooks/api-hook", "/api/v1/webhooks/{id}", None,
         dict(none=401, agent=403, sup=403, qa=403, other=404)),
        ("GET", "/api/v1/webhooks/crm/deliveries", "/api/v1/webhooks/{id}/deliveries", None,
         dict(none=401, agent=403, sup=403, admin=200, qa=403, other=404)),
        ("GET", "/api/v1/webhooks/NOPE/deliveries", "/api/v1/webhooks/{id}/deliveries", None,
         dict(none=401, agent=403, sup=403, admin=404, qa=403, other=404)),
        ("GET", "/api/v1/keys", "/api/v1/keys", None,
         dict(none=401, agent=403, sup=403, admin=200, qa=403, other=200)),
        ("POST", "/api/v1/keys", "/api/v1/keys", {"name": "x"},
         dict(none=401, agent=403, sup=403, admin=400, qa=403, other=400)),
        ("DELETE", "/api/v1/keys/NOPE", "/api/v1/keys/{id}", None,
         dict(none=401, agent=403, sup=403, admin=404, qa=403, other=404)),
    ]
    for method, path, dpath, body, want in matrix:
        assert dpath in doc["paths"] and method.lower() in doc["paths"][dpath], dpath
        for who, status in want.items():
            st, b, _ = call(method, path, tok[who], body)
            assert st == status, f"{method} {path} as {who}: {st}, expected {status}: {b}"
            if isinstance(b, dict):
                check_response(doc, method, dpath, st, b)
    print(f"access matrix: {sum(len(m[4]) for m in matrix)} requests as expected")
    st, b, _ = call("GET", "/api/v1/webhooks", tok["other"])
    assert [w["id"] for w in b["items"]] == ["beta-hook"], b

    # ---- delivery: the receiver is down first, then comes up; the event is retried ----
    assert not os.path.exists(rx.log)
    st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"], {"state": "ready"})
    assert st == 200, (st, b)
    d = wait_for(lambda: [x for x in deliveries(api, adm, "crm")
                          if x["attempts"] >= 1 and x["type"] == "agent.state"], 10,
                 "a failed first attempt in the delivery log")[0]
    assert d["state"] == "pending" and d["last_status"] is None and d["last_error"], d
    assert "next_attempt" in d, d
    check_response(doc, "GET", "/api/v1/webhooks/{id}/deliveries", 200,
                   {"items": [d], "next": None})
    first_seq = d["seq"]
    rx.start()
    got = rx.wait(lambda r: r["path"] == "/crm" and r["event"]["seq"] == first_seq, 20,
                  "the retried agent.state event")
    ev = got[0]
    assert ev["sig_ok"], ev
    assert ev["event"]["type"] == "agent.state" and ev["event"]["data"]["agent"] == "alice", ev
    assert ev["event"]["data"]["state"] == "ready", ev
    assert set(ev["event"]) == {"seq", "type", "time", "data"}, ev
    assert ev["headers"]["Content-Type"] == "application/json", ev
    assert ev["headers"]["X-Centrala-Event"] == "agent.state", ev
    d = wait_for(lambda: [x for x in deliveries(api, adm, "crm")
                          if x["seq"] == first_seq and x["state"] == "delivered"], 5,
                 "the delivery marked delivered")[0]
    assert d["attempts"] >= 2 and d["last_status"] == 200, d
    # The API's webhook (agent.state) got it too, with its own secret; the filtered one
    # (contact.offered only) got nothing.
    got = rx.wait(lambda r: r["path"] == "/api-hook" and r["event"]["seq"] == first_seq, 20,
                  "the API webhook's delivery")
    assert got[0]["sig_ok"], got
    assert deliveries(api, adm, "offers") == [], deliveries(api, adm, "offers")

    # A rotated secret signs the next delivery.
    st, b, _ = call("PUT", "/api/v1/webhooks/api-hook", adm,
                    {"url": f"http://127.0.0.1:{rx.port}/api-hook", "events": ["agent.state"],
                     "secret": NEW_SECRET})
    assert st == 200 and "secret" not in b, (st, b)
    st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"],
                    {"state": "not_ready", "reason": "lunch"})
    assert st == 200, (st, b)
    got = rx.wait(lambda r: r["path"] == "/api-hook" and r["event"]["data"].get("state") ==
                  "not_ready", 10, "the delivery signed with the new secret")
    assert not got[0]["sig_ok"], "signed with the old secret"
    # The receiver (which knows only the old secret) answered 401: the delivery retries.
    d = wait_for(lambda: [x for x in deliveries(api, adm, "api-hook")
                          if x["seq"] == got[0]["event"]["seq"] and x["last_status"] == 401],
                 5, "a 401 in the log")[0]
    assert d["state"] == "pending" and "401" in d["last_error"], d
    st, b, _ = call("DELETE", "/api/v1/webhooks/api-hook", adm)
    assert st == 204, (st, b)
    st, b, _ = call("POST", "/api/v1/webhooks", adm,
                    {"id": "api-hook", "url": f"http://127.0.0.1:{rx.port}/api-hook",
                     "events": ["agent.state"], "secret": API_SECRET})
    assert st == 201, (st, b)
    assert deliveries(api, adm, "api-hook") == [], "a deleted webhook's log stayed"

    # ---- API keys ----
    st, b, _ = call("POST", "/api/v1/keys", adm, {"name": "crm sync", "roles": ["nobody"]})
    assert st == 400 and b["error"]["field"] == "roles", (st, b)
    st, b, _ = call("POST", "/api/v1/keys", adm, {"name": "crm sync", "roles": ["supervisor"]})
    assert st == 201 and b["key"].startswith("ck_") and b["roles"] == ["supervisor"], (st, b)
    check_response(doc, "POST", "/api/v1/keys", st, b)
    key, key_id = b["key"], b["id"]
    st, b, _ = call("GET", "/api/v1/agents", key)
    assert st == 200 and "alice" in [a["username"] for a in b["items"]], (st, b)
    st, b, _ = call("GET", "/api/v1/webhooks", key)
    assert st == 403, (st, b)  # a supervisor's key is no admin
    st, b, _ = call("POST", "/api/v1/logout", key)
    assert st == 204, (st, b)
    st, b, _ = call("GET", "/api/v1/agents", key)
    assert st == 200, "logout revoked an API key"
    st, b, _ = call("GET", "/api/v1/keys", adm)
    check_response(doc, "GET", "/api/v1/keys", st, b)
    assert [k["id"] for k in b["items"]] == [key_id], b
    assert "key" not in b["items"][0] and b["items"][0]["created_by"] == "api:ada", b
    assert key not in json.dumps(b), b
    st, b, _ = call("GET", "/api/v1/keys", tok["other"])
    assert st == 200 and b["items"] == [], b
    st, b, _ = call("DELETE", f"/api/v1/keys/{key_id}", tok["other"])
    assert st == 404, (st, b)
    st, b, _ = call("DELETE", f"/api/v1/keys/{key_id}", adm)
    assert st == 204, (st, b)
    st, b, _ = call("GET", "/api/v1/agents", key)
    assert st == 401, (st, b)
    st, b, _ = call("GET", "/api/v1/keys", adm)
    assert b["items"] == [], b
    # An admin key, kept for after the restart.
    st, b, _ = call("POST", "/api/v1/keys", adm, {"name": "kept", "roles": ["admin"]})
    assert st == 201, (st, b)
    open(os.path.join(work, "key.txt"), "w").write(b["key"])
    st, b, _ = call("GET", "/api/v1/webhooks", b["key"])
    assert st == 200, (st, b)

    # ---- the audit log: who, what, which fields, never a secret ----
    st, b, _ = call("GET", "/api/v1/audit", adm)
    assert st == 200, (st, b)
    au = [(e["object"], e["key"], e["action"], e.get("detail")) for e in b["items"]
          if e["object"] in ("webhook", "api_key")]
    assert ("webhook", "api-hook", "create", "url,events,secret") in au, au
    assert ("webhook", "api-hook", "update", "url,events") in au, au
    assert ("webhook", "api-hook", "update", "url,events,secret") in au, au
    assert ("webhook", "api-hook", "delete", None) in au, au
    assert ("api_key", key_id, "create", "name,roles") in au, au
    assert ("api_key", key_id, "delete", None) in au, au
    assert all(e["actor"] == "api:ada" for e in b["items"]
               if e["object"] in ("webhook", "api_key")), b
    text = json.dumps(b)
    for s in (API_SECRET, NEW_SECRET, FILE_SECRET, key):
        assert s not in text, "a secret in the audit log"

    # ---- left pending for the restart: the receiver goes down, an event comes ----
    rx.stop()
    st, b, _ = call("PUT", "/api/v1/agents/me/state", tok["agent"], {"state": "logged_out"})
    assert st == 200, (st, b)
    d = wait_for(lambda: [x for x in deliveries(api, adm, "crm")
                          if x["attempts"] >= 1 and x["state"] == "pending"], 10,
                 "a pending delivery with the receiver down")[0]
    open(os.path.join(work, "pending.json"), "w").write(json.dumps(d))
    print("webhooks before the restart: ok")


def after(api, rx, work):
    call = api.call
    key = open(os.path.join(work, "key.txt")).read()
    pending = json.loads(open(os.path.join(work, "pending.json")).read())
    # The key was read back from the store: it works without anyone logging in.
    st, b, _ = call("GET", "/api/v1/webhooks", key)
    assert st == 200 and [w["id"] for w in b["items"]] == ["crm", "offers", "api-hook"], b
    assert b["items"][2]["source"] == "api" and "secret" not in b["items"][2], b
    d = [x for x in deliveries(api, key, "crm") if x["id"] == pending["id"]][0]
    assert d["state"] == "pending", d
    rx.start()
    got = rx.wait(lambda r: r["path"] == "/crm" and r["event"]["seq"] == pending["seq"] and
                  r["event"]["data"].get("state") == "logged_out", 30,
                  "the delivery left pending before the restart")
    assert got[0]["sig_ok"], got
    wait_for(lambda: [x for x in deliveries(api, key, "crm")
                      if x["id"] == pending["id"] and x["state"] == "delivered"], 5,
             "the pending delivery marked delivered")
    # The API's webhook, restored from the store, signs with its secret.
    got = rx.wait(lambda r: r["path"] == "/api-hook" and
                  r["event"]["data"].get("state") == "logged_out", 30,
                  "the API webhook's pending delivery")
    assert got[0]["sig_ok"], got
    rx.stop()
    print("webhooks after the restart: ok")


def main():
    mode = sys.argv[1]
    if mode == "receiver":
        receiver(int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4])
        return
    api = Api(int(sys.argv[2]))
    rx = Rx(int(sys.argv[3]), sys.argv[4])
    try:
        (before if mode == "before" else after)(api, rx, sys.argv[4])
    finally:
        rx.stop()


if __name__ == "__main__":
    main()
