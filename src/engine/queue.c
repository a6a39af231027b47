/*
 * The ACD driven by live calls. Each tenant has its own ACD instance (src/acd), built
 * from the configuration at start: skills, queues, agents. Calls enter queues here
 * (answered, music on hold), the ACD's offers ring agents' phones through call.c, and
 * what the phones do (answer, decline, silence) goes back to the ACD as accept, reject
 * or a ring timeout. Agent state changes are logged and written to the store's agent
 * state log as closed spans. The ACD keeps time on the monotonic clock; one su_timer per
 * tenant is armed for its next deadline after every call into the library
 * (eng__acd_arm). The ACD's provisioning, start and stop are in queue_prov.c,
 * callbacks in queue_cb.c, agents' phones and feature codes in feature.c, the
 * per-minute figures in stats.c, the tenant's midnight in midnight.c.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

/* Callers remembered for the preferred (sticky) agent; the map keeps no more. */
#define LAST_AGENT_MAX 200000

static const char *lang_of(const struct call *c)
{
	if (c->lang[0])
		return c->lang;
	return c->t->ct->language ? c->t->ct->language : "en";
}

static void timer_cb(su_root_magic_t *magic, su_timer_t *tm, su_timer_arg_t *arg);

/* Sets the tenant's timer for the ACD's next deadline, if that changed. */
static void arm(struct eng_tenant *t)
{
	uint64_t d = acd_next_deadline(t->acd), now;

	if (d == t->acd_deadline)
		return;
	t->acd_deadline = d;
	if (d == ACD_NEVER) {
		su_timer_reset(t->acd_timer);
		return;
	}
	now = clock_mono_ms();
	su_timer_set_interval(t->acd_timer, timer_cb, t, d > now ? (su_duration_t)(d - now) : 0);
}

static void timer_cb(su_root_magic_t *magic, su_timer_t *tm, su_timer_arg_t *arg)
{
	struct eng_tenant *t = (struct eng_tenant *)arg;

	(void)magic;
	(void)tm;
	t->acd_deadline = ACD_NEVER;
	acd_tick(t->acd, clock_mono_ms());
	arm(t);
}

void eng__acd_arm(struct eng_tenant *t)
{
	arm(t);
}

/* ---- what the ACD asks for ---- */

/* One span of agent u's state log (end 0: still open). 0 or the store's errno. */
int eng__span_write(struct eng_tenant *t, struct eng_user *u, enum acd_state st, uint16_t reason,
		    int64_t start, int64_t end)
{
	struct store_agent_state span = {
	    .tenant = t->ct->id,
	    .agent = u->cu->username,
	    .state = acd_state_name(st),
	    .reason = st == ACD_STATE_NOT_READY ? eng__reason_name(t, reason) : NULL,
	    .start_ms = start,
	    .end_ms = end,
	};

	return t->e->store ? store_agent_state_submit(t->e->store, &span, NULL, 0) : 0;
}

/* Writes the span that ends (start..now) and the one that begins (open), so that a crash
 * loses no span in progress (docs/storage.md, the agent state log). */
static void spans_submit(struct eng_tenant *t, struct eng_user *u, enum acd_state to,
			 uint16_t reason, int64_t now)
{
	if (eng__span_write(t, u, u->state, u->reason, u->state_since, now) ||
	    eng__span_write(t, u, to, reason, now, 0))
		log_warn("engine", "tenant=%s event=agent_state_not_stored agent=%s", t->ct->id,
			 u->cu->username);
}

