#!/usr/bin/env bash
# The written channels' settings reloaded with SIGHUP, without a restart: two test SMSCs
# (tests/channels/smsc.py), a real Dovecot and an SMTP receiver on loopback.
#   At start: queue support has an SMPP number on SMSC A, queue billing one on SMSC B;
#   no queue has a mailbox, queue sales has no number.
#   Reload 1: support's number unchanged (its session stays bound: SMSC A sees one bind
#     only), billing's changed (SMSC B sees it bind again; a reply B had taken but not
#     acknowledged is submitted again through the new session and the agent's request
#     answered with its new id, nothing dropped; a text delivered to it then
#     becomes a contact of billing and the agent's reply leaves through the new
#     session), sales gets an HTTP gateway (its webhook, 404 before, takes a signed text),
#     support gets a mailbox (a message already waiting in it is read and offered).
#   Reload 2: billing's number removed (SMSC B sees the session go) and support's mailbox
#     removed; support's SMPP session is still the first one; a text to support is still
#     taken.
# timeout: 180
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

command -v dovecot >/dev/null || skip "dovecot is not installed (scripts/install-deps --test)"
IMAP_PORT=$((SIP_PORT + 75))
SMTP_PORT=$((SIP_PORT + 76))
A_PORT=$((SIP_PORT + 77))
A_CTL=$((SIP_PORT + 78))
B_PORT=$((SIP_PORT + 79))
B_CTL=$((SIP_PORT + 80))
mkdir -p "$WORK/spool"
DOV=$(mktemp -d /tmp/centrala-reload-dovecot.XXXXXX)
chmod 755 "$DOV"
test_cleanup() {
	"$TOP/tests/channels/dovecot-stop" "$DOV"
	cp "$DOV/dovecot.log" "$WORK/dovecot.log" 2>/dev/null
	rm -rf "$DOV"
}
imap=$("$TOP/tests/channels/dovecot-start" "$DOV" "$IMAP_PORT") ||
	fail "Dovecot did not start: $(tail -n 5 "$DOV/dovecot.log" 2>/dev/null)"
"$PYTHON" "$TOP/tests/channels/smtp-sink.py" "$WORK/spool" "$SMTP_PORT" 2>"$WORK/smtp.log" &
_BG_PIDS+=($!)
"$PYTHON" "$TOP/tests/channels/smsc.py" "$A_PORT" "$A_CTL" >"$WORK/smsc-a.out" 2>"$WORK/smsc-a.log" &
_BG_PIDS+=($!)
"$PYTHON" "$TOP/tests/channels/smsc.py" "$B_PORT" "$B_CTL" >"$WORK/smsc-b.out" 2>"$WORK/smsc-b.log" &
_BG_PIDS+=($!)
for _ in $(seq 50); do
	grep -q ready "$WORK/smsc-a.out" && grep -q ready "$WORK/smsc-b.out" && [ -e "$WORK/spool/ready" ] && break
	sleep 0.1
done
grep -q ready "$WORK/smsc-a.out" || fail "SMSC A did not start: $(cat "$WORK/smsc-a.log")"
grep -q ready "$WORK/smsc-b.out" || fail "SMSC B did not start: $(cat "$WORK/smsc-b.log")"
[ -e "$WORK/spool/ready" ] || fail "the SMTP receiver did not start: $(cat "$WORK/smtp.log")"

