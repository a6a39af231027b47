#!/usr/bin/env bash
# Users made, changed and removed through the API. An admin makes queues apiq and frq
# (french: 2), numbers 556 and 557 for them, and user zoe (agent, phone, queue apiq,
# french: 1, auto_ready): zoe logs in to the API at once, registers her SIPp phone and
# answers a call to 556. Her french raised to 3 (passwords left out: they stay), she
# joins frq and answers the next call to 557. Removed, she can no longer log in. Bad
# bodies are 400 naming the field, the file's users 409; the access matrix of the user
# endpoints for every role and the other tenant. After a restart a user the API made is
# there and can log in; the database holds Argon2id hashes and no password anywhere.
# Asserts: the calls' interactions (queue, agent); the API's answers checked against the
# OpenAPI document; the audit entries name fields, never values; `centrala check` lists
# each object the API made and says which the file lists too.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
      - {username: alice, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}}
      - {username: bob, password: bob-secret, roles: [supervisor]}
      - {username: quinn, password: quinn-secret, roles: [qa]}
    queues:
      - {id: support}
  - id: beta
    name: Beta
    users:
      - {username: carl, password: carl-secret, roles: [admin]}
YAML
start_server
wait_log 'event=http_listening' 5
make_tone "$WORK/agent-1000.wav" 1000 5

api() { "$PYTHON" "$SCEN/api_users.py" "$API_PORT" "$@"; }
# call NAME NUMBER FROM: a customer who talks until the agent hangs up.
call() {
	local rc=0
	sipp_run "$1" 20 "$(scen queue-caller.xml)" -p "$(peer_port 6)" -mi 127.0.0.1 \
		-mp "$(media_port 6)" -rtp_echo -m 1 -key number "$2" -key domain "$ACME_DOMAIN" \
		-key from "$3" || rc=$?
	expect_sipp_ok "$1" "$rc"
}

api create || fail "making user zoe failed"
sipp_bg apid agent-zoe 40 \
	"$(scen queue-agent.xml ring_ms=200 talk_ms=1000 wav="$WORK/agent-1000.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent zoe zoe-pw "$(peer_port 11)" "$(peer_port 21)"
wait_log 'event=agent_state agent=zoe from=logged_out to=ready' 5
call call-apiq 556 81000
wait_log 'event=agent_state agent=zoe from=busy to=ready' 5

api skill || fail "raising zoe's skill failed"
call call-frq 557 82000
rc=0
wait_rc "$apid" || rc=$?
expect_sipp_ok agent-zoe "$rc"
wait_log 'event=agent_state agent=zoe from=busy to=ready' 5
api delete || fail "removing zoe failed"

stop_server
start_server
wait_log 'event=api_objects object=users loaded=1' 5
api after-restart "$WORK/centrala.db" || fail "user yan did not survive the restart"
stop_server

# `centrala check` says, a line per object, what the API made and what the file lists too.
sed -i 's/      - {id: support}/      - {id: support}\n      - {id: apiq}/' "$CONFIG"
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || fail "check refused the config: $(cat "$WORK/check.out")"
for want in 'tenant acme: user yan: made through the API, not in the file (kept)' \
	'tenant acme: queue frq: made through the API, not in the file (kept)' \
	'tenant acme: queue apiq: made through the API and listed by the file' \
	'tenant acme: number 557: made through the API, not in the file (kept)'; do
	grep -qF "$want" "$WORK/check.out" || fail "check did not say: $want ($(cat "$WORK/check.out"))"
done
grep -q 'zoe' "$WORK/check.out" && fail "check names removed user zoe"

export_interactions
check_interactions '
q = {i["from"]: (i["queue"], i["agent"]) for i in ix}
assert q.get("810001") == ("apiq", "zoe"), q
assert q.get("820001") == ("frq", "zoe"), q
'
