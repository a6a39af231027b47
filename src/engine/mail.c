/*
 * The email channel on the engine's thread: one conversation per interaction. What the
 * worker (mail_worker.c) reads from a queue's mailbox arrives here as a message: a new
 * conversation becomes a contact of the queue's email ACD queue, a customer's answer
 * joins its conversation (back to its agent when possible). Offers reach the agent's
 * desktop as events (no phone rings); the agent accepts, replies and closes through the
 * API, and closing frees the agent's email capacity. Every message in and out is an
 * event of the interaction's timeline (its text included), written to the store at each
 * change; a closed conversation is let go here and read back from the store by the
 * worker when the customer writes again. No SQL and no network on this thread: sending
 * is a job for the worker.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/log.h"

/* How long an answer waits for the conversation's agent before any agent may take it,
 * when the queue sets no sticky time. */
#define MAIL_STICKY_MS 60000

struct eng_mail {
	uint64_t ref;
	struct engine *e;
	struct eng_tenant *t;
	struct eng_queue *q;
	char ix_id[CRM_ID_SIZE];
	char queue[64];
	char from[320], from_name[160], to[320], subject[512];
	char agent[64]; /* the agent who holds or last held it */
	char contact_id[CRM_ID_SIZE];
	json_t *crm;		  /* the CRM contact for the screen pop, or NULL */
	json_t *thread_ids;	  /* every Message-ID of the conversation, oldest first */
	char last_in[256];	  /* the customer's latest Message-ID */
	struct eng_user *offered; /* the agent an offer rings, or NULL */
	struct eng_user *holder;  /* the agent who accepted it, or NULL */
	uint32_t contact;	  /* ACD contact, ACD_NONE when not in the ACD */
	int64_t created_ms, queued_ms, offered_ms, answered_ms, ended_ms;
	json_t *timeline;
	struct eng_mail *next;
	struct hindex_node by_ix, by_ref; /* in e->mail_by_ix, e->mail_by_ref */
};

static struct eng_mail *mail_by_ix(struct engine *e, struct eng_tenant *t, const char *ix)
{
	size_t h = hindex_str(ix);

	for (struct hindex_node *n = hindex_first(&e->mail_by_ix, h); n; n = hindex_next(n, h)) {
		struct eng_mail *m = HINDEX_ENTRY(n, struct eng_mail, by_ix);
		if (m->t == t && !strcmp(m->ix_id, ix))
			return m;
	}
	return NULL;
}

static struct eng_mail *mail_by_ref(struct engine *e, uint64_t ref)
{
	size_t h = hindex_u64(ref);

	for (struct hindex_node *n = hindex_first(&e->mail_by_ref, h); n; n = hindex_next(n, h)) {
		struct eng_mail *m = HINDEX_ENTRY(n, struct eng_mail, by_ref);
		if (m->ref == ref)
			return m;
	}
	return NULL;
}

static void mail_free(struct eng_mail *m)
{
	json_decref(m->crm);
	json_decref(m->thread_ids);
	json_decref(m->timeline);
	free(m);
}