# config STEP: the file of each step (0 at start, 1 and 2 the reloads).
config() {
	local billing="" sales="" mailbox=""
	case $1 in
	0) billing='sms: {number: "+48221239999", smpp: "smpp://127.0.0.1:'$B_PORT'"}' ;;
	1)
		billing='sms: {number: "+48221239999", smpp: "smpp://127.0.0.1:'$B_PORT'", enquire_link: 2s}'
		sales='sms: {number: "+48221230000", gateway: http, url: "http://127.0.0.1:9/send", secret: gw-secret}'
		mailbox='email: {imap: "'$imap'", poll: 1s},'
		;;
	2) sales='sms: {number: "+48221230000", gateway: http, url: "http://127.0.0.1:9/send", secret: gw-secret}' ;;
	esac
	write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    sms: {smpp: "smpp://127.0.0.1:$A_PORT", system_id: centrala, password: secret,
          enquire_link: 1s}
    email: {smtp: "smtp://127.0.0.1:$SMTP_PORT", username: box, password: pw,
            from: "ACME <support@acme.test>"}
    users:
      - {username: alice, password: alice-secret, roles: [agent],
         queues: {support: 0, billing: 0, sales: 0}}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m, $mailbox
         sms: {number: "+48221234567"}}
      - {id: billing, strategy: longest-idle, ring_timeout: 5m, ${billing:-name: Billing}}
      - {id: sales, strategy: longest-idle, ring_timeout: 5m, ${sales:-name: Sales}}
YAML
	"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "centrala check (step $1): $(cat "$WORK/check.out")"
}

config 0
start_server
wait_log 'event=http_listening' 10
TOP="$TOP" "$PYTHON" - "$API_PORT" "$A_CTL" "$B_CTL" "$DOV/mail/box" "$WORK/go" <<'PY' &
import hashlib, hmac, json, os, socket, sys, threading, time
sys.path.insert(0, os.path.join(os.environ["TOP"], "tests", "sip"))
from api import Api, WebSocket  # noqa: E402

port, a_ctl, b_ctl, maildir, go = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
api = Api(port)


def ctl(p):
    s = socket.create_connection(("127.0.0.1", p))
    return s.makefile("rw")


A, B = ctl(a_ctl), ctl(b_ctl)


def smsc(f, **cmd):
    f.write(json.dumps(cmd) + "\n")
    f.flush()
    ans = json.loads(f.readline())
    assert "error" not in ans, ans
    return ans


def step(n):
    """Tells the shell to write file n and send SIGHUP; waits until it has."""
    open(go + ".want", "w").write(str(n))
    end = time.time() + 30
    while time.time() < end:
        if os.path.exists(go + ".done") and open(go + ".done").read() == str(n):
            return
        time.sleep(0.05)
    raise AssertionError("reload %d not done" % n)


def event(ws, type_, pred=lambda d: True, timeout=30):
    m, _ = ws.wait(lambda m: m.get("type") == type_ and pred(m["data"]), timeout=timeout)
    return m["data"]


def webhook(text):
    body = json.dumps({"from": "+34911234567", "to": "+48221230000", "text": text}).encode()
    sig = hmac.new(b"gw-secret", body, hashlib.sha256).hexdigest()
    st, _, _ = api.call("POST", "/api/v1/public/sms/acme/sales", raw=body,
                        headers={"X-Centrala-Signature": "sha256=" + sig})
    return st


def take(d, reply=None):
    ix = d["interaction"]
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/accept", tok)
    assert st == 200, (st, b)
    if reply:
        st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/reply", tok, {"body": reply})
        assert st == 200, (st, b)
    st, b, _ = api.call("POST", f"/api/v1/interactions/{ix}/close", tok)
    assert st == 200, (st, b)


tok = api.login("acme", "alice", "alice-secret")
ws = WebSocket(port, tok)
ws.send({"subscribe": ["agent.me"]})
assert ws.recv()["type"] == "subscribed"
st, b, _ = api.call("PUT", "/api/v1/agents/me/state", tok, {"state": "ready"})
assert st in (200, 204), (st, b)
assert smsc(A, cmd="wait", key="bound", value=True)["binds"] == 1
assert smsc(B, cmd="wait", key="bound", value=True)["binds"] == 1
assert webhook("before") == 404

# A message waits in the mailbox that no queue reads yet.
raw = (b"From: Jan <jan@example.com>\r\nTo: support@acme.test\r\nSubject: Faktura\r\n"
       b"Message-ID: <r1@example.com>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\r\nDzien dobry\r\n")
open(os.path.join(maildir, "tmp", "r1"), "wb").write(raw)
os.rename(os.path.join(maildir, "tmp", "r1"), os.path.join(maildir, "new", "r1"))

