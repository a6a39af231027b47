#!/usr/bin/env python3
"""Writes the generated seed corpora of the fuzz harnesses (fuzz/*.c) under
tests/fuzz/corpus/<harness>/: SIP messages as phones and trunks send them, RTP, RTCP and
RFC 4733 packets, the jitter buffer's packet lists. Hand-written seeds live beside them.
Deterministic: running it again rewrites the same files. Usage: tests/fuzz/make-seeds.py"""
import os
import struct

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(harness, name, data):
    d = os.path.join(top, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 6000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
       "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
HOLD = SDP.replace("a=sendrecv", "a=sendonly")


def sip(start, headers, body="", ctype=None):
    h = [start,
         "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-776asdhds;rport",
         "Max-Forwards: 70"] + headers
    if body:
        h.append("Content-Type: " + (ctype or "application/sdp"))
    h.append("Content-Length: %d" % len(body.encode()))
    return "\r\n".join(h) + "\r\n\r\n" + body


dialog = ["From: \"Anna\" <sip:+48601234567@127.0.0.1>;tag=1928301774",
          "To: <sip:100@127.0.0.1>;tag=as83kd9bs",
          "Call-ID: a84b4c76e66710@127.0.0.1"]
new = ["From: \"Anna\" <sip:+48601234567@127.0.0.1>;tag=1928301774",
       "To: <sip:100@127.0.0.1>", "Call-ID: a84b4c76e66710@127.0.0.1"]
auth = ('Digest username="alice", realm="acme.example", nonce="MTc5NTAwMDAwMC4xMjM0NTY3ODk",'
        ' uri="sip:acme.example", response="6629fae49393a05397450978507c4ef1",'
        ' algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"')

put("sip_msg", "invite", sip("INVITE sip:100@127.0.0.1 SIP/2.0", new + [
    "CSeq: 1 INVITE", "Contact: <sip:caller@127.0.0.1:5070>",
    "User-Agent: SIPp", "Allow: INVITE, ACK, BYE, CANCEL, INFO, REFER"], SDP))
put("sip_msg", "invite-pai-auth", sip("INVITE sip:+48221234567@acme.example SIP/2.0", [
    "From: <sip:alice@acme.example>;tag=x1", "To: <sip:+48221234567@acme.example>",
    "Call-ID: pai@127.0.0.1", "CSeq: 2 INVITE", "Contact: <sip:alice@127.0.0.1:5070>",
    "P-Asserted-Identity: <tel:+48601234567>", "Proxy-Authorization: " +
    auth.replace('uri="sip:acme.example"', 'uri="sip:+48221234567@acme.example"')], SDP))
put("sip_msg", "invite-no-sdp", sip("INVITE sip:100@127.0.0.1 SIP/2.0",
                                    new + ["CSeq: 1 INVITE"]))
put("sip_msg", "reinvite-hold", sip("INVITE sip:caller@127.0.0.1:5070 SIP/2.0",
                                    dialog + ["CSeq: 2 INVITE"], HOLD))
put("sip_msg", "register", sip("REGISTER sip:acme.example SIP/2.0", [
    "From: <sip:alice@acme.example>;tag=r1", "To: <sip:alice@acme.example>",
    "Call-ID: reg@127.0.0.1", "CSeq: 2 REGISTER",
    "Contact: <sip:alice@127.0.0.1:5071>;expires=3600, <sip:alice@127.0.0.1:5072>",
    "Expires: 3600", "User-Agent: baresip v1.0.0", "Authorization: " + auth]))
put("sip_msg", "register-star", sip("REGISTER sip:acme.example SIP/2.0", [
    "From: <sip:alice@acme.example>;tag=r1", "To: <sip:alice@acme.example>",
    "Call-ID: reg@127.0.0.1", "CSeq: 3 REGISTER", "Contact: *", "Expires: 0"]))
put("sip_msg", "info-relay", sip("INFO sip:caller@127.0.0.1:5070 SIP/2.0",
                                 dialog + ["CSeq: 3 INFO"], "Signal=5\r\nDuration=160\r\n",
                                 "application/dtmf-relay"))
put("sip_msg", "info-dtmf", sip("INFO sip:caller@127.0.0.1:5070 SIP/2.0",
                                dialog + ["CSeq: 3 INFO"], "#", "application/dtmf"))
put("sip_msg", "refer", sip("REFER sip:caller@127.0.0.1:5070 SIP/2.0", dialog + [
    "CSeq: 4 REFER", "Refer-To: <sip:200@127.0.0.1?Replaces=x%40y>",
    "Referred-By: <sip:+48601234567@127.0.0.1>", "Contact: <sip:caller@127.0.0.1:5070>"]))
put("sip_msg", "bye", sip("BYE sip:caller@127.0.0.1:5070 SIP/2.0", dialog + ["CSeq: 5 BYE"]))
put("sip_msg", "cancel", sip("CANCEL sip:100@127.0.0.1 SIP/2.0", new + ["CSeq: 1 CANCEL"]))
put("sip_msg", "ack", sip("ACK sip:caller@127.0.0.1:5070 SIP/2.0", dialog + ["CSeq: 1 ACK"]))
put("sip_msg", "200-answer", sip("SIP/2.0 200 OK", dialog + [
    "CSeq: 1 INVITE", "Contact: <sip:agent@127.0.0.1:5080>"], SDP))
put("sip_msg", "183-early", sip("SIP/2.0 183 Session Progress", dialog + ["CSeq: 1 INVITE"],
                                SDP))
put("sip_msg", "407-challenge", sip("SIP/2.0 407 Proxy Authentication Required", dialog + [
    "CSeq: 1 INVITE", 'Proxy-Authenticate: Digest realm="pstn.example", '
    'nonce="abc", algorithm=MD5, qop="auth"']))

# RTP (PCMA, PCMU, G.722), RFC 4733 events and RTCP, built here.


def rtp(pt, seq, ts, ssrc, payload, marker=0, csrc=(), ext=None, pad=0):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrc)
    h = struct.pack("!BBHII", b0, (marker << 7) | pt, seq, ts, ssrc)
    h += b"".join(struct.pack("!I", c) for c in csrc)
    if ext is not None:
        h += struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext
    body = payload + (bytes(pad - 1) + bytes([pad]) if pad else b"")
    return h + body


