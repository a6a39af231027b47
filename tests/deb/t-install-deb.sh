#!/usr/bin/env bash
# Installs the package built by `make deb` on a Debian 12 system without touching this
# machine, starts the service as its unit says, talks to it, and purges it.
#
# The "clean system" is this machine's own root file system seen through an overlay
# (writes go to a tmpfs and vanish with the test) in private mount and network
# namespaces (unshare): debootstrap cannot build a root offline here, because the
# local apt cache holds only the packages installed after the base image, none of the
# essential ones (libc6, dpkg, base-files, ...). Inside: `dpkg -i` must succeed with
# the dependencies dpkg-shlibdeps computed (and those are enough: every library the
# binary NEEDs comes from a package of their closure, needs_in_depends.py), create the
# centrala user, give
# /etc/centrala/centrala.yaml to root:centrala 0640 (a conffile) and /var/lib/centrala
# to centrala, and enable the unit. Then the unit's ExecStartPre and ExecStart run as its
# User in its WorkingDirectory with a notification socket: READY=1 arrives, OPTIONS on
# 127.0.0.1:5060 is answered 200 and /healthz on 8080 answers, the store is created in
# /var/lib/centrala, SIGTERM stops it cleanly. `dpkg --purge` removes the binary, the
# configuration and the state.
#
# usage: tests/deb/t-install-deb.sh BUILD/deb/centrala_VERSION_ARCH.deb   (as root)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
skip() {
	printf 'SKIP: %s\n' "$*" >&2
	[ "${CI:-}" = true ] && exit 1
	exit 77
}
note() { printf '  %s\n' "$*" >&2; }

