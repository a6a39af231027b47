/*
 * The ACD driven by live calls. Each tenant has its own ACD instance (src/acd), built
 * from the configuration at start: skills, queues, agents. Calls enter queues here
 * (answered, music on hold), the ACD's offers ring agents' phones through call.c, and
 * what the phones do (answer, decline, silence) goes back to the ACD as accept, reject
 * or a ring timeout. Agent state changes are logged and written to the store's agent
 * state log as closed spans. The ACD keeps time on the monotonic clock; one su_timer per
 * tenant is armed for its next deadline after every call into the library
 * (eng__acd_arm). Agents' phones and feature codes are in feature.c, the per-minute
 * figures in stats.c, the tenant's midnight in midnight.c.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

/* Memberships of one agent in the ACD: configured queues and their mailboxes' queues. */
#define ENG_MEMBERSHIPS 128

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
static int span_write(struct eng_tenant *t, struct eng_user *u, enum acd_state st, uint16_t reason,
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
	if (span_write(t, u, u->state, u->reason, u->state_since, now) ||
	    span_write(t, u, to, reason, now, 0))
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

/* ---- provisioning ---- */

static int skill_levels(struct acd *acd, const struct cfg_skill *s, size_t n,
			struct acd_skill_level *out, size_t max)
{
	int err;

	if (n > max)
		return E2BIG;
	for (size_t i = 0; i < n; i++) {
		if ((err = acd_skill_intern(acd, s[i].name, &out[i].skill)))
			return err;
		out[i].level = (uint8_t)s[i].level;
	}
	return 0;
}

static int queue_params(struct eng_tenant *t, const struct eng_queue *q, bool relax,
			struct acd_queue_params *p)
{
	const struct cfg_queue *cq = q->cq;
	int err;

	acd_queue_params_default(p);
	if (cq->strategy && acd_strategy_find(cq->strategy, &p->strategy)) {
		log_error("engine", "tenant=%s event=bad_strategy queue=%s strategy=%s", t->ct->id,
			  cq->id, cq->strategy);
		return EINVAL;
	}
	if (cq->sl_formula && acd_sl_formula_find(cq->sl_formula, &p->sl_formula))
		return EINVAL;
	if ((err = skill_levels(t->acd, cq->skills, cq->nskills, p->skills, ACD_MAX_QUEUE_SKILLS)))
		return err;
	p->nskills = cq->nskills;
	p->ring_timeout_ms = cq->ring_timeout_ms;
	p->wrap_up_ms = cq->wrap_up_ms;
	p->max_wait_ms = cq->max_wait_ms;
	p->max_len = (uint32_t)cq->max_len;
	p->service_level_ms = cq->service_level_ms;
	p->service_level_pct = (uint8_t)cq->service_level_target;
	p->short_abandon_ms = cq->short_abandon_ms;
	p->sticky_ms = cq->sticky_ms;
	if (cq->announce_position || cq->announce_ewt || cq->callback_digit)
		p->announce_ms = cq->announce_every_ms;
	if (cq->priority >= 0)
		p->priority = (uint8_t)cq->priority;
	if (cq->max_no_answer > 0)
		p->max_no_answer = (uint8_t)cq->max_no_answer;
	p->ref = (uint64_t)(uintptr_t)q;
	if (!relax)
		return 0;
	if (cq->nrelax > ACD_MAX_RELAX)
		return E2BIG;
	for (size_t i = 0; i < cq->nrelax; i++) {
		struct acd_relax_step *r = &p->relax[i];
		struct eng_queue *to = eng__queue(t->e, t, cq->relax[i].add_queue);
		r->after_ms = cq->relax[i].after_ms;
		r->min_level = (uint8_t)cq->relax[i].min_level;
		r->max_penalty = (int16_t)cq->relax[i].max_penalty;
		r->add_queue = to ? to->id : ACD_NONE;
	}
	p->nrelax = cq->nrelax;
	return 0;
}

/* The ACD's view of agent u: its skills and the memberships of its configured queues it
 * is logged into (all but those in u->queues_off). */
static int agent_params(struct eng_tenant *t, struct eng_user *u, struct acd_skill_level *skills,
			struct acd_membership *ms, struct acd_agent_params *p)
{
	const struct cfg_user *cu = u->cu;
	size_t nm = 0;
	int err;

	if ((err = skill_levels(t->acd, cu->skills, cu->nskills, skills, 64)))
		return err;
	for (size_t i = 0; i < cu->nqueues && nm < ENG_MEMBERSHIPS; i++) {
		struct eng_queue *q = eng__queue(t->e, t, cu->queues[i].queue);
		if (!q)
			continue; /* removed through the API since: no membership */
		if (i < 64 && (u->queues_off >> i & 1))
			continue;
		ms[nm++] = (struct acd_membership){
		    .queue = q->id, .penalty = cu->queues[i].penalty, .order = (uint32_t)i + 1};
		/* The queue's mailbox and web chat are served by the same agents. */
		if (q->email_id != ACD_NONE && nm < ENG_MEMBERSHIPS)
			ms[nm++] = (struct acd_membership){.queue = q->email_id,
							   .penalty = cu->queues[i].penalty,
							   .order = (uint32_t)i + 1};
		/* And its number's texts, and its web chats. */
		if (q->sms_id != ACD_NONE && nm < ENG_MEMBERSHIPS)
			ms[nm++] = (struct acd_membership){.queue = q->sms_id,
							   .penalty = cu->queues[i].penalty,
							   .order = (uint32_t)i + 1};
		if (q->chat_id != ACD_NONE && nm < ENG_MEMBERSHIPS)
			ms[nm++] = (struct acd_membership){.queue = q->chat_id,
							   .penalty = cu->queues[i].penalty,
							   .order = (uint32_t)i + 1};
	}
	acd_agent_params_default(p);
	p->skills = skills;
	p->nskills = cu->nskills;
	p->queues = ms;
	p->nqueues = nm;
	p->ref = (uint64_t)(uintptr_t)u;
	return 0;
}

static int agent_add(struct eng_tenant *t, struct eng_user *u, uint64_t now)
{
	struct acd_skill_level skills[64];
	struct acd_membership ms[ENG_MEMBERSHIPS];
	struct acd_agent_params p;
	int err;

	if ((err = agent_params(t, u, skills, ms, &p)) ||
	    (err = acd_agent_add(t->acd, &p, now, &u->agent)))
		return err;
	u->state = ACD_STATE_LOGGED_OUT;
	u->state_since = clock_wall_ms();
	return 0;
}

int eng__agent_acd_add(struct eng_tenant *t, struct eng_user *u)
{
	int err = agent_add(t, u, clock_mono_ms());

	if (!err)
		arm(t);
	return err;
}

int eng__agent_acd_update(struct eng_tenant *t, struct eng_user *u)
{
	struct acd_skill_level skills[64];
	struct acd_membership ms[ENG_MEMBERSHIPS];
	struct acd_agent_params p;
	int err;

	if ((err = agent_params(t, u, skills, ms, &p)) ||
	    (err = acd_agent_update(t->acd, u->agent, &p, clock_mono_ms())))
		return err;
	arm(t);
	return 0;
}

int eng__agent_acd_remove(struct eng_tenant *t, struct eng_user *u)
{
	int64_t now = clock_wall_ms();
	int err;

	if (u->offer || u->cur || u->wrap_call)
		return EBUSY;
	if ((err = acd_agent_remove(t->acd, u->agent, clock_mono_ms())))
		return err;
	if (u->state != ACD_STATE_LOGGED_OUT)
		span_write(t, u, u->state, u->reason, u->state_since,
			   now > u->state_since ? now : u->state_since + 1);
	u->agent = ACD_NONE;
	u->state = ACD_STATE_LOGGED_OUT;
	arm(t);
	return 0;
}

int eng__agent_queue_member(struct eng_user *u, const char *queue, bool member)
{
	struct eng_tenant *t = u->t;
	struct acd_skill_level skills[64];
	struct acd_membership ms[ENG_MEMBERSHIPS];
	struct acd_agent_params p;
	size_t i;
	int err;

	if (u->agent == ACD_NONE || !t->acd)
		return EPERM;
	for (i = 0; i < u->cu->nqueues && i < 64 && strcmp(u->cu->queues[i].queue, queue); i++)
		;
	if (i == u->cu->nqueues || i >= 64)
		return ENOENT;
	if (member == !(u->queues_off >> i & 1))
		return 0;
	u->queues_off ^= 1ull << i;
	if ((err = agent_params(t, u, skills, ms, &p)) ||
	    (err = acd_agent_update(t->acd, u->agent, &p, clock_mono_ms()))) {
		u->queues_off ^= 1ull << i;
		return err;
	}
	log_info("engine", "tenant=%s event=agent_queue agent=%s queue=%s member=%d", t->ct->id,
		 u->cu->username, queue, member);
	arm(t);
	return 0;
}

/* Whether any of the tenant's queues but `gone` tries the caller's last agent first: only
 * then is the last agent of each caller remembered (last_agent grows by a caller number
 * for every new caller, up to LAST_AGENT_MAX, and serves nothing without `sticky`).
 * Called when queues are added, changed or removed, not per call. */
static void sticky_update(struct eng_tenant *t, const struct eng_queue *gone)
{
	t->sticky = false;
	for (size_t i = 0; i < t->nqueues && !t->sticky; i++)
		t->sticky =
		    t->queues[i] != gone && !t->queues[i]->removed && t->queues[i]->cq->sticky_ms;
}

/* The ACD queue of one of q's written channels (its mailbox, its web chat): q's routing
 * (strategy, skills, ring timeout, service level) on channel ch, without what only a
 * caller on the line has (max wait and length, announcements, relaxation into voice
 * queues, wrap-up). */
static int side_queue_params(struct eng_tenant *t, const struct eng_queue *q, enum acd_channel ch,
			     struct acd_queue_params *p)
{
	int err = queue_params(t, q, false, p);

	if (err)
		return err;
	p->channel = ch;
	p->max_wait_ms = 0;
	p->max_len = 0;
	p->announce_ms = 0;
	p->wrap_up_ms = 0;
	p->nrelax = 0;
	return 0;
}

/* Adds, updates or removes the ACD queue *id of q's channel ch as `want` says. 0 or
 * errno. */
static int side_queue_sync(struct eng_tenant *t, struct eng_queue *q, enum acd_channel ch,
			   bool want, uint32_t *id, uint64_t now)
{
	struct acd_queue_params qp;
	int err;

	if (!want) {
		if (*id == ACD_NONE)
			return 0;
		if ((err = acd_queue_remove(t->acd, *id, now)))
			return err;
		*id = ACD_NONE;
		return 0;
	}
	if ((err = side_queue_params(t, q, ch, &qp)))
		return err;
	if (*id != ACD_NONE)
		return acd_queue_update(t->acd, *id, &qp, now);
	return acd_queue_add(t->acd, &qp, now, id);
}

/* q's mailbox, web chat and SMS queues as the configuration says. 0 or errno. */
static int written_queues_sync(struct eng_tenant *t, struct eng_queue *q, uint64_t now)
{
	int err = side_queue_sync(t, q, ACD_CH_EMAIL, q->cq->email != NULL, &q->email_id, now);

	if (err)
		return err;
	err =
	    side_queue_sync(t, q, ACD_CH_CHAT, cfg_chat_queue(t->ct, q->cq->id), &q->chat_id, now);
	if (err)
		return err;
	return side_queue_sync(t, q, ACD_CH_SMS, q->cq->sms != NULL, &q->sms_id, now);
}

/* Indexes q by its ACD id (grown as ids come). 0 or ENOMEM. */
static int qidx_set(struct eng_tenant *t, struct eng_queue *q)
{
	if (q->id >= t->nqidx) {
		size_t n = (size_t)q->id + 1;
		struct eng_queue **v = realloc(t->qidx, n * sizeof(*v));
		if (!v)
			return ENOMEM;
		memset(v + t->nqidx, 0, (n - t->nqidx) * sizeof(*v));
		t->qidx = v;
		t->nqidx = n;
	}
	t->qidx[q->id] = q;
	return 0;
}

int eng__queue_acd_add(struct eng_tenant *t, struct eng_queue *q)
{
	struct acd_queue_params qp;
	uint64_t now = clock_mono_ms();
	int err;

	if ((err = queue_params(t, q, true, &qp)))
		return err;
	if ((err = acd_queue_add(t->acd, &qp, now, &q->id)))
		return err;
	if ((err = qidx_set(t, q)) || (err = written_queues_sync(t, q, now))) {
		acd_queue_remove(t->acd, q->id, now);
		q->id = ACD_NONE;
		return err;
	}
	sticky_update(t, NULL);
	arm(t);
	return 0;
}

int eng__queue_acd_update(struct eng_tenant *t, struct eng_queue *q)
{
	struct acd_queue_params qp;
	uint32_t email = q->email_id, sms = q->sms_id, chat = q->chat_id;
	int err;

	if ((err = queue_params(t, q, true, &qp)) ||
	    (err = acd_queue_update(t->acd, q->id, &qp, clock_mono_ms())) ||
	    (err = written_queues_sync(t, q, clock_mono_ms())))
		return err;
	/* A mailbox, number or chat added or taken away: the queue's agents are members of
	 * its written ACD queues as of now. */
	if (email != q->email_id || sms != q->sms_id || chat != q->chat_id)
		for (size_t i = 0; i < t->nusers; i++) {
			struct eng_user *u = t->users[i];
			if (u->agent == ACD_NONE)
				continue;
			for (size_t k = 0; k < u->cu->nqueues; k++)
				if (!strcmp(u->cu->queues[k].queue, q->cq->id)) {
					if (eng__agent_acd_update(t, u))
						log_warn("engine",
							 "tenant=%s event=agent_queues_not_updated "
							 "agent=%s queue=%s",
							 t->ct->id, u->cu->username, q->cq->id);
					break;
				}
		}
	sticky_update(t, NULL);
	arm(t);
	return 0;
}

int eng__queue_acd_remove(struct eng_tenant *t, struct eng_queue *q)
{
	int err;

	if ((err = side_queue_sync(t, q, ACD_CH_EMAIL, false, &q->email_id, clock_mono_ms())) ||
	    (err = side_queue_sync(t, q, ACD_CH_CHAT, false, &q->chat_id, clock_mono_ms())) ||
	    (err = side_queue_sync(t, q, ACD_CH_SMS, false, &q->sms_id, clock_mono_ms())))
		return err;
	if ((err = acd_queue_remove(t->acd, q->id, clock_mono_ms())))
		return err;
	if (q->id < t->nqidx)
		t->qidx[q->id] = NULL;
	q->id = ACD_NONE;
	sticky_update(t, q);
	arm(t);
	return 0;
}

static int tenant_start(struct engine *e, struct eng_tenant *t)
{
	struct acd_params p;
	struct acd_handlers h = {
	    .state = on_state,
	    .offer = on_offer,
	    .cancel = on_cancel,
	    .overflow = on_overflow,
	    .announce = on_announce,
	    .arg = t,
	};
	struct acd_queue_params qp;
	uint64_t now = clock_mono_ms();
	int err;

	acd_params_default(&p);
	/* The tenant's channel rules: capacity per agent and what blocks what. */
	for (int i = 0; i < CFG_CHANNELS; i++) {
		const struct cfg_channel *cc = &t->ct->channels[i];
		enum acd_channel ch, other;
		if (acd_channel_find(cfg_channel_names[i], &ch))
			continue;
		if (cc->capacity >= 0)
			p.capacity[ch] = (uint8_t)cc->capacity;
		if (!cc->has_blocks)
			continue;
		p.blocks[ch] = 0;
		for (int j = 0; j < CFG_CHANNELS; j++)
			if ((cc->blocks & (1u << j)) &&
			    !acd_channel_find(cfg_channel_names[j], &other))
				p.blocks[ch] |= (uint8_t)ACD_CH_BIT(other);
	}
	/* Room for the queues and agents the API adds while running (docs/api.md). */
	p.max_agents = (uint32_t)t->nusers + ENG_AGENTS_SPARE;
	p.max_queues = (uint32_t)t->nqueues + ENG_QUEUES_SPARE;
	p.seed = (uint64_t)clock_mono_us();
	if ((err = acd_new(&p, &h, &t->acd)) || (err = strmap_create(1024, &t->last_agent)))
		return err;
	eng__tz_open(t);
	if (!(t->acd_timer = su_timer_create(su_root_task(e->root), 0)))
		return ENOMEM;
	/* Queues first without relaxation (a step may name a later queue), then with. */
	for (size_t i = 0; i < t->nqueues; i++)
		if ((err = queue_params(t, t->queues[i], false, &qp)) ||
		    (err = acd_queue_add(t->acd, &qp, now, &t->queues[i]->id)))
			goto bad_queue;
	/* ACD queue ids are small indexes: overflow events find their queue directly. */
	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i]->id >= t->nqidx)
			t->nqidx = t->queues[i]->id + 1;
	if (!(t->qidx = calloc(t->nqidx ? t->nqidx : 1, sizeof(*t->qidx))))
		return ENOMEM;
	for (size_t i = 0; i < t->nqueues; i++)
		t->qidx[t->queues[i]->id] = t->queues[i];
	/* Mailboxes' and chats' queues after the voice queues: ACD ids of the latter index qidx. */
	for (size_t i = 0; i < t->nqueues; i++)
		if ((err = written_queues_sync(t, t->queues[i], now)))
			goto bad_queue;
	sticky_update(t, NULL);
	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i]->cq->nrelax &&
		    ((err = queue_params(t, t->queues[i], true, &qp)) ||
		     (err = acd_queue_update(t->acd, t->queues[i]->id, &qp, now))))
			goto bad_queue;
	for (size_t i = 0; i < t->nusers; i++) {
		struct eng_user *u = t->users[i];
		if (!(u->cu->roles & CFG_ROLE_AGENT))
			continue;
		if ((err = agent_add(t, u, now))) {
			log_error("engine", "tenant=%s event=agent_failed agent=%s err=%s",
				  t->ct->id, u->cu->username, strerror(err));
			return err;
		}
	}
	{
		char at[40];
		log_info("engine",
			 "tenant=%s event=acd_started queues=%zu timezone=%s%s "
			 "counters_reset_at=%s",
			 t->ct->id, t->nqueues, t->ct->timezone, t->tz ? "" : " (unknown: UTC)",
			 clock_iso8601(t->next_reset_ms, at, sizeof(at)));
	}
	return 0;
