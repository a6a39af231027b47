"""Contacts and recordings through the API, around a real call (t-api-contacts.sh).

usage: api_contacts.py HTTP_PORT before STATE
           creates and searches contacts, checks validation and the access matrix of the
           contact endpoints, writes the caller's contact id to STATE
       api_contacts.py HTTP_PORT after STATE DB
           after the call: the contact's history, the recording whole and in ranges, the
           access matrix of the recording, paths outside the recordings directory, and
           the audit log
"""
import http.client
import json
import os
import sqlite3
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
phase, state = sys.argv[2], sys.argv[3]
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200
tok = {r: api.login(*a) for r, a in {
    "agent": ("acme", "alice", "alice-secret"),
    "agent2": ("acme", "dave", "dave-secret"),
    "sup": ("acme", "bob", "bob-secret"),
    "admin": ("acme", "ada", "ada-secret"),
    "qa": ("acme", "quinn", "quinn-secret"),
    "other": ("beta", "carl", "carl-secret"),
}.items()}
tok["none"] = None


def call(method, path, who, body=None, raw=None, dpath=None):
    st, b, r = api.call(method, path, tok[who] if who else None, body, raw)
    if dpath and isinstance(b, dict):
        check_response(doc, method, dpath, st, b)
    return st, b


def q(**kw):
    return urllib.parse.urlencode(kw, quote_via=urllib.parse.quote)


def search(who, **kw):
    st, b = call("GET", "/api/v1/contacts?" + q(**kw), who, dpath="/api/v1/contacts")
    assert st == 200, (kw, st, b)
    return [c["id"] for c in b["items"]], b


def matrix(rows):
    """rows: (method, path, doc path, body, {caller: status}); callers in the order given."""
    n = 0
    for method, path, dpath, body, want in rows:
        assert dpath in doc["paths"] and method.lower() in doc["paths"][dpath], \
            f"{method} {dpath} is not in the OpenAPI document"
        for who, status in want.items():
            st, b = call(method, path, who, body, dpath=dpath)
            assert st == status, f"{method} {path} as {who}: {st}, expected {status}: {b}"
            n += 1
    return n


