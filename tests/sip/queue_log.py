#!/usr/bin/env python3
"""Reads centrala's server log for the queue tests (tests/sip/t-queue-*.sh).

The log is one event per line, `ts=ISO8601 level=... mod=... key=value ...`. The ACD's
lines that matter here:

  tenant=T call=N event=offered queue=Q agent=A
  tenant=T event=agent_state agent=A from=S1 to=S2 cause=C [reason=R]

Commands (each exits 1 and says why when the log breaks the rule, 0 otherwise):

  offers LOG
      prints {"agent": number of offers} as JSON.
  wrapup LOG WRAP_MS
      no agent is offered a contact while it is in wrap-up: between an agent's
      `to=wrap_up` and the state line that ends it (`from=wrap_up`) there is no
      `event=offered agent=A`, except the offer that ends the wrap-up itself (the ACD
      reports wrap_up -> reserved as one change when a contact waits; that offer may be
      logged just before its state line) and only once WRAP_MS have passed. Every
      wrap-up that the agent did not end itself (cause wrap_up_skip or request) lasted
      at least WRAP_MS, whether it ended in ready or straight in the next offer.
  longest-idle LOG AGENT...
      the AGENTs' first offers go to distinct agents, and whenever an offer goes to an
      agent that was ready, no other agent had been ready (idle) for longer; an offer
      taken straight out of wrap-up must not leave another agent ready.
  order LOG REGEX...
      each extended regular expression matches a line after the line the previous one
      matched.
  firsts LOG REGEX...
      the first line matching each extended regular expression comes after the first
      line matching the previous one (each must match somewhere).
  gap LOG REGEX1 REGEX2
      prints the milliseconds from the first line matching REGEX1 to the first line
      after it matching REGEX2 (exit 1 when either is missing).
"""
import json
import re
import sys
from datetime import datetime, timezone

TOKEN = re.compile(r'(\w+)=("[^"]*"|\S+)')
TOL_MS = 150  # the log's timestamps and the engine's timer granularity


