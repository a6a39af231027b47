"""Webhook targets, bounded deliveries and their figures (tests/sip/t-api-webhook-limits.sh).

usage:
  api_webhook_limits.py receiver PORT WORK     a receiver on 127.0.0.1:PORT: POST /hold
      waits until WORK/release exists (at most 60 s), POST /fast answers at once; each
      request is logged to WORK/received.jsonl and the most requests held at once to
      WORK/held_max.
  api_webhook_limits.py refused HTTP_PORT RX_PORT WORK   http.webhooks.allow_private off:
      the API refuses targets written as loopback, link-local and private addresses, and a
      name that resolves to loopback is refused at delivery (failed, never sent).
  api_webhook_limits.py bounded HTTP_PORT RX_PORT WORK   allow_private on, per_target 2:
      acme's receiver holds its requests; at most 2 are in flight to it while beta's
      webhook still gets its deliveries; after the release all arrive; /metrics follows.
Standard library only.
"""
import http.server
import json
import os
import re
import socket
import socketserver
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import Api, check_response  # noqa: E402


def receiver(port, work):
    lock = threading.Lock()
    state = {"held": 0, "max": 0}
    release = os.path.join(work, "release")

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if self.path == "/hold":
                with lock:
                    state["held"] += 1
                    state["max"] = max(state["max"], state["held"])
                    open(os.path.join(work, "held_max"), "w").write(str(state["max"]))
                    open(os.path.join(work, "held_now"), "w").write(str(state["held"]))
                deadline = time.time() + 60
                while not os.path.exists(release) and time.time() < deadline:
                    time.sleep(0.02)
                with lock:
                    state["held"] -= 1
                    open(os.path.join(work, "held_now"), "w").write(str(state["held"]))
            with lock:
                with open(os.path.join(work, "received.jsonl"), "a") as f:
                    f.write(json.dumps({"path": self.path, "event": json.loads(body)}) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    srv = S(("127.0.0.1", port), H)
    srv.timeout = 0.5
    deadline = time.time() + 240  # bounded: the test never needs it longer
    while time.time() < deadline:
        srv.handle_request()


def start_receiver(port, work):
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "receiver", str(port), work])
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.terminate()
    raise AssertionError("the receiver did not start")


def received(work, path=None):
    try:
        rows = [json.loads(x) for x in open(os.path.join(work, "received.jsonl")) if x.strip()]
    except FileNotFoundError:
        return []
    return [r for r in rows if path is None or r["path"] == path]


def number(work, name):
    try:
        return int(open(os.path.join(work, name)).read() or 0)
    except FileNotFoundError:
        return 0


def wait_for(f, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = f()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def metrics(api):
    st, text, _ = api.call("GET", "/metrics")
    assert st == 200, st
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(centrala_webhook_\w+)\{([^}]*)\} (\S+)$', line)
        if m:
            out[(m.group(1), m.group(2))] = float(m.group(3))
    return out


def flip(api, tok, n):
    for i in range(n):
        st, b, _ = api.call("PUT", "/api/v1/agents/me/state", tok,
                            {"state": "ready" if i % 2 == 0 else "not_ready"})
        assert st == 200, (st, b)


