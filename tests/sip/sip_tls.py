#!/usr/bin/env python3
"""A phone that speaks SIP over TLS, for the tests of the `tls:` listener.

SIPp as packaged in Debian is built without TLS; this client uses Python's ssl module
(standard library only) on one TLS connection, bound to LOCAL_PORT so that requests the
server sends to our Contact reuse it.

usage: sip_tls.py SERVER_IP TLS_PORT CAFILE LOCAL_PORT DOMAIN USER PASSWORD NUMBER
                  RTP_PORT AUDIO.ul SECONDS
       sip_tls.py ... as above, with NUMBER "-": answer instead of calling

Verifies the server's certificate against CAFILE (TLS 1.2 or later), registers USER
(REGISTER, 401 with an MD5 challenge, REGISTER with the answer, 200), then calls
NUMBER@DOMAIN as an outside caller (INVITE with PCMU SDP, 200, ACK), streams the raw
u-law file AUDIO.ul as RTP to the address of the answer for SECONDS seconds, hangs up
(BYE, 200). With NUMBER "-" it waits instead (up to 20 s) for an INVITE on the same
connection, answers it with PCMU SDP, streams AUDIO.ul to the caller's media address
until the BYE and answers that. Prints one line per step (the TLS version first); exits
0 when every step went as expected.
"""
import hashlib
import random
import re
import socket
import ssl
import struct
import sys
import time


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class Conn:
    def __init__(self, server, port, cafile, lport):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = False
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        raw.bind(("127.0.0.1", lport))
        raw.settimeout(5.0)
        raw.connect((server, port))
        self.s = ctx.wrap_socket(raw)
        self.buf = b""
        self.lport = lport
        print("tls", self.s.version(), flush=True)

    def send(self, text):
        self.s.sendall(text.encode())

    def recv(self):
        """One SIP message (headers and body) from the stream."""
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"^(?:Content-Length|l):\s*(\d+)", head, re.M | re.I)
                n = int(m.group(1)) if m else 0
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return (head + b"\r\n\r\n" + rest[:n]).decode(errors="replace")
            elif self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]  # keep-alive
                continue
            data = self.s.recv(65535)
            if not data:
                raise SystemExit("the server closed the TLS connection")
            self.buf += data


def stream(rtp, dest, data, k, ssrc, seq, ts):
    """Sends frame k of the u-law data as one RTP packet."""
    chunk = data[(k * 160) % max(1, len(data) - 160):][:160]
    rtp.sendto(struct.pack("!BBHII", 0x80, 0, (seq + k) & 0xFFFF, (ts + 160 * k) & 0xFFFFFFFF,
                           ssrc) + chunk, dest)