static void mail_unlink(struct eng_mail *m)
{
	for (struct eng_mail **p = &m->e->mails; *p; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			break;
		}
	hindex_remove(&m->e->mail_by_ix, &m->by_ix);
	hindex_remove(&m->e->mail_by_ref, &m->by_ref);
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

void eng__timeline_add(json_t *tl, const char *event, json_t *ev)
{
	char ts[32];

	if (!ev)
		ev = json_object();
	if (!ev)
		return;
	json_object_set_new(ev, "ts", json_string(clock_iso8601(clock_wall_ms(), ts, sizeof(ts))));
	json_object_set_new(ev, "event", json_string(event));
	json_array_append_new(tl, ev);
}

static void timeline_add(struct eng_mail *m, const char *event, json_t *ev)
{
	eng__timeline_add(m->timeline, event, ev);
}

static void thread_add(struct eng_mail *m, const char *id)
{
	size_t i;
	json_t *v;

	if (!id || !*id)
		return;
	json_array_foreach(m->thread_ids, i, v) if (!strcmp(json_string_value(v), id)) return;
	json_array_append_new(m->thread_ids, json_string(id));
}

static void mail_write(struct eng_mail *m)
{
	struct crm_interaction ix;
	char *timeline = json_dumps(m->timeline, JSON_COMPACT);
	int err;

	memset(&ix, 0, sizeof(ix));
	ix.tenant = m->t->ct->id;
	ix.id = m->ix_id;
	ix.channel = CRM_CHANNEL_EMAIL;
	ix.direction = CRM_DIR_INBOUND;
	ix.contact = m->contact_id[0] ? m->contact_id : NULL;
	ix.from = m->from;
	ix.to = m->to;
	ix.queue = m->queue;
	ix.agent = m->agent[0] ? m->agent : NULL;
	ix.created_ms = m->created_ms;
	ix.queued_ms = m->queued_ms;
	ix.offered_ms = m->offered_ms;
	ix.answered_ms = m->answered_ms;
	ix.ended_ms = m->ended_ms;
	ix.hangup_by = m->ended_ms ? "agent" : NULL;
	ix.timeline_json = timeline;
	crm_interaction_durations(&ix);
	if (m->e->store &&
	    (err = store_interaction_submit(m->e->store, &ix, m->e->store_events, 0)))
		log_error("engine", "tenant=%s interaction=%s event=store_submit_failed err=%s",
			  ix.tenant, m->ix_id, strerror(err));
	free(timeline);
}

/* The conversation's messages for the desktop: the email events of its timeline. */
static json_t *messages_json(const struct eng_mail *m)
{
	json_t *out = json_array(), *ev;
	size_t i;

	json_array_foreach(m->timeline, i, ev)
	{
		const char *name = jstr(ev, "event");
		if (!strcmp(name, "email_in") || !strcmp(name, "email_out"))
			json_array_append_new(out, json_deep_copy(ev));
	}
	return out;
}

static void mail_event(struct eng_mail *m, const char *type, struct eng_user *u)
{
	struct engine *e = m->e;
	const char *agent = u ? u->cu->username : m->agent[0] ? m->agent : NULL;
	int64_t now = clock_wall_ms();
	json_t *d;

	if (!e->api)
		return;
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s}", "interaction", m->ix_id,
		      "ticket", m->ix_id, "channel", "email", "from", m->from, "from_name",
		      m->from_name, "to", m->to, "subject", m->subject, "agent", agent, "queue",
		      m->queue);
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