bad_queue:
	log_error("engine", "tenant=%s event=queue_failed err=%s", t->ct->id, strerror(err));
	return err;
}

/* The name at `key` of queue node qn, checked by `find`; an error at its position. */
static size_t check_name(struct cy *cy, struct fy_node *qn, const char *path, const char *key,
			 bool (*known)(const char *), const char *choices)
{
	struct fy_node *v = cy_get(qn, key);
	const char *name = v ? cy_text(v) : NULL;
	char p[512];

	if (!v || (name && known(name)))
		return 0;
	cy_error(cy, v, cy_path(p, sizeof(p), path, key), "unknown %s \"%s\" (%s)", key,
		 name ? name : "", choices);
	return 1;
}

static bool strategy_known(const char *name)
{
	enum acd_strategy_id id;
	return !acd_strategy_find(name, &id);
}

static bool formula_known(const char *name)
{
	enum acd_sl_formula f;
	return !acd_sl_formula_find(name, &f);
}

size_t eng__acd_check(struct cfg *cfg)
{
	struct fy_node *tenants = cy_get(cy_root(cfg->cy), "tenants"), *tn;
	void *ti = NULL;
	size_t errors = 0;

	for (size_t i = 0; tenants && (tn = cy_items(tenants, &ti)); i++) {
		struct fy_node *queues = cy_get(tn, "queues"), *qn;
		void *qi = NULL;
		char tp[64];
		cy_path_idx(tp, sizeof(tp), "tenants", i);
		for (size_t j = 0; queues && (qn = cy_items(queues, &qi)); j++) {
			char qp[128], p[160];
			cy_path_idx(qp, sizeof(qp), cy_path(p, sizeof(p), tp, "queues"), j);
			errors += check_name(cfg->cy, qn, qp, "strategy", strategy_known,
					     "longest-idle, round-robin, least-calls, "
					     "least-talk-time, ring-all, linear, random, "
					     "weighted-random, best-skill");
			errors +=
			    check_name(cfg->cy, qn, qp, "service_level_formula", formula_known,
				       "all_excl_short, answered, with_abandons, all");
		}
	}
	return errors;
}

