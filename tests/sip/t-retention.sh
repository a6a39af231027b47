#!/usr/bin/env bash
# The retention job of a running server. A store made by a first start gets three
# interactions of tenant acme written straight into SQLite: one 40 days old, one as old
# put on legal hold with `centrala hold`, one 5 days old, each with a two-segment
# recording and notes; an email with an attachment and a chat with its message rows, 40
# days old, and a held email. With
# `retention: {recordings: 30d, bodies: 10d}` the next start runs the job on its own
# thread: the old interaction loses both recording files and its notes (it stays in the
# export), the email its texts and attachment file, the chat its texts and rows; the
# held and the recent ones keep theirs, the audit log has one entry by
# "retention", and the server answers OPTIONS meanwhile. An admin then holds one
# interaction and releases another through the API (an agent may not; an unknown one is
# 404): the store and the audit log say so.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    domain: $ACME_DOMAIN
    retention: {recordings: 30d, bodies: 10d}
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}}
    numbers:
      - {number: "300", user: alice}
YAML
start_server
stop_server

mkdir -p "$REC_DIR/acme"
"$PYTHON" - "$WORK/centrala.db" "$REC_DIR/acme" <<'PY' || fail "cannot seed the store"
import json, os, sqlite3, sys, time
db, rec = sys.argv[1], sys.argv[2]
now = int(time.time() * 1000)
c = sqlite3.connect(db)
for ix, days, hold in (("OLD", 40, 0), ("HELD", 40, 0), ("RECENT", 5, 0)):
    paths = [f"{rec}/call-{ix}.wav", f"{rec}/call-{ix}-2.wav"]
    for p in paths:
        open(p, "wb").write(b"RIFF")
    t = now - days * 86400000
    tl = [{"ts": "x", "event": "created"}] + [{"ts": "x", "event": "recording", "path": p} for p in paths]
    c.execute("INSERT INTO interactions (tenant, id, channel, direction, from_addr, created_ms, "
              "ended_ms, notes, recording, timeline, updated_ms, legal_hold) VALUES "
              "('acme', ?, 'voice', 'inbound', '+48221234567', ?, ?, 'card 4242', ?, ?, ?, ?)",
              (ix, t, t + 60000, paths[0], json.dumps(tl), t, hold))
# Written channels: an email with an attachment kept beside the recordings, a chat
# with its message rows, both 40 days old, and a held email that keeps everything.
for ix, ch, hold in (("MAIL", "email", 0), ("CHAT", "chat", 0), ("HELDMAIL", "email", 1)):
    t = now - 40 * 86400000
    d = f"{rec}/email/2026-01-01/{ix}"
    os.makedirs(d, exist_ok=True)
    att = f"{d}/7-1-invoice.pdf"
    open(att, "wb").write(b"%PDF")
    ev = ("email_in", "body") if ch == "email" else ("chat_in", "text")
    tl = [{"ts": "x", "event": ev[0], ev[1]: "card 4242", "subject": "my card",
           "attachments": [{"name": "invoice.pdf", "path": att}] if ch == "email" else []}]
    c.execute("INSERT INTO interactions (tenant, id, channel, direction, from_addr, created_ms, "
              "ended_ms, timeline, updated_ms, legal_hold) VALUES "
              "('acme', ?, ?, 'inbound', 'jan@example.com', ?, ?, ?, ?, ?)",
              (ix, ch, t, t + 60000, json.dumps(tl), t, hold))
for seq in (1, 2):
    c.execute("INSERT INTO chat_messages (tenant, interaction, seq, ts_ms, author, body) "
              "VALUES ('acme', 'CHAT', ?, ?, 'visitor', 'card 4242')", (seq, now - 40 * 86400000))
c.commit()
PY
timeout 30 "$BIN" hold --config "$CONFIG" --tenant acme HELD >"$WORK/hold.out" 2>&1 ||
	fail "centrala hold: $(cat "$WORK/hold.out")"
grep -q 'acme/HELD: on legal hold' "$WORK/hold.out" || fail "centrala hold: $(cat "$WORK/hold.out")"
rc=0
timeout 30 "$BIN" hold --config "$CONFIG" --tenant acme NOPE >"$WORK/hold2.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "centrala hold on an unknown interaction: exit $rc, want 1"

