/*
 * Webhooks: the table of every tenant's webhooks (those of the configuration file and
 * those made through the API) and the thread that delivers events to them.
 *
 * The service thread offers each numbered event (api__webhooks_offer); every webhook of
 * the tenant whose filter takes the event's type gets a delivery, queued in an inbox.
 * The delivery thread, with its own store connection and libcurl's multi interface,
 * writes each new delivery to the store as pending before the first attempt, then POSTs
 * the event's JSON signed with the webhook's secret:
 *
 *   X-Centrala-Timestamp: UNIX seconds
 *   X-Centrala-Signature: sha256=HEX(HMAC-SHA256(secret, "TIMESTAMP.BODY"))
 *
 * A 2xx answer delivers it; anything else is retried after 1 s, 2 s, 4 s, ... at most
 * 10 min apart, and given up 24 h after the event. Every outcome is written back, so the
 * rows are the delivery log, and pending deliveries are read again at start: a restart
 * loses none. Pending deliveries wait in memory (the store is the record, never polled).
 *
 * Attempts run side by side, bounded: at most http.webhooks.per_target in flight to one
 * webhook, per_tenant for one tenant, FLIGHT_MAX in all. A due delivery waits in its
 * webhook's queue (struct target) until the bounds let it go, so a receiver that hangs
 * holds back its own deliveries, never another webhook's or another tenant's. Each
 * attempt is bounded by a 5 s connect and 10 s total timeout, and aborted at shutdown.
 * Neither the service thread nor the engine ever waits on a receiver.
 *
 * Before each connection, the address it goes to is checked (connect_socket): unless
 * http.webhooks.allow_private, a loopback, link-local or private address is refused and
 * the delivery fails at once (config_webhook.c says why).
 *
 * `lock` protects the webhook table, the inbox, `stop` and the per-tenant figures;
 * nobody holds it across I/O.
 */
#include "api/api_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "crm/crm.h"
#include "store/store.h"

#define INBOX_MAX   100000 /* deliveries waiting for their first write */
#define PENDING_MAX 100000 /* deliveries waiting for a retry, in memory */
#define FLIGHT_MAX  64	   /* attempts in flight in all */
#define DEF(v, d)   ((v) ? (v) : (d))
#define BACKOFF_MIN 1000
#define BACKOFF_MAX (600 * 1000)

/* ---- the pure parts ---- */

void api__webhook_sign(const char *secret, int64_t ts, const char *body, size_t len,
		       char out[API_WEBHOOK_SIG_SIZE])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char t[24];
	int n = snprintf(t, sizeof(t), "%" PRId64 ".", ts);

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, (unsigned long long)n);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, API_WEBHOOK_SIG_SIZE - 7, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
}

int64_t api__webhook_backoff_ms(unsigned attempts)
{
	int64_t ms = BACKOFF_MIN;

	for (unsigned i = 1; i < attempts && ms < BACKOFF_MAX; i++)
		ms *= 2;
	return ms < BACKOFF_MAX ? ms : BACKOFF_MAX;
}

bool api__webhook_next(int64_t created_ms, int64_t now_ms, unsigned attempts, int64_t *next_ms)
{
	int64_t at = now_ms + api__webhook_backoff_ms(attempts);

	if (at - created_ms >= API_WEBHOOK_GIVE_UP_MS)
		return false;
	*next_ms = at;
	return true;
}

/* ---- the table ---- */

struct hook {
	char id[64];
	char *url;
	char **events;
	size_t nevents;
	bool all; /* "*" */
	char *secret;
	bool from_file;
	int64_t created_ms, updated_ms;
	/* Which webhook this is: kept when it is replaced, new when one is made again with a
	 * deleted one's id, whose pending deliveries must not go to it. */
	uint64_t gen;
	struct hook *next;
};

struct hook_tenant {
	char id[40];
	struct hook *hooks;
	/* For /metrics (api_webhook_metrics): deliveries not finished (queued, waiting
	 * for a retry or in flight), those in flight, and outcomes since start. */
	size_t depth;
	unsigned in_flight;
	uint64_t delivered, failed, retried;
	struct hook_tenant *next;
};

/* One event for one webhook. */
struct delivery {
	char id[CRM_ID_SIZE];
	char tenant[40];
	char hook[64];
	uint64_t gen; /* the hook's */
	uint64_t seq;
	char type[32];
	char *body;
	size_t len;
	unsigned attempts;
	int64_t created_ms, next_ms;
	bool stored;	/* its pending row is in the store */
	uint64_t order; /* ties of next_ms go in the order the events came */
	struct delivery *next;
};

/* One webhook's due deliveries, in order, and its attempts in flight (delivery thread). */
struct target {
	char tenant[40];
	char hook[64];
	unsigned in_flight;
	struct delivery *head, *tail;
	struct target *next;
};

