#!/usr/bin/env python3
"""A call recorded in several segments, downloaded through the API (t-api-control.sh).

    api_recording.py API_PORT INTERACTION_ID

The call was bridged again during its life (the mixer of a monitored or conferenced call
records a segment of its own), so its recording is more than one file. Checks: the
segments list (against the OpenAPI document), each ?segment=N byte for byte as on disk,
the whole call as one WAV (one header counting every segment's audio, then the audio of
each in order), byte ranges of the whole across a segment boundary, bad segment numbers,
who may download, and the audit entries of the downloads.
"""
import http.client
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import Api, check_response  # noqa: E402

api = Api(int(sys.argv[1]))
ix_id = sys.argv[2]
sue = api.login("acme", "sue", "sue-secret")
alice = api.login("acme", "alice", "alice-secret")
bob = api.login("acme", "bob", "bob-secret")
ada = api.login("acme", "ada", "ada-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
assert st == 200

st, ix, _ = api.call("GET", f"/api/v1/interactions/{ix_id}", sue)
assert st == 200, ix
paths = [ix["recording"]]
for e in ix["timeline"]:
    if e["event"] == "recording" and e.get("path") and e["path"] not in paths:
        paths.append(e["path"])
assert len(paths) >= 2, f"a call recorded in several segments was expected: {ix['timeline']}"

# The files are complete once the recorder closed them at the hang-up: wait until stable.
for p in paths:
    prev = -1
    for _ in range(50):
        size = os.path.getsize(p)
        if size == prev and size > 44:
            break
        prev = size
        time.sleep(0.2)
files = [open(p, "rb").read() for p in paths]


def get(path, token, rng=None):
    c = http.client.HTTPConnection(api.host, api.port, timeout=10)
    h = {"Authorization": "Bearer " + token}
    if rng:
        h["Range"] = rng
    c.request("GET", path, headers=h)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body, r


base = f"/api/v1/interactions/{ix_id}/recording"
SEGS = "/api/v1/interactions/{id}/recording/segments"
REC = "/api/v1/interactions/{id}/recording"

# The list: one item per file, in order, each with its size as served alone.
st, segs, _ = api.call("GET", base + "/segments", sue)
assert st == 200, segs
check_response(doc, "GET", SEGS, st, segs)
assert [s["segment"] for s in segs["items"]] == list(range(1, len(paths) + 1)), segs
assert all(s["available"] for s in segs["items"]), segs
assert [s["bytes"] for s in segs["items"]] == [len(f) for f in files], (segs, len(files))
assert all(s["started"] for s in segs["items"][1:]), segs

# Each segment alone, as stored.
for n, f in enumerate(files, 1):
    st, body, r = get(f"{base}?segment={n}", sue)
    assert st == 200 and body == f, (n, st, len(body), len(f))
    assert r.getheader("X-Recording-Segments") == str(len(files)), r.getheaders()

# The whole call: one WAV whose header counts the audio of every segment, then that audio.
audio = b"".join(f[44:] for f in files)
st, whole, r = get(base, sue)
assert st == 200 and r.getheader("Content-Type") == "audio/wav", (st, r.getheaders())
assert r.getheader("X-Recording-Segments") == str(len(files))
assert int(r.getheader("Content-Length")) == 44 + len(audio) == len(whole)
assert whole[:4] == b"RIFF" and whole[8:16] == b"WAVEfmt " and whole[36:40] == b"data"
assert whole[20:36] == files[0][20:36], "the format of the segments"
assert struct.unpack("<I", whole[40:44])[0] == len(audio)
assert struct.unpack("<I", whole[4:8])[0] == 36 + len(audio)
assert whole[44:] == audio, "the segments' audio in order"

# Ranges count in the whole call's bytes, across segment boundaries too.
edge = 44 + len(files[0]) - 44  # the first byte of the second segment's audio
size = len(whole)
for rng, first, last in ((f"bytes={edge - 10}-{edge + 9}", edge - 10, edge + 9),
                         ("bytes=0-43", 0, 43), ("bytes=-100", size - 100, size - 1),
                         (f"bytes={edge}-", edge, size - 1)):
    st, body, r = get(base, alice, rng)  # alice took the call: she may download it
    assert st == 206, (rng, st, body[:200])
    assert r.getheader("Content-Range") == f"bytes {first}-{last}/{size}", (rng, r.getheaders())
    assert body == whole[first:last + 1], rng
st, body, r = get(f"{base}?segment=2", sue, "bytes=0-43")
assert st == 206 and body == files[1][:44], st
assert r.getheader("Content-Range") == f"bytes 0-43/{len(files[1])}", r.getheaders()
st, body, r = get(base, sue, f"bytes={size}-")
assert st == 416 and r.getheader("Content-Range") == f"bytes */{size}", (st, r.getheaders())

# Bad segment numbers; someone who may not see the call.
for q, want in (("0", 400), ("x", 400), ("-1", 400), ("01", 400),
                (str(len(files) + 1), 404)):
    st, body, _ = get(f"{base}?segment={q}", sue)
    assert st == want, (q, st, body[:200])
    check_response(doc, "GET", REC, st, __import__("json").loads(body))
carl = api.login("beta", "carl", "carl-secret")  # another tenant's agent, supervisor, admin
for path in (base, base + "/segments", base + "?segment=1"):
    st, body, _ = get(path, bob)  # an agent who did not take the call
    assert st == 404, (path, st)
    st, body, _ = get(path, carl)
    assert st == 404 and b"RIFF" not in body, (path, st)

# Every download is audited with what was served.
st, audit, _ = api.call("GET", "/api/v1/audit", ada)
assert st == 200, audit
details = [a["detail"] for a in audit["items"]
           if a["action"] == "download" and a["key"] == ix_id]
n = len(files)
assert f"whole {size}, segments {n} of {n}" in details, details
assert f"whole {len(files[1])}, segment 2 of {n}" in details, details
assert f"bytes {edge - 10}-{edge + 9}/{size}, segments {n} of {n}" in details, details
assert len(details) == n + 1 + 4 + 1 + 1, details
print(f"recording in {n} segments: whole, each, ranges, access and audit as expected",
      file=sys.stderr)
