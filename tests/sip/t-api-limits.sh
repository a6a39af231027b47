#!/usr/bin/env bash
# The API's limits from http.limits: a body over body_max is 413; a third WebSocket on
# one token is refused (ws_per_token 2), and answered once; a token past its rate gets
# 429 while another token goes on; a supervisor's socket that never reads is dropped once 16 events wait
# for it (ws_queue_max), and the server's memory stays bounded meanwhile, while a
# reading socket gets every event.
# Asserts: those statuses; the slow socket closed by the server and counted
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
YAML
# limits RATE: http.limits with rate_per_s RATE. The rate is checked on a server that
# allows 5 requests a second (a burst of 20), which any machine can go beyond; the
# events on one that allows 100, which the 3,000 state changes below need.
limits() {
	sed -i -e "s|^http: .*|http: {listen: \"127.0.0.1:$API_PORT\", limits: {body_max: 2048, ws_per_token: 2, ws_queue_max: 16, rate_per_s: $1}}|" "$CONFIG"
	grep -q "rate_per_s: $1}" "$CONFIG" || fail "the test could not set http.limits"
}
limits 5
start_server
wait_log 'event=http_listening' 5

"$PYTHON" - "$API_PORT" "$SCEN" <<'PY' || fail "limits not as expected"
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
