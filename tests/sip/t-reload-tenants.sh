#!/usr/bin/env bash
# SIGHUP changes the tenant list while calls are up (docs/operations.md, "What a reload
# applies"). acme runs alone; number 300 is nobody's (404). The file then gains tenant
# beta, listed before acme (reordering is harmless), with number 300 to its queue: after
# SIGHUP a call to 300 is answered, and acme's 200 still is. A beta caller then waits in
# beta's queue while the file loses beta again: after SIGHUP a new call to 300 is refused
# (404), beta's admin no longer logs in, and the waiting call stays up until its caller
# hangs up. Last, acme's domain changes: it is removed and added again, and its number
# still answers. acme's webhook list follows the file the same way (a webhook added, then
# removed).
# Asserts: SIPp outcomes (404s, answered calls, the long call ended by its caller), the
# reload's log lines, the API's login answers, the interactions of beta's calls.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"
# The file's webhook below delivers to loopback: allowed explicitly, as operators must.
export HTTP_EXTRA='webhooks: {allow_private: true}'

ACME='  - id: acme
    name: ACME
    domain: '"$ACME_DOMAIN"'
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: support}
    numbers:
      - {number: "200", queue: support}'
BETA='  - id: beta
    name: Beta
    users:
      - {username: bea, password: bea-secret, roles: [admin]}
    queues:
      - {id: bq}
    numbers:
      - {number: "300", queue: bq}'
printf 'tenants:\n%s\n' "$ACME" | write_config
start_server
wait_log 'event=http_listening' 5

# caller NAME NUMBER FROM WAIT_MS [bg VAR]: a customer who is answered, waits, hangs up.
caller() {
	local name=$1 number=$2 from=$3 wait_ms=$4 path rc=0
	path=$WORK/$name.xml
	cp "$(scen queue-caller-hangup.xml number="$number" domain=127.0.0.1 from="$from" \
		rtp_port="$(media_port 3)" wait_ms="$wait_ms")" "$path"
	if [ "${5:-}" = bg ]; then
		sipp_bg "$6" "$name" 30 "$path" -p "$(peer_port 3)" -mi 127.0.0.1 \
			-mp "$(media_port 3)" -m 1
		return 0
	fi
	sipp_run "$name" 20 "$path" -p "$(peer_port 4)" -mi 127.0.0.1 -mp "$(media_port 4)" \
		-m 1 || rc=$?
	expect_sipp_ok "$name" "$rc"
}
refused() { # NAME NUMBER: the call gets 404
	local rc=0
	sipp_run "$1" 15 "$(scen caller-rejected.xml number="$2" domain=127.0.0.1 \
		from_user=70001 from_host=carrier.invalid fmt=0 rtpmap="a=rtpmap:0 PCMU/8000" \
		status=404)" -p "$(peer_port 5)" -m 1 || rc=$?
	expect_sipp_ok "$1" "$rc"
}
login() { # TENANT USER PASSWORD: the login's HTTP status
	"$PYTHON" - "$API_PORT" "$@" <<'PY'
import sys
sys.path.insert(0, "tests/sip")
from api import Api
st, b, _ = Api(int(sys.argv[1])).call("POST", "/api/v1/login", body={
    "tenant": sys.argv[2], "username": sys.argv[3], "password": sys.argv[4]})
print(st)
PY
}

HOOK='    webhooks:
      - {id: crm, url: "http://127.0.0.1:9/crm", events: ["*"], secret: file-hook-secret-0123456789}'
hooks() { # the ids and sources of acme's webhooks
	"$PYTHON" - "$API_PORT" <<'PY'
import sys
sys.path.insert(0, "tests/sip")
from api import Api
api = Api(int(sys.argv[1]))
st, b, _ = api.call("GET", "/api/v1/webhooks", api.login("acme", "ada", "ada-secret"))
assert st == 200, (st, b)
print(" ".join(f'{h["id"]}:{h["source"]}' for h in b["items"]))
PY
}

refused before-300 300
[ -z "$(hooks)" ] || fail "acme has webhooks before the file names any: $(hooks)"
[ "$(login beta bea bea-secret)" = 401 ] || fail "beta's admin logged in before beta existed"

# beta added, before acme in the list.
printf 'tenants:\n%s\n%s\n%s\n' "$BETA" "$ACME" "$HOOK" | write_config
signal_server HUP
wait_log 'event=reloaded .*tenants_added=1 tenants_removed=0' 10
expect_log 'tenant=beta event=tenant_added domain=beta users=1 queues=1 numbers=1'
expect_no_log 'event=tenant_removed'
caller beta-first 300 71000 500
expect_log 'tenant=beta call=[0-9]+ event=incoming from=71000[0-9]* number=300'
caller acme-still 200 72000 500
[ "$(login beta bea bea-secret)" = 200 ] || fail "beta's admin cannot log in after the reload"
[ "$(hooks)" = "crm:file" ] || fail "acme's webhooks after the reload: $(hooks)"
expect_log 'event=webhooks_reloaded added=1 changed=0 removed=0'

# A beta caller waits in bq; beta is then removed.
caller beta-long 300 73000 6000 bg long_pid
# (beta-first queued in bq too: wait for this caller's own call.)
wait_log 'tenant=beta call=[0-9]+ event=incoming from=73000' 5
long_call=$(grep -oE 'tenant=beta call=[0-9]+ event=incoming from=73000' "$SERVER_LOG" |
	grep -oE 'call=[0-9]+')
wait_log "tenant=beta $long_call event=queued queue=bq" 5
printf 'tenants:\n%s\n' "$ACME" | write_config
signal_server HUP
wait_log 'event=reloaded .*tenants_added=0 tenants_removed=1' 10
expect_log 'tenant=beta event=tenant_removed domain=beta calls=1'
refused after-removal 300
[ "$(login beta bea bea-secret)" = 401 ] || fail "beta's admin logs in after beta was removed"
[ -z "$(hooks)" ] || fail "acme's webhook outlived the file's: $(hooks)"
rc=0
wait_rc "$long_pid" || rc=$?
expect_sipp_ok beta-long "$rc"
caller acme-after 200 74000 500
wait_log 'tenant=beta call=[0-9]+ event=interaction ' 5

# acme's domain changes: removed and added again under the same id.
printf 'tenants:\n%s\n' "${ACME/$ACME_DOMAIN/acme2.test}" | write_config
signal_server HUP
wait_log 'event=reloaded .*tenants_added=1 tenants_removed=1' 10
expect_log 'tenant=acme event=tenant_domain_changed from=acme.test to=acme2.test'
expect_log 'tenant=acme event=tenant_added domain=acme2.test users=1 queues=1 numbers=1'
caller acme-renamed 200 75000 500
[ -z "$(hooks)" ] || fail "acme's webhooks after its domain changed: $(hooks)"
stop_server

export_interactions
check_interactions '
by = {i["from"]: i for i in ix}
long = [i for i in ix if i["from"].startswith("73000")]
assert len(long) == 1, [i["from"] for i in ix]
i = long[0]
assert i["queue"] == "bq" and i["ended"] and i["abandoned"], i
assert i["wait_s"] >= 5.0, i
assert len([i for i in ix if i["from"].startswith("71000")]) == 1, ix
assert len([i for i in ix if i["number"] == "200"]) == 3, ix
'
