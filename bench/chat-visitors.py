#!/usr/bin/env python3
"""Web chat visitors against a running server (driven by bench/chat.sh; read it first).

    chat-visitors.py PORT TENANT QUEUE VISITORS ROUNDS SERVER_PID

Opens VISITORS WebSockets to /api/v1/public/chat (a client written on plain sockets and
the standard library: one thread, one selector), in batches of 1,000, and starts a chat
on each (they wait in
QUEUE, which has no agent), then ROUNDS times sends one message from every visitor and
waits for every echo (the server's delivery mark). Prints the server's resident memory
per visitor (from /proc/PID/status, before and after the chats), the server's CPU time
per message (utime + stime from /proc/PID/stat over the rounds), messages/s and the
echo latency p50/p99. Asserts nothing about time.
"""
import base64
import json
import os
import selectors
import socket
import sys
import time

port, tenant, queue = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n, rounds, pid = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
tick = os.sysconf("SC_CLK_TCK")


def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def frame(obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    head = bytearray([0x81])
    if len(data) < 126:
        head.append(0x80 | len(data))
    else:
        head.append(0x80 | 126)
        head += len(data).to_bytes(2, "big")
    return bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class Visitor:
    def __init__(self, i):
        self.i = i
        self.s = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(
            (f"GET /api/v1/public/chat?tenant={tenant} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
             f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.s.recv(4096)
            if not chunk:
                raise SystemExit(f"visitor {i}: connection closed during the handshake")
            buf += chunk
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"visitor {i}: {head.splitlines()[0]!r}")
        self.s.setblocking(False)
        self.msgs = []

    def send(self, obj):
        self.s.setblocking(True)
        self.s.sendall(frame(obj))
        self.s.setblocking(False)

    def read(self):
        try:
            chunk = self.s.recv(65536)
        except BlockingIOError:
            return
        if not chunk:
            raise SystemExit(f"visitor {self.i}: closed by the server")
        self.buf += chunk
        while len(self.buf) >= 2:
            ln, off = self.buf[1] & 0x7F, 2
            if ln == 126:
                if len(self.buf) < 4:
                    return
                ln, off = int.from_bytes(self.buf[2:4], "big"), 4
            elif ln == 127:
                if len(self.buf) < 10:
                    return
                ln, off = int.from_bytes(self.buf[2:10], "big"), 10
            if len(self.buf) < off + ln:
                return
            payload, self.buf = self.buf[off:off + ln], self.buf[off + ln:]
            self.msgs.append(json.loads(payload))


sel = selectors.DefaultSelector()
rss0 = rss_kib()
t0 = time.monotonic()
vs = []


def pump(done, limit_s=120):
    end = time.monotonic() + limit_s
    while not done():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        for key, _ in sel.select(0.5):
            key.data.read()


# In batches of 1,000: connected, then started. A socket that starts no chat within 60 s
# is closed by the server, and connecting 10,000 at once takes about that on a loaded
# machine. The RSS of a socket alone is read after the first batch's connections.
BATCH = 1000
rss_open = None
for first in range(0, n, BATCH):
    batch = []
    for i in range(first, min(n, first + BATCH)):
        v = Visitor(i)
        sel.register(v.s, selectors.EVENT_READ, v)
        batch.append(v)
    vs += batch
    if rss_open is None:
        rss_open = rss_kib()
        per_socket = (rss_open - rss0) / len(batch)
    for v in batch:
        v.send({"type": "start", "name": f"Visitor {v.i}", "email": f"v{v.i}@bench.test", "topic": queue})
    pump(lambda: all(any(m.get("type") == "started" for m in v.msgs) for v in batch))
errors = [m for v in vs for m in v.msgs if m.get("type") == "error"]
if errors:
    raise SystemExit(f"refused: {errors[:3]}")
time.sleep(1.5)  # the engine's first second of queue positions
pump(lambda: True)
rss_chats = rss_kib()
print(f"visitors {n}: connected and started in {time.monotonic() - t0:.1f} s")
print(f"server RSS: {rss0} KiB before, +{per_socket:.1f} KiB per open socket, "
      f"+{(rss_chats - rss0) / n:.1f} KiB per visitor with a chat waiting")

lat = []
cpu0, w0 = cpu_s(), time.monotonic()
for r in range(rounds):
    for v in vs:
        v.msgs.clear()
    sent = {}
    for v in vs:
        sent[v.i] = time.monotonic()
        v.send({"type": "message", "text": f"round {r} from {v.i}: hello", "cid": f"r{r}"})
    got = set()

    def done():
        for v in vs:
            if v.i not in got and any(m.get("type") == "message" and m.get("cid") == f"r{r}" for m in v.msgs):
                got.add(v.i)
                lat.append(time.monotonic() - sent[v.i])
        return len(got) == n
    pump(done)
    time.sleep(0.4)  # within the default per-visitor rate
cpu1, w1 = cpu_s(), time.monotonic()
msgs = n * rounds
lat.sort()
print(f"messages {msgs} in {w1 - w0:.1f} s ({msgs / (w1 - w0):.0f}/s with {rounds} pauses of 0.4 s)")
print(f"server CPU: {(cpu1 - cpu0) * 1e6 / msgs:.0f} us per message (user+system, all threads; "
      f"each message is stored, echoed and put on the timeline)")
print(f"echo latency: p50 {lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms, "
      f"max {lat[-1] * 1000:.1f} ms")
