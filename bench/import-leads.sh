#!/usr/bin/env bash
# Lead list import: a CSV of N leads (phone, name and two extra columns) is imported
# into a fresh SQLite store with `centrala import leads`, then the same file into a
# second list (every number a duplicate across lists, looked up through the phone
# index). Prints the wall and CPU time (/usr/bin/time) and the peak RSS of each run:
# the import streams, so the RSS does not grow with N. It asserts nothing.
#
#   bench/import-leads.sh [BUILD/centrala] [N]      (defaults: build/centrala 1000000)
set -euo pipefail

bin=$(realpath -e "${1:-build/centrala}")
n=${2:-1000000}
work=$(mktemp -d /tmp/centrala-bench-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf 'store: "sqlite:%s/centrala.db"\ntenants:\n  - {id: acme, country: PL}\n' "$work" \
	>"$work/c.yaml"
/usr/bin/python3 - "$work/leads.csv" "$n" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("phone,name,plan,segment\n")
    for i in range(int(sys.argv[2])):
        f.write(f"6{i:08d},Name {i},p{i % 5},s{i % 11}\n")
PY
echo "# $bin import leads --config C --tenant acme --list L leads.csv   ($n rows, $(du -h "$work/leads.csv" | cut -f1))"
for list in first second; do
	/usr/bin/time -f "$list list: wall %e s, user %U s, sys %S s, peak RSS %M kB" \
		"$bin" import leads --config "$work/c.yaml" --tenant acme --list "$list" \
		"$work/leads.csv" 2>&1 >/dev/null | grep -E '^(first|second) list|imported' || true
done
