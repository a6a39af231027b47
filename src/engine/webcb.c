/*
 * Web callbacks: a visitor of the company's website leaves a number and a time (the
 * public route POST /api/v1/public/callbacks, src/api/route.c); when the time comes the
 * callback enters the queue as a callback contact (channel `callback`): the agent who
 * takes it is rung first, then the customer, as for virtual hold (queue.c).
 *
 * The engine checks each request: the tenant takes web callbacks (`web_callback:`), the
 * queue is one it offers, the number is a number (E.164 by the tenant's country) that
 * the tenant's outbound rules allow, the time is not past and not further ahead than
 * `days_ahead`, an address asks at most `per_address_hour` times an hour, a number at
 * most `per_number_day` times a day and never twice while one is waiting. A request taken
 * is stored by the API (the store's web_callbacks, keyed by the id its interaction will
 * have) before the visitor is answered, and read back at start: one still to come after
 * a restart is kept, one whose interaction was written is done.
 *
 * The waiting ones are kept in time order (insertion into a sorted array: requests
 * come from people filling in a form); the engine's one-second tick starts those due.
 * The recent requests for the limits are two rings of fixed size per tenant.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/log.h"
#include "crm/crm.h"
#include "store/store.h"

#define HOUR_MS	 (3600 * 1000LL)
#define DAY_MS	 (24 * HOUR_MS)
#define RECENT	 1024	       /* requests remembered per tenant for the limits */
#define WAIT_MAX 10000	       /* callbacks waiting per tenant */
#define LATE_MS	 (60 * 1000LL) /* a time this far in the past is taken as "now" */
#define STALE_MS DAY_MS	       /* at start, ones due longer ago than this are dropped */

struct webcb {
	char id[CRM_ID_SIZE];
	char queue[64];
	char number[CRM_E164_SIZE];
	char lang[16];
	int64_t due_ms;
};

struct recent {
	char key[64]; /* an address or a number */
	int64_t at_ms;
};

struct eng_webcbs {
	struct webcb *v; /* by due_ms, earliest first */
	size_t n, cap;
	struct webcb *live; /* in the queue or in a call, until its interaction is written */
	size_t nlive, live_cap;
	struct recent by_addr[RECENT], by_number[RECENT];
	size_t addr_next, number_next;
};

static struct eng_webcbs *state(struct eng_tenant *t)
{
	if (!t->webcbs)
		t->webcbs = calloc(1, sizeof(*t->webcbs));
	return t->webcbs;
}

void eng__webcb_free(struct eng_tenant *t)
{
	if (!t->webcbs)
		return;
	free(t->webcbs->v);
	free(t->webcbs->live);
	free(t->webcbs);
	t->webcbs = NULL;
}

static size_t count_since(const struct recent *r, const char *key, int64_t since)
{
	size_t n = 0;

	for (size_t i = 0; i < RECENT; i++)
		if (r[i].at_ms > since && !strcmp(r[i].key, key))
			n++;
	return n;
}

static void remember(struct recent *r, size_t *next, const char *key, int64_t now)
{
	snprintf(r[*next].key, sizeof(r[*next].key), "%s", key);
	r[*next].at_ms = now;
	*next = (*next + 1) % RECENT;
}

/* A callback to `number` waits for its time, or is in the queue or a call. */
static bool waiting_for(const struct eng_webcbs *w, const char *number)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->v[i].number, number))
			return true;
	for (size_t i = 0; i < w->nlive; i++)
		if (!strcmp(w->live[i].number, number))
			return true;
	return false;
}

