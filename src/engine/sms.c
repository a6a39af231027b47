/*
 * The SMS channel on the engine's thread, on the email channel's model (mail.c): a
 * conversation with one customer's number at one queue's number is one interaction
 * (channel `sms`). Its first text makes it a contact of the queue's SMS ACD queue; the
 * customer's next texts join it (and go to its agent's desktop); the agent accepts,
 * replies and closes through the API, and closing frees the agent's SMS capacity. A text
 * after the close starts a new conversation. Every text in and out, with its time, its
 * agent and its delivery receipt, is an event of the interaction's timeline, written to
 * the store at each change. No SQL and no network on this thread: the worker
 * (sms_worker.c) sends and looks contacts up.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/sms.h"
#include "core/clock.h"
#include "core/log.h"

#define SMS_STICKY_MS 60000

struct eng_sms {
	uint64_t ref;
	struct engine *e;
	struct eng_tenant *t;
	struct eng_queue *q;
	char ix_id[CRM_ID_SIZE];
	char queue[64];
	char from[32]; /* the customer's number, E.164 when it is one */
	char to[32];   /* the queue's number */
	char agent[64];
	char contact_id[CRM_ID_SIZE];
	json_t *crm;
	struct eng_user *offered, *holder;
	uint32_t contact;
	int64_t created_ms, queued_ms, offered_ms, answered_ms, ended_ms;
	json_t *timeline;
	/* Opened by a STOP or START alone: never queued, closed by the system once its
	 * confirmation is sent (or at once when none goes). */
	bool close_when_sent;
	unsigned confirms_out; /* confirmations sent whose outcome has not come back */
	const char *closed_by; /* "agent" (default) or "system" */
	struct eng_sms *next;
	/* In e->sms_by_ix, e->sms_by_ref and e->sms_by_from (tenant, queue, customer). */
	struct hindex_node by_ix, by_ref, by_from;
	struct sms_sent_id *sent_ids; /* its texts' message ids, for their receipts */
};

/* A message id the gateway gave a text of conversation m (each part has one), in
 * e->sms_by_msgid, so that a receipt finds its conversation and text at once. */
struct sms_sent_id {
	struct hindex_node node;
	struct eng_sms *m;
	json_t *ev; /* the sms_out event on m's timeline (borrowed) */
	struct sms_sent_id *next;
	char id[];
};

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static struct eng_sms *sms_by_ix(struct engine *e, struct eng_tenant *t, const char *ix)
{
	size_t h = hindex_str(ix);

	for (struct hindex_node *n = hindex_first(&e->sms_by_ix, h); n; n = hindex_next(n, h)) {
		struct eng_sms *m = HINDEX_ENTRY(n, struct eng_sms, by_ix);
		if (m->t == t && !strcmp(m->ix_id, ix))
			return m;
	}
	return NULL;
}

static struct eng_sms *sms_by_ref(struct engine *e, uint64_t ref)
{
	size_t h = hindex_u64(ref);

	for (struct hindex_node *n = hindex_first(&e->sms_by_ref, h); n; n = hindex_next(n, h)) {
		struct eng_sms *m = HINDEX_ENTRY(n, struct eng_sms, by_ref);
		if (m->ref == ref)
			return m;
	}
	return NULL;
}

static size_t from_hash(const struct eng_tenant *t, const struct eng_queue *q, const char *from)
{
	return hindex_str2(t->ct->id, from) ^ hindex_str(q->cq->id);
}

/* The conversation open with `from` on q's number. */
static struct eng_sms *sms_open(struct engine *e, struct eng_tenant *t, struct eng_queue *q,
				const char *from)
{
	size_t h = from_hash(t, q, from);

	for (struct hindex_node *n = hindex_first(&e->sms_by_from, h); n; n = hindex_next(n, h)) {
		struct eng_sms *m = HINDEX_ENTRY(n, struct eng_sms, by_from);
		if (m->t == t && m->q == q && !strcmp(m->from, from))
			return m;
	}
	return NULL;
}

static void sms_free(struct eng_sms *m)
{
	for (struct sms_sent_id *s = m->sent_ids, *next; s; s = next) {
		next = s->next;
		hindex_remove(&m->e->sms_by_msgid, &s->node);
		free(s);
	}
	json_decref(m->crm);
	json_decref(m->timeline);
	free(m);
}

