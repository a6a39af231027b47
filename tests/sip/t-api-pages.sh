#!/usr/bin/env bash
# Keyset pagination of GET /api/v1/interactions: seven SIPp customers call the queue
# (no agent), wait briefly and hang up; their interactions are then followed page by
# page through `next`.
# Asserts: the seven calls succeed on the SIP side and are stored; what
# tests/sip/api_pages.py asserts (each interaction exactly once, in the order of one
# page of them all, for pages of 1, 2 and 3 and with a filter; a bad cursor 400;
# another tenant sees none).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: sue, password: sue-secret, roles: [supervisor]}
    queues:
      - {id: support}
    numbers:
      - {number: "200", queue: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [agent, supervisor, admin]}
YAML
start_server
wait_log 'event=http_listening' 5

rc=0
sipp_run calls 40 "$(scen queue-caller-hangup.xml number=200 domain="$ACME_DOMAIN" \
	from=7000 rtp_port="$(media_port 1)" wait_ms=300)" -p "$(peer_port 1)" -mi 127.0.0.1 \
	-mp "$(media_port 1)" -m 7 -r 10 -l 7 || rc=$?
expect_sipp_ok calls "$rc"
for _ in $(seq 100); do
	[ "$(grep -c 'event=interaction id=' "$SERVER_LOG")" -ge 7 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=interaction id=' "$SERVER_LOG")" -eq 7 ] || fail "7 interactions were not written"
"$PYTHON" "$SCEN/api_pages.py" "$API_PORT" 7 >&2 || fail "api_pages.py failed"
stop_server
