#!/usr/bin/env bash
# The API's limits from http.limits: a body over body_max is 413; a third WebSocket on
# one token is refused (ws_per_token 2), and answered once; a fourth in all is refused
# (ws_max 3) until one closes; a request whose header is over header_max (2048) is
# refused (the connection closed unanswered) while one under it is answered; a kept-alive
# connection left idle is closed after idle_timeout (2 s); a request still waiting after
# request_timeout (1 s: a change to store while another process holds the database's
# write lock) is answered 504, and the change is stored once the lock is let go; a token past its rate gets
# 429 while another token goes on; a supervisor's socket that never reads is dropped once 16 events wait
# for it (ws_queue_max), and the server's memory stays bounded meanwhile, while a
# reading socket gets every event.
# Asserts: those statuses and times; the slow socket closed by the server and counted
# (event=ws_dropped, centrala_events_dropped_total); the reader saw all the changes.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    users:
      - {username: alice, password: alice-secret, roles: [agent]}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: ada, password: ada-secret, roles: [admin]}
YAML
# limits RATE: http.limits with rate_per_s RATE. The rate is checked on a server that
# allows 5 requests a second (a burst of 20), which any machine can go beyond; the
# events on one that allows 100, which the 3,000 state changes below need.
limits() {
	sed -i -e "s|^http: .*|http: {listen: \"127.0.0.1:$API_PORT\", limits: {body_max: 2048, header_max: 2048, idle_timeout: 2s, request_timeout: 1s, ws_max: 3, ws_per_token: 2, ws_queue_max: 16, rate_per_s: $1}}|" "$CONFIG"
	grep -q "rate_per_s: $1}" "$CONFIG" || fail "the test could not set http.limits"
}
limits 5
start_server
wait_log 'event=http_listening' 5

"$PYTHON" - "$API_PORT" "$SCEN" "$WORK/centrala.db" <<'PY' || fail "limits not as expected"
import sys, time
sys.path.insert(0, sys.argv[2])
from api import Api, WebSocket
api = Api(int(sys.argv[1]))
st, b, _ = api.call("POST", "/api/v1/login", raw='{"tenant": "acme", "x": "' + "y" * 3000 + '"}')
assert st == 413, (st, b)
bob = api.login("acme", "bob", "bob-secret")
w1, w2 = WebSocket(api.port, bob), WebSocket(api.port, bob)
try:
    WebSocket(api.port, bob)
    raise AssertionError("a third socket on one token was accepted")
except ConnectionError:
    pass
w2.close()

# ws_max 3 in all: bob's w1 and two of alice's; a fourth on another token is refused,
# and taken again once one has closed.
alice1, alice2 = (api.login("acme", "alice", "alice-secret") for _ in range(2))
a1, a2 = WebSocket(api.port, alice1), WebSocket(api.port, alice1)
try:
    WebSocket(api.port, alice2)
    raise AssertionError("a fourth socket in all was accepted (ws_max 3)")
except ConnectionError:
    pass
a2.close()
deadline = time.time() + 5
while True:
    try:
        a2 = WebSocket(api.port, alice2)
        break
    except ConnectionError:
        assert time.time() < deadline, "a closed socket's place was not taken back"
        time.sleep(0.1)
a1.close()
a2.close()

# A request whose header is over header_max (2048 bytes) is refused, never answered 200;
# one under it is answered.
import socket
def raw(req, timeout=10):
    s = socket.create_connection(("127.0.0.1", api.port), timeout=timeout)
    s.sendall(req)
    out = b""
    try:
        while b"\r\n\r\n" not in out:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except ConnectionResetError:
        pass
    s.close()
    return out
big = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 3000 + b"\r\n\r\n")
assert not big.startswith(b"HTTP/1.1 200"), big[:200]
small = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Small: " + b"y" * 1000 + b"\r\n\r\n")
assert small.startswith(b"HTTP/1.1 200"), small[:200]
print("header over the limit:", big.split(b"\r\n", 1)[0] or "closed")

# A kept-alive connection left idle is closed after idle_timeout (2 s), not before 1 s.
s = socket.create_connection(("127.0.0.1", api.port), timeout=10)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
got, t0 = b"", time.monotonic()
while b'{"status":"ok"}' not in got:
    got += s.recv(65536)
