#!/usr/bin/env bash
# The wallboard and the admin console in headless Chromium (tests/browser/supervisor.mjs)
# against this server with SIPp customers and SIPp as alice's phone: the waiting count
# rises as two callers queue and falls as alice answers them; a number made in the admin
# console routes the next SIPp call into its queue; screenshots of every main screen in
# every language (build/web-screenshots), failing on text that overflows its box. The
# reports' CSVs against the export and, for the agent report's state times, against
# each agent's state history from the API.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"
. "$(dirname "$0")/lib.sh"

make_tone "$WORK/agent.wav" 1000 3
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    country: PL
    timezone: Europe/Warsaw
    reason_codes: [lunch]
    dispositions: [sale, no_sale]
    users:
      - {username: alice, name: Alicja Nowak, password: alice-secret, roles: [agent], sip: {user: alice, password: alice-pw}, queues: {support: 0}}
      - {username: bob, name: Bob García, password: bob-secret, roles: [agent, supervisor, admin]}
    queues:
      - {id: support, strategy: longest-idle, wrap_up: 1s, service_level: 20s}
      - {id: sales, strategy: longest-idle}
    numbers:
      - {number: "200", queue: support}
YAML
web_static
start_server
wait_log 'event=http_listening' 5

browser_bg bpid supervisor.mjs
wait_file wb.ready "$bpid" 60
caller=$(scen queue-caller.xml)
sipp_bg c1 caller1 90 "$caller" -p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" \
	-rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from 22123456
sipp_bg c2 caller2 90 "$caller" -p "$(peer_port 4)" -mi 127.0.0.1 -mp "$(media_port 3)" \
	-rtp_echo -m 1 -key number 200 -key domain "$ACME_DOMAIN" -key from 22123457
wait_file wb.rose "$bpid" 60

# alice's phone answers both, one after the other, and hangs up after a second.
sipp_bg apid alice-phone 60 "$(scen queue-agent.xml ring_ms=200 talk_ms=1000 wav="$WORK/agent.wav")" \
	-p "$(peer_port 11)" -mi 127.0.0.1 -mp "$(media_port 1)" -m 2
