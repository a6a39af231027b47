/*
 * The web chat on the engine's thread: one chat per interaction, between a visitor of the
 * company's website (the API's public WebSocket, api/chat_ws.c) and an agent. A chat
 * waits as a contact of its queue's chat ACD queue (q->chat_id: the channel's capacity
 * per agent from `channels:`), is offered to an agent's desktop as an event (no phone
 * rings), accepted, written in both ways, and closed by either side; a visitor who went
 * away (a reload, a network drop) comes back with the token the page keeps, and a chat
 * whose visitor stays away longer than `chat.resume` is closed. Every message is an
 * event of the interaction's timeline (its text, author and time); each message goes to
 * the store as a row of its own (chat_messages, through the store's writer thread), and
 * the interaction with its whole timeline is written when the chat's state changes
 * (started, answered, transferred, closed). No SQL and no network here: the CRM contact
 * is found by the API's worker before the chat starts.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/hindex.h"
#include "core/log.h"

struct eng_chat {
	uint64_t ref;
	struct engine *e;
	struct eng_tenant *t;
	struct eng_queue *q;
	char ix_id[CRM_ID_SIZE];
	char token[64]; /* the visitor's, made by the API */
	char queue[64];
	char name[128], email[320], phone[48], lang[16], peer[48];
	char agent[64]; /* the agent who holds or last held it */
	char agent_name[128];
	char contact_id[CRM_ID_SIZE];
	json_t *crm;		  /* the CRM contact for the screen pop, or NULL */
	struct eng_user *offered; /* the agent an offer goes to, or NULL */
	struct eng_user *holder;  /* the agent who accepted it, or NULL */
	uint32_t contact;	  /* ACD contact, ACD_NONE when not in the ACD */
	int64_t created_ms, queued_ms, offered_ms, answered_ms, ended_ms;
	int64_t gone_ms; /* wall clock the visitor's socket closed, 0: here */
	uint32_t seq;	 /* the last message's number */
	uint32_t last_position;
	int64_t last_wait_s;
	json_t *timeline;
	struct eng_chat *next;
	/* In e->chat_by_token, e->chat_by_ix and e->chat_by_ref. */
	struct hindex_node by_token, by_ix, by_ref;
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

static struct eng_chat *chat_by_ix(struct engine *e, struct eng_tenant *t, const char *ix)
{
	size_t h = hindex_str(ix);

	for (struct hindex_node *n = hindex_first(&e->chat_by_ix, h); n; n = hindex_next(n, h)) {
		struct eng_chat *c = HINDEX_ENTRY(n, struct eng_chat, by_ix);
		if (c->t == t && !strcmp(c->ix_id, ix))
			return c;
	}
	return NULL;
}

static struct eng_chat *chat_by_token(struct engine *e, struct eng_tenant *t, const char *tok)
{
	size_t h = hindex_str(tok);

	for (struct hindex_node *n = hindex_first(&e->chat_by_token, h); n; n = hindex_next(n, h)) {
		struct eng_chat *c = HINDEX_ENTRY(n, struct eng_chat, by_token);
		if (c->t == t && !strcmp(c->token, tok))
			return c;
	}
	return NULL;
}

static struct eng_chat *chat_by_ref(struct engine *e, uint64_t ref)
{
	size_t h = hindex_u64(ref);

	for (struct hindex_node *n = hindex_first(&e->chat_by_ref, h); n; n = hindex_next(n, h)) {
		struct eng_chat *c = HINDEX_ENTRY(n, struct eng_chat, by_ref);
		if (c->ref == ref)
			return c;
	}
	return NULL;
}

/* In all three indexes or none. 0 or ENOMEM. */
static int index_add(struct engine *e, struct eng_chat *c)
{
	if (hindex_add(&e->chat_by_token, &c->by_token, hindex_str(c->token)))
		return ENOMEM;
	if (hindex_add(&e->chat_by_ix, &c->by_ix, hindex_str(c->ix_id))) {
		hindex_remove(&e->chat_by_token, &c->by_token);
		return ENOMEM;
	}
	if (hindex_add(&e->chat_by_ref, &c->by_ref, hindex_u64(c->ref))) {
		hindex_remove(&e->chat_by_token, &c->by_token);
		hindex_remove(&e->chat_by_ix, &c->by_ix);
		return ENOMEM;
	}
	return 0;
}

static void chat_free(struct eng_chat *c)
{
	json_decref(c->crm);
	json_decref(c->timeline);
	free(c);
}