static void sms_unlink(struct eng_sms *m)
{
	for (struct eng_sms **p = &m->e->smss; *p; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			break;
		}
	hindex_remove(&m->e->sms_by_ix, &m->by_ix);
	hindex_remove(&m->e->sms_by_ref, &m->by_ref);
	hindex_remove(&m->e->sms_by_from, &m->by_from);
}

/* Indexes the message ids (comma-separated) of ev, an sms_out event of m's timeline.
 * An id that cannot be indexed (no memory) only costs its receipt. */
static void sent_ids_add(struct eng_sms *m, json_t *ev)
{
	const char *ids = json_string_value(json_object_get(ev, "ids"));

	for (const char *p = ids; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		struct sms_sent_id *s = len ? malloc(sizeof(*s) + len + 1) : NULL;
		if (s) {
			memcpy(s->id, p, len);
			s->id[len] = '\0';
			s->m = m;
			s->ev = ev;
			if (hindex_add(&m->e->sms_by_msgid, &s->node,
				       hindex_str2(m->t->ct->id, s->id))) {
				free(s);
			} else {
				s->next = m->sent_ids;
				m->sent_ids = s;
			}
		}
		p = c ? c + 1 : NULL;
	}
}

static void timeline_add(struct eng_sms *m, const char *event, json_t *ev)
{
	char ts[32];

	if (!ev)
		ev = json_object();
	if (!ev)
		return;
	json_object_set_new(ev, "ts", json_string(clock_iso8601(clock_wall_ms(), ts, sizeof(ts))));
	json_object_set_new(ev, "event", json_string(event));
	json_array_append_new(m->timeline, ev);
}

static void sms_write(struct eng_sms *m)
{
	struct crm_interaction ix;
	char *timeline = json_dumps(m->timeline, JSON_COMPACT);
	int err;

	memset(&ix, 0, sizeof(ix));
	ix.tenant = m->t->ct->id;
	ix.id = m->ix_id;
	ix.channel = CRM_CHANNEL_SMS;
	ix.direction = CRM_DIR_INBOUND;
	ix.contact = m->contact_id[0] ? m->contact_id : NULL;
	ix.from = m->from;
	ix.to = m->to;
	ix.number = m->to;
	ix.queue = m->queue;
	ix.agent = m->agent[0] ? m->agent : NULL;
	ix.created_ms = m->created_ms;
	ix.queued_ms = m->queued_ms;
	ix.offered_ms = m->offered_ms;
	ix.answered_ms = m->answered_ms;
	ix.ended_ms = m->ended_ms;
	ix.hangup_by = m->ended_ms ? (m->closed_by ? m->closed_by : "agent") : NULL;
	ix.timeline_json = timeline;
	crm_interaction_durations(&ix);
	if (m->e->store &&
	    (err = store_interaction_submit(m->e->store, &ix, m->e->store_events, 0)))
		log_error("engine", "tenant=%s interaction=%s event=store_submit_failed err=%s",
			  ix.tenant, m->ix_id, strerror(err));
	free(timeline);
}

/* The conversation's texts for the desktop: the sms events of its timeline. */
static json_t *messages_json(const struct eng_sms *m)
{
	json_t *out = json_array(), *ev;
	size_t i;

	json_array_foreach(m->timeline, i, ev)
	{
		const char *name = jstr(ev, "event");
		if (!strcmp(name, "sms_in") || !strcmp(name, "sms_out"))
			json_array_append_new(out, json_deep_copy(ev));
	}
	return out;
}

static void sms_event(struct eng_sms *m, const char *type, struct eng_user *u)
{
	struct engine *e = m->e;
	const char *agent = u ? u->cu->username : m->agent[0] ? m->agent : NULL;
	int64_t now = clock_wall_ms();
	json_t *d;

	if (!e->api)
		return;
	d = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s}", "interaction", m->ix_id, "channel", "sms",
		      "from", m->from, "to", m->to, "agent", agent, "queue", m->queue);
	if (!d)
		return;
	if (m->queued_ms)
		json_object_set_new(
		    d, "wait_s",
		    json_real((double)((m->answered_ms ? m->answered_ms : now) - m->queued_ms) /
			      1000.0));
	json_object_set_new(d, "contact", m->crm ? json_deep_copy(m->crm) : json_null());
	json_object_set_new(d, "ivr", json_object());
	json_object_set_new(d, "messages", messages_json(m));
	api_event(e->api, m->t->ct->id, type, agent, d);
	eng__queue_dirty(m->q);
}

