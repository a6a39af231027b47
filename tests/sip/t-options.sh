#!/usr/bin/env bash
# OPTIONS outside a dialog (a trunk's keep-alive, a proxy's health check) is answered 200
# with Allow naming the methods served (and not MESSAGE or SUBSCRIBE, which are not) and
# Accept: application/sdp, whether it names the domain or a number. Then the port is
# ours: a second server configured on the same address and port exits 1 at once with
# event=listen_failed, having logged no sanitizer report, while the first keeps serving.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server

for target in "$ACME_DOMAIN" "300@$ACME_DOMAIN" "127.0.0.1:$SIP_PORT"; do
	name=options-${target%%[@:]*}
	rc=0
	sipp_run "$name" 10 "$(scen sip-options.xml)" -p "$(peer_port 1)" -m 1 \
		-key target "$target" || rc=$?
	expect_sipp_ok "$name" "$rc"
	allow=$(grep -i '^Allow:' "$WORK/$name.msg" | tail -n 1)
	note "$target: $allow"
	for m in INVITE ACK BYE CANCEL OPTIONS INFO REFER UPDATE REGISTER; do
		echo "$allow" | grep -qw "$m" || fail "Allow lacks $m: $allow"
	done
	for m in MESSAGE SUBSCRIBE; do
		if echo "$allow" | grep -qw "$m"; then fail "Allow names $m, which is not served"; fi
	done
	grep -qi '^Accept:.*application/sdp' "$WORK/$name.msg" || fail "no Accept: application/sdp"
done

# A second server on the same port: a clean error exit, no leak report (under ASan).
second=$WORK/second.yaml
sed -e "s|$WORK/centrala.db|$WORK/second.db|" -e "s|ports: $RTP_MIN-$RTP_MAX|ports: $((RTP_MIN + 100))-$RTP_MAX|" \
	"$CONFIG" >"$second"
rc=0
timeout -k 5 30 "${SERVER_PREFIX[@]}" "$BIN" serve --config "$second" 2>"$WORK/second.log" || rc=$?
[ "$rc" -eq 1 ] || fail "second server on the same port: exit $rc, want 1 ($(tail -n 3 "$WORK/second.log"))"
grep -q "event=listen_failed url=sip:$SIP_HOST:$SIP_PORT" "$WORK/second.log" ||
	fail "second server did not log event=listen_failed: $(tail -n 3 "$WORK/second.log")"
if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$WORK/second.log"; then
	fail "sanitizer report from the second server: $(grep -A8 -m1 ERROR "$WORK/second.log")"
fi

# The first one still answers.
rc=0
sipp_run options-after 10 "$(scen sip-options.xml)" -p "$(peer_port 2)" -m 1 \
	-key target "$ACME_DOMAIN" || rc=$?
expect_sipp_ok options-after "$rc"
stop_server