/* Into the queue's email ACD queue; back to `prefer` (a username) when possible. */
static int mail_enqueue(struct eng_mail *m, const char *prefer)
{
	struct eng_tenant *t = m->t;
	struct acd_contact_params p;
	struct eng_user *u =
	    prefer && *prefer ? strmap_get2(t->e->usernames, t->ct->id, prefer) : NULL;
	int err;

	if (m->q->email_id == ACD_NONE || !t->acd)
		return ENOENT;
	acd_contact_params_default(&p);
	p.queue = m->q->email_id;
	p.ref = ENG_MAIL_REF | m->ref;
	if (u && u->agent != ACD_NONE) {
		p.preferred_agent = u->agent;
		p.sticky_ms = m->q->cq->sticky_ms ? 0 : MAIL_STICKY_MS;
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
		mail_event(m, "contact.queued", NULL);
	return err;
}

static struct eng_mail *mail_new(struct engine *e, struct eng_tenant *t, struct eng_queue *q,
				 const char *ix)
{
	struct eng_mail *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->timeline = json_array();
	m->thread_ids = json_array();
	if (!m->timeline || !m->thread_ids) {
		mail_free(m);
		return NULL;
	}
	m->e = e;
	m->t = t;
	m->q = q;
	m->ref = ++e->next_mail_ref;
	m->contact = ACD_NONE;
	copy(m->ix_id, sizeof(m->ix_id), ix);
	copy(m->queue, sizeof(m->queue), q->cq->id);
	m->created_ms = clock_wall_ms();
	if (hindex_add(&e->mail_by_ix, &m->by_ix, hindex_str(m->ix_id))) {
		mail_free(m);
		return NULL;
	}
	if (hindex_add(&e->mail_by_ref, &m->by_ref, hindex_u64(m->ref))) {
		hindex_remove(&e->mail_by_ix, &m->by_ix);
		mail_free(m);
		return NULL;
	}
	m->next = e->mails;
	e->mails = m;
	return m;
}

/* A conversation the store holds (closed, or open before a restart) taken back: its
 * record, timeline and thread ids. */
static void mail_restore(struct eng_mail *m, const json_t *st)
{
	json_t *tl = json_object_get(st, "timeline"), *ev;
	size_t i;

	if (json_is_array(tl)) {
		json_decref(m->timeline);
		m->timeline = json_deep_copy(tl);
		if (!m->timeline)
			m->timeline = json_array();
	}
	copy(m->from, sizeof(m->from), jstr(st, "from"));
	copy(m->to, sizeof(m->to), jstr(st, "to"));
	copy(m->agent, sizeof(m->agent), jstr(st, "agent"));
	copy(m->contact_id, sizeof(m->contact_id), jstr(st, "contact"));
	if (m->contact_id[0] && !m->crm)
		m->crm = json_pack("{s:s}", "id", m->contact_id);
	if (json_integer_value(json_object_get(st, "created_ms")))
		m->created_ms = json_integer_value(json_object_get(st, "created_ms"));
	json_array_foreach(m->timeline, i, ev)
	{
		const char *name = jstr(ev, "event");
		if (!strcmp(name, "email_in") || !strcmp(name, "email_out"))
			thread_add(m, jstr(ev, "message_id"));
		if (!strcmp(name, "email_in")) {
			copy(m->last_in, sizeof(m->last_in), jstr(ev, "message_id"));
			if (!m->subject[0])
				copy(m->subject, sizeof(m->subject), jstr(ev, "subject"));
			if (!m->from_name[0])
				copy(m->from_name, sizeof(m->from_name), jstr(ev, "from_name"));
		}
	}
}

/* The job that sends an email of conversation m through the worker. */
static json_t *send_job(struct eng_mail *m, const char *kind, const char *body, uint64_t req,
			const char *agent)
{
	const struct cfg_email *ce = m->q->cq->email;
	const char *from = ce->from, *at = strrchr(from, '@');
	char mid[320], rnd[17];
	unsigned char r[8];
	json_t *refs = json_deep_copy(m->thread_ids);

	randombytes_buf(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(rnd + 2 * i, 3, "%02x", r[i]);
	/* A Message-ID of our own domain (the sender's), unique per message. */
	snprintf(mid, sizeof(mid), "%s.%s@%.*s", m->ix_id, rnd, at ? (int)strcspn(at + 1, ">") : 9,
		 at ? at + 1 : "localhost");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s?, s:b, s:I, "
			 "s:s?}",
			 "kind", kind, "tenant", m->t->ct->id, "queue", m->queue, "interaction",
			 m->ix_id, "to", m->from, "subject", m->subject, "message_id", mid,
			 "in_reply_to", m->last_in, "references", refs ? refs : json_array(),
			 "body", body, "signature", !strcmp(kind, "reply") ? ce->signature : NULL,
			 "automatic", !strcmp(kind, "acknowledgement"), "req", (json_int_t)req,
			 "agent", agent);
}

/* The acknowledgement's text in the tenant's language (pl, es, ru; else English). */
static const char *ack_text(const struct eng_tenant *t)
{
	const char *l = t->ct->language ? t->ct->language : "";

	if (!strncmp(l, "pl", 2))
		return "Dziękujemy za wiadomość. Otrzymaliśmy ją i odpowiemy najszybciej, jak to "
		       "możliwe.\n\nNumer zgłoszenia: %s\nProsimy zachować go w temacie kolejnych "
		       "wiadomości w tej sprawie.\n";
	if (!strncmp(l, "es", 2))
		return "Gracias por su mensaje. Lo hemos recibido y le responderemos lo antes "
		       "posible.\n\nNúmero de ticket: %s\nConsérvelo en el asunto de los "
		       "mensajes siguientes sobre este tema.\n";
	if (!strncmp(l, "ru", 2))
		return "Спасибо за ваше письмо. Мы получили его и ответим как можно скорее.\n\n"
		       "Номер заявки: %s\nПожалуйста, сохраняйте его в теме следующих писем "
		       "по этому вопросу.\n";
	return "Thank you for your message. It has been received and will be answered as soon "
	       "as possible.\n\nYour ticket number: %s\nPlease keep it in the subject of any "
	       "further message about this matter.\n";
}

static void acknowledge(struct eng_mail *m)
{
	char body[1024];
	json_t *job;

	snprintf(body, sizeof(body), ack_text(m->t), m->ix_id);
	job = send_job(m, "acknowledgement", body, 0, NULL);
	if (!job || eng__mailer_job(m->e->mailer, job))
		log_warn("engine", "tenant=%s interaction=%s event=email_ack_not_sent",
			 m->t->ct->id, m->ix_id);
}

/* A message of the mailbox, handed over by the worker. */
static void mail_in(struct engine *e, json_t *j)
{
	struct eng_tenant *t = eng__tenant_find(e, jstr(j, "tenant"));
	struct eng_queue *q = t ? eng__queue(e, t, jstr(j, "queue")) : NULL;
	const char *ix = jstr(j, "interaction"), *type = jstr(j, "type");
	const json_t *stored = json_object_get(j, "stored");
	bool resume = !strcmp(type, "resume"), fresh = false;
	struct eng_mail *m;
	json_t *ev, *refs;
	size_t i;

	if (!t || !q || !q->cq->email || !*ix) {
		log_warn("engine", "tenant=%s queue=%s event=email_dropped reason=no_queue",
			 jstr(j, "tenant"), jstr(j, "queue"));
		return;
	}
	if (!(m = mail_by_ix(e, t, ix))) {
		if (!(m = mail_new(e, t, q, ix)))
			return;
		fresh = !json_is_object(stored);
		if (!fresh)
			mail_restore(m, stored);
	}
	if (json_is_object(json_object_get(j, "contact"))) {
		json_decref(m->crm);
		m->crm = json_deep_copy(json_object_get(j, "contact"));
		copy(m->contact_id, sizeof(m->contact_id), jstr(m->crm, "id"));
	}
	if (resume) {
		/* Open before a restart: into the queue again, its agent first. */
		log_info("engine", "tenant=%s interaction=%s event=email_resumed queue=%s",
			 t->ct->id, m->ix_id, m->queue);
		if (m->contact == ACD_NONE && mail_enqueue(m, m->agent))
			log_warn("engine", "tenant=%s interaction=%s event=email_not_queued",
				 t->ct->id, m->ix_id);
		mail_write(m);
		return;
	}
	if (fresh) {
		copy(m->from, sizeof(m->from), jstr(j, "from"));
		copy(m->to, sizeof(m->to), jstr(j, "to"));
		copy(m->subject, sizeof(m->subject), jstr(j, "subject"));
	}
	copy(m->from_name, sizeof(m->from_name), jstr(j, "from_name"));
	copy(m->last_in, sizeof(m->last_in), jstr(j, "message_id"));
	refs = json_object_get(j, "references");
	json_array_foreach(refs, i, ev) thread_add(m, json_string_value(ev));
	thread_add(m, jstr(j, "in_reply_to"));
	thread_add(m, m->last_in);
	timeline_add(m, "email_in",
		     json_pack("{s:s, s:s, s:s, s:s, s:s, s:O?, s:b, s:I}", "from", jstr(j, "from"),
			       "from_name", jstr(j, "from_name"), "subject", jstr(j, "subject"),
			       "message_id", m->last_in, "body", jstr(j, "body"), "attachments",
			       json_object_get(j, "attachments"), "body_truncated",
			       json_is_true(json_object_get(j, "body_truncated")), "uid",
			       json_integer_value(json_object_get(j, "uid"))));
	log_info("engine", "tenant=%s interaction=%s event=email_in queue=%s joined=%d", t->ct->id,
		 m->ix_id, m->queue, !fresh);
	if (m->holder) {
		/* Its agent holds it: the new message goes to the desktop. */
		mail_event(m, "contact.updated", m->holder);
	} else if (m->contact == ACD_NONE) {
		if (mail_enqueue(m, fresh ? NULL : m->agent))
			log_warn("engine", "tenant=%s interaction=%s event=email_not_queued",
				 t->ct->id, m->ix_id);
	}
	mail_write(m);
	if (fresh && q->cq->email->acknowledge)
		acknowledge(m);
}

/* The worker sent (or failed to send) a message of a conversation. */
static void mail_sent(struct engine *e, json_t *j)
{
	struct eng_tenant *t = eng__tenant_find(e, jstr(j, "tenant"));
	struct eng_mail *m;
	bool ok = json_is_true(json_object_get(j, "ok"));

	if (!strcmp(jstr(j, "kind"), "transcript")) {
		eng__chat_transcript_sent(e, j);
		return;
	}
	m = t ? mail_by_ix(e, t, jstr(j, "interaction")) : NULL;
	if (!m) {
		/* Closed meanwhile (a send the engine asked for without a request: an
		 * acknowledgement, say); the log keeps it. */
		log_info("engine", "tenant=%s interaction=%s event=email_sent_late ok=%d",
			 jstr(j, "tenant"), jstr(j, "interaction"), ok);
		eng__mail_reply_sent(e->api, j);
		return;
	}
	if (ok) {
		thread_add(m, jstr(j, "message_id"));
		timeline_add(m, "email_out",
			     json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?}", "kind", jstr(j, "kind"),
				       "to", jstr(j, "to"), "subject", jstr(j, "subject"),
				       "message_id", jstr(j, "message_id"), "body", jstr(j, "body"),
				       "agent", json_string_value(json_object_get(j, "agent"))));
	} else {
		timeline_add(
		    m, "email_failed",
		    json_pack("{s:s, s:s}", "kind", jstr(j, "kind"), "reason", jstr(j, "error")));
	}
	if (m->holder)
		mail_event(m, "contact.updated", m->holder);
	mail_write(m);
	/* On the timeline before the agent hears the answer. */
	eng__mail_reply_sent(e->api, j);
}

