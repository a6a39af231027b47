#!/usr/bin/env python3
"""Downloads an encrypted recording through the API, for t-recording-encrypted.sh.

usage: rec_enc.py API_PORT OUT_DIR

Logs in as admin ada of tenant acme, finds the one interaction with a recording, checks
that its file on disk is sealed (ends in .wav.enc, starts with CENTREC1, holds no WAV
header, is longer than the WAV by its framing), downloads it whole (200, a WAV:
RIFF header whose data size matches the length) and in ranges that cross the sealed
records' boundaries (206 with the right Content-Range, bytes equal to the same slice of
the whole), a range past the end (416), and writes the whole download to
OUT_DIR/download.wav and the path on disk to OUT_DIR/path.txt. Exits 0 when all holds.
"""
import http.client
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import Api  # noqa: E402


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    api = Api(port)
    tok = api.login("acme", "ada", "ada-secret")
    deadline = time.time() + 10
    while True:
        st, body, _ = api.call("GET", "/api/v1/interactions", tok)
        assert st == 200, (st, body)
        items = [i for i in body["items"] if i.get("recording") and i.get("ended")]
        if items:
            break
        assert time.time() < deadline, f"no ended interaction with a recording: {body}"
        time.sleep(0.2)
    ix = items[0]
    path = ix["recording"]
    assert path.endswith(".wav.enc"), path
    disk = open(path, "rb").read()
    assert disk[:8] == b"CENTREC1" and b"WAVEfmt " not in disk, disk[:16]

    def get(rng=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        h = {"Authorization": "Bearer " + tok}
        if rng:
            h["Range"] = rng
        c.request("GET", f"/api/v1/interactions/{ix['id']}/recording", headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, r

    st, wav, r = get()
    assert st == 200 and r.getheader("Content-Type") == "audio/wav", (st, wav[:200])
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE", wav[:16]
    data_size = struct.unpack("<I", wav[40:44])[0]
    assert data_size + 44 == len(wav), (data_size, len(wav))
    assert len(wav) > 65536 + 44, f"a recording of several sealed records was expected: {len(wav)}"
    # Sealed framing: 32-byte prefix, 24 + 17 bytes per record.
    assert len(disk) > len(wav), (len(disk), len(wav))
    for first, last in ((0, 43), (40, 100), (65536 + 44 - 10, 65536 + 44 + 9), (1000, 70000),
                        (len(wav) - 5, len(wav) - 1)):
        st, part, r = get(f"bytes={first}-{last}")
        assert st == 206, (first, last, st)
        assert r.getheader("Content-Range") == f"bytes {first}-{last}/{len(wav)}", \
            r.getheader("Content-Range")
        assert part == wav[first:last + 1], (first, last)
    st, part, r = get("bytes=-100")
    assert st == 206 and part == wav[-100:], st
    st, _, r = get(f"bytes={len(wav)}-")
    assert st == 416 and r.getheader("Content-Range") == f"bytes */{len(wav)}", st
    open(os.path.join(out, "download.wav"), "wb").write(wav)
    open(os.path.join(out, "path.txt"), "w").write(path)
    print(f"recording {len(disk)} bytes sealed, {len(wav)} bytes of WAV; ranges ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