def te(event, end, volume, duration):
    return struct.pack("!BBH", event, (0x80 if end else 0) | volume, duration)


put("rtp", "pcma", rtp(8, 1000, 160000, 0x1234, bytes([0xd5] * 160)))
put("rtp", "pcmu-marker", rtp(0, 1, 0, 0xdeadbeef, bytes([0xff] * 160), marker=1))
put("rtp", "g722-csrc-ext", rtp(9, 7, 320, 5, bytes(160), csrc=(1, 2), ext=bytes(8)))
put("rtp", "padded", rtp(0, 2, 160, 5, bytes(80), pad=4))
for i, d in enumerate([0, 5, 11, 15]):
    put("rtp", "te-%d" % d, rtp(101, 50 + i, 8000, 7, te(d, 0, 10, 400), marker=1))
    put("rtp", "te-%d-end" % d, rtp(101, 60 + i, 8000, 7, te(d, 1, 10, 1280)))
# A digit receiver sequence: 9-byte records (timestamp, event payload, time step).
seq = b""
for ts, d, end, dur, step in [(8000, 1, 0, 160, 20), (8000, 1, 0, 320, 20),
                              (8000, 1, 1, 800, 20), (8000, 1, 1, 800, 0),
                              (16000, 11, 0, 160, 20), (16000, 11, 1, 640, 200)]:
    seq += struct.pack("!I", ts) + te(d, end, 10, dur) + bytes([step])
