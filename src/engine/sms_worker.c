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
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/sms.h"
#include "core/clock.h"
#include "core/log.h"

struct sw_line {
	struct eng_smser *w;
	const struct cfg_tenant *ct;
	const struct cfg_queue *cq;
	struct smpp_session *smpp; /* NULL: the HTTP gateway */
};

/* A text submitted through SMPP, waiting for the SMSC's word (by cookie). */
struct sw_pending {
	uint64_t cookie;
	json_t *job;
	struct sw_pending *next;
};

struct eng_smser {
	struct engine *e;
	struct api *api;
	struct mq *jobs; /* json_t * */
	struct mq *out;	 /* e->sms_events */
	struct store_db *db;
	struct sw_line *lines;
	size_t nlines;
	struct sw_pending *pending;
	uint64_t next_cookie;
	pthread_t th;
	volatile int stop;
};

struct job_msg {
	json_t *job;
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
	struct job_msg m = {.job = job};
	int err;

	if (!w) {
		json_decref(job);
		return ENOENT;
	}
	if ((err = mq_push(w->jobs, &m, sizeof(m))))
		json_decref(job);
	return err;
}

/* ---- the SMPP sessions' callbacks (their threads): into the job queue ---- */

static int on_message(void *arg, const char *from, const char *to, const char *text)
{
	struct sw_line *l = arg;

	return eng__smser_job(l->w, json_pack("{s:s, s:I, s:s, s:s, s:s}", "kind", "in", "line",
					      (json_int_t)(l - l->w->lines), "from", from, "to", to,
					      "text", text));
}

