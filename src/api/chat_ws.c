/*
 * The web chat's public WebSocket, /api/v1/public/chat?tenant=ID: a visitor of the
 * company's website, without a login, starts a chat (a pre-chat form: name, email or
 * phone, topic = queue), writes, types, reads, closes, and comes back after a reload or a
 * network drop with the token this socket handed out. The chat itself is the engine's
 * (engine/chat.c): each visitor's message goes there as an API_OP_CHAT_VISITOR command,
 * and what the engine says to the visitor comes back through api_visitor_event() to the
 * socket that holds the token now.
 *
 * A public endpoint is abused: every frame is bounded (the tenant's chat.max_message,
 * plus room for JSON), a visitor sends at most chat.per_second messages a second (a
 * token bucket with a burst of twice that; typing marks count as a tenth), the chats open
 * from one address are bounded by the engine (chat.sessions_per_address), and a socket
 * that has not started nor resumed a chat within 60 s, or that misbehaves, is closed.
 * Nothing a visitor writes is interpreted here beyond its JSON: texts are passed on as
 * they are and the pages that show them show text, never markup.
 *
 * Visitors are found by a small hash of their tokens (tenant and token), on the service
 * thread only.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mq.h"
#include "crm/crm.h"
#include "store/store.h"

#define CHAT_BUCKETS	4096
#define CHAT_QUEUE_MAX	256   /* unsent messages before the socket is dropped */
#define CHAT_FRAME_XTRA 512   /* JSON around the largest text */
#define CHAT_IDLE_MS	60000 /* a socket with no chat this long is closed */

struct chat_out {
	struct chat_out *next;
	size_t len;
	unsigned char buf[]; /* LWS_PRE, then the text */
};

struct chat_client {
	struct lws *wsi;
	struct api *a;
	char tenant[40];
	char token[40]; /* "" until a chat is started or resumed */
	char peer[48];
	long max_message, per_second;
	double tokens;	  /* the rate bucket */
	uint64_t last_ms; /* its last refill */
	uint64_t opened_ms;
	bool dead, starting;
	struct chat_out *qhead, *qtail;
	unsigned qlen;
	struct chat_client *hnext; /* the token's bucket */
	char *in;
	size_t inlen, incap;
};

static struct chat_client *buckets[CHAT_BUCKETS];