static void chat_unlink(struct eng_chat *c)
{
	struct engine *e = c->e;

	for (struct eng_chat **p = &e->chats; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	hindex_remove(&e->chat_by_token, &c->by_token);
	hindex_remove(&e->chat_by_ix, &c->by_ix);
	hindex_remove(&e->chat_by_ref, &c->by_ref);
}

/* Who the visitor is, for the interaction's `from`: the address given, else the name. */
static const char *visitor_id(const struct eng_chat *c)
{
	return c->email[0] ? c->email : c->phone[0] ? c->phone : c->name;
}

static void chat_write(struct eng_chat *c, const char *ended_by)
{
	struct crm_interaction ix;
	char *timeline = json_dumps(c->timeline, JSON_COMPACT);
	int err;

	memset(&ix, 0, sizeof(ix));
	ix.tenant = c->t->ct->id;
	ix.id = c->ix_id;
	ix.channel = CRM_CHANNEL_CHAT;
	ix.direction = CRM_DIR_INBOUND;
	ix.contact = c->contact_id[0] ? c->contact_id : NULL;
	ix.from = visitor_id(c);
	ix.to = c->queue;
	ix.queue = c->queue;
	ix.agent = c->agent[0] ? c->agent : NULL;
	ix.created_ms = c->created_ms;
	ix.queued_ms = c->queued_ms;
	ix.offered_ms = c->offered_ms;
	ix.answered_ms = c->answered_ms;
	ix.ended_ms = c->ended_ms;
	ix.abandoned = c->ended_ms && !c->answered_ms;
	ix.hangup_by = ended_by;
	ix.timeline_json = timeline;
	crm_interaction_durations(&ix);
	if (c->e->store &&
	    (err = store_interaction_submit(c->e->store, &ix, c->e->store_events, 0)))
		log_error("engine", "tenant=%s interaction=%s event=store_submit_failed err=%s",
			  ix.tenant, c->ix_id, strerror(err));
	free(timeline);
}

/* One message (a chat_in or chat_out event of the timeline) to the store as a row of its
 * own: the interaction itself is written again only when the chat's state changes, so a
 * message costs the same whatever the chat's length. */
static void chat_store_message(struct eng_chat *c, const json_t *ev)
{
	bool in = !strcmp(jstr(ev, "event"), "chat_in");
	struct store_chat_message m = {
	    .tenant = c->t->ct->id,
	    .interaction = c->ix_id,
	    .seq = json_integer_value(json_object_get(ev, "seq")),
	    .ts_ms = clock_wall_ms(),
	    .author = in ? "visitor" : "agent",
	    .agent = in ? NULL : json_string_value(json_object_get(ev, "agent")),
	    .text = jstr(ev, "text"),
	    .cid = json_string_value(json_object_get(ev, "cid")),
	};
	int err;

	if (c->e->store &&
	    (err = store_chat_message_submit(c->e->store, &m, c->e->store_events, 0)))
		log_error("engine", "tenant=%s interaction=%s event=store_submit_failed err=%s",
			  m.tenant, c->ix_id, strerror(err));
}

/* The chat's messages: the chat events of its timeline, oldest first. */
static json_t *messages_json(const struct eng_chat *c)
{
	json_t *out = json_array(), *ev;
	size_t i;

	json_array_foreach(c->timeline, i, ev)
	{
		const char *name = jstr(ev, "event");
		if (!strcmp(name, "chat_in") || !strcmp(name, "chat_out"))
			json_array_append(out, ev);
	}
	return out;
}

/* A message as the visitor sees it (never the agent's username, only the name shown). */
static json_t *visitor_message(const json_t *ev)
{
	bool in = !strcmp(jstr(ev, "event"), "chat_in");

	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s?}", "type", "message", "seq",
			 json_integer_value(json_object_get(ev, "seq")), "from",
			 in ? "visitor" : "agent", "text", jstr(ev, "text"), "ts", jstr(ev, "ts"),
			 "cid", in ? json_string_value(json_object_get(ev, "cid")) : NULL);
}

static void to_visitor(struct eng_chat *c, json_t *msg)
{
	if (!msg)
		return;
	if (!c->e->api || c->gone_ms) {
		json_decref(msg);
		return;
	}
	api_visitor_event(c->e->api, c->t->ct->id, c->token, msg);
}

static const char *state_name(const struct eng_chat *c)
{
	return c->ended_ms ? "closed" : c->holder ? "connected" : "queued";
}

/* Where the visitor stands: state, place in the queue, estimated wait, agent's name. */
static json_t *state_json(struct eng_chat *c)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s}", "type", "state", "state", state_name(c),
			      "interaction", c->ix_id, "queue", c->queue);
	struct acd_contact_info info;
	uint64_t now = clock_mono_ms();

	if (!j)
		return NULL;
	if (c->holder)
		json_object_set_new(j, "agent", json_string(c->agent_name));
	if (!c->holder && c->contact != ACD_NONE &&
	    !acd_contact_info(c->t->acd, c->contact, now, &info)) {
		uint64_t ewt = acd_queue_ewt(c->t->acd, c->q->chat_id, now);
		c->last_position = info.position;
		json_object_set_new(j, "position", json_integer(info.position));
		/* The queue's estimate for a newcomer, scaled to this one's place. */
		c->last_wait_s = ewt == ACD_NEVER ? -1 : (int64_t)(ewt / 1000);
		json_object_set_new(
		    j, "wait_s", c->last_wait_s < 0 ? json_null() : json_integer(c->last_wait_s));
	}
	return j;
}

