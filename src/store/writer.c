/*
 * The asynchronous store: submission from any thread, and the writer thread that owns
 * all writes.
 *
 * Submitting serialises the record (record.c) and appends it to a bounded queue under
 * a mutex held for a few instructions; the engine never waits on SQL. The writer takes
 * up to batch_max records at a time and writes them in one transaction, then tells
 * each submitter that asked (STORE_MSG_COMMITTED). A record therefore counts as stored
 * only after the COMMIT that holds it has returned.
 *
 * When the database fails in a way that may pass (EAGAIN: connection lost, busy, disk
 * full), the batch goes to the spool (fdatasync'd, STORE_MSG_SPOOLED) and so does
 * everything after it, until a reconnection succeeds (attempts back off up to
 * retry_max_ms). Then the spool is replayed, oldest first, before any new record, so
 * later versions of a record are never overwritten by older ones. A record the
 * database refuses for itself (a constraint) is isolated from its batch, logged,
 * counted in `failed` and dropped; the rest of the batch is written.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mq.h"

#define RETRY_FIRST_MS 100

/* ---- replies ------------------------------------------------------------------------- */

void store__reply(struct store *s, struct mq *mq, const struct store_msg *m)
{
	if (!mq)
		return;
	if (mq_push(mq, m, sizeof(*m))) {
		pthread_mutex_lock(&s->lock);
		s->stats.replies_lost++;
		pthread_mutex_unlock(&s->lock);
		if (m->contact)
			crm_contact_free(m->contact);
		free(m->history);
	}
}

static void reply_rec(struct store *s, const struct store__rec *r, enum store_msg_type type,
		      int err)
{
	struct store_msg m = {0};

	if (!r->done)
		return;
	m.type = (uint16_t)type;
	m.kind = (uint16_t)store__rec_kind(r->data, r->len);
	m.err = err;
	m.cookie = r->cookie;
	store__reply(s, r->done, &m);
}

static int owe(struct store *s, uint64_t index, const struct store__rec *r)
{
	struct store__owed *o;

	if (!r->done)
		return 0;
	if (s->nowed == s->owed_cap) {
		size_t cap = s->owed_cap ? s->owed_cap * 2 : 256, i;

		if (!(o = malloc(cap * sizeof(*o))))
			return ENOMEM;
		for (i = 0; i < s->nowed; i++)
			o[i] = s->owed[(s->owed_head + i) % s->owed_cap];
		free(s->owed);
		s->owed = o;
		s->owed_cap = cap;
		s->owed_head = 0;
	}
	o = &s->owed[(s->owed_head + s->nowed++) % s->owed_cap];
	o->index = index;
	o->done = r->done;
	o->cookie = r->cookie;
	o->kind = (uint8_t)store__rec_kind(r->data, r->len);
	return 0;
}

/*
 * The line that proves an interaction durable: written after the COMMIT holding it has
 * returned, so a test (or an operator) may count every id logged here as stored, even
 * if the process is killed on the next instruction. One line per interaction version
 * written; nothing for the other kinds, which come in larger numbers and matter less.
 */
static void log_stored(const struct store__rec *r, bool replayed)
{
	struct crm_interaction ix;

	if (!log_enabled(LOG_LEVEL_INFO) ||
	    store__rec_kind(r->data, r->len) != STORE_REC_INTERACTION ||
	    store__rec_decode_interaction(r->data, r->len, &ix))
		return;
	log_info("store", "tenant=%s event=interaction_stored id=%s ended=%d%s", ix.tenant, ix.id,
		 ix.ended_ms != 0, replayed ? " from=spool" : "");
}

/* Pays the reply owed for spool record `index`, if one is. */
static void pay(struct store *s, uint64_t index, int err)
{
	struct store_msg m = {0};
	struct store__owed *o;

	while (s->nowed) {
		o = &s->owed[s->owed_head];
		if (o->index > index)
			return;
		s->owed_head = (s->owed_head + 1) % s->owed_cap;
		s->nowed--;
		if (o->index < index)
			continue; /* cannot happen: replay is in order */
		m.type = err ? STORE_MSG_FAILED : STORE_MSG_COMMITTED;
		m.kind = o->kind;
		m.err = err;
		m.cookie = o->cookie;
		store__reply(s, o->done, &m);
		return;
	}
}