put("rtp", "te-sequence", seq)
sr = struct.pack("!BBHIIIIII", 0x81, 200, 12, 0x1234, 0xe0000000, 0, 160000, 50, 8000)
sr += struct.pack("!IIIIII", 0x5678, 0x01000010, 1050, 20, 0, 0)
put("rtp", "rtcp-sr", sr)
rr = struct.pack("!BBHI", 0x81, 201, 7, 0x1234) + struct.pack("!IIIIII", 7, 0, 99, 3, 1, 2)
bye = struct.pack("!BBHI", 0x81, 203, 1, 0x1234)
sdes = struct.pack("!BBHI", 0x81, 202, 3, 0x1234) + b"\x01\x04abcd\x00\x00"
put("rtp", "rtcp-rr-sdes-bye", rr + sdes + bye)

# Jitter buffer: first byte picks the codec and rate, then length-prefixed packets.
steady = b"\x01"
for i in range(12):
    p = rtp(8, 100 + i, 800 + 160 * i, 9, bytes([0xd5 ^ i] * 160))
    steady += struct.pack("!H", len(p)) + p + (b"\x00\x00" if i % 2 else b"")
put("rtp_jitter", "pcma-steady", steady)
shuffled = b"\x01"
for i in [3, 0, 1, 7, 2, 2, 5, 4, 9, 6]:
    p = rtp(8, 100 + i, 800 + 160 * i, 9, bytes([0x55] * 160))
    shuffled += struct.pack("!H", len(p)) + p
put("rtp_jitter", "pcma-shuffled", shuffled + b"\x00\x00" * 4)
g722 = b"\x82"
for i in range(6):
    p = rtp(9, 1 + i, 160 * i, 3, bytes(160))
    g722 += struct.pack("!H", len(p)) + p + b"\x00\x00"
put("rtp_jitter", "g722-16k", g722)

# Configuration: the demo file as shipped, one with most sections, one full of errors.
with open(os.path.join(os.path.dirname(top), "..", "..", "examples", "demo.yaml")) as f:
    put("config", "demo.yaml", f.read())
put("config", "full.yaml", """sip: {listen: ["udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"], user_agent: x}
rtp: {address: 127.0.0.1, ports: 30000-30999, workers: 1, io: epoll}
http: {listen: "127.0.0.1:8080", limits: {body_max: 4096, rate_per_s: 10, login_block: 5m}}
store: "sqlite:var/c.db"
recordings: var/rec
log: debug
log_format: json
tenants:
  - id: acme
    name: ACME
    domain: acme.example
    timezone: Europe/Warsaw
    language: pl
    country: PL
    reason_codes: [break, lunch]
    dispositions: [sold]
    record: true
    channels: {voice: {capacity: 1, blocks: [chat]}, chat: {capacity: 3, blocks: []}}
    retention: {recordings: 90d, bodies: 365d}
    users:
      - {username: alice, password: pw, roles: [agent, supervisor], sip: {user: alice, password: s},
         skills: {support: 5, polish: 3}, queues: {support: 0}, auto_ready: true, language: pl}
    queues:
      - {id: support, strategy: best-skill, skills: {support: 1}, ring_timeout: 15s, wrap_up: 5s,
         max_wait: 5m, max_len: 10, service_level: 20s, service_level_formula: answered,
         sticky: 1h, priority: 5, relax: [{after: 30s, min_level: 1, max_penalty: 2}],
         overflow: {number: "+48221234567", trunk: pstn}, hours: office,
         announce: {every: 30s, position: true, ewt: true}, callback_digit: "1"}
    numbers:
      - {number: "100", flow: main}
      - {number: "200", queue: support, priority: 3}
      - {number: "300", user: alice}
    trunks:
      - {id: pstn, uri: "sip:127.0.0.1:5090", username: u, password: p, caller_id: "+48221234567",
         inbound_from: ["127.0.0.1", "192.0.2.0/24", "2001:db8::/32"]}
    outbound: {allow: ["+48"], block: ["+4822"], block_defaults: true, trunk: pstn,
               routes: [{prefix: "+44", trunk: pstn}], max_concurrent: 10, per_hour: 200,
               per_user_hour: 30, hours: office}
    calendars:
      office: {timezone: Europe/Warsaw, weekly: {mon-fri: "08:00-18:00"}, closed: ["2026-12-25"]}
    webhooks:
      - {url: "http://127.0.0.1:9/hook", events: [contact.offered], secret: s}
    flows:
      main:
        start: menu
        nodes:
          menu: {type: menu, prompt: {tts: "Witamy"}, timeout: 5s, retries: 2,
                 options: {"1": q, "2": cb}, invalid: menu, no_input: q}
          q: {type: queue, queue: support}
          cb: {type: callback, queue: support}
""")
put("config", "errors.yaml", """sip: {listen: ["tls:127.0.0.1:5061", "udp:1.2.3.4:99999"]}
rtp: {ports: 40000-30000}
http: {listen: nowhere}
tenants:
  - id: Bad Id
    users: [{username: a}, {username: a, roles: [king]}]
    queues: [{id: q, strategy: psychic, ring_timeout: -1s}]
    numbers: [{number: "1", queue: nope}, {number: "1", flow: none}]
    outbound: {allow: [abc], routes: [{prefix: "+1"}], per_hour: many}
  - id: acme
    domain: acme.example
    numbers: [{number: "1", user: ghost}]
""")