/* One attempt in flight. */
struct flight {
	CURL *easy;
	struct curl_slist *hd;
	struct delivery *d;
	struct target *t;
	bool refused; /* connect_socket refused the address */
	char ebuf[CURL_ERROR_SIZE];
};

struct api_hooks {
	struct api *a;
	pthread_mutex_t lock;
	struct hook_tenant *tenants;
	uint64_t next_gen;
	struct delivery *in_head, *in_tail;
	size_t in_len;
	bool stop;
	atomic_int aborting; /* read by libcurl's progress callback */
	pthread_t thread;
	bool started, curl_init;
	CURLM *multi; /* curl_multi_wakeup from other threads wakes the delivery thread */
	/* Delivery thread only. */
	struct store_db *db;
	struct target *targets;
	struct flight flights[FLIGHT_MAX];
	unsigned nflight;
	struct delivery **heap; /* waiting for their time, a binary min-heap on (next_ms, order) */
	size_t npend, cap;
	uint64_t next_order;
	uint64_t dropped;
};

static void hook_free(struct hook *h)
{
	if (!h)
		return;
	free(h->url);
	for (size_t i = 0; i < h->nevents; i++)
		free(h->events[i]);
	free(h->events);
	if (h->secret) {
		sodium_memzero(h->secret, strlen(h->secret));
		free(h->secret);
	}
	free(h);
}

static void delivery_free(struct delivery *d)
{
	if (d) {
		free(d->body);
		free(d);
	}
}

static struct hook_tenant *tenant_of(struct api_hooks *w, const char *tenant, bool create)
{
	struct hook_tenant *t;

	for (t = w->tenants; t; t = t->next)
		if (!strcmp(t->id, tenant))
			return t;
	if (!create || !(t = calloc(1, sizeof(*t))))
		return NULL;
	snprintf(t->id, sizeof(t->id), "%s", tenant);
	t->next = w->tenants;
	w->tenants = t;
	return t;
}

static struct hook *hook_of(struct api_hooks *w, const char *tenant, const char *id)
{
	struct hook_tenant *t = tenant_of(w, tenant, false);

	for (struct hook *h = t ? t->hooks : NULL; h; h = h->next)
		if (!strcmp(h->id, id))
			return h;
	return NULL;
}

static bool hook_takes(const struct hook *h, const char *type)
{
	if (h->all)
		return true;
	for (size_t i = 0; i < h->nevents; i++)
		if (!strcmp(h->events[i], type))
			return true;
	return false;
}

/* A hook from strings; NULL on ENOMEM. */
static struct hook *hook_make(const char *id, const char *url, const char *const *events,
			      size_t nevents, const char *secret)
{
	struct hook *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	snprintf(h->id, sizeof(h->id), "%s", id);
	h->url = strdup(url);
	h->secret = strdup(secret);
	h->events = calloc(nevents ? nevents : 1, sizeof(char *));
	if (!h->url || !h->secret || !h->events) {
		hook_free(h);
		return NULL;
	}
	for (size_t i = 0; i < nevents; i++) {
		if (!(h->events[i] = strdup(events[i]))) {
			hook_free(h);
			return NULL;
		}
		h->nevents++;
		if (!strcmp(events[i], "*"))
			h->all = true;
	}
	return h;
}

/* Puts h in the tenant's list, replacing one with its id. Called with the lock held. */
static int hook_put(struct api_hooks *w, const char *tenant, struct hook *h)
{
	struct hook_tenant *t = tenant_of(w, tenant, true);
	struct hook **pp;

	if (!t)
		return ENOMEM;
	for (pp = &t->hooks; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->id, h->id)) {
			struct hook *old = *pp;
			h->gen = old->gen;
			h->next = old->next;
			*pp = h;
			hook_free(old);
			return 0;
		}
	h->gen = ++w->next_gen;
	*pp = h; /* at the end: listed in the order made */
	return 0;
}

static json_t *hook_json(const struct hook *h)
{
	json_t *ev = json_array();
	char c[32], u[32];

	for (size_t i = 0; i < h->nevents; i++)
		json_array_append_new(ev, json_string(h->events[i]));
	return json_pack("{s:s, s:s, s:o, s:s, s:s?, s:s?}", "id", h->id, "url", h->url, "events",
			 ev, "source", h->from_file ? "file" : "api", "created",
			 h->created_ms ? clock_iso8601(h->created_ms, c, sizeof(c)) : NULL,
			 "updated",
			 h->updated_ms ? clock_iso8601(h->updated_ms, u, sizeof(u)) : NULL);
}

json_t *api__webhook_json(struct api *a, const char *tenant, const char *id, bool *from_file)
{
	struct api_hooks *w = a->hooks;
	struct hook *h;
	json_t *j = NULL;

	pthread_mutex_lock(&w->lock);
	if ((h = hook_of(w, tenant, id))) {
		j = hook_json(h);
		if (from_file)
			*from_file = h->from_file;
	}
	pthread_mutex_unlock(&w->lock);
	return j;
}

