"""A generated contact-center history for the reports' browser test (t-web-reports.sh),
written as JSON lines for tests/store/seed.c (store_seed), and the report figures
computed from `centrala export interactions` and the agent state log as docs/web.md
("Reports") and ../shared/DOMAIN.md define them, compared with the page's CSVs.

  report_day.py seed TENANT ZONE DAY1 DAY2 OUT.jsonl [ID_PREFIX]
      two working days (08:00-17:00 in ZONE) of three agents walking through ready,
      ringing, talking (with holds), wrap-up and not ready with reasons, the contacts they
      answered in two queues, abandons (short ones among them) between, and the edges:
      contacts queued exactly on an interval's start and just before it, waits of exactly
      5 s (not a short abandon) and exactly the service-level target (within it), night
      callers (in both 02:00 hours of the day summer time ends), a
      contact queued the evening before DAY1 (outside the range), a not-ready span begun
      the evening before DAY1 (clipped at midnight).
  report_day.py interval EXPORT.jsonl CSV ZONE FROM_DAY TO_DAY MINUTES TARGETS_JSON
  report_day.py agent EXPORT.jsonl STATES.json CSV
  report_day.py disposition EXPORT.jsonl CSV ZONE FROM_DAY TO_DAY
"""
import csv
import datetime as dt
import json
import random
import sys
import zoneinfo

UTC = dt.timezone.utc


def iso(t):
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def day_start(day, tz):
    return dt.datetime.fromisoformat(day).replace(tzinfo=tz)


AGENTS = {"alice": ["support"], "bob": ["sales"], "carol": ["support", "sales"]}
DISPOSITIONS = ["sale", "no_sale", "callback", None]


