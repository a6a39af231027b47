#!/usr/bin/env bash
# `centrala check` checks a tenant's campaigns (issue 12): an unknown queue, trunk,
# calendar and disposition code, a ring time under 15 s and an unknown key are errors
# with file:line:col and the key path, exit 1; the same file with good values passes,
# with a warning for a predictive campaign without an abandon message.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$WORK/bad.yaml" <<'YAML'
tenants:
  - id: acme
    queues: [{id: outbound}]
    trunks: [{id: pstn, uri: "sip:127.0.0.1:5999"}]
    calendars:
      office: {timezone: Europe/Warsaw, weekly: {mon-fri: "08:00-18:00"}}
    dispositions: [sale, later]
    campaigns:
      - id: renewals
        mode: predictive
        queue: outbond
        trunk: tin-can
        holidays: offices
        ring_time: 10s
        dispositions: {sale: close, later: 2h, bribe: close}
        lists: [nov]
        colour: red
YAML
rc=0
"$BIN" check "$WORK/bad.yaml" 2>"$WORK/bad.err" || rc=$?
[ "$rc" -eq 1 ] || fail "check exited $rc for a bad campaign"
for want in \
	'bad.yaml:11:16: tenants\[0\].campaigns\[0\].queue: unknown queue "outbond"' \
	'bad.yaml:12:16: tenants\[0\].campaigns\[0\].trunk: unknown trunk "tin-can"' \
	'bad.yaml:13:19: tenants\[0\].campaigns\[0\].holidays: unknown calendar "offices"' \
	'bad.yaml:14:20: tenants\[0\].campaigns\[0\].ring_time: must be at least 15s' \
	'bad.yaml:15:48: tenants\[0\].campaigns\[0\].dispositions.bribe: "bribe" is not one of' \
	'bad.yaml:17:9: tenants\[0\].campaigns\[0\].colour: unknown key'; do
	grep -q "$want" "$WORK/bad.err" || fail "no error \"$want\": $(cat "$WORK/bad.err")"
done
sed -e 's/outbond/outbound/' -e 's/tin-can/pstn/' -e 's/offices/office/' -e 's/10s/20s/' \
	-e 's/, bribe: close//' -e '/colour: red/d' "$WORK/bad.yaml" >"$WORK/good.yaml"
"$BIN" check "$WORK/good.yaml" >"$WORK/good.out" 2>&1 || fail "check refused a good campaign: $(cat "$WORK/good.out")"
grep -q "warning: .*campaigns\[0\].abandon_message: a predictive campaign should play a message" \
	"$WORK/good.out" || fail "no warning for the missing abandon message: $(cat "$WORK/good.out")"