# A reply on billing the SMSC takes but does not acknowledge before the reload: it is
# submitted again through the new session and the agent's request is answered then.
smsc(B, cmd="deliver", **{"from": "48602222222", "to": "48221239999", "text": "przed zmiana",
                          "coding": "gsm"})
d = event(ws, "contact.offered", lambda d: d.get("channel") == "sms" and d["queue"] == "billing")
held_ix = d["interaction"]
st, b, _ = api.call("POST", f"/api/v1/interactions/{held_ix}/accept", tok)
assert st == 200, (st, b)
smsc(B, cmd="hold", n=1)
held = {}


def reply_held():
    held["answer"] = api.call("POST", f"/api/v1/interactions/{held_ix}/reply", tok,
                              {"body": "w trakcie zmiany"})


th = threading.Thread(target=reply_held)
th.start()
assert len(smsc(B, cmd="wait", key="submits", value=1)["submits"]) == 1

step(1)
# billing's session is bound again; support's was never dropped.
assert smsc(B, cmd="wait", key="binds", value=2)["binds"] == 2
th.join(30)
st, b, _ = held["answer"]
assert st == 200 and b["message_id"] == "M2", (st, b)
subs = smsc(B, cmd="wait", key="submits", value=2)["submits"]
assert [s["text"] for s in subs] == ["w trakcie zmiany"] * 2, subs
st, b, _ = api.call("POST", f"/api/v1/interactions/{held_ix}/close", tok)
assert st == 200, (st, b)
d = event(ws, "contact.offered", lambda d: d.get("channel") == "email")
assert d["queue"] == "support" and d["from"] == "jan@example.com", d
take(d)
smsc(B, cmd="deliver", **{"from": "48601234567", "to": "48221239999", "text": "po zmianie",
                          "coding": "gsm"})
d = event(ws, "contact.offered", lambda d: d.get("channel") == "sms" and d["queue"] == "billing")
take(d, "odpowiedz przez nowa sesje")
subs = smsc(B, cmd="wait", key="submits", value=3)["submits"]
assert len(subs) == 3 and subs[2]["text"] == "odpowiedz przez nowa sesje", subs
assert webhook("after") == 202
d = event(ws, "contact.offered", lambda d: d.get("queue") == "sales")
take(d)
assert smsc(A, cmd="state")["binds"] == 1, "support's unchanged session was bound again"

step(2)
assert smsc(B, cmd="wait", key="bound", value=False)["bound"] is False
smsc(A, cmd="deliver", **{"from": "48601111111", "to": "48221234567", "text": "wciaz tu",
                          "coding": "gsm"})
d = event(ws, "contact.offered", lambda d: d.get("channel") == "sms" and d["queue"] == "support")
take(d)
assert smsc(A, cmd="state")["binds"] == 1, "support's unchanged session was bound again"
print("reload flow ok")
PY
flow=$!
_BG_PIDS+=($flow)
for n in 1 2; do
	for _ in $(seq 600); do [ "$(cat "$WORK/go.want" 2>/dev/null)" = "$n" ] && break; kill -0 "$flow" 2>/dev/null || break; sleep 0.05; done
	[ "$(cat "$WORK/go.want" 2>/dev/null)" = "$n" ] || break
	config "$n"
	before=$(grep -c 'event=reloaded ' "$SERVER_LOG" || true)
	signal_server HUP
	for _ in $(seq 100); do [ "$(grep -c 'event=reloaded ' "$SERVER_LOG")" -gt "$before" ] && break; sleep 0.1; done
	echo -n "$n" >"$WORK/go.done"
done
wait "$flow" || fail "the reload flow failed"
expect_log 'event=sms_number_stopped reason=changed'
expect_log 'event=sms_number_stopped reason=removed'
expect_log 'event=email_mailbox_stopped'
expect_log 'event=sms_resubmitted'
expect_log 'event=sms_reloaded kept=1 started=2 stopped=1'
stop_server
note "channels reload: SMPP session kept, restarted and stopped, HTTP gateway and mailbox added and removed, without a restart"
