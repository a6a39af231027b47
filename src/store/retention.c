/*
 * Retention: per tenant, the recordings and the bodies (the agent's notes, the chat
 * messages, the email and SMS texts and subjects, email attachments' files, a web
 * callback's number) of interactions older than the tenant's limits are deleted, never those of an
 * interaction on legal hold; the interaction itself stays, so reports keep counting it.
 * Each run that deleted something leaves an audit entry. The daemon runs it on a thread
 * of its own with its own connection (store_retention_start), off the engine thread:
 * deleting files and rows takes as long as it takes without delaying a call.
 */
#include "store/store_int.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"

#define BATCH 200

struct due {
	char id[CRM_ID_SIZE];
	char *recording;
	char *timeline;
	int64_t created_ms;
};

/* Removes one recording file; a file already gone is no error. */
static int remove_file(const char *path, unsigned *files)
{
	if (!unlink(path)) {
		(*files)++;
		return 0;
	}
	return errno == ENOENT ? 0 : errno;
}

/* The recording and every further segment its timeline names ("recording" events). */
static int remove_recordings(const struct due *d, unsigned *files)
{
	json_t *tl = d->timeline ? json_loads(d->timeline, 0, NULL) : NULL;
	size_t i;
	json_t *ev;
	int err = remove_file(d->recording, files);

	json_array_foreach(tl, i, ev)
	{
		const char *type = json_string_value(json_object_get(ev, "event"));
		const char *path = json_string_value(json_object_get(ev, "path"));
		if (!err && type && path && !strcmp(type, "recording") &&
		    strcmp(path, d->recording))
			err = remove_file(path, files);
	}
	json_decref(tl);
	return err;
}

static int count(struct store_db *db, enum store__q q, const char *tenant, int64_t before,
		 unsigned *out)
{
	struct store__param p[2] = {store__text(tenant), store__int(before)};
	int err = store__query(db, q, p, 2);

	if (err)
		return err;
	while (store__row(db, q, &err))
		*out = (unsigned)store__col_int(db, q, 0);
	return err;
}

static int purge_recordings(struct store_db *db, const char *tenant, int64_t before,
			    struct store_retention_report *rep)
{
	struct due batch[BATCH];
	int64_t after_ms = -1;
	char after_id[CRM_ID_SIZE] = "";
	size_t n;
	int err = 0;

	do {
		struct store__param p[4] = {store__text(tenant), store__int(before),
					    store__int(after_ms), store__text(after_id)};
		n = 0;
		if ((err = store__query(db, Q_RET_RECORDINGS, p, 4)))
			return err;
		while (store__row(db, Q_RET_RECORDINGS, &err)) {
			struct due *d = &batch[n++];
			snprintf(d->id, sizeof(d->id), "%s",
				 store__col_text(db, Q_RET_RECORDINGS, 0));
			d->recording = strdup(store__col_text(db, Q_RET_RECORDINGS, 1));
			d->timeline = store__col_text(db, Q_RET_RECORDINGS, 2)
					  ? strdup(store__col_text(db, Q_RET_RECORDINGS, 2))
					  : NULL;
			d->created_ms = store__col_int(db, Q_RET_RECORDINGS, 3);
		}
		for (size_t i = 0; i < n; i++) {
			struct due *d = &batch[i];
			int e = 0;

			if (!err && !d->recording)
				err = ENOMEM;
			if (!err && (e = remove_recordings(d, &rep->files))) {
				/* Kept in the record: the next run tries again. */
				log_warn("store",
					 "tenant=%s event=retention_failed interaction=%s "
					 "path=%s err=%s",
					 tenant, d->id, d->recording, strerror(e));
				rep->failed++;
			} else if (!err) {
				struct store__param u[3] = {store__text(tenant), store__text(d->id),
							    store__int(clock_wall_ms())};
				if (!(err = store__exec(db, Q_RET_RECORDING_CLEAR, u, 3)))
					rep->recordings++;
			}
			after_ms = d->created_ms;
			memcpy(after_id, d->id, sizeof(after_id));
			free(d->recording);
			free(d->timeline);
		}
	} while (!err && n == BATCH);
	return err;
}

/* Empties one timeline in place: the written channels' texts, subjects and attachments
 * (their files removed; a file that cannot be removed keeps its entry, for the next run),
 * and with `callback` the web callback's number. Returns whether anything changed. */
