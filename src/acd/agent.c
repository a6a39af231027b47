/*
 * Agents: provisioning (skills, explicit queues, capacity), presence set by the engine,
 * the derived state machine (ready, reserved, busy, wrap-up) with one event per change,
 * wrap-up timing, and the missed-offer count that pauses an agent who does not answer.
 *
 * Availability is a bit per channel: the agent's presence is ready, it is not in
 * wrap-up, nothing is ringing it, it holds fewer contacts than its capacity on that
 * channel, and no contact it holds blocks that channel (the tenant's blocking rules).
 * acd__agent_refresh() recomputes it after anything that may change it, lets a newly
 * free agent pick a waiting contact first, then files it in the queues' trees and
 * reports the state change: one event, even when the agent went from busy straight to
 * reserved.
 */
#include "acd/acd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint8_t acd__agent_level(const struct acd__agent *a, uint32_t skill)
{
	size_t lo = 0, hi = a->nskills;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a->skills[mid].skill < skill)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->nskills && a->skills[lo].skill == skill ? a->skills[lo].level : 0;
}

static uint8_t compute_avail(const struct acd *acd, const struct acd__agent *a)
{
	uint8_t blocked = 0, mask = 0;
	int ch;

	if (a->presence != ACD_STATE_READY || a->in_wrap || a->offer != ACD_NONE)
		return 0;
	for (ch = 0; ch < ACD_CH_COUNT; ch++)
		if (a->load[ch])
			blocked |= acd->p.blocks[ch];
	for (ch = 0; ch < ACD_CH_COUNT; ch++)
		if (a->load[ch] < a->cap[ch] && !(blocked & ACD_CH_BIT(ch)))
			mask |= (uint8_t)ACD_CH_BIT(ch);
	return mask;
}

static enum acd_state derived_state(const struct acd__agent *a)
{
	for (int ch = 0; ch < ACD_CH_COUNT; ch++)
		if (a->load[ch])
			return ACD_STATE_BUSY;
	if (a->offer != ACD_NONE)
		return ACD_STATE_RESERVED;
	if (a->in_wrap)
		return ACD_STATE_WRAP_UP;
	return (enum acd_state)a->presence;
}

void acd__agent_report(struct acd *acd, struct acd__agent *a, enum acd_cause cause,
		       uint32_t contact)
{
	enum acd_state st = derived_state(a);
	uint16_t reason = st == ACD_STATE_NOT_READY ? a->reason : 0;
	struct acd__event ev;

	if (st == a->state && reason == a->rep_reason)
		return;
	ev.type = ACD__EV_STATE;
	ev.u.st = (struct acd_state_event){
	    .agent = acd__agent_id(acd, a),
	    .agent_ref = a->ref,
	    .from = (enum acd_state)a->state,
	    .to = st,
	    .reason = reason,
	    .cause = cause,
	    .contact = contact,
	    .at_ms = acd->now,
	};
	a->state = (uint8_t)st;
	a->rep_reason = reason;
	a->state_since = acd->now;
	acd__emit(acd, &ev);
}

void acd__agent_refresh(struct acd *acd, struct acd__agent *a, enum acd_cause cause,
			uint32_t contact)
{
	a->avail = compute_avail(acd, a);
	/* The change itself is reported first (ready by request, wrap-up over), then any
	 * offer it leads to: a state log shows why the agent became free. */
	acd__agent_report(acd, a, cause, contact);
	if (a->avail) {
		acd__route_agent(acd, a);
		a->avail = compute_avail(acd, a);
	}
	acd__agent_sync_index(acd, a);
	acd__agent_report(acd, a, cause, contact);
}

/* Counts a missed offer; returns true when the agent has just been paused for it. */
bool acd__agent_missed(struct acd *acd, struct acd__agent *a, struct acd__queue *q)
{
	uint8_t limit = q->p.max_no_answer ? q->p.max_no_answer : acd->p.max_no_answer;

	q->c.missed_offers++;
	if (a->missed < UINT8_MAX)
		a->missed++;
	if (!limit || a->missed < limit || a->presence != ACD_STATE_READY)
		return false;
	acd__presence_counts(acd, a, -1);
	a->presence = ACD_STATE_NOT_READY;
	a->reason = acd->p.no_answer_reason;
	a->missed = 0;
	return true;
}

void acd__agent_wrap_start(struct acd *acd, struct acd__agent *a, struct acd__queue *q,
			   uint64_t talk_ms)
{
	uint64_t until = acd->now + q->p.wrap_up_ms;
	bool was = a->in_wrap;

	if (was) {
		/* Another contact ended during wrap-up: that one's handling is complete. */
		struct acd__queue *wq = acd__queue_get(acd, a->wrap_queue);
		if (wq)
			acd__stats_handled(wq, a->wrap_talk, acd->now - a->wrap_start);
	}
	a->in_wrap = true;
	a->wrap_start = acd->now;
	if (!was || a->wrap_until < until)
		a->wrap_until = until;
	a->wrap_queue = acd__queue_id(acd, q);
	a->wrap_talk = talk_ms;
	acd__timer_set(acd, acd__agent_id(acd, a) | ACD__AGENT_BIT, a->wrap_until);
}

