#!/usr/bin/env bash
# The operator role: an operator of the service, listed in the file's top-level
# `operators` with an Argon2id hash made by `centrala hash-password`, logs in to the API
# without a tenant, lists the tenants and works in the one each request names
# (?tenant=); its writes are audited in that tenant. A tenant's own users never reach
# another tenant, whatever they send; an operator's token opens no events socket.
# Asserts: everything tests/sip/api_operator.py asserts; `centrala check` refuses an
# operator whose password_hash is not an Argon2id hash, with its line.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

hash=$(printf 'ops-secret\n' | "$BIN" hash-password) || fail "hash-password failed"
case "$hash" in '$argon2id$'*) ;; *) fail "hash-password printed $hash" ;; esac
write_config <<YAML
operators:
  - {username: ops, name: Service desk, password_hash: '$hash'}
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: alice, password: alice-secret, roles: [agent]}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [admin]}
YAML
sed 's/password_hash: .*}/password_hash: plain}/' "$CONFIG" >"$WORK/bad.yaml"
rc=0
"$BIN" check "$WORK/bad.yaml" >"$WORK/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q 'bad.yaml:[0-9]*:[0-9]*: .*password_hash: an Argon2id hash' "$WORK/bad.out" ||
	fail "check did not refuse a plain password_hash: $(cat "$WORK/bad.out")"
start_server
wait_log 'event=http_listening' 5
"$PYTHON" "$SCEN/api_operator.py" "$API_PORT" >&2 || fail "api_operator.py failed"
stop_server