json_t *api__webhooks_json(struct api *a, const char *tenant)
{
	struct api_hooks *w = a->hooks;
	struct hook_tenant *t;
	json_t *items = json_array();

	pthread_mutex_lock(&w->lock);
	if ((t = tenant_of(w, tenant, false)))
		for (struct hook *h = t->hooks; h; h = h->next)
			json_array_append_new(items, hook_json(h));
	pthread_mutex_unlock(&w->lock);
	return items;
}

int api__webhook_set(struct api *a, const char *tenant, const char *id, const char *url,
		     json_t *events, const char *secret, int64_t created_ms, int64_t updated_ms)
{
	struct api_hooks *w = a->hooks;
	const char *ev[64];
	size_t n = 0, i;
	json_t *v;
	struct hook *h, *old;
	int err;

	json_array_foreach(events, i, v)
	{
		if (n < sizeof(ev) / sizeof(ev[0]) && json_string_value(v))
			ev[n++] = json_string_value(v);
	}
	pthread_mutex_lock(&w->lock);
	old = hook_of(w, tenant, id);
	/* An update without a secret keeps the one it had. */
	if (!secret && old)
		secret = old->secret;
	h = secret ? hook_make(id, url, ev, n, secret) : NULL;
	if (!h) {
		pthread_mutex_unlock(&w->lock);
		return secret ? ENOMEM : EINVAL;
	}
	h->created_ms = old && !created_ms ? old->created_ms : created_ms;
	h->updated_ms = updated_ms;
	err = hook_put(w, tenant, h);
	pthread_mutex_unlock(&w->lock);
	if (err)
		hook_free(h);
	return err;
}

void api__webhook_remove(struct api *a, const char *tenant, const char *id)
{
	struct api_hooks *w = a->hooks;
	struct hook_tenant *t;

	pthread_mutex_lock(&w->lock);
	if ((t = tenant_of(w, tenant, false)))
		for (struct hook **pp = &t->hooks; *pp; pp = &(*pp)->next)
			if (!strcmp((*pp)->id, id)) {
				struct hook *h = *pp;
				*pp = h->next;
				hook_free(h);
				break;
			}
	pthread_mutex_unlock(&w->lock);
}

static bool same_hook(const struct hook *h, const struct cfg_webhook *cw)
{
	if (!h->from_file || strcmp(h->url, cw->url) || strcmp(h->secret, cw->secret) ||
	    h->nevents != cw->nevents)
		return false;
	for (size_t i = 0; i < cw->nevents; i++)
		if (strcmp(h->events[i], cw->events[i]))
			return false;
	return true;
}

static bool file_lists(const struct cfg_tenant *ct, const char *id)
{
	for (size_t k = 0; ct && k < ct->nwebhooks; k++)
		if (ct->webhooks[k].id && !strcmp(ct->webhooks[k].id, id))
			return true;
	return false;
}

void api_webhooks_reload(struct api *a, const struct cfg *cfg)
{
	struct api_hooks *w = a->hooks;
	unsigned added = 0, changed = 0, removed = 0;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	/* The file's webhooks it no longer lists, and those of tenants it dropped. */
	for (struct hook_tenant *t = w->tenants; t; t = t->next) {
		const struct cfg_tenant *ct = cfg_tenant_find(cfg, t->id);
		for (struct hook **pp = &t->hooks; *pp;) {
			struct hook *h = *pp;
			if (!h->from_file || file_lists(ct, h->id)) {
				pp = &h->next;
				continue;
			}
			*pp = h->next;
			hook_free(h);
			removed++;
		}
	}
	for (size_t i = 0; i < cfg->ntenants; i++) {
		const struct cfg_tenant *ct = &cfg->tenants[i];
		for (size_t k = 0; ct->id && k < ct->nwebhooks; k++) {
			const struct cfg_webhook *cw = &ct->webhooks[k];
			struct hook *old, *h;
			if (!cw->id || !cw->url || !cw->secret)
				continue;
			old = hook_of(w, ct->id, cw->id);
			if (old && same_hook(old, cw))
				continue;
			h = hook_make(cw->id, cw->url, (const char *const *)cw->events, cw->nevents,
				      cw->secret);
			if (!h || hook_put(w, ct->id, h)) {
				hook_free(h);
				log_error("api",
					  "tenant=%s event=webhook_not_applied webhook=%s "
					  "err=%s",
					  ct->id, cw->id, strerror(ENOMEM));
				continue;
			}
			h->from_file = true;
			if (old)
				changed++;
			else
				added++;
		}
	}
	pthread_mutex_unlock(&w->lock);
	log_info("api", "event=webhooks_reloaded added=%u changed=%u removed=%u", added, changed,
		 removed);
}