/* ---- writing a batch --------------------------------------------------------------------- */

static size_t list_len(const struct store__rec *r)
{
	size_t n = 0;

	for (; r; r = r->next)
		n++;
	return n;
}

/* Interactions waiting to go out as one multi-row statement. */
struct ix_group {
	struct crm_interaction ix[STORE__IX_GROUP];
	size_t n;
};

static int flush_group(struct store_db *db, struct ix_group *g)
{
	int err = g->n ? store__interactions_put(db, g->ix, g->n) : 0;

	g->n = 0;
	return err;
}

/* Adds an interaction record to the group; a second version of an interaction already
 * in the group first sends the group, so the later version is written last. */
static int group_add(struct store_db *db, struct ix_group *g, const struct store__rec *r)
{
	struct crm_interaction ix;
	size_t i;
	int err = store__rec_decode_interaction(r->data, r->len, &ix);

	if (err)
		return err;
	for (i = 0; i < g->n; i++)
		if (!strcmp(g->ix[i].id, ix.id) && !strcmp(g->ix[i].tenant, ix.tenant))
			break;
	if (i < g->n && (err = flush_group(db, g)))
		return err;
	g->ix[g->n++] = ix;
	return g->n == STORE__IX_GROUP ? flush_group(db, g) : 0;
}

static int write_one_batch(struct store *s, struct store__rec *list, size_t n)
{
	static _Thread_local struct ix_group group;
	struct store_db *db = s->wdb;
	struct store__rec *r;
	size_t i = 0;
	int err;

	if ((err = store__batch_begin(db)))
		return err;
	group.n = 0;
	for (r = list; r && i < n && !err; r = r->next, i++) {
		if (store__rec_kind(r->data, r->len) == STORE_REC_INTERACTION) {
			err = group_add(db, &group, r);
		} else if (!(err = flush_group(db, &group))) {
			err = store__rec_apply(db, r->data, r->len);
		}
	}
	if (!err)
		err = flush_group(db, &group);
	group.n = 0;
	return err ? (store__batch_end(db, false), err) : store__batch_end(db, true);
}

/*
 * Writes the first n records of `list`. Returns 0 when every record was committed or
 * refused (result[i] is 0 or the refusal), or EAGAIN when the database went away; then
 * result[i] is EAGAIN for every record not written.
 */
static int write_records(struct store *s, struct store__rec *list, size_t n, int *result)
{
	struct store__rec *r;
	size_t i;
	int err = write_one_batch(s, list, n);

	for (i = 0; i < n; i++)
		result[i] = err == EAGAIN ? EAGAIN : 0;
	if (!err || err == EAGAIN)
		return err;
	/* Something in the batch is refused: write them one by one to find it. */
	for (r = list, i = 0; i < n; r = r->next, i++) {
		result[i] = write_one_batch(s, r, 1);
		if (result[i] == EAGAIN) {
			for (; i < n; i++)
				result[i] = EAGAIN;
			return EAGAIN;
		}
		if (result[i])
			log_error("store", "event=record_refused kind=%d error=\"%s\"",
				  store__rec_kind(r->data, r->len), store_db_errmsg(s->wdb));
	}
	return 0;
}

