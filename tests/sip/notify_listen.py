#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: binds a Unix datagram socket at PATH and
appends every datagram it receives to OUT, one line per datagram ("SECONDS A=1 B=2",
seconds since start, newlines in the datagram turned into spaces), until killed.
usage: notify_listen.py PATH OUT"""
import os
import socket
import sys
import time

path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
t0 = time.monotonic()
with open(out, "a", buffering=1) as f:
    print(f"{0.0:.3f} LISTENING", file=f)
    while True:
        data = s.recv(4096)
        text = data.decode("utf-8", "replace").strip().replace("\n", " ")
        print(f"{time.monotonic() - t0:.3f} {text}", file=f)
