/*
 * Webhooks: the table of every tenant's webhooks (those of the configuration file and
 * those made through the API) and the thread that delivers events to them.
 *
 * The service thread offers each numbered event (api__webhooks_offer); every webhook of
 * the tenant whose filter takes the event's type gets a delivery, queued in an inbox.
 * The delivery thread, with its own store connection and its own libcurl handle, writes
 * each new delivery to the store as pending before the first attempt, then POSTs the
 * event's JSON signed with the webhook's secret:
 *
 *   X-Centrala-Timestamp: UNIX seconds
 *   X-Centrala-Signature: sha256=HEX(HMAC-SHA256(secret, "TIMESTAMP.BODY"))
 *
 * A 2xx answer delivers it; anything else is retried after 1 s, 2 s, 4 s, ... at most
 * 10 min apart, and given up 24 h after the event. Every outcome is written back, so the
 * rows are the delivery log, and pending deliveries are read again at start: a restart
 * loses none. Pending deliveries wait in memory (the store is the record, never polled).
 *
 * Neither the service thread nor the engine ever waits on a receiver: attempts run on the
 * delivery thread only, one at a time, each bounded by a 5 s connect and 10 s total
 * timeout, and aborted at shutdown.
 *
 * `lock` protects the webhook table, the inbox and `stop`; nobody holds it across I/O.
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
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "crm/crm.h"
#include "store/store.h"

#define INBOX_MAX   100000 /* deliveries waiting for their first write */
#define PENDING_MAX 100000 /* deliveries waiting for a retry, in memory */
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

struct api_hooks {
	struct api *a;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct hook_tenant *tenants;
	uint64_t next_gen;
	struct delivery *in_head, *in_tail;
	size_t in_len;
	bool stop;
	bool waiting;	     /* the delivery thread sleeps: an offer wakes it */
	atomic_int aborting; /* read by libcurl's progress callback */
	pthread_t thread;
	bool started, curl_init;
	/* Delivery thread only. */
	struct store_db *db;
	CURL *curl;
	struct delivery **heap; /* pending, a binary min-heap on (next_ms, order) */
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
	bool any = false;
	int64_t now = clock_wall_ms();

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	t = tenant_of(w, tenant, false);
	for (struct hook *h = t ? t->hooks : NULL; h; h = h->next) {
		struct delivery *d;
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
		any = true;
	}
	if (any && w->waiting)
		pthread_cond_signal(&w->wake); /* awake, it takes the inbox before it sleeps */
	pthread_mutex_unlock(&w->lock);
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
			delivery_free(d);
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
	return size * n;
}

static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct api_hooks *w = arg;

	return atomic_load(&w->aborting) ? 1 : 0;
}

/* One POST. Returns the HTTP status (0 when none came) and writes the error text. */
static long post(struct api_hooks *w, const char *url, const char *secret, const struct delivery *d,
		 char *err, size_t errlen)
{
	struct curl_slist *hd = NULL;
	char line[160], sig[API_WEBHOOK_SIG_SIZE], ebuf[CURL_ERROR_SIZE];
	int64_t ts = clock_wall_ms() / 1000;
	long status = 0;
	CURLcode rc;

	if (!w->curl && !(w->curl = curl_easy_init())) {
		snprintf(err, errlen, "libcurl: out of memory");
		return 0;
	}
	curl_easy_reset(w->curl);
	api__webhook_sign(secret, ts, d->body, d->len, sig);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Centrala-Timestamp: %" PRId64, ts);
	hd = curl_slist_append(hd, line);
	snprintf(line, sizeof(line), "X-Centrala-Signature: %s", sig);
	hd = curl_slist_append(hd, line);
	snprintf(line, sizeof(line), "X-Centrala-Event: %s", d->type);
	hd = curl_slist_append(hd, line);
	snprintf(line, sizeof(line), "X-Centrala-Delivery: %s", d->id);
	hd = curl_slist_append(hd, line);
	hd = curl_slist_append(hd, "Expect:");
	ebuf[0] = '\0';
	curl_easy_setopt(w->curl, CURLOPT_URL, url);
	curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(w->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "centrala/" CENTRALA_VERSION);
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, d->body);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(w->curl, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(w->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(w->curl, CURLOPT_XFERINFODATA, w);
	rc = curl_easy_perform(w->curl);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299)
			snprintf(err, errlen, "HTTP status %ld", status);
	} else {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	}
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(w->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hd);
	sodium_memzero(sig, sizeof(sig));
	return status;
}