static void count(struct store *s, uint64_t committed, uint64_t failed, uint64_t spooled,
		  uint64_t replayed, uint64_t handled)
{
	pthread_mutex_lock(&s->lock);
	s->stats.committed += committed;
	s->stats.failed += failed;
	s->stats.spooled += spooled;
	s->stats.replayed += replayed;
	if (committed)
		s->stats.batches++;
	s->handled += handled;
	s->stats.spool_backlog = store__spool_backlog(s->spool);
	s->stats.spool_bytes = store__spool_bytes(s->spool);
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

/* ---- the writer thread ------------------------------------------------------------------- */

struct wstate {
	struct store__rec *held; /* taken from the queue, not yet committed or spooled */
	bool db_up;
	uint64_t retry_at; /* monotonic ms of the next reconnection attempt */
	unsigned delay;
	/* The outage: from the first failed write to the first commit after it (a
	 * reconnection alone proves nothing: SQLite opens a file on a full disk), and when
	 * it was last logged (once a minute while it lasts). 0: none. */
	uint64_t outage_ms, noted_ms;
	int *result; /* batch_max entries */
};

#define OUTAGE_NOTE_MS 60000

static void set_down(struct store *s, struct wstate *w)
{
	uint64_t now = clock_mono_ms();

	if (!w->outage_ms) {
		log_warn("store", "event=database_down backend=%s error=\"%s\"",
			 store_db_backend(s->wdb), store_db_errmsg(s->wdb));
		w->outage_ms = w->noted_ms = now;
	} else if (now - w->noted_ms >= OUTAGE_NOTE_MS) {
		log_warn("store",
			 "event=database_still_down backend=%s down_s=%llu backlog=%llu "
			 "error=\"%s\"",
			 store_db_backend(s->wdb), (unsigned long long)(now - w->outage_ms) / 1000,
			 (unsigned long long)store__spool_backlog(s->spool),
			 store_db_errmsg(s->wdb));
		w->noted_ms = now;
	}
	w->db_up = false;
	w->retry_at = now + w->delay;
	w->delay = w->delay * 2 > s->opts.retry_max_ms ? s->opts.retry_max_ms : w->delay * 2;
	pthread_mutex_lock(&s->lock);
	s->stats.db_up = false;
	pthread_mutex_unlock(&s->lock);
}

/* A commit went through: the outage, if there was one, is over. */
static void committed(struct store *s, struct wstate *w)
{
	if (!w->outage_ms)
		return;
	log_info("store", "event=database_up backend=%s down_s=%llu backlog=%llu",
		 store_db_backend(s->wdb),
		 (unsigned long long)(clock_mono_ms() - w->outage_ms) / 1000,
		 (unsigned long long)store__spool_backlog(s->spool));
	w->outage_ms = 0;
	w->delay = RETRY_FIRST_MS;
	pthread_mutex_lock(&s->lock);
	s->stats.db_up = true;
	s->stats.reconnects++;
	pthread_mutex_unlock(&s->lock);
}

static bool try_up(struct store *s, struct wstate *w)
{
	if (w->db_up)
		return true;
	if (clock_mono_ms() < w->retry_at)
		return false;
	if (store__db_reconnect(s->wdb)) {
		set_down(s, w);
		return false;
	}
	/* Up once a write commits (committed()); the back-off stands until then. */
	w->db_up = true;
	return true;
}

/* Moves the held records into the spool (as many as fit). */
static void spool_held(struct store *s, struct wstate *w)
{
	struct store__rec *r, *next;
	uint64_t first;
	size_t n = 0, i;

	if (!w->held)
		return;
	if (store__spool_append(s->spool, w->held, &n, &first) || n == 0)
		return; /* stays held; the queue fills up and submitters see ENOBUFS */
	/* Counters first: whoever reads a reply then sees them up to date. */
	count(s, 0, 0, n, 0, n);
	for (r = w->held, i = 0; i < n; r = next, i++) {
		next = r->next;
		if (owe(s, first + i, r))
			log_error("store", "event=reply_lost reason=no_memory");
		reply_rec(s, r, STORE_MSG_SPOOLED, 0);
		free(r);
	}
	w->held = r;
}

/* Replays the spool into the database. Returns false when the database went away. */
static bool replay(struct store *s, struct wstate *w)
{
	while (store__spool_backlog(s->spool)) {
		struct store__rec *list = NULL, *r;
		size_t n = 0, i, ok = 0, bad = 0;
		uint64_t first;
		int err = store__spool_peek(s->spool, s->opts.batch_max, &list, &n, &first);

		if (err || !n) {
			/* A failed read (no memory, I/O) leaves every record in place for the
			 * next round; only an empty, damaged tail is consumed. */
			store__rec_list_free(list);
			if (!err)
				store__spool_consume(s->spool, 0);
			return true;
		}
		if (write_records(s, list, n, w->result) == EAGAIN) {
			store__rec_list_free(list);
			set_down(s, w);
			return false;
		}
		committed(s, w);
		store__spool_consume(s->spool, n);
		for (i = 0; i < n; i++) {
			if (w->result[i])
				bad++;
			else
				ok++;
		}
		count(s, ok, bad, 0, ok, 0);
		for (i = 0, r = list; i < n; i++, r = r->next) {
			if (!w->result[i])
				log_stored(r, true);
			pay(s, first + i, w->result[i]);
		}
		store__rec_list_free(list);
	}
	return true;
}

/* Writes the held records; on EAGAIN they stay held (the caller spools them). */
static void write_held(struct store *s, struct wstate *w)
{
	struct store__rec *r, *next;
	size_t n = list_len(w->held), i, ok = 0, bad = 0;

	if (!n)
		return;
	if (n > s->opts.batch_max)
		n = s->opts.batch_max;
	if (write_records(s, w->held, n, w->result) == EAGAIN) {
		set_down(s, w);
		return;
	}
	committed(s, w);
	for (i = 0; i < n; i++) {
		if (w->result[i])
			bad++;
		else
			ok++;
	}
	count(s, ok, bad, 0, 0, n);
	for (r = w->held, i = 0; i < n; r = next, i++) {
		next = r->next;
		if (!w->result[i])
			log_stored(r, false);
		reply_rec(s, r, w->result[i] ? STORE_MSG_FAILED : STORE_MSG_COMMITTED,
			  w->result[i]);
		free(r);
	}
	w->held = r;
}

/* Takes queued records (up to a batch) after the held ones. Called with the lock. */
static void take(struct store *s, struct wstate *w)
{
	struct store__rec **tail = &w->held;
	size_t n = 0;

	while (*tail) {
		tail = &(*tail)->next;
		n++;
	}
	while (s->head && n < s->opts.batch_max) {
		struct store__rec *r = s->head;

		s->head = r->next;
		r->next = NULL;
		*tail = r;
		tail = &r->next;
		s->qlen--;
		n++;
	}
	if (!s->head) {
		s->tail = &s->head;
		s->urgent = false;
	}
	s->stats.queue_len = s->qlen;
}

static void wait_work(struct store *s, struct wstate *w)
{
	for (;;) {
		uint64_t now = clock_mono_ms();
		bool due = w->db_up || now >= w->retry_at;
		/* Group commit: the first record waits commit_delay_ms for others, so that a
		 * busy centre writes tens of transactions a second, not one per record. */
		uint64_t gather_until = s->head_ms + s->opts.commit_delay_ms;
		bool gather = s->head && !s->stop && !s->flushing && !s->urgent &&
			      s->qlen < s->opts.batch_max && now < gather_until;
		bool ready = s->head && !gather;
		struct timespec ts;
		uint64_t until;

		if (s->stop || (ready && !w->held) || (due && (w->held || ready)) ||
		    (due && store__spool_backlog(s->spool)))
			return;
		if (!w->held && !s->head && !store__spool_backlog(s->spool)) {
			pthread_cond_wait(&s->wake, &s->lock);
			continue;
		}
		until = w->db_up ? now + 1000 : w->retry_at;
		if (gather && gather_until < until)
			until = gather_until;
		ts.tv_sec = (time_t)(until / 1000);
		ts.tv_nsec = (long)(until % 1000) * 1000000L;
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
	}
}

void *store__writer_main(void *arg)
{
	struct store *s = arg;
	struct wstate w = {.db_up = true, .delay = RETRY_FIRST_MS};
	bool stopping = false;

	pthread_setname_np(pthread_self(), "store-writer");

	if (!(w.result = calloc(s->opts.batch_max, sizeof(*w.result)))) {
		log_error("store", "event=writer_failed error=\"out of memory\"");
		return NULL;
	}
	while (!stopping) {
		pthread_mutex_lock(&s->lock);
		wait_work(s, &w);
		take(s, &w);
		stopping = s->stop && !s->head;
		pthread_mutex_unlock(&s->lock);

		if (try_up(s, &w) && replay(s, &w))
			write_held(s, &w);
		if (!w.db_up || stopping)
			spool_held(s, &w);
		if (stopping && w.held) {
			/* The database is down and the spool full: nothing left to try. */
			size_t n = list_len(w.held);

			log_error("store",
				  "event=records_lost count=%zu reason=\"database down and "
				  "spool full at shutdown\"",
				  n);
			store__rec_list_free(w.held);
			w.held = NULL;
			count(s, 0, n, 0, 0, n);
		}
	}
	free(w.result);
	return NULL;
}

/* ---- lifecycle and submission -------------------------------------------------------------- */

static int cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int err;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	err = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return err;
}