register_agent alice alice-pw "$(peer_port 11)" "$(peer_port 21)"
token=$(curl -sf -X POST "http://127.0.0.1:$API_PORT/api/v1/login" \
	-d '{"tenant": "acme", "username": "alice", "password": "alice-secret"}' |
	"$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["token"])')
curl -sf -X PUT -H "Authorization: Bearer $token" "http://127.0.0.1:$API_PORT/api/v1/agents/me/state" \
	-d '{"state": "ready"}' >/dev/null || fail "alice could not go ready"
for p in c1 c2 apid; do
	rc=0
	wait_rc "${!p}" || rc=$?
	expect_sipp_ok "$p" "$rc"
done

# The number the admin made in the browser: the next call to 555 waits in the queue the
# admin made there too (or in sales, when this server makes no queues through its API).
wait_file admin.done "$bpid" 60
queue=$(cat "$WORK/queue.txt")
rc=0
sipp_run call555 30 "$(scen queue-caller-hangup.xml wait_ms=1500 rtp_port="$(media_port 4)")" \
	-p "$(peer_port 5)" -mi 127.0.0.1 -mp "$(media_port 4)" -m 1 -key number 555 \
	-key domain "$ACME_DOMAIN" -key from 22123458 || rc=$?
expect_sipp_ok call555 "$rc"
wait_log 'from=221234581 number=555 ' 5
call=$(grep -E 'event=incoming from=221234581 number=555 ' "$SERVER_LOG" | sed -E 's/.* call=([0-9]+) .*/\1/')
expect_log "call=$call event=queued queue=$queue"
: >"$WORK/call555.done"
browser_wait "$bpid"

# The agent report's state-based times (logged in, ready, wrap-up, not ready by reason)
# against each agent's whole state history from the API (since the epoch, clipped here
# to the report's range; a span still open ends at the report's as_of), second by
# second: the page's figures must count every span that overlaps the range.
"$PYTHON" - "$API_PORT" "$SCEN" "$WORK/agent.csv" <<'PY' || fail "the agent report's state times do not match the state log"
import csv, datetime, json, sys
sys.path.insert(0, sys.argv[2])
from api import Api
api = Api(int(sys.argv[1]))
bob = api.login("acme", "bob", "bob-secret")
ms = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000
rows = list(csv.DictReader(open(sys.argv[3], newline="")))
assert rows, "no rows in the agent report"
for g in rows:
    frm, to, now = ms(g["from"]), ms(g["to"]), ms(g["as_of"])
    st, b, _ = api.call("GET", f"/api/v1/agents/{g['agent']}/states?since=1970-01-01T00:00:00Z", bob)
    assert st == 200, b
    want = {"logged_in_s": 0.0, "ready_s": 0.0, "wrap_up_s": 0.0, "not_ready_s": 0.0}
    reasons = {}
    for s in b["items"]:
        a, e = max(frm, ms(s["start"])), min(to, ms(s["end"]) if s["end"] else now)
        if e <= a:
            continue
        d = (e - a) / 1000
        if s["state"] != "logged_out":
            want["logged_in_s"] += d
        if s["state"] in ("ready", "reserved"):
            want["ready_s"] += d
        elif s["state"] == "wrap_up":
            want["wrap_up_s"] += d
        elif s["state"] == "not_ready":
            want["not_ready_s"] += d
            reasons[s["reason"] or ""] = reasons.get(s["reason"] or "", 0) + d
    for f, v in want.items():
        assert abs(float(g[f]) - v) < 1e-6, (g["agent"], f, g[f], v)
    got = json.loads(g["not_ready_by_reason"])
    assert got.keys() == reasons.keys() and all(abs(got[k] - reasons[k]) < 1e-6 for k in got), (g["agent"], got, reasons)
    print(f"agent report: {g['agent']}: logged in {want['logged_in_s']:.1f} s, ready {want['ready_s']:.1f} s, "
          f"wrap-up {want['wrap_up_s']:.1f} s, not ready {reasons} match the state log", file=sys.stderr)
assert any(json.loads(g["not_ready_by_reason"]).get("lunch") for g in rows if g["agent"] == "alice"), \
    "alice's lunch (set while the page was off line) is in the report"
PY
stop_server

# The interval report the page computed (its CSV) against the same figures computed here
# from `centrala export interactions`, as docs/web.md defines them: per queue and 30
# minutes of the tenant's day by the time the call was queued; short abandons (waited
# under 5 s) apart; service level = answered within the queue's 20 s / answered; ASA =
# wait of the answered / answered; AHT = (talk + hold + wrap-up) / answered.
export_interactions
"$PYTHON" - "$WORK/interactions.jsonl" "$WORK/interval.csv" <<'PY' || fail "the interval report does not match the export"
import csv, datetime, json, sys, zoneinfo
tz = zoneinfo.ZoneInfo("Europe/Warsaw")
ix = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
want = {}
for i in ix:
    if not i.get("queue") or not i.get("queued"):
        continue
    q = t(i["queued"]).astimezone(tz)
    midnight = q.replace(hour=0, minute=0, second=0, microsecond=0)
    start = midnight + datetime.timedelta(minutes=30 * ((q - midnight) // datetime.timedelta(minutes=30)))
    r = want.setdefault((i["queue"], start.astimezone(datetime.timezone.utc)), dict(
        offered=0, answered=0, abandoned=0, abandoned_short=0, answered_in_sl=0, waits=[], handle=[], longest=0.0))
    w = i.get("wait_s") or 0
    r["offered"] += 1
    r["longest"] = max(r["longest"], w)
    if i.get("answered"):
        r["answered"] += 1
        r["waits"].append(w)
        r["handle"].append((i.get("talk_s") or 0) + (i.get("hold_s") or 0) + (i.get("wrapup_s") or 0))
        r["answered_in_sl"] += w <= 20
    elif i.get("abandoned"):
        r["abandoned_short" if w < 5 else "abandoned"] += 1
got = list(csv.DictReader(open(sys.argv[2], newline="")))
assert len(got) == len(want), (got, want)
num = lambda s: None if s in ("", "null") else float(s)
close = lambda a, b: (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-6)
for g in got:
    k = (g["queue"], t(g["start"]))
    assert k in want, (k, list(want))
    r = want[k]
    for f in ("offered", "answered", "abandoned", "abandoned_short", "answered_in_sl"):
        assert int(g[f]) == r[f], (k, f, g[f], r[f])
    n = r["answered"]
    checks = {"service_level": r["answered_in_sl"] / n if n else None,
              "asa_s": sum(r["waits"]) / n if n else None,
              "aht_s": sum(r["handle"]) / n if n else None,
              "longest_wait_s": r["longest"]}
    for f, v in checks.items():
        assert close(num(g[f]), v), (k, f, g[f], v)
print(f"interval report: {len(got)} rows match the export, figure by figure", file=sys.stderr)

# The agent report's contacts handled, talk and hold per agent, and the disposition
# report's counts (answered contacts per disposition), from the same export.
agents = {g["agent"]: g for g in csv.DictReader(open(sys.argv[2].replace("interval", "agent"), newline=""))}
assert set(agents) == {"alice", "bob"}, agents
for name, g in agents.items():
    mine = [i for i in ix if i.get("agent") == name and i.get("answered")]
    assert int(g["handled"]) == len(mine), (name, g["handled"], len(mine))
    assert close(float(g["talk_s"]), sum(i.get("talk_s") or 0 for i in mine)), (name, g["talk_s"])
    assert close(float(g["hold_s"]), sum(i.get("hold_s") or 0 for i in mine)), (name, g["hold_s"])
disp = {}
for i in ix:
    if i.get("answered"):
        disp[i.get("disposition") or ""] = disp.get(i.get("disposition") or "", 0) + 1
got = {g["disposition"]: int(g["count"]) for g in csv.DictReader(open(sys.argv[2].replace("interval", "disposition"), newline=""))}
assert got == disp, (got, disp)
print(f"agent and disposition reports match the export ({len(agents)} agents, {len(disp)} dispositions)", file=sys.stderr)
PY
