"""The API while the store is locked (tests/e2e/t-store-slow.sh).

usage: store_slow.py API_PORT LOCK_OUT

A history read (GET /api/v1/interactions) goes to a store reader and waits on the lock;
while it still waits, live reads and a state change (answered by the engine) and
/healthz must be answered. Once the lock goes (the locking session has finished,
LOCK_OUT holds its pg_sleep's empty result), the history read answers with the first
call, or the server's request timeout (504) if the lock outlived it.
"""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sip"))
from api import Api  # noqa: E402

port, lock_out = int(sys.argv[1]), sys.argv[2]
api = Api(port)
alice = api.login("acme", "alice", "alice-secret")
bob = api.login("acme", "bob", "bob-secret")

history = {}


def read_history():
    history["answer"] = api.call("GET", "/api/v1/interactions?limit=5", bob)


t = threading.Thread(target=read_history, daemon=True)
t.start()
t.join(1.0)
assert t.is_alive(), f"the history read did not wait on the lock: {history}"

st, b, _ = api.call("GET", "/api/v1/agents", bob)
assert st == 200 and any(a["username"] == "alice" for a in b["items"]), (st, b)
assert t.is_alive(), "the lock went before the live read was answered: the test proves nothing"
st, b, _ = api.call("PUT", "/api/v1/agents/me/state", bob, {"state": "ready"})
assert st in (200, 204), (st, b)
st, b, _ = api.call("GET", "/api/v1/agents", bob)
assert st == 200, (st, b)
bob_row = [a for a in b["items"] if a["username"] == "bob"]
assert bob_row and bob_row[0]["state"] == "ready", b
st, b, _ = api.call("GET", "/healthz")
assert st == 200, (st, b)
assert t.is_alive(), "the lock went before the live requests were answered"
print("live reads, a state change and /healthz answered while the history read waited")

t.join(40)
assert not t.is_alive(), "the history read never answered"
st, b, _ = history["answer"]
assert st in (200, 504), (st, b)
if st == 200:
    assert b["items"], b
print(f"the history read answered {st} once the lock went")