static int default_spool_path(const char *url, char **out)
{
	const char *path = store__sqlite_path(url);

	if (path && *path)
		return asprintf(out, "%s.spool", path) < 0 ? ENOMEM : 0;
	return (*out = strdup("var/store.spool")) ? 0 : ENOMEM;
}

int store_create(const char *url, const struct store_opts *opts, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	char *spool_path = NULL;
	int err, stage = 0;

	if (!s)
		return ENOMEM;
	if (opts)
		s->opts = *opts;
	if (!s->opts.spool_max_bytes)
		s->opts.spool_max_bytes = 256u << 20;
	if (!s->opts.queue_max)
		s->opts.queue_max = 100000;
	if (!s->opts.batch_max)
		s->opts.batch_max = 1000;
	if (!s->opts.commit_delay_ms)
		s->opts.commit_delay_ms = 25;
	if (!s->opts.busy_timeout_ms)
		s->opts.busy_timeout_ms = 5000;
	if (!s->opts.retry_max_ms)
		s->opts.retry_max_ms = 5000;
	s->tail = &s->head;
	s->rtail = &s->rhead;
	s->stats.db_up = true;
	if (!url || !(s->url = strdup(url))) {
		err = url ? ENOMEM : EINVAL;
		goto fail;
	}
	if ((err = store__db_connect(url, s->opts.busy_timeout_ms, &s->wdb)))
		goto fail;
	if ((err = store__migrate(s->wdb, store_schema_latest()))) {
		log_error("store", "event=migration_failed error=\"%s\"", store_db_errmsg(s->wdb));
		goto fail;
	}
	if ((err = store__db_connect(url, s->opts.busy_timeout_ms, &s->rdb)))
		goto fail;
	if (s->opts.spool_path)
		spool_path = strdup(s->opts.spool_path);
	else if (default_spool_path(url, &spool_path))
		spool_path = NULL;
	if (!spool_path) {
		err = ENOMEM;
		goto fail;
	}
	if ((err = store__spool_open(spool_path, s->opts.spool_max_bytes, &s->spool)))
		goto fail;
	s->stats.spool_backlog = store__spool_backlog(s->spool);
	s->stats.spool_bytes = store__spool_bytes(s->spool);
	if ((err = pthread_mutex_init(&s->lock, NULL)))
		goto fail;
	stage = 1;
	if ((err = cond_init_mono(&s->wake)))
		goto fail;
	stage = 2;
	if ((err = cond_init_mono(&s->idle)))
		goto fail;
	stage = 3;
	if ((err = pthread_mutex_init(&s->rlock, NULL)))
		goto fail;
	stage = 4;
	if ((err = pthread_cond_init(&s->rwake, NULL)))
		goto fail;
	stage = 5;
	if ((err = pthread_create(&s->writer, NULL, store__writer_main, s)))
		goto fail;
	stage = 6;
	if ((err = pthread_create(&s->reader, NULL, store__reader_main, s)))
		goto fail;
	free(spool_path);
	log_info("store", "event=started backend=%s spool_backlog=%llu", store_db_backend(s->wdb),
		 (unsigned long long)s->stats.spool_backlog);
	*out = s;
	return 0;
fail:
	/* Undo in reverse order. */
	if (stage >= 6) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->writer, NULL);
	}
	if (stage >= 5)
		pthread_cond_destroy(&s->rwake);
	if (stage >= 4)
		pthread_mutex_destroy(&s->rlock);
	if (stage >= 3)
		pthread_cond_destroy(&s->idle);
	if (stage >= 2)
		pthread_cond_destroy(&s->wake);
	if (stage >= 1)
		pthread_mutex_destroy(&s->lock);
	store__spool_close(s->spool);
	store_db_close(s->rdb);
	store_db_close(s->wdb);
	free(spool_path);
	free(s->url);
	free(s);
	return err;
}

