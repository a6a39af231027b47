#!/usr/bin/env python3
"""Times between two messages in a SIPp message trace (-trace_msg), for the queue
tests (tests/sip/t-queue-callback.sh).

SIPp writes each message it sends or receives after a line of dashes and the wall-clock
time (`----- 2026-11-23 15:41:39.302132`), then `UDP message sent ...` or `... received
...`, an empty line and the message. This prints the milliseconds from the first message
whose start line matches FIRST to the first message after it whose start line matches
SECOND (both extended regular expressions, e.g. '^ACK ' and '^BYE '), and exits 1 with
a reason when either is missing.

usage: queue_cb_trace.py TRACE FIRST SECOND
"""
import re
import sys
from datetime import datetime

HEAD = re.compile(r"^-{10,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$")


def messages(path):
    """(seconds, start line) of each message in the trace, in order."""
    out, ts, want = [], None, 0
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = HEAD.match(line)
            if m:
                ts = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                want = 1
                continue
            if want == 1 and "message" in line:
                want = 2
                continue
            if want == 2 and line.strip():
                out.append((ts, line.strip()))
                want = 0
    return out


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    msgs = messages(sys.argv[1])
    first, second = re.compile(sys.argv[2]), re.compile(sys.argv[3])
    for i, (t0, l0) in enumerate(msgs):
        if not first.search(l0):
            continue
        for t1, l1 in msgs[i + 1:]:
            if second.search(l1):
                print(int(round((t1 - t0) * 1000)))
                return 0
        print("no message matching /%s/ after /%s/" % (sys.argv[3], sys.argv[2]), file=sys.stderr)
        return 1
    print("no message matching /%s/" % sys.argv[2], file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
