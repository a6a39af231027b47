/*
 * The SMS channel's worker thread: everything of the channel that waits on the network
 * or the store, never on the engine's thread. It keeps one SMPP session for each queue
 * with an SMPP number (their threads call back here through the job queue), posts to
 * the HTTP gateway for the others, finds the CRM contact of each customer's number
 * (E.164) in the store, and hands texts, sending results and delivery receipts to the
 * engine through e->sms_events.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/sms.h"
#include "core/clock.h"
#include "core/log.h"

/* A queue's number: its SMPP session or HTTP gateway. Lines are found by id in jobs (an
 * SMPP session's callbacks name theirs), so that a line a reload replaced or removed is
 * never touched once its session has stopped. */
struct sw_line {
	struct eng_smser *w;
	uint64_t id;
	const struct cfg_tenant *ct; /* the worker's: a reload points them at the new config */
	const struct cfg_queue *cq;
	/* The same ids, fixed for the line's life: what its SMPP session's thread reads. */
	char *tenant, *queue;
	struct smpp_session *smpp; /* NULL: the HTTP gateway */
	struct sw_line *next;
};

/* A text submitted through SMPP, waiting for the SMSC's word (by cookie). */
struct sw_pending {
	uint64_t cookie;
	uint64_t line;
	bool orphan; /* its session was stopped by a reload: to be submitted again */
	json_t *job;
	struct sw_pending *next;
};

struct eng_smser {
	struct engine *e;
	struct api *api;
	struct eng_worker wk; /* the thread, its jobs and store connection (worker.c) */
	struct mq *out;	      /* e->sms_events */
	struct sw_line *lines;
	uint64_t next_line;
	struct sw_pending *pending;
	uint64_t next_cookie;
};

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int post(struct eng_smser *w, json_t *msg)
{
	struct eng_mail_msg m = {.msg = msg};
	int err = mq_push(w->out, &m, sizeof(m));

	if (err) {
		log_warn("channels", "event=sms_engine_queue_full");
		json_decref(msg);
	}
	return err;
}

int eng__smser_job(struct eng_smser *w, json_t *job)
{
	if (!w) {
		json_decref(job);
		return ENOENT;
	}
	return eng__worker_push(&w->wk, job);
}

/* ---- the SMPP sessions' callbacks (their threads): into the job queue ---- */

static int on_message(void *arg, const char *from, const char *to, const char *text)
{
	struct sw_line *l = arg;

	return eng__smser_job(l->w,
			      json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "kind", "in", "line",
					(json_int_t)l->id, "tenant", l->tenant, "queue", l->queue,
					"from", from, "to", to, "text", text));
}

static void on_receipt(void *arg, const struct sms_receipt *r)
{
	struct sw_line *l = arg;

	eng__smser_job(l->w, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "kind", "receipt",
				       "line", (json_int_t)l->id, "tenant", l->tenant, "queue",
				       l->queue, "id", r->id, "stat", r->stat, "err", r->err));
}

static void on_sent(void *arg, uint64_t cookie, bool ok, const char *ids, uint32_t status,
		    const char *why)
{
	struct sw_line *l = arg;

	(void)status;
	eng__smser_job(l->w, json_pack("{s:s, s:I, s:b, s:s, s:s?}", "kind", "smpp_sent", "cookie",
				       (json_int_t)cookie, "ok", ok, "ids", ids, "why", why));
}

/* ---- the worker's own jobs ---- */

static json_t *contact_of(struct eng_smser *w, const char *tenant, const char *e164)
{
	struct crm_contact *c = NULL;
	struct crm_buf b = {0};
	json_t *out = NULL;
	int err = store_db_contact_find_phone(w->wk.db, tenant, e164, &c);

	if (err) {
		if (err != ENOENT && err != EINVAL)
			log_warn("channels", "tenant=%s event=sms_contact_lookup_failed err=%s",
				 tenant, strerror(err));
		return NULL;
	}
	if (!crm_contact_json(c, &b) && !b.err && b.p)
		out = json_loads(b.p, 0, NULL);
	crm_buf_free(&b);
	crm_contact_free(c);
	return out;
}

/* The job's line: by id while it runs, else the queue's line now (one a reload put in the
 * place of the job's), else NULL. */
