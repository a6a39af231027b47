#!/usr/bin/env python3
"""An impairing UDP relay between the server and a peer, on loopback, both ways.

usage: udp_impair.py --listen P --target Q [--loss 0.05] [--jitter-ms 80]
                     [--queue 64] [--seed 1]

The peer's SDP names 127.0.0.1:P (this relay) while the peer's media socket is bound to
127.0.0.1:Q. What arrives on P from Q goes to the server; what arrives on P from
anywhere else is the server's (its address is latched from the newest such packet) and
goes to Q. Both go out from P, so the path is symmetric: the peer sees the relay as
the server, and the server latches P. RTP and RFC 4733 events are all just datagrams
here (RTCP, on P+1, is not relayed; run a second relay for it if it matters): each direction, on its own seeded random stream, loses a datagram
with probability --loss and delays the others by a uniform 0..--jitter-ms, so that one
sent soon after another may overtake it (reordering comes from the jitter, as with
netem). At most --queue datagrams wait per direction; more are dropped and counted.

Prints "ready" on stderr once bound, and on SIGTERM or SIGINT one line per direction:
  to_peer received=N lost=N overflow=N sent=N reordered=N events=N events_lost=N
  to_server ...
where reordered counts datagrams sent after one that arrived later, and events the
RFC 4733 packets (payload type --event-pt, default 101) among those received.
Standard library only.
"""
import argparse
import heapq
import random
import select
import signal
import socket
import sys
import time

LOOPBACK = "127.0.0.1"


class Direction:
    def __init__(self, name, rng):
        self.name = name
        self.rng = rng
        self.received = self.lost = self.overflow = self.sent = self.reordered = 0
        self.events = self.events_lost = 0
        self.waiting = 0
        self.highest_sent = -1  # arrival number of the latest-arriving datagram sent

    def line(self):
        return ("%s received=%d lost=%d overflow=%d sent=%d reordered=%d events=%d "
                "events_lost=%d" % (self.name, self.received, self.lost, self.overflow,
                                    self.sent, self.reordered, self.events,
                                    self.events_lost))


def is_event(data, pt):
    """An RTP packet (version 2) of payload type pt."""
    return len(data) >= 12 and data[0] >> 6 == 2 and data[1] & 0x7F == pt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--target", type=int, required=True)
    ap.add_argument("--loss", type=float, default=0.05)
    ap.add_argument("--jitter-ms", type=float, default=80.0)
    ap.add_argument("--queue", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--event-pt", type=int, default=101)
    a = ap.parse_args()
    if not 0 <= a.loss < 1 or a.jitter_ms < 0 or a.queue < 1:
        ap.error("--loss must be in [0, 1), --jitter-ms >= 0, --queue >= 1")

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, a.listen))
    sock.setblocking(False)
    target = (LOOPBACK, a.target)
    # One random stream per direction: what one side sends does not change the harm
    # done to the other's packets.
    to_peer = Direction("to_peer", random.Random(a.seed * 2))
    to_server = Direction("to_server", random.Random(a.seed * 2 + 1))
    server = None
    pending = []  # heap of (due, arrival number, direction, datagram, destination)
    arrivals = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    print("ready %s:%d <-> %s:%d" % (LOOPBACK, a.listen, LOOPBACK, a.target),
          file=sys.stderr, flush=True)

    while not stop:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, n, d, data, dest = heapq.heappop(pending)
            d.waiting -= 1
            if n < d.highest_sent:
                d.reordered += 1
            d.highest_sent = max(d.highest_sent, n)
            try:
                sock.sendto(data, dest)
                d.sent += 1
            except OSError:  # nobody listens there (yet): as lost on the way
                d.lost += 1
        timeout = max(0.0, pending[0][0] - now) if pending else 0.5
        try:
            ready, _, _ = select.select([sock], [], [], timeout)
        except InterruptedError:
            continue
        if not ready:
            continue
        while True:
            try:
                data, src = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # ICMP unreachable of an earlier send
                continue
            if src == target:
                d, dest = to_server, server
            else:
                server = src
                d, dest = to_peer, target
            d.received += 1
            event = is_event(data, a.event_pt)
            d.events += event
            if dest is None or d.rng.random() < a.loss:
                d.lost += 1
                d.events_lost += event
                continue
            if d.waiting >= a.queue:
                d.overflow += 1
                continue
            delay = d.rng.uniform(0, a.jitter_ms / 1000.0)
            heapq.heappush(pending, (time.monotonic() + delay, arrivals, d, data, dest))
            arrivals += 1
            d.waiting += 1
    print(to_peer.line(), file=sys.stderr)
    print(to_server.line(), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