int eng__tenant_acd_start(struct engine *e, struct eng_tenant *t)
{
	return tenant_start(e, t);
}

int eng__acd_start(struct engine *e)
{
	int err;

	for (size_t i = 0; i < e->ntenants; i++)
		if ((err = tenant_start(e, &e->tenants[i])))
			return err;
	return 0;
}

void eng__acd_stop(struct engine *e)
{
	int64_t now = clock_wall_ms();

	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		/* The spans still open end now. */
		for (size_t j = 0; j < t->nusers; j++) {
			struct eng_user *u = t->users[j];
			if (u->agent != ACD_NONE && u->state != ACD_STATE_LOGGED_OUT)
				span_write(t, u, u->state, u->reason, u->state_since, now);
		}
		/* Calls whose agent is still in wrap-up: written with the wrap-up so far. */
		for (size_t j = 0; j < t->nusers; j++)
			if (t->users[j]->wrap_call) {
				struct call *c = t->users[j]->wrap_call;
				t->users[j]->wrap_call = NULL;
				eng__call_wrapped(c, now);
			}
		if (t->acd_timer)
			su_timer_destroy(t->acd_timer);
		t->acd_timer = NULL;
		acd_free(t->acd);
		t->acd = NULL;
		free(t->qidx);
		t->qidx = NULL;
		strmap_free(t->last_agent);
		eng__webcb_free(t);
		t->last_agent = NULL;
		ivr_calendar_free(t->tz);
		t->tz = NULL;
	}
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

