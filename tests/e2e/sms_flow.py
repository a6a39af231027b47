"""The SMS channel end to end, driven from outside: the customers write through the test
SMSC's control port (tests/channels/smsc.py) and the HTTP gateway's webhook, agent alice
works through the API and its events WebSocket, and what the server sends is read from
the SMSC's record and the gateway receiver's files.

usage: sms_flow.py API_PORT SMSC_CONTROL_PORT GATEWAY_DIR STATE [PHASE]
  PHASE 1 (default): the flows above; a third customer's text is left offered.
  PHASE 2 (after a restart): that conversation, resumed from the store, is offered to
          alice again under the same id with its text; she accepts and closes it.
"""
import glob
import hashlib
import hmac
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sip"))
from api import Api, WebSocket, check_response  # noqa: E402

port, cport, gwdir, state_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
phase = sys.argv[5] if len(sys.argv) > 5 else "1"
api = Api(port)
ctl = socket.create_connection(("127.0.0.1", cport))
ctl_f = ctl.makefile("rw")


def smsc(**cmd):
    ctl_f.write(json.dumps(cmd) + "\n")
    ctl_f.flush()
    ans = json.loads(ctl_f.readline())
    assert "error" not in ans, ans
    return ans


def event(ws, type_, pred=lambda d: True, timeout=30):
    m, _ = ws.wait(lambda m: m.get("type") == type_ and pred(m["data"]), timeout=timeout)
    return m["data"]


st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200
tok = api.login("acme", "alice", "alice-secret")
ws = WebSocket(port, tok)
ws.send({"subscribe": ["agent.me"]})
assert ws.recv()["type"] == "subscribed"
st, b, _ = api.call("PUT", "/api/v1/agents/me/state", tok, {"state": "ready"})
assert st in (200, 204), (st, b)

if phase == "2":
    state = json.load(open(state_path))
    d = event(ws, "contact.offered", lambda d: d.get("interaction") == state["open_ix"])
    assert d["channel"] == "sms" and d["from"] == "+48601999999", d
    assert [m["body"] for m in d["messages"]] == ["przed restartem"], d["messages"]
    st, b, _ = api.call("POST", f"/api/v1/interactions/{d['interaction']}/accept", tok)
    assert st == 200, (st, b)
    st, b, _ = api.call("POST", f"/api/v1/interactions/{d['interaction']}/close", tok)
    assert st == 200, (st, b)
    print("sms flow phase 2 ok")
    sys.exit(0)
st, b, _ = api.call("POST", "/api/v1/contacts", tok,
                    {"first_name": "Jan", "last_name": "Kowalski", "phones": ["+48601234567"]})
assert st == 201, (st, b)
contact_id = b["id"]

# SMPP in: a new conversation, offered with the contact matched by the number.
smsc(cmd="deliver", **{"from": "48601234567", "to": "48221234567",
                       "text": "Dzien dobry, zamowienie 42 {pilne}", "coding": "gsm"})
d = event(ws, "contact.offered", lambda d: d.get("channel") == "sms")
ix = d["interaction"]
assert d["from"] == "+48601234567" and d["to"] == "+48221234567" and d["queue"] == "support", d
assert d["contact"] and d["contact"]["id"] == contact_id, f"contact not matched: {d}"
assert [m["body"] for m in d["messages"]] == ["Dzien dobry, zamowienie 42 {pilne}"], d["messages"]
st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/accept", tok)
assert st == 200, (st, b)
check_response(doc, "POST", "/api/v1/interactions/{id}/accept", st, b)

# The customer's next text joins the conversation held by alice.
smsc(cmd="deliver", **{"from": "+48601234567", "to": "48221234567",
                       "text": "Czy mozna szybciej?", "coding": "gsm"})
d = event(ws, "contact.updated", lambda d: d.get("interaction") == ix and len(d["messages"]) == 2)
assert d["messages"][1]["event"] == "sms_in", d

# A reply of 300 Russian characters: five UCS-2 parts with one reference at the SMSC.
ru = ("Здравствуйте! Ваш заказ 42 отправлен сегодня. " * 7)[:300]
assert len(ru) == 300
st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/reply", tok, {"body": ru})
assert st == 200, (st, b)
check_response(doc, "POST", "/api/v1/interactions/{id}/reply", st, b)
assert b["message_id"] == "M1,M2,M3,M4,M5", b
subs = smsc(cmd="state")["submits"]
assert len(subs) == 5, subs
assert all(s["data_coding"] == 8 and s["esm_class"] == 0x40 for s in subs), subs
assert all(s["to"] == "48601234567" and s["dest_ton"] == 1 and s["from"] == "48221234567"
           for s in subs), subs
