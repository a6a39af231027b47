#!/usr/bin/env bash
# systemd's notify protocol (Type=notify, WatchdogSec=) as the service manager sees it:
# the server started with NOTIFY_SOCKET pointing at a datagram socket this test listens
# on (tests/sip/notify_listen.py) sends READY=1 once the store, SIP and HTTP are up —
# an OPTIONS sent as soon as READY=1 arrives is answered 200 and /healthz answers 200 —
# then WATCHDOG=1 from the
# engine thread at half the period WATCHDOG_USEC asks for (1 s here: at least 4 pings
# in 3 s), keeps running and serving on SIGHUP (it reads the configuration again:
# event=reloaded; t-reload.sh tests what a reload changes), and sends STOPPING=1 on
# SIGTERM before exiting 0.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

sock=$WORK/notify.sock
events=$WORK/notify.log
: >"$events"
timeout -k 3 120 "$PYTHON" "$TOP/tests/sip/notify_listen.py" "$sock" "$events" &
_BG_PIDS+=("$!")
for _ in $(seq 50); do
	grep -q LISTENING "$events" && [ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || fail "the notification listener did not bind $sock"

write_acme_config
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 start_server
for _ in $(seq 50); do
	grep -q 'READY=1' "$events" && break
	sleep 0.1
done
grep -q 'READY=1' "$events" || fail "no READY=1 within 5 s of event=listening: $(cat "$events")"
note "$(grep 'READY=1' "$events")"
[ "$(grep -c 'READY=1' "$events")" -eq 1 ] || fail "READY=1 sent more than once"
curl -sf -m 5 "http://127.0.0.1:$API_PORT/healthz" >"$WORK/healthz.out" ||
	fail "/healthz does not answer once READY=1 was sent"
grep -q '"ok"' "$WORK/healthz.out" || fail "/healthz: $(cat "$WORK/healthz.out")"
rc=0
sipp_run options-ready 10 "$(scen sip-options.xml)" -p "$(peer_port 1)" -m 1 \
	-key target "$ACME_DOMAIN" || rc=$?
expect_sipp_ok options-ready "$rc"

# Pings every 0.5 s: at least 4 more in 3 s.
before=$(grep -c 'WATCHDOG=1' "$events" || true)
sleep 3
after=$(grep -c 'WATCHDOG=1' "$events" || true)
note "watchdog pings: $before before, $after after 3 s"
[ $((after - before)) -ge 4 ] || fail "only $((after - before)) WATCHDOG=1 in 3 s (want >= 4)"

# SIGHUP: a reload, not a stop.
server=$(pgrep -P "$SERVER_PID")
[ -n "$server" ] || fail "no centrala process under $SERVER_PID"
kill -HUP "$server"
wait_log 'event=reloaded ' 10
sleep 0.5
kill -0 "$server" 2>/dev/null || fail "centrala died on SIGHUP"
rc=0
sipp_run options-hup 10 "$(scen sip-options.xml)" -p "$(peer_port 2)" -m 1 \
	-key target "$ACME_DOMAIN" || rc=$?
expect_sipp_ok options-hup "$rc"
! grep -q 'RELOADING=1' "$events" || fail "RELOADING=1 sent (the unit is Type=notify: systemctl reload ends with ExecReload)"

stop_server
for _ in $(seq 20); do
	grep -q 'STOPPING=1' "$events" && break
	sleep 0.1
done
grep -q 'STOPPING=1' "$events" || fail "no STOPPING=1 on SIGTERM: $(tail -n 3 "$events")"