static bool scrub_timeline(json_t *tl, bool callback, unsigned *files, bool *failed)
{
	static const char *const keys[] = {"body", "text", "subject"};
	bool changed = false;
	size_t i, k;
	json_t *ev, *a, *at;

	json_array_foreach(tl, i, ev)
	{
		if (!json_is_object(ev))
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			changed |= !json_object_del(ev, keys[k]);
		if (callback)
			changed |= !json_object_del(ev, "number");
		if (!json_is_array(a = json_object_get(ev, "attachments")))
			continue;
		bool kept = false;
		json_array_foreach(a, k, at)
		{
			const char *path = json_string_value(json_object_get(at, "path"));
			if (path && remove_file(path, files))
				kept = true;
		}
		if (kept) {
			*failed = true;
			continue;
		}
		json_object_del(ev, "attachments");
		changed = true;
	}
	return changed;
}

struct due_msg {
	char id[CRM_ID_SIZE];
	json_t *timeline;
	int64_t created_ms;
	bool callback;
};

static int purge_messages(struct store_db *db, const char *tenant, int64_t before,
			  struct store_retention_report *rep)
{
	struct due_msg batch[BATCH];
	int64_t after_ms = -1;
	char after_id[CRM_ID_SIZE] = "";
	size_t n;
	int err = 0;

	do {
		struct store__param p[4] = {store__text(tenant), store__int(before),
					    store__int(after_ms), store__text(after_id)};
		n = 0;
		if ((err = store__query(db, Q_RET_MESSAGES, p, 4)))
			return err;
		while (store__row(db, Q_RET_MESSAGES, &err)) {
			struct due_msg *d = &batch[n++];
			const char *tl = store__col_text(db, Q_RET_MESSAGES, 1);
			snprintf(d->id, sizeof(d->id), "%s",
				 store__col_text(db, Q_RET_MESSAGES, 0));
			d->timeline = tl ? json_loads(tl, 0, NULL) : NULL;
			d->created_ms = store__col_int(db, Q_RET_MESSAGES, 2);
			d->callback = store__col_int(db, Q_RET_MESSAGES, 3) != 0;
		}
		for (size_t i = 0; i < n; i++) {
			struct due_msg *d = &batch[i];
			unsigned files = 0;
			bool failed = false;
			char *text = NULL;

			if (!err) {
				if (!d->timeline)
					d->timeline = json_array();
				scrub_timeline(d->timeline, d->callback, &files, &failed);
				rep->attachments += files;
				if (failed) {
					log_warn(
					    "store",
					    "tenant=%s event=retention_failed interaction=%s "
					    "what=attachment note=\"kept, tried again next run\"",
					    tenant, d->id);
					rep->failed++;
				}
				if (!(text = json_dumps(d->timeline, JSON_COMPACT)))
					err = ENOMEM;
			}
			if (!err) {
				struct store__param u[5] = {
				    store__text(tenant), store__text(d->id), store__text(text),
				    store__int(d->callback ? 1 : 0), store__int(clock_wall_ms())};
				struct store__param c[2] = {store__text(tenant),
							    store__text(d->id)};
				if (!(err = store__exec(db, Q_RET_CHAT_DELETE, c, 2)) &&
				    !(err = store__exec(db, Q_RET_MESSAGES_CLEAR, u, 5)))
					rep->messages++;
			}
			free(text);
			after_ms = d->created_ms;
			memcpy(after_id, d->id, sizeof(after_id));
			json_decref(d->timeline);
		}
	} while (!err && n == BATCH);
	return err;
}

int store_db_retention(struct store_db *db, const char *tenant, int64_t recordings_before_ms,
		       int64_t bodies_before_ms, struct store_retention_report *rep)
{
	struct store_retention_report r = {0};
	int64_t held_before =
	    recordings_before_ms > bodies_before_ms ? recordings_before_ms : bodies_before_ms;
	int err = 0;

	STORE__TENANT(tenant);
	if (recordings_before_ms > 0)
		err = purge_recordings(db, tenant, recordings_before_ms, &r);
	if (!err && bodies_before_ms > 0 &&
	    !(err = count(db, Q_RET_BODIES_COUNT, tenant, bodies_before_ms, &r.bodies)) &&
	    r.bodies) {
		struct store__param p[3] = {store__text(tenant), store__int(bodies_before_ms),
					    store__int(clock_wall_ms())};
		err = store__exec(db, Q_RET_BODIES_CLEAR, p, 3);
	}
	if (!err && bodies_before_ms > 0)
		err = purge_messages(db, tenant, bodies_before_ms, &r);
	if (!err && held_before > 0)
		err = count(db, Q_RET_HELD, tenant, held_before, &r.held);
	if (!err && (r.recordings || r.bodies || r.messages)) {
		char detail[256], t1[40] = "-", t2[40] = "-";
		struct store_audit a = {.tenant = tenant,
					.actor = "retention",
					.object = "interactions",
					.key = "*",
					.action = "delete",
					.detail = detail};
		if (recordings_before_ms > 0)
			clock_iso8601(recordings_before_ms, t1, sizeof(t1));
		if (bodies_before_ms > 0)
			clock_iso8601(bodies_before_ms, t2, sizeof(t2));
		snprintf(detail, sizeof(detail),
			 "recordings=%u files=%u recordings_before=%s bodies=%u messages=%u "
			 "attachments=%u bodies_before=%s held=%u",
			 r.recordings, r.files, t1, r.bodies, r.messages, r.attachments, t2,
			 r.held);
		err = store_db_audit_put(db, &a);
	}
	if (!err && rep)
		*rep = r;
	return err;
}