static void agent_event(struct eng_chat *c, const char *type, struct eng_user *u, json_t *extra)
{
	struct engine *e = c->e;
	const char *agent = u ? u->cu->username : c->agent[0] ? c->agent : NULL;
	int64_t now = clock_wall_ms();
	json_t *d;

	if (!e->api) {
		json_decref(extra);
		return;
	}
	d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s}", "interaction",
		      c->ix_id, "channel", "chat", "from", visitor_id(c), "name", c->name, "email",
		      c->email, "phone", c->phone, "language", c->lang, "agent", agent, "queue",
		      c->queue, "state", state_name(c));
	if (!d) {
		json_decref(extra);
		return;
	}
	if (c->queued_ms)
		json_object_set_new(
		    d, "wait_s",
		    json_real((double)((c->answered_ms ? c->answered_ms : now) - c->queued_ms) /
			      1000.0));
	json_object_set_new(d, "visitor_here", json_boolean(!c->gone_ms));
	json_object_set_new(d, "contact", c->crm ? json_copy(c->crm) : json_null());
	json_object_set_new(d, "ivr", json_object());
	if (extra) {
		json_object_update(d, extra);
		json_decref(extra);
	} else {
		json_object_set_new(d, "messages", messages_json(c));
	}
	api_event(e->api, c->t->ct->id, type, agent, d);
	eng__queue_dirty(c->q);
}

static int chat_enqueue(struct eng_chat *c)
{
	struct eng_tenant *t = c->t;
	struct acd_contact_params p;
	int err;

	if (c->q->chat_id == ACD_NONE || !t->acd)
		return ENOENT;
	acd_contact_params_default(&p);
	p.queue = c->q->chat_id;
	p.ref = ENG_CHAT_REF | c->ref;
	c->queued_ms = clock_wall_ms();
	eng__timeline_add(c->timeline, "queued", json_pack("{s:s}", "queue", c->queue));
	err = acd_contact_enqueue(t->acd, &p, clock_mono_ms(), &c->contact);
	if (err)
		c->contact = ACD_NONE;
	eng__acd_arm(t);
	if (!err && !c->offered_ms)
		agent_event(c, "contact.queued", NULL, NULL);
	return err;
}

/* ---- the transcript by email ---- */

/* How long after its end the visitor may ask for a chat's transcript. */
#define TRANSCRIPT_WINDOW_MS (30 * 60 * 1000)

struct eng_chat_done {
	const struct eng_tenant *t;
	char token[64], ix[CRM_ID_SIZE], email[320], name[128], lang[16], queue[64];
	int64_t closed_ms;
	bool asked;
};

/* The queue whose outbound mail (the email channel's `email:`) sends the tenant's
 * transcripts: the chat's own when it has a mailbox, else the tenant's first that has. */
static const char *mail_queue(const struct eng_tenant *t, const struct eng_queue *q)
{
	if (q && q->cq->email)
		return q->cq->id;
	for (size_t i = 0; i < t->ct->nqueues; i++)
		if (t->ct->queues[i].email)
			return t->ct->queues[i].id;
	return NULL;
}

/* A chat that ends with the visitor's address is remembered for the transcript. */
static void done_add(struct eng_chat *c)
{
	struct engine *e = c->e;
	struct eng_chat_done *d;

	if (!c->email[0] || !mail_queue(c->t, c->q))
		return;
	if (!e->chat_done && !(e->chat_done = calloc(ENG_CHAT_DONE, sizeof(*e->chat_done))))
		return;
	d = &e->chat_done[e->chat_done_next++ % ENG_CHAT_DONE];
	memset(d, 0, sizeof(*d));
	d->t = c->t;
	d->closed_ms = c->ended_ms;
	copy(d->token, sizeof(d->token), c->token);
	copy(d->ix, sizeof(d->ix), c->ix_id);
	copy(d->email, sizeof(d->email), c->email);
	copy(d->name, sizeof(d->name), c->name);
	copy(d->lang, sizeof(d->lang), c->lang);
	copy(d->queue, sizeof(d->queue), c->queue);
}

static void transcript_answer(struct engine *e, const char *tenant, const char *token,
			      const char *state, const char *reason)
{
	if (e->api)
		api_visitor_event(e->api, tenant, token,
				  json_pack("{s:s, s:s, s:s?}", "type", "transcript", "state",
					    state, "reason", reason));
}

static const char *transcript_subject(const char *lang)
{
	return !strncmp(lang, "pl", 2)	 ? "Zapis czatu"
	       : !strncmp(lang, "es", 2) ? "Transcripción del chat"
	       : !strncmp(lang, "ru", 2) ? "Запись чата"
					 : "Chat transcript";
}

/* The visitor of a chat that ended asks for its transcript: once, within the window, to
 * the address given at the start only (never one typed afterwards: the public socket is
 * no mail relay), through the tenant's outbound mail. The email worker writes it from the
 * stored messages. */