def parse(path):
    out = []
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            kv = {k: v.strip('"') for k, v in TOKEN.findall(line)}
            if "ts" not in kv:
                continue
            try:
                dt = datetime.strptime(kv["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
            except ValueError:
                continue
            kv["_ms"] = int(dt.replace(tzinfo=timezone.utc).timestamp() * 1000)
            kv["_line"] = n
            kv["_text"] = line.rstrip("\n")
            out.append(kv)
    return out


def offers(ev):
    return [e for e in ev if e.get("event") == "offered" and "agent" in e]


def states(ev):
    return [e for e in ev if e.get("event") == "agent_state" and "agent" in e]


def cmd_offers(ev):
    counts = {}
    for e in offers(ev):
        counts[e["agent"]] = counts.get(e["agent"], 0) + 1
    print(json.dumps(counts, sort_keys=True))
    return []


def next_state(ev, i, agent):
    for e in ev[i + 1:]:
        if e.get("event") == "agent_state" and e.get("agent") == agent:
            return e
    return None


def cmd_wrapup(ev, wrap_ms):
    bad = []
    wrap_since = {}
    for i, e in enumerate(ev):
        a = e.get("agent")
        if e.get("event") == "agent_state":
            if e.get("to") == "wrap_up":
                wrap_since[a] = e["_ms"]
            elif e.get("from") == "wrap_up":
                since = wrap_since.pop(a, None)
                # Only the agent (wrap_up_skip, or a presence it set) may cut it short.
                if (since is not None and
                        e.get("cause") not in ("wrap_up_skip", "request") and
                        e["_ms"] - since < wrap_ms - TOL_MS):
                    bad.append("line %d: %s's wrap-up ended after %d ms, not %d: %s" %
                               (e["_line"], a, e["_ms"] - since, wrap_ms, e["_text"]))
        elif e.get("event") == "offered" and a in wrap_since:
            since = wrap_since[a]
            nxt = next_state(ev, i, a)
            if (nxt is not None and nxt.get("from") == "wrap_up" and
                    nxt.get("to") in ("reserved", "ready") and
                    nxt["_ms"] - e["_ms"] <= TOL_MS and e["_ms"] - since >= wrap_ms - TOL_MS):
                continue  # the offer that ends the wrap-up, logged before its state line
            bad.append("line %d: %s offered %d ms into its wrap-up of %d ms: %s" %
                       (e["_line"], a, e["_ms"] - since, wrap_ms, e["_text"]))
    return bad


def cmd_longest_idle(ev, agents):
    bad = []
    firsts = [e["agent"] for e in offers(ev)][:len(agents)]
    if len(set(firsts)) != len(agents):
        bad.append("the first %d offers went to %s, not to %d different agents" %
                   (len(agents), firsts, len(agents)))
    state, ready_since, last = {}, {}, {}
    for e in ev:
        a = e.get("agent")
        if e.get("event") == "agent_state":
            last[a] = e
            state[a] = e.get("to")
            if e.get("to") == "ready":
                ready_since[a] = e["_ms"]
        elif e.get("event") == "offered" and a:
            was = state.get(a)
            t = last.get(a)
            # The state line of the offer itself may come first.
            if was == "reserved" and t and e["_ms"] - t["_ms"] <= TOL_MS:
                was = t.get("from")
            others = [(ready_since[b], b) for b in state
                      if b != a and state[b] == "ready" and b in ready_since]
            if was == "ready":
                mine = ready_since.get(a, e["_ms"])
                older = [(s, b) for s, b in others if s < mine - 5]
                if older:
                    s, b = min(older)
                    bad.append("line %d: offered to %s (idle since %d) while %s was idle "
                               "since %d: %s" % (e["_line"], a, mine, b, s, e["_text"]))
            elif was == "wrap_up" and others:
                bad.append("line %d: %s took a waiting contact out of wrap-up while %s was "
                           "ready: %s" % (e["_line"], a, others[0][1], e["_text"]))
    return bad


def cmd_order(ev, regexes):
    with open(sys.argv[2], errors="replace") as f:
        lines = f.read().splitlines()
    pos = 0
    for r in regexes:
        rx = re.compile(r)
        for k in range(pos, len(lines)):
            if rx.search(lines[k]):
                pos = k + 1
                break
        else:
            return ["no line matching /%s/ after line %d" % (r, pos)]
    return []


def cmd_firsts(regexes):
    with open(sys.argv[2], errors="replace") as f:
        lines = f.read().splitlines()
    prev, prev_r = -1, None
    for r in regexes:
        rx = re.compile(r)
        k = next((k for k, l in enumerate(lines) if rx.search(l)), None)
        if k is None:
            return ["no line matching /%s/" % r]
        if k <= prev:
            return ["the first /%s/ (line %d) is not after the first /%s/ (line %d)"
                    % (r, k + 1, prev_r, prev + 1)]
        prev, prev_r = k, r
    return []


def cmd_gap(ev, r1, r2):
    a = next((e for e in ev if re.search(r1, e["_text"])), None)
    if a is None:
        return ["no line matching /%s/" % r1]
    b = next((e for e in ev if e["_line"] > a["_line"] and re.search(r2, e["_text"])), None)
    if b is None:
        return ["no line matching /%s/ after line %d" % (r2, a["_line"])]
    print(b["_ms"] - a["_ms"])
    return []


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, ev = sys.argv[1], parse(sys.argv[2])
    if cmd == "offers":
        bad = cmd_offers(ev)
    elif cmd == "wrapup":
        bad = cmd_wrapup(ev, int(sys.argv[3]))
    elif cmd == "longest-idle":
        bad = cmd_longest_idle(ev, sys.argv[3:])
    elif cmd == "gap":
        bad = cmd_gap(ev, sys.argv[3], sys.argv[4])
    elif cmd == "order":
        bad = cmd_order(ev, sys.argv[3:])
    elif cmd == "firsts":
        bad = cmd_firsts(sys.argv[3:])
    else:
        print("unknown command %s" % cmd, file=sys.stderr)
        return 2
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
