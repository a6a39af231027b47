#!/usr/bin/env python3
"""A small SMSC for the SMS channel's tests, written from SMPP 3.4 (standard library only).

  smsc.py PORT CONTROL_PORT [--system-id ID --password PW]

It listens on 127.0.0.1:PORT for one ESME at a time (bind_transceiver, submit_sm,
deliver_sm_resp, enquire_link, unbind) and keeps what it is sent. A test drives it through
127.0.0.1:CONTROL_PORT, one JSON object a line, one JSON answer a line:

  {"cmd": "deliver", "from": "+48...", "to": "...", "text": "...", "coding": "gsm"|"ucs2",
   "parts": 0 (as many as needed: UDH concatenation) }      -> {"seqs": [...]}
  {"cmd": "receipt", "id": "...", "stat": "DELIVRD", "from": ..., "to": ...}
  {"cmd": "garbage", "hex": "..."}        raw bytes on the ESME's socket
  {"cmd": "hold", "n": N}                 the next N submit_sm kept but never answered
  {"cmd": "state"}  -> {"binds", "refused_binds", "enquires", "submits": [...], "unacked",
                        "bound", "nacks"}

A deliver_sm the ESME did not acknowledge when its connection goes is delivered again on
the next bind, as an SMSC does, and one answered ESME_RMSGQFUL 0.3 s later. Each submit_sm is answered with a message_id "M<n>".
"""
import json
import socket
import socketserver
import struct
import sys
import threading
import time

GSM = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
       "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXT = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D,
           "]": 0x3E, "|": 0x40, "€": 0x65}

BIND_TRANSCEIVER, BIND_TRANSCEIVER_RESP = 0x00000009, 0x80000009
SUBMIT_SM, SUBMIT_SM_RESP = 0x00000004, 0x80000004
DELIVER_SM, DELIVER_SM_RESP = 0x00000005, 0x80000005
ENQUIRE_LINK, ENQUIRE_LINK_RESP = 0x00000015, 0x80000015
UNBIND, UNBIND_RESP = 0x00000006, 0x80000006
GENERIC_NACK = 0x80000000

lock = threading.Condition()
st = {"binds": 0, "refused_binds": 0, "enquires": 0, "submits": [], "nacks": 0,
      "bound": False}
conn = {"sock": None, "seq": 1000}
pending = {}  # seq -> deliver_sm body, not yet acknowledged
redeliver = []  # bodies to deliver on the next bind
system_id, password = "centrala", "secret"


def gsm_encode(text):
    out = bytearray()
    for ch in text:
        if ch in GSM_EXT:
            out += bytes([0x1B, GSM_EXT[ch]])
        else:
            out.append(GSM.index(ch))
    return bytes(out)


def gsm_decode(b):
    out, i = [], 0
    rev = {v: k for k, v in GSM_EXT.items()}
    while i < len(b):
        if b[i] == 0x1B and i + 1 < len(b):
            out.append(rev.get(b[i + 1], "?"))
            i += 2
        else:
            out.append(GSM[b[i]])
            i += 1
    return "".join(out)


def cstr(b, off):
    end = b.index(0, off)
    return b[off:end].decode("latin-1"), end + 1


def pdu(cmd, status, seq, body=b""):
    return struct.pack(">IIII", 16 + len(body), cmd, status, seq) + body


def send(data):
    s = conn["sock"]
    if s is None:
        raise OSError("no ESME bound")
    s.sendall(data)


def next_seq():
    conn["seq"] += 1
    return conn["seq"]


def deliver_body(src, dst, esm, dc, sm, tlvs=b""):
    return (b"\x00" + bytes([1, 1]) + src.lstrip("+").encode() + b"\x00" +
            bytes([0, 0]) + dst.lstrip("+").encode() + b"\x00" +
            bytes([esm, 0, 0]) + b"\x00\x00" + bytes([0, 0, dc, 0, len(sm)]) + sm + tlvs)