static size_t bucket_of(const char *tenant, const char *token)
{
	uint32_t h = 2166136261u;

	for (const char *p = tenant; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = token; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % CHAT_BUCKETS;
}

static struct chat_client *find(const char *tenant, const char *token)
{
	for (struct chat_client *c = buckets[bucket_of(tenant, token)]; c; c = c->hnext)
		if (!strcmp(c->token, token) && !strcmp(c->tenant, tenant))
			return c;
	return NULL;
}

static void unhash(struct chat_client *c)
{
	struct chat_client **p;

	if (!c->token[0])
		return;
	for (p = &buckets[bucket_of(c->tenant, c->token)]; *p; p = &(*p)->hnext)
		if (*p == c) {
			*p = c->hnext;
			break;
		}
	c->hnext = NULL;
}

static void chat_kill(struct chat_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	lws_callback_on_writable(c->wsi);
}

static void push_text(struct chat_client *c, const char *text)
{
	size_t len = strlen(text);
	struct chat_out *o;

	if (c->dead)
		return;
	if (c->qlen >= CHAT_QUEUE_MAX || !(o = malloc(sizeof(*o) + LWS_PRE + len))) {
		log_warn("api", "tenant=%s event=chat_dropped reason=slow_reader", c->tenant);
		chat_kill(c);
		return;
	}
	o->next = NULL;
	o->len = len;
	memcpy(o->buf + LWS_PRE, text, len);
	if (c->qtail)
		c->qtail->next = o;
	else
		c->qhead = o;
	c->qtail = o;
	if (c->qlen++ == 0)
		lws_callback_on_writable(c->wsi);
}

static void push(struct chat_client *c, json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (text)
		push_text(c, text);
	free(text);
}

static void error(struct chat_client *c, const char *code, const char *message)
{
	push(c, json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", message));
}

/* A command to the engine about the visitor whose token is `token`. */
static int to_engine(struct api *a, const char *tenant, const char *token, json_t *args)
{
	struct api_cmd m;

	memset(&m, 0, sizeof(m));
	m.op = API_OP_CHAT_VISITOR;
	snprintf(m.tenant, sizeof(m.tenant), "%s", tenant);
	snprintf(m.target, sizeof(m.target), "%s", token);
	m.args = args;
	if (!a->c.cmds || mq_push(a->c.cmds, &m, sizeof(m))) {
		json_decref(args);
		return ENOBUFS;
	}
	return 0;
}

int api__chat_open(struct api_conn *conn)
{
	struct api *a = conn->a;
	const struct cfg *cfg = API_CFG(a);
	const struct cfg_tenant *t;
	struct chat_client *c;
	char tenant[40];

	if (!api__query(conn, "tenant", tenant, sizeof(tenant)) || !cfg ||
	    !(t = cfg_tenant_find(cfg, tenant)) || !t->chat.enabled)
		return ENOENT;
	if (atomic_load(&a->n_ws) >= (a->c.ws_max ? a->c.ws_max : 20000))
		return EBUSY;
	if (!(c = calloc(1, sizeof(*c))))
		return ENOMEM;
	c->wsi = conn->wsi;
	c->a = a;
	snprintf(c->tenant, sizeof(c->tenant), "%s", tenant);
	snprintf(c->peer, sizeof(c->peer), "%s", conn->peer);
	c->max_message = t->chat.max_message;
	c->per_second = t->chat.per_second;
	c->tokens = 2.0 * (double)c->per_second;
	c->last_ms = c->opened_ms = clock_mono_ms();
	conn->chat = c;
	atomic_fetch_add(&a->n_ws, 1);
	return 0;
}

void api__chat_close(struct api_conn *conn)
{
	struct chat_client *c = conn ? conn->chat : NULL;

	if (!c)
		return;
	if (c->token[0] && find(c->tenant, c->token) == c) {
		/* The visitor went away: the chat waits for a resume (chat.resume). */
		to_engine(c->a, c->tenant, c->token, json_pack("{s:s}", "kind", "gone"));
	}
	unhash(c);
	while (c->qhead) {
		struct chat_out *o = c->qhead;
		c->qhead = o->next;
		free(o);
	}
	free(c->in);
	atomic_fetch_sub(&c->a->n_ws, 1);
	free(c);
	conn->chat = NULL;
}

/* The socket now speaks for `token`; another socket that held it is closed (a second
 * tab, or the page before a reload whose socket is not closed yet). */
static void bind_token(struct chat_client *c, const char *token)
{
	struct chat_client *old = find(c->tenant, token);
	size_t b;

	if (old && old != c) {
		unhash(old);
		old->token[0] = '\0';
		push(old, json_pack("{s:s, s:s}", "type", "closed", "by", "elsewhere"));
		chat_kill(old);
	}
	unhash(c);
	/* A socket that holds a chat stays open however quiet (see api__chat_established). */
	lws_set_timeout(c->wsi, NO_PENDING_TIMEOUT, 0);
	snprintf(c->token, sizeof(c->token), "%s", token);
	b = bucket_of(c->tenant, c->token);
	c->hnext = buckets[b];
	buckets[b] = c;
}

static bool rate_ok(struct chat_client *c, double cost)
{
	uint64_t now = clock_mono_ms();
	double cap = 2.0 * (double)c->per_second;

	c->tokens += (double)(now - c->last_ms) * (double)c->per_second / 1000.0;
	if (c->tokens > cap)
		c->tokens = cap;
	c->last_ms = now;
	if (c->tokens < cost)
		return false;
	c->tokens -= cost;
	return true;
}

static const char *field(const json_t *j, const char *key, size_t max, bool *bad)
{
	const json_t *v = json_object_get(j, key);
	const char *s;

	if (!v || json_is_null(v))
		return NULL;
	if (!(s = json_string_value(v)) || strlen(s) > max) {
		*bad = true;
		return NULL;
	}
	return *s ? s : NULL;
}

static void start(struct chat_client *c, const json_t *j)
{
	const struct cfg *cfg = API_CFG(c->a);
	const struct cfg_tenant *t = cfg ? cfg_tenant_find(cfg, c->tenant) : NULL;
	bool bad = false;
	const char *queue = field(j, "topic", 63, &bad), *name = field(j, "name", 120, &bad),
		   *email = field(j, "email", 254, &bad), *phone = field(j, "phone", 40, &bad),
		   *lang = field(j, "language", 15, &bad);
	char e164[CRM_E164_SIZE] = "", tok[33];
	unsigned char rnd[16];
	struct api_job job;

	if (c->token[0] || c->starting) {
		error(c, "already_started", "this socket has a chat already");
		return;
	}
	if (bad || !name) {
		error(c, "invalid_field", "name: 1 to 120 characters");
		return;
	}
	if (!email && !phone) {
		error(c, "invalid_field", "an email address or a phone number is needed");
		return;
	}
	if (email && (!strchr(email, '@') || strchr(email, ' ') || strchr(email, '\n'))) {
		error(c, "invalid_field", "email: not an email address");
		return;
	}
	if (phone && crm_phone_e164(phone, t ? t->country : NULL, e164)) {
		error(c, "invalid_field", "phone: not a phone number");
		return;
	}
	if (!t || !queue || !cfg_chat_queue(t, queue)) {
		error(c, "unknown_queue", "topic: no chat with this queue");
		return;
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(tok, sizeof(tok), rnd, sizeof(rnd));
	bind_token(c, tok);
	c->starting = true;
	/* The CRM contact is looked up on a worker (no SQL on this thread), which then
	 * hands the start to the engine. */
	memset(&job, 0, sizeof(job));
	job.kind = JOB_CHAT_START;
	snprintf(job.tenant, sizeof(job.tenant), "%s", c->tenant);
	snprintf(job.target, sizeof(job.target), "%s", tok);
	job.args = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s}", "kind", "start", "queue",
			     queue, "name", name, "email", email, "phone", e164[0] ? e164 : NULL,
			     "language", lang, "peer", c->peer);
	if (!job.args) {
		error(c, "unavailable", "out of memory");
		return;
	}
	api__job_pending(c->a, &job);
	log_info("api", "tenant=%s event=chat_start queue=%s", c->tenant, queue);
}

static int contact_first(const struct crm_contact *ct, void *arg)
{
	struct crm_buf b = {0};
	json_t **out = arg;

	if (!crm_contact_json(ct, &b) && !b.err && b.p)
		*out = json_loads(b.p, 0, NULL);
	crm_buf_free(&b);
	return 1;
}

void api__chat_start_job(struct api *a, struct store_db *db, const struct api_job *j)
{
	const char *keys[] = {"email", "phone"};
	const enum store_contact_by by[] = {STORE_CONTACT_EMAIL, STORE_CONTACT_PHONE};
	/* The job's args stay the worker's (freed after the job): the engine gets a copy. */
	json_t *args = json_deep_copy(j->args), *contact = NULL;

	if (!args)
		return;
	for (size_t i = 0; db && i < 2 && !contact; i++) {
		const char *v = json_string_value(json_object_get(args, keys[i]));
		int err;
		if (!v)
			continue;
		err = store_db_contacts_search(db, j->tenant, by[i], v, NULL, 1, contact_first,
					       &contact);
		if (err && err != 1 && err != EINVAL)
			log_warn("api", "tenant=%s event=chat_contact_lookup_failed err=%s",
				 j->tenant, strerror(err));
	}
	json_object_set_new(args, "contact", contact ? contact : json_null());
	if (to_engine(a, j->tenant, j->target, args))
		log_warn("api", "tenant=%s event=chat_not_started reason=engine_busy", j->tenant);
}

void api__chat_established(struct api_conn *conn)
{
	/* A socket that has not started nor resumed a chat in this time is closed. */
	if (conn->chat)
		lws_set_timeout(conn->wsi, PENDING_TIMEOUT_USER_OK, CHAT_IDLE_MS / 1000);
}

static void rx_json(struct chat_client *c, json_t *j)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *token;

	if (!type) {
		error(c, "invalid_json", "a message is an object with a type");
		return;
	}
	if (!strcmp(type, "start")) {
		start(c, j);
		return;
	}
	if (!strcmp(type, "resume")) {
		token = json_string_value(json_object_get(j, "token"));
		if (!token || strlen(token) != 32 || strspn(token, "0123456789abcdef") != 32) {
			error(c, "unknown_chat", "this chat is over or unknown");
			return;
		}
		bind_token(c, token);
		to_engine(c->a, c->tenant, c->token, json_pack("{s:s}", "kind", "resume"));
		return;
	}
	if (!strcmp(type, "ping")) {
		push(c, json_pack("{s:s}", "type", "pong"));
		return;
	}
	if (!strcmp(type, "transcript")) {
		/* After the end (the page keeps the token it had): the engine sends the
		 * transcript to the address given at the start, once. */
		token = json_string_value(json_object_get(j, "token"));
		if (!token || strlen(token) != 32 || strspn(token, "0123456789abcdef") != 32) {
			error(c, "unknown_chat", "this chat is over or unknown");
			return;
		}
		if (!rate_ok(c, 1.0)) {
			error(c, "rate_limited", "too many messages, slow down");
			return;
		}
		bind_token(c, token);
		to_engine(c->a, c->tenant, c->token, json_pack("{s:s}", "kind", "transcript"));
		return;
	}
	if (!c->token[0]) {
		error(c, "no_chat", "start or resume a chat first");
		return;
	}
	if (!strcmp(type, "message")) {
		const char *text = json_string_value(json_object_get(j, "text"));
		const char *cid = json_string_value(json_object_get(j, "cid"));
		if (!text || !*text || strlen(text) > (size_t)c->max_message) {
			error(c, "too_large", "text: 1 byte to chat.max_message bytes");
			return;
		}
		if (!rate_ok(c, 1.0)) {
			error(c, "rate_limited", "too many messages, slow down");
			return;
		}
		to_engine(c->a, c->tenant, c->token,
			  json_pack("{s:s, s:s, s:s?}", "kind", "message", "text", text, "cid",
				    cid && strlen(cid) <= 40 ? cid : NULL));
	} else if (!strcmp(type, "typing")) {
		if (rate_ok(c, 0.1))
			to_engine(c->a, c->tenant, c->token,
				  json_pack("{s:s, s:b}", "kind", "typing", "on",
					    json_is_true(json_object_get(j, "on"))));
	} else if (!strcmp(type, "read")) {
		if (rate_ok(c, 0.1))
			to_engine(c->a, c->tenant, c->token,
				  json_pack("{s:s, s:I}", "kind", "read", "seq",
					    json_integer_value(json_object_get(j, "seq"))));
	} else if (!strcmp(type, "close")) {
		to_engine(c->a, c->tenant, c->token, json_pack("{s:s}", "kind", "close"));
	} else {
		error(c, "unknown_type", "unknown message type");
	}
}

