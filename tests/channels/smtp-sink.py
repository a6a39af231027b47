#!/usr/bin/env python3
# A small SMTP receiver for the email channel's tests: listens on 127.0.0.1:PORT and
# writes each message it accepts, exactly as received, to DIR/NNNN.eml (envelope sender
# and recipients in DIR/NNNN.env). Python 3.11's smtpd module (Debian 12's python3).
#
#   tests/channels/smtp-sink.py DIR PORT
import os
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import asyncore  # noqa: E402
import smtpd  # noqa: E402


class Sink(smtpd.SMTPServer):
    n = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        Sink.n += 1
        base = os.path.join(sys.argv[1], "%04d" % Sink.n)
        with open(base + ".env.tmp", "w") as f:
            f.write("%s\n%s\n" % (mailfrom, " ".join(rcpttos)))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        os.rename(base + ".env.tmp", base + ".env")
        os.rename(base + ".eml.tmp", base + ".eml")
        return None


Sink(("127.0.0.1", int(sys.argv[2])), None, decode_data=False)
open(os.path.join(sys.argv[1], "ready"), "w").close()
asyncore.loop()