if [ "${1:-}" != --inside ]; then
	deb=$(realpath -e "${1:-}" 2>/dev/null) || {
		echo "usage: tests/deb/t-install-deb.sh PACKAGE.deb (make deb builds it)" >&2
		exit 2
	}
	[ "$(id -u)" -eq 0 ] || skip "needs root (mount and network namespaces, overlayfs)"
	command -v unshare >/dev/null || skip "unshare is missing (util-linux)"
	command -v sipp >/dev/null || skip "sipp is missing (sip-tester)"
	work=$(mktemp -d /tmp/centrala-deb.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	rc=0
	timeout -k 5 120 unshare -m -n --propagation private "$0" --inside "$deb" "$work" || rc=$?
	[ "$rc" -eq 0 ] && echo "PASS  deb/t-install-deb" || echo "FAIL  deb/t-install-deb (exit $rc)"
	exit "$rc"
fi

deb=$2 work=$3
m=$work/root
mount -t tmpfs tmpfs "$work"
mkdir -p "$work/upper" "$work/work" "$m"
mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$m" ||
	skip "cannot mount an overlay of / here"
mount -t proc proc "$m/proc"
mount --rbind /dev "$m/dev"
mount -t tmpfs tmpfs "$m/run" # no /run/systemd/system: the maintainer scripts start nothing
mount -t tmpfs tmpfs "$m/tmp"
ip link set lo up
cp "$deb" "$m/tmp/centrala.deb"
cp "$top/tests/sip/sip-options.xml" "$top/tests/sip/notify_listen.py" \
	"$top/tests/deb/needs_in_depends.py" "$m/tmp/"
inroot() { chroot "$m" "$@"; }

getent passwd centrala >/dev/null && fail "the host already has a centrala user"
inroot dpkg -i /tmp/centrala.deb >"$work/dpkg-i.log" 2>&1 || fail "dpkg -i: $(tail -n 20 "$work/dpkg-i.log")"
note "$(grep -m1 'Setting up' "$work/dpkg-i.log")"
inroot python3 /tmp/needs_in_depends.py /usr/bin/centrala \
	"$(dpkg-deb -f "$deb" Depends),$(dpkg-deb -f "$deb" Pre-Depends)" >"$work/needs.log" 2>&1 ||
	fail "$(cat "$work/needs.log")"
note "$(cat "$work/needs.log")"
inroot getent passwd centrala >/dev/null || fail "no centrala user after installing"
[ "$(inroot stat -c '%a %U:%G' /etc/centrala/centrala.yaml)" = "640 root:centrala" ] ||
	fail "/etc/centrala/centrala.yaml is $(inroot stat -c '%a %U:%G' /etc/centrala/centrala.yaml)"
[ "$(inroot stat -c '%U' /var/lib/centrala)" = centrala ] || fail "/var/lib/centrala is not centrala's"
# shellcheck disable=SC2016 # a dpkg-query format, not a shell expansion
inroot dpkg-query -W -f='${Conffiles}\n' centrala | grep -q '/etc/centrala/centrala.yaml' ||
	fail "/etc/centrala/centrala.yaml is no conffile"
grep -q 'migrate: sqlite: schema version 0 -> ' "$work/dpkg-i.log" ||
	fail "postinst did not migrate the store: $(tail -n 5 "$work/dpkg-i.log")"
[ "$(inroot stat -c %U /var/lib/centrala/centrala.db)" = centrala ] ||
	fail "the store postinst made is not centrala's"
[ -L "$m/etc/systemd/system/multi-user.target.wants/centrala.service" ] ||
	fail "centrala.service is not enabled"

# Start it the way its unit does.
unit=/lib/systemd/system/centrala.service
key() { sed -n "s/^$1=//p" "$m$unit" | head -n 1; }
user=$(key User) dir=$(key WorkingDirectory) pre=$(key ExecStartPre) start=$(key ExecStart)
if [ -z "$user" ] || [ -z "$start" ]; then fail "no User or ExecStart in $unit"; fi
note "User=$user WorkingDirectory=$dir"
inroot setpriv --reuid="$user" --regid="$user" --init-groups sh -c "cd $dir && $pre" \
	>"$work/check.log" 2>&1 || fail "ExecStartPre: $(cat "$work/check.log")"
timeout 60 chroot "$m" python3 /tmp/notify_listen.py /tmp/notify.sock /tmp/notify.log &
for _ in $(seq 50); do [ -S "$m/tmp/notify.sock" ] && break; sleep 0.1; done
chmod 666 "$m/tmp/notify.sock"
timeout -k 5 60 chroot "$m" setpriv --reuid="$user" --regid="$user" --init-groups \
	env NOTIFY_SOCKET=/tmp/notify.sock sh -c "cd $dir && exec $start" 2>"$work/server.log" &
server=$!
for _ in $(seq 150); do
	grep -q 'READY=1' "$m/tmp/notify.log" 2>/dev/null && break
	kill -0 "$server" 2>/dev/null || fail "the service exited: $(tail -n 5 "$work/server.log")"
	sleep 0.1
done
grep -q 'READY=1' "$m/tmp/notify.log" || fail "no READY=1: $(tail -n 5 "$work/server.log")"
inroot timeout 15 sipp 127.0.0.1:5060 -sf /tmp/sip-options.xml -i 127.0.0.1 -p 5999 -m 1 -nostdin \
	-key target 127.0.0.1 -timeout 10s -timeout_error >"$work/sipp.log" 2>&1 ||
	fail "OPTIONS on 5060: $(tail -n 5 "$work/sipp.log")"
inroot curl -sf -m 5 http://127.0.0.1:8080/healthz | grep -q '"ok"' || fail "/healthz on 8080"
inroot curl -sf -m 5 http://127.0.0.1:8080/ | grep -q '<html' ||
	fail "the web application is not served at / (installed in /usr/share/centrala/web?)"
note "READY=1, OPTIONS 200 on 5060, /healthz ok on 8080, the web application at /"
kill -TERM "$server"
rc=0
wait "$server" || rc=$?
[ "$rc" -eq 0 ] || fail "the service exited $rc on SIGTERM: $(tail -n 5 "$work/server.log")"
[ "$(inroot stat -c %U /var/lib/centrala/centrala.db)" = centrala ] || fail "no store in /var/lib/centrala"

# A database from a newer centrala: configuring this package again is a downgrade, and
# its postinst refuses it with centrala's message; once the database is back to this
# build's version, configuring succeeds.
future="import sqlite3, sys; c = sqlite3.connect('/var/lib/centrala/centrala.db')
c.execute(sys.argv[1]); c.commit()"
inroot python3 -c "$future" "INSERT INTO schema_version VALUES (999, 'future', 0)"
if inroot dpkg -i /tmp/centrala.deb >"$work/downgrade.log" 2>&1; then
	fail "installing over a newer database succeeded"
fi
grep -q 'a downgrade is refused' "$work/downgrade.log" ||
	fail "no downgrade message: $(tail -n 10 "$work/downgrade.log")"
inroot python3 -c "$future" "DELETE FROM schema_version WHERE version = 999"
inroot dpkg --configure centrala >"$work/configure.log" 2>&1 ||
	fail "dpkg --configure after the fix: $(tail -n 10 "$work/configure.log")"
grep -q 'up to date' "$work/configure.log" || fail "postinst: $(tail -n 5 "$work/configure.log")"
note "postinst migrates (0 -> latest, then up to date) and refuses a downgrade"

inroot dpkg --purge centrala >"$work/purge.log" 2>&1 || fail "dpkg --purge: $(tail -n 20 "$work/purge.log")"
for p in /usr/bin/centrala /etc/centrala /var/lib/centrala /lib/systemd/system/centrala.service; do
	[ ! -e "$m$p" ] || fail "$p is still there after purging"
done
note "purged: binary, /etc/centrala and /var/lib/centrala gone"
