"""The email channel end to end, driven from outside: messages are dropped into the real
Dovecot's Maildir (as a delivery agent would), the agent works through the API and its
events WebSocket, and what the server sends is read from the real SMTP receiver's spool.

usage: email_flow.py PHASE API_PORT MAILDIR SPOOL STATE
  PHASE 1: a customer's email becomes a contact offered to alice; the acknowledgement
           with the ticket number arrives; a malformed message and an auto-reply are
           taken in between and only logged; a second customer's message with an
           oversized attachment is kept (the attachment refused) and waits, alice's
           email capacity being 1; alice accepts and replies with an attachment; the
           reply arrives threaded. STATE keeps what phase 2 needs.
  PHASE 2 (after a restart): the conversation left open is offered to alice again; the
           customer's answer (threaded on the reply) joins the same interaction; alice
           closes it, which frees her capacity: the second customer's email is offered.
"""
import base64
import email
import email.policy
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sip"))
from api import Api, WebSocket, check_response  # noqa: E402

phase, port, maildir, spool, state_path = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
api = Api(port)
_n = [0]


def deliver(name, raw):
    """Into Maildir new/ through tmp/ (rename is atomic), as an MDA does."""
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(raw)
    os.rename(tmp, os.path.join(maildir, "new", name))


def sent(n, timeout=30):
    """The first N messages the SMTP receiver got, parsed, in order of arrival."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        files = sorted(glob.glob(os.path.join(spool, "*.eml")))
        if len(files) >= n:
            out = []
            for f in files:
                with open(f, "rb") as fh:
                    raw = fh.read()
                env = open(f[:-4] + ".env").read().split("\n")
                out.append((email.message_from_bytes(raw, policy=email.policy.default), env, raw))
            return out
        time.sleep(0.1)
    raise AssertionError(f"the SMTP receiver has {len(glob.glob(os.path.join(spool, '*.eml')))} "
                         f"messages after {timeout}s, expected {n}")


def body_text(msg):
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content().replace("\r\n", "\n") if part else ""


def login_ready():
    tok = api.login("acme", "alice", "alice-secret")
    ws = WebSocket(port, tok)
    ws.send({"subscribe": ["agent.me"]})
    assert ws.recv()["type"] == "subscribed"
    st, b, _ = api.call("PUT", "/api/v1/agents/me/state", tok, {"state": "ready"})
    assert st in (200, 204), (st, b)
    return tok, ws


def offered(ws, pred, timeout=30):
    m, _ = ws.wait(lambda m: m.get("type") == "contact.offered" and pred(m["data"]),
                   timeout=timeout)
    return m["data"]


st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200

if phase == "1":
    tok, ws = login_ready()
    st, b, _ = api.call("POST", "/api/v1/contacts", tok,
                        {"first_name": "Jan", "last_name": "Kowalski",
                         "emails": ["Jan@Customer.test"]})
    assert st == 201, (st, b)
    c1 = (b"From: Jan Kowalski <jan@customer.test>\r\nTo: support@acme.test\r\n"
          b"Subject: Order 42 arrived broken\r\nMessage-ID: <c1@customer.test>\r\n"
          b"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
          b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
          b"The lamp from order 42 came broken.\r\n<b>not html</b>\r\n--XX\r\n"
          b"Content-Type: image/png\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\n"
          b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(b"\x89PNG fake") +
          b"\r\n--XX--\r\n")
    deliver("1.c1", c1)
    d = offered(ws, lambda d: d.get("from") == "jan@customer.test")
    ix = d["interaction"]
    assert d["channel"] == "email" and d["queue"] == "support" and d["agent"] == "alice", d
    assert d["subject"] == "Order 42 arrived broken" and d["ticket"] == ix, d
    assert d["contact"] and d["contact"]["id"], f"the contact was not matched by email: {d}"
    msgs = d["messages"]
    assert len(msgs) == 1 and msgs[0]["event"] == "email_in", msgs
    assert "came broken" in msgs[0]["body"] and "<b>not html</b>" in msgs[0]["body"], msgs
    att = msgs[0]["attachments"]
    assert len(att) == 1 and att[0]["name"] == "photo.png" and att[0]["path"], att
    assert open(att[0]["path"], "rb").read() == b"\x89PNG fake", "attachment not stored whole"

    # The acknowledgement: threaded, marked automatic, with the ticket number.
    (ack, env, _), = sent(1)
    assert env[1].strip() == "jan@customer.test", env
    assert ack["In-Reply-To"] == "<c1@customer.test>", ack["In-Reply-To"]
    assert ack["Auto-Submitted"] == "auto-replied", ack["Auto-Submitted"]
    assert f"Numer zgłoszenia: {ix}" in body_text(ack), body_text(ack)
    assert ack["Subject"] == "Re: Order 42 arrived broken", ack["Subject"]

    # Machine-written and unreadable mail in between: recorded, never answered. Then a
    # second customer whose attachment is over the 10 MiB limit: kept, attachment refused.
    deliver("2.auto", b"From: jan@customer.test\r\nTo: support@acme.test\r\nSubject: Out of "
            b"office\r\nMessage-ID: <auto1@customer.test>\r\nAuto-Submitted: auto-replied\r\n"
            b"\r\nI am away.\r\n")
    deliver("3.bad", b"From: eve@customer.test\r\nTo: support@acme.test\r\nSubject: bad\r\n"
            b"Message-ID: <bad1@customer.test>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"\r\nbroken \xff\xfe text\r\n")
    big = base64.encodebytes(os.urandom(11 << 20))
    deliver("4.big", b"From: Ola <ola@customer.test>\r\nTo: support@acme.test\r\n"
            b"Subject: Invoice\r\nMessage-ID: <big1@customer.test>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=YY\r\n\r\n--YY\r\n"
            b"Content-Type: text/plain\r\n\r\nPlease see the scan.\r\n--YY\r\n"
            b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
            b"filename=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + big +
            b"\r\n--YY--\r\n")
    # Its acknowledgement shows it was taken in (2 messages sent so far).
    msgs2 = sent(2, timeout=60)
    assert msgs2[1][1][1].strip() == "ola@customer.test", msgs2[1][1]

    # Accept, then reply with an attachment.
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/accept", tok)
    assert st == 200, (st, b)
    check_response(doc, "POST", "/api/v1/interactions/{id}/accept", st, b)
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/reply", tok,
                        {"body": "We are sorry: a new lamp leaves today.",
                         "attachments": [{"name": "label.txt", "type": "text/plain",
                                          "content": base64.b64encode(b"RMA 42").decode()}]})
    assert st == 200, (st, b)
    check_response(doc, "POST", "/api/v1/interactions/{id}/reply", st, b)
    reply_id = b["message_id"]
    st, b, _ = api.call("POST", "/api/v1/interactions/NOPE/reply", tok, {"body": "x"})
    assert st == 404, (st, b)
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/reply", tok, {"body": 5})
    assert st == 400, (st, b)
    # An attachment the mail worker cannot decode (no padding): the engine answers once
    # the failure is on the timeline (email_failed, counted in phase 2).
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/reply", tok,
                        {"body": "x", "attachments": [{"name": "a.txt", "content": "QQ"}]})
    assert st == 400 and b["error"]["code"] == "invalid_field", (st, b)
    assert "not base64" in b["error"]["message"], b
    reply, env, raw = sent(3)[2]
    assert env[1].strip() == "jan@customer.test", env
    assert reply["Message-ID"] == f"<{reply_id}>", (reply["Message-ID"], reply_id)
    assert reply["In-Reply-To"] == "<c1@customer.test>", reply["In-Reply-To"]
    assert "<c1@customer.test>" in reply["References"], reply["References"]
    assert reply["Auto-Submitted"] is None, "a person's reply is not automatic"
    text = body_text(reply)
    assert "a new lamp leaves today" in text, text
    assert "> The lamp from order 42 came broken." in text, f"no quoted history: {text}"
    assert "-- \nACME Support" in text, f"no signature: {text}"
    files = [p for p in reply.iter_attachments()]
    assert len(files) == 1 and files[0].get_filename() == "label.txt", files
    assert files[0].get_content() in ("RMA 42", b"RMA 42"), files[0].get_content()
    json.dump({"ix": ix, "reply_id": reply_id, "contact": d["contact"]["id"]},
              open(state_path, "w"))
    print(f"phase 1: interaction {ix}, reply {reply_id}")

else:
    state = json.load(open(state_path))
    ix = state["ix"]
    tok, ws = login_ready()
    # Open before the restart: offered again, to alice (capacity 1: the older first).
    d = offered(ws, lambda d: d.get("interaction") == ix)
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/accept", tok)
    assert st == 200, (st, b)
    # The customer answers the reply; the mail program keeps the thread.
    deliver("5.answer",
            ("From: Jan Kowalski <jan@customer.test>\r\nTo: support@acme.test\r\n"
             "Subject: Re: Order 42 arrived broken\r\nMessage-ID: <c2@customer.test>\r\n"
             f"In-Reply-To: <{state['reply_id']}>\r\n"
             f"References: <c1@customer.test> <{state['reply_id']}>\r\n"
             "Content-Type: text/plain; charset=utf-8\r\n\r\nThank you, dziękuję!\r\n").encode())
    m, _ = ws.wait(lambda m: m.get("type") == "contact.updated" and
                   m["data"].get("interaction") == ix and
                   any("dziękuję" in x.get("body", "") for x in m["data"]["messages"]),
                   timeout=30)
    ins = [x for x in m["data"]["messages"] if x["event"] == "email_in"]
    outs = [x for x in m["data"]["messages"] if x["event"] == "email_out"]
    assert len(ins) == 2, f"each message once: {ins}"
    assert [x["kind"] for x in outs] == ["acknowledgement", "reply"], outs
    # Closing frees alice's one email slot: the second customer is offered.
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/close", tok)
    assert st == 200, (st, b)
    check_response(doc, "POST", "/api/v1/interactions/{id}/close", st, b)
    d2 = offered(ws, lambda d: d.get("from") == "ola@customer.test")
    att = d2["messages"][0]["attachments"]
    assert len(att) == 1 and att[0]["refused"] and "path" not in att[0], att
    assert "Please see the scan." in d2["messages"][0]["body"], d2["messages"]
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/reply", tok, {"body": "late"})
    assert st == 404, (st, b)
    # The stored record: one interaction, both messages in, both out.
    # The store writes behind: the closed record is there within a bounded wait.
    deadline = time.time() + 15
    while True:
        st, b, _ = api.call("GET", f"/api/v1/interactions/{ix}", tok)
        if (st == 200 and b.get("ended")) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert st == 200 and b["channel"] == "email" and b["ended"], (st, b)
    assert b["contact"] == state["contact"], f"the contact is kept across the restart: {b}"
    evs = [e["event"] for e in b["timeline"]]
    assert evs.count("email_in") == 2 and evs.count("email_out") == 2, evs
    assert evs.count("email_failed") == 1, evs
    # No further acknowledgement: an answer to a conversation is not a new ticket.
    time.sleep(2)
    assert len(sent(3)) == 3, "an acknowledgement was sent for a reply"
    print(f"phase 2: {ix} closed, second customer offered")
