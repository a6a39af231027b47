#!/usr/bin/env bash
# Answering-machine detection on a campaign's answered calls (issue 12): two progressive
# campaigns with `amd: {action: hangup}`, each behind its own trunk to a SIPp carrier
# that answers and plays a recorded greeting (espeak-ng, lib.sh's make_greeting): on
# trunk m a voicemail greeting ending in a beep, on trunk p a person's short "Hello?".
# Agent alice's phone (SIPp) is in their queue. The machine is hung up on without
# reaching the queue (result machine, counted as machine); the person is detected,
# queued and connected to alice (result person); the person's campaign starts (through
# the API) once the machine's attempt is over. Asserts: the log's AMD decisions and
# attempt results, alice's single INVITE (from the person's number), the API's human and
# machine figures, and the interactions' dispositions and timelines (answered_by). A third
# campaign, `amd: {action: message}` behind trunk v, reaches another voicemail: it waits
# for the beep, plays its message (machine_message in the timeline) and hangs up.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

m_port=$(peer_port 30)
p_port=$(peer_port 31)
v_port=$(peer_port 32)
# shellcheck disable=SC2034 # set by sipp_bg, read as ${!p} below
m_pid='' p_pid='' v_pid='' alice_pid=''

write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}, queues: {outbound: 0}, auto_ready: true}
      - {username: bob, password: bob-secret, roles: [supervisor]}
    queues:
      - {id: outbound, strategy: longest-idle, ring_timeout: 15s}
    trunks:
      - {id: m, uri: "sip:127.0.0.1:$m_port"}
      - {id: p, uri: "sip:127.0.0.1:$p_port"}
      - {id: v, uri: "sip:127.0.0.1:$v_port"}
    campaigns:
      - {id: machines, queue: outbound, trunk: m, caller_id: "+48221000000",
         window: {from: "00:00", to: "23:59"}, amd: {action: hangup}, lists: [ml]}
      - {id: persons, queue: outbound, trunk: p, caller_id: "+48221000000",
         window: {from: "00:00", to: "23:59"}, amd: {action: hangup}, lists: [pl], paused: true}
      - {id: messages, queue: outbound, trunk: v, caller_id: "+48221000000",
         window: {from: "00:00", to: "23:59"}, amd: {action: message, message: "$WORK/vm-message.wav"},
         lists: [vl]}
YAML
printf 'phone,timezone\n+48601000001,UTC\n' >"$WORK/ml.csv"
printf 'phone,timezone\n+48601000002,UTC\n' >"$WORK/pl.csv"
printf 'phone,timezone\n+48601000003,UTC\n' >"$WORK/vl.csv"
for l in ml pl vl; do
	timeout 30 "$BIN" import leads --config "$CONFIG" --tenant acme --list $l "$WORK/$l.csv" \
		>"$WORK/import-$l.out" 2>&1 || fail "import leads: $(cat "$WORK/import-$l.out")"
done
make_greeting "$WORK/machine.wav" en \
	"You have reached the voicemail of Anna Kowalska please leave your message after the tone" beep
make_greeting "$WORK/person.wav" en "Hello?"
make_tone "$WORK/agent-1000.wav" 1000 10
make_tone "$WORK/vm-message.wav" 500 1
start_server
wait_log 'campaign=machines event=leads_loaded list=ml leads=1' 10
wait_log 'campaign=persons event=leads_loaded list=pl leads=1' 10
wait_log 'campaign=messages event=leads_loaded list=vl leads=1' 10

# scen writes $WORK/campaign-greeting.xml: each carrier gets its own copy, or the second
# expansion overwrites the first before its SIPp has read it (both would play person.wav).
for who in machine person; do
	mv "$(scen campaign-greeting.xml ring_ms=300 wav="$WORK/$who.wav")" "$WORK/greeting-$who.xml"
done
sipp_bg v_pid carrier-v 40 "$WORK/greeting-machine.xml" \
	-p "$v_port" -mi 127.0.0.1 -mp "$(media_port 7)" -m 1
sipp_bg m_pid carrier-m 40 "$WORK/greeting-machine.xml" \
	-p "$m_port" -mi 127.0.0.1 -mp "$(media_port 5)" -m 1