static struct sw_line *line_of(struct eng_smser *w, const json_t *job)
{
	uint64_t id = (uint64_t)json_integer_value(json_object_get(job, "line"));
	const char *tenant = jstr(job, "tenant"), *queue = jstr(job, "queue");

	for (struct sw_line *l = w->lines; id && l; l = l->next)
		if (l->id == id)
			return l;
	for (struct sw_line *l = w->lines; l; l = l->next)
		if (!strcmp(l->ct->id, tenant) && !strcmp(l->cq->id, queue))
			return l;
	return NULL;
}

/* A STOP or START from `from`: the tenant's do-not-text list (and the campaigns' do-not-call
 * list when the tenant says so) changed in the store, before any later send is looked
 * at (this thread takes jobs in order). *changed: the number's state changed (it is
 * confirmed once); *dialer: the campaigns' list changed. */
static void opt_apply(struct eng_smser *w, struct sw_line *l, const char *from, enum sms_keyword k,
		      bool *changed, bool *dialer)
{
	const char *tenant = l->ct->id;
	bool has = false;
	int err;

	*changed = *dialer = false;
	if ((err = store_db_dnc_has(w->wk.db, tenant, STORE_DNC_SMS, from, &has)))
		goto out;
	if (k == SMS_KEYWORD_STOP) {
		if (!has && (err = store_db_dnc_put(w->wk.db, tenant, STORE_DNC_SMS, from,
						    "sms_stop", clock_wall_ms())))
			goto out;
		*changed = !has;
		if (l->cq->sms->opt_out_dialer) {
			if ((err = store_db_dnc_put(w->wk.db, tenant, "", from, "sms_stop",
						    clock_wall_ms())))
				goto out;
			*dialer = true;
		}
	} else {
		if (has && (err = store_db_dnc_delete(w->wk.db, tenant, STORE_DNC_SMS, from)))
			goto out;
		*changed = has;
		/* Only what a STOP put on the campaigns' list: not an agent's disposition. */
		if ((err = store_db_dnc_delete_source(w->wk.db, tenant, "", from, "sms_stop")))
			goto out;
		*dialer = true;
	}
out:
	if (err)
		log_error("channels", "tenant=%s queue=%s event=sms_opt_out_failed err=%s", tenant,
			  l->cq->id, strerror(err));
}

/* A text from a customer (SMPP or the webhook): to the engine with its contact. A whole
 * text that is a stop or start word changes the number's opt-out first. */
static void text_in(struct eng_smser *w, struct sw_line *l, json_t *job)
{
	const struct cfg_sms *cs = l->cq->sms;
	char from[32];
	const char *f = jstr(job, "from"), *text = jstr(job, "text");
	enum sms_keyword k = SMS_KEYWORD_NONE;
	bool changed = false, dialer = false;
	json_t *contact, *msg;

	if (sms_e164(f, from, sizeof(from)))
		snprintf(from, sizeof(from), "%s", f);
	contact = from[0] == '+' ? contact_of(w, l->ct->id, from) : NULL;
	if (cs->opt_out && from[0] == '+')
		k = sms_keyword_match(text,
				      cs->stop_words ? (const char *const *)cs->stop_words
						     : sms_keywords_stop_default,
				      cs->stop_words ? cs->nstop_words : SIZE_MAX,
				      cs->start_words ? (const char *const *)cs->start_words
						      : sms_keywords_start_default,
				      cs->start_words ? cs->nstart_words : SIZE_MAX);
	if (k != SMS_KEYWORD_NONE) {
		opt_apply(w, l, from, k, &changed, &dialer);
		log_info("channels", "tenant=%s queue=%s event=%s changed=%d dialer=%d", l->ct->id,
			 l->cq->id, k == SMS_KEYWORD_STOP ? "sms_opted_out" : "sms_opted_in",
			 changed, dialer);
	}
	msg =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "type", "in", "tenant", l->ct->id,
		      "queue", l->cq->id, "from", from, "to", cs->number, "text", text, "gateway",
		      l->smpp ? "smpp" : "http", "contact", contact ? contact : json_null());
	if (msg && k != SMS_KEYWORD_NONE) {
		json_object_set_new(msg, "opt_out",
				    json_string(k == SMS_KEYWORD_STOP ? "stop" : "start"));
		json_object_set_new(msg, "confirm", json_boolean(changed));
		json_object_set_new(msg, "dialer", json_boolean(dialer));
	}
	if (msg)
		post(w, msg);
}

