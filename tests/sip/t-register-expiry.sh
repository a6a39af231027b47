#!/usr/bin/env bash
# A binding ends when its expiry passes: alice registers for 30 s (the least the
# registrar grants) after bob has registered for 600 s; the registrar's sweep, which
# reads the bindings only once the earliest of them may have expired, reports alice's
# registration as expired and leaves bob's alone.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_acme_config
start_server

register_agent bob bob-pw "$(peer_port 4)" "$(peer_port 3)"
rc=0
sipp_run register-alice 15 "$(scen register.xml)" -p "$(peer_port 1)" -m 1 \
	-au alice -ap alice-pw -auth_uri "$ACME_DOMAIN" -key user alice -key domain "$ACME_DOMAIN" \
	-key contact_port "$(peer_port 2)" -key expires 30 || rc=$?
expect_sipp_ok register-alice "$rc"
wait_log "event=registered user=alice " 5
grep -q "^Contact: <sip:alice@127.0.0.1:$(peer_port 2)>;expires=30" "$WORK/register-alice.msg" ||
	fail "the 200 does not grant alice 30 s"
# 30 s, then the next sweep (every 5 s).
wait_log "event=registration_expired user=alice domain=$ACME_DOMAIN" 50
expect_no_log "event=registration_expired user=bob "

stop_server