assert len({s["udh"][:6] for s in subs}) == 1, "the parts do not share one reference"
assert [s["udh"][6:] for s in subs] == ["0501", "0502", "0503", "0504", "0505"], subs
assert "".join(s["text"] for s in subs) == ru
assert all(s["registered_delivery"] == 1 for s in subs), subs
d = event(ws, "contact.updated",
          lambda d: d.get("interaction") == ix and any(m["event"] == "sms_out" for m in d["messages"]))

# The delivery receipt of the first part.
smsc(cmd="receipt", id="M1", stat="DELIVRD", **{"from": "48601234567", "to": "48221234567"})

# 300 Russian characters from the customer in five parts, the last first.
smsc(cmd="deliver", **{"from": "48601234567", "to": "48221234567", "text": ru,
                       "coding": "ucs2", "reverse": True, "ref": 201})
d = event(ws, "contact.updated", lambda d: d.get("interaction") == ix and len(d["messages"]) == 4)
assert d["messages"][3]["body"] == ru, d["messages"][3]

# Garbage on the SMPP socket: the session binds again; the text behind it arrives.
smsc(cmd="garbage", hex="000000034741524241474521")
smsc(cmd="deliver", **{"from": "48601234567", "to": "48221234567", "text": "po smieciach",
                       "coding": "gsm"})
d = event(ws, "contact.updated", lambda d: d.get("interaction") == ix and len(d["messages"]) == 5)
assert d["messages"][4]["body"] == "po smieciach", d["messages"]
assert smsc(cmd="wait", key="unacked", value=0)["binds"] == 2

st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/close", tok)
assert st == 200, (st, b)
check_response(doc, "POST", "/api/v1/interactions/{id}/close", st, b)

# HTTP gateway: a wrong signature is refused, a signed text becomes a contact of sales.
body = json.dumps({"from": "+34911234567", "to": "+48221230000",
                   "text": "¿Tienen el modelo en azul?", "id": "prov-1"}).encode()
st, b, _ = api.call("POST", "/api/v1/public/sms/acme/sales", raw=body,
                    headers={"X-Centrala-Signature": "sha256=" + "0" * 64})
assert st == 401, (st, b)
st, b, _ = api.call("POST", "/api/v1/public/sms/acme/sales", raw=body)
assert st == 401, (st, b)
sig = hmac.new(b"gw-secret", body, hashlib.sha256).hexdigest()
st, b, _ = api.call("POST", "/api/v1/public/sms/acme/sales", raw=body,
                    headers={"X-Centrala-Signature": "sha256=" + sig})
assert st == 202, (st, b)
check_response(doc, "POST", "/api/v1/public/sms/{tenant}/{queue}", st, b)
st, b, _ = api.call("POST", "/api/v1/public/sms/acme/support", raw=body,
                    headers={"X-Centrala-Signature": "sha256=" + sig})
assert st == 404, (st, b)
d = event(ws, "contact.offered", lambda d: d.get("channel") == "sms" and d["queue"] == "sales")
gix = d["interaction"]
assert d["from"] == "+34911234567" and d["messages"][0]["body"] == "¿Tienen el modelo en azul?", d
st, b, _ = api.call("POST", f"/api/v1/interactions/{gix}/accept", tok)
assert st == 200, (st, b)
st, b, _ = api.call("POST", f"/api/v1/interactions/{gix}/reply", tok,
                    {"body": "Sí, en azul también.", "attachments": []})
assert st == 400, (st, b)
st, b, _ = api.call("POST", f"/api/v1/interactions/{gix}/reply", tok, {"body": "Sí, en azul también."})
assert st == 200 and b["message_id"] == "g-1", (st, b)
posts = sorted(glob.glob(os.path.join(gwdir, "*.json")))
assert len(posts) == 1, posts
p = json.load(open(posts[0]))
sent = json.loads(p["body"])
assert p["path"] == "/send", p
assert sent == {"from": "+48221230000", "to": "+34911234567", "text": "Sí, en azul también.",
                "reference": gix}, sent
hdr = {k.lower(): v for k, v in p["headers"].items()}
assert hdr["authorization"] == "Bearer gw-token", hdr
want = hmac.new(b"gw-secret", p["body"].encode(), hashlib.sha256).hexdigest()
assert hdr["x-centrala-signature"] == "sha256=" + want, hdr
st, b, _ = api.call("POST", f"/api/v1/interactions/{gix}/close", tok)
assert st == 200, (st, b)

# Opt-out. A STOP alone (any case, blanks and a mark around it) puts the number on the
# tenant's do-not-text list (and, as this tenant says, its campaigns' do-not-call list),
# is confirmed once in the tenant's language (pl), and no agent is asked to read it.
boss = api.login("acme", "boss", "boss-secret")