if phase == "before":
    # ---- create, in several alphabets, phones in several written forms ----
    people = [
        {"first_name": "Łukasz", "last_name": "Żółkiewski", "phones": ["0048 601-234-561"],
         "emails": ["Lukasz.Z@Example.PL"], "language": "pl", "tags": ["gold"],
         "custom": {"account": "A-17"}, "vip": True},
        {"first_name": "Íñigo", "last_name": "Muñoz", "phones": ["+34 612 34 56 78"],
         "company": "Señor Café S.L."},
        {"first_name": "Фёдор", "last_name": "Ёлкин", "phones": ["+7 (495) 123-45-67"],
         "emails": ["fedor@example.ru"]},
    ]
    ids = []
    for p in people:
        st, c = call("POST", "/api/v1/contacts", "agent", p, dpath="/api/v1/contacts")
        assert st == 201, (st, c)
        for k, v in p.items():
            if k not in ("phones", "emails"):
                assert c[k] == v, (k, c[k], v)
        ids.append(c["id"])
    pl, es, ru = ids
    st, c = call("GET", f"/api/v1/contacts/{pl}", "agent", dpath="/api/v1/contacts/{id}")
    assert st == 200 and c["phones"] == ["+48601234561"], c
    assert c["emails"] == ["Lukasz.Z@example.pl"] and c["interactions"] == [], c
    assert c["do_not_call"] is False and c["created"].endswith("Z"), c

    # ---- search by name: prefix, any case, Polish, Spanish, Russian ----
    for text, want in [("ŁUK", [pl]), ("łukasz ż", [pl]), ("żółk", [pl]), ("ŻÓŁKIEWSKI Ł", [pl]),
                       ("íñi", [es]), ("MUÑOZ", [es]), ("señor caf", [es]), ("фёд", [ru]),
                       ("ЁЛКИН", [ru]), ("lukasz", []), ("x", [])]:
        got, _ = search("sup", q=text)
        assert got == want, (text, got, want)
    # ---- by phone, in any written form; by e-mail in any case ----
    for form in ("601 234 561", "+48 601 234 561", "0048601234561", "+48 (0) 601-234-561",
                 "tel:+48601234561"):
        got, _ = search("agent", phone=form)
        assert got == [pl], (form, got)
    got, _ = search("agent", phone="+7 495 123 45 67")
    assert got == [ru], got
    got, _ = search("agent", email="LUKASZ.Z@example.pl")
    assert got == [pl], got
    got, _ = search("agent", email="nobody@example.pl")
    assert got == [], got
    # ---- keyset pages ----
    for i in range(3):
        st, _ = call("POST", "/api/v1/contacts", "sup", {"last_name": f"Pagina {i}"})
        assert st == 201
    got, b = search("agent", q="pagina", limit=2)
    assert len(got) == 2 and b["next"], b
    got2, b2 = search("agent", q="pagina", limit=2, cursor=b["next"])
    assert len(got2) == 1 and b2["next"] is None and not set(got) & set(got2), (b, b2)
    assert sorted(got + got2) == got + got2, "pages are ordered by id"

    # ---- update: only the fields given; null clears ----
    st, c = call("PUT", f"/api/v1/contacts/{es}", "agent",
                 {"company": None, "tags": ["spain"], "phones": ["612345678", "+34 699 000 111"]},
                 dpath="/api/v1/contacts/{id}")
    assert st == 200 and c["company"] is None and c["tags"] == ["spain"], c
    assert c["first_name"] == "Íñigo" and c["phones"] == ["+48612345678", "+34699000111"], c
    got, _ = search("agent", q="señor")
    assert got == [], got
    got, _ = search("agent", phone="+34 699 000 111")
    assert got == [es], got

    # ---- validation: the field's path, unknown fields, types ----
    bad = [
        ({"first_name": "A", "phones": ["601 234 561", "not a number"]}, "phones[1]"),
        ({"first_name": "A", "emails": ["nobody"]}, "emails[0]"),
        ({"first_name": "A", "nickname": "x"}, "nickname"),
        ({"first_name": 12}, "first_name"),
        ({"first_name": "A", "vip": "yes"}, "vip"),
        ({"first_name": "A", "custom": [1]}, "custom"),
        ({"first_name": "A", "tags": "gold"}, "tags"),
        ({"first_name": "A", "phones": [""]}, "phones[0]"),
    ]
    for body, field in bad:
        for method, path in (("POST", "/api/v1/contacts"), ("PUT", f"/api/v1/contacts/{pl}")):
            st, b = call(method, path, "agent", body)
            assert st == 400 and b["error"]["field"] == field, (method, body, st, b)
    st, b = call("POST", "/api/v1/contacts", "agent", {})
    assert st == 400 and "needs a name" in b["error"]["message"], b
    st, b = call("POST", "/api/v1/contacts", "agent", raw='{"first_name": "A",}')
    assert st == 400 and b["error"]["code"] == "invalid_json" and b["error"]["offset"] > 0, b
    for qs, field in (("q=a&phone=601234561", None), ("phone=abc", "phone"), ("limit=0", "limit"),
                      ("sort=name", None), ("cursor=%21%21", "cursor")):
        st, b = call("GET", "/api/v1/contacts?" + qs, "agent")
        assert st == 400 and b["error"].get("field") == field, (qs, st, b)
    st, b = call("GET", f"/api/v1/contacts/{pl}?history=101", "agent")
    assert st == 400 and b["error"]["field"] == "history", b
    st, c = call("GET", f"/api/v1/contacts/{pl}", "agent")
    assert c["first_name"] == "Łukasz" and c["phones"] == ["+48601234561"], "a refused body changed it"

    # ---- another tenant: nothing of acme's, ever ----
    st, _ = call("POST", "/api/v1/contacts", "other", {"first_name": "Łukasz"})
    assert st == 201
    got, _ = search("other", q="łuk")
    assert len(got) == 1 and got[0] not in ids, got
    got, _ = search("other", phone="+48601234561")
    assert got == [], got
    got, _ = search("agent", q="łuk")
    assert got == [pl], got

    # ---- the access matrix of the contact endpoints ----
    st, tmp = call("POST", "/api/v1/contacts", "sup", {"first_name": "Temp"})
    tmp = tmp["id"]
    n = matrix([
        ("GET", "/api/v1/contacts", "/api/v1/contacts", None,
         dict(none=401, agent=200, agent2=200, sup=200, admin=200, qa=200, other=200)),
        ("POST", "/api/v1/contacts", "/api/v1/contacts", {"first_name": "Matrix"},
         dict(none=401, agent=201, agent2=201, sup=201, admin=201, qa=403, other=201)),
        ("GET", f"/api/v1/contacts/{pl}", "/api/v1/contacts/{id}", None,
         dict(none=401, agent=200, agent2=200, sup=200, admin=200, qa=200, other=404)),
        ("PUT", f"/api/v1/contacts/{ru}", "/api/v1/contacts/{id}", {"vip": True},
         dict(none=401, agent=200, agent2=200, sup=200, admin=200, qa=403, other=404)),
        ("PUT", "/api/v1/contacts/NOPE", "/api/v1/contacts/{id}", {"vip": True},
         dict(agent=404, sup=404, admin=404, other=404)),
        ("DELETE", f"/api/v1/contacts/{tmp}", "/api/v1/contacts/{id}", None,
         dict(none=401, agent=403, agent2=403, sup=403, qa=403, other=404, admin=204)),
        ("GET", f"/api/v1/contacts/{tmp}", "/api/v1/contacts/{id}", None,
         dict(admin=404, sup=404)),
        ("DELETE", f"/api/v1/contacts/{tmp}", "/api/v1/contacts/{id}", None, dict(admin=404)),
    ])
    print(f"contacts access matrix: {n} requests as expected", file=sys.stderr)
    json.dump({"pl": pl, "es": es, "ru": ru, "tmp": tmp}, open(state, "w"))
    print("api contacts (before the call): ok", file=sys.stderr)
    sys.exit(0)

