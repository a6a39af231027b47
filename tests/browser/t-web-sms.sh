#!/usr/bin/env bash
# The agent desktop's SMS conversations in headless Chromium (tests/browser/sms.mjs): an
# SMSC written from SMPP 3.4 (tests/channels/smsc.py) on loopback, started here, delivers
# a customer's text (with markup in it) once alice is ready; she sees it as text, in
# Russian, accepts, replies and closes.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

SMSC_PORT=$((SIP_PORT + 72))
export SMSC_CTL=$((SIP_PORT + 73))
"$PYTHON" "$TOP/tests/channels/smsc.py" "$SMSC_PORT" "$SMSC_CTL" >"$WORK/smsc.out" 2>"$WORK/smsc.log" &
_BG_PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$WORK/smsc.out" && break; sleep 0.1; done
grep -q ready "$WORK/smsc.out" || fail "the SMSC did not start: $(cat "$WORK/smsc.log")"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    timezone: Europe/Moscow
    users:
      - {username: alice, name: Alisa, password: alice-secret, roles: [agent], queues: {support: 0}}
    queues:
      - {id: support, strategy: longest-idle, ring_timeout: 5m,
         sms: {number: "+74951234567", smpp: "smpp://127.0.0.1:$SMSC_PORT", system_id: centrala,
               password: secret}}
YAML
web_static
start_server
wait_log 'event=http_listening' 5
wait_log 'event=smpp_bound' 20
browser_bg bpid sms.mjs
wait_file web.ready "$bpid" 60
"$PYTHON" - "$SMSC_CTL" <<'PY' || fail "the SMSC did not take the text"
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = s.makefile("rw")
f.write(json.dumps({"cmd": "deliver", "from": "79161234567", "to": "74951234567",
                    "text": "Привет! <b>срочно</b>", "coding": "ucs2"}) + "\n")
f.flush()
assert "error" not in json.loads(f.readline())
PY
browser_wait "$bpid"
stop_server