int store_db_legal_hold(struct store_db *db, const char *tenant, const char *id, bool hold)
{
	struct store__param p[3] = {store__text(tenant), store__text(id), store__int(hold ? 1 : 0)};

	STORE__TENANT(tenant);
	return store__exec(db, Q_IX_HOLD, p, 3);
}

/* ---- the daemon's retention thread ------------------------------------------------- */

struct store_retention {
	pthread_t thread;
	pthread_mutex_t lock; /* protects stop, with wake */
	pthread_cond_t wake;
	bool stop;
	bool again;	       /* run now: a reload handed new limits */
	const struct cfg *cfg; /* the limits; replaced by store_retention_update */
	char *url;
	unsigned every_ms;
};

bool store_retention_any(const struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->ntenants; i++)
		if (cfg->tenants[i].retain_recordings_ms || cfg->tenants[i].retain_bodies_ms)
			return true;
	return false;
}

static void run_once(struct store_retention *r, const struct cfg *cfg)
{
	struct store_db *db = NULL;
	int64_t now = clock_wall_ms();
	int err;

	if ((err = store_db_open(r->url, &db))) {
		log_warn("store", "event=retention_failed err=%s", strerror(err));
		store_db_close(db);
		return;
	}
	for (size_t i = 0; i < cfg->ntenants; i++) {
		const struct cfg_tenant *t = &cfg->tenants[i];
		struct store_retention_report rep;
		int64_t rec = t->retain_recordings_ms ? now - (int64_t)t->retain_recordings_ms : 0;
		int64_t body = t->retain_bodies_ms ? now - (int64_t)t->retain_bodies_ms : 0;

		if (!rec && !body)
			continue;
		if ((err = store_db_retention(db, t->id, rec, body, &rep))) {
			log_warn("store", "tenant=%s event=retention_failed err=%s msg=\"%s\"",
				 t->id, strerror(err), store_db_errmsg(db));
			continue;
		}
		log_info("store",
			 "tenant=%s event=retention recordings=%u files=%u bodies=%u held=%u "
			 "failed=%u messages=%u attachments=%u",
			 t->id, rep.recordings, rep.files, rep.bodies, rep.held, rep.failed,
			 rep.messages, rep.attachments);
	}
	store_db_close(db);
}

static void *retention_main(void *arg)
{
	struct store_retention *r = arg;
	struct timespec until;

	pthread_setname_np(pthread_self(), "retention");

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		const struct cfg *cfg = r->cfg;
		bool any = store_retention_any(cfg);

		r->again = false;
		pthread_mutex_unlock(&r->lock);
		if (any)
			run_once(r, cfg);
		else
			log_info("store", "event=retention_idle note=\"no tenant has a retention "
					  "limit: the job waits for a reload that sets one\"");
		pthread_mutex_lock(&r->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += r->every_ms / 1000;
		until.tv_nsec += (long)(r->every_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		/* Without limits the job waits for a reload that gives some, holding nothing. */
		while (!r->stop && !r->again &&
		       (!any ? pthread_cond_wait(&r->wake, &r->lock) == 0
			     : pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT))
			;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int store_retention_start(const char *url, const struct cfg *cfg, unsigned every_ms,
			  struct store_retention **out)
{
	struct store_retention *r;
	int err;

	if (!store_retention_any(cfg)) {
		*out = NULL;
		return 0;
	}
	if (!(r = calloc(1, sizeof(*r))) || !(r->url = strdup(url))) {
		free(r);
		return ENOMEM;
	}
	r->cfg = cfg;
	r->every_ms = every_ms ? every_ms : 3600000;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if ((err = pthread_create(&r->thread, NULL, retention_main, r))) {
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r->url);
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

void store_retention_update(struct store_retention *r, const struct cfg *cfg)
{
	pthread_mutex_lock(&r->lock);
	r->cfg = cfg;
	r->again = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void store_retention_stop(struct store_retention *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r->url);
	free(r);
}