int eng__queue_callback(struct call *asker, struct eng_queue *q, const char *number, int priority)
{
	struct acd_contact_params p;
	struct eng_tenant *t = asker->t;
	uint64_t now = clock_mono_ms();
	struct call *c;
	int err;

	if (!q || q->t != t || !number || !number[0])
		return ENOENT;
	if (!asker->cli[0] || strcmp(asker->cli, number)) {
		log_warn("engine",
			 "tenant=%s call=%llu event=callback_refused reason=untrusted_number "
			 "number=%s",
			 t->ct->id, (unsigned long long)asker->id, number);
		eng__timeline(asker, "callback_refused", "reason", "untrusted_number");
		return EPERM;
	}
	if (eng__outbound_refusal(t->ct, number)) {
		log_warn("engine",
			 "tenant=%s call=%llu event=outbound_refused reason=%s via=callback "
			 "number=%s user=-",
			 t->ct->id, (unsigned long long)asker->id,
			 eng__outbound_refusal(t->ct, number), number);
		eng__timeline(asker, "outbound_refused", "reason",
			      eng__outbound_refusal(t->ct, number));
		return EPERM;
	}
	if (!t->ct->ntrunks)
		return ENOTSUP;
	if (!(c = eng__call_new(t->e, t)))
		return ENOMEM;
	snprintf(c->from, sizeof(c->from), "%s", number);
	snprintf(c->cli, sizeof(c->cli), "%s", number); /* vouched for by the caller */
	c->callback = true;
	c->outbound = true;
	c->q = q;
	c->state = CALL_QUEUED;
	c->since_mono = now;
	c->queued_ms = clock_wall_ms();
	snprintf(c->queue, sizeof(c->queue), "%s", q->cq->id);
	eng__timeline(c, "callback_requested", "number", number);
	acd_contact_params_default(&p);
	p.queue = q->id;
	p.priority = priority;
	p.callback = true;
	p.ref = c->id;
	log_info("engine", "tenant=%s call=%llu event=callback_requested queue=%s", t->ct->id,
		 (unsigned long long)c->id, q->cq->id);
	if ((err = acd_contact_enqueue(t->acd, &p, now, &c->contact))) {
		c->contact = ACD_NONE;
		c->hangup_by = "system";
		eng__call_maybe_done(c);
	}
	arm(t);
	return err;
}

