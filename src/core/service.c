/*
 * The service manager notifications (service.h) over libsystemd's sd_notify. sd_notify
 * returns 0 and sends nothing when $NOTIFY_SOCKET is unset, so the daemon behaves the
 * same under a terminal and under systemd apart from the datagrams.
 */
#include "core/service.h"

#include <stdatomic.h>
#include <systemd/sd-daemon.h>

#include "core/log.h"

static atomic_uint expected;
static atomic_uint up;
static atomic_int ready;

static void maybe_ready(void)
{
	unsigned want = atomic_load(&expected), have = atomic_load(&up);
	int was = 0;

	if (!want || (have & want) != want)
		return;
	/* Exactly one caller wins the exchange, so READY=1 goes out once. */
	if (!atomic_compare_exchange_strong(&ready, &was, 1))
		return;
	if (sd_notify(0, "READY=1\nSTATUS=serving") > 0)
		log_info("core", "event=notify state=ready");
}

void service_expect(unsigned parts)
{
	atomic_fetch_or(&expected, parts);
}

void service_up(unsigned part)
{
	atomic_fetch_or(&up, part);
	maybe_ready();
}

int service_is_ready(void)
{
	return atomic_load(&ready);
}

uint64_t service_watchdog_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return usec / 1000 ? usec / 1000 : 1;
}

void service_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

void service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
