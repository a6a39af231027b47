#!/usr/bin/env python3
"""Sends the RFC 4475 torture messages (tests/sip/torture/, one message per file, bytes as
on the wire) to a SIP port over UDP or TCP, one after the other, and prints one line per
message: NAME STATUS, where STATUS is the first final response's code (a 100 Trying is
skipped) or "none" when nothing came within the wait. Over TCP each message has a
connection of its own, so a message that breaks the stream breaks nothing else.
With --via-self, a top Via that is one plain line ("Via: SIP/2.0/UDP host;params") names
this socket instead (transport, 127.0.0.1 and its port, rport), so that the answer comes
back here; the line then ends with " via" (messages whose Via is the torture keep it).
Call-IDs then start with the transport's name, so that the same message sent over UDP
after TCP is a new request, not a merged one (482).
usage: sip_torture.py [--via-self] udp|tcp HOST PORT DIR [WAIT_S]"""
import os
import re
import socket
import sys
import time

args = sys.argv[1:]
via_self = args[0] == "--via-self"
if via_self:
    args = args[1:]
proto, host, port, folder = args[0], args[1], int(args[2]), args[3]
wait = float(args[4]) if len(args) > 4 else 1.0
via_re = re.compile(rb"^(Via|v)[ \t]*:[ \t]*SIP/2\.0/[A-Z]+[ \t]+[^;\s]+(;[^\r\n]*)?\r\n(?![ \t])",
                    re.M | re.I)


def rewrite_via(msg, me):
    head, sep, body = msg.partition(b"\r\n\r\n")
    m = via_re.search(head + b"\r\n")
    if not m or head.lower().find(b"\nvia") != m.start() - 1 and \
            head.lower().find(b"\nv:") != m.start() - 1:
        return msg, False
    params = (m.group(2) or b"").replace(b";rport", b"")
    line = b"Via: SIP/2.0/%s %s:%d%s;rport\r\n" % (proto.upper().encode(), me[0].encode(),
                                                   me[1], params)
    head = head[:m.start()] + line.rstrip(b"\r\n") + head[m.end() - 2:]
    head = re.sub(rb"^((?:Call-ID|i)[ \t]*:[ \t]*)", rb"\g<1>" + proto.encode() + b".", head,
                  count=1, flags=re.M | re.I)
    return head + sep + body, True
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
    else:
        s = socket.create_connection((host, port), timeout=wait)
    rewritten = False
    if via_self:
        msg, rewritten = rewrite_via(msg, s.getsockname())
    if proto == "udp":
        s.sendto(msg, (host, port))
    else:
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
    print(name, final_status(got) or "none", "via" if rewritten else "", flush=True)
