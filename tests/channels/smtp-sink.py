#!/usr/bin/env python3
# A small SMTP receiver for the email channel's tests: listens on 127.0.0.1:PORT and
# writes each message it accepts, exactly as received (dot-stuffing undone), to
# DIR/NNNN.eml, with the envelope sender and recipients in DIR/NNNN.env; DIR/ready
# appears once it listens. It speaks the server side of RFC 5321 that a client needs
# (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH offered) with the
# standard library alone: Python's smtpd module is gone from 3.12 on.
#
#   tests/channels/smtp-sink.py DIR PORT
import os
import re
import socketserver
import sys
import threading

spool, port = sys.argv[1], int(sys.argv[2])
lock = threading.Lock()
count = [0]
MAX_DATA = 64 << 20
PATH = re.compile(rb"^(MAIL FROM|RCPT TO):\s*<([^<>]*)>", re.I)


class Session(socketserver.StreamRequestHandler):
    def say(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.say("220 127.0.0.1 centrala test sink ESMTP")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.rstrip(b"\r\n")
            verb = cmd[:4].upper()
            if verb == b"EHLO":
                self.say("250-127.0.0.1")
                self.say("250-8BITMIME")
                self.say(f"250 SIZE {MAX_DATA}")
            elif verb == b"HELO":
                self.say("250 127.0.0.1")
            elif verb in (b"MAIL", b"RCPT"):
                m = PATH.match(cmd)
                if not m:
                    self.say("501 syntax: MAIL FROM:<addr> / RCPT TO:<addr>")
                elif verb == b"MAIL":
                    sender, rcpts = m.group(2).decode(), []
                    self.say("250 OK")
                elif sender is None:
                    self.say("503 MAIL first")
                else:
                    rcpts.append(m.group(2).decode())
                    self.say("250 OK")
            elif verb == b"DATA":
                if sender is None or not rcpts:
                    self.say("503 MAIL and RCPT first")
                    continue
                self.say("354 end with <CRLF>.<CRLF>")
                data, size = [], 0
                while True:
                    l = self.rfile.readline(1 << 20)
                    if not l:
                        return
                    if l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b"."):
                        l = l[1:]
                    size += len(l)
                    if size <= MAX_DATA:
                        data.append(l)
                if size > MAX_DATA:
                    self.say("552 too large")
                else:
                    self.store(sender, rcpts, b"".join(data))
                    self.say("250 OK queued")
                sender, rcpts = None, []
            elif verb == b"RSET":
                sender, rcpts = None, []
                self.say("250 OK")
            elif verb == b"NOOP":
                self.say("250 OK")
            elif verb == b"QUIT":
                self.say("221 bye")
                return
            else:
                self.say("502 not implemented")

    @staticmethod
    def store(sender, rcpts, data):
        with lock:
            count[0] += 1
            base = os.path.join(spool, "%04d" % count[0])
            with open(base + ".env.tmp", "w") as f:
                f.write("%s\n%s\n" % (sender, " ".join(rcpts)))
            with open(base + ".eml.tmp", "wb") as f:
                f.write(data)
            os.rename(base + ".env.tmp", base + ".env")
            os.rename(base + ".eml.tmp", base + ".eml")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


with Server(("127.0.0.1", port), Session) as srv:
    open(os.path.join(spool, "ready"), "w").close()
    srv.serve_forever()
