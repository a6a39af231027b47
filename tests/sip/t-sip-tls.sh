#!/usr/bin/env bash
# SIP over TLS (sofia-sip's TLS transport) with a self-signed certificate made here:
#   1. the listener speaks TLS 1.2 and 1.3 and refuses TLS 1.1 (openssl s_client), and
#      presents the configured certificate;
#   2. a phone on one TLS connection registers (digest) and places a call to a voicemail
#      flow, streams a 440 Hz tone and hangs up (tests/sip/sip_tls.py);
#   3. the call is an interaction whose recording holds the tone; the private copy of
#      the certificate and key made for the stack is gone once the server listens;
#   4. an agent's phone registered over TLS is called on that connection: a SIPp caller
#      (UDP) calls number 300, the TLS phone answers and streams 1000 Hz, the caller
#      hangs up; the recording holds 440 Hz left and 1000 Hz right.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl not installed"
TLS_PORT=$((SIP_PORT + 45))
export TMPDIR=$WORK/run
mkdir -p "$TMPDIR"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=centrala.test -days 2 \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/openssl.err" || fail "openssl req failed"
make_tone "$WORK/caller-440.wav" 440 5
sox -q "$WORK/caller-440.wav" -t ul "$WORK/caller-440.ul"
make_tone "$WORK/agent-1000.wav" 1000 10
sox -q "$WORK/agent-1000.wav" -t ul "$WORK/agent-1000.ul"

write_config "tls: {cert: \"$WORK/cert.pem\", key: \"$WORK/key.pem\"}" <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
      - {username: bob, sip: {user: bob, password: bob-pw}}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "101", flow: vm}
      - {number: "300", user: bob}
    flows:
      vm:
        start: vm
        nodes:
          vm: {type: voicemail, beep: false, max: 10s, queue: support, next: bye}
          bye: {type: hangup}
YAML
sed -i "s|\"tcp:$SIP_HOST:$SIP_PORT\"|\"tcp:$SIP_HOST:$SIP_PORT\", \"tls:$SIP_HOST:$TLS_PORT\"|" "$CONFIG"
grep -q "tls:$SIP_HOST:$TLS_PORT" "$CONFIG" || fail "no tls listener in the test config"
start_server
expect_log "event=listening url=sip:$SIP_HOST:$SIP_PORT tls=tls:$SIP_HOST:$TLS_PORT"
[ -z "$(ls -A "$TMPDIR")" ] || fail "the certificate copy is still there: $(ls -A "$TMPDIR")"

# s_client PROTOCOL_OPTION: the handshake's outcome and what the server presented.
s_client() {
	timeout 10 openssl s_client -connect "127.0.0.1:$TLS_PORT" -CAfile "$WORK/cert.pem" "$@" \
		</dev/null >"$WORK/s_client.out" 2>&1
}
s_client -tls1_2 || fail "TLS 1.2 handshake failed: $(tail -n 5 "$WORK/s_client.out")"
grep -q 'Verify return code: 0 (ok)' "$WORK/s_client.out" || fail "the certificate did not verify against the one configured"
grep -q 'subject=CN *= *centrala.test' "$WORK/s_client.out" || fail "not the configured certificate"
s_client -tls1_3 || fail "TLS 1.3 handshake failed: $(tail -n 5 "$WORK/s_client.out")"
if s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'; then
	fail "the listener accepted TLS 1.1"
fi

timeout 40 "$PYTHON" "$SCEN/sip_tls.py" 127.0.0.1 "$TLS_PORT" "$WORK/cert.pem" "$(peer_port 3)" \
	"$ACME_DOMAIN" alice alice-pw 101 "$(media_port 1)" "$WORK/caller-440.ul" 3 \
	>"$WORK/phone.out" 2>&1 || fail "the TLS phone failed: $(tail -n 5 "$WORK/phone.out")"
grep -qE '^tls TLSv1\.[23]$' "$WORK/phone.out" || fail "no TLS 1.2+ session: $(head -n 1 "$WORK/phone.out")"
expect_log "event=registered user=alice domain=$ACME_DOMAIN "
wait_log 'tenant=acme call=1 event=interaction ' 10
expect_log 'tenant=acme call=1 event=voicemail queue=support duration_ms='

# Bob's phone registers over TLS and waits for a call on its connection.
timeout 40 "$PYTHON" "$SCEN/sip_tls.py" 127.0.0.1 "$TLS_PORT" "$WORK/cert.pem" "$(peer_port 5)" \
	"$ACME_DOMAIN" bob bob-pw - "$(media_port 2)" "$WORK/agent-1000.ul" 0 \
	>"$WORK/agent.out" 2>&1 &
agent_pid=$!
_BG_PIDS+=("$agent_pid")
wait_log "event=registered user=bob domain=$ACME_DOMAIN " 10
rc=0
sipp_run caller 30 "$(scen caller.xml wav="$WORK/caller-440.wav" talk_ms=3000)" \
	-p "$(peer_port 7)" -mi 127.0.0.1 -mp "$(media_port 3)" -m 1 -key number 300 \
	-key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_rc "$agent_pid" || fail "the TLS agent phone failed: $(tail -n 5 "$WORK/agent.out")"
grep -q '^acked$' "$WORK/agent.out" || fail "the TLS phone's answer was not acknowledged"
wait_log 'tenant=acme call=2 event=interaction .* answered=1 ' 10
stop_server

export_interactions
check_interactions '
assert len(ix) == 2, f"{len(ix)} interactions"
ix.sort(key=lambda i: i["created"])
assert ix[0]["disposition"] == "voicemail" and ix[0]["recording"], ix[0]
assert ix[1]["answered"] and ix[1]["agent"] == "bob" and ix[1]["recording"], ix[1]
'
recs=$("$PYTHON" -c 'import json, sys
ix = sorted((json.loads(l) for l in open(sys.argv[1]) if l.strip()), key=lambda i: i["created"])
print(ix[0]["recording"], ix[1]["recording"])' "$WORK/interactions.jsonl")
read -r vm_rec call_rec <<<"$recs"
tone_check "$vm_rec" 0 440 1000 || fail "the message does not hold the caller's 440 Hz"
tone_check "$call_rec" 0 440 1000 || fail "the call's left channel (caller) is not 440 Hz"
tone_check "$call_rec" 1 1000 440 || fail "the call's right channel (the TLS phone) is not 1000 Hz"