/* Answers the request that asked for a send (`status` and `code` the error's when not
 * ok; 0 and NULL: 502 not_sent). */
static void reply_sent(struct api *api, uint64_t req, const char *interaction, bool ok,
		       const char *ids, const char *why, int status, const char *code)
{
	if (!req || !api)
		return;
	if (ok)
		api_reply(api, req, 200,
			  json_pack("{s:s, s:s}", "interaction", interaction, "message_id",
				    ids ? ids : ""));
	else
		api_reply_error(api, req, status ? status : 502, code ? code : "not_sent",
				why ? why : "not sent");
}

void eng__sms_reply_sent(struct api *api, const json_t *sent)
{
	reply_sent(api, (uint64_t)json_integer_value(json_object_get(sent, "req")),
		   jstr(sent, "interaction"), json_is_true(json_object_get(sent, "ok")),
		   jstr(sent, "ids"), json_string_value(json_object_get(sent, "why")),
		   (int)json_integer_value(json_object_get(sent, "status")),
		   json_string_value(json_object_get(sent, "code")));
}

/* The result of a send, to the engine, which answers the request that asked for it once
 * the text is on the conversation's timeline: an agent who closes the conversation the
 * moment the reply is answered finds the text in its history. */
static void sent_as(struct eng_smser *w, json_t *job, bool ok, const char *ids, const char *why,
		    int status, const char *code)
{
	uint64_t req = (uint64_t)json_integer_value(json_object_get(job, "req"));

	if (post(w, json_pack("{s:s, s:s, s:s, s:b, s:s, s:s?, s:s, s:s, s:s?, s:b, s:I, s:i, "
			      "s:s?}",
			      "type", "sent", "tenant", jstr(job, "tenant"), "interaction",
			      jstr(job, "interaction"), "ok", ok, "ids", ids ? ids : "", "why", why,
			      "body", jstr(job, "body"), "to", jstr(job, "to"), "agent",
			      json_string_value(json_object_get(job, "agent")), "confirm",
			      json_is_true(json_object_get(job, "confirm")), "req", (json_int_t)req,
			      "status", status, "code", code)))
		/* The engine will not hear of it: the request is answered here. */
		reply_sent(w->api, req, jstr(job, "interaction"), ok, ids, why, status, code);
}

static void sent(struct eng_smser *w, json_t *job, bool ok, const char *ids, const char *why)
{
	sent_as(w, job, ok, ids, why, 0, NULL);
}

/* Whether `to` may be texted: not on the tenant's do-not-text list (a STOP's confirmation
 * is the one text that goes to a number that has just opted out). Answers the request and
 * the engine itself when not. */
static bool may_text(struct eng_smser *w, json_t *job)
{
	bool has = false;
	int err;

	if (json_is_true(json_object_get(job, "confirm")))
		return true;
	if ((err = store_db_dnc_has(w->wk.db, jstr(job, "tenant"), STORE_DNC_SMS, jstr(job, "to"),
				    &has))) {
		sent_as(w, job, false, NULL, "the opt-out list cannot be read; try again", 503,
			"store_unavailable");
		return false;
	}
	if (has) {
		log_info("channels", "tenant=%s interaction=%s event=sms_refused reason=opted_out",
			 jstr(job, "tenant"), jstr(job, "interaction"));
		sent_as(w, job, false, NULL,
			"the number opted out of texts (STOP); it may opt in again by texting "
			"START",
			409, "opted_out");
		return false;
	}
	return true;
}

static void send_one(struct eng_smser *w, json_t *job)
{
	struct sw_line *l = line_of(w, job);
	char id[128], why[256];
	int err;

	if (!l) {
		sent(w, job, false, NULL, "the queue has no SMS number");
		return;
	}
	if (!may_text(w, job))
		return;
	if (l->smpp) {
		struct sw_pending *p = calloc(1, sizeof(*p));
		if (!p) {
			sent(w, job, false, NULL, "out of memory");
			return;
		}
		p->cookie = ++w->next_cookie;
		p->line = l->id;
		p->job = json_incref(job);
		if ((err = smpp_send(l->smpp, p->cookie, jstr(job, "to"), jstr(job, "body")))) {
			json_decref(p->job);
			free(p);
			sent(w, job, false, NULL,
			     err == EMSGSIZE ? "the text is longer than 16 parts"
			     : err == EILSEQ ? "the text is not UTF-8"
					     : "the SMPP queue is full");
			return;
		}
		p->next = w->pending;
		w->pending = p;
		return;
	}
	{
		const struct cfg_sms *cs = l->cq->sms;
		struct sms_http_out o = {cs->url, cs->secret, cs->token, 10000};
		err = sms_http_send(&o, cs->number, jstr(job, "to"), jstr(job, "body"),
				    jstr(job, "interaction"), id, sizeof(id), why, sizeof(why));
		if (err)
			log_warn("channels",
				 "tenant=%s queue=%s event=sms_http_failed reason=\"%s\"",
				 l->ct->id, l->cq->id, why);
		sent(w, job, !err, id, err ? why : NULL);
	}
}