static int mail_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct engine *e = (struct engine *)arg;
	unsigned char buf[MQ_MSG_MAX];
	struct eng_mail_msg msg;

	(void)magic;
	(void)w;
	mq_drain_fd(e->mail_events);
	while (mq_pop(e->mail_events, buf) == sizeof(msg)) {
		const char *type;
		memcpy(&msg, buf, sizeof(msg));
		type = jstr(msg.msg, "type");
		if (!strcmp(type, "sent"))
			mail_sent(e, msg.msg);
		else
			mail_in(e, msg.msg);
		json_decref(msg.msg);
	}
	return 0;
}

int eng__mail_start(struct engine *e)
{
	int err;

	if ((err = mq_alloc(&e->mail_events, 4096)))
		return err;
	su_wait_create(&e->mail_wait, mq_fd(e->mail_events), SU_WAIT_IN);
	e->mail_reg = su_root_register(e->root, &e->mail_wait, mail_ready, e, 0);
	if ((err = eng__mailer_start(e, &e->mailer)))
		log_error("engine", "event=email_worker_failed err=%s", strerror(err));
	return err;
}

void eng__mail_stop(struct engine *e)
{
	unsigned char buf[MQ_MSG_MAX];
	struct eng_mail_msg msg;

	eng__mailer_stop(e->mailer);
	e->mailer = NULL;
	if (e->mail_events) {
		/* What the worker handed over last is applied: it is marked handled already. */
		mail_ready(NULL, NULL, (su_wakeup_arg_t *)e);
		su_root_deregister(e->root, e->mail_reg);
		while (mq_pop(e->mail_events, buf) == sizeof(msg)) {
			memcpy(&msg, buf, sizeof(msg));
			json_decref(msg.msg);
		}
		mq_free(e->mail_events);
		e->mail_events = NULL;
	}
	while (e->mails) {
		struct eng_mail *m = e->mails;
		e->mails = m->next;
		mail_free(m);
	}
	hindex_free(&e->mail_by_ix);
	hindex_free(&e->mail_by_ref);
}

