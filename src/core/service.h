/*
 * Talking to the service manager. Under systemd (`Type=notify`, $NOTIFY_SOCKET set) the
 * daemon says when it is ready, pings the watchdog and says when it stops, through
 * libsystemd's sd_notify; elsewhere (a terminal, a test) every call here does nothing.
 *
 * Readiness is a gate: the engine names the parts that must be up before the daemon
 * counts as ready (service_expect: the store, SIP and HTTP), each part reports itself
 * up from whatever thread runs it (service_up), and READY=1 is sent once, when the last
 * expected part is up. A part added later joins by being expected before serving starts
 * and calling service_up once it serves. Thread-safe: the gate is an atomic bit set.
 */
#ifndef CENTRALA_CORE_SERVICE_H
#define CENTRALA_CORE_SERVICE_H

#include <stdint.h>

enum service_part {
	SERVICE_STORE = 1u << 0, /* the store is open and provisioned */
	SERVICE_SIP = 1u << 1,	 /* SIP listens on every configured address */
	SERVICE_HTTP = 1u << 2,	 /* the HTTP listener is bound */
};

/* Adds `parts` (enum service_part bits) to those that must be up before READY=1. */
void service_expect(unsigned parts);
/* Marks `part` up; when every expected part is up, sends READY=1 (once per process) with
 * a STATUS line. Parts not expected are recorded and do not trigger readiness alone. */
void service_up(unsigned part);
/* Whether READY=1 has been sent (or would have been, outside systemd). */
int service_is_ready(void);

/* The watchdog period the manager asked for (WatchdogSec, through $WATCHDOG_USEC), in
 * milliseconds; 0 when there is no watchdog. The engine pings at half this period. */
uint64_t service_watchdog_ms(void);
/* Sends WATCHDOG=1: call from the thread whose liveness matters (the engine). */
void service_watchdog(void);
/* Sends STOPPING=1 with a STATUS line, when a clean shutdown begins. */
void service_stopping(void);

#endif
