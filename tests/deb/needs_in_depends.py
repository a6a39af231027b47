#!/usr/bin/env python3
"""Proves a package's Depends sufficient for its binary: every shared library the binary
NEEDs (readelf -d), resolved as the loader does (ldd), belongs (dpkg -S) to a package in
the closure of DEPENDS through the installed packages' own Depends and Pre-Depends
(dpkg-query). Run inside the system the package is installed on (tests/deb/t-install-deb.sh).
usage: needs_in_depends.py BINARY "DEPENDS FIELD"      exit 0, or 1 naming what is missing"""
import os, re, subprocess as sp, sys
run = lambda *a: sp.run(a, capture_output=True, text=True).stdout
names = lambda f: {re.sub(r":\S+$", "", re.sub(r"\(.*?\)", "", a).strip())
                   for d in f.split(",") for a in d.split("|") if a.strip()}
closure, todo = set(), names(sys.argv[2])
while todo:  # the Depends closure, through what dpkg has installed
    p = todo.pop()
    closure.add(p)
    todo |= names(run("dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", p)) - closure
where = dict(re.findall(r"^\s*(\S+) => (/\S+)", run("ldd", sys.argv[1]), re.M))
needed = re.findall(r"\(NEEDED\).*\[(.+)\]", run("readelf", "-d", sys.argv[1]))
bad = []
for lib in needed:
    path = where.get(lib, "")
    ways = [path, os.path.realpath(path), re.sub(r"^/usr/", "/", path), "/usr" + path] if path else []
    owner = next((o for o in (run("dpkg", "-S", w) for w in ways) if o), "")
    pkg = owner.split(":")[0].split(",")[0]
    if not pkg or pkg not in closure:
        bad.append(f"{lib} ({path or 'not found'}, {pkg or 'no package'})")
print(f"{len(needed)} libraries NEEDed, each from a package of the Depends closure ({len(closure)})"
      if not bad else "not in the Depends closure: " + "; ".join(bad))
sys.exit(1 if bad or not needed else 0)