/* ---- the ACD's side ---- */

void eng__mail_offer(struct eng_tenant *t, const struct acd_offer *o)
{
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct eng_mail *m = mail_by_ref(t->e, o->contact_ref & ~ENG_MAIL_REF);

	if (!m) {
		acd_offer_reject(t->acd, o->contact, o->agent, clock_mono_ms());
		return;
	}
	m->offered = u;
	m->offered_ms = clock_wall_ms();
	timeline_add(m, "offered", json_pack("{s:s}", "agent", u->cu->username));
	log_info("engine", "tenant=%s interaction=%s event=offered channel=email queue=%s agent=%s",
		 t->ct->id, m->ix_id, m->queue, u->cu->username);
	mail_event(m, "contact.offered", u);
}

void eng__mail_cancel(struct eng_tenant *t, const struct acd_offer *o, enum acd_cancel_reason why)
{
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct eng_mail *m = mail_by_ref(t->e, o->contact_ref & ~ENG_MAIL_REF);

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
			  json_pack("{s:s, s:s, s:s}", "interaction", m->ix_id, "channel", "email",
				    "agent", u->cu->username));
}

void eng__mail_overflow(struct eng_tenant *t, const struct acd_overflow *ov)
{
	struct eng_mail *m = mail_by_ref(t->e, ov->contact_ref & ~ENG_MAIL_REF);

	if (!m)
		return;
	/* An email queue has no max wait nor length and stays open: only a queue taken out
	 * of the ACD gets here. The conversation waits for the next message. */
	m->contact = ACD_NONE;
	timeline_add(m, "overflowed", json_pack("{s:s}", "reason", acd_overflow_name(ov->reason)));
	log_warn("engine", "tenant=%s interaction=%s event=email_overflowed reason=%s", t->ct->id,
		 m->ix_id, acd_overflow_name(ov->reason));
	mail_write(m);
}

