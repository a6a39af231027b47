#!/usr/bin/env python3
"""Writes a capture of RFC 4733 digits for SIPp's play_pcap_audio.

usage: ivr_dtmf.py OUT.pcap DIGITS [GAP_MS]

Each digit is taken from SIPp's own captures (/usr/share/sip-tester/dtmf_2833_<d>.pcap,
telephone-event 101, one event of ten packets) and placed GAP_MS (default 1000) after
the previous one: capture times, RTP sequence numbers and RTP timestamps are rewritten
so that the digits form one stream whose events follow each other, as a phone sends
them (the receiver would take a repeated timestamp for a retransmission). DIGITS may
hold 0-9, * and #.
"""
import struct
import sys

SRC = "/usr/share/sip-tester/dtmf_2833_%s.pcap"
NAMES = {"*": "star", "#": "pound"}


def packets(path):
    data = open(path, "rb").read()
    header, off, out = data[:24], 24, []
    while off < len(data):
        sec, usec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec + usec / 1e6, bytearray(data[off + 16:off + 16 + incl])))
        off += 16 + incl
    return header, out


def main():
    out_path, digits = sys.argv[1], sys.argv[2]
    gap = (int(sys.argv[3]) if len(sys.argv) > 3 else 1000) / 1000.0
    header, records = None, []
    t0 = 0.0
    seq = 1000
    ts0 = 8000
    for k, d in enumerate(digits):
        header, pk = packets(SRC % NAMES.get(d, d))
        first_t = pk[0][0]
        first_ts = struct.unpack(">I", pk[0][1][42 + 4:42 + 8])[0]
        for t, raw in pk:
            rtp = 42  # Ethernet, IPv4 without options, UDP
            ts = struct.unpack(">I", raw[rtp + 4:rtp + 8])[0]
            raw[rtp + 2:rtp + 4] = struct.pack(">H", seq & 0xFFFF)
            raw[rtp + 4:rtp + 8] = struct.pack(">I", (ts0 + ts - first_ts) & 0xFFFFFFFF)
            raw[40:42] = b"\x00\x00"  # UDP checksum: none
            seq += 1
            records.append((t0 + t - first_t, raw))
        t0 += gap
        ts0 += int(gap * 8000)
    with open(out_path, "wb") as f:
        f.write(header)
        for t, raw in records:
            sec = int(t) + 1700000000
            usec = int(round((t - int(t)) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(raw), len(raw)))
            f.write(raw)


if __name__ == "__main__":
    main()