/* Tries d once. Returns true when it is finished (delivered, given up, or its webhook is
 * gone); false when it waits for another attempt (d->next_ms). */
static bool attempt(struct api_hooks *w, struct delivery *d)
{
	struct hook *h;
	char *url = NULL, *secret = NULL, err[CURL_ERROR_SIZE + 64] = "";
	long status;
	int64_t now;

	pthread_mutex_lock(&w->lock);
	if ((h = hook_of(w, d->tenant, d->hook)) && h->gen != d->gen)
		h = NULL;
	if (h) {
		url = strdup(h->url);
		secret = strdup(h->secret);
	}
	pthread_mutex_unlock(&w->lock);
	if (!h) {
		log_warn("api",
			 "tenant=%s event=webhook_dropped webhook=%s delivery=%s "
			 "reason=webhook_deleted",
			 d->tenant, d->hook, d->id);
		store_outcome(w, d, "failed", 0, "the webhook was deleted");
		return true;
	}
	if (!url || !secret) {
		free(url);
		free(secret);
		d->next_ms = clock_wall_ms() + BACKOFF_MIN;
		return false;
	}
	status = post(w, url, secret, d, err, sizeof(err));
	sodium_memzero(secret, strlen(secret));
	free(secret);
	free(url);
	d->attempts++;
	now = clock_wall_ms();
	if (status >= 200 && status <= 299) {
		log_info("api",
			 "tenant=%s event=webhook_delivered webhook=%s delivery=%s seq=%" PRIu64
			 " type=%s status=%ld attempts=%u",
			 d->tenant, d->hook, d->id, d->seq, d->type, status, d->attempts);
		d->next_ms = now;
		store_outcome(w, d, "delivered", (int)status, NULL);
		return true;
	}
	if (atomic_load(&w->aborting)) {
		/* Shutting down: this attempt does not count; the row stays pending. */
		d->attempts--;
		return false;
	}
	if (!api__webhook_next(d->created_ms, now, d->attempts, &d->next_ms)) {
		log_warn("api",
			 "tenant=%s event=webhook_given_up webhook=%s delivery=%s seq=%" PRIu64
			 " attempts=%u status=%ld error=\"%s\"",
			 d->tenant, d->hook, d->id, d->seq, d->attempts, status, err);
		store_outcome(w, d, "failed", (int)status, err);
		return true;
	}
	log_warn("api",
		 "tenant=%s event=webhook_retry webhook=%s delivery=%s seq=%" PRIu64
		 " attempts=%u status=%ld retry_in_ms=%" PRId64 " error=\"%s\"",
		 d->tenant, d->hook, d->id, d->seq, d->attempts, status, d->next_ms - now, err);
	store_outcome(w, d, "pending", (int)status, err);
	return false;
}

static void *deliver_main(void *arg)
{
	struct api_hooks *w = arg;

	for (;;) {
		struct delivery *in;
		int64_t now = clock_wall_ms(), soonest = now + 1000;
		bool stop;

		pthread_mutex_lock(&w->lock);
		if (w->npend && w->heap[0]->next_ms < soonest)
			soonest = w->heap[0]->next_ms;
		if (!w->stop && !w->in_head && soonest > now) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += (soonest - now) / 1000;
			ts.tv_nsec += ((soonest - now) % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			w->waiting = true;
			pthread_cond_timedwait(&w->wake, &w->lock, &ts);
			w->waiting = false;
		}
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
		now = clock_wall_ms();
		while (w->npend && w->heap[0]->next_ms <= now && !atomic_load(&w->aborting)) {
			struct delivery *d = heap_pop(w);
			if (attempt(w, d))
				delivery_free(d);
			else
				pend_add(w, d);
			now = clock_wall_ms();
		}
	}
	return NULL;
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
	pthread_cond_init(&w->wake, NULL);
	a->hooks = w;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT))
		return ENOMEM;
	w->curl_init = true;
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
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
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
	if (w->curl)
		curl_easy_cleanup(w->curl);
	if (w->curl_init)
		curl_global_cleanup();
	store_db_close(w->db);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	a->hooks = NULL;
}