/* ---- the API's commands ---- */

static struct eng_user *cmd_user(struct engine *e, struct eng_tenant *t, const struct api_cmd *c)
{
	return c->user[0] ? strmap_get2(e->usernames, t->ct->id, c->user) : NULL;
}

static void accept_cmd(struct engine *e, struct eng_tenant *t, struct eng_mail *m,
		       struct api_cmd *c)
{
	struct eng_user *u = cmd_user(e, t, c);
	int err;

	if (!u || m->offered != u || m->contact == ACD_NONE) {
		api_reply_error(e->api, c->req, 409, "not_offered",
				"this conversation is not offered to you");
		return;
	}
	err = acd_offer_accept(t->acd, m->contact, u->agent, clock_mono_ms());
	eng__acd_arm(t);
	if (err) {
		api_reply_error(e->api, c->req, 409, "not_offered", "the offer is over");
		return;
	}
	m->offered = NULL;
	m->holder = u;
	m->answered_ms = clock_wall_ms();
	copy(m->agent, sizeof(m->agent), u->cu->username);
	timeline_add(m, "answered", json_pack("{s:s}", "agent", u->cu->username));
	log_info("engine", "tenant=%s interaction=%s event=answered channel=email agent=%s",
		 t->ct->id, m->ix_id, u->cu->username);
	mail_event(m, "contact.answered", u);
	mail_write(m);
	api_reply(e->api, c->req, 200,
		  json_pack("{s:s, s:s, s:o}", "interaction", m->ix_id, "agent", m->agent,
			    "messages", messages_json(m)));
}

static bool may_act(struct eng_user *u, const struct eng_mail *m, const struct api_cmd *c)
{
	if (c->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_OPERATOR))
		return m->holder != NULL;
	return u && m->holder == u;
}

static void close_cmd(struct engine *e, struct eng_tenant *t, struct eng_mail *m, struct api_cmd *c)
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
	log_info("engine", "tenant=%s interaction=%s event=closed channel=email agent=%s",
		 t->ct->id, m->ix_id, m->agent);
	mail_event(m, "contact.ended", m->holder);
	mail_write(m);
	api_reply(e->api, c->req, 200,
		  json_pack("{s:s, s:s}", "interaction", m->ix_id, "state", "closed"));
	/* The store keeps it; the worker reads it back when the customer writes again. */
	mail_unlink(m);
	mail_free(m);
}