def push_deliver(body):
    """Sends a deliver_sm now (or on the next bind); returns its sequence number."""
    with lock:
        if not st["bound"]:
            redeliver.append(body)
            return 0
        seq = next_seq()
        pending[seq] = body
    try:
        send(pdu(DELIVER_SM, 0, seq, body))
    except OSError:
        pass
    return seq


def parse_submit(body):
    off = 0
    service, off = cstr(body, off)
    ston, snpi = body[off], body[off + 1]
    src, off = cstr(body, off + 2)
    dton, dnpi = body[off], body[off + 1]
    dst, off = cstr(body, off + 2)
    esm, pid, prio = body[off], body[off + 1], body[off + 2]
    sched, off = cstr(body, off + 3)
    valid, off = cstr(body, off)
    reg, repl, dc, dflt, sml = body[off:off + 5]
    sm = body[off + 5:off + 5 + sml]
    text_bytes, udh = sm, None
    if esm & 0x40:
        udhl = sm[0]
        udh = sm[1:1 + udhl]
        text_bytes = sm[1 + udhl:]
    if dc == 8:
        text = text_bytes.decode("utf-16-be", errors="surrogatepass")
    else:
        text = gsm_decode(text_bytes)
    return {"from": src, "source_ton": ston, "to": dst, "dest_ton": dton, "dest_npi": dnpi,
            "esm_class": esm, "data_coding": dc, "registered_delivery": reg,
            "udh": udh.hex() if udh is not None else None, "text": text, "sm_len": sml}