def answer_call(c, rtp_port, audio, contact):
    """Waits for an INVITE on the connection, answers it, streams until the BYE."""
    c.s.settimeout(20.0)
    msg = c.recv()
    if not msg.startswith("INVITE "):
        raise SystemExit("expected an INVITE, got: " + msg.split("\r\n", 1)[0])
    print("invited", flush=True)
    m_addr = re.search(r"^c=IN IP4 (\S+)", msg, re.M)
    m_port = re.search(r"^m=audio (\d+) ", msg, re.M)
    dest = (m_addr.group(1), int(m_port.group(1)))
    hdrs = [ln for ln in msg.split("\r\n")
            if re.match(r"^(Via|v|From|f|Call-ID|i|CSeq):", ln, re.I)]
    to = re.search(r"^(?:To|t):[^\r\n]*", msg, re.M | re.I).group(0) + ";tag=tlsphone1"
    sdp = ("v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           f"t=0 0\r\nm=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    c.send("SIP/2.0 200 OK\r\n" + "\r\n".join(hdrs + [to, f"Contact: {contact}",
                                                      "Content-Type: application/sdp",
                                                      f"Content-Length: {len(sdp)}", "", sdp]))
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", int(rtp_port)))
    data = open(audio, "rb").read()
    ssrc, seq, ts = random.getrandbits(32), random.getrandbits(16), random.getrandbits(32)
    c.s.settimeout(0.02)
    k, acked, start = 0, False, time.monotonic()
    while time.monotonic() - start < 30:
        stream(rtp, dest, data, k, ssrc, seq, ts)
        k += 1
        try:
            req = c.recv()
        except (socket.timeout, ssl.SSLWantReadError):
            continue
        method = req.split(" ", 1)[0]
        if method == "ACK":
            acked = True
            print("acked", flush=True)
        elif method == "BYE":
            hdrs = [ln for ln in req.split("\r\n")
                    if re.match(r"^(Via|v|From|f|To|t|Call-ID|i|CSeq):", ln, re.I)]
            c.send("SIP/2.0 200 OK\r\n" + "\r\n".join(hdrs) +
                   "\r\nContent-Length: 0\r\n\r\n")
            print("bye after", k, "frames", flush=True)
            return 0 if acked else 1
    raise SystemExit("no BYE within 30 s")


def branch():
    return "z9hG4bK%08x" % random.getrandbits(32)


def main():
    if len(sys.argv) != 12:
        print(__doc__, file=sys.stderr)
        return 2
    (server, port, cafile, lport, domain, user, password, number, rtp_port, audio,
     secs) = sys.argv[1:]
    c = Conn(server, int(port), cafile, int(lport))
    via = f"Via: SIP/2.0/TLS 127.0.0.1:{lport};branch=%s;rport"
    contact = f"<sip:{user}@127.0.0.1:{lport};transport=tls>"

    def response(cseq, method):
        """The final response to CSeq `cseq`; requests from the server are answered."""
        while True:
            msg = c.recv()
            if not msg.startswith("SIP/2.0 "):
                answer(msg)
                continue
            status = int(msg.split(" ", 2)[1])
            if status >= 200 and re.search(rf"^CSeq:\s*{cseq} {method}", msg, re.M | re.I):
                return status, msg

    def answer(req):
        hdrs = [ln for ln in req.split("\r\n")
                if re.match(r"^(Via|v|From|f|To|t|Call-ID|i|CSeq):", ln, re.I)]
        c.send("SIP/2.0 200 OK\r\n" + "\r\n".join(hdrs) + "\r\nContent-Length: 0\r\n\r\n")
        print("answered", req.split(" ", 1)[0], flush=True)

    # REGISTER with digest authentication.
    call_id, tag = "%08x@tls-test" % random.getrandbits(32), "%08x" % random.getrandbits(32)

    def register(cseq, auth=None):
        lines = [f"REGISTER sip:{domain} SIP/2.0", via % branch(),
                 f"From: <sip:{user}@{domain}>;tag={tag}", f"To: <sip:{user}@{domain}>",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} REGISTER", f"Contact: {contact}",
                 "Expires: 600", "Max-Forwards: 70"]
        if auth:
            lines.append("Authorization: " + auth)
        c.send("\r\n".join(lines + ["Content-Length: 0", "", ""]))
        return response(cseq, "REGISTER")

    status, msg = register(1)
    if status != 401:
        raise SystemExit(f"REGISTER: want 401, got {status}")
    ch = None
    for line in msg.split("\r\n"):
        if line.lower().startswith("www-authenticate:") and "MD5" in line:
            ch = {k: a or b for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', line)}
            break
    if not ch:
        raise SystemExit("no MD5 challenge in the 401")
    uri, nc, cnonce = f"sip:{domain}", "00000001", "%016x" % random.getrandbits(64)
    ha1 = md5(f"{user}:{ch['realm']}:{password}")
    resp = md5(f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:{md5('REGISTER:' + uri)}")
    status, msg = register(2, f'Digest username="{user}", realm="{ch["realm"]}", '
                              f'nonce="{ch["nonce"]}", uri="{uri}", response="{resp}", '
                              f'algorithm=MD5, cnonce="{cnonce}", qop=auth, nc={nc}')
    if status != 200:
        raise SystemExit(f"REGISTER with credentials: want 200, got {status}")
    print("registered", flush=True)
    if number == "-":
        return answer_call(c, rtp_port, audio, contact)

    # A call from an outside caller on the same connection.
    ruri = f"sip:{number}@{domain}"
    call_id, tag = "%08x@tls-test" % random.getrandbits(32), "%08x" % random.getrandbits(32)
    sdp = ("v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           f"t=0 0\r\nm=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
    frm = f"From: <sip:customer@127.0.0.1>;tag={tag}"
    ccontact = f"Contact: <sip:customer@127.0.0.1:{lport};transport=tls>"
    b = branch()
    c.send("\r\n".join([f"INVITE {ruri} SIP/2.0", via % b, frm, f"To: <{ruri}>",
                        f"Call-ID: {call_id}", "CSeq: 1 INVITE", ccontact, "Max-Forwards: 70",
                        "Content-Type: application/sdp", f"Content-Length: {len(sdp)}", "",
                        sdp]))
    status, msg = response(1, "INVITE")
    if status != 200:
        raise SystemExit(f"INVITE: want 200, got {status}")
    to = re.search(r"^(?:To|t):[^\r\n]*", msg, re.M | re.I).group(0)
    m_addr = re.search(r"^c=IN IP4 (\S+)", msg, re.M)
    m_port = re.search(r"^m=audio (\d+) (\S+)", msg, re.M)
    if not m_addr or not m_port:
        raise SystemExit("no media address in the 200")
    print("answered", m_port.group(2), flush=True)
    target = re.search(r"^(?:Contact|m):[^<\r\n]*<([^>]+)>", msg, re.M | re.I)
    target = target.group(1) if target else ruri

    def in_dialog(method, cseq, br):
        c.send("\r\n".join([f"{method} {target} SIP/2.0", via % br, frm, to,
                            f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", "Max-Forwards: 70",
                            "Content-Length: 0", "", ""]))

    in_dialog("ACK", 1, branch())
    dest = (m_addr.group(1), int(m_port.group(1)))
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", int(rtp_port)))
    data = open(audio, "rb").read()
    ssrc, seq, ts = random.getrandbits(32), random.getrandbits(16), random.getrandbits(32)
    start, frames = time.monotonic(), int(float(secs) * 50)
    for k in range(frames):
        chunk = data[(k * 160) % max(1, len(data) - 160):][:160]
        rtp.sendto(struct.pack("!BBHII", 0x80, 0, (seq + k) & 0xFFFF, (ts + 160 * k) & 0xFFFFFFFF,
                               ssrc) + chunk, dest)
        delay = start + (k + 1) * 0.02 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print("streamed", frames, flush=True)
    in_dialog("BYE", 2, branch())
    status, _ = response(2, "BYE")
    if status != 200:
        raise SystemExit(f"BYE: want 200, got {status}")
    print("hung up", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
