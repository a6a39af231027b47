#!/usr/bin/env python3
"""Checks the periodic queue announcements in centrala's server log, for
tests/sip/t-queue-announce.sh.

The engine logs one line per announcement played to a waiting caller:

  tenant=T call=N event=announce position=P ewt_ms=E

and `call=N event=queued`, `call=N event=abandoned` around them. For the CALLs named
(in the order they were queued, all in one queue, same priority), this checks that:
  - each call was announced at least MIN times, none after it left the queue;
  - the first announcement came about EVERY_MS after the call was queued and each next
    one about EVERY_MS after the one before (between 0.75 and 1 x EVERY_MS + 1.5 s: the
    machine may be loaded, but announcements must not bunch up or be skipped);
  - the position announced is 1 + the number of calls queued before it that had not
    left yet at that moment (by log order).
It prints {call: [[ms after queued, position], ...]} as JSON and exits 1, saying why,
when a rule is broken.

usage: queue_cb_announce.py LOG EVERY_MS MIN CALL...
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from queue_log import parse  # noqa: E402


def main():
    if len(sys.argv) < 5:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    ev = parse(sys.argv[1])
    every, least, calls = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    lo, hi = every * 3 // 4, every + 1500
    queued, left, ann = {}, {}, {c: [] for c in calls}
    for e in ev:
        c = e.get("call")
        if c not in ann:
            continue
        if e.get("event") == "queued" and c not in queued:
            queued[c] = e
        elif e.get("event") in ("abandoned", "answered", "overflowed") and c not in left:
            left[c] = e
        elif e.get("event") == "announce":
            ann[c].append(e)
    bad = []
    for c in calls:
        if c not in queued:
            bad.append("call %s was never queued" % c)
    if bad:
        print("\n".join(bad), file=sys.stderr)
        return 1
    order = sorted(calls, key=lambda c: queued[c]["_line"])
    if order != calls:
        bad.append("calls queued in the order %s, not %s" % (order, calls))
    out = {}
    for k, c in enumerate(calls):
        a = ann[c]
        out[c] = [[e["_ms"] - queued[c]["_ms"], int(e.get("position", "0"))] for e in a]
        if len(a) < least:
            bad.append("call %s: %d announcements, want at least %d" % (c, len(a), least))
        prev = queued[c]
        for e in a:
            gap = e["_ms"] - prev["_ms"]
            if not lo <= gap <= hi:
                bad.append("call %s: announcement %d ms after the %s (line %d), want %d..%d"
                           % (c, gap, prev.get("event"), prev["_line"], lo, hi))
            if c in left and e["_line"] > left[c]["_line"]:
                bad.append("call %s: announced after it left the queue: %s" % (c, e["_text"]))
            ahead = sum(1 for d in calls[:k]
                        if d not in left or left[d]["_line"] > e["_line"])
            if int(e.get("position", "0")) != ahead + 1:
                bad.append("call %s: position=%s with %d caller(s) ahead: %s"
                           % (c, e.get("position"), ahead, e["_text"]))
            prev = e
    print(json.dumps(out, sort_keys=True))
    if bad:
        print("\n".join(bad), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
