/*
 * libFuzzer harness of the agents' events socket's message reading (src/api/events.c,
 * api__ws_rx): reassembly of fragments under the size bound, JSON, "since",
 * "subscribe" (topics against the session's roles, the tenant's lists of subscribers),
 * the browser phone's messages and "ping", as lws would deliver frames from a logged-in
 * browser. An input is frames separated by NUL bytes; a frame that begins with 0x01 is
 * a fragment (not final). The socket belongs to a session of tenant acme whose roles are
 * the input's first byte (agent, supervisor, admin, qa bits). What the socket hands on
 * is taken as the engine would take it (commands popped and freed); nothing is written
 * to a socket (--wrap=lws_callback_on_writable). The socket is closed at the end, which
 * must unlink it everywhere and free what it holds.
 * Seeds: tests/fuzz/corpus/events_ws/. Build and run: fuzz/README.md.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_lws_callback_on_writable(struct lws *wsi);

static struct api *a;
static struct cfg *cfg;
static char tokens[16][64];

int __wrap_lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	return 0;
}

static void init(void)
{
	static const char yaml[] =
	    "tenants:\n"
	    "  - id: acme\n"
	    "    domain: acme.example\n"
	    "    users:\n"
	    "      - {username: boss, password: pw, roles: [agent, supervisor, admin, qa]}\n";
	static const unsigned role_bits[] = {API_ROLE_AGENT, API_ROLE_SUPERVISOR, API_ROLE_ADMIN,
					     API_ROLE_QA};

	log_setup(LOG_LEVEL_DEBUG, open("/dev/null", O_WRONLY | O_CLOEXEC));
	if (cfg_load_string("fuzz.yaml", yaml, &cfg) || cfg_error_count(cfg))
		abort();
	a = calloc(1, sizeof(*a));
	if (!a || mq_alloc(&a->c.cmds, 64))
		abort();
	a->c.cfg = cfg;
	a->c.rate_per_s = 1000000000;
	pthread_mutex_init(&a->lock, NULL);
	if (api__sessions_init(a) || api__events_init(a))
		abort();
	/* One session for each combination of roles. */
	for (unsigned r = 0; r < 16; r++) {
		unsigned roles = 0;
		for (unsigned b = 0; b < 4; b++)
			if (r & (1u << b))
				roles |= role_bits[b];
		if (api__session_new(a, "acme", "boss", roles, tokens[r]))
			abort();
	}
}

static void drain(void)
{
	static unsigned char buf[MQ_MSG_MAX];

	while (mq_pop(a->c.cmds, buf) == sizeof(struct api_cmd)) {
		struct api_cmd *m = (struct api_cmd *)buf;
		json_decref(m->args);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_conn conn;
	struct api_session *s;
	const uint8_t *p, *end = data + size;

	if (!a)
		init();
	if (size < 1)
		return 0;
	s = api__session_token(a, tokens[data[0] & 15]);
	if (!s)
		abort();
	memset(&conn, 0, sizeof(conn));
	conn.a = a;
	snprintf(conn.peer, sizeof(conn.peer), "127.0.0.1");
	if (api__ws_open(&conn, s))
		return 0;
	for (p = data + 1; p < end;) {
		const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
		const uint8_t *stop = nul ? nul : end;
		bool fragment = stop > p && *p == 0x01;

		api__ws_rx(&conn, p + fragment, (size_t)(stop - p) - fragment, !fragment);
		drain();
		p = nul ? nul + 1 : end;
	}
	api__ws_close(&conn);
	drain();
	return 0;
}