void acd__agent_wrap_end(struct acd *acd, struct acd__agent *a, enum acd_cause cause)
{
	struct acd__queue *wq = acd__queue_get(acd, a->wrap_queue);

	if (wq)
		acd__stats_handled(wq, a->wrap_talk, acd->now - a->wrap_start);
	a->in_wrap = false;
	a->idle_since = acd->now;
	acd__timer_set(acd, acd__agent_id(acd, a) | ACD__AGENT_BIT, ACD_NEVER);
	acd__agent_refresh(acd, a, cause, ACD_NONE);
}

void acd__agent_tick(struct acd *acd, struct acd__agent *a)
{
	if (a->in_wrap && a->wrap_until <= acd->now)
		acd__agent_wrap_end(acd, a, ACD_CAUSE_WRAP_UP_END);
	else if (a->in_wrap)
		acd__timer_set(acd, acd__agent_id(acd, a) | ACD__AGENT_BIT, a->wrap_until);
}

/* Contacts waiting for this agent as their preferred one go back to their queues. */
static void release_sticky(struct acd *acd, struct acd__agent *a)
{
	while (a->sticky.first) {
		struct acd__contact *c =
		    (struct acd__contact *)((char *)a->sticky.first -
					    offsetof(struct acd__contact, node));
		acd__contact_queue_out(acd, c);
		c->state = ACD_CONTACT_WAITING;
		c->sticky_until = 0;
		acd__contact_queue_in(acd, c);
		acd__contact_schedule(acd, c);
		acd__route_contact(acd, c);
	}
}

/* ---- provisioning ---- */

void acd_agent_params_default(struct acd_agent_params *p)
{
	memset(p, 0, sizeof(*p));
	for (int ch = 0; ch < ACD_CH_COUNT; ch++)
		p->capacity[ch] = -1;
}

static int check_params(const struct acd *acd, const struct acd_agent_params *p)
{
	size_t i, j;
	int err = acd__check_skills(acd, p->skills, p->nskills, 255);

	if (err)
		return err;
	if (p->nqueues && !p->queues)
		return EINVAL;
	for (i = 0; i < p->nqueues; i++) {
		if (!acd__queue_get(acd, p->queues[i].queue))
			return ENOENT;
		if (p->queues[i].penalty < 0)
			return EINVAL;
		for (j = 0; j < i; j++)
			if (p->queues[j].queue == p->queues[i].queue)
				return EINVAL;
	}
	for (i = 0; i < ACD_CH_COUNT; i++)
		if (p->capacity[i] < -1 || p->capacity[i] > 255)
			return EINVAL;
	return 0;
}

static int cmp_skill(const void *x, const void *y)
{
	const struct acd_skill_level *a = x, *b = y;

	return a->skill < b->skill ? -1 : a->skill > b->skill;
}