class Esme(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        buf = b""
        bound_here = False
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 16:
                    length, cmd, status, seq = struct.unpack(">IIII", buf[:16])
                    if length < 16 or length > 65536:
                        return
                    if len(buf) < length:
                        break
                    body, buf = buf[16:length], buf[length:]
                    if cmd == BIND_TRANSCEIVER:
                        sid, off = cstr(body, 0)
                        pw, off = cstr(body, off)
                        if sid != system_id or pw != password:
                            with lock:
                                st["refused_binds"] += 1
                            s.sendall(pdu(BIND_TRANSCEIVER_RESP, 0x0E, seq, b"smsc\x00"))
                            continue
                        s.sendall(pdu(BIND_TRANSCEIVER_RESP, 0, seq, b"smsc\x00"))
                        with lock:
                            conn["sock"] = s
                            st["binds"] += 1
                            st["bound"] = True
                            bound_here = True
                            again = list(redeliver)
                            redeliver.clear()
                            lock.notify_all()
                        for b in again:
                            push_deliver(b)
                    elif cmd == SUBMIT_SM:
                        with lock:
                            sub = parse_submit(body)
                            mid = "M%d" % (len(st["submits"]) + 1)
                            sub["message_id"] = mid
                            st["submits"].append(sub)
                            lock.notify_all()
                            held = st.get("hold", 0) > 0
                            if held:
                                st["hold"] -= 1
                        if not held:
                            s.sendall(pdu(SUBMIT_SM_RESP, 0, seq, mid.encode() + b"\x00"))
                    elif cmd == DELIVER_SM_RESP:
                        with lock:
                            body = pending.pop(seq, None)
                            st.setdefault("resp_status", []).append(status)
                            lock.notify_all()
                        if status == 0x14 and body is not None:
                            # ESME_RMSGQFUL: the ESME is full, delivered again later.
                            threading.Timer(0.3, push_deliver, (body,)).start()
                    elif cmd == ENQUIRE_LINK:
                        with lock:
                            st["enquires"] += 1
                            lock.notify_all()
                        s.sendall(pdu(ENQUIRE_LINK_RESP, 0, seq))
                    elif cmd == UNBIND:
                        s.sendall(pdu(UNBIND_RESP, 0, seq))
                    elif cmd == GENERIC_NACK:
                        with lock:
                            st["nacks"] += 1
                    elif cmd & 0x80000000 == 0:
                        s.sendall(pdu(GENERIC_NACK, 3, seq))
        except OSError:
            pass
        finally:
            if bound_here:
                with lock:
                    if conn["sock"] is s:
                        conn["sock"] = None
                        st["bound"] = False
                    # What the ESME did not acknowledge comes again on the next bind.
                    for q in sorted(pending):
                        redeliver.append(pending[q])
                    pending.clear()
                    lock.notify_all()


def split(data, each, ref):
    parts = [data[i:i + each] for i in range(0, len(data), each)]
    return [bytes([5, 0, 3, ref, len(parts), n + 1]) + p for n, p in enumerate(parts)]


class Control(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                req = json.loads(line)
                ans = self.do(req)
            except Exception as e:  # a bad command answers its error, the SMSC stays
                ans = {"error": str(e)}
            self.wfile.write((json.dumps(ans) + "\n").encode())
            self.wfile.flush()

    def do(self, req):
        c = req["cmd"]
        if c == "deliver":
            text = req["text"]
            if req.get("coding", "gsm") == "ucs2":
                data, dc, single, each = text.encode("utf-16-be"), 8, 140, 134
            else:
                data, dc, single, each = gsm_encode(text), 0, 160, 153
            if len(data) <= single:
                bodies = [deliver_body(req["from"], req["to"], 0, dc, data)]
            else:
                parts = split(data, each, req.get("ref", 77))
                if req.get("reverse"):
                    parts.reverse()
                bodies = [deliver_body(req["from"], req["to"], 0x40, dc, p) for p in parts]
            return {"seqs": [push_deliver(b) for b in bodies]}
        if c == "raw_deliver":
            return {"seqs": [push_deliver(bytes.fromhex(req["hex"]))]}
        if c == "receipt":
            text = ("id:%s sub:001 dlvrd:001 submit date:2612041030 done date:2612041031 "
                    "stat:%s err:000 text:" % (req["id"], req["stat"])).encode()
            tlv = struct.pack(">HH", 0x001E, len(req["id"]) + 1) + req["id"].encode() + b"\x00"
            return {"seqs": [push_deliver(deliver_body(req.get("from", "48601234567"),
                                                       req.get("to", "ACME"), 0x04, 0, text,
                                                       tlv))]}
        if c == "hold":
            # The next N submit_sm are kept but never answered (an SMSC that took a text
            # and lost the connection before acknowledging it).
            with lock:
                st["hold"] = req["n"]
            return {"ok": True}
        if c == "garbage":
            send(bytes.fromhex(req["hex"]))
            return {"ok": True}
        if c == "wait":
            # Waits up to `timeout` s for a key of the state to reach a value.
            end = time.time() + req.get("timeout", 10)
            with lock:
                while time.time() < end:
                    st["unacked"] = len(pending) + len(redeliver)
                    v = st.get(req["key"])
                    n = len(v) if isinstance(v, list) else v
                    if req["key"] in ("bound", "unacked"):
                        done = v == req["value"]
                    else:
                        done = n is not None and n >= req["value"]
                    if done:
                        break
                    lock.wait(end - time.time())
            return self.do({"cmd": "state"})
        if c == "state":
            with lock:
                out = dict(st)
                out["unacked"] = len(pending) + len(redeliver)
                return out
        raise ValueError("unknown command " + c)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    global system_id, password
    port, cport = int(sys.argv[1]), int(sys.argv[2])
    args = sys.argv[3:]
    if "--system-id" in args:
        system_id = args[args.index("--system-id") + 1]
    if "--password" in args:
        password = args[args.index("--password") + 1]
    smpp = Server(("127.0.0.1", port), Esme)
    ctl = Server(("127.0.0.1", cport), Control)
    threading.Thread(target=smpp.serve_forever, daemon=True).start()
    print("ready", flush=True)
    ctl.serve_forever()


if __name__ == "__main__":
    main()
