#!/usr/bin/env bash
# `centrala check` knows the ACD's names (issue 3): a queue's unknown strategy or
# service-level formula is an error with file:line:col and the key path, exit 1; the
# same file with good names passes, relaxation's max_penalty included.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$WORK/bad.yaml" <<'YAML'
tenants:
  - id: acme
    queues:
      - {id: a, strategy: longest-idle}
      - {id: b, strategy: fastest, service_level_formula: vibes,
         relax: [{after: 30s, max_penalty: 2}]}
YAML
rc=0
"$BIN" check "$WORK/bad.yaml" 2>"$WORK/bad.err" || rc=$?
[ "$rc" -eq 1 ] || fail "check exited $rc for unknown names"
grep -q "bad.yaml:5:27: tenants\[0\].queues\[1\].strategy: unknown strategy \"fastest\"" "$WORK/bad.err" ||
	fail "no positioned strategy error: $(cat "$WORK/bad.err")"
grep -q "bad.yaml:5:59: tenants\[0\].queues\[1\].service_level_formula: unknown service_level_formula \"vibes\"" \
	"$WORK/bad.err" || fail "no positioned formula error: $(cat "$WORK/bad.err")"
sed -e 's/fastest/best-skill/' -e 's/vibes/answered/' "$WORK/bad.yaml" >"$WORK/good.yaml"
"$BIN" check "$WORK/good.yaml" >"$WORK/good.out" 2>&1 || fail "check refused good names: $(cat "$WORK/good.out")"
