/*
 * The dialer's store worker: a thread with its own store connection that reads leads in
 * id batches and do-not-call numbers for the campaigns, and writes leads' states and
 * attempts back, so that the engine thread never runs SQL. Requests and replies are
 * heap-allocated and travel as pointers through two message queues; the writes found
 * waiting together go in one transaction. A database that cannot be reached answers
 * reads with an error (the campaign asks again later) and drops writes with a log line
 * (the interaction, written by the store's own writer, keeps the attempt's record).
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

struct lead_acc {
	struct cw_rep *r;
	size_t cap;
	int err;
};

static char *dup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int take_lead(const struct store_lead *l, void *arg)
{
	struct lead_acc *a = arg;
	struct cw_lead *x;

	if (a->r->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct cw_lead *v = realloc(a->r->leads, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		a->r->leads = v;
		a->cap = cap;
	}
	x = &a->r->leads[a->r->n];
	memset(x, 0, sizeof(*x));
	x->id = l->id;
	x->priority = l->priority;
	x->attempts = l->attempts;
	x->day_attempts = l->day_attempts;
	x->day = l->day;
	x->next_ms = l->next_ms;
	x->phone = dup0(l->phone);
	x->name = dup0(l->name);
	x->tz = dup0(l->timezone);
	x->fields = dup0(l->fields);
	x->state = dup0(l->state);
	x->callback_agent =
	    l->callback_agent && *l->callback_agent ? strdup(l->callback_agent) : NULL;
	x->last_result = dup0(l->last_result);
	a->r->n++;
	if (!x->phone || !x->state)
		return ENOMEM;
	return 0;
}

static int take_phone(const char *phone, void *arg)
{
	struct cw_rep *r = arg;
	char **v;

	/* Doubled each time the count reaches a power of two. */
	if (!(r->nphones & (r->nphones - 1))) {
		v = realloc(r->phones, (r->nphones ? r->nphones * 2 : 1) * sizeof(*v));
		if (!v)
			return ENOMEM;
		r->phones = v;
	}
	if (!(r->phones[r->nphones] = strdup(phone)))
		return ENOMEM;
	r->nphones++;
	return 0;
}

void eng__camp_rep_free(struct cw_rep *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->leads[i].phone);
		free(r->leads[i].name);
		free(r->leads[i].tz);
		free(r->leads[i].fields);
		free(r->leads[i].state);
		free(r->leads[i].callback_agent);
		free(r->leads[i].last_result);
	}
	free(r->leads);
	for (size_t i = 0; i < r->nphones; i++)
		free(r->phones[i]);
	free(r->phones);
	free(r);
}

static void reply(struct eng_dialer *d, struct cw_rep *r)
{
	if (mq_push(d->rep, &r, sizeof(r))) {
		/* The campaign's fields are the engine's: not read on this thread. */
		log_error("dialer", "event=reply_dropped kind=%d", (int)r->kind);
		eng__camp_rep_free(r);
	}
}

static void do_read(struct eng_dialer *d, struct store_db *db, struct cw_req *q)
{
	struct cw_rep *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	r->kind = q->kind;
	r->cp = q->cp;
	r->list_idx = q->list_idx;
	r->pend = q->pend;
	snprintf(r->phone, sizeof(r->phone), "%s", q->phone);
	if (!db) {
		r->err = EAGAIN;
	} else if (q->kind == CW_GET) {
		struct lead_acc a = {.r = r};
		r->err = store_db_lead_get(db, q->tenant, q->list, q->lead_id, take_lead, &a);
	} else if (q->kind == CW_DNC_GONE) {
		struct lead_acc a = {.r = r};
		r->err = store_db_dnc_blocks(db, q->tenant, q->campaign, q->phone, &r->still);
		if (!r->err && !r->still)
			r->err = store_db_leads_dnc_closed(db, q->tenant, q->list, q->phone,
							   take_lead, &a);
	} else if (q->kind == CW_LOAD) {
		struct lead_acc a = {.r = r};
		r->err = store_db_leads_open(db, q->tenant, q->list, q->after, CAMP_BATCH,
					     take_lead, &a);
		r->more = r->n == CAMP_BATCH;
	} else {
		/* The tenant's list, then the campaign's own. */
		r->err = store_db_dnc_list(db, q->tenant, "", take_phone, r);
		if (!r->err)
			r->err = store_db_dnc_list(db, q->tenant, q->campaign, take_phone, r);
	}
	reply(d, r);
}

static int do_write(struct store_db *db, struct cw_req *q)
{
	if (q->kind == CW_LEAD)
		return store_db_lead_update(db, q->tenant, q->list, &q->lead, q->now_ms);
	if (q->kind == CW_DNC_PUT)
		return store_db_dnc_put(db, q->tenant, q->campaign, q->phone, "disposition",
					q->now_ms);
	return store_db_attempt_put(db, q->tenant, &q->att);
}