# ---- after the call ----
ids = json.load(open(state))
pl, db_path = ids["pl"], sys.argv[4]
deadline = time.time() + 20
while True:
    st, c = call("GET", f"/api/v1/contacts/{pl}?history=5", "sup",
                 dpath="/api/v1/contacts/{id}")
    assert st == 200, (st, c)
    if c["interactions"] and c["interactions"][0]["ended"] and c["interactions"][0]["recording"]:
        break
    assert time.time() < deadline, f"no ended call with a recording in the history: {c}"
    time.sleep(0.2)
ix = c["interactions"][0]
assert len(c["interactions"]) == 1 and ix["contact"] == pl and ix["agent"] == "alice", c
# The agent who took it sees it in the history; another agent sees the contact only.
st, c = call("GET", f"/api/v1/contacts/{pl}", "agent")
assert [i["id"] for i in c["interactions"]] == [ix["id"]], c
st, c = call("GET", f"/api/v1/contacts/{pl}", "agent2")
assert st == 200 and c["interactions"] == [], c
st, c = call("GET", f"/api/v1/contacts/{pl}?history=0", "sup")
assert c["interactions"] == [], c
st, c = call("GET", f"/api/v1/contacts/{pl}", "other")
assert st == 404, c

# The file must be complete (the recorder closes it at the hang-up): wait until stable.
path = ix["recording"]
prev = -1
for _ in range(50):
    size = os.path.getsize(path)
    if size == prev and size > 44:
        break
    prev = size
    time.sleep(0.2)
wav = open(path, "rb").read()
size = len(wav)
assert size > 2 * 65536, f"a recording of several chunks was expected, got {size} bytes"