static int sms_enqueue(struct eng_sms *m, const char *prefer)
{
	struct eng_tenant *t = m->t;
	struct acd_contact_params p;
	struct eng_user *u =
	    prefer && *prefer ? strmap_get2(t->e->usernames, t->ct->id, prefer) : NULL;
	int err;

	if (m->q->sms_id == ACD_NONE || !t->acd)
		return ENOENT;
	acd_contact_params_default(&p);
	p.queue = m->q->sms_id;
	p.ref = ENG_SMS_REF | m->ref;
	if (u && u->agent != ACD_NONE) {
		p.preferred_agent = u->agent;
		p.sticky_ms = m->q->cq->sticky_ms ? 0 : SMS_STICKY_MS;
	}
	m->queued_ms = clock_wall_ms();
	m->offered_ms = m->answered_ms = m->ended_ms = 0;
	m->holder = m->offered = NULL;
	timeline_add(m, "queued", json_pack("{s:s}", "queue", m->queue));
	err = acd_contact_enqueue(t->acd, &p, clock_mono_ms(), &m->contact);
	if (err == ENOENT && p.preferred_agent != ACD_NONE) {
		p.preferred_agent = ACD_NONE;
		err = acd_contact_enqueue(t->acd, &p, clock_mono_ms(), &m->contact);
	}
	if (err)
		m->contact = ACD_NONE;
	eng__acd_arm(t);
	if (!err && !m->offered_ms)
		sms_event(m, "contact.queued", NULL);
	return err;
}

/* A conversation with `from` on q's number, under interaction id ix (NULL: a new one). */
static struct eng_sms *sms_new(struct engine *e, struct eng_tenant *t, struct eng_queue *q,
			       const char *from, const char *to, const char *ix)
{
	struct eng_sms *m = calloc(1, sizeof(*m));

	if (!m || !(m->timeline = json_array())) {
		if (m)
			sms_free(m);
		return NULL;
	}
	m->e = e;
	m->t = t;
	m->q = q;
	m->ref = ++e->next_sms_ref;
	if (ix)
		copy(m->ix_id, sizeof(m->ix_id), ix);
	else
		crm_id_new(m->ix_id);
	m->contact = ACD_NONE;
	copy(m->queue, sizeof(m->queue), q->cq->id);
	copy(m->from, sizeof(m->from), from);
	copy(m->to, sizeof(m->to), to);
	m->created_ms = clock_wall_ms();
	if (hindex_add(&e->sms_by_ix, &m->by_ix, hindex_str(m->ix_id))) {
		sms_free(m);
		return NULL;
	}
	if (hindex_add(&e->sms_by_ref, &m->by_ref, hindex_u64(m->ref))) {
		hindex_remove(&e->sms_by_ix, &m->by_ix);
		sms_free(m);
		return NULL;
	}
	if (hindex_add(&e->sms_by_from, &m->by_from, from_hash(t, q, m->from))) {
		hindex_remove(&e->sms_by_ix, &m->by_ix);
		hindex_remove(&e->sms_by_ref, &m->by_ref);
		sms_free(m);
		return NULL;
	}
	timeline_add(m, "created", json_pack("{s:s, s:s}", "from", from, "to", to));
	m->next = e->smss;
	e->smss = m;
	return m;
}

/* A conversation left open by the last run (read back from the store by the worker):
 * its record and timeline taken back, queued again with its agent first. */
