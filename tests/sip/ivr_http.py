#!/usr/bin/env python3
"""A company's billing system for the IVR's HTTP data dips (t-ivr-http.sh).

usage: ivr_http.py PORT LOGFILE

Listens on 127.0.0.1:PORT (threaded, so a slow answer does not hold the others) and
answers:
  GET /route?called=N   200 {"customer": {"tier": "gold" for N = 101 else "silver",
                                          "balance": 12.5, "orders": [{"id": 7}]}}
  GET /slow             the same JSON after 3 s (longer than the dip's timeout)
  GET /fail             500 {"error": "down for maintenance"}
  anything else         404
Each request is appended to LOGFILE as one JSON line {"path", "query", "headers"}, so
the test can check what centrala sent. Prints "listening" once it accepts connections.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PORT = int(sys.argv[1])
LOG = sys.argv[2]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout)

    def do_GET(self):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with lock, open(LOG, "a") as f:
            f.write(json.dumps({"path": url.path, "query": query,
                                "headers": dict(self.headers.items())}) + "\n")
        customer = {"tier": "gold" if query.get("called") == "101" else "silver",
                    "balance": 12.5, "orders": [{"id": 7}]}
        if url.path == "/route":
            self.reply(200, {"customer": customer})
        elif url.path == "/slow":
            time.sleep(3)
            self.reply(200, {"customer": customer})
        elif url.path == "/fail":
            self.reply(500, {"error": "down for maintenance"})
        else:
            self.reply(404, {"error": "not found"})


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
print("listening", flush=True)
server.serve_forever()