static int add_live(struct eng_webcbs *w, const struct webcb *cb)
{
	if (w->nlive == w->live_cap) {
		size_t cap = w->live_cap ? w->live_cap * 2 : 16;
		struct webcb *v = realloc(w->live, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		w->live = v;
		w->live_cap = cap;
	}
	w->live[w->nlive++] = *cb;
	return 0;
}

void eng__webcb_done(struct eng_tenant *t, const char *id)
{
	struct eng_webcbs *w = t->webcbs;

	for (size_t i = 0; w && i < w->nlive; i++)
		if (!strcmp(w->live[i].id, id)) {
			w->live[i] = w->live[--w->nlive];
			return;
		}
}

static int insert(struct eng_webcbs *w, const struct webcb *cb)
{
	size_t i;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct webcb *v = realloc(w->v, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	for (i = w->n; i > 0 && w->v[i - 1].due_ms > cb->due_ms; i--)
		;
	memmove(&w->v[i + 1], &w->v[i], (w->n - i) * sizeof(*w->v));
	w->v[i] = *cb;
	w->n++;
	return 0;
}

static bool queue_offered(const struct cfg_web_callback *wc, const char *queue)
{
	if (!wc->nqueues)
		return true;
	for (size_t i = 0; i < wc->nqueues; i++)
		if (!strcmp(wc->queues[i], queue))
			return true;
	return false;
}

static void reply_field(struct engine *e, const struct api_cmd *m, int status, const char *code,
			const char *msg, const char *field)
{
	api_reply(e->api, m->req, status,
		  json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", code, "message", msg, "field",
			    field));
}

void eng__webcb_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	const struct cfg_web_callback *wc = &t->ct->web_callback;
	const char *queue = json_string_value(json_object_get(m->args, "queue"));
	const char *raw = json_string_value(json_object_get(m->args, "number"));
	const char *name = json_string_value(json_object_get(m->args, "name"));
	const char *lang = json_string_value(json_object_get(m->args, "language"));
	const char *peer = json_string_value(json_object_get(m->args, "peer"));
	int64_t due = json_integer_value(json_object_get(m->args, "due_ms"));
	int64_t now = clock_wall_ms();
	struct eng_webcbs *w;
	struct webcb cb;
	json_t *body;
	char *text;

	if (!wc->enabled) {
		/* As for a tenant that does not exist: nothing tells them apart. */
		api_reply_error(e->api, m->req, 404, "not_found", "no such tenant");
		return;
	}
	if (!(w = state(t))) {
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	if (!queue || !queue_offered(wc, queue) || !eng__queue(e, t, queue)) {
		reply_field(e, m, 400, "invalid_field", "no such queue for callbacks", "queue");
		return;
	}
	memset(&cb, 0, sizeof(cb));
	if (!raw || crm_phone_e164(raw, t->ct->country, cb.number)) {
		reply_field(e, m, 400, "invalid_field",
			    "not a phone number (write it with its country code, e.g. +48 ...)",
			    "number");
		return;
	}
	if (eng__outbound_refusal(t->ct, cb.number)) {
		log_warn("engine",
			 "tenant=%s event=web_callback_refused reason=%s number=%s peer=%s",
			 t->ct->id, eng__outbound_refusal(t->ct, cb.number), cb.number,
			 peer ? peer : "-");
		reply_field(e, m, 400, "invalid_field", "this number cannot be called back",
			    "number");
		return;
	}
	if (!t->ct->ntrunks) {
		api_reply_error(e->api, m->req, 503, "unavailable", "callbacks are not available");
		return;
	}
	if (!due || (due < now && due >= now - LATE_MS))
		due = now;
	if (due < now) {
		reply_field(e, m, 400, "invalid_field", "the time has passed", "at");
		return;
	}
	if (due > now + wc->days_ahead * DAY_MS + LATE_MS) {
		reply_field(e, m, 400, "invalid_field", "the time is too far ahead", "at");
		return;
	}
	if (peer && count_since(w->by_addr, peer, now - HOUR_MS) >= (size_t)wc->per_address_hour) {
		log_warn("engine", "tenant=%s event=web_callback_refused reason=rate peer=%s",
			 t->ct->id, peer);
		api_reply_error(e->api, m->req, 429, "rate_limited",
				"too many requests; try again later");
		return;
	}
	if (waiting_for(w, cb.number)) {
		api_reply_error(e->api, m->req, 409, "already_requested",
				"a callback to this number is already waiting");
		return;
	}
	if (count_since(w->by_number, cb.number, now - DAY_MS) >= (size_t)wc->per_number_day) {
		log_warn("engine",
			 "tenant=%s event=web_callback_refused reason=number_rate number=%s",
			 t->ct->id, cb.number);
		api_reply_error(e->api, m->req, 429, "rate_limited",
				"too many callbacks to this number today");
		return;
	}
	if (w->n >= WAIT_MAX) {
		api_reply_error(e->api, m->req, 503, "busy", "too many callbacks waiting");
		return;
	}
	crm_id_new(cb.id);
	snprintf(cb.queue, sizeof(cb.queue), "%s", queue);
	if (lang)
		snprintf(cb.lang, sizeof(cb.lang), "%s", lang);
	cb.due_ms = due;
	body = json_pack("{s:s, s:s, s:s?, s:s?, s:I}", "queue", cb.queue, "number", cb.number,
			 "name", name, "language", lang, "due_ms", (json_int_t)due);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text || insert(w, &cb)) {
		free(text);
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	if (peer)
		remember(w->by_addr, &w->addr_next, peer, now);
	remember(w->by_number, &w->number_next, cb.number, now);
	log_info("engine", "tenant=%s event=web_callback_requested id=%s queue=%s due_ms=%lld",
		 t->ct->id, cb.id, cb.queue, (long long)due);
	/* Stored by the API's worker, then answered (JOB_OBJECT_SAVE). */
	api_reply_persist(e->api, m, 202,
			  json_pack("{s:s, s:s, s:s, s:I}", "id", cb.id, "queue", cb.queue,
				    "number", cb.number, "due_ms", (json_int_t)due),
			  "web_callbacks", cb.id, text);
	free(text);
}

static void start_due(struct engine *e, struct eng_tenant *t, int64_t now)
{
	struct eng_webcbs *w = t->webcbs;
	size_t k = 0;

	while (k < w->n && w->v[k].due_ms <= now) {
		const struct webcb *cb = &w->v[k++];
		struct eng_queue *q = eng__queue(e, t, cb->queue);
		int err;
		/* Known as live first: the ACD may offer it, and a failure end it, at once. */
		if (add_live(w, cb))
			log_warn("engine", "tenant=%s event=web_callback_untracked id=%s",
				 t->ct->id, cb->id);
		err = q ? eng__queue_web_callback(t, q, cb->id, cb->number, cb->lang) : ENOENT;
		if (err) {
			eng__webcb_done(t, cb->id);
			log_warn("engine",
				 "tenant=%s event=web_callback_failed id=%s queue=%s err=%s",
				 t->ct->id, cb->id, cb->queue, strerror(err));
		}
	}
	memmove(w->v, w->v + k, (w->n - k) * sizeof(*w->v));
	w->n -= k;
}

void eng__webcb_tick(struct engine *e)
{
	int64_t now = clock_wall_ms();

	if (e->draining)
		return; /* kept in the store: the next start rings them */
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		if (t->webcbs && t->webcbs->n && t->webcbs->v[0].due_ms <= now)
			start_due(e, t, now);
	}
}