sipp_bg p_pid carrier-p 40 "$WORK/greeting-person.xml" \
	-p "$p_port" -mi 127.0.0.1 -mp "$(media_port 6)" -m 1
sipp_bg alice_pid agent-alice 40 "$(scen queue-agent.xml ring_ms=300 talk_ms=1000 \
	wav="$WORK/agent-1000.wav")" -p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"

wait_log 'campaign=machines call=[0-9]+ event=attempt_ended lead=1 attempt=1' 20
# Two campaigns on one queue each count its free agents: the second starts once the
# first has no call up, so that alice is free for the person.
"$PYTHON" - "$API_PORT" <<'PY' || fail "could not start campaign persons"
import sys
sys.path.insert(0, "tests/sip")
from api import Api
api = Api(int(sys.argv[1]))
st, b, _ = api.call("POST", "/api/v1/campaigns/persons/start", api.login("acme", "bob", "bob-secret"))
assert st == 200 and b["state"] == "running", (st, b)
PY
wait_log 'campaign=persons call=[0-9]+ event=connected lead=1 attempt=1 alice' 20
wait_log 'campaign=messages call=[0-9]+ event=attempt_ended lead=1 attempt=1' 20
for p in m_pid p_pid v_pid alice_pid; do
	rc=0
	wait_rc "${!p}" || rc=$?
	expect_sipp_ok "$p" "$rc"
done
call_of() { grep -oE "campaign=$1 call=[0-9]+ event=dial " "$SERVER_LOG" | head -1 | grep -oE 'call=[0-9]+'; }
mc=$(call_of machines) pc=$(call_of persons) vc=$(call_of messages)
expect_log "$mc event=amd leg=[0-9]+ result=machine "
expect_log "$pc event=amd leg=[0-9]+ result=person "
expect_log "$vc event=amd leg=[0-9]+ result=machine_beep "
grep -q 'bye to=48601000003' "$WORK/carrier-v.log" || fail "the machine behind trunk v was not hung up on"
grep -q 'offer from=+48601000002 ' "$WORK/agent-alice.log" ||
	fail "alice's phone did not ring for the person: $(cat "$WORK/agent-alice.log")"
n=$(grep -c 'offer from=' "$WORK/agent-alice.log")
[ "$n" -eq 1 ] || fail "alice was offered $n calls: the machine reached her"
"$PYTHON" - "$API_PORT" <<'PY' || fail "campaign figures through the API"
import sys
sys.path.insert(0, "tests/sip")
from api import Api
api = Api(int(sys.argv[1]))
bob = api.login("acme", "bob", "bob-secret")
st, m, _ = api.call("GET", "/api/v1/campaigns/machines", bob)
st2, p, _ = api.call("GET", "/api/v1/campaigns/persons", bob)
assert st == 200 and st2 == 200, (m, p)
assert m["total"]["machine"] == 1 and m["total"]["human"] == 0 and m["total"]["connected"] == 0, m
assert p["total"]["human"] == 1 and p["total"]["machine"] == 0 and p["total"]["connected"] == 1, p
PY
stop_server
export_interactions
check_interactions "
by = {i['to']: i for i in ix}
assert sorted(by) == ['+48601000001', '+48601000002', '+48601000003'], sorted(by)
v = by['+48601000003']
assert v['disposition'] == 'machine' and not v['agent'], v
assert 'machine_message' in [e['event'] for e in v['timeline']], v['timeline']
assert 'queued' not in [e['event'] for e in v['timeline']], v['timeline']
m, p = by['+48601000001'], by['+48601000002']
assert m['disposition'] == 'machine' and not m['answered'] and not m['agent'], m
assert [e.get('result') for e in m['timeline'] if e['event'] == 'answered_by'] == ['machine'], m['timeline']
assert 'queued' not in [e['event'] for e in m['timeline']], m['timeline']
assert p['disposition'] == 'person' and p['agent'] == 'alice' and p['answered'], p
assert [e.get('result') for e in p['timeline'] if e['event'] == 'answered_by'] == ['person'], p['timeline']
"