static int vec_add(struct acd *acd, uint32_t **v, uint32_t *n, uint32_t *cap, uint32_t x)
{
	if (*n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 8;
		uint32_t *nv = acd__realloc(acd, *v, *cap, nc, sizeof(*nv));
		if (!nv)
			return ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static void vec_del(uint32_t *v, uint32_t *n, uint32_t x)
{
	for (uint32_t i = 0; i < *n; i++) {
		if (v[i] == x) {
			v[i] = v[--*n];
			return;
		}
	}
}

/* Installs new skills, explicit queues and capacities. On ENOMEM nothing changed. */
static int apply_params(struct acd *acd, struct acd__agent *a, const struct acd_agent_params *p)
{
	uint32_t id = acd__agent_id(acd, a);
	struct acd_skill_level *sk = NULL;
	struct acd_membership *ex = NULL;
	size_t i;

	if (p->nskills) {
		sk = acd__calloc(acd, p->nskills, sizeof(*sk));
		if (!sk)
			return ENOMEM;
		memcpy(sk, p->skills, p->nskills * sizeof(*sk));
		qsort(sk, p->nskills, sizeof(*sk), cmp_skill);
	}
	if (p->nqueues) {
		ex = acd__calloc(acd, p->nqueues, sizeof(*ex));
		if (!ex) {
			acd__free(acd, sk, p->nskills, sizeof(*sk));
			return ENOMEM;
		}
		memcpy(ex, p->queues, p->nqueues * sizeof(*ex));
	}
	/* Reserve room in the skills' agent lists first so that nothing fails halfway. */
	for (i = 0; i < p->nskills; i++) {
		struct acd__skill *s = &acd->skills[sk[i].skill];
		if (s->nagents + 1 > s->agents_cap) {
			uint32_t nc = s->agents_cap ? s->agents_cap * 2 : 8;
			uint32_t *nv = acd__realloc(acd, s->agents, s->agents_cap, nc, sizeof(*nv));
			if (!nv) {
				acd__free(acd, sk, p->nskills, sizeof(*sk));
				acd__free(acd, ex, p->nqueues, sizeof(*ex));
				return ENOMEM;
			}
			s->agents = nv;
			s->agents_cap = nc;
		}
	}
	for (i = 0; i < a->nskills; i++) {
		struct acd__skill *s = &acd->skills[a->skills[i].skill];
		vec_del(s->agents, &s->nagents, id);
	}
	for (i = 0; i < p->nskills; i++) {
		struct acd__skill *s = &acd->skills[sk[i].skill];
		vec_add(acd, &s->agents, &s->nagents, &s->agents_cap, id);
	}
	acd__free(acd, a->skills, a->nskills, sizeof(*a->skills));
	acd__free(acd, a->explicit_q, a->nexplicit, sizeof(*a->explicit_q));
	a->skills = sk;
	a->nskills = p->nskills;
	a->explicit_q = ex;
	a->nexplicit = p->nqueues;
	for (i = 0; i < ACD_CH_COUNT; i++) {
		a->cap_param[i] = p->capacity[i];
		a->cap[i] = (uint8_t)(p->capacity[i] < 0 ? acd->p.capacity[i] : p->capacity[i]);
	}
	a->ref = p->ref;
	return 0;
}

int acd_agent_add(struct acd *acd, const struct acd_agent_params *p, uint64_t now_ms, uint32_t *out)
{
	struct acd__agent *a = NULL;
	uint32_t i;
	int err = check_params(acd, p);

	if (err)
		return err;
	for (i = 0; i < acd->nagents; i++)
		if (!acd->agents[i].used)
			break;
	if (i == acd->nagents && acd->nagents == acd->p.max_agents)
		return ENOSPC;
	a = &acd->agents[i];
	memset(a, 0, sizeof(*a));
	a->hidx = ACD__NO_HEAP;
	a->offer = ACD_NONE;
	a->offer_next = ACD_NONE;
	a->wrap_queue = ACD_NONE;
	a->presence = ACD_STATE_LOGGED_OUT;
	a->state = ACD_STATE_LOGGED_OUT;
	a->state_since = now_ms;
	err = apply_params(acd, a, p);
	if (!err)
		err = acd__agent_rebuild(acd, a);
	if (err) {
		struct acd_agent_params none;
		acd_agent_params_default(&none);
		apply_params(acd, a, &none);
		return err;
	}
	a->used = true;
	if (i == acd->nagents)
		acd->nagents++;
	*out = i;
	return 0;
}

int acd_agent_update(struct acd *acd, uint32_t id, const struct acd_agent_params *p,
		     uint64_t now_ms)
{
	struct acd__agent *a = acd__agent_get(acd, id);
	int err;

	if (!a)
		return ENOENT;
	err = check_params(acd, p);
	if (err)
		return err;
	acd__enter(acd, now_ms);
	err = apply_params(acd, a, p);
	if (!err)
		err = acd__agent_rebuild(acd, a);
	/* Even on a failed rebuild the agent stays in its old (valid) memberships. */
	acd__agent_refresh(acd, a, ACD_CAUSE_PROVISIONING, ACD_NONE);
	acd__leave(acd);
	return err;
}

int acd_agent_remove(struct acd *acd, uint32_t id, uint64_t now_ms)
{
	struct acd__agent *a = acd__agent_get(acd, id);
	struct acd_agent_params none;

	if (!a)
		return ENOENT;
	if (a->offer != ACD_NONE)
		return EBUSY;
	for (int ch = 0; ch < ACD_CH_COUNT; ch++)
		if (a->load[ch])
			return EBUSY;
	acd__enter(acd, now_ms);
	if (a->in_wrap) {
		struct acd__queue *wq = acd__queue_get(acd, a->wrap_queue);
		if (wq)
			acd__stats_handled(wq, a->wrap_talk, now_ms - a->wrap_start);
		a->in_wrap = false;
	}
	acd__timer_set(acd, id | ACD__AGENT_BIT, ACD_NEVER);
	if (a->presence == ACD_STATE_READY)
		acd__presence_counts(acd, a, -1);
	a->presence = ACD_STATE_LOGGED_OUT;
	a->avail = 0;
	release_sticky(acd, a);
	acd__agent_report(acd, a, ACD_CAUSE_PROVISIONING, ACD_NONE);
	acd_agent_params_default(&none);
	apply_params(acd, a, &none);
	acd__agent_rebuild(acd, a); /* no skills, no queues: cannot fail */
	a->used = false;
	acd__leave(acd);
	return 0;
}

int acd_agent_set_state(struct acd *acd, uint32_t id, enum acd_state st, uint16_t reason,
			uint64_t now_ms)
{
	struct acd__agent *a = acd__agent_get(acd, id);

	if (!a)
		return ENOENT;
	if (st != ACD_STATE_READY && st != ACD_STATE_NOT_READY && st != ACD_STATE_LOGGED_OUT)
		return EINVAL;
	acd__enter(acd, now_ms);
	if (st != ACD_STATE_READY && a->offer != ACD_NONE)
		acd__offer_withdraw_agent(acd, a);
	if (a->presence == ACD_STATE_READY && st != ACD_STATE_READY)
		acd__presence_counts(acd, a, -1);
	else if (a->presence != ACD_STATE_READY && st == ACD_STATE_READY)
		acd__presence_counts(acd, a, +1);
	a->presence = (uint8_t)st;
	a->reason = st == ACD_STATE_NOT_READY ? reason : 0;
	if (st == ACD_STATE_READY)
		a->missed = 0;
	/* An agent who has not had a contact yet is idle since it first became ready. */
	if (st == ACD_STATE_READY && !a->had_contact && !a->idle_since)
		a->idle_since = now_ms;
	if (st == ACD_STATE_LOGGED_OUT) {
		if (a->in_wrap) {
			struct acd__queue *wq = acd__queue_get(acd, a->wrap_queue);
			if (wq)
				acd__stats_handled(wq, a->wrap_talk, now_ms - a->wrap_start);
			a->in_wrap = false;
			acd__timer_set(acd, id | ACD__AGENT_BIT, ACD_NEVER);
		}
		release_sticky(acd, a);
	}
	acd__agent_refresh(acd, a, ACD_CAUSE_REQUEST, ACD_NONE);
	acd__leave(acd);
	return 0;
}

int acd_agent_external(struct acd *acd, uint32_t id, enum acd_channel ch, bool on, uint64_t now_ms)
{
	struct acd__agent *a = acd__agent_get(acd, id);

	if (!a)
		return ENOENT;
	if ((unsigned)ch >= ACD_CH_COUNT)
		return EINVAL;
	if (on && a->load[ch] == UINT8_MAX)
		return ENOSPC;
	if (!on && !a->ext[ch])
		return EALREADY;
	acd__enter(acd, now_ms);
	if (on) {
		if (a->offer != ACD_NONE)
			acd__offer_withdraw_agent(acd, a);
		a->load[ch]++;
		a->ext[ch]++;
	} else {
		a->load[ch]--;
		a->ext[ch]--;
	}
	acd__agent_refresh(acd, a, ACD_CAUSE_EXTERNAL, ACD_NONE);
	acd__leave(acd);
	return 0;
}

int acd_agent_end_wrap_up(struct acd *acd, uint32_t id, uint64_t now_ms)
{
	struct acd__agent *a = acd__agent_get(acd, id);

	if (!a)
		return ENOENT;
	if (!a->in_wrap)
		return EALREADY;
	acd__enter(acd, now_ms);
	acd__agent_wrap_end(acd, a, ACD_CAUSE_WRAP_UP_SKIP);
	acd__leave(acd);
	return 0;
}

int acd_agent_info(const struct acd *acd, uint32_t id, struct acd_agent_info *out)
{
	const struct acd__agent *a = acd__agent_get(acd, id);

	if (!a)
		return ENOENT;
	memset(out, 0, sizeof(*out));
	out->state = (enum acd_state)a->state;
	out->presence = (enum acd_state)a->presence;
	out->reason = a->reason;
	memcpy(out->load, a->load, sizeof(out->load));
	memcpy(out->capacity, a->cap, sizeof(out->capacity));
	out->answered = a->answered;
	out->talk_ms = a->talk_ms;
	out->missed = a->missed;
	out->idle_since = a->idle_since;
	out->state_since = a->state_since;
	out->offer = a->offer == ACD_NONE ? ACD_NONE : acd->contacts[a->offer].id;
	out->nqueues = a->nmembers;
	out->ref = a->ref;
	return 0;
}

size_t acd_agent_queues(const struct acd *acd, uint32_t id, uint32_t *out, size_t max)
{
	const struct acd__agent *a = acd__agent_get(acd, id);

	if (!a)
		return 0;
	for (uint32_t i = 0; i < a->nmembers && i < max; i++)
		out[i] = a->members[i].queue;
	return a->nmembers;
}

void acd__agent_rekey_all(struct acd *acd)
{
	for (uint32_t i = 0; i < acd->nagents; i++)
		if (acd->agents[i].used)
			acd__agent_sync_index(acd, &acd->agents[i]);
}