static void smpp_sent(struct eng_smser *w, json_t *job)
{
	uint64_t cookie = (uint64_t)json_integer_value(json_object_get(job, "cookie"));

	for (struct sw_pending **pp = &w->pending; *pp; pp = &(*pp)->next)
		if ((*pp)->cookie == cookie) {
			struct sw_pending *p = *pp;
			*pp = p->next;
			sent(w, p->job, json_is_true(json_object_get(job, "ok")), jstr(job, "ids"),
			     json_string_value(json_object_get(job, "why")));
			json_decref(p->job);
			free(p);
			return;
		}
}

static void reconcile(struct eng_smser *w, const struct cfg *c);
static void resend_orphans(struct eng_smser *w);

static void jobs_run(struct eng_smser *w)
{
	json_t *job;

	while ((job = eng__worker_pop(&w->wk))) {
		const char *kind;
		struct sw_line *l;
		kind = jstr(job, "kind");
		l = line_of(w, job);
		if (!strcmp(kind, "in") && l)
			text_in(w, l, job);
		else if (!strcmp(kind, "in"))
			log_warn("channels",
				 "tenant=%s queue=%s event=sms_dropped reason=\"the queue's number "
				 "was removed by a reload\"",
				 jstr(job, "tenant"), jstr(job, "queue"));
		else if (!strcmp(kind, "reload"))
			reconcile(w, (const struct cfg *)(intptr_t)json_integer_value(
					 json_object_get(job, "cfg")));
		else if (!strcmp(kind, "resend"))
			resend_orphans(w);
		else if (!strcmp(kind, "send"))
			send_one(w, job);
		else if (!strcmp(kind, "smpp_sent"))
			smpp_sent(w, job);
		else if (!strcmp(kind, "receipt") && l)
			post(w, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "receipt",
					  "tenant", l->ct->id, "queue", l->cq->id, "id",
					  jstr(job, "id"), "stat", jstr(job, "stat"), "err",
					  jstr(job, "err")));
		json_decref(job);
	}
}

#define SMS_RESUME_MAX 500

static int stored_cb(const struct crm_interaction *ix, void *arg)
{
	json_t **out = arg, *tl = ix->timeline_json ? json_loads(ix->timeline_json, 0, NULL) : NULL;

	*out = json_pack("{s:o, s:s?, s:s?, s:s?, s:s?, s:I}", "timeline", tl ? tl : json_array(),
			 "agent", ix->agent, "from", ix->from, "to", ix->to, "contact", ix->contact,
			 "created_ms", (json_int_t)ix->created_ms);
	return 0;
}

static int open_cb(const struct crm_interaction *ix, void *arg)
{
	if (!ix->ended_ms && ix->id)
		json_array_append_new(arg, json_string(ix->id));
	return 0;
}

/* The conversations of l's queue left open by the last run, back to the engine (the
 * oldest first), each with its CRM contact. */
static void resume_line(struct sw_line *l)
{
	struct store_ix_search q;
	json_t *ids = json_array();
	size_t i;
	int err;

	memset(&q, 0, sizeof(q));
	q.f.queue = l->cq->id;
	q.f.limit = SMS_RESUME_MAX;
	q.channel = "sms";
	q.abandoned = -1;
	if ((err = store_db_interactions_search(l->w->wk.db, l->ct->id, &q, open_cb, ids)))
		log_warn("channels", "tenant=%s queue=%s event=sms_resume_failed err=%s", l->ct->id,
			 l->cq->id, strerror(err));
	for (i = json_array_size(ids); i-- > 0;) {
		const char *id = json_string_value(json_array_get(ids, i));
		json_t *stored = NULL, *contact;
		if (store_db_interaction_get(l->w->wk.db, l->ct->id, id, stored_cb, &stored) ||
		    !stored)
			continue;
		contact = contact_of(l->w, l->ct->id, jstr(stored, "from"));
		post(l->w, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "type", "resume", "tenant",
				     l->ct->id, "queue", l->cq->id, "interaction", id, "stored",
				     stored, "contact", contact ? contact : json_null()));
	}
	json_decref(ids);
}