void api__webhooks_offer(struct api *a, const char *tenant, uint64_t seq, const char *type,
			 const char *text, size_t len)
{
	struct api_hooks *w = a->hooks;
	struct hook_tenant *t;
	bool any = false, was_empty;
	int64_t now = clock_wall_ms();

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	was_empty = !w->in_head;
	t = tenant_of(w, tenant, false);
	for (struct hook *h = t ? t->hooks : NULL; h; h = h->next) {
		struct delivery *d = NULL;
		if (!hook_takes(h, type))
			continue;
		if (w->in_len >= INBOX_MAX || !(d = calloc(1, sizeof(*d))) ||
		    !(d->body = malloc(len + 1))) {
			if (w->in_len < INBOX_MAX)
				free(d);
			w->dropped++;
			log_error("api",
				  "tenant=%s event=webhook_dropped webhook=%s seq=%" PRIu64
				  " reason=inbox_full",
				  tenant, h->id, seq);
			continue;
		}
		memcpy(d->body, text, len);
		d->body[len] = '\0';
		d->len = len;
		snprintf(d->tenant, sizeof(d->tenant), "%s", tenant);
		snprintf(d->hook, sizeof(d->hook), "%s", h->id);
		d->gen = h->gen;
		snprintf(d->type, sizeof(d->type), "%s", type);
		d->seq = seq;
		d->created_ms = d->next_ms = now;
		if (w->in_tail)
			w->in_tail->next = d;
		else
			w->in_head = d;
		w->in_tail = d;
		w->in_len++;
		t->depth++;
		any = true;
	}
	pthread_mutex_unlock(&w->lock);
	/* Once per batch: the delivery thread takes the whole inbox when it wakes. */
	if (any && was_empty)
		curl_multi_wakeup(w->multi);
}

/* ---- the delivery thread ---- */

static bool before(const struct delivery *x, const struct delivery *y)
{
	return x->next_ms < y->next_ms || (x->next_ms == y->next_ms && x->order < y->order);
}