t0 = time.monotonic()
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
idle = time.monotonic() - t0
assert 1.0 <= idle <= 6.0, f"closed after {idle:.1f} s idle (idle_timeout 2s)"
s.close()
print(f"idle connection closed after {idle:.1f} s")

# A request that waits longer than request_timeout (1 s) is answered 504: a new reason
# code waits to be stored while another process holds the database's write lock. The
# change was live already, so it is stored all the same once the lock is let go.
import sqlite3
ada = api.login("acme", "ada", "ada-secret")
db = sqlite3.connect(sys.argv[3], timeout=5, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
t0 = time.monotonic()
st, b, _ = api.call("POST", "/api/v1/reason-codes", ada, {"code": "mentoring"})
took = time.monotonic() - t0
time.sleep(0.5)
db.execute("COMMIT")
db.close()
assert st == 504 and b["error"]["code"] == "timeout", (st, b)
assert 0.9 <= took <= 4.0, f"504 after {took:.1f} s (request_timeout 1s)"
deadline = time.time() + 15
while True:
    st, b, _ = api.call("GET", "/api/v1/reason-codes", ada)
    if st == 200 and "mentoring" in str(b):
        break
    assert time.time() < deadline, f"the timed-out change was not kept: {st} {b}"
    time.sleep(0.5)
print(f"504 after {took:.1f} s; the change kept")

# The rate: one token's burst is 20 requests, then 5 a second. Requests go out until
# the first 429: the burst passed whole, and no more passed than the rate allows.
alice = api.login("acme", "alice", "alice-secret")
codes, t0 = [], time.monotonic()
while 429 not in codes and time.monotonic() - t0 < 30:
    codes.append(api.call("GET", "/api/v1/me", alice)[0])
secs = time.monotonic() - t0
ok = codes.count(200)
assert 429 in codes, f"no 429 after {len(codes)} requests in {secs:.1f} s"
assert codes[:20] == [200] * 20 and ok <= 20 + 5 * secs + 1, (ok, len(codes), secs)
other = api.login("acme", "alice", "alice-secret")
assert api.call("GET", "/api/v1/me", other)[0] == 200
PY
# The oversized body was answered 413 once, not again when its end arrived.
expect_no_log 'event=double_response'
stop_server

limits 100
start_server
wait_log 'event=http_listening' 5
"$PYTHON" - "$API_PORT" "$SCEN" <<'PY' || fail "limits not as expected"
import socket, sys, time
sys.path.insert(0, sys.argv[2])
from api import Api, WebSocket
api = Api(int(sys.argv[1]))
bob = api.login("acme", "bob", "bob-secret")
w1 = WebSocket(api.port, bob)

# A reader that never reads: a tiny receive window, subscribed to every agent's state.
bob2 = api.login("acme", "bob", "bob-secret")
slow = WebSocket.__new__(WebSocket)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", api.port))
slow.s, slow.buf = s, b""
import base64, os
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /api/v1/events?token={bob2} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
time.sleep(0.3)
slow.send({"subscribe": ["agents"]})
w1.send({"subscribe": ["agents"]})
assert w1.recv()["type"] == "subscribed"
tokens = [api.login("acme", "alice", "alice-secret") for _ in range(8)]
n = 3000
got = 0
def read_all():
    global got
    deadline = time.time() + 60
    while got < n and time.time() < deadline:
        m = w1.recv(timeout=10)
        got += m.get("type") == "agent.state"
import threading
reader = threading.Thread(target=read_all)
reader.start()
for i in range(n):
    st, b, _ = api.call("PUT", "/api/v1/agents/me/state", tokens[i % 8],
                        {"state": "ready" if i % 2 == 0 else "not_ready"})
    assert st == 200, (i, st, b)
reader.join()
assert got == n, f"the reading socket got {got} of {n} events"
# The slow one was closed by the server: reading it drains what was sent, then EOF.
s.settimeout(10)
total = 0
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    total += len(chunk)
assert total < n * 100, f"the slow socket received {total} bytes: it was never dropped"
st, text, _ = api.call("GET", "/metrics")
dropped = [l for l in text.splitlines() if l.startswith("centrala_events_dropped_total ")]
assert dropped and int(dropped[0].split()[1]) >= 1, dropped
print(f"slow socket dropped after {total} bytes; the reader got all {n} events")
PY
expect_log 'event=ws_dropped user=bob reason=slow_reader'
stop_server
