#!/usr/bin/env python3
"""A provider's REST endpoint for the SMS channel's HTTP gateway tests (standard library).

  http-sms-sink.py DIR PORT

Listens on 127.0.0.1:PORT; every POST is written to DIR/N.json as {"path", "headers",
"body"} (the body as text) and answered 200 {"id": "g-N"}; DIR/ready appears when it
listens.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

out, port = sys.argv[1], int(sys.argv[2])
count = [0]


class H(BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        count[0] += 1
        tmp = os.path.join(out, "%d.tmp" % count[0])
        with open(tmp, "w") as f:
            json.dump({"path": self.path, "headers": dict(self.headers), "body": body}, f)
        os.rename(tmp, os.path.join(out, "%d.json" % count[0]))
        ans = json.dumps({"id": "g-%d" % count[0]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ans)))
        self.end_headers()
        self.wfile.write(ans)

    def log_message(self, *a):
        pass


srv = HTTPServer(("127.0.0.1", port), H)
open(os.path.join(out, "ready"), "w").close()
srv.serve_forever()