static void sms_resume(struct engine *e, json_t *j)
{
	struct eng_tenant *t = eng__tenant_find(e, jstr(j, "tenant"));
	struct eng_queue *q = t ? eng__queue(e, t, jstr(j, "queue")) : NULL;
	const json_t *st = json_object_get(j, "stored"), *tl = json_object_get(st, "timeline");
	struct eng_sms *m;

	if (!t || !q || !q->cq->sms || !*jstr(j, "interaction") ||
	    sms_by_ix(e, t, jstr(j, "interaction")) ||
	    !(m = sms_new(e, t, q, jstr(st, "from"), jstr(st, "to"), jstr(j, "interaction"))))
		return;
	if (json_is_array(tl)) {
		json_t *ev;
		size_t i;
		json_decref(m->timeline);
		if (!(m->timeline = json_deep_copy(tl)))
			m->timeline = json_array();
		json_array_foreach(m->timeline, i, ev) if (!strcmp(jstr(ev, "event"), "sms_out"))
		    sent_ids_add(m, ev);
	}
	copy(m->agent, sizeof(m->agent), jstr(st, "agent"));
	copy(m->contact_id, sizeof(m->contact_id), jstr(st, "contact"));
	if (json_integer_value(json_object_get(st, "created_ms")))
		m->created_ms = json_integer_value(json_object_get(st, "created_ms"));
	if (json_is_object(json_object_get(j, "contact"))) {
		m->crm = json_deep_copy(json_object_get(j, "contact"));
		copy(m->contact_id, sizeof(m->contact_id), jstr(m->crm, "id"));
	}
	log_info("engine", "tenant=%s interaction=%s event=sms_resumed queue=%s", t->ct->id,
		 m->ix_id, m->queue);
	if (sms_enqueue(m, m->agent))
		log_warn("engine", "tenant=%s interaction=%s event=sms_not_queued", t->ct->id,
			 m->ix_id);
	sms_write(m);
}

/* The confirmation of a STOP or START in the tenant's language (pl, es, ru; else English),
 * unless the tenant wrote its own. */
static const char *opt_text(const struct eng_tenant *t, const struct cfg_sms *cs, bool stop)
{
	const char *l = t->ct->language ? t->ct->language : "";

	if (stop && cs->reply_stop)
		return cs->reply_stop;
	if (!stop && cs->reply_start)
		return cs->reply_start;
	/* Each fits one part (70 characters outside the GSM alphabet). */
	if (!strncmp(l, "pl", 2))
		return stop ? "Nie wyślemy już SMS-ów. Odpisz START, aby je wznowić."
			    : "Wznowiono SMS-y. Odpisz STOP, aby z nich zrezygnować.";
	if (!strncmp(l, "es", 2))
		return stop ? "No recibirá más mensajes. Responda ALTA para volver a recibirlos."
			    : "Volverá a recibir mensajes. Responda BAJA para darse de baja.";
	if (!strncmp(l, "ru", 2))
		return stop ? "Вы отписаны от сообщений. Ответьте СТАРТ, чтобы подписаться снова."
			    : "Вы снова подписаны на сообщения. Ответьте СТОП, чтобы отписаться.";
	return stop ? "You will get no more texts from us. Reply START to get them again."
		    : "You will get our texts again. Reply STOP to stop them.";
}

static void sms_close_system(struct eng_sms *m)
{
	if (m->contact != ACD_NONE) {
		acd_contact_end(m->t->acd, m->contact, clock_mono_ms());
		eng__acd_arm(m->t);
		m->contact = ACD_NONE;
	}
	m->ended_ms = clock_wall_ms();
	m->closed_by = "system";
	timeline_add(m, "closed", json_pack("{s:s}", "by", "system"));
	log_info("engine", "tenant=%s interaction=%s event=closed channel=sms by=system",
		 m->t->ct->id, m->ix_id);
	sms_write(m);
	sms_unlink(m);
	sms_free(m);
}

/* A STOP or START (the worker has changed the lists already): on the conversation's
 * timeline, its agent told, the confirmation sent once (when the number's state changed).
 * A conversation opened by it alone is not queued: it closes when the confirmation is
 * sent. Returns false when m is gone. */
static bool sms_opt(struct engine *e, struct eng_sms *m, json_t *j, bool fresh)
{
	bool stop = !strcmp(jstr(j, "opt_out"), "stop");
	bool confirm = json_is_true(json_object_get(j, "confirm"));
	json_t *job = NULL;

	timeline_add(m, stop ? "opted_out" : "opted_in",
		     json_pack("{s:s, s:s, s:b, s:b}", "number", m->from, "keyword",
			       jstr(j, "text"), "dialer",
			       json_is_true(json_object_get(j, "dialer")), "confirmed", confirm));
	log_info("engine", "tenant=%s interaction=%s event=%s queue=%s confirm=%d", m->t->ct->id,
		 m->ix_id, stop ? "sms_opted_out" : "sms_opted_in", m->queue, confirm);
	/* A START leaves the running campaigns' lists as they are (they may hold the number
	 * for another reason): they read the store's again at their next start. */
	if (stop && json_is_true(json_object_get(j, "dialer")))
		eng__camp_dnc_add_tenant(e, m->t, m->from);
	if (confirm && e->smser)
		job = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "kind", "send", "tenant",
				m->t->ct->id, "queue", m->queue, "interaction", m->ix_id, "to",
				m->from, "body", opt_text(m->t, m->q->cq->sms, stop), "confirm", 1);
	if (job && eng__smser_job(e->smser, job))
		job = NULL;
	if (job)
		m->confirms_out++;
	if (fresh) {
		m->close_when_sent = true;
		if (!m->confirms_out) {
			sms_close_system(m);
			return false;
		}
	}
	return true;
}

