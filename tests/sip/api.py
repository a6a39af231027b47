"""A small client for centrala's HTTP API and events WebSocket, for the protocol tests.

Standard library only: http.client for REST, a minimal RFC 6455 client (text frames,
masked as a client must, ping answered) for /api/v1/events. Every call has a timeout.
"""
import base64
import http.client
import json
import os
import socket
import struct
import time


class Api:
    def __init__(self, port, host="127.0.0.1"):
        self.host, self.port = host, port

    def call(self, method, path, token=None, body=None, raw=None, headers=None):
        """Returns (status, parsed JSON or text or None, response headers)."""
        # Longer than the server's own bound on a login (30 s for its Argon2id check,
        # which takes seconds on a loaded machine): the server's answer, even a 504,
        # is what the test sees.
        c = http.client.HTTPConnection(self.host, self.port, timeout=35)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode()
        c.close()
        ctype = r.getheader("Content-Type", "")
        if text and ctype.startswith("application/json"):
            return r.status, json.loads(text), r
        return r.status, text or None, r

    def login(self, tenant, username, password):
        st, b, _ = self.call("POST", "/api/v1/login",
                             body={"tenant": tenant, "username": username, "password": password})
        assert st == 200, f"login {tenant}/{username}: {st} {b}"
        return b["token"]


class WebSocket:
    def __init__(self, port, token=None, since=None, host="127.0.0.1"):
        self.s = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        q = []
        if token:
            q.append("token=" + token)
        if since is not None:
            q.append(f"since={since}")
        path = "/api/v1/events" + ("?" + "&".join(q) if q else "")
        self.s.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(status.decode())
        self.buf = head.split(b"\r\n\r\n", 1)[1]

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        hdr = bytes([0x81])
        n = len(data)
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self.s.settimeout(max(0.01, deadline - time.time()))
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def recv(self, timeout=5.0):
        """The next text message as JSON; raises socket.timeout when none comes."""
        deadline = time.time() + timeout
        while True:
            self._need(2, deadline)
            op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
            off = 2
            if n == 126:
                self._need(4, deadline)
                n, off = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10, deadline)
                n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(off + n, deadline)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            if op == 0x8:
                raise ConnectionError("closed by the server")
            if op == 0x1:
                return json.loads(payload)

    def wait(self, pred, timeout=5.0):
        """Messages until one satisfies pred (returned); the others are returned too."""
        seen = []
        deadline = time.time() + timeout
        while True:
            m = self.recv(max(0.01, deadline - time.time()))
            seen.append(m)
            if pred(m):
                return m, seen

    def close(self):
        self.s.close()


def check_schema(schema, value, doc, path="$"):
    """A JSON Schema subset (type, required, properties, additionalProperties, items, enum,
    $ref, oneOf) as the OpenAPI document uses it. Raises AssertionError naming the path."""
    if "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return check_schema(node, value, doc, path)
    if "oneOf" in schema:
        errs = []
        for s in schema["oneOf"]:
            try:
                check_schema(s, value, doc, path)
                return
            except AssertionError as e:
                errs.append(str(e))
        raise AssertionError(f"{path}: matches no alternative: {errs}")
    types = schema.get("type")
    if types is not None:
        types = types if isinstance(types, list) else [types]
        ok = {
            "object": isinstance(value, dict), "array": isinstance(value, list),
            "string": isinstance(value, str), "boolean": isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "null": value is None,
        }
        assert any(ok[t] for t in types), f"{path}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, dict):
        for k in schema.get("required", []):
            assert k in value, f"{path}: missing {k}"
        props = schema.get("properties", {})
        for k, v in value.items():
            if k in props:
                check_schema(props[k], v, doc, f"{path}.{k}")
            elif schema.get("additionalProperties") is False:
                raise AssertionError(f"{path}: unexpected {k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            check_schema(schema["items"], v, doc, f"{path}[{i}]")


def check_response(doc, method, path_pattern, status, body):
    """Checks a real response against the document's schema for it."""
    op = doc["paths"][path_pattern][method.lower()]
    resp = op["responses"].get(str(status)) or op["responses"].get("default")
    assert resp, f"{method} {path_pattern}: status {status} not documented"
    content = resp.get("content", {}).get("application/json")
    if content:
        check_schema(content["schema"], body, doc, f"{method} {path_pattern} {status}")


def tokens(api, accounts):
    """Logs each of accounts {name: (tenant, username, password)} in: {name: token}, with
    "none" for no token at all."""
    tok = {name: api.login(*a) for name, a in accounts.items()}
    tok["none"] = None
    return tok


def access_matrix(api, doc, tok, rows):
    """Table-driven access checks. Each row is (method, path, documented path, body,
    {who: expected status}); every request is made as each `who` of the row (a key of
    tok), in the row's order, and its answer checked against the document."""
    for method, path, dpath, body, want in rows:
        assert method.lower() in doc["paths"][dpath], (method, dpath)
        for who, status in want.items():
            st, b, _ = api.call(method, path, tok[who], body)
            assert st == status, f"{method} {path} as {who}: {st}, want {status}: {b}"
            if isinstance(b, dict):
                check_response(doc, method, dpath, st, b)


def audit_entries(api, admin_token, obj=None, key=None):
    """The tenant's audit log (as its admin), oldest first, filtered by object and key."""
    st, b, _ = api.call("GET", "/api/v1/audit", admin_token)
    assert st == 200, (st, b)
    return [a for a in b["items"]
            if (obj is None or a["object"] == obj) and (key is None or a["key"] == key)]


def refused_number_transfer(api, agent_token, sup_token, agent, number):
    """Waits (15 s at most) for `agent` to be talking, has her transfer the call to
    `number` through the API, and asserts the outbound rules refused it (409) before
    she was let go: the call is still hers. Then the supervisor hangs it up."""
    ix, deadline = None, time.time() + 15
    while not ix and time.time() < deadline:
        st, calls, _ = api.call("GET", "/api/v1/calls", sup_token)
        assert st == 200, calls
        ix = next((c["interaction"] for c in calls["items"]
                   if c["state"] == "talking" and c["agent"] == agent), None)
        time.sleep(0.1)
    assert ix, f"{agent} is not talking"
    st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/transfer", agent_token, {"number": number})
    assert st == 409 and b["error"]["code"] == "transfer_failed", (st, b)
    st, calls, _ = api.call("GET", "/api/v1/calls", sup_token)
    assert any(c["interaction"] == ix and c["state"] == "talking" and c["agent"] == agent
               for c in calls["items"]), calls
    st, b, _ = api.call("POST", f"/api/v1/calls/{ix}/hangup", sup_token)
    assert st in (200, 204), (st, b)