def seed(tenant, zone, day1, day2, out, prefix="A"):
    tz = zoneinfo.ZoneInfo(zone)
    rnd = random.Random(20261204)
    lines, n = [], [0]

    def ix(queue, queued, wait, agent=None, talk=0.0, hold=0.0, wrap=0.0, abandoned=False,
           disposition=None, ivr=None):
        n[0] += 1
        ivr = rnd.uniform(2, 25) if ivr is None else ivr
        created = queued - dt.timedelta(seconds=ivr)
        answered = queued + dt.timedelta(seconds=wait) if agent else None
        ended = (answered + dt.timedelta(seconds=talk + hold)) if agent else queued + dt.timedelta(seconds=wait)
        lines.append({"interaction": {
            "tenant": tenant, "id": "01SEED%s%019d" % (prefix, n[0]), "from": "+4822%07d" % rnd.randrange(10**7),
            "to": "200", "number": "200" if queue == "support" else "300", "queue": queue, "agent": agent,
            "created": iso(created), "queued": iso(queued),
            "offered": iso(answered - dt.timedelta(seconds=rnd.uniform(1, 4))) if agent else None,
            "answered": iso(answered) if agent else None, "ended": iso(ended),
            "wait_s": round(wait, 3), "talk_s": round(talk, 3) if agent else 0, "hold_s": round(hold, 3),
            "wrapup_s": round(wrap, 3), "abandoned": abandoned, "disposition": disposition,
            "hangup_by": "caller" if abandoned else rnd.choice(["caller", "agent"])}})

    def span(agent, state, a, b, reason=None):
        lines.append({"state": {"tenant": tenant, "agent": agent, "state": state, "reason": reason,
                                "start": iso(a), "end": iso(b) if b else None}})

    first = day_start(day1, tz)
    # carol was not ready (training) from the evening before the range until 08:30.
    span("carol", "logged_out", first - dt.timedelta(hours=20), first - dt.timedelta(hours=2))
    span("carol", "not_ready", first - dt.timedelta(hours=2), first + dt.timedelta(hours=8, minutes=30), "training")
    # A contact queued the evening before (outside every range of the test).
    ix("support", first - dt.timedelta(seconds=30), 12.0, "alice", 60, 0, 10, disposition="sale")
    # Queued before midnight, answered after it: the agent's and the disposition report's
    # (answered in the range), not the interval report's (queued before it).
    ix("support", first - dt.timedelta(seconds=20), 25.0, "carol", 60, 0, 10, disposition="callback", ivr=20)
    # Called before midnight, queued after it (15 s in the IVR): the interval report's.
    ix("sales", first + dt.timedelta(seconds=5), 8.0, "bob", 50, 0, 5, disposition="no_sale", ivr=15)
    last = {"alice": first - dt.timedelta(hours=20), "bob": first - dt.timedelta(hours=20), "carol": None}
    for day in (day1, day2):
        midnight = day_start(day, tz)
        for agent, queues in AGENTS.items():
            t = midnight + dt.timedelta(hours=8, minutes=rnd.randrange(0, 20))
            if last[agent] is None:
                t = first + dt.timedelta(hours=8, minutes=30)  # carol, after her training
            else:
                span(agent, "logged_out", last[agent], t)
            end = midnight + dt.timedelta(hours=17, minutes=rnd.randrange(0, 30))
            lunch = False
            while t < end:
                if not lunch and t > midnight + dt.timedelta(hours=12):
                    b = t + dt.timedelta(minutes=30)
                    span(agent, "not_ready", t, b, "lunch")
                    t, lunch = b, True
                    continue
                if rnd.random() < 0.05:
                    b = t + dt.timedelta(seconds=rnd.uniform(60, 600))
                    span(agent, "not_ready", t, b, rnd.choice(["training", None]))
                    t = b
                    continue
                b = t + dt.timedelta(seconds=rnd.expovariate(1 / 90))
                span(agent, "ready", t, b)
                ring = rnd.uniform(2, 8)
                span(agent, "reserved", b, b + dt.timedelta(seconds=ring))
                answered = b + dt.timedelta(seconds=ring)
                talk, hold = rnd.uniform(30, 420), (rnd.uniform(10, 90) if rnd.random() < 0.25 else 0.0)
                wrap = rnd.uniform(5, 40)
                wait = rnd.choice([rnd.uniform(0, 15), rnd.uniform(0, 60), 20.0, 30.0])
                q = rnd.choice(queues)
                ix(q, answered - dt.timedelta(seconds=wait), wait, agent, talk, hold, wrap,
                   disposition=rnd.choice(DISPOSITIONS))
                busy_end = answered + dt.timedelta(seconds=talk + hold)
                span(agent, "busy", answered, busy_end)
                t = busy_end + dt.timedelta(seconds=wrap)
                span(agent, "wrap_up", busy_end, t)
            last[agent] = t
        # Abandons through the day in both queues, a third of them short.
        for _ in range(rnd.randrange(60, 90)):
            q = rnd.choice(["support", "sales"])
            at = midnight + dt.timedelta(seconds=rnd.uniform(8 * 3600, 17.5 * 3600))
            wait = rnd.uniform(0, 4.9) if rnd.random() < 0.33 else rnd.uniform(5, 180)
            ix(q, at, wait, abandoned=True)
        # A few callers in the night, 00:00 to 05:00 counted in elapsed time (on the day
        # summer time ends, 02:00-03:00 comes twice: both of them), who give up.
        night = midnight.astimezone(UTC)
        for _ in range(24):
            at = night + dt.timedelta(seconds=rnd.uniform(0, 5 * 3600))
            ix(rnd.choice(["support", "sales"]), at, rnd.uniform(1, 90), abandoned=True)
        # The edges: queued exactly on 10:15:00.000 and 1 ms before it; an abandon after
        # exactly 5 s (not short); answered after exactly the target, and just over it.
        on = midnight + dt.timedelta(hours=10, minutes=15)
        ix("support", on, 5.0, abandoned=True)
        ix("sales", on - dt.timedelta(milliseconds=1), 4.999, abandoned=True)
        ix("support", on, 20.0, "alice", 100, 0, 10, disposition="sale")
        ix("sales", on - dt.timedelta(milliseconds=1), 30.001, "bob", 100, 5, 10, disposition="no_sale")
    # The night after: logged out until the morning after the range.
    for agent, t in last.items():
        span(agent, "logged_out", t, day_start(day2, tz) + dt.timedelta(days=1, hours=7))
    with open(out, "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
    print(f"generated {n[0]} interactions and {sum('state' in x for x in lines)} state spans", file=sys.stderr)


def load_export(path):
    return [json.loads(x) for x in open(path) if x.strip()]


def rng(zone, day_from, day_to):
    tz = zoneinfo.ZoneInfo(zone)
    a = day_start(day_from, tz)
    b = day_start(day_to, tz) + dt.timedelta(days=1)
    return tz, a, b


num = lambda s: None if s in ("", "null") else float(s)


def close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-6)