/* A customer's text, handed over by the worker. */
static void sms_in(struct engine *e, json_t *j)
{
	struct eng_tenant *t = eng__tenant_find(e, jstr(j, "tenant"));
	struct eng_queue *q = t ? eng__queue(e, t, jstr(j, "queue")) : NULL;
	struct eng_sms *m;
	bool fresh = false;

	if (!t || !q || !q->cq->sms) {
		log_warn("engine", "tenant=%s queue=%s event=sms_dropped reason=no_queue",
			 jstr(j, "tenant"), jstr(j, "queue"));
		return;
	}
	if (!(m = sms_open(e, t, q, jstr(j, "from")))) {
		if (!(m = sms_new(e, t, q, jstr(j, "from"), jstr(j, "to"), NULL)))
			return;
		fresh = true;
	}
	if (json_is_object(json_object_get(j, "contact"))) {
		json_decref(m->crm);
		m->crm = json_deep_copy(json_object_get(j, "contact"));
		copy(m->contact_id, sizeof(m->contact_id), jstr(m->crm, "id"));
	}
	timeline_add(m, "sms_in",
		     json_pack("{s:s, s:s, s:s}", "from", m->from, "body", jstr(j, "text"),
			       "gateway", jstr(j, "gateway")));
	log_info("engine", "tenant=%s interaction=%s event=sms_in queue=%s joined=%d", t->ct->id,
		 m->ix_id, m->queue, !fresh);
	if (*jstr(j, "opt_out") && (fresh || m->close_when_sent)) {
		/* No agent is asked to read a STOP or START alone. */
		if (sms_opt(e, m, j, true))
			sms_write(m);
		return;
	}
	if (*jstr(j, "opt_out") && !sms_opt(e, m, j, false))
		return;
	/* A text of another kind makes a STOP's or START's conversation an ordinary one. */
	m->close_when_sent = false;
	if (m->holder)
		sms_event(m, "contact.updated", m->holder);
	else if (m->offered)
		sms_event(m, "contact.updated", m->offered);
	else if (m->contact == ACD_NONE && sms_enqueue(m, fresh ? NULL : m->agent))
		log_warn("engine", "tenant=%s interaction=%s event=sms_not_queued", t->ct->id,
			 m->ix_id);
	sms_write(m);
}

static void sms_sent(struct engine *e, json_t *j)
{
	struct eng_tenant *t = eng__tenant_find(e, jstr(j, "tenant"));
	struct eng_sms *m = t ? sms_by_ix(e, t, jstr(j, "interaction")) : NULL;
	bool ok = json_is_true(json_object_get(j, "ok"));

	if (!m) {
		log_info("engine", "tenant=%s interaction=%s event=sms_sent_late ok=%d",
			 jstr(j, "tenant"), jstr(j, "interaction"), ok);
		eng__sms_reply_sent(e->api, j);
		return;
	}
	if (ok) {
		timeline_add(m, "sms_out",
			     json_pack("{s:s, s:s, s:s, s:s?, s:b}", "to", jstr(j, "to"), "body",
				       jstr(j, "body"), "ids", jstr(j, "ids"), "agent",
				       json_string_value(json_object_get(j, "agent")), "automatic",
				       json_is_true(json_object_get(j, "confirm"))));
		sent_ids_add(m, json_array_get(m->timeline, json_array_size(m->timeline) - 1));
	} else
		timeline_add(m, "sms_failed",
			     json_pack("{s:s, s:s, s:s?}", "body", jstr(j, "body"), "reason",
				       jstr(j, "why"), "agent",
				       json_string_value(json_object_get(j, "agent"))));
	if (m->holder)
		sms_event(m, "contact.updated", m->holder);
	/* On the timeline before the agent hears the answer. */
	eng__sms_reply_sent(e->api, j);
	if (json_is_true(json_object_get(j, "confirm")) && m->confirms_out)
		m->confirms_out--;
	if (m->close_when_sent && !m->confirms_out) {
		sms_close_system(m);
		return;
	}
	sms_write(m);
}

