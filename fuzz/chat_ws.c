/*
 * libFuzzer harness of the web chat's public WebSocket (src/api/chat_ws.c), which any
 * visitor of a company's website reaches without a login: frames go through
 * api__chat_rx (reassembly, the size bound, JSON, each message type's checks, the rate
 * bucket, token binding) as lws would deliver them. An input is frames separated by NUL
 * bytes; a frame that begins with 0x01 is a fragment (the rest of it, not final), any
 * other a whole or last fragment. What the socket hands on is taken as the engine and
 * the workers would take it: commands are popped from the engine's queue and freed, a
 * chat start's job is freed (--wrap=api__job_pending); nothing is written to a socket
 * (--wrap=lws_callback_on_writable, lws_set_timeout). The socket is closed at the end,
 * which must free everything it holds.
 * Seeds: tests/fuzz/corpus/chat_ws/. Build and run: fuzz/README.md.
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
void __wrap_lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs);
void __wrap_api__job_pending(struct api *a, const struct api_job *j);

static struct api *a;
static struct cfg *cfg;

int __wrap_lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	return 0;
}

void __wrap_lws_set_timeout(struct lws *wsi, enum pending_timeout reason, int secs)
{
	(void)wsi;
	(void)reason;
	(void)secs;
}

void __wrap_api__job_pending(struct api *api, const struct api_job *j)
{
	(void)api;
	json_decref(j->args);
}

static void init(void)
{
	static const char yaml[] =
	    "tenants:\n"
	    "  - id: acme\n"
	    "    domain: acme.example\n"
	    "    country: PL\n"
	    "    queues: [{id: support}]\n"
	    "    chat: {queues: [support], max_message: 200, per_second: 5}\n";

	log_setup(LOG_LEVEL_DEBUG, open("/dev/null", O_WRONLY | O_CLOEXEC));
	if (cfg_load_string("fuzz.yaml", yaml, &cfg) || cfg_error_count(cfg))
		abort();
	a = calloc(1, sizeof(*a));
	if (!a || mq_alloc(&a->c.cmds, 64))
		abort();
	a->c.cfg = cfg;
	pthread_mutex_init(&a->lock, NULL);
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
	const uint8_t *p = data, *end = data + size;

	if (!a)
		init();
	memset(&conn, 0, sizeof(conn));
	conn.a = a;
	snprintf(conn.query, sizeof(conn.query), "tenant=acme");
	snprintf(conn.peer, sizeof(conn.peer), "192.0.2.7");
	if (api__chat_open(&conn))
		abort(); /* the tenant takes chats */
	api__chat_established(&conn);
	while (p < end) {
		const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
		const uint8_t *stop = nul ? nul : end;
		bool fragment = stop > p && *p == 0x01;

		api__chat_rx(&conn, p + fragment, (size_t)(stop - p) - fragment, !fragment);
		drain();
		p = nul ? nul + 1 : end;
	}
	api__chat_close(&conn);
	drain();
	return 0;
}