struct load {
	struct engine *e;
	struct eng_tenant *t;
	size_t n;
};

static int load_one(void *arg, const char *id, const char *text)
{
	struct load *l = arg;
	json_t *b = json_loads(text, 0, NULL);
	const char *queue = json_string_value(json_object_get(b, "queue"));
	const char *number = json_string_value(json_object_get(b, "number"));
	const char *lang = json_string_value(json_object_get(b, "language"));
	struct eng_webcbs *w = state(l->t);
	struct webcb cb;

	memset(&cb, 0, sizeof(cb));
	if (!w || !queue || !number || strlen(id) >= sizeof(cb.id)) {
		log_warn("engine", "tenant=%s event=web_callback_not_loaded id=%s", l->t->ct->id,
			 id);
		json_decref(b);
		return 0;
	}
	snprintf(cb.id, sizeof(cb.id), "%s", id);
	snprintf(cb.queue, sizeof(cb.queue), "%s", queue);
	snprintf(cb.number, sizeof(cb.number), "%s", number);
	if (lang)
		snprintf(cb.lang, sizeof(cb.lang), "%s", lang);
	cb.due_ms = json_integer_value(json_object_get(b, "due_ms"));
	json_decref(b);
	if (!insert(w, &cb))
		l->n++;
	return 0;
}

void eng__webcb_load(struct engine *e)
{
	struct store_db *db = NULL;
	int64_t since = clock_wall_ms() - STALE_MS;

	for (size_t i = 0; i < e->ntenants; i++) {
		struct load l = {.e = e, .t = &e->tenants[i]};
		int err;
		if (!l.t->ct->web_callback.enabled)
			continue;
		if (!db && (!e->cfg->store || store_db_open(e->cfg->store, &db))) {
			log_warn("engine", "event=web_callbacks_not_loaded reason=store");
			return;
		}
		if ((err = store_db_web_callbacks_pending(db, l.t->ct->id, since, load_one, &l)))
			log_warn("engine", "tenant=%s event=web_callbacks_not_loaded err=%s",
				 l.t->ct->id, strerror(err));
		else if (l.n)
			log_info("engine", "tenant=%s event=web_callbacks_loaded count=%zu",
				 l.t->ct->id, l.n);
	}
	store_db_close(db);
}
