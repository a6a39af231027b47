#!/usr/bin/env python3
"""A phone that registers with SHA-256 digest authentication (RFC 8760), for the tests.

SIPp and baresip answer MD5 challenges only; this client answers the SHA-256 one, so
that the server's SHA-256 path is exercised over the wire. It speaks plain SIP over UDP
with the standard library only.

usage: sip_register.py SERVER_IP SERVER_PORT LOCAL_PORT USER PASSWORD DOMAIN [--stale-after S]

Registers (REGISTER, 401 with challenges, REGISTER answering the SHA-256 one, 200 whose
Contact lists ours). With --stale-after S it then waits S seconds and registers again
re-using the old nonce, expecting 401 with stale=true, and answers the fresh challenge.
Prints one line per step; exits 0 when every step went as expected.
"""
import hashlib
import random
import re
import socket
import sys
import time


def h(alg, text):
    return hashlib.new(alg, text.encode()).hexdigest()


class Phone:
    def __init__(self, server, port, lport, user, password, domain):
        self.server = (server, port)
        self.user, self.password, self.domain = user, password, domain
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", lport))
        self.sock.settimeout(3.0)
        self.lport = lport
        self.call_id = "%08x@centrala-test" % random.getrandbits(32)
        self.tag = "%08x" % random.getrandbits(32)
        self.cseq = 0
        self.nc = 0

    def request(self, authorization=None):
        self.cseq += 1
        branch = "z9hG4bK%08x" % random.getrandbits(32)
        lines = [
            f"REGISTER sip:{self.domain} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{self.lport};branch={branch};rport",
            f"From: <sip:{self.user}@{self.domain}>;tag={self.tag}",
            f"To: <sip:{self.user}@{self.domain}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
            f"Contact: <sip:{self.user}@127.0.0.1:{self.lport}>",
            "Expires: 600",
            "Max-Forwards: 70",
            "User-Agent: centrala-test-sha256",
        ]
        if authorization:
            lines.append("Authorization: " + authorization)
        lines += ["Content-Length: 0", "", ""]
        self.sock.sendto("\r\n".join(lines).encode(), self.server)
        while True:
            data, _ = self.sock.recvfrom(65535)
            text = data.decode(errors="replace")
            status = int(text.split(" ", 2)[1])
            if status >= 200 and f"CSeq: {self.cseq} REGISTER" in text:
                return status, text

    @staticmethod
    def challenges(text):
        out = []
        for line in text.split("\r\n"):
            if line.lower().startswith("www-authenticate:"):
                pairs = re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', line)
                out.append({k: a or b for k, a, b in pairs})
        return out

    def answer(self, ch):
        assert ch.get("algorithm") == "SHA-256", ch
        assert ch.get("qop") == "auth", ch
        self.nc += 1
        nc = "%08x" % self.nc
        cnonce = "%016x" % random.getrandbits(64)
        uri = f"sip:{self.domain}"
        ha1 = h("sha256", f"{self.user}:{ch['realm']}:{self.password}")
        ha2 = h("sha256", f"REGISTER:{uri}")
        resp = h("sha256", f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        return (f'Digest username="{self.user}", realm="{ch["realm"]}", '
                f'nonce="{ch["nonce"]}", uri="{uri}", response="{resp}", '
                f'algorithm=SHA-256, cnonce="{cnonce}", qop=auth, nc={nc}')

    def register(self, nonce_from=None):
        """One registration; returns the SHA-256 challenge that was answered."""
        if nonce_from is None:
            status, text = self.request()
            if status != 401:
                raise SystemExit(f"first REGISTER: want 401, got {status}")
            chs = self.challenges(text)
            algs = [c.get("algorithm") for c in chs]
            print(f"401 with challenges {algs} in realm {chs[0].get('realm')}")
            if algs != ["MD5", "SHA-256"] or any(c.get("realm") != self.domain for c in chs):
                raise SystemExit(f"want MD5 then SHA-256 challenges in realm {self.domain}")
            sha = chs[1]
        else:
            sha = nonce_from
        status, text = self.request(self.answer(sha))
        if status != 200:
            raise SystemExit(f"REGISTER with SHA-256 credentials: want 200, got {status}")
        contact = f"<sip:{self.user}@127.0.0.1:{self.lport}>;expires="
        if contact not in text:
            raise SystemExit("the 200 does not list our Contact")
        print("200 OK with our Contact (SHA-256)")
        return sha


def main():
    args = sys.argv[1:]
    stale_after = None
    if "--stale-after" in args:
        i = args.index("--stale-after")
        stale_after = float(args[i + 1])
        del args[i:i + 2]
    if len(args) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    server, port, lport, user, password, domain = args
    phone = Phone(server, int(port), int(lport), user, password, domain)
    sha = phone.register()
    if stale_after is not None:
        time.sleep(stale_after)
        status, text = phone.request(phone.answer(sha))
        chs = phone.challenges(text)
        if status != 401 or not chs or any(c.get("stale") != "true" for c in chs):
            raise SystemExit(f"old nonce: want 401 with stale=true, got {status} {chs}")
        print("old nonce: 401 with stale=true")
        phone.register(nonce_from=chs[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
