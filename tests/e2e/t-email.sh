#!/usr/bin/env bash
# The email channel end to end with a real IMAP server and a real SMTP receiver, both on
# loopback and started here: Debian's Dovecot (unprivileged, its own configuration in
# this test's directory, tests/channels/dovecot-start) holds the support queue's
# mailbox, tests/channels/smtp-sink.py keeps what the server sends. email_flow.py plays
# the customers (messages into the Maildir) and agent alice (API and events):
#   phase 1: a customer's email is queued and offered to alice; the acknowledgement with
#     the ticket number (the interaction's id, in the tenant's language) arrives threaded; an auto-reply and a
#     malformed message are only logged; a message with an oversized attachment is kept
#     (the attachment refused, logged) and waits: alice's email capacity is 1; alice
#     accepts and replies (quoted history, signature, an attachment): the reply arrives
#     with In-Reply-To and References;
#   the server restarts: nothing is handled twice (no message read again, no second
#     acknowledgement), the open conversation is queued again;
#   phase 2: the customer's answer joins the same interaction; closing it frees alice's
#     capacity and the waiting email is offered.
# Then `centrala export` holds the conversation with every message in and out.
# Under CI=true a missing Dovecot fails the test.
# timeout: 240
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

command -v dovecot >/dev/null || skip "dovecot is not installed (scripts/install-deps --test)"
IMAP_PORT=$((SIP_PORT + 70))
SMTP_PORT=$((SIP_PORT + 71))
mkdir -p "$WORK/spool"
# Dovecot's own processes (users dovecot and dovenull when run as root) must reach its
# directory: the runner's scratch directory is private, so it gets one of its own,
# removed at the end (its log is copied into the scratch directory first).
DOV=$(mktemp -d /tmp/centrala-email-dovecot.XXXXXX)
chmod 755 "$DOV"
PG=
test_cleanup() {
	"$TOP/tests/channels/dovecot-stop" "$DOV"
	cp "$DOV/dovecot.log" "$WORK/dovecot.log" 2>/dev/null
	rm -rf "$DOV"
	[ -z "$PG" ] || "$TOP/tests/store/pg-stop" "$PG" --remove >/dev/null 2>&1 || true
}
imap=$("$TOP/tests/channels/dovecot-start" "$DOV" "$IMAP_PORT") ||
	fail "Dovecot did not start: $(tail -n 5 "$DOV/dovecot.log" 2>/dev/null)"
"$PYTHON" "$TOP/tests/channels/smtp-sink.py" "$WORK/spool" "$SMTP_PORT" 2>"$WORK/smtp.log" &
_BG_PIDS+=($!)
for _ in $(seq 50); do [ -e "$WORK/spool/ready" ] && break; sleep 0.1; done
[ -e "$WORK/spool/ready" ] || fail "the SMTP receiver did not start: $(cat "$WORK/smtp.log")"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: pl
    channels: {email: {capacity: 1}}
    email:
      smtp: "smtp://127.0.0.1:$SMTP_PORT"
      username: box
      password: pw
      from: "ACME Support <support@acme.test>"
      signature: "ACME Support, +48 22 123 45 67"
    users:
      - {username: alice, password: alice-secret, roles: [agent], queues: {support: 0}}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m,
         email: {imap: "$imap", poll: 1s}}
YAML
# EMAIL_STORE=pg (t-email-pg.sh): the same on a real PostgreSQL (tests/store/pg-start).
if [ "${EMAIL_STORE:-}" = pg ]; then
	[ -x /usr/lib/postgresql/15/bin/initdb ] || skip "PostgreSQL 15 is missing (Debian postgresql-15)"
	PG=$(mktemp -d /tmp/centrala-pg.XXXXXX)
	pgurl=$("$TOP/tests/store/pg-start" "$PG") ||
		fail "PostgreSQL did not start: $(tail -n 5 "$PG/log" 2>/dev/null)"
	sed -i "s|^store: .*|store: \"$pgurl\"|" "$CONFIG"
	# The PostgreSQL spool (var/store.spool) is relative to the working directory.
	BIN=$(realpath "$BIN")
	cd "$WORK"
fi
start_server
wait_log 'event=http_listening' 10
maildir=$DOV/mail/box
"$PYTHON" "$TOP/tests/e2e/email_flow.py" 1 "$API_PORT" "$maildir" "$WORK/spool" "$WORK/state.json" ||
	fail "phase 1 failed"
wait_log 'event=email_automatic uid=2 reason=auto-submitted' 10
wait_log 'event=email_refused uid=3 reason="invalid UTF-8' 10
wait_log 'event=email_attachment_refused .*uid=4 size=[0-9]+ reason="over the size limit"' 10
stop_server
mv "$SERVER_LOG" "$WORK/server-1.log"

start_server
wait_log 'event=http_listening' 10
"$PYTHON" "$TOP/tests/e2e/email_flow.py" 2 "$API_PORT" "$maildir" "$WORK/spool" "$WORK/state.json" ||
	fail "phase 2 failed"
# After the restart only the customer's answer (UID 5) was read from the mailbox.
expect_log 'event=email_resumed'
n=$(grep -c 'event=email_in ' "$SERVER_LOG" || true)
[ "$n" -eq 1 ] || fail "after the restart $n messages were taken in, expected 1 (the answer)"
expect_log 'event=email_polled delivered=0 joined=1 automatic=0 refused=0'
stop_server

export_interactions
"$PYTHON" - "$WORK/interactions.jsonl" "$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ix"])' "$WORK/state.json")" <<'PY' || fail "the export lacks the conversation"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
mine = [r for r in rows if r["id"] == sys.argv[2]]
assert len(mine) == 1, f"{len(mine)} rows for {sys.argv[2]}"
r = mine[0]
assert r["channel"] == "email" and r["direction"] == "inbound" and r["queue"] == "support", r
assert r["agent"] == "alice" and r["from"] == "jan@customer.test" and r["ended"], r
ev = [e["event"] for e in r["timeline"]]
assert ev.count("email_in") == 2 and ev.count("email_out") == 2 and "closed" in ev, ev
emails = [x for x in rows if x["channel"] == "email"]
assert len(emails) == 2, f"{len(emails)} email interactions, expected 2 (jan, ola)"
PY
note "email: queued, acknowledged, replied threaded, answer joined across a restart, closed"