static void transcript_cmd(struct engine *e, struct eng_tenant *t, const char *token)
{
	struct eng_chat_done *d = NULL;
	const char *queue, *from, *at;
	char subject[256], mid[320];
	json_t *job;

	for (unsigned i = 0; e->chat_done && i < ENG_CHAT_DONE; i++)
		if (e->chat_done[i].t == t && !strcmp(e->chat_done[i].token, token))
			d = &e->chat_done[i];
	if (chat_by_token(e, t, token)) {
		transcript_answer(e, t->ct->id, token, "failed", "the chat is not over yet");
		return;
	}
	if (!d || clock_wall_ms() - d->closed_ms > TRANSCRIPT_WINDOW_MS) {
		transcript_answer(e, t->ct->id, token, "failed",
				  "no transcript for this chat (no address, or too late)");
		return;
	}
	if (d->asked) {
		transcript_answer(e, t->ct->id, token, "failed", "the transcript was sent already");
		return;
	}
	queue = mail_queue(t, eng__queue(e, t, d->queue));
	if (!e->mailer || !queue) {
		transcript_answer(e, t->ct->id, token, "failed", "no outbound mail");
		return;
	}
	from = cfg_queue_find(t->ct, queue)->email->from;
	at = strrchr(from, '@');
	snprintf(subject, sizeof(subject), "%s: %s", transcript_subject(d->lang),
		 t->ct->name && *t->ct->name ? t->ct->name : t->ct->id);
	snprintf(mid, sizeof(mid), "%s.transcript@%.*s", d->ix, at ? (int)strcspn(at + 1, ">") : 9,
		 at ? at + 1 : "localhost");
	job = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:s, s:b, s:s, s:s, "
			"s:s}",
			"kind", "transcript", "tenant", t->ct->id, "queue", queue, "interaction",
			d->ix, "to", d->email, "subject", subject, "message_id", mid, "in_reply_to",
			"", "references", "body", "", "automatic", true, "name", d->name,
			"language", d->lang, "token", d->token);
	if (!job || eng__mailer_job(e->mailer, job)) {
		transcript_answer(e, t->ct->id, token, "failed", "the email worker is busy");
		return;
	}
	d->asked = true;
	log_info("engine", "tenant=%s interaction=%s event=chat_transcript_asked", t->ct->id,
		 d->ix);
	transcript_answer(e, t->ct->id, token, "sending", NULL);
}

void eng__chat_transcript_sent(struct engine *e, const json_t *j)
{
	bool ok = json_is_true(json_object_get(j, "ok"));

	log_info("engine", "tenant=%s interaction=%s event=chat_transcript_sent ok=%d",
		 jstr(j, "tenant"), jstr(j, "interaction"), ok);
	transcript_answer(e, jstr(j, "tenant"), jstr(j, "token"), ok ? "sent" : "failed",
			  ok ? NULL : "the mail server refused it");
}

/* Ends the chat: out of the ACD (an abandon when never answered), the record written,
 * both sides told, and let go. `by`: "visitor", "agent", "timeout" or "system". */
static void chat_end(struct eng_chat *c, const char *by, const char *who)
{
	struct eng_tenant *t = c->t;
	uint64_t now = clock_mono_ms();
	uint32_t contact = c->contact;

	c->contact = ACD_NONE;
	c->ended_ms = clock_wall_ms();
	if (contact != ACD_NONE) {
		if (c->holder)
			acd_contact_end(t->acd, contact, now);
		else
			acd_contact_abandon(t->acd, contact, now);
		eng__acd_arm(t);
	}
	eng__timeline_add(c->timeline, "closed", json_pack("{s:s, s:s?}", "by", by, "user", who));
	log_info("engine", "tenant=%s interaction=%s event=closed channel=chat by=%s agent=%s",
		 t->ct->id, c->ix_id, by, c->agent);
	if (c->holder || c->offered)
		agent_event(c, "contact.ended", c->holder ? c->holder : c->offered,
			    json_pack("{s:s, s:b}", "by", by, "answered", c->holder != NULL));
	to_visitor(c, json_pack("{s:s, s:s}", "type", "closed", "by", by));
	chat_write(c, !strcmp(by, "agent")     ? "agent"
		      : !strcmp(by, "visitor") ? "caller"
					       : "system");
	done_add(c);
	chat_unlink(c);
	chat_free(c);
}

/* ---- the visitor's side ---- */

static void visitor_error(struct engine *e, const char *tenant, const char *token, const char *code,
			  const char *message)
{
	if (e->api)
		api_visitor_event(e->api, tenant, token,
				  json_pack("{s:s, s:s, s:s}", "type", "error", "code", code,
					    "message", message));
}

static unsigned chats_from(struct engine *e, struct eng_tenant *t, const char *peer)
{
	unsigned n = 0;

	for (struct eng_chat *c = e->chats; c; c = c->next)
		n += c->t == t && !strcmp(c->peer, peer);
	return n;
}

static void history(struct eng_chat *c)
{
	json_t *h = state_json(c), *msgs = json_array(), *ev;
	size_t i;

	if (!h || !msgs) {
		json_decref(h);
		json_decref(msgs);
		return;
	}
	json_array_foreach(c->timeline, i, ev)
	{
		const char *name = jstr(ev, "event");
		if (!strcmp(name, "chat_in") || !strcmp(name, "chat_out"))
			json_array_append_new(msgs, visitor_message(ev));
	}
	json_object_set_new(h, "type", json_string("history"));
	json_object_set_new(h, "messages", msgs);
	to_visitor(c, h);
}