def refused(api, rx_port, work):
    st, doc, _ = api.call("GET", "/api/v1/openapi.json")
    adm = api.login("acme", "ada", "ada-secret")
    alice = api.login("acme", "alice", "alice-secret")
    for url in (f"http://127.0.0.1:{rx_port}/x", "http://localhost/x", "http://LocalHost./x",
                "http://a.localhost/x", "http://[::1]:8080/x", "http://[::ffff:10.0.0.1]/x",
                "http://2130706433/x", "http://127.1/x", "http://0x7f.0.0.1/x",
                "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/x",
                "http://172.16.0.1/x", "http://192.168.1.1/x", "http://100.64.0.1/x",
                "http://0.0.0.0/x", "http://[fe80::1]/x", "http://[fd00::1]/x",
                "http://user:pw@127.0.0.1/x"):
        st, b, _ = api.call("POST", "/api/v1/webhooks", adm, {"url": url, "events": ["*"]})
        assert st == 400 and b["error"]["field"] == "url", (url, st, b)
        assert "allow_private" in b["error"]["message"], b
        check_response(doc, "POST", "/api/v1/webhooks", st, b)
    # A name is judged by the address it resolves to, when the delivery connects.
    name = None
    for n in (socket.gethostname(), "ip6-localhost", "ip6-loopback"):
        try:
            if socket.gethostbyname(n).startswith("127."):
                name = n
                break
        except OSError:
            pass
    assert name, "no host name resolving to a loopback address in /etc/hosts"
    st, b, _ = api.call("POST", "/api/v1/webhooks", adm,
                        {"id": "named", "url": f"http://{name}:{rx_port}/fast",
                         "events": ["agent.state"]})
    assert st == 201, (st, b)
    flip(api, alice, 1)

    def failed():
        st, b, _ = api.call("GET", "/api/v1/webhooks/named/deliveries", adm)
        assert st == 200, b
        return [d for d in b["items"] if d["state"] == "failed"]
    d = wait_for(failed, 20, "the delivery to a loopback name failed")[0]
    assert d["attempts"] == 1 and "refused" in d["last_error"], d
    assert received(work) == [], "nothing reached the receiver"
    m = metrics(api)
    assert m[("centrala_webhook_deliveries_total", 'tenant="acme",result="failed"')] >= 1, m
    assert m[("centrala_webhook_queue", 'tenant="acme"')] == 0, m
    st, b, _ = api.call("DELETE", "/api/v1/webhooks/named", adm)  # not for the next run
    assert st == 204, (st, b)
    print(f"refused: 18 literal targets at creation, {name} at delivery", file=sys.stderr)


def bounded(api, rx_port, work):
    alice = api.login("acme", "alice", "alice-secret")
    carl = api.login("beta", "carl", "carl-secret")
    n = 8
    flip(api, alice, n)
    # acme's receiver holds what it gets: no more than per_target (2) at once.
    wait_for(lambda: number(work, "held_now") == 2, 30, "two deliveries held at once")
    flip(api, carl, 2)
    # beta's webhook is not held back by acme's.
    wait_for(lambda: len(received(work, "/fast")) >= 2, 20, "beta's deliveries meanwhile")
    m = metrics(api)
    acme, beta = 'tenant="acme"', 'tenant="beta"'
    assert m[("centrala_webhook_in_flight", acme)] == 2, m
    assert m[("centrala_webhook_queue", acme)] >= n, m  # one agent.state per change at least
    assert number(work, "held_max") == 2 and received(work, "/hold") == [], number(work, "held_max")
    open(os.path.join(work, "release"), "w").close()

    def settled():
        m = metrics(api)
        return m if m[("centrala_webhook_queue", acme)] == 0 and \
            m[("centrala_webhook_queue", beta)] == 0 else None
    m = wait_for(settled, 60, "every delivery made")
    got = received(work, "/hold")
    assert len(got) >= n and len({r["event"]["seq"] for r in got}) == len(got), got
    assert number(work, "held_max") == 2, number(work, "held_max")
    assert m[("centrala_webhook_deliveries_total", acme + ',result="delivered"')] == len(got), m
    assert m[("centrala_webhook_deliveries_total", beta + ',result="delivered"')] == \
        len(received(work, "/fast")), m
    assert m[("centrala_webhook_in_flight", acme)] == 0, m
    print(f"bounded: {len(got)} deliveries, at most 2 at once, beta served meanwhile",
          file=sys.stderr)


def main():
    mode = sys.argv[1]
    if mode == "receiver":
        return receiver(int(sys.argv[2]), sys.argv[3])
    api = Api(int(sys.argv[2]))
    rx_port, work = int(sys.argv[3]), sys.argv[4]
    rx = start_receiver(rx_port, work)
    try:
        {"refused": refused, "bounded": bounded}[mode](api, rx_port, work)
    finally:
        open(os.path.join(work, "release"), "w").close()
        rx.terminate()
        rx.wait(5)


if __name__ == "__main__":
    main()