/* The agent's text, then the customer's latest message quoted ("> "). */
static char *reply_text(const struct eng_mail *m, const char *body, bool quote)
{
	const json_t *last = NULL, *ev;
	const char *q, *date;
	size_t i, n = strlen(body) + 256;
	char *out, *p;

	json_array_foreach(m->timeline, i, ev) if (!strcmp(jstr(ev, "event"), "email_in")) last =
	    ev;
	q = quote && last ? jstr(last, "body") : "";
	for (const char *s = q; *s; s++)
		n += *s == '\n' ? 3 : 1;
	if (!(out = malloc(n + strlen(m->from) + strlen(m->from_name))))
		return NULL;
	p = out + sprintf(out, "%s", body);
	if (*q) {
		/* "On 2026-12-04 10:49 UTC, Name <addr> wrote:" from the message's arrival. */
		date = jstr(last, "ts");
		if (strlen(date) >= 16)
			p += sprintf(p, "\n\nOn %.10s %.5s UTC, ", date, date + 11);
		else
			p += sprintf(p, "\n\n");
		p += sprintf(p, "%s <%s> wrote:\n> ", m->from_name[0] ? m->from_name : m->from,
			     m->from);
		for (const char *s = q; *s; s++) {
			if (*s == '\r')
				continue; /* line ends are the writer's to make */
			*p++ = *s;
			if (*s == '\n' && s[1])
				p += sprintf(p, "> ");
		}
		*p = '\0';
	}
	return out;
}

static void reply_cmd(struct engine *e, struct eng_tenant *t, struct eng_mail *m, struct api_cmd *c)
{
	struct eng_user *u = cmd_user(e, t, c);
	const char *body = json_string_value(json_object_get(c->args, "body"));
	json_t *quote = json_object_get(c->args, "quote"), *atts, *job;
	char *text;

	if (!may_act(u, m, c)) {
		api_reply_error(e->api, c->req, 409, "not_held",
				"this conversation is not held by you");
		return;
	}
	if (!e->mailer) {
		api_reply_error(e->api, c->req, 503, "unavailable",
				"the email worker is not running");
		return;
	}
	text = reply_text(m, body ? body : "", !quote || json_is_true(quote));
	job = text ? send_job(m, "reply", text, c->req, c->user[0] ? c->user : NULL) : NULL;
	free(text);
	if (job && (atts = json_object_get(c->args, "attachments")))
		json_object_set(job, "attachments", atts);
	if (!job || eng__mailer_job(e->mailer, job)) {
		api_reply_error(e->api, c->req, 503, "busy", "the email worker is busy, try again");
		return;
	}
	/* The worker answers the request once the SMTP server took the message. */
	log_info("engine", "tenant=%s interaction=%s event=email_reply agent=%s", t->ct->id,
		 m->ix_id, c->user);
}

/* To a named agent, offered now: the conversation is held as before when it cannot be. */
static int transfer_to_agent(struct engine *e, struct eng_tenant *t, struct eng_mail *m,
			     struct eng_queue *q, struct eng_user *to, struct api_cmd *c)
{
	struct eng_user *from = m->holder;
	struct eng_queue *oldq = m->q;
	uint32_t old = m->contact;
	int64_t queued = m->queued_ms, offered = m->offered_ms, answered = m->answered_ms;
	char oldqueue[sizeof(m->queue)];
	const char *why = NULL;
	int err;

	copy(oldqueue, sizeof(oldqueue), m->queue);
	timeline_add(m, "transferred",
		     json_pack("{s:s, s:s, s:s, s:s}", "from", m->agent, "from_queue", m->queue,
			       "queue", q->cq->id, "to_agent", to->cu->username));
	m->holder = m->offered = NULL;
	m->q = q;
	copy(m->queue, sizeof(m->queue), q->cq->id);
	m->queued_ms = clock_wall_ms();
	m->offered_ms = m->answered_ms = 0;
	err = eng__offer_named(t, q->email_id, ENG_MAIL_REF | m->ref, to, &m->contact, &why);
	if (err) {
		json_array_remove(m->timeline, json_array_size(m->timeline) - 1);
		m->holder = from;
		m->q = oldq;
		m->contact = old;
		m->queued_ms = queued;
		m->offered_ms = offered;
		m->answered_ms = answered;
		copy(m->queue, sizeof(m->queue), oldqueue);
		log_info("engine",
			 "tenant=%s interaction=%s event=transfer_refused channel=email agent=%s "
			 "to_agent=%s reason=\"%s\"",
			 t->ct->id, m->ix_id, m->agent, to->cu->username, why);
		api_reply_error(e->api, c->req, err == ENOENT ? 400 : 409,
				err == ENOENT ? "invalid_field" : "agent_unavailable", why);
		return err;
	}
	if (old != ACD_NONE)
		acd_contact_end(t->acd, old, clock_mono_ms());
	eng__acd_arm(t);
	return 0;
}

