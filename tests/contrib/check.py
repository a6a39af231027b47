#!/usr/bin/env python3
"""Checks the monitoring files in contrib/ without Grafana or Prometheus: the dashboard
is a JSON dashboard model (unique panel ids, every panel placed on the 24-column grid
without overlapping another, every query naming only metrics centrala exports), the
alert rules are well-formed YAML in Prometheus's rule-file shape (groups of rules with
alert, expr, for, a severity and annotations) whose expressions parse as far as brackets
and quotes go and name only exported metrics, and every alert's runbook_url points at a
heading of docs/operations.md. Run by ctest (contrib_files); python3 with python3-yaml.
With --metrics FILE (a /metrics scrape of a running server, tests/e2e/t-metrics-contrib.sh)
the metric names come from the scrape's TYPE lines instead of the list below, and every
label a query selects on must be one the scraped samples carry.
usage: tests/contrib/check.py [--metrics FILE] [SOURCE_DIR]"""
import json
import os
import re
import sys

import yaml

args = sys.argv[1:]
scrape = None
if args[:1] == ["--metrics"]:
    scrape, args = args[1], args[2:]
top = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..")

# The metrics of DESIGN.md contract 6 and the API issue's /metrics list (src/api, cti.c).
METRICS = {
    "centrala_calls_active", "centrala_calls_total", "centrala_queue_waiting",
    "centrala_queue_longest_wait_seconds", "centrala_agents", "centrala_service_level",
    "centrala_rtp_packets_total", "centrala_rtp_lost_total", "centrala_store_backlog",
    "centrala_store_spool_backlog", "centrala_store_up", "centrala_ws_clients",
    "centrala_queue_service_level_target", "centrala_queue_offered_total",
    "centrala_queue_answered_in_target_total", "centrala_agents_registered",
    "centrala_browser_phones",
}
LABELS = {}  # metric -> label names seen in the scrape's samples
if scrape:
    METRICS = set()
    for line in open(scrape, encoding="utf-8"):
        m = re.match(r"# TYPE (\S+) ", line)
        if m:
            METRICS.add(m.group(1))
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ", line)
        if m and not line.startswith("#"):
            LABELS.setdefault(m.group(1), set()).update(
                re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)=\"", m.group(3) or ""))
problems = []


def check_expr(where, expr):
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    stack, quote = [], None
    for ch in expr:
        if quote:
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in depth:
            stack.append(ch)
        elif ch in closing:
            if not stack or stack.pop() != closing[ch]:
                problems.append(f"{where}: unbalanced {ch!r} in {expr!r}")
                return
    if stack or quote:
        problems.append(f"{where}: unclosed {stack[-1] if stack else quote!r} in {expr!r}")
    for m in re.findall(r"\bcentrala_[a-z_]+", expr):
        if m not in METRICS:
            problems.append(f"{where}: {m} is not a metric centrala exports")
    for name, sel in re.findall(r"\b(centrala_[a-z_]+)\{([^}]*)\}", expr):
        for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!=|!~|=)", sel):
            if name in LABELS and label not in LABELS[name]:
                problems.append(f"{where}: {name} has no label {label} in the scrape")


# The dashboard.
path = os.path.join(top, "contrib", "grafana", "centrala-dashboard.json")
dash = json.load(open(path, encoding="utf-8"))
for k in ("title", "uid", "panels", "templating", "schemaVersion"):
    if k not in dash:
        problems.append(f"{path}: no {k}")
ids, cells, exprs = set(), {}, 0
for p in dash["panels"]:
    where = f"{path}: panel {p.get('id')} {p.get('title')!r}"
    if p.get("id") in ids:
        problems.append(f"{where}: duplicate id")
    ids.add(p.get("id"))
    g = p.get("gridPos", {})
    if not all(isinstance(g.get(k), int) for k in "xywh") or g["x"] + g["w"] > 24:
        problems.append(f"{where}: bad gridPos {g}")
        continue
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            if (x, y) in cells:
                problems.append(f"{where}: overlaps panel {cells[(x, y)]}")
                break
            cells[(x, y)] = p["id"]
        else:
            continue
        break
    if p.get("type") == "row":
        continue
    if not p.get("targets"):
        problems.append(f"{where}: no queries")
    for t in p.get("targets", []):
        exprs += 1
        check_expr(where, t.get("expr", ""))
for v in dash["templating"]["list"]:
    q = v.get("query")
    check_expr(f"{path}: variable {v.get('name')}", q["query"] if isinstance(q, dict) else q or "")

# The alert rules.
ops = open(os.path.join(top, "docs", "operations.md"), encoding="utf-8").read()
anchors = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#+ (.*)$", ops, re.M)}
path = os.path.join(top, "contrib", "prometheus", "centrala-alerts.yml")
doc = yaml.safe_load(open(path, encoding="utf-8"))
alerts = []
if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list) or not doc["groups"]:
    problems.append(f"{path}: no groups list")
    doc = {"groups": []}
for g in doc["groups"]:
    if not isinstance(g.get("name"), str) or not isinstance(g.get("rules"), list):
        problems.append(f"{path}: a group without name or rules")
        continue
    for r in g["rules"]:
        where = f"{path}: {r.get('alert')}"
        alerts.append(r.get("alert"))
        extra = set(r) - {"alert", "expr", "for", "labels", "annotations"}
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(r.get("alert"))):
            problems.append(f"{where}: bad alert name")
        if not isinstance(r.get("expr"), str):
            problems.append(f"{where}: no expr")
        else:
            check_expr(where, r["expr"])
        if not re.fullmatch(r"([0-9]+(ms|s|m|h|d|w|y))+", str(r.get("for", ""))):
            problems.append(f"{where}: bad for: {r.get('for')!r}")
        if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
            problems.append(f"{where}: no severity label")
        ann = r.get("annotations", {})
        for k in ("summary", "description", "runbook_url"):
            if not isinstance(ann.get(k), str) or not ann[k]:
                problems.append(f"{where}: no {k} annotation")
        url = ann.get("runbook_url", "")
        if not url.startswith("docs/operations.md#") or url.split("#", 1)[1] not in anchors:
            problems.append(f"{where}: runbook_url {url!r} is no heading of docs/operations.md")
if len(set(alerts)) != len(alerts):
    problems.append(f"{path}: duplicate alert names")
for want in ("CentralaNoAgentsWhileQueueWaits", "CentralaServiceLevelLow",
             "CentralaStoreBacklogGrowing", "CentralaRtpLossHigh"):
    if want not in alerts:
        problems.append(f"{path}: no {want}")

for p in problems:
    print(p, file=sys.stderr)
print(f"contrib: {len(dash['panels'])} panels, {exprs} queries, {len(alerts)} alerts, "
      f"{len(problems)} problems")
sys.exit(1 if problems else 0)