void store_destroy(struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->rlock);
	s->rstop = true;
	pthread_cond_broadcast(&s->rwake);
	pthread_mutex_unlock(&s->rlock);
	pthread_join(s->reader, NULL);

	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->writer, NULL);

	log_info("store", "event=stopped committed=%llu spool_backlog=%llu",
		 (unsigned long long)s->stats.committed,
		 (unsigned long long)store__spool_backlog(s->spool));
	pthread_cond_destroy(&s->rwake);
	pthread_mutex_destroy(&s->rlock);
	pthread_cond_destroy(&s->idle);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	store__spool_close(s->spool);
	store_db_close(s->rdb);
	store_db_close(s->wdb);
	free(s->owed);
	free(s->url);
	free(s);
}

int store_flush(struct store *s, unsigned timeout_ms)
{
	uint64_t until = clock_mono_ms() + timeout_ms;
	struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
	int err = 0;

	pthread_mutex_lock(&s->lock);
	uint64_t mark = s->accepted;
	s->flushing++;
	pthread_cond_signal(&s->wake); /* no waiting for more records */
	while (s->handled < mark && !err)
		err = pthread_cond_timedwait(&s->idle, &s->lock, &ts) == ETIMEDOUT ? ETIMEDOUT : 0;
	if (s->handled >= mark)
		err = 0;
	s->flushing--;
	pthread_mutex_unlock(&s->lock);
	return err;
}