static void sms_receipt(struct engine *e, json_t *j)
{
	struct eng_tenant *t = eng__tenant_find(e, jstr(j, "tenant"));
	const char *id = jstr(j, "id");
	size_t h = t ? hindex_str2(t->ct->id, id) : 0;

	for (struct hindex_node *n = t && *id ? hindex_first(&e->sms_by_msgid, h) : NULL; n;
	     n = hindex_next(n, h)) {
		struct sms_sent_id *s = HINDEX_ENTRY(n, struct sms_sent_id, node);
		struct eng_sms *m = s->m;
		if (m->t != t || strcmp(s->id, id))
			continue;
		/* The text's latest state, for the desktop, and the receipt itself. */
		json_object_set_new(s->ev, "receipt", json_string(jstr(j, "stat")));
		timeline_add(m, "sms_receipt",
			     json_pack("{s:s, s:s, s:s}", "id", id, "stat", jstr(j, "stat"), "err",
				       jstr(j, "err")));
		if (m->holder)
			sms_event(m, "contact.updated", m->holder);
		sms_write(m);
		return;
	}
	/* Closed meanwhile, or not ours: the log keeps it. */
	log_info("engine", "tenant=%s event=sms_receipt_unmatched id=%s stat=%s", jstr(j, "tenant"),
		 id, jstr(j, "stat"));
}

static int sms_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct engine *e = (struct engine *)arg;
	unsigned char buf[MQ_MSG_MAX];
	struct eng_mail_msg msg;

	(void)magic;
	(void)w;
	mq_drain_fd(e->sms_events);
	while (mq_pop(e->sms_events, buf) == sizeof(msg)) {
		const char *type;
		memcpy(&msg, buf, sizeof(msg));
		type = jstr(msg.msg, "type");
		if (!strcmp(type, "sent"))
			sms_sent(e, msg.msg);
		else if (!strcmp(type, "receipt"))
			sms_receipt(e, msg.msg);
		else if (!strcmp(type, "resume"))
			sms_resume(e, msg.msg);
		else
			sms_in(e, msg.msg);
		json_decref(msg.msg);
	}
	return 0;
}

int eng__sms_start(struct engine *e)
{
	int err;

	if ((err = mq_alloc(&e->sms_events, 4096)))
		return err;
	su_wait_create(&e->sms_wait, mq_fd(e->sms_events), SU_WAIT_IN);
	e->sms_reg = su_root_register(e->root, &e->sms_wait, sms_ready, e, 0);
	if ((err = eng__smser_start(e, &e->smser)))
		log_error("engine", "event=sms_worker_failed err=%s", strerror(err));
	return err;
}

void eng__sms_stop(struct engine *e)
{
	unsigned char buf[MQ_MSG_MAX];
	struct eng_mail_msg msg;

	eng__smser_stop(e->smser);
	e->smser = NULL;
	if (e->sms_events) {
		sms_ready(NULL, NULL, (su_wakeup_arg_t *)e);
		su_root_deregister(e->root, e->sms_reg);
		while (mq_pop(e->sms_events, buf) == sizeof(msg)) {
			memcpy(&msg, buf, sizeof(msg));
			json_decref(msg.msg);
		}
		mq_free(e->sms_events);
		e->sms_events = NULL;
	}
	while (e->smss) {
		struct eng_sms *m = e->smss;
		e->smss = m->next;
		sms_free(m);
	}
	hindex_free(&e->sms_by_ix);
	hindex_free(&e->sms_by_ref);
	hindex_free(&e->sms_by_from);
	hindex_free(&e->sms_by_msgid);
}

/* ---- the ACD's side ---- */

void eng__sms_offer(struct eng_tenant *t, const struct acd_offer *o)
{
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct eng_sms *m = sms_by_ref(t->e, o->contact_ref & ~ENG_SMS_REF);

	if (!m) {
		acd_offer_reject(t->acd, o->contact, o->agent, clock_mono_ms());
		return;
	}
	m->offered = u;
	m->offered_ms = clock_wall_ms();
	timeline_add(m, "offered", json_pack("{s:s}", "agent", u->cu->username));
	log_info("engine", "tenant=%s interaction=%s event=offered channel=sms queue=%s agent=%s",
		 t->ct->id, m->ix_id, m->queue, u->cu->username);
	sms_event(m, "contact.offered", u);
}

