/*
 * What webhooks cost the API's service thread and the delivery thread, on one core:
 *  - offering one event to a tenant's webhooks (api__webhooks_offer: match the type
 *    against each webhook's filter, copy the event for each match, queue it), with 10
 *    webhooks of which 1 or 10 take the event;
 *  - signing one delivery (HMAC-SHA256 over "TIMESTAMP.BODY") of a 400-byte event.
 * CPU time of the measuring thread (CLOCK_THREAD_CPUTIME_ID), so other work on the
 * machine does not count. The delivery thread runs meanwhile (its receiver, port 9 on
 * loopback, is refused before connecting, http.webhooks.allow_private being off: each
 * attempt fails at once) but its time is its own.
 *
 *   build/bench_webhook
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "core/config.h"
#include "core/log.h"

#define NOFFERS 20000
#define NSIGN	200000

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *event =
    "{\"seq\":123456,\"type\":\"contact.offered\",\"time\":\"2026-12-03T19:00:00.000Z\","
    "\"data\":{\"interaction\":\"01M8YM8YX6BKH3S8ADWSRP42GZ\",\"from\":\"+48221234561\","
    "\"to\":\"100\",\"number\":\"100\",\"queue\":\"support\",\"agent\":\"alice\",\"wait_s\":"
    "1.02,\"contact\":{\"id\":\"01M8YM8YX6BKH3S8ADWSRP42H0\",\"phones\":[\"+48221234561\"]},"
    "\"ivr\":{\"segment\":\"gold\",\"account\":\"A-221234561\"},\"language\":\"pl\"}}";

static void offers(const char *yaml, const char *what)
{
	struct cfg *cfg = NULL;
	struct api a;
	double t0, t1;
	size_t len = strlen(event);

	if (cfg_load_string("bench.yaml", yaml, &cfg) || cfg_error_count(cfg)) {
		fprintf(stderr, "bench config: %s\n", cfg ? cfg_error_at(cfg, 0) : "no memory");
		exit(1);
	}
	memset(&a, 0, sizeof(a));
	a.c.cfg = cfg;
	if (api__webhooks_start(&a)) {
		fprintf(stderr, "api__webhooks_start failed\n");
		exit(1);
	}
	t0 = cpu_s();
	for (int i = 0; i < NOFFERS; i++)
		api__webhooks_offer(&a, "acme", (uint64_t)i + 1, "contact.offered", event, len);
	t1 = cpu_s();
	printf("offer to 10 webhooks, %s: %.2f us of service-thread CPU per event (%d events)\n",
	       what, (t1 - t0) * 1e6 / NOFFERS, NOFFERS);
	api__webhooks_stop(&a);
	cfg_free(cfg);
}

static char *config(int matching)
{
	static char buf[8192];
	size_t off = (size_t)snprintf(buf, sizeof(buf), "tenants:\n  - id: acme\n    webhooks:\n");

	for (int i = 0; i < 10; i++)
		off +=
		    (size_t)snprintf(buf + off, sizeof(buf) - off,
				     "      - {id: h%d, url: \"http://127.0.0.1:9/h%d\", events: "
				     "[%s], secret: 0123456789abcdef}\n",
				     i, i, i < matching ? "contact.offered" : "agent.state");
	return buf;
}

int main(void)
{
	char sig[API_WEBHOOK_SIG_SIZE];
	size_t len = strlen(event);
	double t0, t1;

	log_setup((enum log_level)(LOG_LEVEL_ERROR + 1), 2);
	printf("event: %zu bytes\n", len);
	offers(config(1), "1 takes it");
	offers(config(10), "10 take it");
	t0 = cpu_s();
	for (int i = 0; i < NSIGN; i++)
		api__webhook_sign("0123456789abcdef0123456789abcdef", 1700000000 + i, event, len,
				  sig);
	t1 = cpu_s();
	printf("sign one delivery: %.2f us of CPU (%d signatures)\n", (t1 - t0) * 1e6 / NSIGN,
	       NSIGN);
	printf("command: build/bench_webhook\n");
	return 0;
}