void store_stats(struct store *s, struct store_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	out->queue_len = s->qlen;
	pthread_mutex_unlock(&s->lock);
}

const char *store_url(const struct store *s)
{
	return s->url;
}

/* `now`: the record is one a reader may ask for at once (a call's last version, a contact,
 * an audit entry, a chat message): it and everything queued with it commit without the
 * group commit's wait. A call's earlier versions and agent state spans wait. */
static int enqueue(struct store *s, struct store__rec *r, struct mq *done, uint64_t cookie,
		   bool now)
{
	bool was_empty;

	r->done = done;
	r->cookie = cookie;
	pthread_mutex_lock(&s->lock);
	if (s->qlen >= s->opts.queue_max || s->stop) {
		s->stats.dropped++;
		pthread_mutex_unlock(&s->lock);
		free(r);
		return ENOBUFS;
	}
	was_empty = !s->head;
	*s->tail = r;
	s->tail = &r->next;
	s->qlen++;
	s->accepted++;
	s->stats.submitted++;
	if (was_empty)
		s->head_ms = clock_mono_ms();
	if (now && !s->urgent) {
		s->urgent = true;
		pthread_cond_signal(&s->wake);
	} else if (was_empty || s->qlen == s->opts.batch_max)
		pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int store_interaction_submit(struct store *s, const struct crm_interaction *ix, struct mq *done,
			     uint64_t cookie)
{
	struct store__rec *r;
	int err;

	STORE__TENANT(ix->tenant);
	if ((err = store__rec_interaction(ix, &r)))
		return err;
	return enqueue(s, r, done, cookie, ix->ended_ms != 0);
}

int store_agent_state_submit(struct store *s, const struct store_agent_state *st, struct mq *done,
			     uint64_t cookie)
{
	struct store__rec *r;
	int err;

	STORE__TENANT(st->tenant);
	if ((err = store__rec_agent_state(st, &r)))
		return err;
	return enqueue(s, r, done, cookie, false);
}

int store_audit_submit(struct store *s, const struct store_audit *a, struct mq *done,
		       uint64_t cookie)
{
	struct store__rec *r;
	int err;

	STORE__TENANT(a->tenant);
	if ((err = store__rec_audit(a, &r)))
		return err;
	return enqueue(s, r, done, cookie, true);
}

int store_contact_submit(struct store *s, const char *tenant, const struct crm_contact *c,
			 struct mq *done, uint64_t cookie)
{
	struct store__rec *r;
	int err;

	STORE__TENANT(tenant);
	if ((err = store__rec_contact(tenant, c, &r)))
		return err;
	return enqueue(s, r, done, cookie, true);
}

int store_chat_message_submit(struct store *s, const struct store_chat_message *m, struct mq *done,
			      uint64_t cookie)
{
	struct store__rec *r;
	int err;

	STORE__TENANT(m->tenant);
	if ((err = store__rec_chat_message(m, &r)))
		return err;
	return enqueue(s, r, done, cookie, true);
}