static void heap_up(struct api_hooks *w, size_t i)
{
	while (i && before(w->heap[i], w->heap[(i - 1) / 2])) {
		struct delivery *t = w->heap[i];
		w->heap[i] = w->heap[(i - 1) / 2];
		w->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void heap_down(struct api_hooks *w, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct delivery *t;
		if (l < w->npend && before(w->heap[l], w->heap[m]))
			m = l;
		if (r < w->npend && before(w->heap[r], w->heap[m]))
			m = r;
		if (m == i)
			return;
		t = w->heap[i];
		w->heap[i] = w->heap[m];
		w->heap[m] = t;
		i = m;
	}
}

static struct delivery *heap_pop(struct api_hooks *w)
{
	struct delivery *d = w->heap[0];

	w->heap[0] = w->heap[--w->npend];
	heap_down(w, 0);
	return d;
}

enum outcome { OUT_DELIVERED, OUT_FAILED, OUT_RETRY };

/* Counts an outcome for /metrics; a delivery that is over (delivered or failed) is
 * freed. */
static void finished(struct api_hooks *w, struct delivery *d, enum outcome o)
{
	struct hook_tenant *t;

	pthread_mutex_lock(&w->lock);
	if ((t = tenant_of(w, d->tenant, true))) {
		if (o == OUT_DELIVERED)
			t->delivered++;
		else if (o == OUT_FAILED)
			t->failed++;
		else if (o == OUT_RETRY)
			t->retried++;
		if ((o == OUT_DELIVERED || o == OUT_FAILED) && t->depth)
			t->depth--;
	}
	pthread_mutex_unlock(&w->lock);
	if (o == OUT_DELIVERED || o == OUT_FAILED)
		delivery_free(d);
}

/* Adds a pending delivery: O(log n). A retried one keeps its order. */
static void pend_add(struct api_hooks *w, struct delivery *d)
{
	if (w->npend == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct delivery **h = NULL;
		if (w->npend >= PENDING_MAX || !(h = realloc(w->heap, cap * sizeof(*h)))) {
			log_error("api",
				  "tenant=%s event=webhook_dropped webhook=%s delivery=%s "
				  "reason=too_many_pending",
				  d->tenant, d->hook, d->id);
			finished(w, d, OUT_FAILED);
			return;
		}
		w->heap = h;
		w->cap = cap;
	}
	if (!d->order)
		d->order = ++w->next_order;
	w->heap[w->npend++] = d;
	heap_up(w, w->npend - 1);
}

static bool db_ready(struct api_hooks *w)
{
	if (w->db)
		return true;
	if (!w->a->c.store_url || store_db_open(w->a->c.store_url, &w->db)) {
		w->db = NULL;
		return false;
	}
	return true;
}

/* A store error closes the connection; the next use opens a new one. */
static void db_failed(struct api_hooks *w, const char *what, int err)
{
	log_error("api", "event=webhook_store_error op=%s err=%s msg=\"%s\"", what, strerror(err),
		  w->db ? store_db_errmsg(w->db) : "");
	store_db_close(w->db);
	w->db = NULL;
}

static void store_new(struct api_hooks *w, struct delivery *d)
{
	struct store_delivery sd;
	int err;

	if (d->stored || !db_ready(w))
		return;
	memset(&sd, 0, sizeof(sd));
	sd.tenant = d->tenant;
	sd.id = d->id;
	sd.webhook = d->hook;
	sd.event_seq = d->seq;
	sd.event_type = d->type;
	sd.body = d->body;
	sd.created_ms = d->created_ms;
	if ((err = store_db_delivery_insert(w->db, &sd)))
		db_failed(w, "insert", err);
	else
		d->stored = true;
}

static void store_outcome(struct api_hooks *w, struct delivery *d, const char *state, int status,
			  const char *error)
{
	struct store_delivery sd;
	int err;

	store_new(w, d); /* a delivery whose first write failed */
	if (!d->stored)
		return;
	memset(&sd, 0, sizeof(sd));
	sd.tenant = d->tenant;
	sd.id = d->id;
	sd.state = state;
	sd.attempts = d->attempts;
	sd.next_ms = d->next_ms;
	sd.last_status = status;
	sd.last_error = error;
	if ((err = store_db_delivery_update(w->db, &sd)))
		db_failed(w, "update", err);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct api_hooks *w = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load(&w->aborting) ? 1 : 0;
}

/* libcurl asks for a socket to connect to `addr`: refused (CURL_SOCKET_BAD, and the
 * flight marked) when the address is one webhooks may not reach. Checked here, at the
 * address really used, so that no name, redirect or resolver answer gets around it.
 * Installed only when http.webhooks.allow_private is off. */
static curl_socket_t check_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct flight *f = arg;

	(void)purpose;
	if (cfg_addr_private(&addr->addr)) {
		f->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* In-flight counts of the tenant for /metrics. */
static void tenant_flight(struct api_hooks *w, const char *tenant, int delta)
{
	struct hook_tenant *t;

	pthread_mutex_lock(&w->lock);
	if ((t = tenant_of(w, tenant, true)))
		t->in_flight = (unsigned)((int)t->in_flight + delta);
	pthread_mutex_unlock(&w->lock);
}

static struct target *target_of(struct api_hooks *w, const struct delivery *d)
{
	struct target *t;

	for (t = w->targets; t; t = t->next)
		if (!strcmp(t->hook, d->hook) && !strcmp(t->tenant, d->tenant))
			return t;
	if (!(t = calloc(1, sizeof(*t))))
		return NULL;
	snprintf(t->tenant, sizeof(t->tenant), "%s", d->tenant);
	snprintf(t->hook, sizeof(t->hook), "%s", d->hook);
	t->next = w->targets;
	w->targets = t;
	return t;
}

static unsigned tenant_in_flight(struct api_hooks *w, const char *tenant)
{
	unsigned n = 0;

	for (struct target *t = w->targets; t; t = t->next)
		if (!strcmp(t->tenant, tenant))
			n += t->in_flight;
	return n;
}

/* Starts an attempt of d (its target's head) in flight slot f. Returns false when d is
 * over without one (its webhook gone, or no memory: then it waits a second). */
static bool flight_start(struct api_hooks *w, struct flight *f, struct target *t,
			 struct delivery *d)
{
	const struct cfg *cfg = API_CFG(w->a);
	struct hook *h;
	char line[160], sig[API_WEBHOOK_SIG_SIZE], *url = NULL;
	int64_t ts = clock_wall_ms() / 1000;
	bool private_ok = cfg && cfg->http_webhooks.allow_private;

	pthread_mutex_lock(&w->lock);
	if ((h = hook_of(w, d->tenant, d->hook)) && h->gen != d->gen)
		h = NULL;
	if (h && (url = strdup(h->url)))
		api__webhook_sign(h->secret, ts, d->body, d->len, sig);
	pthread_mutex_unlock(&w->lock);
	if (!h) {
		log_warn("api",
			 "tenant=%s event=webhook_dropped webhook=%s delivery=%s "
			 "reason=webhook_deleted",
			 d->tenant, d->hook, d->id);
		store_outcome(w, d, "failed", 0, "the webhook was deleted");
		finished(w, d, OUT_FAILED);
		return false;
	}
	memset(f, 0, sizeof(*f));
	if (!url || !(f->easy = curl_easy_init())) {
		free(url);
		d->next_ms = clock_wall_ms() + BACKOFF_MIN;
		pend_add(w, d);
		return false;
	}
	f->d = d;
	f->t = t;
	f->hd = curl_slist_append(f->hd, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Centrala-Timestamp: %" PRId64, ts);
	f->hd = curl_slist_append(f->hd, line);
	snprintf(line, sizeof(line), "X-Centrala-Signature: %s", sig);
	f->hd = curl_slist_append(f->hd, line);
	snprintf(line, sizeof(line), "X-Centrala-Event: %s", d->type);
	f->hd = curl_slist_append(f->hd, line);
	snprintf(line, sizeof(line), "X-Centrala-Delivery: %s", d->id);
	f->hd = curl_slist_append(f->hd, line);
	f->hd = curl_slist_append(f->hd, "Expect:");
	sodium_memzero(sig, sizeof(sig));
	curl_easy_setopt(f->easy, CURLOPT_URL, url);
	curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(f->easy, CURLOPT_USERAGENT, "centrala/" CENTRALA_VERSION);
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->hd);
	curl_easy_setopt(f->easy, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(f->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->ebuf);
	curl_easy_setopt(f->easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(f->easy, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(f->easy, CURLOPT_XFERINFODATA, w);
	curl_easy_setopt(f->easy, CURLOPT_PRIVATE, f);
	if (!private_ok) {
		curl_easy_setopt(f->easy, CURLOPT_OPENSOCKETFUNCTION, check_socket);
		curl_easy_setopt(f->easy, CURLOPT_OPENSOCKETDATA, f);
	}
	free(url);
	curl_multi_add_handle(w->multi, f->easy);
	t->in_flight++;
	w->nflight++;
	tenant_flight(w, d->tenant, 1);
	return true;
}

/* An attempt is over with libcurl's result rc: the delivery is delivered, failed or
 * waits for its next attempt (back in the heap). */
static void flight_done(struct api_hooks *w, struct flight *f, CURLcode rc)
{
	struct delivery *d = f->d;
	char err[CURL_ERROR_SIZE + 64] = "";
	long status = 0;
	int64_t now = clock_wall_ms();
	bool aborted = atomic_load(&w->aborting);

	curl_multi_remove_handle(w->multi, f->easy);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299)
			snprintf(err, sizeof(err), "HTTP status %ld", status);
	} else if (f->refused) {
		snprintf(err, sizeof(err),
			 "refused: the target's address is loopback, link-local or private "
			 "(http.webhooks.allow_private)");
	} else {
		snprintf(err, sizeof(err), "%s", f->ebuf[0] ? f->ebuf : curl_easy_strerror(rc));
	}
	curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->hd);
	f->t->in_flight--;
	w->nflight--;
	tenant_flight(w, d->tenant, -1);
	f->easy = NULL;
	f->hd = NULL;
	f->d = NULL;
	if (aborted && !(status >= 200 && status <= 299)) {
		/* Shutting down: this attempt does not count; the row stays pending. */
		delivery_free(d);
		return;
	}
	d->attempts++;
	if (status >= 200 && status <= 299) {
		log_info("api",
			 "tenant=%s event=webhook_delivered webhook=%s delivery=%s seq=%" PRIu64
			 " type=%s status=%ld attempts=%u",
			 d->tenant, d->hook, d->id, d->seq, d->type, status, d->attempts);
		d->next_ms = now;
		store_outcome(w, d, "delivered", (int)status, NULL);
		finished(w, d, OUT_DELIVERED);
		return;
	}
	if (f->refused || !api__webhook_next(d->created_ms, now, d->attempts, &d->next_ms)) {
		log_warn("api",
			 "tenant=%s event=%s webhook=%s delivery=%s seq=%" PRIu64
			 " attempts=%u status=%ld error=\"%s\"",
			 d->tenant, f->refused ? "webhook_refused" : "webhook_given_up", d->hook,
			 d->id, d->seq, d->attempts, status, err);
		store_outcome(w, d, "failed", (int)status, err);
		finished(w, d, OUT_FAILED);
		return;
	}
	log_warn("api",
		 "tenant=%s event=webhook_retry webhook=%s delivery=%s seq=%" PRIu64
		 " attempts=%u status=%ld retry_in_ms=%" PRId64 " error=\"%s\"",
		 d->tenant, d->hook, d->id, d->seq, d->attempts, status, d->next_ms - now, err);
	store_outcome(w, d, "pending", (int)status, err);
	finished(w, d, OUT_RETRY);
	pend_add(w, d);
}

/* Moves what is due from the heap to its webhook's queue, then starts what the bounds
 * allow, webhook by webhook. */
static void start_due(struct api_hooks *w, int64_t now)
{
	const struct cfg *cfg = API_CFG(w->a);
	unsigned per_target = (unsigned)DEF(cfg ? cfg->http_webhooks.per_target : 0, 1);
	unsigned per_tenant = (unsigned)DEF(cfg ? cfg->http_webhooks.per_tenant : 0, 16);

	while (w->npend && w->heap[0]->next_ms <= now) {
		struct delivery *d = heap_pop(w);
		struct target *t = target_of(w, d);
		if (!t) {
			d->next_ms = now + BACKOFF_MIN;
			pend_add(w, d);
			break;
		}
		d->next = NULL;
		if (t->tail)
			t->tail->next = d;
		else
			t->head = d;
		t->tail = d;
	}
	for (struct target *t = w->targets; t && w->nflight < FLIGHT_MAX; t = t->next)
		while (t->head && t->in_flight < per_target && w->nflight < FLIGHT_MAX &&
		       tenant_in_flight(w, t->tenant) < per_tenant) {
			struct delivery *d = t->head;
			struct flight *f = NULL;
			if (!(t->head = d->next))
				t->tail = NULL;
			d->next = NULL;
			for (unsigned i = 0; i < FLIGHT_MAX && !f; i++)
				if (!w->flights[i].easy)
					f = &w->flights[i];
			flight_start(w, f, t, d);
		}
}

/* The time to wait for: the next due delivery, at most a second. */
static int wait_ms(struct api_hooks *w, int64_t now)
{
	int64_t ms = 1000;

	if (w->npend && w->heap[0]->next_ms - now < ms)
		ms = w->heap[0]->next_ms - now;
	return ms < 0 ? 0 : (int)ms;
}

static void *deliver_main(void *arg)
{
	struct api_hooks *w = arg;

	pthread_setname_np(pthread_self(), "webhooks");

	for (;;) {
		struct delivery *in;
		struct CURLMsg *msg;
		int running, left;
		bool stop, done;

		pthread_mutex_lock(&w->lock);
		in = w->in_head;
		w->in_head = w->in_tail = NULL;
		w->in_len = 0;
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		while (in) {
			struct delivery *d = in;
			in = d->next;
			d->next = NULL;
			crm_id_new(d->id);
			store_new(w, d); /* pending in the store before the first attempt */
			pend_add(w, d);
		}
		if (stop)
			break; /* what is pending is in the store for the next start */
		start_due(w, clock_wall_ms());
		curl_multi_perform(w->multi, &running);
		done = false;
		while ((msg = curl_multi_info_read(w->multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				struct flight *f = NULL;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
				if (f) {
					flight_done(w, f, msg->data.result);
					done = true;
				}
			}
		if (!done) /* else start at once what the finished ones held back */
			curl_multi_poll(w->multi, NULL, 0, wait_ms(w, clock_wall_ms()), NULL);
	}
	/* Shutting down: attempts in flight are aborted (the progress callback) and their
	 * deliveries stay pending in the store. */
	for (unsigned i = 0; i < FLIGHT_MAX; i++)
		if (w->flights[i].easy)
			flight_done(w, &w->flights[i], CURLE_ABORTED_BY_CALLBACK);
	return NULL;
}

/* ---- figures ---- */

static void label(struct crm_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			crm_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			crm_buf_puts(b, "\\n");
		else
			crm_buf_printf(b, "%c", *s);
	}
}

char *api_webhook_metrics(struct api *a)
{
	struct api_hooks *w = a ? a->hooks : NULL;
	struct crm_buf b = {0};
	static const char *const results[] = {"delivered", "failed", "retried"};

	crm_buf_puts(&b, "# HELP centrala_webhook_deliveries_total Webhook attempts by outcome: "
			 "delivered, failed (given up, refused or the webhook deleted), retried "
			 "(an attempt failed, another follows).\n"
			 "# TYPE centrala_webhook_deliveries_total counter\n"
			 "# HELP centrala_webhook_queue Webhook deliveries not finished: queued, "
			 "waiting for a retry or in flight.\n"
			 "# TYPE centrala_webhook_queue gauge\n"
			 "# HELP centrala_webhook_in_flight Webhook attempts in progress.\n"
			 "# TYPE centrala_webhook_in_flight gauge\n");
	if (w) {
		pthread_mutex_lock(&w->lock);
		for (struct hook_tenant *t = w->tenants; t; t = t->next) {
			uint64_t v[3] = {t->delivered, t->failed, t->retried};
			for (int r = 0; r < 3; r++) {
				crm_buf_puts(&b, "centrala_webhook_deliveries_total{tenant=\"");
				label(&b, t->id);
				crm_buf_printf(&b, "\",result=\"%s\"} %" PRIu64 "\n", results[r],
					       v[r]);
			}
			crm_buf_puts(&b, "centrala_webhook_queue{tenant=\"");
			label(&b, t->id);
			crm_buf_printf(&b, "\"} %zu\ncentrala_webhook_in_flight{tenant=\"",
				       t->depth);
			label(&b, t->id);
			crm_buf_printf(&b, "\"} %u\n", t->in_flight);
		}
		pthread_mutex_unlock(&w->lock);
	}
	if (b.err) {
		crm_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* ---- start and stop ---- */

static int load_row(const struct store_webhook *sw, void *arg)
{
	struct api_hooks *w = arg;
	json_t *ev = json_loads(sw->events, 0, NULL);
	int err;

	if (hook_of(w, sw->tenant, sw->id)) {
		/* The file has one by that id: the file wins (the API refuses to make one). */
		log_warn("api",
			 "tenant=%s event=webhook_shadowed webhook=%s "
			 "reason=\"the configuration file defines it\"",
			 sw->tenant, sw->id);
		json_decref(ev);
		return 0;
	}
	err = api__webhook_set(w->a, sw->tenant, sw->id, sw->url, ev ? ev : json_array(),
			       sw->secret, sw->created_ms, sw->updated_ms);
	json_decref(ev);
	return err;
}

static int pending_row(const struct store_delivery *sd, void *arg)
{
	struct api_hooks *w = arg;
	struct hook *h = hook_of(w, sd->tenant, sd->webhook);
	struct delivery *d = calloc(1, sizeof(*d));
	struct hook_tenant *t;

	if (!d || !(d->body = strdup(sd->body))) {
		free(d);
		return ENOMEM;
	}
	snprintf(d->id, sizeof(d->id), "%s", sd->id);
	snprintf(d->tenant, sizeof(d->tenant), "%s", sd->tenant);
	snprintf(d->hook, sizeof(d->hook), "%s", sd->webhook);
	d->gen = h ? h->gen : 0; /* none: dropped at its attempt */
	snprintf(d->type, sizeof(d->type), "%s", sd->event_type);
	d->len = strlen(d->body);
	d->seq = sd->event_seq;
	d->attempts = sd->attempts;
	d->created_ms = sd->created_ms;
	d->next_ms = sd->next_ms;
	d->stored = true;
	pend_add(w, d);
	pthread_mutex_lock(&w->lock);
	if ((t = tenant_of(w, d->tenant, true)))
		t->depth++;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* The store's webhooks and pending deliveries of every tenant of the file. */
static void load_store(struct api_hooks *w)
{
	const struct cfg *cfg = API_CFG(w->a);
	size_t npend;
	int err = 0;

	if (!cfg || !db_ready(w)) {
		if (w->a->c.store_url)
			log_error("api", "event=webhook_store_error op=load "
					 "msg=\"cannot open the store; webhooks of the API are "
					 "not loaded\"");
		return;
	}
	for (size_t i = 0; !err && i < cfg->ntenants; i++) {
		const char *t = cfg->tenants[i].id;
		if (!t)
			continue;
		if ((err = store_db_webhooks(w->db, t, load_row, w)) ||
		    (err = store_db_deliveries_pending(w->db, t, pending_row, w)))
			db_failed(w, "load", err);
	}
	npend = w->npend;
	if (npend)
		log_info("api", "event=webhook_pending_loaded deliveries=%zu", npend);
}

int api__webhooks_start(struct api *a)
{
	struct api_hooks *w = calloc(1, sizeof(*w));
	const struct cfg *cfg = API_CFG(a);

	if (!w)
		return ENOMEM;
	w->a = a;
	pthread_mutex_init(&w->lock, NULL);
	a->hooks = w;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT))
		return ENOMEM;
	w->curl_init = true;
	if (!(w->multi = curl_multi_init()))
		return ENOMEM;
	for (size_t i = 0; cfg && i < cfg->ntenants; i++) {
		const struct cfg_tenant *t = &cfg->tenants[i];
		for (size_t k = 0; t->id && k < t->nwebhooks; k++) {
			const struct cfg_webhook *cw = &t->webhooks[k];
			struct hook *h;
			if (!cw->id || !cw->url || !cw->secret)
				continue;
			h = hook_make(cw->id, cw->url, (const char *const *)cw->events, cw->nevents,
				      cw->secret);
			if (!h || hook_put(w, t->id, h)) {
				hook_free(h);
				return ENOMEM;
			}
			h->from_file = true;
		}
	}
	load_store(w);
	if (pthread_create(&w->thread, NULL, deliver_main, w))
		return ENOMEM;
	w->started = true;
	return 0;
}

void api__webhooks_stop(struct api *a)
{
	struct api_hooks *w = a->hooks;

	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		atomic_store(&w->aborting, 1);
		pthread_mutex_unlock(&w->lock);
		curl_multi_wakeup(w->multi);
		pthread_join(w->thread, NULL);
	}
	while (w->targets) {
		struct target *t = w->targets;
		w->targets = t->next;
		while (t->head) {
			struct delivery *d = t->head;
			t->head = d->next;
			delivery_free(d);
		}
		free(t);
	}
	/* What is still queued is pending in the store (or was never written: then it is
	 * lost with the process, like an event no socket had read). */
	while (w->in_head) {
		struct delivery *d = w->in_head;
		w->in_head = d->next;
		delivery_free(d);
	}
	while (w->npend)
		delivery_free(heap_pop(w));
	free(w->heap);
	while (w->tenants) {
		struct hook_tenant *t = w->tenants;
		w->tenants = t->next;
		while (t->hooks) {
			struct hook *h = t->hooks;
			t->hooks = h->next;
			hook_free(h);
		}
		free(t);
	}
	if (w->multi)
		curl_multi_cleanup(w->multi);
	if (w->curl_init)
		curl_global_cleanup();
	store_db_close(w->db);
	pthread_mutex_destroy(&w->lock);
	free(w);
	a->hooks = NULL;
}