static void visitor_start(struct engine *e, struct eng_tenant *t, const char *token,
			  const json_t *a)
{
	const char *queue = jstr(a, "queue"), *peer = jstr(a, "peer");
	struct eng_queue *q = eng__queue(e, t, queue);
	const json_t *crm = json_object_get(a, "contact");
	struct eng_chat *c = NULL;

	if (!q || !cfg_chat_queue(t->ct, queue) || q->chat_id == ACD_NONE) {
		visitor_error(e, t->ct->id, token, "unknown_queue", "no chat with this queue");
		return;
	}
	if (chats_from(e, t, peer) >= (unsigned)t->ct->chat.sessions_per_address) {
		log_warn("engine", "tenant=%s event=chat_refused reason=sessions_per_address",
			 t->ct->id);
		visitor_error(e, t->ct->id, token, "too_many",
			      "too many chats from this address, try again later");
		return;
	}
	if (!(c = calloc(1, sizeof(*c))) || !(c->timeline = json_array())) {
		free(c);
		visitor_error(e, t->ct->id, token, "unavailable", "out of memory");
		return;
	}
	c->e = e;
	c->t = t;
	c->q = q;
	c->ref = ++e->next_chat_ref;
	c->contact = ACD_NONE;
	crm_id_new(c->ix_id);
	copy(c->token, sizeof(c->token), token);
	copy(c->queue, sizeof(c->queue), queue);
	copy(c->name, sizeof(c->name), jstr(a, "name"));
	copy(c->email, sizeof(c->email), jstr(a, "email"));
	copy(c->phone, sizeof(c->phone), jstr(a, "phone"));
	copy(c->lang, sizeof(c->lang), jstr(a, "language"));
	copy(c->peer, sizeof(c->peer), peer);
	if (json_is_object(crm)) {
		c->crm = json_deep_copy(crm);
		copy(c->contact_id, sizeof(c->contact_id), jstr(crm, "id"));
	}
	c->created_ms = clock_wall_ms();
	/* Its socket closed before the start came from the worker: the visitor is away
	 * from the first instant, and `resume` runs. */
	for (size_t i = 0; i < ENG_CHAT_GONE; i++)
		if (!strcmp(e->chat_gone[i], token)) {
			c->gone_ms = c->created_ms;
			e->chat_gone[i][0] = '\0';
		}
	if (index_add(e, c)) {
		chat_free(c);
		visitor_error(e, t->ct->id, token, "unavailable", "out of memory");
		return;
	}
	c->next = e->chats;
	e->chats = c;
	eng__timeline_add(c->timeline, "chat_started",
			  json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", c->name, "email", c->email,
				    "phone", c->phone, "language", c->lang, "topic", queue));
	log_info("engine", "tenant=%s interaction=%s event=chat_started queue=%s contact=%s",
		 t->ct->id, c->ix_id, queue, c->contact_id[0] ? c->contact_id : "-");
	to_visitor(c, json_pack("{s:s, s:s, s:s, s:s}", "type", "started", "token", c->token,
				"interaction", c->ix_id, "queue", c->queue));
	if (chat_enqueue(c)) {
		chat_end(c, "system", NULL);
		return;
	}
	if (c->contact != ACD_NONE && !c->holder)
		to_visitor(c, state_json(c));
	chat_write(c, NULL);
}

static void visitor_message_in(struct eng_chat *c, const json_t *a)
{
	const char *text = jstr(a, "text");
	json_t *ev;

	if (!*text)
		return;
	ev = json_pack("{s:I, s:s, s:s, s:s?}", "seq", (json_int_t)++c->seq, "text", text, "from",
		       visitor_id(c), "cid", json_string_value(json_object_get(a, "cid")));
	eng__timeline_add(c->timeline, "chat_in", ev);
	ev = json_array_get(c->timeline, json_array_size(c->timeline) - 1);
	to_visitor(c, visitor_message(ev));
	if (c->holder || c->offered)
		agent_event(c, "chat.message", c->holder ? c->holder : c->offered,
			    json_pack("{s:O}", "message", ev));
	chat_store_message(c, ev);
}

static void visitor_cmd(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	const char *kind = jstr(m->args, "kind");
	struct eng_chat *c;

	if (!strcmp(kind, "start")) {
		visitor_start(e, t, m->target, m->args);
		return;
	}
	if (!strcmp(kind, "transcript")) {
		transcript_cmd(e, t, m->target);
		return;
	}
	if (!(c = chat_by_token(e, t, m->target))) {
		if (!strcmp(kind, "gone")) /* perhaps a start still on a worker */
			copy(e->chat_gone[e->chat_gone_next++ % ENG_CHAT_GONE],
			     sizeof(e->chat_gone[0]), m->target);
		else
			visitor_error(e, t->ct->id, m->target, "unknown_chat",
				      "this chat is over or unknown");
		return;
	}
	if (!strcmp(kind, "gone")) {
		c->gone_ms = clock_wall_ms();
		eng__timeline_add(c->timeline, "visitor_away", NULL);
		if (c->holder)
			agent_event(c, "chat.visitor", c->holder,
				    json_pack("{s:b}", "visitor_here", false));
	} else if (!strcmp(kind, "resume")) {
		bool was_gone = c->gone_ms != 0;
		c->gone_ms = 0;
		if (was_gone) {
			eng__timeline_add(c->timeline, "visitor_back", NULL);
			if (c->holder)
				agent_event(c, "chat.visitor", c->holder,
					    json_pack("{s:b}", "visitor_here", true));
		}
		history(c);
	} else if (!strcmp(kind, "message")) {
		visitor_message_in(c, m->args);
	} else if (!strcmp(kind, "typing")) {
		if (c->holder)
			agent_event(
			    c, "chat.typing", c->holder,
			    json_pack("{s:b}", "on", json_is_true(json_object_get(m->args, "on"))));
	} else if (!strcmp(kind, "read")) {
		if (c->holder)
			agent_event(c, "chat.read", c->holder,
				    json_pack("{s:I}", "seq",
					      json_integer_value(json_object_get(m->args, "seq"))));
	} else if (!strcmp(kind, "close")) {
		chat_end(c, "visitor", NULL);
	}
}