static void on_state(const struct acd_state_event *ev, void *arg)
{
	struct eng_tenant *t = arg;
	struct eng_user *u = (struct eng_user *)(uintptr_t)ev->agent_ref;
	int64_t now = clock_wall_ms();
	const char *why = ev->to == ACD_STATE_NOT_READY ? eng__reason_name(t, ev->reason) : NULL;

	/* Spans are keyed by their start: two changes in one millisecond stay two spans. */
	if (now <= u->state_since)
		now = u->state_since + 1;
	spans_submit(t, u, ev->to, ev->reason, now);
	if (ev->from == ACD_STATE_WRAP_UP && u->wrap_call) {
		struct call *c = u->wrap_call;
		u->wrap_call = NULL;
		eng__call_wrapped(c, now);
	}
	u->state = ev->to;
	u->reason = ev->reason;
	u->state_since = now;
	eng__ev_agent_state(u, ev->from, ev->to, why);
	log_info("engine", "tenant=%s event=agent_state agent=%s from=%s to=%s cause=%s%s%s",
		 t->ct->id, u->cu->username, acd_state_name(ev->from), acd_state_name(ev->to),
		 acd_cause_name(ev->cause), why ? " reason=" : "", why ? why : "");
}

static struct call *call_of(struct eng_tenant *t, uint64_t ref)
{
	return eng__call_find(t->e, ref);
}

static void on_offer(const struct acd_offer *o, void *arg)
{
	struct eng_tenant *t = arg;
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct call *c;
	size_t placed;

	if (o->contact_ref & ENG_SMS_REF) {
		eng__sms_offer(t, o);
		return;
	}
	if (o->contact_ref & ENG_CHAT_REF) {
		eng__chat_offer(t, o);
		return;
	}
	if (o->contact_ref & ENG_MAIL_REF) {
		eng__mail_offer(t, o);
		return;
	}
	c = call_of(t, o->contact_ref);
	if (!c) {
		acd_offer_reject(t->acd, o->contact, o->agent, clock_mono_ms());
		return;
	}
	/* The screen pop goes out before the phone rings. */
	eng__ev_contact(c, "contact.offered", u);
	placed = u->cu->sip_user || eng__phone_up(u) ? eng__ring_user(c, u) : 0;
	log_info("engine", "tenant=%s call=%llu event=offered queue=%s agent=%s legs=%zu%s",
		 t->ct->id, (unsigned long long)c->id, c->queue, u->cu->username, placed,
		 o->callback ? " callback=1" : "");
	eng__timeline(c, "offered", "agent", u->cu->username);
	if (!placed) {
		/* Ready but no phone reachable: a missed offer, the contact moves on. */
		eng__timeline(c, "offer_missed", "agent", u->cu->username);
		acd_offer_reject(t->acd, o->contact, o->agent, clock_mono_ms());
		return;
	}
	u->offer = c;
}

static void on_cancel(const struct acd_offer *o, enum acd_cancel_reason why, void *arg)
{
	struct eng_tenant *t = arg;
	struct eng_user *u = (struct eng_user *)(uintptr_t)o->agent_ref;
	struct call *c;

	if (o->contact_ref & ENG_SMS_REF) {
		eng__sms_cancel(t, o, why);
		return;
	}
	if (o->contact_ref & ENG_CHAT_REF) {
		eng__chat_cancel(t, o, why);
		return;
	}
	if (o->contact_ref & ENG_MAIL_REF) {
		eng__mail_cancel(t, o, why);
		return;
	}
	c = call_of(t, o->contact_ref);
	if (u->offer == c)
		u->offer = NULL;
	if (!c)
		return;
	eng__forks_cancel_user(c, u);
	if (why == ACD_CANCEL_TIMEOUT) {
		log_info("engine", "tenant=%s call=%llu event=offer_missed agent=%s reason=timeout",
			 t->ct->id, (unsigned long long)c->id, u->cu->username);
		eng__timeline(c, "offer_missed", "agent", u->cu->username);
	} else if (why == ACD_CANCEL_AGENT_UNAVAILABLE) {
		eng__timeline(c, "offer_withdrawn", "agent", u->cu->username);
	}
}

