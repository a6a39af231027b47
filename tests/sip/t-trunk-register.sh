#!/usr/bin/env bash
# Trunks that register with their carrier (docs/configuration.md, trunks' `register`).
# 1. An admin makes trunk reg through the API with register: true: centrala sends
#    REGISTER to SIPp registrar A, answers its challenge with the trunk's credentials
#    and is bound (the API says registered: true). Changing its register_expires
#    withdraws that binding and registers again (a second SIPp call: another Call-ID);
#    removing the trunk withdraws the binding (REGISTER with expires 0).
# 2. The file gains trunk filereg with register: true: after SIGHUP it registers with
#    registrar B; the file then loses it: after SIGHUP it unregisters.
# Asserts: each registrar's log (the REGISTER's Expires, "auth ok", "unregister") and
# SIPp outcome, the server's log lines, the API's answers, no password in the log.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

PORT_A=$(peer_port 30)
PORT_B=$(peer_port 31)
config() { # $1: extra trunks: lines
	write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
$1
YAML
}
config ""
start_server
wait_log 'event=http_listening' 5

registrar() { # VAR NAME PORT PASSWORD CALLS
	cp "$(scen trunk-registrar.xml user=centrala pass="$4")" "$WORK/$2.xml"
	sipp_bg "$1" "$2" 40 "$WORK/$2.xml" -p "$3" -m "$5"
}
api() {
	"$PYTHON" - "$API_PORT" "$@" <<'PY'
import sys, time
sys.path.insert(0, "tests/sip")
from api import Api, check_response
api = Api(int(sys.argv[1]))
ada = api.login("acme", "ada", "ada-secret")
st, doc, _ = api.call("GET", "/api/v1/openapi.json")
step = sys.argv[2]
if step == "create":
    st, b, _ = api.call("POST", "/api/v1/trunks", ada, {
        "id": "reg", "uri": f"sip:127.0.0.1:{sys.argv[3]}", "username": "centrala",
        "password": "reg-secret", "register": True, "register_expires": "2m"})
    assert st == 201 and b["register"] and b["register_expires"] == 120, (st, b)
    check_response(doc, "POST", "/api/v1/trunks", st, b)
elif step == "registered":
    for _ in range(50):
        st, b, _ = api.call("GET", "/api/v1/trunks/reg", ada)
        if b.get("registered"):
            break
        time.sleep(0.1)
    assert st == 200 and b["registered"] is True, (st, b)
    check_response(doc, "GET", "/api/v1/trunks/{id}", st, b)
    assert "reg-secret" not in str(b), b
elif step == "change":
    st, b, _ = api.call("PUT", "/api/v1/trunks/reg", ada, {
        "uri": f"sip:127.0.0.1:{sys.argv[3]}", "username": "centrala", "register": True,
        "register_expires": "3m"})
    assert st == 200 and b["register_expires"] == 180 and b["password_set"], (st, b)
elif step == "delete":
    st, b, _ = api.call("DELETE", "/api/v1/trunks/reg", ada)
    assert st == 204, (st, b)
PY
}
check_registrar() { # NAME PID EXPIRES
	local rc=0
	wait_rc "$2" || rc=$?
	expect_sipp_ok "$1" "$rc"
	grep -q "register expires=$3" "$WORK/$1.log" || fail "$1: no REGISTER asking for $3 s"
	grep -q 'auth ok' "$WORK/$1.log" || fail "$1: the trunk's credentials were refused"
	grep -q 'unregister' "$WORK/$1.log" || fail "$1: the binding was not withdrawn"
}

# 1. Through the API.
registrar a_pid registrar-a "$PORT_A" reg-secret 2
api create "$PORT_A" || fail "making trunk reg failed"
wait_log 'tenant=acme event=trunk_registered trunk=reg status=200' 10
api registered || fail "the API does not say trunk reg is registered"
api change "$PORT_A" || fail "changing trunk reg failed"
wait_log 'tenant=acme event=trunk_unregister trunk=reg why=changed' 5
for _ in $(seq 50); do
	[ "$(grep -c 'event=trunk_registered trunk=reg ' "$SERVER_LOG")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=trunk_registered trunk=reg ' "$SERVER_LOG")" -eq 2 ] ||
	fail "trunk reg did not register again after its change"
api registered || fail "the API does not say trunk reg is registered after its change"
api delete || fail "removing trunk reg failed"
for _ in $(seq 50); do
	[ "$(grep -c 'event=trunk_unregistered trunk=reg status=200' "$SERVER_LOG")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=trunk_unregistered trunk=reg status=200' "$SERVER_LOG")" -eq 2 ] ||
	fail "trunk reg's two bindings were not both withdrawn"
check_registrar registrar-a "$a_pid" 120
grep -q 'register expires=180' "$WORK/registrar-a.log" || fail "no REGISTER for 180 s after the change"
[ "$(grep -c unregister "$WORK/registrar-a.log")" -eq 2 ] || fail "registrar A saw $(grep -c unregister "$WORK/registrar-a.log") withdrawals, want 2"

# 2. Through the file and SIGHUP.
registrar b_pid registrar-b "$PORT_B" file-secret 1
config "    trunks:
      - {id: filereg, uri: \"sip:127.0.0.1:$PORT_B\", username: centrala, password: file-secret, register: true}"
signal_server HUP
wait_log 'event=reloaded ' 10
wait_log 'tenant=acme event=trunk_registered trunk=filereg status=200' 10
config ""
signal_server HUP
wait_log 'tenant=acme event=trunk_unregister trunk=filereg why=removed' 10
wait_log 'tenant=acme event=trunk_unregistered trunk=filereg status=200' 10
check_registrar registrar-b "$b_pid" 3600
expect_no_log 'reg-secret|file-secret'
stop_server
