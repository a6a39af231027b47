#!/usr/bin/env bash
# A web chat's transcript by email (tests/browser/chat-transcript.mjs): a visitor in
# Russian chats with alice; at the end the page offers the transcript, the visitor asks
# for it, and it leaves through the tenant's outbound mail (the email channel's: a real
# Dovecot holds the mailbox of the tenant's queue `mail`, a real SMTP receiver on loopback
# takes what is sent); it must hold every message in order, in Russian, to the address
# given at the start. A visitor who gave a phone number only is told it cannot be sent.
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
    chat: {queues: [support], resume: 1m}
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], queues: {support: 0}}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m}
      - {id: mail, strategy: longest-idle,
         email: {imap: "$imap", smtp: "smtp://127.0.0.1:$SMTP_PORT", username: box,
                 password: pw, from: "ACME <support@acme.test>", poll: 1s, acknowledge: false}}
YAML
web_static
start_server
wait_log 'event=http_listening' 5
browser_bg bpid chat-transcript.mjs
browser_wait "$bpid"
wait_log 'event=chat_transcript_sent ok=1' 10
stop_server
n=$(find "$SPOOL" -name '*.eml' | wc -l)
[ "$n" -eq 1 ] || fail "expected one message sent, the receiver holds $n"
"$PYTHON" - "$SPOOL" <<'PY' || fail "the transcript is not what was asked"
import email, email.policy, glob, sys
spool = sys.argv[1]
eml = glob.glob(spool + "/*.eml")[0]
env = open(eml[:-4] + ".env").read()
m = email.message_from_binary_file(open(eml, "rb"), policy=email.policy.default)
body = m.get_body(preferencelist=("plain",)).get_content()
print("subject:", m["Subject"]); print("envelope:", env.strip()); print(body)
assert "ivan@customer.test" in env and m["To"] == "ivan@customer.test", "to the address given"
assert m["Subject"] == "Запись чата: ACME", m["Subject"]
assert m["Auto-Submitted"] == "auto-generated", m["Auto-Submitted"]
assert not m["In-Reply-To"], "a transcript answers no message"
assert "Запись вашего чата с ACME" in body
lines = [l for l in body.splitlines() if l.startswith("[")]
assert len(lines) == 3, lines
assert lines[0].endswith("Иван: Здравствуйте, лампа пришла разбитой."), lines[0]
assert lines[1].endswith("Оператор: Добрый день! Отправим новую."), lines[1]
assert lines[2].endswith("Иван: Спасибо!"), lines[2]
PY