/* ---- the ACD's side ---- */

void eng__chat_offer(struct eng_tenant *t, const struct acd_offer *o)
{
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct eng_chat *c = chat_by_ref(t->e, o->contact_ref & ~ENG_CHAT_REF);

	if (!c) {
		acd_offer_reject(t->acd, o->contact, o->agent, clock_mono_ms());
		return;
	}
	c->offered = u;
	c->offered_ms = clock_wall_ms();
	eng__timeline_add(c->timeline, "offered", json_pack("{s:s}", "agent", u->cu->username));
	log_info("engine", "tenant=%s interaction=%s event=offered channel=chat queue=%s agent=%s",
		 t->ct->id, c->ix_id, c->queue, u->cu->username);
	agent_event(c, "contact.offered", u, NULL);
}

void eng__chat_cancel(struct eng_tenant *t, const struct acd_offer *o, enum acd_cancel_reason why)
{
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct eng_chat *c = chat_by_ref(t->e, o->contact_ref & ~ENG_CHAT_REF);

	if (!c)
		return;
	if (c->offered == u)
		c->offered = NULL;
	eng__timeline_add(c->timeline,
			  why == ACD_CANCEL_TIMEOUT		? "offer_missed"
			  : why == ACD_CANCEL_AGENT_UNAVAILABLE ? "offer_withdrawn"
								: "offer_cancelled",
			  json_pack("{s:s}", "agent", u->cu->username));
	if (t->e->api)
		api_event(t->e->api, t->ct->id, "contact.cancelled", u->cu->username,
			  json_pack("{s:s, s:s, s:s}", "interaction", c->ix_id, "channel", "chat",
				    "agent", u->cu->username));
}

void eng__chat_overflow(struct eng_tenant *t, const struct acd_overflow *ov)
{
	struct eng_chat *c = chat_by_ref(t->e, ov->contact_ref & ~ENG_CHAT_REF);

	if (!c)
		return;
	/* A chat queue has no max wait nor length: only a queue taken out of the ACD gets
	 * here. The chat cannot wait anywhere else. */
	c->contact = ACD_NONE;
	eng__timeline_add(c->timeline, "overflowed",
			  json_pack("{s:s}", "reason", acd_overflow_name(ov->reason)));
	chat_end(c, "system", NULL);
}

/* ---- the agent's side ---- */

static struct eng_user *cmd_user(struct engine *e, struct eng_tenant *t, const struct api_cmd *c)
{
	return c->user[0] ? strmap_get2(e->usernames, t->ct->id, c->user) : NULL;
}

static bool may_act(struct eng_user *u, const struct eng_chat *c, const struct api_cmd *m)
{
	if (m->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_OPERATOR))
		return c->holder != NULL;
	return u && c->holder == u;
}

static void accept_cmd(struct engine *e, struct eng_tenant *t, struct eng_chat *c,
		       struct api_cmd *m)
{
	struct eng_user *u = cmd_user(e, t, m);

	if (!u || c->offered != u || c->contact == ACD_NONE ||
	    acd_offer_accept(t->acd, c->contact, u->agent, clock_mono_ms())) {
		eng__acd_arm(t);
		api_reply_error(e->api, m->req, 409, "not_offered",
				"this chat is not offered to you");
		return;
	}
	eng__acd_arm(t);
	c->offered = NULL;
	c->holder = u;
	if (!c->answered_ms) /* the first answer; a transferred chat keeps it */
		c->answered_ms = clock_wall_ms();
	copy(c->agent, sizeof(c->agent), u->cu->username);
	/* The visitor sees the agent's first name only. */
	copy(c->agent_name, sizeof(c->agent_name),
	     u->cu->name && *u->cu->name ? u->cu->name : u->cu->username);
	c->agent_name[strcspn(c->agent_name, " ")] = '\0';
	eng__timeline_add(c->timeline, "answered", json_pack("{s:s}", "agent", u->cu->username));
	log_info("engine", "tenant=%s interaction=%s event=answered channel=chat agent=%s",
		 t->ct->id, c->ix_id, u->cu->username);
	agent_event(c, "contact.answered", u, NULL);
	to_visitor(c, state_json(c));
	chat_write(c, NULL);
	api_reply(e->api, m->req, 200,
		  json_pack("{s:s, s:s, s:o}", "interaction", c->ix_id, "agent", c->agent,
			    "messages", messages_json(c)));
}