# Interaction and contact strings, split at 0x1f (fuzz/crm_json.c).
US = "\x1f"
put("crm_json", "plain", US.join([
    "+48601234567", "100", "+48221234567", "support", "alice", "sold", "note", "r/1.wav",
    "", "caller", "ivr", "menu", "12#", "alice", "answered", "", "", '[{"ts":1}]', "Anna",
    "Kowalska", "601 234 567", "PL", "Anna@Example.COM", '{"vip_level": 3, "x": [1, null]}']))
put("crm_json", "odd-bytes", US.join([
    '"Ann\\a\x01"', "\xc3\x28", "\xe2\x82", "\x7f\x00", "\t\n\r", "\xf0\x9f\x98\x80",
    "</script>", "a,b\"c", "", "", "x", "", "", "", "", "", "", "not json", "\xff", "",
    "+1 (900) 555", "", "a@b", "[]"]))

# API requests: "METHOD PATH[?QUERY]\n" then the body (fuzz/api.c).
api = {
    "login": ("POST /api/v1/login", '{"tenant":"acme","username":"boss","password":"pw"}'),
    "state": ("PUT /api/v1/agents/me/state", '{"state":"not_ready","reason":"break"}'),
    "agent-state": ("PUT /api/v1/agents/alice/state", '{"state":"ready"}'),
    "my-queue": ("PUT /api/v1/agents/me/queues/support", '{"member":true}'),
    "dial": ("POST /api/v1/calls", '{"number":"+48601234567"}'),
    "transfer": ("POST /api/v1/calls/01HZX/transfer", '{"queue":"support"}'),
    "dtmf": ("POST /api/v1/calls/01HZX/dtmf", '{"digits":"12#"}'),
    "consult": ("POST /api/v1/calls/01HZX/consult", '{"user":"alice"}'),
    "monitor": ("POST /api/v1/calls/01HZX/monitor", '{"mode":"whisper"}'),
    "disposition": ("PUT /api/v1/interactions/01HZX/disposition",
                    '{"code":"sold","notes":"ok"}'),
    "interactions": ("GET /api/v1/interactions?since=2026-01-01T00:00:00Z&limit=5&queue=x",
                     ""),
    "number-create": ("POST /api/v1/numbers", '{"number":"300","queue":"support"}'),
    "number-put": ("PUT /api/v1/numbers/300", '{"flow":"main","priority":2}'),
    "contact-create": ("POST /api/v1/contacts", '{"first_name":"Anna","phones":'
                       '["+48601234567"],"emails":["a@b.pl"],"tags":["vip"],'
                       '"custom":{"x":1},"vip":true}'),
    "contact-put": ("PUT /api/v1/contacts/c1", '{"last_name":null,"do_not_call":true}'),
    "contacts-find": ("GET /api/v1/contacts?phone=601234567&limit=3&after=abc", ""),
    "webhook": ("POST /api/v1/webhooks", '{"url":"https://crm.example/h","events":'
                '["contact.offered","call.ended"],"secret":"s3cret"}'),
    "key": ("POST /api/v1/keys", '{"name":"crm","roles":["supervisor"]}'),
    "recording": ("GET /api/v1/interactions/01HZX/recording?segment=1", ""),
}
for name, (line, body) in api.items():
    put("api", name, line + "\n" + body)