/* Writes the batch in one transaction and frees it. */
static void flush(struct eng_dialer *d, struct store_db *db, struct cw_req **batch, size_t *n)
{
	if (*n && db) {
		int err = store_db_begin(db);
		for (size_t i = 0; i < *n && !err; i++)
			err = do_write(db, batch[i]);
		err = err ? (store_db_rollback(db), err) : store_db_commit(db);
		if (err) {
			d->writes_failed += *n;
			log_error("dialer", "event=write_failed records=%zu err=%s", *n,
				  strerror(err));
		}
	} else if (*n) {
		d->writes_failed += *n;
		log_error("dialer", "event=write_failed records=%zu err=%s", *n, strerror(EAGAIN));
	}
	for (size_t i = 0; i < *n; i++)
		free(batch[i]);
	*n = 0;
}

static void *worker_main(void *arg)
{
	struct eng_dialer *d = arg;
	struct store_db *db = NULL;
	bool stop = false;

	pthread_setname_np(pthread_self(), "campaign-store");

	while (!stop) {
		struct pollfd p = {.fd = mq_fd(d->req), .events = POLLIN};
		struct cw_req *batch[256], *q;
		size_t n = 0;

		if (!mq_len(d->req))
			poll(&p, 1, 1000);
		mq_drain_fd(d->req);
		if (!db && mq_len(d->req) && store_db_open(d->e->cfg->store, &db)) {
			log_warn("dialer", "event=store_unreachable");
			db = NULL;
		}
		while (n < 256 && mq_pop(d->req, &q) == sizeof(q)) {
			if (q->kind == CW_STOP) {
				free(q);
				stop = true;
				break;
			}
			if (q->kind == CW_LOAD || q->kind == CW_DNC || q->kind == CW_GET ||
			    q->kind == CW_DNC_GONE) {
				/* Reads see every write asked for before them (a campaign that
				 * reads its lists again finds its leads as they were left). */
				flush(d, db, batch, &n);
				do_read(d, db, q);
				free(q);
				continue;
			}
			batch[n++] = q;
		}
		flush(d, db, batch, &n);
	}
	if (db)
		store_db_close(db);
	return NULL;
}

int eng__camp_worker_send(struct eng_dialer *d, struct cw_req *r)
{
	/* Point the strings of the copied records at the request's own buffers. */
	if (r->kind == CW_LEAD) {
		r->lead.state = r->state;
		r->lead.last_result = r->result[0] ? r->result : NULL;
		r->lead.disposition = r->disposition[0] ? r->disposition : NULL;
		r->lead.callback_agent = r->agent[0] ? r->agent : NULL;
	} else if (r->kind == CW_ATTEMPT) {
		r->att.campaign = r->campaign;
		r->att.list = r->list;
		r->att.interaction = r->ix[0] ? r->ix : NULL;
		r->att.result = r->result[0] ? r->result : NULL;
		r->att.disposition = r->disposition[0] ? r->disposition : NULL;
	}
	if (!d->th_started || mq_push(d->req, &r, sizeof(r))) {
		log_error("dialer", "event=request_dropped kind=%d", (int)r->kind);
		free(r);
		return ENOBUFS;
	}
	return 0;
}

static int rep_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct eng_dialer *d = (struct eng_dialer *)arg;
	struct cw_rep *r;

	(void)magic;
	(void)w;
	mq_drain_fd(d->rep);
	while (mq_pop(d->rep, &r) == sizeof(r))
		eng__camp_loaded(r->cp, r);
	return 0;
}

int eng__camp_worker_start(struct eng_dialer *d)
{
	int err;

	d->reg = -1;
	if ((err = mq_alloc(&d->req, 16384)) || (err = mq_alloc(&d->rep, 1024)))
		return err;
	su_wait_create(&d->wait, mq_fd(d->rep), SU_WAIT_IN);
	d->reg = su_root_register(d->e->root, &d->wait, rep_ready, d, 0);
	if (d->reg < 0)
		return EIO;
	if ((err = pthread_create(&d->th, NULL, worker_main, d)))
		return err;
	d->th_started = true;
	return 0;
}

void eng__camp_worker_stop(struct eng_dialer *d)
{
	struct cw_rep *r;
	struct cw_req *q;

	if (d->th_started) {
		/* The writes queued before it are done first. */
		struct cw_req *stop = calloc(1, sizeof(*stop));
		if (stop) {
			stop->kind = CW_STOP;
			while (mq_push(d->req, &stop, sizeof(stop)) == ENOBUFS) {
				struct timespec ts = {0, 10 * 1000 * 1000};
				nanosleep(&ts, NULL);
			}
		}
		pthread_join(d->th, NULL);
		d->th_started = false;
	}
	if (d->reg >= 0)
		su_root_deregister(d->e->root, d->reg);
	d->reg = -1;
	if (d->rep) {
		while (mq_pop(d->rep, &r) == sizeof(r)) {
			eng__camp_pend_free(r->pend);
			eng__camp_rep_free(r);
		}
		mq_free(d->rep);
	}
	if (d->req) {
		while (mq_pop(d->req, &q) == sizeof(q)) {
			eng__camp_pend_free(q->pend);
			free(q);
		}
		mq_free(d->req);
	}
	d->rep = d->req = NULL;
}