static void on_receipt(void *arg, const struct sms_receipt *r)
{
	struct sw_line *l = arg;

	eng__smser_job(l->w, json_pack("{s:s, s:I, s:s, s:s, s:s}", "kind", "receipt", "line",
				       (json_int_t)(l - l->w->lines), "id", r->id, "stat", r->stat,
				       "err", r->err));
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
	int err = store_db_contact_find_phone(w->db, tenant, e164, &c);

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

static struct sw_line *line_of(struct eng_smser *w, const json_t *job)
{
	json_int_t i = json_integer_value(json_object_get(job, "line"));
	const char *tenant = jstr(job, "tenant"), *queue = jstr(job, "queue");

	if (json_object_get(job, "line"))
		return i >= 0 && (size_t)i < w->nlines ? &w->lines[i] : NULL;
	for (size_t k = 0; k < w->nlines; k++)
		if (!strcmp(w->lines[k].ct->id, tenant) && !strcmp(w->lines[k].cq->id, queue))
			return &w->lines[k];
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
	if ((err = store_db_dnc_has(w->db, tenant, STORE_DNC_SMS, from, &has)))
		goto out;
	if (k == SMS_KEYWORD_STOP) {
		if (!has && (err = store_db_dnc_put(w->db, tenant, STORE_DNC_SMS, from, "sms_stop",
						    clock_wall_ms())))
			goto out;
		*changed = !has;
		if (l->cq->sms->opt_out_dialer) {
			if ((err = store_db_dnc_put(w->db, tenant, "", from, "sms_stop",
						    clock_wall_ms())))
				goto out;
			*dialer = true;
		}
	} else {
		if (has && (err = store_db_dnc_delete(w->db, tenant, STORE_DNC_SMS, from)))
			goto out;
		*changed = has;
		/* Only what a STOP put on the campaigns' list: not an agent's disposition. */
		if ((err = store_db_dnc_delete_source(w->db, tenant, "", from, "sms_stop")))
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

/* The result of a send, to the engine and to the request that asked for it (`status`
 * and `code` the error's when not ok; 0 and NULL: 502 not_sent). */
static void sent_as(struct eng_smser *w, json_t *job, bool ok, const char *ids, const char *why,
		    int status, const char *code)
{
	uint64_t req = (uint64_t)json_integer_value(json_object_get(job, "req"));

	if (req && w->api) {
		if (ok)
			api_reply(w->api, req, 200,
				  json_pack("{s:s, s:s}", "interaction", jstr(job, "interaction"),
					    "message_id", ids ? ids : ""));
		else
			api_reply_error(w->api, req, status ? status : 502,
					code ? code : "not_sent", why ? why : "not sent");
	}
	post(w,
	     json_pack("{s:s, s:s, s:s, s:b, s:s, s:s?, s:s, s:s, s:s?, s:b}", "type", "sent",
		       "tenant", jstr(job, "tenant"), "interaction", jstr(job, "interaction"), "ok",
		       ok, "ids", ids ? ids : "", "why", why, "body", jstr(job, "body"), "to",
		       jstr(job, "to"), "agent", json_string_value(json_object_get(job, "agent")),
		       "confirm", json_is_true(json_object_get(job, "confirm"))));
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
	if ((err = store_db_dnc_has(w->db, jstr(job, "tenant"), STORE_DNC_SMS, jstr(job, "to"),
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

static void jobs_run(struct eng_smser *w)
{
	unsigned char buf[MQ_MSG_MAX];
	struct job_msg m;

	mq_drain_fd(w->jobs);
	while (mq_pop(w->jobs, buf) == sizeof(m)) {
		const char *kind;
		struct sw_line *l;

		memcpy(&m, buf, sizeof(m));
		kind = jstr(m.job, "kind");
		l = line_of(w, m.job);
		if (!strcmp(kind, "in") && l)
			text_in(w, l, m.job);
		else if (!strcmp(kind, "send"))
			send_one(w, m.job);
		else if (!strcmp(kind, "smpp_sent"))
			smpp_sent(w, m.job);
		else if (!strcmp(kind, "receipt") && l)
			post(w, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "receipt",
					  "tenant", l->ct->id, "queue", l->cq->id, "id",
					  jstr(m.job, "id"), "stat", jstr(m.job, "stat"), "err",
					  jstr(m.job, "err")));
		json_decref(m.job);
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
	if ((err = store_db_interactions_search(l->w->db, l->ct->id, &q, open_cb, ids)))
		log_warn("channels", "tenant=%s queue=%s event=sms_resume_failed err=%s", l->ct->id,
			 l->cq->id, strerror(err));
	for (i = json_array_size(ids); i-- > 0;) {
		const char *id = json_string_value(json_array_get(ids, i));
		json_t *stored = NULL, *contact;
		if (store_db_interaction_get(l->w->db, l->ct->id, id, stored_cb, &stored) ||
		    !stored)
			continue;
		contact = contact_of(l->w, l->ct->id, jstr(stored, "from"));
		post(l->w, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "type", "resume", "tenant",
				     l->ct->id, "queue", l->cq->id, "interaction", id, "stored",
				     stored, "contact", contact ? contact : json_null()));
	}
	json_decref(ids);
}

static void *run(void *arg)
{
	struct eng_smser *w = arg;

	for (size_t i = 0; i < w->nlines && !w->stop; i++)
		resume_line(&w->lines[i]);
	while (!w->stop) {
		struct pollfd pfd = {.fd = mq_fd(w->jobs), .events = POLLIN};
		poll(&pfd, 1, 200);
		jobs_run(w);
	}
	jobs_run(w);
	return NULL;
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
	if (!(w = calloc(1, sizeof(*w))) || !(w->lines = calloc(n, sizeof(*w->lines)))) {
		free(w);
		return ENOMEM;
	}
	w->e = e;
	w->api = e->api;
	w->out = e->sms_events;
	if ((err = mq_alloc(&w->jobs, 4096)) || (err = store_db_open(e->cfg->store, &w->db))) {
		if (w->jobs)
			mq_free(w->jobs);
		free(w->lines);
		free(w);
		return err;
	}
	for (size_t i = 0; i < e->cfg->ntenants; i++)
		for (size_t j = 0; j < e->cfg->tenants[i].nqueues; j++) {
			const struct cfg_queue *cq = &e->cfg->tenants[i].queues[j];
			struct sw_line *l;
			if (!cq->sms)
				continue;
			l = &w->lines[w->nlines++];
			l->w = w;
			l->ct = &e->cfg->tenants[i];
			l->cq = cq;
			log_info("channels", "tenant=%s queue=%s event=sms_number gateway=%s",
				 l->ct->id, cq->id, cq->sms->gateway);
		}
	if ((err = pthread_create(&w->th, NULL, run, w))) {
		store_db_close(w->db);
		mq_free(w->jobs);
		free(w->lines);
		free(w);
		return err;
	}
	/* The sessions after the thread: their first texts find it running. */
	for (size_t i = 0; i < w->nlines; i++) {
		struct sw_line *l = &w->lines[i];
		const struct cfg_sms *cs = l->cq->sms;
		struct smpp_events ev = {l, on_message, on_receipt, on_sent, NULL};
		struct smpp_conf c = {0};
		char name[200];
		if (strcmp(cs->gateway, "smpp"))
			continue;
		snprintf(name, sizeof(name), "%s/%s", l->ct->id, l->cq->id);
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
			log_error("channels", "tenant=%s queue=%s event=smpp_not_started err=%s",
				  l->ct->id, l->cq->id, strerror(err));
	}
	*out = w;
	return 0;
}

void eng__smser_stop(struct eng_smser *w)
{
	unsigned char buf[MQ_MSG_MAX];
	struct job_msg m;

	if (!w)
		return;
	/* The sessions first: their callbacks post into the job queue. */
	for (size_t i = 0; i < w->nlines; i++)
		smpp_session_stop(w->lines[i].smpp);
	w->stop = 1;
	pthread_join(w->th, NULL);
	while (mq_pop(w->jobs, buf) == sizeof(m)) {
		memcpy(&m, buf, sizeof(m));
		json_decref(m.job);
	}
	while (w->pending) {
		struct sw_pending *p = w->pending;
		w->pending = p->next;
		json_decref(p->job);
		free(p);
	}
	mq_free(w->jobs);
	store_db_close(w->db);
	free(w->lines);
	free(w);
}