# STUN (RFC 5389) as browsers send it to an ICE-lite agent: the RFC 5769 sample request
# and response, a Binding request with USE-CANDIDATE and ICE-CONTROLLING signed with
# the harness's key, an error response and a consent-freshness request.
def stun(mtype, txid, attrs, key=None, fingerprint=True):
    import hmac
    import hashlib
    import zlib

    body = b""
    for t, v in attrs:
        body += struct.pack("!HH", t, len(v)) + v + bytes(-len(v) % 4)
    if key is not None:
        h = struct.pack("!HHI", mtype, len(body) + 24, 0x2112A442) + txid
        mac = hmac.new(key, h + body, hashlib.sha1).digest()
        body += struct.pack("!HH", 0x0008, 20) + mac
    if fingerprint:
        h = struct.pack("!HHI", mtype, len(body) + 8, 0x2112A442) + txid
        crc = (zlib.crc32(h + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += struct.pack("!HHI", 0x8028, 4, crc)
    return struct.pack("!HHI", mtype, len(body), 0x2112A442) + txid + body


put("stun", "rfc5769-request", bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e20746573"
    "7420636c69656e74002400046e0001ff80290008932ff9b151263b3600060009"
    "6576746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f249"
    "c1b571a280280004e57a3bcf"))
put("stun", "rfc5769-response", bytes.fromhex(
    "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563"
    "746f7220002000080001a147e112a643000800142b91f599fd9e90c38c7489f9"
    "2af9ba53f06be7d780280004c07d4c96"))
KEY = b"VOkJxbRl1RmTxUk/WvJxBt"
TX = bytes(range(1, 13))
put("stun", "ice-use-candidate", stun(0x0001, TX, [
    (0x0006, b"lf7Q:h6vY"), (0x0024, struct.pack("!I", 1853817087)), (0x0025, b""),
    (0x802A, struct.pack("!Q", 0x0102030405060708))], KEY))
put("stun", "ice-consent", stun(0x0001, TX[::-1], [
    (0x0006, b"lf7Q:h6vY"), (0x0024, struct.pack("!I", 1853817087)),
    (0x802A, struct.pack("!Q", 7))], KEY))
put("stun", "error-420", stun(0x0111, TX, [
    (0x0009, b"\x00\x00\x04\x14Unknown Attribute"), (0x000A, b"\x00\x31\x00\x44")]))
put("stun", "indication", stun(0x0011, TX, []))

# A browser's WebRTC offer (audio alone, as Chromium writes it) for sdp_webrtc_read.
put("sip_sdp", "webrtc-offer", (
    "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE 0\r\na=msid-semantic: WMS stream\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126\r\nc=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\na=ice-ufrag:Xk3q\r\na=ice-pwd:5aJ2b9fWq0Zk1lYc8Vn3RtUe\r\n"
    "a=ice-options:trickle\r\na=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:"
    "61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E\r\n"
    "a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"))