static void reply_cmd(struct engine *e, struct eng_tenant *t, struct eng_chat *c, struct api_cmd *m)
{
	const char *text = json_string_value(json_object_get(m->args, "body"));
	json_t *ev;

	if (!may_act(cmd_user(e, t, m), c, m)) {
		api_reply_error(e->api, m->req, 409, "not_held", "this chat is not held by you");
		return;
	}
	if (!text || !*text || strlen(text) > (size_t)t->ct->chat.max_message) {
		api_reply_error(e->api, m->req, 400, "invalid_field",
				"body: the message's text, at most chat.max_message bytes");
		return;
	}
	ev = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)++c->seq, "text", text, "agent",
		       m->user[0] ? m->user : c->agent);
	eng__timeline_add(c->timeline, "chat_out", ev);
	ev = json_array_get(c->timeline, json_array_size(c->timeline) - 1);
	to_visitor(c, visitor_message(ev));
	agent_event(c, "chat.message", c->holder, json_pack("{s:O}", "message", ev));
	chat_store_message(c, ev);
	api_reply(e->api, m->req, 200,
		  json_pack("{s:s, s:O, s:b}", "interaction", c->ix_id, "message", ev, "delivered",
			    !c->gone_ms));
}

static void close_cmd(struct engine *e, struct eng_tenant *t, struct eng_chat *c, struct api_cmd *m)
{
	char ix[CRM_ID_SIZE];

	if (!may_act(cmd_user(e, t, m), c, m)) {
		api_reply_error(e->api, m->req, 409, "not_held", "this chat is not held by you");
		return;
	}
	copy(ix, sizeof(ix), c->ix_id);
	chat_end(c, "agent", m->user[0] ? m->user : NULL);
	api_reply(e->api, m->req, 200,
		  json_pack("{s:s, s:s}", "interaction", ix, "state", "closed"));
}

static void typing_cmd(struct engine *e, struct eng_tenant *t, struct eng_chat *c,
		       struct api_cmd *m)
{
	if (!may_act(cmd_user(e, t, m), c, m)) {
		api_reply_error(e->api, m->req, 409, "not_held", "this chat is not held by you");
		return;
	}
	if (m->op == API_OP_CHAT_TYPING)
		to_visitor(c, json_pack("{s:s, s:b}", "type", "typing", "on",
					json_is_true(json_object_get(m->args, "on"))));
	else
		to_visitor(c, json_pack("{s:s, s:I}", "type", "read", "seq",
					json_integer_value(json_object_get(m->args, "seq"))));
	api_reply(e->api, m->req, 204, NULL);
}

/* To a named agent: offered to that agent now (and to no one else), or refused with the
 * reason and the chat left as it was. */
static int transfer_to_agent(struct engine *e, struct eng_tenant *t, struct eng_chat *c,
			     struct eng_queue *q, const char *queue, struct eng_user *to,
			     struct api_cmd *m)
{
	struct eng_user *from = c->holder;
	struct eng_queue *oldq = c->q;
	uint32_t old = c->contact;
	char oldqueue[sizeof(c->queue)];
	const char *why = NULL;
	int err;

	copy(oldqueue, sizeof(oldqueue), c->queue);
	/* Written before the offer, so that the offer follows it on the timeline. */
	eng__timeline_add(c->timeline, "transferred",
			  json_pack("{s:s, s:s, s:s, s:s}", "from", c->agent, "from_queue",
				    c->queue, "queue", queue, "to_agent", to->cu->username));
	c->holder = c->offered = NULL;
	c->q = q;
	copy(c->queue, sizeof(c->queue), queue);
	err = eng__offer_named(t, q->chat_id, ENG_CHAT_REF | c->ref, to, &c->contact, &why);
	if (err) {
		json_array_remove(c->timeline, json_array_size(c->timeline) - 1);
		c->holder = from;
		c->q = oldq;
		c->contact = old;
		copy(c->queue, sizeof(c->queue), oldqueue);
		log_info("engine",
			 "tenant=%s interaction=%s event=transfer_refused channel=chat agent=%s "
			 "to_agent=%s reason=\"%s\"",
			 t->ct->id, c->ix_id, c->agent, to->cu->username, why);
		api_reply_error(e->api, m->req, err == ENOENT ? 400 : 409,
				err == ENOENT ? "invalid_field" : "agent_unavailable", why);
		return err;
	}
	if (old != ACD_NONE)
		acd_contact_end(t->acd, old, clock_mono_ms());
	eng__acd_arm(t);
	log_info("engine",
		 "tenant=%s interaction=%s event=transferred channel=chat agent=%s queue=%s "
		 "to_agent=%s",
		 t->ct->id, c->ix_id, c->agent, queue, to->cu->username);
	agent_event(c, "contact.transferred", from,
		    json_pack("{s:s, s:s}", "to_queue", queue, "to_agent", to->cu->username));
	return 0;
}

/* Into another queue with its history (or to a named agent): the agent's capacity is
 * freed, the visitor waits again (told its place), and the agent who takes it next gets
 * every message so far. */