static void target_text(const struct cfg_target *tg, char *buf, size_t size)
{
	static const char *const kinds[] = {
	    [CFG_TARGET_NONE] = "none",	    [CFG_TARGET_QUEUE] = "queue",
	    [CFG_TARGET_USER] = "user",	    [CFG_TARGET_NUMBER] = "number",
	    [CFG_TARGET_FLOW] = "flow",	    [CFG_TARGET_MESSAGE] = "message",
	    [CFG_TARGET_HANGUP] = "hangup",
	};
	const char *k = (size_t)tg->kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[tg->kind] : "?";

	if (tg->kind == CFG_TARGET_QUEUE || tg->kind == CFG_TARGET_USER ||
	    tg->kind == CFG_TARGET_NUMBER || tg->kind == CFG_TARGET_FLOW)
		snprintf(buf, size, "%s:%s", k, tg->value ? tg->value : "");
	else
		snprintf(buf, size, "%s", k);
}

/* Plays a closing message to the caller, then hangs up (bye_play). */
static void say_goodbye(struct call *c, const char *prompt)
{
	char p1[512], p2[512];
	struct media_item it[2] = {
	    {.kind = MEDIA_ITEM_FILE,
	     .path = ivr_prompt_path(p1, sizeof(p1), c->e->cfg->prompts, lang_of(c), prompt)},
	    {.kind = MEDIA_ITEM_FILE,
	     .path = ivr_prompt_path(p2, sizeof(p2), c->e->cfg->prompts, lang_of(c), "goodbye")},
	};

	c->state = CALL_ROUTING;
	eng__play_then_hangup(c, it, 2);
}

/* Speaks a queue's overflow message (rendered at start), then hangs up. */
static void say_message(struct call *c, const char *text)
{
	char path[512];
	struct media_item it = {.kind = MEDIA_ITEM_FILE, .path = path};

	if (eng__tts_cached(c->e, text, c->t->ct->language, path, sizeof(path))) {
		say_goodbye(c, "all-agents-busy");
		return;
	}
	c->state = CALL_ROUTING;
	eng__play_then_hangup(c, &it, 1);
}

static void on_overflow(const struct acd_overflow *ov, void *arg)
{
	struct eng_tenant *t = arg;
	struct call *c;
	struct eng_queue *q = ov->queue < t->nqidx ? t->qidx[ov->queue] : NULL;
	const struct cfg_target *tg;
	char target[160];
	int err = 0;

	if (ov->contact_ref & ENG_SMS_REF) {
		eng__sms_overflow(t, ov);
		return;
	}
	if (ov->contact_ref & ENG_CHAT_REF) {
		eng__chat_overflow(t, ov);
		return;
	}
	if (ov->contact_ref & ENG_MAIL_REF) {
		eng__mail_overflow(t, ov);
		return;
	}
	c = call_of(t, ov->contact_ref);
	if (!c || !q)
		return;
	tg = &q->cq->overflow;
	c->contact = ACD_NONE;
	target_text(tg, target, sizeof(target));
	log_info("engine",
		 "tenant=%s call=%llu event=overflowed queue=%s reason=%s target=%s waited_ms=%llu",
		 t->ct->id, (unsigned long long)c->id, q->cq->id, acd_overflow_name(ov->reason),
		 target, (unsigned long long)ov->waited_ms);
	eng__timeline(c, "overflowed", "reason", acd_overflow_name(ov->reason));
	if (!c->a)
		return;
	switch (tg->kind) {
	case CFG_TARGET_QUEUE:
		err = eng__queue_enter(c, eng__queue(t->e, t, tg->value), c->num_priority, NULL, 0);
		break;
	case CFG_TARGET_USER: {
		struct eng_user *u = strmap_get2(t->e->usernames, t->ct->id, tg->value);
		err = u ? eng__route_user(c, u) : ENOENT;
		break;
	}
	case CFG_TARGET_NUMBER:
		err = eng__dial_out(c, tg->value, tg->trunk, ENG_VIA_OVERFLOW, NULL);
		break;
	case CFG_TARGET_FLOW:
		c->state = CALL_IVR;
		err = eng__flow_enter(c, tg->value);
		break;
	case CFG_TARGET_MESSAGE:
		say_message(c, tg->value);
		return;
	default:
		say_goodbye(c, ov->reason == ACD_OVERFLOW_CLOSED ? "closed" : "all-agents-busy");
		return;
	}
	if (err) {
		log_warn("engine", "tenant=%s call=%llu event=overflow_failed target=%s err=%s",
			 t->ct->id, (unsigned long long)c->id, target, strerror(err));
		say_goodbye(c, "all-agents-busy");
	}
}