def sms_ix_of_contact():
    st, b, _ = api.call("GET", f"/api/v1/interactions?contact={contact_id}&channel=sms", boss)
    assert st == 200, (st, b)
    return b["items"]


def dnc(campaign=None):
    q = "?campaign=" + campaign if campaign else ""
    st, b, _ = api.call("GET", "/api/v1/dnc" + q.replace("@", "%40"), boss)
    assert st == 200, (st, b)
    return [i["phone"] for i in b["items"]]


n_sub = len(smsc(cmd="state")["submits"])
smsc(cmd="deliver", **{"from": "48601234567", "to": "48221234567", "text": " Stop! ",
                       "coding": "gsm"})
subs = smsc(cmd="wait", key="submits", value=n_sub + 1)["submits"]
assert len(subs) == n_sub + 1, subs
assert subs[-1]["to"] == "48601234567" and subs[-1]["text"].startswith("Nie wyślemy"), subs[-1]
assert "+48601234567" in dnc("@sms") and "+48601234567" in dnc(), (dnc("@sms"), dnc())


def wait_for(pred, what, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def opt_ixs(kind):
    return [i for i in sms_ix_of_contact()
            if any(e["event"] == kind for e in i["timeline"]) and i["ended"]]


stop_ix = wait_for(lambda: opt_ixs("opted_out"), "the STOP's interaction closed")[0]
ev = [e["event"] for e in stop_ix["timeline"]]
assert ev == ["created", "sms_in", "opted_out", "sms_out", "closed"], ev
assert not stop_ix["queue"] or stop_ix["queue"] == "support", stop_ix
out = [e for e in stop_ix["timeline"] if e["event"] == "sms_out"][0]
assert out["automatic"] is True and out["body"].startswith("Nie wyślemy"), out

# A second STOP is recorded but not answered: once is enough.
smsc(cmd="deliver", **{"from": "48601234567", "to": "48221234567", "text": "СТОП",
                       "coding": "ucs2"})
wait_for(lambda: len(opt_ixs("opted_out")) == 2, "the second STOP recorded")
assert len(smsc(cmd="state")["submits"]) == n_sub + 1, "the second STOP was answered"

# The customer writes again: an agent may read it, but a reply is refused, clearly.
smsc(cmd="deliver", **{"from": "48601234567", "to": "48221234567", "text": "Jednak pytanie",
                       "coding": "gsm"})
d = event(ws, "contact.offered", lambda d: d.get("from") == "+48601234567")
oix = d["interaction"]
st, b, _ = api.call("POST", f"/api/v1/interactions/{oix}/accept", tok)
assert st == 200, (st, b)
st, b, _ = api.call("POST", f"/api/v1/interactions/{oix}/reply", tok, {"body": "Odpowiedz"})
assert st == 409 and b["error"]["code"] == "opted_out", (st, b)
assert "START" in b["error"]["message"], b
check_response(doc, "POST", "/api/v1/interactions/{id}/reply", st, b)
assert len(smsc(cmd="state")["submits"]) == n_sub + 1, "a text went to a number that opted out"

# START (in Spanish, accented) joins the held conversation, takes the number off both
# lists and is confirmed; then the agent's reply goes.
smsc(cmd="deliver", **{"from": "48601234567", "to": "48221234567", "text": "Álta",
                       "coding": "ucs2"})
subs = smsc(cmd="wait", key="submits", value=n_sub + 2)["submits"]
assert len(subs) == n_sub + 2 and subs[-1]["text"].startswith("Wznowiono"), subs[-1]
d = event(ws, "contact.updated", lambda d: d.get("interaction") == oix and
          any(m["body"] == "Álta" for m in d["messages"]))
assert "+48601234567" not in dnc("@sms") and "+48601234567" not in dnc(), (dnc("@sms"), dnc())
st, b, _ = api.call("POST", f"/api/v1/interactions/{oix}/reply", tok, {"body": "Odpowiedz"})
assert st == 200, (st, b)
st, b, _ = api.call("POST", f"/api/v1/interactions/{oix}/close", tok)
assert st == 200, (st, b)

# A conversation left offered across a restart.
smsc(cmd="deliver", **{"from": "48601999999", "to": "48221234567", "text": "przed restartem",
                       "coding": "gsm"})
d = event(ws, "contact.offered", lambda d: d.get("from") == "+48601999999")
json.dump({"smpp_ix": ix, "http_ix": gix, "open_ix": d["interaction"], "opt_ix": oix}, open(state_path, "w"))
print("sms flow ok")
