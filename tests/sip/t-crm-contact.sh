#!/usr/bin/env bash
# An inbound caller's CRM contact (issue 5: "an inbound caller with no contact gets one
# created (configurable)"). Tenant acme (country PL) creates contacts; tenant beta does
# not (create_contacts: false). The same national number calls acme's queue twice and
# beta's once; one call from a caller ID that is not a phone number goes to acme.
# Asserts: both acme calls name the same contact, created on the first call; the beta
# call and the call from a non-number name none.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    queues:
      - {id: support, strategy: longest-idle, max_wait: 1s, overflow: {hangup: true}}
    numbers:
      - {number: "200", queue: support}
  - id: beta
    name: Beta
    domain: beta.test
    country: PL
    create_contacts: false
    queues:
      - {id: support, strategy: longest-idle, max_wait: 1s, overflow: {hangup: true}}
    numbers:
      - {number: "201", queue: support}
YAML
start_server

# queue-caller.xml appends the call number (1) to [from]: the caller is 221234561.
call() {
	local name=$1 number=$2 from=$3 k=$4 domain=${5:-$ACME_DOMAIN} rc=0
	sipp_run "$name" 30 "$(scen queue-caller.xml)" -p "$(peer_port "$k")" -mi 127.0.0.1 \
		-mp "$(media_port "$k")" -rtp_echo -m 1 -key number "$number" \
		-key domain "$domain" -key from "$from" || rc=$?
	expect_sipp_ok "$name" "$rc"
}
call first 200 22123456 3
call second 200 22123456 4
call beta 201 22123456 5 beta.test
call nameless 200 anonymous 6
for n in 1 2 3 4; do
	wait_log "call=$n event=interaction " 10
done
stop_server

export_interactions
check_interactions '
assert len(ix) == 4, f"{len(ix)} interactions"
acme = sorted((i for i in ix if i["tenant"] == "acme" and i["from"] == "221234561"),
              key=lambda i: i["created"])
beta = [i for i in ix if i["tenant"] == "beta"]
nameless = [i for i in ix if i["from"] == "anonymous1"]
assert len(acme) == 2 and len(beta) == 1 and len(nameless) == 1, ix
assert acme[0]["contact"] and acme[0]["contact"] == acme[1]["contact"], acme
assert beta[0]["contact"] is None, beta
assert nameless[0]["contact"] is None, nameless
'