static void moh_start(struct call *c)
{
	struct media_item it = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};

	if (c->q && c->q->cq->moh) {
		it.kind = MEDIA_ITEM_FILE;
		it.path = c->q->cq->moh;
	}
	c->announce_play = 0;
	eng__play(c, &it, 1, true);
}

/* Virtual hold is offered only to a caller whose number something vouches for
 * (c->cli, outbound.c): anyone can write a From header, and the callback would dial it
 * through the tenant's trunk. */
static bool callback_offered(const struct call *c)
{
	return c->q && c->q->cq->callback_digit && c->t->ct->ntrunks && c->cli[0];
}

static void on_announce(const struct acd_announce *an, void *arg)
{
	struct eng_tenant *t = arg;
	struct call *c = an->contact_ref & (ENG_MAIL_REF | ENG_SMS_REF | ENG_CHAT_REF)
			     ? NULL
			     : call_of(t, an->contact_ref);
	const struct cfg_queue *cq;
	const char *names[24];
	char paths[24][256];
	struct media_item it[24];
	size_t n = 0, k;

	if (!c || !c->a || c->state != CALL_QUEUED || !c->q)
		return;
	cq = c->q->cq;
#define ADD(name)                                                                                  \
	do {                                                                                       \
		if (n < 24) {                                                                      \
			it[n] = (struct media_item){.kind = MEDIA_ITEM_FILE};                      \
			it[n].path = ivr_prompt_path(paths[n], sizeof(paths[n]),                   \
						     t->e->cfg->prompts, lang_of(c), (name));      \
			n++;                                                                       \
		}                                                                                  \
	} while (0)
	if (cq->announce_position) {
		k = ivr_say_number(lang_of(c), (long)an->position, IVR_UNIT_NONE, names, 8);
		if (k) {
			ADD("you-are-number");
			for (size_t i = 0; i < k; i++)
				ADD(names[i]);
		}
	}
	if (cq->announce_ewt && an->ewt_ms != ACD_NEVER) {
		long min = (long)((an->ewt_ms + 59999) / 60000);
		k = ivr_say_number(lang_of(c), min ? min : 1, IVR_UNIT_MINUTE, names, 10);
		if (k) {
			ADD("estimated-wait");
			for (size_t i = 0; i < k; i++)
				ADD(names[i]);
		}
	}
	if (callback_offered(c))
		ADD("callback-offer");
#undef ADD
	if (!n)
		return;
	log_info("engine", "tenant=%s call=%llu event=announce position=%u ewt_ms=%lld", t->ct->id,
		 (unsigned long long)c->id, an->position,
		 an->ewt_ms == ACD_NEVER ? -1LL : (long long)an->ewt_ms);
	c->announce_play = eng__play(c, it, n, false);
}

void eng__acd_handlers(struct acd_handlers *h, struct eng_tenant *t)
{
	*h = (struct acd_handlers){
	    .state = on_state,
	    .offer = on_offer,
	    .cancel = on_cancel,
	    .overflow = on_overflow,
	    .announce = on_announce,
	    .arg = t,
	};
}

/* ---- calls in queues ---- */

