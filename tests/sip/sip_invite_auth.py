#!/usr/bin/env python3
"""A phone that places one INVITE with proxy authentication it computes itself, for the
tests of what the server checks in a digest answer.

SIPp computes the digest over the request it sends, always right; this client can answer
for another URI than the Request-URI, or authenticate as one user while the From header
names another, as a forger would. Plain SIP over UDP, standard library only.

usage: sip_invite_auth.py SERVER_IP SERVER_PORT LOCAL_PORT DOMAIN NUMBER FROM_USER
                          AUTH_USER PASSWORD [--digest-uri URI]

Sends INVITE sip:NUMBER@DOMAIN from FROM_USER@DOMAIN, expects 407 with an MD5
challenge, sends the INVITE again with Proxy-Authorization for AUTH_USER/PASSWORD and
the digest uri URI (default: the Request-URI), ACKs the final response and prints its
status code alone on the last line. Exits 0 when a final response came.
"""
import hashlib
import random
import re
import socket
import sys


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def main():
    args = sys.argv[1:]
    digest_uri = None
    if "--digest-uri" in args:
        i = args.index("--digest-uri")
        digest_uri = args[i + 1]
        del args[i:i + 2]
    if len(args) != 8:
        print(__doc__, file=sys.stderr)
        return 2
    server, port, lport, domain, number, from_user, auth_user, password = args
    dest = (server, int(port))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", int(lport)))
    sock.settimeout(5.0)
    ruri = f"sip:{number}@{domain}"
    call_id = "%08x@centrala-test" % random.getrandbits(32)
    tag = "%08x" % random.getrandbits(32)
    sdp = ("v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           f"t=0 0\r\nm=audio {int(lport) + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

    def send(cseq, method, branch, extra=(), body=""):
        lines = [
            f"{method} {ruri} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch={branch};rport",
            f"From: <sip:{from_user}@{domain}>;tag={tag}",
            f"To: <sip:{number}@{domain}>" + (f";tag={send.to_tag}" if send.to_tag else ""),
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{from_user}@127.0.0.1:{lport}>",
            "Max-Forwards: 70",
            *extra,
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        lines += [f"Content-Length: {len(body)}", "", body]
        sock.sendto("\r\n".join(lines).encode(), dest)

    send.to_tag = None

    def final(cseq):
        while True:
            data, _ = sock.recvfrom(65535)
            text = data.decode(errors="replace")
            if not text.startswith("SIP/2.0 "):
                continue
            status = int(text.split(" ", 2)[1])
            if status >= 200 and f"CSeq: {cseq} INVITE" in text:
                m = re.search(r"^To:.*;tag=([^;\r\n]+)", text, re.M | re.I)
                send.to_tag = m.group(1) if m else None
                return status, text

    b1 = "z9hG4bK%08x" % random.getrandbits(32)
    send(1, "INVITE", b1, body=sdp)
    status, text = final(1)
    send(1, "ACK", b1)
    if status != 407:
        raise SystemExit(f"first INVITE: want 407, got {status}")
    ch = None
    for line in text.split("\r\n"):
        if line.lower().startswith("proxy-authenticate:") and "MD5" in line:
            ch = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', line)}
            break
    if not ch:
        raise SystemExit("no MD5 challenge in the 407")
    uri = digest_uri or ruri
    nc, cnonce = "00000001", "%016x" % random.getrandbits(64)
    ha1 = md5(f"{auth_user}:{ch['realm']}:{password}")
    resp = md5(f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:{md5('INVITE:' + uri)}")
    auth = (f'Proxy-Authorization: Digest username="{auth_user}", realm="{ch["realm"]}", '
            f'nonce="{ch["nonce"]}", uri="{uri}", response="{resp}", algorithm=MD5, '
            f'cnonce="{cnonce}", qop=auth, nc={nc}')
    send.to_tag = None
    b2 = "z9hG4bK%08x" % random.getrandbits(32)
    send(2, "INVITE", b2, extra=(auth,), body=sdp)
    status, _ = final(2)
    send(2, "ACK", b2)
    print(status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