/* To another queue (waiting there, its last agent not preferred) or to a named agent. */
static void transfer_cmd(struct engine *e, struct eng_tenant *t, struct eng_mail *m,
			 struct api_cmd *c)
{
	const char *queue = json_string_value(json_object_get(c->args, "queue"));
	const char *agent = json_string_value(json_object_get(c->args, "agent"));
	struct eng_queue *q = eng__queue(e, t, queue ? queue : m->queue);
	struct eng_user *from = m->holder, *to = NULL;
	char was[sizeof(m->agent)];

	if (!may_act(cmd_user(e, t, c), m, c)) {
		api_reply_error(e->api, c->req, 409, "not_held",
				"this conversation is not held by you");
		return;
	}
	if (!q || q->email_id == ACD_NONE) {
		api_reply_error(e->api, c->req, 400, "invalid_field",
				"queue: not a queue with a mailbox");
		return;
	}
	copy(was, sizeof(was), m->agent);
	if (agent) {
		to = strmap_get2(e->usernames, t->ct->id, agent);
		if (!to || to->agent == ACD_NONE) {
			api_reply_error(e->api, c->req, 400, "invalid_field",
					"agent: no agent with this username in the tenant");
			return;
		}
		if (to == from) {
			api_reply_error(e->api, c->req, 400, "invalid_field",
					"agent: this agent holds the conversation already");
			return;
		}
		if (transfer_to_agent(e, t, m, q, to, c))
			return;
	} else {
		if (m->contact != ACD_NONE)
			acd_contact_end(t->acd, m->contact, clock_mono_ms());
		m->contact = ACD_NONE;
		timeline_add(m, "transferred",
			     json_pack("{s:s, s:s, s:s}", "from", m->agent, "from_queue", m->queue,
				       "queue", q->cq->id));
		m->q = q;
		copy(m->queue, sizeof(m->queue), q->cq->id);
		if (mail_enqueue(m, NULL)) {
			/* The record keeps it: the next message of the customer queues it. */
			log_warn("engine",
				 "tenant=%s interaction=%s event=email_not_queued queue=%s",
				 t->ct->id, m->ix_id, m->queue);
		}
	}
	log_info("engine",
		 "tenant=%s interaction=%s event=transferred channel=email agent=%s "
		 "queue=%s to_agent=%s",
		 t->ct->id, m->ix_id, was, m->queue, to ? to->cu->username : "-");
	if (from && e->api)
		api_event(e->api, t->ct->id, "contact.transferred", from->cu->username,
			  json_pack("{s:s, s:s, s:s, s:s, s:s?}", "interaction", m->ix_id,
				    "channel", "email", "agent", from->cu->username, "to_queue",
				    m->queue, "to_agent", to ? to->cu->username : NULL));
	mail_write(m);
	api_reply(e->api, c->req, 200,
		  json_pack("{s:s, s:s, s:s, s:s?}", "interaction", m->ix_id, "queue", m->queue,
			    "state",
			    m->holder	 ? "connected"
			    : m->offered ? "offered"
					 : "queued",
			    "agent", to ? to->cu->username : NULL));
}

bool eng__mail_command(struct engine *e, struct eng_tenant *t, struct api_cmd *c)
{
	struct eng_mail *m;

	if (c->op != API_OP_EMAIL_ACCEPT && c->op != API_OP_EMAIL_CLOSE &&
	    c->op != API_OP_EMAIL_REPLY && c->op != API_OP_CHAT_TRANSFER)
		return false;
	if (!(m = mail_by_ix(e, t, c->target))) {
		api_reply_error(e->api, c->req, 404, "not_found",
				c->op == API_OP_CHAT_TRANSFER
				    ? "no open chat or email conversation with this id"
				    : "no open email conversation with this id");
		return true;
	}
	if (c->op == API_OP_EMAIL_ACCEPT)
		accept_cmd(e, t, m, c);
	else if (c->op == API_OP_EMAIL_CLOSE)
		close_cmd(e, t, m, c);
	else if (c->op == API_OP_CHAT_TRANSFER)
		transfer_cmd(e, t, m, c);
	else
		reply_cmd(e, t, m, c);
	return true;
}