int eng__queue_enter(struct call *c, struct eng_queue *q, int priority,
		     const struct ivr_skill *skills, size_t nskills)
{
	struct eng_tenant *t = c->t;
	struct acd_contact_params p;
	uint64_t now = clock_mono_ms();
	int err;

	if (!q || q->t != t)
		return ENOENT;
	if (nskills > ACD_MAX_CONTACT_SKILLS)
		return E2BIG;
	acd_contact_params_default(&p);
	for (size_t i = 0; i < nskills; i++) {
		if ((err = acd_skill_find(t->acd, skills[i].name, &p.skills[i].skill)))
			return err;
		p.skills[i].level = (uint8_t)skills[i].level;
	}
	p.nskills = nskills;
	p.queue = q->id;
	p.priority = priority >= 0 ? priority : c->num_priority;
	p.since_ms = c->since_mono;
	p.ref = c->id;
	if (q->cq->sticky_ms && c->from[0]) {
		struct eng_user *last = strmap_get(t->last_agent, c->from);
		if (last && last->agent != ACD_NONE)
			p.preferred_agent = last->agent;
	}
	if (q->hours) {
		bool open = ivr_calendar_is_open(q->hours, clock_wall_ms());
		if (open != q->open && !acd_queue_set_open(t->acd, q->id, open, now))
			q->open = open;
	}
	if ((err = eng__call_answer(c)))
		return err;
	c->q = q;
	c->state = CALL_QUEUED;
	snprintf(c->queue, sizeof(c->queue), "%s", q->cq->id);
	if (!c->since_mono)
		c->since_mono = now;
	if (!c->queued_ms)
		c->queued_ms = clock_wall_ms();
	eng__timeline(c, "queued", "queue", q->cq->id);
	log_info("engine", "tenant=%s call=%llu event=queued queue=%s", t->ct->id,
		 (unsigned long long)c->id, q->cq->id);
	eng__ev_contact(c, "contact.queued", NULL);
	moh_start(c);
	/* The id is written before any callback runs; an overflow callback clears it. */
	err = acd_contact_enqueue(t->acd, &p, now, &c->contact);
	if (err) {
		c->contact = ACD_NONE;
		log_warn("engine", "tenant=%s call=%llu event=enqueue_failed queue=%s err=%s",
			 t->ct->id, (unsigned long long)c->id, q->cq->id, strerror(err));
	}
	arm(t);
	return err;
}

void eng__queue_digit(struct call *c, char digit)
{
	struct eng_tenant *t = c->t;
	char p1[512];
	struct media_item it = {.kind = MEDIA_ITEM_FILE};

	if (c->contact == ACD_NONE || c->callback || !callback_offered(c) ||
	    digit != c->q->cq->callback_digit[0])
		return;
	if (eng__outbound_refusal(t->ct, c->cli)) {
		/* A number the tenant may not dial is not worth an agent's time. */
		log_warn("engine",
			 "tenant=%s call=%llu event=outbound_refused reason=%s via=callback "
			 "number=%s user=-",
			 t->ct->id, (unsigned long long)c->id, eng__outbound_refusal(t->ct, c->cli),
			 c->cli);
		eng__timeline(c, "outbound_refused", "reason",
			      eng__outbound_refusal(t->ct, c->cli));
		return;
	}
	if (acd_contact_to_callback(t->acd, c->contact, clock_mono_ms()))
		return; /* ringing an agent already */
	c->callback = true;
	log_info("engine", "tenant=%s call=%llu event=callback_requested queue=%s", t->ct->id,
		 (unsigned long long)c->id, c->queue);
	eng__timeline(c, "callback_requested", "number", c->cli);
	it.path =
	    ivr_prompt_path(p1, sizeof(p1), t->e->cfg->prompts, lang_of(c), "callback-confirm");
	c->announce_play = 0;
	eng__play_then_hangup(c, &it, 1);
	arm(t);
}

void eng__queue_play_done(struct call *c, uint32_t id)
{
	if (id == c->bye_play && c->a) {
		c->bye_play = 0;
		if (!c->hangup_by)
			c->hangup_by = "system";
		sip_leg_hangup(c->a, 0);
		return;
	}
	if (id == c->announce_play && c->state == CALL_QUEUED && c->a)
		moh_start(c);
}

void eng__queue_caller_gone(struct call *c)
{
	struct eng_tenant *t = c->t;
	uint64_t now = clock_mono_ms();

	if (c->contact == ACD_NONE || c->callback)
		return;
	log_info("engine", "tenant=%s call=%llu event=abandoned queue=%s waited_ms=%llu", t->ct->id,
		 (unsigned long long)c->id, c->queue, (unsigned long long)(now - c->since_mono));
	eng__timeline(c, "abandoned", "queue", c->queue);
	acd_contact_abandon(t->acd, c->contact, now);
	c->contact = ACD_NONE;
	arm(t);
}

