#!/usr/bin/env bash
# The OpenAPI document: /api/v1/openapi.json validated against the OpenAPI 3.1
# specification's schema (@seriousme/openapi-schema-validator, from web/'s lockfile),
# and compared with the server's route table both ways.
# Asserts: the validator finds nothing; the document served is src/api/openapi.json;
# every route of src/api/route.c is documented with its method and every documented
# operation is routed (or is one of the two WebSocket endpoints); every non-public
# operation asked without a token answers 401 (found, never 404 or 405)
# (tests/sip/api_openapi.py).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

validator="$TOP/web/node_modules/@seriousme/openapi-schema-validator/bin/validate-api-cli.js"
command -v node >/dev/null || skip "node is missing (scripts/install-deps)"
[ -f "$validator" ] || skip "the OpenAPI validator is missing (scripts/install-deps: npm ci in web/)"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
YAML
start_server
wait_log 'event=http_listening' 5
curl -sf "http://127.0.0.1:$API_PORT/api/v1/openapi.json" -o "$WORK/openapi.json" ||
	fail "GET /api/v1/openapi.json failed"
timeout 60 node "$validator" "$WORK/openapi.json" >"$WORK/validate.json" 2>&1 ||
	fail "the document is not valid OpenAPI: $(head -c 4000 "$WORK/validate.json")"
grep -q '"valid": true' "$WORK/validate.json" || fail "no verdict: $(cat "$WORK/validate.json")"
"$PYTHON" "$SCEN/api_openapi.py" "$API_PORT" "$TOP/src/api/route.c" "$TOP/src/api/openapi.json" >&2 ||
	fail "the document and the route table differ"
stop_server
