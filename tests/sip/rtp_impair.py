#!/usr/bin/env python3
"""Writes a capture of an impaired RTP stream for SIPp's play_pcap_audio.

usage: rtp_impair.py OUT.pcap [--seconds 7] [--hz 440] [--gap START:LEN]...
                     [--digit AT:D]... [--loss 0.05] [--jitter-ms 80]
                     [--reorder 0.05] [--seed 1]

The stream is what a phone sends: PCMU (payload type 0) frames of 20 ms carrying a
tone, silent during each --gap (seconds from the start), and RFC 4733 events
(telephone-event 101: 100 ms, updates every 20 ms, three end packets) in place of the
audio at each --digit. Then the network's harm, as netem would do it: each packet is
lost with probability --loss (events too), delayed by a uniform 0..--jitter-ms, and
with probability --reorder sent after the packet that follows it. SIPp replays the
packets at the capture's times, so the receiver gets them late, out of order or never.
Prints what it did on stderr. Standard library only.
"""
import argparse
import math
import random
import struct
import sys

RATE = 8000
FRAME = 160  # samples per 20 ms


def ulaw(sample):
    """G.711 µ-law of a 16-bit sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exp = 7
    for e in range(7, -1, -1):
        if sample & (0x4000 >> (7 - e)):
            exp = e
            break
    mant = (sample >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def rtp(pt, seq, ts, payload, marker=False):
    return struct.pack(">BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, 0x1234ABCD) + payload


def udp_frame(payload):
    """Ethernet, IPv4 and UDP headers around payload (SIPp keeps only the payload)."""
    udp = struct.pack(">HHHH", 6000, 6002, 8 + len(payload), 0) + payload
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
    return b"\0" * 12 + b"\x08\x00" + ip


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seconds", type=float, default=7.0)
    ap.add_argument("--hz", type=float, default=440.0)
    ap.add_argument("--gap", action="append", default=[])
    ap.add_argument("--digit", action="append", default=[])
    ap.add_argument("--loss", type=float, default=0.05)
    ap.add_argument("--jitter-ms", type=float, default=80.0)
    ap.add_argument("--reorder", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    gaps = [tuple(float(x) for x in g.split(":")) for g in a.gap]
    digits = {}
    for d in a.digit:
        at, name = d.split(":")
        digits[round(float(at) * 1000 / 20)] = "0123456789*#".index(name)

    # The stream as sent: (time, packet) every 20 ms.
    packets, seq, n = [], 1000, int(a.seconds * 50)
    event, event_left = None, 0
    for i in range(n):
        t, ts = i * 0.02, 8000 + i * FRAME
        if i in digits:
            event, event_ts, event_left = digits[i], ts, 5
        if event_left:
            dur = (6 - event_left) * FRAME
            end = event_left == 1
            for k in range(3 if end else 1):
                body = struct.pack(">BBH", event, (0x80 if end else 0) | 10, dur)
                packets.append((t, rtp(101, seq, event_ts, body, marker=event_left == 5)))
                seq += 1
            event_left -= 1
            continue
        silent = any(s <= t < s + ln for s, ln in gaps)
        payload = bytes(0xFF if silent else
                        ulaw(int(12000 * math.sin(2 * math.pi * a.hz * (ts + j) / RATE)))
                        for j in range(FRAME))
        packets.append((t, rtp(0, seq, ts, payload)))
        seq += 1

    # The network.
    sent, lost = [], 0
    for t, p in packets:
        if rnd.random() < a.loss:
            lost += 1
            continue
        sent.append([t + rnd.uniform(0, a.jitter_ms / 1000.0), p])
    swapped = 0
    for k in range(len(sent) - 1):
        if rnd.random() < a.reorder:
            sent[k][0], sent[k + 1][0] = sent[k + 1][0] + 0.001, sent[k][0]
            swapped += 1
    sent.sort(key=lambda x: x[0])
    late = sum(1 for k in range(1, len(sent))
               if struct.unpack(">H", sent[k][1][2:4])[0] < struct.unpack(">H", sent[k - 1][1][2:4])[0])

    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, p in sent:
            frame = udp_frame(p)
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)))
            f.write(frame)
    print(f"rtp_impair: {len(packets)} packets, {lost} lost, {len(sent)} sent, "
          f"{late} arrive after a later one, {swapped} reordered on purpose", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