void eng__queue_remove(struct call *c)
{
	if (c->contact == ACD_NONE)
		return;
	acd_contact_remove(c->t->acd, c->contact, clock_mono_ms());
	c->contact = ACD_NONE;
	arm(c->t);
}

void eng__queue_offer_answered(struct call *c, struct sip_leg *l, struct eng_user *u)
{
	struct eng_tenant *t = c->t;

	if (!u || u->agent == ACD_NONE || c->contact == ACD_NONE ||
	    acd_offer_accept(t->acd, c->contact, u->agent, clock_mono_ms())) {
		/* The offer timed out or was withdrawn as the phone answered. */
		eng__fork_remove(c, l);
		eng__outbound_leg_ended(c, l);
		sip_leg_set_cookie(l, NULL);
		sip_leg_hangup(l, 0);
		arm(t);
		return;
	}
	if (u->offer == c)
		u->offer = NULL;
	u->cur = c;
	snprintf(c->agent, sizeof(c->agent), "%s", u->cu->username);
	if (t->sticky && c->from[0] &&
	    (strmap_count(t->last_agent) < LAST_AGENT_MAX || strmap_get(t->last_agent, c->from)))
		strmap_put(t->last_agent, c->from, u);
	log_info("engine", "tenant=%s call=%llu event=answered queue=%s agent=%s", t->ct->id,
		 (unsigned long long)c->id, c->queue, u->cu->username);
	if (c->callback && !c->a) {
		/* Virtual hold: the agent is on the line; now the customer is called. */
		eng__fork_remove(c, l);
		eng__forks_cancel_user(c, NULL);
		c->b = l;
		c->state = CALL_RINGING;
		eng__timeline(c, "agent_connected", "agent", u->cu->username);
		{
			struct media_item it = {.kind = MEDIA_ITEM_TONE,
						.tone = MEDIA_TONE_RINGBACK};
			struct media_play_req r = {.items = &it, .nitems = 1, .loop = true};
			media_play(sip_leg_media(l), &r);
		}
		if (eng__dial_out(c, c->cli, NULL, ENG_VIA_CALLBACK, NULL))
			eng__queue_callback_result(c, false);
		arm(t);
		return;
	}
	eng__bridge(c, l);
	arm(t);
}

void eng__queue_offer_failed(struct call *c, struct eng_user *u, int status)
{
	struct eng_tenant *t = c->t;

	if (u->offer != c || c->contact == ACD_NONE)
		return;
	u->offer = NULL;
	log_info("engine",
		 "tenant=%s call=%llu event=offer_missed agent=%s reason=rejected status=%d",
		 t->ct->id, (unsigned long long)c->id, u->cu->username, status);
	eng__timeline(c, "offer_missed", "agent", u->cu->username);
	acd_offer_reject(t->acd, c->contact, u->agent, clock_mono_ms());
	arm(t);
}

struct eng_user *eng__queue_call_ended(struct call *c)
{
	struct acd_contact_info ci;
	struct acd_agent_info ai;
	struct eng_user *u = NULL;
	uint64_t now = clock_mono_ms();

	if (c->contact == ACD_NONE)
		return NULL;
	if (!acd_contact_info(c->t->acd, c->contact, now, &ci) && ci.agent != ACD_NONE &&
	    !acd_agent_info(c->t->acd, ci.agent, &ai))
		u = (struct eng_user *)(uintptr_t)ai.ref;
	if (u && u->cur == c)
		u->cur = NULL;
	if (acd_contact_end(c->t->acd, c->contact, now)) {
		acd_contact_remove(c->t->acd, c->contact, now);
		u = NULL;
	}
	c->contact = ACD_NONE;
	arm(c->t);
	if (u && (acd_agent_info(c->t->acd, u->agent, &ai) || ai.state != ACD_STATE_WRAP_UP))
		u = NULL;
	return u;
}
