#!/usr/bin/env bash
# `make install PREFIX=/usr DESTDIR=STAGE` from the build the runner tests (the build
# directory holding CENTRALA_BIN), and what it puts in STAGE: the binary, every prompt
# set rendered (one WAV per catalogue line, a .made manifest), both man pages (rendered
# by scdoc; groff finds no problem in them), the example configurations, a configuration
# in /etc/centrala that `centrala check` accepts (mode 0640) and that a second install
# keeps once edited, the state directory, the sysusers.d file and the systemd unit with
# its hardening, which `systemd-analyze verify` accepts (its paths pointed into STAGE).
# Then the staged binary serves: with the staged configuration moved onto the test's
# ports and directory and the staged prompts, it answers OPTIONS and leaves the
# prompt directory untouched (an installed server never writes below /usr), and
# /healthz answers.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

build=$(dirname "$BIN")
[ -f "$build/CMakeCache.txt" ] || skip "$BIN is not in a CMake build directory"
stage=$WORK/stage
# The build's own type (Debug for the ASan build): `make install` then rebuilds nothing
# under the other tests that run this binary.
type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt")
make -s -C "$TOP" install BUILD="$build" BUILD_TYPE="${type:-RelWithDebInfo}" PREFIX=/usr \
	DESTDIR="$stage" >"$WORK/install.log" 2>&1 ||
	fail "make install: $(tail -n 20 "$WORK/install.log")"

for f in usr/bin/centrala usr/share/man/man8/centrala.8 usr/share/man/man5/centrala.yaml.5 \
	etc/centrala/centrala.yaml usr/lib/systemd/system/centrala.service \
	usr/lib/sysusers.d/centrala.conf usr/share/doc/centrala/examples/demo.yaml \
	usr/share/doc/centrala/examples/simulate/support-day.yaml usr/share/doc/centrala/operations.md; do
	[ -f "$stage/$f" ] || fail "make install did not install /$f"
done
[ -d "$stage/var/lib/centrala" ] || fail "no /var/lib/centrala"
[ -x "$stage/usr/bin/centrala" ] || fail "/usr/bin/centrala is not executable"
"$stage/usr/bin/centrala" version | grep -q '^centrala [0-9]' || fail "the installed binary does not run"
[ "$(stat -c %a "$stage/etc/centrala/centrala.yaml")" = 640 ] ||
	fail "/etc/centrala/centrala.yaml has mode $(stat -c %a "$stage/etc/centrala/centrala.yaml")"
grep -q '^u centrala ' "$stage/usr/lib/sysusers.d/centrala.conf" || fail "sysusers.d has no centrala user"