def interval(export, csvfile, zone, day_from, day_to, minutes, targets):
    tz, a, b = rng(zone, day_from, day_to)
    targets = json.loads(targets)
    step = dt.timedelta(minutes=int(minutes))
    want = {}
    for i in load_export(export):
        if not i.get("queue") or not i.get("queued"):
            continue
        q = parse(i["queued"])
        if q < a or q >= b:
            continue
        # the interval of the tenant's day (from midnight of the range's first day),
        # counted in elapsed time (a day of a DST change has 23 or 25 hours, and its
        # intervals still start on the hour in the tenant's zone)
        a_utc = a.astimezone(UTC)
        start = a_utc + step * ((q - a_utc) // step)
        r = want.setdefault((i["queue"], start), dict(offered=0, answered=0, abandoned=0, abandoned_short=0,
                                                       answered_in_sl=0, waits=0.0, handle=0.0, longest=0.0))
        w = i.get("wait_s") or 0
        r["offered"] += 1
        r["longest"] = max(r["longest"], w)
        if i.get("answered"):
            r["answered"] += 1
            r["waits"] += w
            r["handle"] += (i.get("talk_s") or 0) + (i.get("hold_s") or 0) + (i.get("wrapup_s") or 0)
            r["answered_in_sl"] += w <= targets.get(i["queue"], 20)
        elif i.get("abandoned"):
            r["abandoned_short" if w < 5 else "abandoned"] += 1
    got = list(csv.DictReader(open(csvfile, newline="")))
    keys = [(g["queue"], parse(g["start"])) for g in got]
    assert len(set(keys)) == len(keys), "an interval twice in the report"
    assert set(keys) == set(want), ("intervals differ", sorted(set(keys) ^ set(want))[:5])
    figures = 0
    for g, k in zip(got, keys):
        r = want[k]
        for f in ("offered", "answered", "abandoned", "abandoned_short", "answered_in_sl"):
            assert int(g[f]) == r[f], (k, f, g[f], r[f])
        n = r["answered"]
        for f, v in {"service_level": r["answered_in_sl"] / n if n else None, "asa_s": r["waits"] / n if n else None,
                     "aht_s": r["handle"] / n if n else None, "longest_wait_s": r["longest"]}.items():
            assert close(num(g[f]), v), (k, f, g[f], v)
        figures += 9
    # local starts on the grid of the interval
    for _, s in keys:
        loc = s.astimezone(tz)
        assert (loc.hour * 60 + loc.minute) % int(minutes) == 0 and loc.second == 0, ("off the grid", loc)
    tot = lambda f: sum(r[f] for r in want.values())
    print(f"interval report {day_from}..{day_to} by {minutes} min: {len(got)} rows, {figures} figures match the export "
          f"(offered {tot('offered')}, answered {tot('answered')}, abandoned {tot('abandoned')}, "
          f"short {tot('abandoned_short')})", file=sys.stderr)


def agent(export, states, csvfile):
    ix = load_export(export)
    log = json.load(open(states))
    rows = list(csv.DictReader(open(csvfile, newline="")))
    assert {g["agent"] for g in rows} == set(AGENTS), [g["agent"] for g in rows]
    for g in rows:
        frm, to, now = parse(g["from"]), parse(g["to"]), parse(g["as_of"])
        want = {"logged_in_s": 0.0, "ready_s": 0.0, "wrap_up_s": 0.0, "not_ready_s": 0.0}
        reasons = {}
        for s in log[g["agent"]]:
            a = max(frm, parse(s["start"]))
            e = min(to, parse(s["end"]) if s["end"] else now)
            if e <= a:
                continue
            d = (e - a).total_seconds()
            if s["state"] != "logged_out":
                want["logged_in_s"] += d
            if s["state"] in ("ready", "reserved"):
                want["ready_s"] += d
            elif s["state"] == "wrap_up":
                want["wrap_up_s"] += d
            elif s["state"] == "not_ready":
                want["not_ready_s"] += d
                reasons[s["reason"] or ""] = reasons.get(s["reason"] or "", 0) + d
        # talk, hold and handled: the contacts the agent answered in the range
        mine = [i for i in ix if i.get("agent") == g["agent"] and i.get("answered") and frm <= parse(i["answered"]) < to]
        want["handled"] = len(mine)
        want["talk_s"] = sum(i.get("talk_s") or 0 for i in mine)
        want["hold_s"] = sum(i.get("hold_s") or 0 for i in mine)
        handling = want["talk_s"] + want["hold_s"] + want["wrap_up_s"]
        want["occupancy"] = handling / (handling + want["ready_s"]) if handling + want["ready_s"] else None
        for f, v in want.items():
            assert close(num(g[f]), v), (g["agent"], f, g[f], v)
        got = json.loads(g["not_ready_by_reason"])
        assert got.keys() == reasons.keys() and all(close(got[k], reasons[k]) for k in got), (g["agent"], got, reasons)
        assert want["handled"] > 20 and want["not_ready_s"] > 0, (g["agent"], want)
        print(f"agent report: {g['agent']}: handled {want['handled']}, logged in {want['logged_in_s']:.0f} s, "
              f"ready {want['ready_s']:.0f} s, talk {want['talk_s']:.0f} s, hold {want['hold_s']:.0f} s, "
              f"wrap-up {want['wrap_up_s']:.0f} s, not ready {', '.join(f'{k or chr(8211)} {v:.0f} s' for k, v in reasons.items())}, "
              f"occupancy {want['occupancy']:.4f}: match", file=sys.stderr)


def disposition(export, csvfile, zone, day_from, day_to):
    _, a, b = rng(zone, day_from, day_to)
    want = {}
    for i in load_export(export):
        if i.get("answered") and a <= parse(i["answered"]) < b:
            want[i.get("disposition") or ""] = want.get(i.get("disposition") or "", 0) + 1
    got = {g["disposition"]: int(g["count"]) for g in csv.DictReader(open(csvfile, newline=""))}
    assert got == want, (got, want)
    print(f"disposition report: {got} matches the export", file=sys.stderr)


if __name__ == "__main__":
    {"seed": seed, "interval": interval, "agent": agent, "disposition": disposition}[sys.argv[1]](*sys.argv[2:])