def download(who, rng=None, conn=None, iid=None):
    c = conn or http.client.HTTPConnection(api.host, api.port, timeout=10)
    h = {}
    if tok.get(who):
        h["Authorization"] = "Bearer " + tok[who]
    if rng:
        h["Range"] = rng
    c.request("GET", f"/api/v1/interactions/{iid or ix['id']}/recording", headers=h)
    r = c.getresponse()
    body = r.read()
    if not conn:
        c.close()
    return r.status, body, r


RPATH = "/api/v1/interactions/{id}/recording"
assert RPATH in doc["paths"] and "get" in doc["paths"][RPATH]
st, body, r = download("agent")
assert st == 200 and body == wav, (st, len(body), size)
assert r.getheader("Content-Type") == "audio/wav" and r.getheader("Accept-Ranges") == "bytes"
assert int(r.getheader("Content-Length")) == size
# Ranges on one kept-alive connection, then an ordinary request on the same connection.
conn = http.client.HTTPConnection(api.host, api.port, timeout=10)
for rng, first, last in (("bytes=0-43", 0, 43), ("bytes=100-", 100, size - 1),
                         ("bytes=-10", size - 10, size - 1),
                         (f"bytes=70000-{size + 5000}", 70000, size - 1),
                         ("bytes=-999999999", 0, size - 1)):
    st, body, r = download("sup", rng, conn)
    assert st == 206, (rng, st, body[:200])
    assert r.getheader("Content-Range") == f"bytes {first}-{last}/{size}", (rng, r.getheaders())
    assert body == wav[first:last + 1], (rng, len(body))
assert wav[:4] == b"RIFF"
st, body, r = download("qa", f"bytes={size}-", conn)
assert st == 416 and r.getheader("Content-Range") == f"bytes */{size}", (st, r.getheaders())
check_response(doc, "GET", RPATH, st, json.loads(body))
conn.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + tok["sup"]})
r = conn.getresponse()
assert r.status == 200 and json.loads(r.read())["username"] == "bob"
conn.close()
# Ranges this server does not serve give the whole file, as RFC 9110 allows.
for rng in ("bytes=0-1,5-6", "items=0-1", "bytes=9-3", "bytes=x-"):
    st, body, r = download("admin", rng)
    assert st == 200 and body == wav, (rng, st)

# Who may download: the agent of the call and those who see the tenant's interactions.
want = dict(none=401, agent=200, agent2=404, sup=200, admin=200, qa=200, other=404)
for who, status in want.items():
    st, body, _ = download(who, "bytes=0-3")
    status = 206 if status == 200 else status
    assert st == status, f"recording as {who}: {st}, expected {status}"
    if st >= 400:
        check_response(doc, "GET", RPATH, st, json.loads(body))
print(f"recording access matrix: {len(want)} requests as expected", file=sys.stderr)
st, _, _ = download("sup", iid="NOPE")
assert st == 404

# Records whose path leaves the recordings directory (or the tenant's folder) are never
# served, whatever the database says.
rec_dir = os.path.dirname(os.path.dirname(os.path.dirname(path)))
os.makedirs(os.path.join(rec_dir, "beta"), exist_ok=True)
open(os.path.join(rec_dir, "beta", "x.wav"), "wb").write(b"RIFF-beta")
os.symlink("/etc/hostname", os.path.join(os.path.dirname(path), "link.wav"))
evil = {"EVIL1": "/etc/hostname", "EVIL2": os.path.join(os.path.dirname(path), "..", "..", "..",
                                                        "centrala.yaml"),
        "EVIL3": os.path.join(rec_dir, "beta", "x.wav"),
        "EVIL4": os.path.join(os.path.dirname(path), "link.wav"),
        "NOREC": None}
db = sqlite3.connect(db_path, timeout=10)
for iid, p in evil.items():
    db.execute("INSERT INTO interactions (tenant, id, channel, direction, agent, created_ms, "
               "recording, timeline, updated_ms) VALUES ('acme', ?, 'voice', 'inbound', "
               "'alice', 1, ?, '[]', 1)", (iid, p))
db.commit()
db.close()
for iid in evil:
    st, body, _ = download("sup", iid=iid)
    assert st == 404, (iid, st, body[:100])