void eng__sms_cancel(struct eng_tenant *t, const struct acd_offer *o, enum acd_cancel_reason why)
{
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct eng_sms *m = sms_by_ref(t->e, o->contact_ref & ~ENG_SMS_REF);

	if (!m)
		return;
	if (m->offered == u)
		m->offered = NULL;
	timeline_add(m,
		     why == ACD_CANCEL_TIMEOUT		   ? "offer_missed"
		     : why == ACD_CANCEL_AGENT_UNAVAILABLE ? "offer_withdrawn"
							   : "offer_cancelled",
		     json_pack("{s:s}", "agent", u->cu->username));
	if (t->e->api)
		api_event(t->e->api, t->ct->id, "contact.cancelled", u->cu->username,
			  json_pack("{s:s, s:s, s:s}", "interaction", m->ix_id, "channel", "sms",
				    "agent", u->cu->username));
}

void eng__sms_overflow(struct eng_tenant *t, const struct acd_overflow *ov)
{
	struct eng_sms *m = sms_by_ref(t->e, ov->contact_ref & ~ENG_SMS_REF);

	if (!m)
		return;
	m->contact = ACD_NONE;
	timeline_add(m, "overflowed", json_pack("{s:s}", "reason", acd_overflow_name(ov->reason)));
	log_warn("engine", "tenant=%s interaction=%s event=sms_overflowed reason=%s", t->ct->id,
		 m->ix_id, acd_overflow_name(ov->reason));
	sms_write(m);
}

/* ---- the API's commands ---- */

static struct eng_user *cmd_user(struct engine *e, struct eng_tenant *t, const struct api_cmd *c)
{
	return c->user[0] ? strmap_get2(e->usernames, t->ct->id, c->user) : NULL;
}

static bool may_act(struct eng_user *u, const struct eng_sms *m, const struct api_cmd *c)
{
	if (c->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_OPERATOR))
		return m->holder != NULL;
	return u && m->holder == u;
}

static void accept_cmd(struct engine *e, struct eng_tenant *t, struct eng_sms *m, struct api_cmd *c)
{
	struct eng_user *u = cmd_user(e, t, c);

	if (!u || m->offered != u || m->contact == ACD_NONE ||
	    acd_offer_accept(t->acd, m->contact, u->agent, clock_mono_ms())) {
		eng__acd_arm(t);
		api_reply_error(e->api, c->req, 409, "not_offered",
				"this conversation is not offered to you");
		return;
	}
	eng__acd_arm(t);
	m->offered = NULL;
	m->holder = u;
	m->answered_ms = clock_wall_ms();
	copy(m->agent, sizeof(m->agent), u->cu->username);
	timeline_add(m, "answered", json_pack("{s:s}", "agent", u->cu->username));
	log_info("engine", "tenant=%s interaction=%s event=answered channel=sms agent=%s",
		 t->ct->id, m->ix_id, u->cu->username);
	sms_event(m, "contact.answered", u);
	sms_write(m);
	api_reply(e->api, c->req, 200,
		  json_pack("{s:s, s:s, s:o}", "interaction", m->ix_id, "agent", m->agent,
			    "messages", messages_json(m)));
}

static void close_cmd(struct engine *e, struct eng_tenant *t, struct eng_sms *m, struct api_cmd *c)
{
	struct eng_user *u = cmd_user(e, t, c);

	if (!may_act(u, m, c)) {
		api_reply_error(e->api, c->req, 409, "not_held",
				"this conversation is not held by you");
		return;
	}
	if (m->contact != ACD_NONE)
		acd_contact_end(t->acd, m->contact, clock_mono_ms());
	eng__acd_arm(t);
	m->contact = ACD_NONE;
	m->ended_ms = clock_wall_ms();
	timeline_add(m, "closed", json_pack("{s:s}", "by", c->user[0] ? c->user : "api"));
	log_info("engine", "tenant=%s interaction=%s event=closed channel=sms agent=%s", t->ct->id,
		 m->ix_id, m->agent);
	sms_event(m, "contact.ended", m->holder);
	sms_write(m);
	api_reply(e->api, c->req, 200,
		  json_pack("{s:s, s:s}", "interaction", m->ix_id, "state", "closed"));
	sms_unlink(m);
	sms_free(m);
}