int eng__queue_web_callback(struct eng_tenant *t, struct eng_queue *q, const char *id,
			    const char *number, const char *lang)
{
	struct acd_contact_params p;
	uint64_t now = clock_mono_ms();
	struct call *c;
	int err;

	if (!(c = eng__call_new(t->e, t)))
		return ENOMEM;
	snprintf(c->ix_id, sizeof(c->ix_id), "%s", id); /* the id the visitor was given */
	snprintf(c->from, sizeof(c->from), "%s", number);
	snprintf(c->cli, sizeof(c->cli), "%s", number); /* checked by the outbound rules */
	if (lang && *lang)
		snprintf(c->lang, sizeof(c->lang), "%s", lang);
	c->callback = true;
	c->web_callback = true;
	c->outbound = true;
	c->q = q;
	c->state = CALL_QUEUED;
	c->since_mono = now;
	c->queued_ms = clock_wall_ms();
	snprintf(c->queue, sizeof(c->queue), "%s", q->cq->id);
	eng__timeline(c, "web_callback_due", "number", number);
	acd_contact_params_default(&p);
	p.queue = q->id;
	p.callback = true;
	p.ref = c->id;
	log_info("engine", "tenant=%s call=%llu event=web_callback_queued queue=%s id=%s",
		 t->ct->id, (unsigned long long)c->id, q->cq->id, id);
	if ((err = acd_contact_enqueue(t->acd, &p, now, &c->contact))) {
		c->contact = ACD_NONE;
		c->hangup_by = "system";
		eng__call_maybe_done(c);
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

void eng__queue_callback_result(struct call *c, bool answered)
{
	log_info("engine", "tenant=%s call=%llu event=callback_%s number=%s", c->t->ct->id,
		 (unsigned long long)c->id, answered ? "connected" : "failed", c->cli);
	if (!answered) {
		/* The agent's contact ends here (wrap-up), whoever hangs up last. */
		eng__timeline(c, "callback_failed", "number", c->cli);
		c->hangup_by = "system";
		eng__queue_call_ended(c);
		if (c->b)
			sip_leg_hangup(c->b, 0);
		return;
	}
	/* The customer (c->a) meets the agent (c->b): answered time is the customer's, and
	 * who hangs up is counted from now (the caller's release was ours). */
	c->a_answered = true;
	c->hangup_by = NULL;
	eng__bridge(c, c->b);
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