/* Starts the line of cq's number (its SMPP session, if that is its gateway). */
static struct sw_line *line_start(struct eng_smser *w, const struct cfg_tenant *ct,
				  const struct cfg_queue *cq)
{
	const struct cfg_sms *cs = cq->sms;
	struct sw_line *l = calloc(1, sizeof(*l));
	struct smpp_events ev = {l, on_message, on_receipt, on_sent, NULL};
	struct smpp_conf c = {0};
	char name[200];
	int err;

	if (!l) {
		log_error("channels", "tenant=%s queue=%s event=sms_number_not_started err=%s",
			  ct->id, cq->id, strerror(ENOMEM));
		return NULL;
	}
	l->w = w;
	l->id = ++w->next_line;
	l->ct = ct;
	l->cq = cq;
	if (!(l->tenant = strdup(ct->id)) || !(l->queue = strdup(cq->id))) {
		log_error("channels", "tenant=%s queue=%s event=sms_number_not_started err=%s",
			  ct->id, cq->id, strerror(ENOMEM));
		free(l->tenant);
		free(l);
		return NULL;
	}
	l->next = w->lines;
	w->lines = l;
	log_info("channels", "tenant=%s queue=%s event=sms_number gateway=%s", ct->id, cq->id,
		 cs->gateway);
	if (strcmp(cs->gateway, "smpp"))
		return l;
	snprintf(name, sizeof(name), "%s/%s", ct->id, cq->id);
	c.host = cs->smpp_host;
	c.port = cs->smpp_port;
	c.bind.system_id = cs->system_id;
	c.bind.password = cs->password;
	c.bind.system_type = cs->system_type;
	c.source.addr = cs->number[0] == '+' ? cs->number + 1 : cs->number;
	c.source.ton = cs->number[0] == '+' ? 1 : 5;
	c.source.npi = cs->number[0] == '+' ? 1 : 0;
	c.enquire_ms = (int)cs->enquire_ms;
	c.response_ms = 10000;
	c.reconnect_min_ms = 1000;
	c.reconnect_max_ms = (int)cs->reconnect_max_ms;
	c.receipts = cs->receipts;
	c.log_name = name;
	if ((err = smpp_session_start(&c, &ev, &l->smpp)))
		log_error("channels", "tenant=%s queue=%s event=smpp_not_started err=%s", ct->id,
			  cq->id, strerror(err));
	return l;
}

static void line_free(struct sw_line *l)
{
	free(l->tenant);
	free(l->queue);
	free(l);
}

/* Stops l's session (its callbacks have all run when this returns: what they queued is in
 * the job queue, before anything pushed after) and forgets l. Texts it had not had
 * acknowledged are marked to be submitted again. */