void api__chat_rx(struct api_conn *conn, const void *in, size_t len, bool final)
{
	struct chat_client *c = conn->chat;
	size_t max;
	json_error_t e;
	json_t *j;

	if (!c || c->dead)
		return;
	max = (size_t)c->max_message * 6 + CHAT_FRAME_XTRA; /* \uXXXX escapes at worst */
	if (c->inlen + len > max) {
		c->inlen = 0;
		error(c, "too_large", "message too large");
		chat_kill(c);
		return;
	}
	if (c->inlen + len > c->incap) {
		size_t cap = c->inlen + len + 256;
		char *p = realloc(c->in, cap);
		if (!p) {
			chat_kill(c);
			return;
		}
		c->in = p;
		c->incap = cap;
	}
	/* An empty frame (legal in WebSocket) may come before any buffer exists. */
	if (len)
		memcpy(c->in + c->inlen, in, len);
	c->inlen += len;
	if (!final)
		return;
	j = json_loadb(c->in, c->inlen, 0, &e);
	c->inlen = 0;
	if (!json_is_object(j))
		error(c, "invalid_json", "expected a JSON object");
	else
		rx_json(c, j);
	json_decref(j);
}

int api__chat_writable(struct api_conn *conn)
{
	struct chat_client *c = conn->chat;
	struct chat_out *o;

	if (!c)
		return 0;
	if ((o = c->qhead)) {
		c->qhead = o->next;
		if (!c->qhead)
			c->qtail = NULL;
		c->qlen--;
		if (lws_write(conn->wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT) < (int)o->len) {
			free(o);
			return -1;
		}
		free(o);
	}
	if (c->qhead) {
		lws_callback_on_writable(conn->wsi);
		return 0;
	}
	/* What was queued before the end is written first. */
	return c->dead ? -1 : 0;
}