# Prompts: every catalogue rendered, one WAV per line.
for tsv in "$TOP"/prompts/*/prompts.tsv; do
	lang=$(basename "$(dirname "$tsv")")
	dir=$stage/usr/share/centrala/prompts/$lang
	[ -s "$dir/.made" ] || fail "prompts/$lang: no .made manifest"
	want=$(grep -cvE '^(#|[[:space:]]*$)' "$tsv")
	have=$(find "$dir" -name '*.wav' | wc -l)
	[ "$have" -eq "$want" ] || fail "prompts/$lang: $have WAVs for $want catalogue lines"
done

# Man pages: rendered, and groff has nothing to say about them.
for page in man8/centrala.8 man5/centrala.yaml.5; do
	out=$(groff -man -Tutf8 -ww -z "$stage/usr/share/man/$page" 2>&1) ||
		fail "groff cannot render $page"
	[ -z "$out" ] || fail "groff warns on $page: $out"
done
grep -q 'centrala check' "$stage/usr/share/man/man8/centrala.8" || fail "centrala(8) lacks check"

# The configurations shipped pass `centrala check`.
conf=$stage/etc/centrala/centrala.yaml
"$stage/usr/bin/centrala" check "$conf" >"$WORK/check.out" 2>&1 ||
	fail "centrala check on the installed configuration: $(cat "$WORK/check.out")"
grep -q 'sqlite:/var/lib/centrala/centrala.db' "$conf" || fail "the configuration does not use /var/lib/centrala"
grep -q 'prompts: "/usr/share/centrala/prompts"' "$conf" || fail "the configuration does not use the installed prompts"
(cd "$TOP" && "$stage/usr/bin/centrala" check "$stage/usr/share/doc/centrala/examples/demo.yaml") \
	>"$WORK/check-demo.out" 2>&1 || fail "centrala check demo.yaml: $(cat "$WORK/check-demo.out")"

# The unit: hardening present, and systemd's own verifier accepts it.
unit=$stage/usr/lib/systemd/system/centrala.service
for d in 'Type=notify' 'User=centrala' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'NoNewPrivileges=yes' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' 'LimitNOFILE=65536' \
	'WatchdogSec=' 'StateDirectory=centrala' \
	'ExecStartPre=/usr/bin/centrala check /etc/centrala/centrala.yaml' \
	'ExecStart=/usr/bin/centrala serve --config /etc/centrala/centrala.yaml'; do
	grep -q "^$d" "$unit" || fail "the unit lacks $d"
done
grep -q '^ExecReload=/usr/bin/centrala check /etc/centrala/centrala.yaml' "$unit" &&
	grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$unit" ||
	fail "the unit lacks ExecReload (check, then SIGHUP)"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$WORK/unit"
	sed "s|/usr/bin/centrala|$stage/usr/bin/centrala|g" "$unit" >"$WORK/unit/centrala.service"
	systemd-analyze verify --man=no "$WORK/unit/centrala.service" >"$WORK/verify.out" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$WORK/verify.out")"
	[ ! -s "$WORK/verify.out" ] || fail "systemd-analyze verify: $(cat "$WORK/verify.out")"
	systemd-analyze security --offline=yes "$WORK/unit/centrala.service" 2>/dev/null |
		grep 'Overall exposure' >"$WORK/security.out" || true
	note "$(cat "$WORK/security.out")"
elif [ "${CI:-}" = true ]; then
	fail "systemd-analyze is missing (Debian systemd)"
else
	note "systemd-analyze is missing: the unit was not verified"
fi

# A second install keeps the operator's edited configuration.
echo "# edited by the operator" >>"$conf"
# (the install step alone: the tree is configured and built by the first)
DESTDIR=$stage cmake --install "$build" >"$WORK/install2.log" 2>&1 ||
	fail "second install: $(tail -n 20 "$WORK/install2.log")"
grep -q 'edited by the operator' "$conf" || fail "a second install overwrote /etc/centrala/centrala.yaml"

# The staged server runs on the staged configuration and prompts (ports and state moved
# into the test's block) and never writes below the prompt directory.
prompts=$stage/usr/share/centrala/prompts
before=$(find "$prompts" -printf '%p %s %T@\n' | sort | sha256sum)
sed -e "s|udp:127.0.0.1:5060|udp:127.0.0.1:$SIP_PORT|; s|tcp:127.0.0.1:5060|tcp:127.0.0.1:$SIP_PORT|" \
	-e "s|ports: 30000-39999|ports: $RTP_MIN-$RTP_MAX|" -e "s|/var/lib/centrala|$WORK/state|g" \
	-e "s|listen: \"127.0.0.1:8080\"|listen: \"127.0.0.1:$API_PORT\"|" \
	-e "s|\"/usr/share/centrala/prompts\"|\"$prompts\"|" "$conf" >"$CONFIG"
cat >>"$CONFIG" <<YAML
  - id: acme
    domain: $ACME_DOMAIN
    language: pl
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
    numbers:
      - {number: "300", user: alice}
YAML
sed -i 's/^tenants: \[\]$/tenants:/' "$CONFIG"
BIN=$stage/usr/bin/centrala
start_server
rc=0
sipp_run options 10 "$(scen sip-options.xml)" -p "$(peer_port 1)" -m 1 -key target "$ACME_DOMAIN" || rc=$?
expect_sipp_ok options "$rc"
curl -sf -m 5 "http://127.0.0.1:$API_PORT/healthz" | grep -q '"ok"' || fail "/healthz does not answer"
expect_no_log 'event=prompts_failed'
expect_log "event=prompts dir=$prompts lang=pl made=0"
stop_server
after=$(find "$prompts" -printf '%p %s %T@\n' | sort | sha256sum)
[ "$before" = "$after" ] || fail "the server wrote below the installed prompt directory"
[ -f "$WORK/state/centrala.db" ] || fail "no store in the state directory"