static void line_stop(struct eng_smser *w, struct sw_line *l)
{
	smpp_session_stop(l->smpp);
	for (struct sw_pending *p = w->pending; p; p = p->next)
		if (p->line == l->id)
			p->orphan = true;
	for (struct sw_line **pp = &w->lines; *pp; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	line_free(l);
}

/* The texts of stopped sessions not acknowledged before the stop, through the queue's
 * line now (a reload's new session) or failed when the queue has no number any more.
 * A text the SMSC took just before the stop was acknowledged in a job ahead of this one
 * and is not here (sent once); a part taken without its acknowledgement goes twice. */
static void resend_orphans(struct eng_smser *w)
{
	for (struct sw_pending **pp = &w->pending; *pp;) {
		struct sw_pending *p = *pp;
		if (!p->orphan) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		json_object_del(p->job, "line");
		log_info("channels", "tenant=%s interaction=%s event=sms_resubmitted",
			 jstr(p->job, "tenant"), jstr(p->job, "interaction"));
		send_one(w, p->job); /* a new pending, or the failure reported */
		json_decref(p->job);
		free(p);
	}
}

/* A reload: lines whose queue's number is unchanged stay as they are (their session
 * bound, their texts in flight); changed ones are stopped and started again, removed
 * ones stopped, new ones started. */
static void reconcile(struct eng_smser *w, const struct cfg *c)
{
	unsigned kept = 0, started = 0, stopped = 0;
	bool orphans = false;

	for (struct sw_line *l = w->lines, *next; l; l = next) {
		const struct cfg_tenant *nt = cfg_tenant_find(c, l->ct->id);
		const struct cfg_queue *nq = nt ? cfg_queue_find(nt, l->cq->id) : NULL;
		next = l->next;
		if (nq && cfg_sms_same(l->cq->sms, nq->sms)) {
			l->ct = nt;
			l->cq = nq;
			kept++;
			continue;
		}
		log_info("channels", "tenant=%s queue=%s event=sms_number_stopped reason=%s",
			 l->ct->id, l->cq->id, nq && nq->sms ? "changed" : "removed");
		line_stop(w, l);
		stopped++;
	}
	for (size_t i = 0; i < c->ntenants; i++)
		for (size_t j = 0; j < c->tenants[i].nqueues; j++) {
			const struct cfg_queue *cq = &c->tenants[i].queues[j];
			bool have = false;
			if (!cq->sms)
				continue;
			for (struct sw_line *l = w->lines; l && !have; l = l->next)
				have = l->cq == cq;
			if (!have && line_start(w, &c->tenants[i], cq))
				started++;
		}
	for (struct sw_pending *p = w->pending; p && !orphans; p = p->next)
		orphans = p->orphan;
	if (orphans && eng__smser_job(w, json_pack("{s:s}", "kind", "resend")))
		resend_orphans(w); /* the queue is full: now, at the risk of a duplicate */
	log_info("channels", "event=sms_reloaded kept=%u started=%u stopped=%u", kept, started,
		 stopped);
}

static void *run(void *arg)
{
	struct eng_smser *w = arg;

	pthread_setname_np(pthread_self(), "sms");

	for (struct sw_line *l = w->lines; l && !w->wk.stop; l = l->next)
		resume_line(l);
	while (!w->wk.stop) {
		eng__worker_wait(&w->wk, 200);
		jobs_run(w);
	}
	jobs_run(w);
	return NULL;
}

int eng__smser_reload(struct eng_smser *w, const struct cfg *c)
{
	return eng__smser_job(
	    w, json_pack("{s:s, s:I}", "kind", "reload", "cfg", (json_int_t)(intptr_t)c));
}

int eng__smser_start(struct engine *e, struct eng_smser **out)
{
	struct eng_smser *w;
	size_t n = 0;
	int err;

	*out = NULL;
	for (size_t i = 0; i < e->cfg->ntenants; i++)
		for (size_t j = 0; j < e->cfg->tenants[i].nqueues; j++)
			n += e->cfg->tenants[i].queues[j].sms != NULL;
	if (!n)
		return 0;
	if (!(w = calloc(1, sizeof(*w))))
		return ENOMEM;
	w->e = e;
	w->api = e->api;
	w->out = e->sms_events;
	if ((err = eng__worker_open(&w->wk, e->cfg->store))) {
		free(w);
		return err;
	}
	for (size_t i = 0; i < e->cfg->ntenants; i++)
		for (size_t j = 0; j < e->cfg->tenants[i].nqueues; j++)
			if (e->cfg->tenants[i].queues[j].sms)
				line_start(w, &e->cfg->tenants[i], &e->cfg->tenants[i].queues[j]);
	if ((err = eng__worker_run(&w->wk, run, w))) {
		while (w->lines)
			line_stop(w, w->lines);
		eng__worker_close(&w->wk);
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

void eng__smser_stop(struct eng_smser *w)
{
	if (!w)
		return;
	/* The sessions first: their callbacks post into the job queue. */
	for (struct sw_line *l = w->lines; l; l = l->next) {
		smpp_session_stop(l->smpp);
		l->smpp = NULL;
	}
	eng__worker_close(&w->wk);
	while (w->pending) {
		struct sw_pending *p = w->pending;
		w->pending = p->next;
		json_decref(p->job);
		free(p);
	}
	while (w->lines) {
		struct sw_line *l = w->lines;
		w->lines = l->next;
		line_free(l);
	}
	free(w);
}