# Every download is in the audit log: who, which interaction, what was served.
st, audit = call("GET", "/api/v1/audit", "admin", dpath="/api/v1/audit")
dl = [a for a in audit["items"] if a["action"] == "download"]
assert all(a["object"] == "interaction" and a["key"] == ix["id"] for a in dl), dl
actors = {a["actor"] for a in dl}
assert actors == {"api:alice", "api:bob", "api:ada", "api:quinn"}, actors
details = [a["detail"] for a in dl]
assert f"whole {size}, segments 1 of 1" in details, details
assert f"bytes 0-43/{size}, segments 1 of 1" in details, details
assert any(d.startswith("unsatisfiable") for d in details), details
assert len(dl) == 1 + 5 + 1 + 4 + 4, len(dl)
contact_audit = [(a["actor"], a["action"], a["key"]) for a in audit["items"]
                 if a["object"] == "contact"]
assert ("api:alice", "create", pl) in contact_audit, contact_audit
assert ("api:ada", "delete", ids["tmp"]) in contact_audit, contact_audit
assert any(a["action"] == "update" and a["key"] == ids["es"] and "company" in a["detail"]
           for a in audit["items"]), "the update's fields are audited"
st, audit = call("GET", "/api/v1/audit", "other")
assert not [a for a in audit["items"] if a["object"] == "interaction"], audit

# ---- merging a duplicate: the caller's contact goes into a newer one with the same number ----
st, dup = call("POST", "/api/v1/contacts", "agent",
               {"last_name": "Żółkiewski", "phones": ["+48 601 234 561"], "emails": ["lz@example.pl"]},
               dpath="/api/v1/contacts")
assert st == 201, dup
merge = f"/api/v1/contacts/{dup['id']}/merge"
mdoc = "/api/v1/contacts/{id}/merge"
for who, body, want in [
        ("none", {"from": pl}, 401), ("qa", {"from": pl}, 403), ("other", {"from": pl}, 404),
        ("agent", {}, 400), ("agent", {"from": dup["id"]}, 400), ("agent", {"from": pl, "x": 1}, 400),
        ("agent", {"from": 7}, 400), ("agent", {"from": "NOPE"}, 404)]:
    st, b = call("POST", merge, who, body, dpath=mdoc if who != "none" else None)
    assert st == want, (who, body, st, b)
st, b = call("POST", f"/api/v1/contacts/NOPE/merge", "sup", {"from": pl})
assert st == 404, b
st, m = call("POST", merge, "agent", {"from": pl}, dpath=mdoc)
assert st == 200 and m["id"] == dup["id"] and m["moved"] == 1, m
# The kept contact's own fields stay (its name is a whole: no first name is borrowed);
# lists become the union, and what it lacked comes from the other.
assert m["last_name"] == "Żółkiewski" and m.get("first_name") is None, m
assert m["phones"] == ["+48601234561"] and "gold" in m["tags"] and m["language"] == "pl", m
assert m["emails"] == ["lz@example.pl", "Lukasz.Z@example.pl"], m
st, b = call("GET", f"/api/v1/contacts/{pl}", "sup")
assert st == 404, b
st, c = call("GET", f"/api/v1/contacts/{dup['id']}", "sup")
assert [i["id"] for i in c["interactions"]] == [ix["id"]], c
assert c["interactions"][0]["contact"] == dup["id"], c
st, found = call("GET", "/api/v1/contacts?phone=601234561", "agent")
assert [x["id"] for x in found["items"]] == [dup["id"]], found
st, b = call("POST", merge, "agent", {"from": pl})  # gone now
assert st == 404, b
st, audit = call("GET", "/api/v1/audit", "admin")
ca = [(a["actor"], a["action"], a["key"], a["detail"]) for a in audit["items"] if a["object"] == "contact"]
assert ("api:alice", "merge", dup["id"], f"from {pl}, 1 interactions") in ca, ca
assert ("api:alice", "delete", pl, f"into {dup['id']}") in ca, ca
print("api contacts: merge ok", file=sys.stderr)
print("api contacts (after the call): ok", file=sys.stderr)
