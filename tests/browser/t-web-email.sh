#!/usr/bin/env bash
# The agent desktop's email conversations in headless Chromium (tests/browser/email.mjs):
# a real Dovecot holds the queue's mailbox and a real SMTP receiver takes the replies,
# both on loopback, started here. A customer's message whose text holds markup is
# delivered once alice is ready; she sees it as text, accepts and replies; she hands it to
# bob, refused while he is logged out, offered to him once he is ready; he closes it.
# Under CI=true a missing Dovecot fails the test.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

command -v dovecot >/dev/null || skip "dovecot is not installed (scripts/install-deps --test)"
IMAP_PORT=$((SIP_PORT + 70))
SMTP_PORT=$((SIP_PORT + 71))
export SPOOL=$WORK/spool
mkdir -p "$SPOOL"
DOV=$(mktemp -d /tmp/centrala-email-dovecot.XXXXXX)
chmod 755 "$DOV"
test_cleanup() {
	"$TOP/tests/channels/dovecot-stop" "$DOV"
	cp "$DOV/dovecot.log" "$WORK/dovecot.log" 2>/dev/null
	rm -rf "$DOV"
}
imap=$("$TOP/tests/channels/dovecot-start" "$DOV" "$IMAP_PORT") ||
	fail "Dovecot did not start: $(tail -n 5 "$DOV/dovecot.log" 2>/dev/null)"
"$PYTHON" "$TOP/tests/channels/smtp-sink.py" "$SPOOL" "$SMTP_PORT" 2>"$WORK/smtp.log" &
_BG_PIDS+=($!)
for _ in $(seq 50); do [ -e "$SPOOL/ready" ] && break; sleep 0.1; done
[ -e "$SPOOL/ready" ] || fail "the SMTP receiver did not start: $(cat "$WORK/smtp.log")"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    timezone: Europe/Warsaw
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0}}
      - {username: bob, name: Bogdan Zieliński, password: bob-secret, roles: [agent]}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m,
         email: {imap: "$imap", smtp: "smtp://127.0.0.1:$SMTP_PORT", username: box,
                 password: pw, from: "ACME <support@acme.test>", poll: 1s, acknowledge: false}}
YAML
web_static
start_server
wait_log 'event=http_listening' 5
browser_bg bpid email.mjs
wait_file web.ready "$bpid" 60
printf '%s\r\n' "From: Jan <jan@customer.test>" "To: support@acme.test" "Subject: Lampa" \
	"Message-ID: <w1@customer.test>" "Content-Type: text/plain; charset=utf-8" "" \
	"Lampa przyszła zbita." '<img src=x onerror="window.pwned=1">' >"$DOV/mail/box/tmp/1.w1"
mv "$DOV/mail/box/tmp/1.w1" "$DOV/mail/box/new/1.w1"
browser_wait "$bpid"
stop_server