static void reply_cmd(struct engine *e, struct eng_tenant *t, struct eng_sms *m, struct api_cmd *c)
{
	struct eng_user *u = cmd_user(e, t, c);
	const char *body = json_string_value(json_object_get(c->args, "body"));
	struct sms_split s;
	json_t *job;
	int err;

	if (!may_act(u, m, c)) {
		api_reply_error(e->api, c->req, 409, "not_held",
				"this conversation is not held by you");
		return;
	}
	if (json_object_get(c->args, "attachments")) {
		api_reply_error(e->api, c->req, 400, "invalid_field",
				"a text message carries no attachments");
		return;
	}
	/* Checked here so that the agent hears at once (the worker splits it again). */
	if ((err = sms_split(body ? body : "", 0, 0, &s))) {
		api_reply_error(e->api, c->req, err == EMSGSIZE ? 413 : 400,
				err == EMSGSIZE ? "too_large" : "invalid_field",
				err == EMSGSIZE ? "a text is at most 16 parts (1,072 characters "
						  "outside the GSM alphabet, else 2,448)"
				: err == EINVAL ? "body is empty"
						: "body is not UTF-8 text");
		return;
	}
	if (!e->smser) {
		api_reply_error(e->api, c->req, 503, "unavailable",
				"the SMS worker is not running");
		return;
	}
	job =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s?}", "kind", "send", "tenant",
		      t->ct->id, "queue", m->queue, "interaction", m->ix_id, "to", m->from, "body",
		      body, "req", (json_int_t)c->req, "agent", c->user[0] ? c->user : NULL);
	if (!job || eng__smser_job(e->smser, job)) {
		api_reply_error(e->api, c->req, 503, "busy", "the SMS worker is busy, try again");
		return;
	}
	log_info("engine", "tenant=%s interaction=%s event=sms_reply agent=%s parts=%u", t->ct->id,
		 m->ix_id, c->user, s.count);
}

/* The gateway's webhook: the signature checked against the queue's secret. */
static void webhook_cmd(struct engine *e, struct eng_tenant *t, struct api_cmd *c)
{
	struct eng_queue *q = eng__queue(e, t, c->target);
	const char *raw = jstr(c->args, "raw"), *sig = jstr(c->args, "signature");
	struct sms_http_in in;
	char why[160];

	if (!q || !q->cq->sms || strcmp(q->cq->sms->gateway, "http")) {
		api_reply_error(e->api, c->req, 404, "not_found",
				"no queue with an HTTP gateway by this id");
		return;
	}
	if (!sms_http_verify(q->cq->sms->secret, (const uint8_t *)raw, strlen(raw), sig)) {
		log_warn("engine", "tenant=%s queue=%s event=sms_webhook_refused reason=signature",
			 t->ct->id, q->cq->id);
		api_reply_error(e->api, c->req, 401, "bad_signature",
				"X-Centrala-Signature is not the HMAC-SHA256 of the body");
		return;
	}
	if (sms_http_parse(raw, strlen(raw), &in, why, sizeof(why))) {
		api_reply_error(e->api, c->req, 400, "invalid_body", why);
		return;
	}
	if (!e->smser ||
	    eng__smser_job(e->smser,
			   json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", "in", "tenant", t->ct->id,
				     "queue", q->cq->id, "from", in.from, "text", in.text))) {
		api_reply_error(e->api, c->req, 503, "busy", "try again");
		return;
	}
	api_reply(e->api, c->req, 202, json_pack("{s:s}", "state", "accepted"));
}

bool eng__sms_command(struct engine *e, struct eng_tenant *t, struct api_cmd *c)
{
	struct eng_sms *m;

	if (c->op == API_OP_SMS_WEBHOOK) {
		webhook_cmd(e, t, c);
		return true;
	}
	if (c->op != API_OP_EMAIL_ACCEPT && c->op != API_OP_EMAIL_CLOSE &&
	    c->op != API_OP_EMAIL_REPLY)
		return false;
	if (!(m = sms_by_ix(e, t, c->target)))
		return false; /* perhaps an email conversation */
	if (c->op == API_OP_EMAIL_ACCEPT)
		accept_cmd(e, t, m, c);
	else if (c->op == API_OP_EMAIL_CLOSE)
		close_cmd(e, t, m, c);
	else
		reply_cmd(e, t, m, c);
	return true;
}
