#!/usr/bin/env bash
# The SMS channel end to end with an SMSC written from SMPP 3.4 (tests/channels/smsc.py)
# and a provider's REST endpoint (tests/channels/http-sms-sink.py), both on loopback and
# started here; sms_flow.py plays the customers (through the SMSC's control port and the
# gateway's webhook) and agent alice (API and events):
#   SMPP: a customer's text becomes a contact of queue support offered to alice, with
#     the CRM contact matched by the number (E.164); alice accepts; the customer's next
#     text joins the conversation; alice's reply of 300 Russian characters reaches the
#     SMSC in five UCS-2 parts with one reference; the SMSC's delivery receipt is
#     recorded; the customer's 300 characters sent in five parts (last first) come in
#     whole; garbage on the SMPP socket is logged, the session binds again and the text
#     sent behind the garbage arrives; alice closes the conversation;
#   HTTP gateway: a webhook with a wrong signature is refused (401), a signed one becomes
#     a contact of queue sales; alice's reply is posted to the provider, signed;
#   opt-out: " Stop! " puts the number on the tenant's do-not-text list and its campaigns'
#     do-not-call list and is confirmed once in Polish, without reaching an agent; a
#     second STOP (Russian) is recorded, not answered; a reply to the number is refused
#     (409 opted_out); "Álta" (Spanish START, accented) takes it off both lists, is
#     confirmed, and the reply goes;
#   a restart with a third customer's conversation still offered: it is queued again
#     under the same id with its text and offered to alice.
# Then `centrala export` holds both conversations with every text in and out.
# timeout: 180
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

SMSC_PORT=$((SIP_PORT + 72))
SMSC_CTL=$((SIP_PORT + 73))
GW_PORT=$((SIP_PORT + 74))
mkdir -p "$WORK/gw"
"$PYTHON" "$TOP/tests/channels/smsc.py" "$SMSC_PORT" "$SMSC_CTL" >"$WORK/smsc.out" 2>"$WORK/smsc.log" &
_BG_PIDS+=($!)
"$PYTHON" "$TOP/tests/channels/http-sms-sink.py" "$WORK/gw" "$GW_PORT" 2>"$WORK/gw.log" &
_BG_PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$WORK/smsc.out" && [ -e "$WORK/gw/ready" ] && break; sleep 0.1; done
grep -q ready "$WORK/smsc.out" || fail "the SMSC did not start: $(cat "$WORK/smsc.log")"
[ -e "$WORK/gw/ready" ] || fail "the gateway receiver did not start: $(cat "$WORK/gw.log")"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    language: pl
    channels: {sms: {capacity: 1}}
    sms: {smpp: "smpp://127.0.0.1:$SMSC_PORT", system_id: centrala, password: secret,
          enquire_link: 1s, opt_out: {dialer: true}}
    users:
      - {username: alice, password: alice-secret, roles: [agent], queues: {support: 0, sales: 0}}
      - {username: boss, password: boss-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m, sms: {number: "+48221234567"}}
      - {id: sales, strategy: longest-idle, ring_timeout: 5m,
         sms: {number: "+48221230000", gateway: http, url: "http://127.0.0.1:$GW_PORT/send",
               secret: gw-secret, token: gw-token}}
YAML
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "centrala check: $(cat "$WORK/check.out")"
start_server
wait_log 'event=http_listening' 10
wait_log 'event=smpp_bound' 20
"$PYTHON" "$TOP/tests/e2e/sms_flow.py" "$API_PORT" "$SMSC_CTL" "$WORK/gw" "$WORK/state.json" ||
	fail "the SMS flow failed"
expect_log 'event=smpp_garbage'
expect_log 'event=sms_webhook_refused reason=signature'
stop_server
mv "$SERVER_LOG" "$WORK/server-1.log"

start_server
wait_log 'event=http_listening' 10
"$PYTHON" "$TOP/tests/e2e/sms_flow.py" "$API_PORT" "$SMSC_CTL" "$WORK/gw" "$WORK/state.json" 2 ||
	fail "the SMS flow after the restart failed"
expect_log 'event=sms_resumed'
stop_server

export_interactions
"$PYTHON" - "$WORK/interactions.jsonl" "$WORK/state.json" <<'PY' || fail "the export lacks the conversations"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
st = json.load(open(sys.argv[2]))
by = {r["id"]: r for r in rows}
r = by[st["smpp_ix"]]
assert r["channel"] == "sms" and r["direction"] == "inbound" and r["queue"] == "support", r
assert r["agent"] == "alice" and r["from"] == "+48601234567" and r["to"] == "+48221234567", r
assert r["ended"], r
ev = [e["event"] for e in r["timeline"]]
assert ev.count("sms_in") == 4 and ev.count("sms_out") == 1 and "sms_receipt" in ev, ev
assert "closed" in ev and all(e.get("ts") for e in r["timeline"]), r["timeline"]
out = [e for e in r["timeline"] if e["event"] == "sms_out"][0]
assert out["agent"] == "alice" and len(out["body"]) == 300, out
rc = [e for e in r["timeline"] if e["event"] == "sms_receipt"][0]
assert rc["stat"] == "DELIVRD" and rc["id"] == "M1", rc
g = by[st["http_ix"]]
assert g["channel"] == "sms" and g["queue"] == "sales" and g["from"] == "+34911234567", g
gev = [e["event"] for e in g["timeline"]]
assert gev.count("sms_in") == 1 and gev.count("sms_out") == 1 and "closed" in gev, gev
o = by[st["open_ix"]]
oev = [e["event"] for e in o["timeline"]]
assert o["ended"] and oev.count("sms_in") == 1 and oev.count("queued") == 2, oev
op = by[st["opt_ix"]]
oev = [e["event"] for e in op["timeline"]]
assert oev.count("sms_failed") == 1 and "opted_in" in oev and oev.count("sms_out") == 2, oev
stops = [r for r in rows if r["channel"] == "sms" and
         any(e["event"] == "opted_out" for e in r["timeline"])]
assert len(stops) == 2 and all(r["ended"] and r["contact"] for r in stops), stops
assert sum(1 for r in rows if r["channel"] == "sms") == 6, "one interaction per conversation"
PY
note "sms: SMPP in and out (UCS-2 concatenated both ways, receipt, garbage recovered), HTTP gateway in and out"
