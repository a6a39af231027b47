#!/usr/bin/env bash
# Digest nonce-count replay (qop=auth): an answer to a challenge, once accepted, cannot be
# played again. A phone registers with SHA-256 (nc=1); the very same Authorization sent
# again in a new REGISTER gets 401 with stale=true, not 200; the phone's next count on
# the same nonce (nc=2) registers; nc=2 again is refused. The same for calls: alice's
# INVITE to bob answering the 407 (MD5) is routed (480: bob has no phone), its
# Proxy-Authorization replayed in a new INVITE gets 407 stale=true and is not routed,
# nc=2 is routed again. Replays count as stale nonces, not as wrong passwords: the
# address is not blocked (auth_fail_limit 2 here).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config "auth_fail_limit: 2, auth_block: 60s"
start_server

timeout 40 "$PYTHON" - 127.0.0.1 "$SIP_PORT" "$(peer_port 1)" "$ACME_DOMAIN" "$SCEN" \
	>"$WORK/phone.out" 2>&1 <<'PY' || fail "replay phone: $(cat "$WORK/phone.out")"
import random, re, socket, sys
sys.path.insert(0, sys.argv[5])
from sip_register import Phone, h

server, port, lport, domain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def expect(what, status, text, want, stale=None, hname="www-authenticate"):
    chs = [c for c in challenges(text, hname)]
    if status != want:
        raise SystemExit(f"{what}: want {want}, got {status}\n{text}")
    if stale is not None and want in (401, 407):
        got = bool(chs) and all(c.get("stale") == "true" for c in chs)
        if got != stale:
            raise SystemExit(f"{what}: want stale={stale}, got {chs}")
    print(f"{what}: {status}" + (" stale=true" if stale else ""))
    return chs

def challenges(text, hname):
    out = []
    for line in text.split("\r\n"):
        if line.lower().startswith(hname + ":"):
            pairs = re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', line)
            out.append({k: a or b for k, a, b in pairs})
    return out

# --- REGISTER
phone = Phone(server, port, lport, "alice", "alice-pw", domain)
status, text = phone.request()
chs = expect("REGISTER", status, text, 401, stale=False)
sha = [c for c in chs if c.get("algorithm") == "SHA-256"][0]
auth1 = phone.answer(sha)                      # nc=00000001
expect("REGISTER nc=1", *phone.request(auth1), 200)
expect("REGISTER nc=1 replayed", *phone.request(auth1), 401, stale=True)
auth2 = phone.answer(sha)                      # nc=00000002, same nonce
expect("REGISTER nc=2", *phone.request(auth2), 200)
expect("REGISTER nc=2 replayed", *phone.request(auth2), 401, stale=True)
expect("REGISTER nc=1 after nc=2", *phone.request(auth1), 401, stale=True)

# --- INVITE (proxy authentication guarding calls from phone users)
sock = phone.sock
sdp = ("v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       f"m=audio {lport + 2} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

def invite(proxy_auth=None):
    call_id = "%08x@replay" % random.getrandbits(32)
    tag = "%08x" % random.getrandbits(32)
    branch = "z9hG4bK%08x" % random.getrandbits(32)
    head = [f"INVITE sip:bob@{domain} SIP/2.0",
            f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch={branch};rport",
            f"From: <sip:alice@{domain}>;tag={tag}", f"To: <sip:bob@{domain}>",
            f"Call-ID: {call_id}", "CSeq: 1 INVITE",
            f"Contact: <sip:alice@127.0.0.1:{lport}>", "Max-Forwards: 70",
            "User-Agent: centrala-test-replay", "Content-Type: application/sdp"]
    if proxy_auth:
        head.append("Proxy-Authorization: " + proxy_auth)
    msg = "\r\n".join(head + [f"Content-Length: {len(sdp)}", "", sdp])
    sock.sendto(msg.encode(), (server, port))
    while True:
        data, _ = sock.recvfrom(65535)
        text = data.decode(errors="replace")
        status = int(text.split(" ", 2)[1])
        if status < 200 or call_id not in text:
            continue
        to = [l for l in text.split("\r\n") if l.lower().startswith("to:")][0]
        ack = [f"ACK sip:bob@{domain} SIP/2.0",
               f"Via: SIP/2.0/UDP 127.0.0.1:{lport};branch={branch};rport",
               f"From: <sip:alice@{domain}>;tag={tag}", to, f"Call-ID: {call_id}",
               "CSeq: 1 ACK", "Max-Forwards: 70", "Content-Length: 0", "", ""]
        sock.sendto("\r\n".join(ack).encode(), (server, port))
        return status, text

nc = 0
def proxy_answer(ch, cnonce=None):
    global nc
    nc += 1
    ncs = "%08x" % nc
    cnonce = cnonce or "%016x" % random.getrandbits(64)
    uri = f"sip:bob@{domain}"
    ha1 = h("md5", f"alice:{ch['realm']}:alice-pw")
    ha2 = h("md5", f"INVITE:{uri}")
    resp = h("md5", f"{ha1}:{ch['nonce']}:{ncs}:{cnonce}:auth:{ha2}")
    return (f'Digest username="alice", realm="{ch["realm"]}", nonce="{ch["nonce"]}", '
            f'uri="{uri}", response="{resp}", algorithm=MD5, cnonce="{cnonce}", '
            f'qop=auth, nc={ncs}')

status, text = invite()
chs = expect("INVITE", status, text, 407, stale=False, hname="proxy-authenticate")
md5 = [c for c in chs if c.get("algorithm") == "MD5"][0]
pa1 = proxy_answer(md5)
expect("INVITE nc=1", *invite(pa1), 480)
expect("INVITE nc=1 replayed", *invite(pa1), 407, stale=True, hname="proxy-authenticate")
pa2 = proxy_answer(md5)
expect("INVITE nc=2", *invite(pa2), 480)
expect("INVITE nc=2 replayed", *invite(pa2), 407, stale=True, hname="proxy-authenticate")
PY
cat "$WORK/phone.out" >&2
[ "$(grep -c 'event=registered user=alice ' "$SERVER_LOG")" -eq 2 ] ||
	fail "want exactly two registrations (nc=1 and nc=2)"
[ "$(grep -c 'event=unavailable user=bob' "$SERVER_LOG")" -eq 2 ] ||
	fail "want exactly two routed INVITEs (nc=1 and nc=2)"
[ "$(grep -c 'event=digest_replay' "$SERVER_LOG")" -eq 5 ] || fail "want five replays logged"
expect_log 'event=digest_replay method=REGISTER user=alice realm=acme.test nc=00000001'
expect_log 'event=digest_replay method=INVITE user=alice realm=acme.test nc=00000002'
expect_no_log 'event=(register_auth_failed|invite_auth_failed|address_blocked)'
stop_server
