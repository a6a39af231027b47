#!/usr/bin/env python3
"""Captures the RTP on an interface and says whether audio went in the clear.

usage: rtp_sniff.py IFACE SECONDS OUT.json

Root only (an AF_PACKET socket; run it inside the test's network namespace). For
SECONDS it reads every IPv4 UDP datagram on IFACE whose payload looks like an RTP
packet of payload type 0 (PCMU): version 2, no CSRC, no extension. It writes to
OUT.json the number of such packets, how many have exactly the length of plain 20 ms
PCMU (12 + 160 bytes), how many have an SRTP authentication tag's worth more
(182: HMAC-SHA1-80, 176: HMAC-SHA1-32), and the tone test of tests/sip/tone.py run
on the payloads decoded as u-law: plain audio of a sine tone concentrates its power at
that tone, encrypted payloads are noise. Standard library only.
"""
import json
import math
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def ulaw(b):
    b = ~b & 0xFF
    t = ((b & 0x0F) << 3) + 0x84
    t <<= (b & 0x70) >> 4
    return (0x84 - t) if b & 0x80 else (t - 0x84)


def tone_share(samples, rate, hz):
    """Power at hz relative to the total power (0..1)."""
    if not samples:
        return 0.0
    k = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    p = (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / len(samples) ** 2
    total = sum(x * x for x in samples) / len(samples)
    return p / total if total else 0.0


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    iface, secs, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.monotonic() + secs
    stats = {"rtp": 0, "plain_len": 0, "srtp_len": 0}
    payloads = {}
    while time.monotonic() < end:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue  # on lo every packet is seen twice
        ip = frame[14:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0F) * 4
        sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
        udp = ip[ihl + 8:ihl + ulen]
        if len(udp) < 12 or udp[0] != 0x80 or udp[1] & 0x7F != 0:
            continue
        stats["rtp"] += 1
        if len(udp) == 172:
            stats["plain_len"] += 1
        elif len(udp) in (176, 182):
            stats["srtp_len"] += 1
        payloads.setdefault((sport, dport), bytearray()).extend(udp[12:172])
    # The strongest tone share of any stream, at the test's two tones.
    best = 0.0
    for data in payloads.values():
        samples = [ulaw(b) for b in data[:8000]]
        for hz in (440.0, 1000.0):
            best = max(best, tone_share(samples, 8000, hz))
    stats["streams"] = len(payloads)
    stats["max_tone_share"] = round(best, 4)
    with open(out, "w") as f:
        json.dump(stats, f)
    print(json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