static void transfer_cmd(struct engine *e, struct eng_tenant *t, struct eng_chat *c,
			 struct api_cmd *m)
{
	const char *agent = json_string_value(json_object_get(m->args, "agent"));
	const char *named = json_string_value(json_object_get(m->args, "queue"));
	struct eng_queue *q;
	struct eng_user *from = c->holder, *to = NULL;
	char queue[sizeof(c->queue)];

	/* A copy: c->queue is rewritten below, from this. */
	copy(queue, sizeof(queue), named ? named : c->queue);
	q = eng__queue(e, t, queue);
	if (!may_act(cmd_user(e, t, m), c, m)) {
		api_reply_error(e->api, m->req, 409, "not_held", "this chat is not held by you");
		return;
	}
	if (!q || !cfg_chat_queue(t->ct, queue) || q->chat_id == ACD_NONE) {
		api_reply_error(e->api, m->req, 400, "invalid_field",
				"queue: not a queue with chats");
		return;
	}
	if (agent) {
		to = strmap_get2(e->usernames, t->ct->id, agent);
		if (!to || to->agent == ACD_NONE) {
			api_reply_error(e->api, m->req, 400, "invalid_field",
					"agent: no agent with this username in the tenant");
			return;
		}
		if (to == from) {
			api_reply_error(e->api, m->req, 400, "invalid_field",
					"agent: this agent holds the chat already");
			return;
		}
		if (transfer_to_agent(e, t, c, q, queue, to, m))
			return;
	} else {
		if (c->contact != ACD_NONE) {
			acd_contact_end(t->acd, c->contact, clock_mono_ms());
			c->contact = ACD_NONE;
		}
		eng__timeline_add(c->timeline, "transferred",
				  json_pack("{s:s, s:s, s:s}", "from", c->agent, "from_queue",
					    c->queue, "queue", queue));
		log_info(
		    "engine",
		    "tenant=%s interaction=%s event=transferred channel=chat agent=%s queue=%s",
		    t->ct->id, c->ix_id, c->agent, queue);
		agent_event(c, "contact.transferred", from, json_pack("{s:s}", "to_queue", queue));
		c->holder = c->offered = NULL;
		c->q = q;
		copy(c->queue, sizeof(c->queue), queue);
		if (chat_enqueue(c)) {
			api_reply_error(e->api, m->req, 503, "unavailable",
					"the queue takes no chats now");
			chat_end(c, "system", NULL);
			return;
		}
	}
	if (!c->holder)
		to_visitor(c, state_json(c));
	chat_write(c, NULL);
	api_reply(e->api, m->req, 200,
		  json_pack("{s:s, s:s, s:s, s:s?}", "interaction", c->ix_id, "queue", c->queue,
			    "state",
			    c->holder	 ? "connected"
			    : c->offered ? "offered"
					 : "queued",
			    "agent", to ? to->cu->username : NULL));
}

bool eng__chat_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	struct eng_chat *c;

	if (m->op == API_OP_CHAT_VISITOR) {
		visitor_cmd(e, t, m);
		return true;
	}
	if (m->op != API_OP_EMAIL_ACCEPT && m->op != API_OP_EMAIL_CLOSE &&
	    m->op != API_OP_EMAIL_REPLY && m->op != API_OP_CHAT_TYPING &&
	    m->op != API_OP_CHAT_READ && m->op != API_OP_CHAT_TRANSFER)
		return false;
	if (!(c = chat_by_ix(e, t, m->target))) {
		if (m->op == API_OP_CHAT_TYPING || m->op == API_OP_CHAT_READ) {
			api_reply_error(e->api, m->req, 404, "not_found",
					"no open chat with this id");
			return true;
		}
		return false; /* perhaps an email conversation (mail.c) */
	}
	if (m->op == API_OP_EMAIL_ACCEPT)
		accept_cmd(e, t, c, m);
	else if (m->op == API_OP_EMAIL_CLOSE)
		close_cmd(e, t, c, m);
	else if (m->op == API_OP_EMAIL_REPLY)
		reply_cmd(e, t, c, m);
	else if (m->op == API_OP_CHAT_TRANSFER)
		transfer_cmd(e, t, c, m);
	else
		typing_cmd(e, t, c, m);
	return true;
}

void eng__chat_tick(struct engine *e)
{
	int64_t now = clock_wall_ms();
	struct eng_chat *c = e->chats, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->gone_ms && now - c->gone_ms >= (int64_t)c->t->ct->chat.resume_ms) {
			chat_end(c, "timeout", NULL);
			continue;
		}
		if (!c->holder && !c->gone_ms && c->contact != ACD_NONE) {
			uint32_t pos = c->last_position;
			int64_t w = c->last_wait_s;
			json_t *s = state_json(c);
			if (s && (pos != c->last_position || w != c->last_wait_s))
				to_visitor(c, s);
			else
				json_decref(s);
		}
	}
}

void eng__chat_stop(struct engine *e)
{
	/* The store, the ACD and the API still run: each chat is ended as any other (its
	 * record written, its visitor and agent told), not taken back at the next start. */
	while (e->chats)
		chat_end(e->chats, "system", NULL);
	hindex_free(&e->chat_by_token);
	hindex_free(&e->chat_by_ix);
	hindex_free(&e->chat_by_ref);
	free(e->chat_done);
	e->chat_done = NULL;
}
