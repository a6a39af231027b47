#!/usr/bin/env bash
# Emails processed per second through IMAP: a real Dovecot (tests/channels/dovecot-start,
# on loopback, in a scratch directory) holds a mailbox of N messages (default 10,000: a
# third plain text, a third HTML, a third with a 30 KiB attachment, every tenth an
# auto-reply, every fifth a reply threaded on an earlier one); build/bench_email_poll
# runs email_poll_once passes over it with a SQLite store until every message is
# handled, as the server's email worker does. Prints the figures; asserts nothing.
#
#   bench/email-imap.sh [BUILD_DIR] [MESSAGES] [BATCH]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -e "${1:-build}")
n=${2:-10000}
batch=${3:-1000}
port=$((27900 + ${PROTOCOL_SLOT_BASE:-0} % 100))
work=$(mktemp -d /tmp/centrala-bench-email.XXXXXX)
chmod 755 "$work"
trap '"$top/tests/channels/dovecot-stop" "$work/dovecot"; rm -rf "$work"' EXIT
mkdir -p "$work/dovecot"
url=$("$top/tests/channels/dovecot-start" "$work/dovecot" "$port")
/usr/bin/python3 - "$work/dovecot/mail/box" "$n" <<'PY'
import base64, os, sys
box, n = sys.argv[1], int(sys.argv[2])
att = base64.encodebytes(os.urandom(30 << 10)).replace(b"\n", b"\r\n")
for i in range(n):
    h = (f"From: Klient {i} <klient{i % 2000}@example.pl>\r\nTo: support@acme.example\r\n"
         f"Subject: =?UTF-8?Q?Zam=C3=B3wienie_nr_{i}?=\r\nMessage-ID: <m{i}@example.pl>\r\n"
         f"Date: Thu, 03 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n")
    if i % 5 == 4:
        h += f"In-Reply-To: <m{i - 1}@example.pl>\r\nReferences: <m{i - 1}@example.pl>\r\n"
    if i % 10 == 9:
        h += "Auto-Submitted: auto-replied\r\n"
    k = i % 3
    if k == 0:
        b = ("Content-Type: text/plain; charset=utf-8\r\n\r\nDzień dobry,\r\n"
             "proszę o informację, kiedy przyjdzie paczka.\r\n").encode()
    elif k == 1:
        b = ("Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>Dzień dobry,"
             "</p><div>proszę o <b>informację</b>.</div></body></html>\r\n").encode()
    else:
        b = (b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: "
             b"text/plain\r\n\r\nSee the scan.\r\n--B\r\nContent-Type: application/pdf\r\n"
             b"Content-Disposition: attachment; filename=scan.pdf\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\n" + att + b"\r\n--B--\r\n")
    name = f"{1796288400 + i}.M{i}P1.bench:2,"
    with open(os.path.join(box, "cur", name), "wb") as f:
        f.write(h.encode() + b + b"\r\n")
PY
[ "$(id -u)" -eq 0 ] && chown -R dovecot:dovecot "$work/dovecot/mail"
echo "mailbox: $n messages in $(du -sh "$work/dovecot/mail/box/cur" | cut -f1)"
"$build/bench_email_poll" "$url" box pw "sqlite:$work/centrala.db" "$batch"
echo "command: bench/email-imap.sh $build $n $batch"
