#!/usr/bin/env bash
# HTTPS on the API listener (`http.tls: {cert, key}`): with a certificate made for the
# test, /healthz and a login answer over TLS and plain HTTP on that port gets nothing;
# with a key file that does not exist the server refuses to start, saying why.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || fail "openssl is missing (scripts/install-deps --test)"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
	-days 2 -subj /CN=127.0.0.1 2>/dev/null || fail "openssl could not make a certificate"
tenants() {
	cat <<YAML
tenants:
  - id: acme
    name: ACME
    users:
      - {username: alice, password: alice-secret, roles: [agent]}
YAML
}
tenants | write_config
sed -i "s|^http: {listen: \"127.0.0.1:$API_PORT\"}|http: {listen: \"127.0.0.1:$API_PORT\", tls: {cert: \"$WORK/cert.pem\", key: \"$WORK/key.pem\"}}|" "$CONFIG"
grep -q 'tls: {cert' "$CONFIG" || fail "the test could not set http.tls"
start_server
wait_log 'event=http_listening listen=127.0.0.1:[0-9]* tls=1' 5
"$PYTHON" - "$API_PORT" "$WORK/cert.pem" <<'PY' || fail "HTTPS requests failed"
import http.client, json, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.check_hostname = False
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=10)
c.request("GET", "/healthz")
r = c.getresponse()
assert r.status == 200 and json.loads(r.read()) == {"status": "ok"}, r.status
c.request("POST", "/api/v1/login", body=json.dumps(
    {"tenant": "acme", "username": "alice", "password": "alice-secret"}))
r = c.getresponse()
assert r.status == 200 and "token" in json.loads(r.read()), r.status
plain = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
try:
    plain.request("GET", "/healthz")
    r = plain.getresponse()
    raise AssertionError(f"plain HTTP answered {r.status} on the TLS port")
except (ConnectionError, http.client.HTTPException, OSError):
    pass
PY
stop_server

sed -i "s|$WORK/key.pem|$WORK/missing.pem|" "$CONFIG"
rc=0
timeout 20 "$BIN" serve --config "$CONFIG" 2>"$WORK/bad.log" || rc=$?
[ "$rc" -ne 0 ] || fail "the server started with a missing TLS key"
grep -q 'event=http_failed' "$WORK/bad.log" || fail "no event=http_failed: $(tail -n 5 "$WORK/bad.log")"
