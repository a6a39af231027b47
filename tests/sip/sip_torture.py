#!/usr/bin/env python3
"""Sends the RFC 4475 torture messages (tests/sip/torture/, one message per file, bytes as
on the wire) to a SIP port over UDP or TCP, one after the other, and prints one line per
message: NAME STATUS, where STATUS is the first final response's code (a 100 Trying is
skipped) or "none" when nothing came within the wait. Over TCP each message has a
connection of its own, so a message that breaks the stream breaks nothing else.
usage: sip_torture.py udp|tcp HOST PORT DIR [WAIT_S]"""
import os
import re
import socket
import sys
import time

proto, host, port, folder = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
wait = float(sys.argv[5]) if len(sys.argv) > 5 else 1.0
status_re = re.compile(rb"^SIP/2\.0 ([0-9]{3}) ", re.M)


def final_status(data):
    for m in status_re.finditer(data):
        code = int(m.group(1))
        if code >= 200:
            return str(code)
    return None


for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), "rb") as f:
        msg = f.read()
    got = b""
    end = time.monotonic() + wait
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.sendto(msg, (host, port))
    else:
        s = socket.create_connection((host, port), timeout=wait)
        s.sendall(msg)
    while final_status(got) is None and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        got += chunk
    s.close()
    print(name, final_status(got) or "none", flush=True)
