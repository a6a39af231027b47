/*
 * libFuzzer harness of the REST API's request handling (src/api): the router, the token
 * and role checks, and every route's reading of its query and JSON body on the service
 * thread (api__body, api__fields, api__str and each handler's own checks, the numbers
 * routes through cfg_load_fragment). Each input is "METHOD PATH[?QUERY]\n" followed by
 * the body, sent by an admin-supervisor-agent of tenant acme (its token goes in the
 * query). What a route hands on is taken as the engine and the workers would take it:
 * commands are popped from the engine's queue and freed, worker jobs are freed
 * (--wrap=api__job); nothing is written to a socket (--wrap=lws_callback_on_writable,
 * and no header is present: --wrap=lws_hdr_copy, lws_hdr_total_length). A response must
 * be made for every request that is not waiting for the engine or a worker.
 * Seeds: tests/fuzz/corpus/api/. Build and run: fuzz/README.md.
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
int __real_lws_callback_on_writable(struct lws *wsi);
int __wrap_lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h);
int __real_lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h);
int __wrap_lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h);
int __real_lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h);
void __wrap_api__job(struct api_conn *conn, const struct api_job *j);

static struct api *a;
static struct cfg *cfg;
static char token[64];
static bool job_taken;

int __wrap_lws_callback_on_writable(struct lws *wsi)
{
	return wsi ? __real_lws_callback_on_writable(wsi) : 0;
}

int __wrap_lws_hdr_copy(struct lws *wsi, char *dest, int len, enum lws_token_indexes h)
{
	return wsi ? __real_lws_hdr_copy(wsi, dest, len, h) : -1;
}

int __wrap_lws_hdr_total_length(struct lws *wsi, enum lws_token_indexes h)
{
	return wsi ? __real_lws_hdr_total_length(wsi, h) : 0;
}

void __wrap_api__job(struct api_conn *conn, const struct api_job *j)
{
	json_decref(j->args);
	job_taken = true;
}

static void init(void)
{
	static const char yaml[] =
	    "tenants:\n"
	    "  - id: acme\n"
	    "    domain: acme.example\n"
	    "    country: PL\n"
	    "    users:\n"
	    "      - {username: boss, password: pw, roles: [agent, supervisor, admin, qa]}\n"
	    "    queues: [{id: support}]\n"
	    "    numbers: [{number: \"200\", queue: support}]\n";

	log_setup(LOG_LEVEL_DEBUG, open("/dev/null", O_WRONLY | O_CLOEXEC));
	if (cfg_load_string("fuzz.yaml", yaml, &cfg) || cfg_error_count(cfg))
		abort();
	a = calloc(1, sizeof(*a));
	if (!a || mq_alloc(&a->c.cmds, 64))
		abort();
	a->c.cfg = cfg;
	a->c.rate_per_s = 1000000000;
	pthread_mutex_init(&a->lock, NULL);
	if (api__sessions_init(a) || api__events_init(a) || api__keys_load(a) ||
	    api__webhooks_start(a) ||
	    api__session_new(a, "acme", "boss",
			     API_ROLE_AGENT | API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA,
			     token))
		abort();
}

static enum api_method method_of(const char *m, size_t n)
{
	static const char *const names[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

	for (size_t i = 0; i < 5; i++)
		if (strlen(names[i]) == n && !memcmp(m, names[i], n))
			return (enum api_method)i;
	return M_OTHER;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[MQ_MSG_MAX];
	struct api_conn conn;
	const char *nl = memchr(data, '\n', size), *sp, *q;
	size_t head;

	if (!a)
		init();
	if (!nl)
		return 0;
	head = (size_t)(nl - (const char *)data);
	sp = memchr(data, ' ', head);
	if (!sp)
		return 0;
	memset(&conn, 0, sizeof(conn));
	conn.a = a;
	conn.method = method_of((const char *)data, (size_t)(sp - (const char *)data));
	sp++;
	q = memchr(sp, '?', (size_t)(nl - sp));
	if ((size_t)((q ? q : nl) - sp) >= sizeof(conn.path))
		return 0;
	memcpy(conn.path, sp, (size_t)((q ? q : nl) - sp));
	snprintf(conn.query, sizeof(conn.query), "token=%s%s%.*s", token, q ? "&" : "",
		 q ? (int)(nl - q - 1) : 0, q ? q + 1 : "");
	snprintf(conn.peer, sizeof(conn.peer), "127.0.0.1");
	conn.body_len = size - head - 1;
	conn.body = malloc(conn.body_len + 1);
	if (!conn.body)
		return 0;
	memcpy(conn.body, nl + 1, conn.body_len);
	conn.body[conn.body_len] = '\0';
	job_taken = false;

	api__route(&conn);

	/* Either answered now, or handed to the engine or a worker. */
	if (!conn.resp && !conn.req && !job_taken)
		abort();
	if (conn.resp)
		api__resp_free(conn.resp);
	while (mq_pop(a->c.cmds, buf) == sizeof(struct api_cmd)) {
		struct api_cmd *m = (struct api_cmd *)buf;
		json_decref(m->args);
		cfg_free(m->obj); /* as the engine does with every command it takes */
	}
	/* Nobody answers: let the pending slot go. */
	if (conn.req)
		a->pending[conn.req & (API_PENDING_MAX - 1)] = NULL;
	free(conn.body);
	return 0;
}