void api__chat_deliver(struct api *a, const char *tenant, const char *token, json_t *msg)
{
	struct chat_client *c = find(tenant, token);
	const char *type = json_string_value(json_object_get(msg, "type"));

	(void)a;
	if (!c) {
		json_decref(msg);
		return;
	}
	if (type && (!strcmp(type, "started") || !strcmp(type, "history")))
		c->starting = false;
	if (type && !strcmp(type, "error") && c->starting) {
		/* The start was refused: the token was never the engine's. */
		c->starting = false;
		unhash(c);
		c->token[0] = '\0';
	}
	if (type && !strcmp(type, "error") &&
	    !strcmp(json_string_value(json_object_get(msg, "code"))
			? json_string_value(json_object_get(msg, "code"))
			: "",
		    "unknown_chat")) {
		unhash(c);
		c->token[0] = '\0';
	}
	if (type && !strcmp(type, "transcript") &&
	    strcmp(json_string_value(json_object_get(msg, "state"))
		       ? json_string_value(json_object_get(msg, "state"))
		       : "",
		   "sending")) {
		/* The socket spoke for a chat that is over only to ask for this. */
		unhash(c);
		c->token[0] = '\0';
	}
	push(c, msg);
	if (type && !strcmp(type, "closed")) {
		unhash(c);
		c->token[0] = '\0';
	}
}