start_server
wait_log 'tenant=acme event=retention recordings=1 files=2 bodies=1 held=1 failed=0 messages=2 attachments=1' 10
# Legal hold through the API: admin only, 404 for an unknown interaction.
"$PYTHON" - "$API_PORT" <<'PY' || fail "legal hold through the API"
import sys
sys.path.insert(0, "tests/sip")
from api import Api
api = Api(int(sys.argv[1]))
ada = api.login("acme", "ada", "ada-secret")
alice = api.login("acme", "alice", "alice-secret")
st, b, _ = api.call("PUT", "/api/v1/interactions/RECENT/hold", alice)
assert st == 403, (st, b)
st, b, _ = api.call("PUT", "/api/v1/interactions/RECENT/hold", ada)
assert st == 200 and b == {"id": "RECENT", "legal_hold": True}, (st, b)
st, b, _ = api.call("DELETE", "/api/v1/interactions/HELD/hold", ada)
assert st == 200 and b == {"id": "HELD", "legal_hold": False}, (st, b)
st, b, _ = api.call("PUT", "/api/v1/interactions/NOPE/hold", ada)
assert st == 404, (st, b)
PY
rc=0
sipp_run options 10 "$(scen sip-options.xml)" -p "$(peer_port 1)" -m 1 -key target "$ACME_DOMAIN" || rc=$?
expect_sipp_ok options "$rc"
stop_server

for f in call-OLD.wav call-OLD-2.wav; do
	[ ! -e "$REC_DIR/acme/$f" ] || fail "$f was not deleted"
done
for f in call-HELD.wav call-HELD-2.wav call-RECENT.wav call-RECENT-2.wav; do
	[ -e "$REC_DIR/acme/$f" ] || fail "$f was deleted"
done
[ ! -e "$REC_DIR/acme/email/2026-01-01/MAIL/7-1-invoice.pdf" ] || fail "the old attachment was not deleted"
[ -e "$REC_DIR/acme/email/2026-01-01/HELDMAIL/7-1-invoice.pdf" ] || fail "the held attachment was deleted"
export_interactions
check_interactions "
import json
by = {i['id']: i for i in ix}
assert set(by) == {'OLD', 'HELD', 'RECENT', 'MAIL', 'CHAT', 'HELDMAIL'}, list(by)
for gone in ('MAIL', 'CHAT'):
    t = json.dumps(by[gone]['timeline'])
    assert 'card 4242' not in t and 'my card' not in t and 'invoice' not in t, t
assert 'card 4242' in json.dumps(by['HELDMAIL']['timeline'])
assert by['OLD']['recording'] is None and by['OLD']['notes'] is None, by['OLD']
assert by['HELD']['recording'].endswith('call-HELD.wav') and by['HELD']['notes'] == 'card 4242'
assert by['RECENT']['recording'].endswith('call-RECENT.wav') and by['RECENT']['notes'] == 'card 4242'
"
n=$("$PYTHON" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
\"SELECT count(*) FROM audit_log WHERE tenant = 'acme' AND actor = 'retention'\").fetchone()[0])" \
	"$WORK/centrala.db")
[ "$n" -eq 1 ] || fail "$n retention audit entries, want 1"
held=$("$PYTHON" -c "import sqlite3, sys; print(' '.join(f'{i}={h}' for i, h in sqlite3.connect(sys.argv[1]).execute(
\"SELECT id, legal_hold FROM interactions WHERE id IN ('HELD', 'RECENT') ORDER BY id\")))" "$WORK/centrala.db")
[ "$held" = "HELD=0 RECENT=1" ] || fail "legal holds after the API: $held"
n=$("$PYTHON" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
\"SELECT count(*) FROM audit_log WHERE actor = 'api:ada' AND action IN ('hold', 'release')\").fetchone()[0])" \
	"$WORK/centrala.db")
[ "$n" -eq 2 ] || fail "$n hold audit entries by api:ada, want 2"
n=$("$PYTHON" -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
\"SELECT count(*) FROM chat_messages WHERE tenant = 'acme'\").fetchone()[0])" "$WORK/centrala.db")
[ "$n" -eq 0 ] || fail "$n chat messages left, want 0"
