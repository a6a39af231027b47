#!/usr/bin/env python3
"""A caller's RTP port for the queue tests: counts what centrala sends a waiting caller.

A caller in a queue is answered at once and must hear music on hold. SIPp can echo RTP
but cannot say whether any arrived, so a scenario that waits in a queue advertises this
port in its SDP instead. It binds 127.0.0.1:PORT, receives for at most SECONDS (or
until SIGTERM), and writes one JSON object to OUT: packets, payload types seen, bytes
of payload, the seconds (from start) of the first and last packet, and the longest
gap between two packets in milliseconds. With --echo it sends every packet back to
its sender, like SIPp's -rtp_echo. With --log, OUT also holds "log": one entry a packet,
[time.monotonic() on arrival, payload type, RTP timestamp, what it carries]: for PCMU the
RMS level of its samples, for any other type its payload in hex (an RFC 4733 event).

usage: queue_rtp.py PORT SECONDS OUT.json [--echo] [--log]
"""
import json
import select
import signal
import socket
import sys
import time


def ulaw(b):
    """G.711 µ-law to a linear sample."""
    b = ~b & 0xFF
    t = (((b & 0x0F) << 3) + 0x84) << ((b & 0x70) >> 4)
    return (0x84 - t) if b & 0x80 else (t - 0x84)


ULAW = [ulaw(i) for i in range(256)]


def pcmu_rms(payload):
    if not payload:
        return 0
    return round((sum(ULAW[x] ** 2 for x in payload) / len(payload)) ** 0.5)


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    port, secs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    echo = "--echo" in sys.argv[4:]
    log = [] if "--log" in sys.argv[4:] else None
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    start = time.monotonic()
    st = {"packets": 0, "payload_bytes": 0, "payload_types": [], "first_s": None,
          "last_s": None, "max_gap_ms": 0, "sources": []}
    last = None
    while not stop:
        left = secs - (time.monotonic() - start)
        if left <= 0:
            break
        try:
            r, _, _ = select.select([s], [], [], min(left, 0.2))
        except InterruptedError:
            continue
        if not r:
            continue
        data, src = s.recvfrom(2048)
        now = time.monotonic() - start
        if len(data) < 12 or data[0] >> 6 != 2:
            continue  # not RTP
        pt = data[1] & 0x7F
        if log is not None:
            ts = int.from_bytes(data[4:8], "big")
            body = data[12 + 4 * (data[0] & 0x0F):]
            what = pcmu_rms(body) if pt == 0 else body.hex()
            log.append([round(time.monotonic(), 4), pt, ts, what])
        st["packets"] += 1
        st["payload_bytes"] += len(data) - 12
        if pt not in st["payload_types"]:
            st["payload_types"].append(pt)
        if "%s:%d" % src not in st["sources"]:
            st["sources"].append("%s:%d" % src)
        if st["first_s"] is None:
            st["first_s"] = round(now, 3)
        if last is not None:
            st["max_gap_ms"] = max(st["max_gap_ms"], int((now - last) * 1000))
        last = now
        st["last_s"] = round(now, 3)
        if echo:
            s.sendto(data, src)
    if log is not None:
        st["log"] = log
    with open(out, "w") as f:
        json.dump(st, f)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
