/*
 * Contacts: entering a queue (with its limits: closed, max length), waiting in the
 * priority-ordered trees, the per-contact timers (relaxation steps, max wait, sticky
 * and retry expiry, announcements), virtual hold, and the ways out: abandoned,
 * removed, overflowed, or connected and then ended (which starts the agent's wrap-up).
 *
 * A waiting contact sits in its queue's tree for its relaxation stage, or in its
 * preferred agent's sticky tree while that agent is waited for. The key is (100 -
 * priority, seniority, arrival sequence): higher priority first, then first come first
 * served, so the head of a tree is the contact to serve.
 */
#include "acd/acd_int.h"

#include <errno.h>
#include <string.h>

void acd_contact_params_default(struct acd_contact_params *p)
{
	memset(p, 0, sizeof(*p));
	p->priority = -1;
	p->preferred_agent = ACD_NONE;
}

void acd__contact_key(struct acd__contact *c)
{
	c->node.k1 = ACD_MAX_PRIORITY - c->priority;
	c->node.k2 = c->since;
	c->node.tie = c->seq;
	c->node.weight = 1;
}

uint8_t acd__stage_at(const struct acd__queue *q, uint64_t waited)
{
	uint8_t s = 0;

	while (s < q->p.nrelax && q->p.relax[s].after_ms <= waited)
		s++;
	return s;
}

void acd__contact_queue_in(struct acd *acd, struct acd__contact *c)
{
	struct acd__queue *q = &acd->queues[c->queue];

	ACD__ASSERT(c->where == ACD__IN_NONE);
	acd__contact_key(c);
	if (c->state == ACD_CONTACT_STICKY) {
		acd__tree_insert(&acd->agents[c->preferred].sticky, &c->node);
		c->where = ACD__IN_STICKY;
	} else {
		acd__tree_insert(&q->wait[c->stage], &c->node);
		c->where = ACD__IN_QUEUE;
		q->nwaiting++;
	}
}

void acd__contact_queue_out(struct acd *acd, struct acd__contact *c)
{
	struct acd__queue *q = &acd->queues[c->queue];

	if (c->where == ACD__IN_STICKY) {
		acd__tree_remove(&acd->agents[c->preferred].sticky, &c->node);
	} else if (c->where == ACD__IN_QUEUE) {
		acd__tree_remove(&q->wait[c->stage], &c->node);
		q->nwaiting--;
	}
	c->where = ACD__IN_NONE;
}

bool acd__contact_fits(const struct acd *acd, const struct acd__contact *c,
		       const struct acd__agent *a)
{
	if (c->avoid == ACD_NONE && !c->nskills)
		return true; /* the common case, without touching the agent */
	if (c->avoid != ACD_NONE && c->avoid_until > acd->now &&
	    (c->avoid == ACD__AVOID_ALL || c->avoid == acd__agent_id(acd, a)))
		return false;
	for (uint8_t i = 0; i < c->nskills; i++) {
		const struct acd__queue *q = &acd->queues[c->queue];
		uint8_t need = acd__stage_level(q, c->stage, c->skills[i].level);
		if (acd__agent_level(a, c->skills[i].skill) < need)
			return false;
	}
	return true;
}

void acd__contact_unqueue(struct acd__queue *q, struct acd__contact *c)
{
	if (!c->queued)
		return;
	if (c->aprev)
		c->aprev->anext = c->anext;
	else
		q->arr_head = c->anext;
	if (c->anext)
		c->anext->aprev = c->aprev;
	else
		q->arr_tail = c->aprev;
	c->anext = c->aprev = NULL;
	c->queued = false;
	q->nqueued--;
	if (c->callback)
		q->ncbqueued--;
}

void acd__contact_schedule(struct acd *acd, struct acd__contact *c)
{
	const struct acd__queue *q = &acd->queues[c->queue];
	uint64_t t = ACD_NEVER;
	bool waiting = c->state == ACD_CONTACT_WAITING || c->state == ACD_CONTACT_STICKY;

#define EARLIER(x)                                                                                 \
	do {                                                                                       \
		if ((x) < t)                                                                       \
			t = (x);                                                                   \
	} while (0)
	if (c->state != ACD_CONTACT_CONNECTED) {
		if (c->state == ACD_CONTACT_OFFERED)
			EARLIER(c->ring_until);
		if (!c->callback && q->p.max_wait_ms && !c->overdue)
			EARLIER(c->entered + q->p.max_wait_ms);
		if (c->state == ACD_CONTACT_STICKY)
			EARLIER(c->sticky_until);
		if (c->avoid != ACD_NONE)
			EARLIER(c->avoid_until);
		if (c->stage < q->p.nrelax)
			EARLIER(c->entered + q->p.relax[c->stage].after_ms);
		if (waiting && !c->callback && c->next_announce)
			EARLIER(c->next_announce);
	}
#undef EARLIER
	acd__timer_set(acd, acd__contact_idx(acd, c), t);
}

/* Frees the contact: out of every tree, list and timer. Reports nothing. */
void acd__contact_release(struct acd *acd, struct acd__contact *c)
{
	struct acd__queue *q = &acd->queues[c->queue];
	uint32_t idx = acd__contact_idx(acd, c);

	acd__contact_queue_out(acd, c);
	acd__contact_unqueue(q, c);
	acd__timer_set(acd, idx, ACD_NEVER);
	q->ncontacts--;
	acd->ncontacts--;
	c->used = false;
	c->next_free = acd->free_contact;
	acd->free_contact = idx;
}

void acd__contact_overflow(struct acd *acd, struct acd__contact *c, enum acd_overflow_reason r)
{
	struct acd__queue *q = &acd->queues[c->queue];
	struct acd__event ev = {.type = ACD__EV_OVERFLOW};

	if (c->state == ACD_CONTACT_OFFERED)
		acd__offers_cancel(acd, c, ACD_CANCEL_CONTACT_GONE);
	ev.u.ov = (struct acd_overflow){
	    .contact = c->id,
	    .contact_ref = c->ref,
	    .queue = c->queue,
	    .reason = r,
	    .waited_ms = acd->now - c->entered,
	    .at_ms = acd->now,
	};
	q->c.overflowed[r]++;
	acd__contact_release(acd, c);
	acd__emit(acd, &ev);
}

/* Puts a contact whose offers all ended back in its place and routes it again;
 * `avoid` is the agent not to offer it to for retry_ms (or ACD__AVOID_ALL). */
void acd__contact_back(struct acd *acd, struct acd__contact *c, uint32_t avoid)
{
	const struct acd__queue *q = &acd->queues[c->queue];

	c->state = ACD_CONTACT_WAITING;
	c->sticky_until = 0;
	if (c->overdue) {
		acd__contact_overflow(acd, c, ACD_OVERFLOW_MAX_WAIT);
		return;
	}
	if (q->p.retry_ms && avoid != ACD_NONE) {
		c->avoid = avoid;
		c->avoid_until = acd->now + q->p.retry_ms;
	}
	acd__contact_queue_in(acd, c);
	acd__contact_schedule(acd, c);
	acd__route_contact(acd, c);
}

uint32_t acd__contact_position(const struct acd *acd, const struct acd__contact *c)
{
	const struct acd__queue *q = &acd->queues[c->queue];
	uint32_t pos = 1;

	if (c->state != ACD_CONTACT_WAITING && c->state != ACD_CONTACT_STICKY)
		return 0;
	for (uint8_t s = 0; s < q->nstage; s++)
		pos += acd__tree_count_less(&q->wait[s], &c->node);
	return pos;
}

static void announce(struct acd *acd, struct acd__contact *c)
{
	const struct acd__queue *q = &acd->queues[c->queue];
	struct acd__event ev = {.type = ACD__EV_ANNOUNCE};
	uint32_t pos = acd__contact_position(acd, c);

	ev.u.an = (struct acd_announce){
	    .contact = c->id,
	    .contact_ref = c->ref,
	    .queue = c->queue,
	    .position = pos,
	    .ewt_ms = acd__ewt(q, pos),
	    .waited_ms = acd->now - c->entered,
	    .at_ms = acd->now,
	};
	acd__emit(acd, &ev);
}

/* Everything due for this contact at acd->now, in a fixed order: the ring timeout,
 * max wait, retry and sticky expiry, relaxation, announcement. */
void acd__contact_tick(struct acd *acd, struct acd__contact *c)
{
	const struct acd__queue *q = &acd->queues[c->queue];
	uint64_t now = acd->now;
	uint32_t id = c->id;
	bool route = false;
	uint8_t stage;

	if (c->state == ACD_CONTACT_OFFERED && c->ring_until <= now) {
		acd__offer_ring_timeout(acd, c);
		if (acd__contact_get(acd, id) != c)
			return;
	}
	if (c->state == ACD_CONTACT_CONNECTED)
		return;
	if (!c->callback && q->p.max_wait_ms && !c->overdue &&
	    c->entered + q->p.max_wait_ms <= now) {
		if (c->state != ACD_CONTACT_OFFERED) {
			acd__contact_overflow(acd, c, ACD_OVERFLOW_MAX_WAIT);
			return;
		}
		c->overdue = true; /* let the agent's phone ring out first */
	}
	if (c->avoid != ACD_NONE && c->avoid_until <= now) {
		c->avoid = ACD_NONE;
		route = true;
	}
	if (c->state == ACD_CONTACT_STICKY && c->sticky_until <= now) {
		acd__contact_queue_out(acd, c);
		c->state = ACD_CONTACT_WAITING;
		acd__contact_queue_in(acd, c);
		route = true;
	}
	stage = acd__stage_at(q, now - c->entered);
	if (stage > c->stage) {
		bool in = c->where == ACD__IN_QUEUE;
		if (in)
			acd__contact_queue_out(acd, c);
		c->stage = stage;
		if (in)
			acd__contact_queue_in(acd, c);
		route = true;
	}
	if (c->next_announce && c->next_announce <= now && !c->callback &&
	    (c->state == ACD_CONTACT_WAITING || c->state == ACD_CONTACT_STICKY)) {
		announce(acd, c);
		c->next_announce += q->p.announce_ms;
		if (c->next_announce <= now)
			c->next_announce = now + q->p.announce_ms;
	}
	acd__contact_schedule(acd, c);
	if (route && (c->state == ACD_CONTACT_WAITING || c->state == ACD_CONTACT_STICKY))
		acd__route_contact(acd, c);
}

/* ---- API ---- */

int acd_contact_enqueue(struct acd *acd, const struct acd_contact_params *p, uint64_t now_ms,
			uint32_t *out)
{
	struct acd__queue *q = acd__queue_get(acd, p->queue);
	struct acd__contact *c;
	uint64_t sticky;
	uint32_t idx;
	uint8_t gen;
	int err;

	if (!q)
		return ENOENT;
	if (p->priority < -1 || p->priority > ACD_MAX_PRIORITY)
		return EINVAL;
	err = acd__check_skills(acd, p->skills, p->nskills, ACD_MAX_CONTACT_SKILLS);
	if (err)
		return err;
	if (p->preferred_agent != ACD_NONE && !acd__agent_get(acd, p->preferred_agent))
		return ENOENT;
	if (acd->free_contact == ACD_NONE)
		return ENOSPC;
	acd__enter(acd, now_ms);
	idx = acd->free_contact;
	c = &acd->contacts[idx];
	acd->free_contact = c->next_free;
	gen = (uint8_t)((c->id >> ACD__IDX_BITS) + 1);
	memset(c, 0, sizeof(*c));
	c->id = idx | ((uint32_t)gen << ACD__IDX_BITS);
	c->used = true;
	c->hidx = ACD__NO_HEAP;
	c->node.pri = acd__rand32(acd);
	c->ref = p->ref;
	c->queue = p->queue;
	c->agent = ACD_NONE;
	c->offers = ACD_NONE;
	c->avoid = ACD_NONE;
	c->preferred = ACD_NONE;
	c->channel = (uint8_t)q->p.channel;
	c->priority = (uint8_t)(p->priority < 0 ? q->p.priority : p->priority);
	c->entered = now_ms;
	c->since = p->since_ms ? p->since_ms : now_ms;
	c->seq = ++acd->seq;
	c->callback = p->callback;
	c->nskills = (uint8_t)p->nskills;
	if (p->nskills)
		memcpy(c->skills, p->skills, p->nskills * sizeof(*c->skills));
	q->ncontacts++;
	acd->ncontacts++;
	*out = c->id;
	if (!q->p.open || (q->p.max_len && q->nqueued >= q->p.max_len)) {
		acd__contact_overflow(acd, c,
				      q->p.open ? ACD_OVERFLOW_MAX_LEN : ACD_OVERFLOW_CLOSED);
		goto out;
	}
	c->queued = true;
	c->aprev = q->arr_tail;
	if (q->arr_tail)
		q->arr_tail->anext = c;
	else
		q->arr_head = c;
	q->arr_tail = c;
	q->nqueued++;
	q->c.offered++;
	if (c->callback) {
		q->c.callbacks++;
		q->ncbqueued++;
	}
	if (q->p.announce_ms && !c->callback)
		c->next_announce = now_ms + q->p.announce_ms;
	sticky = p->sticky_ms ? p->sticky_ms : q->p.sticky_ms;
	if (p->preferred_agent != ACD_NONE && sticky) {
		c->preferred = p->preferred_agent;
		c->sticky_until = now_ms + sticky;
		c->state = ACD_CONTACT_STICKY;
	} else {
		c->state = ACD_CONTACT_WAITING;
	}
	acd__contact_queue_in(acd, c);
	acd__contact_schedule(acd, c);
	acd__route_contact(acd, c);
out:
	acd__leave(acd);
	return 0;
}

int acd_contact_set_priority(struct acd *acd, uint32_t id, int priority, uint64_t now_ms)
{
	struct acd__contact *c = acd__contact_get(acd, id);
	bool in;

	if (!c)
		return ENOENT;
	if (priority < 0 || priority > ACD_MAX_PRIORITY || c->state == ACD_CONTACT_CONNECTED)
		return EINVAL;
	acd__enter(acd, now_ms);
	in = c->where != ACD__IN_NONE;
	if (in)
		acd__contact_queue_out(acd, c);
	c->priority = (uint8_t)priority;
	if (in)
		acd__contact_queue_in(acd, c);
	acd__leave(acd);
	return 0;
}

int acd_contact_set_skills(struct acd *acd, uint32_t id, const struct acd_skill_level *skills,
			   size_t n, uint64_t now_ms)
{
	struct acd__contact *c = acd__contact_get(acd, id);
	int err;

	if (!c)
		return ENOENT;
	err = acd__check_skills(acd, skills, n, ACD_MAX_CONTACT_SKILLS);
	if (err)
		return err;
	if (c->state == ACD_CONTACT_CONNECTED)
		return EINVAL;
	acd__enter(acd, now_ms);
	c->nskills = (uint8_t)n;
	if (n)
		memcpy(c->skills, skills, n * sizeof(*skills));
	if (c->state == ACD_CONTACT_WAITING || c->state == ACD_CONTACT_STICKY)
		acd__route_contact(acd, c);
	acd__leave(acd);
	return 0;
}

int acd_contact_to_callback(struct acd *acd, uint32_t id, uint64_t now_ms)
{
	struct acd__contact *c = acd__contact_get(acd, id);
	struct acd__queue *q;

	if (!c)
		return ENOENT;
	if ((c->state != ACD_CONTACT_WAITING && c->state != ACD_CONTACT_STICKY) || c->callback)
		return EINVAL;
	acd__enter(acd, now_ms);
	q = &acd->queues[c->queue];
	c->callback = true;
	c->next_announce = 0;
	q->c.callbacks++;
	q->ncbqueued++;
	acd__contact_schedule(acd, c);
	acd__leave(acd);
	return 0;
}

static int leave_queue(struct acd *acd, uint32_t id, uint64_t now_ms, bool abandon)
{
	struct acd__contact *c = acd__contact_get(acd, id);

	if (!c)
		return ENOENT;
	if (c->state == ACD_CONTACT_CONNECTED)
		return EINVAL;
	acd__enter(acd, now_ms);
	if (c->state == ACD_CONTACT_OFFERED)
		acd__offers_cancel(acd, c, ACD_CANCEL_CONTACT_GONE);
	acd__stats_left(&acd->queues[c->queue], c, now_ms, abandon);
	acd__contact_release(acd, c);
	acd__leave(acd);
	return 0;
}

int acd_contact_abandon(struct acd *acd, uint32_t id, uint64_t now_ms)
{
	return leave_queue(acd, id, now_ms, true);
}

int acd_contact_remove(struct acd *acd, uint32_t id, uint64_t now_ms)
{
	return leave_queue(acd, id, now_ms, false);
}

int acd_contact_end(struct acd *acd, uint32_t id, uint64_t now_ms)
{
	struct acd__contact *c = acd__contact_get(acd, id);
	struct acd__queue *q;
	struct acd__agent *a;
	uint64_t talk;

	if (!c)
		return ENOENT;
	if (c->state != ACD_CONTACT_CONNECTED)
		return EINVAL;
	acd__enter(acd, now_ms);
	q = &acd->queues[c->queue];
	a = &acd->agents[c->agent];
	talk = now_ms - c->answered_at;
	a->load[c->channel]--;
	a->talk_ms += talk;
	if (q->p.wrap_up_ms) {
		acd__agent_wrap_start(acd, a, q, talk);
	} else {
		acd__stats_handled(q, talk, 0);
		a->idle_since = now_ms;
	}
	acd__contact_release(acd, c);
	acd__agent_refresh(acd, a, ACD_CAUSE_END, id);
	acd__leave(acd);
	return 0;
}

int acd_contact_info(const struct acd *acd, uint32_t id, uint64_t now_ms,
		     struct acd_contact_info *out)
{
	const struct acd__contact *c = acd__contact_get(acd, id);

	if (!c)
		return ENOENT;
	memset(out, 0, sizeof(*out));
	out->state = (enum acd_contact_state)c->state;
	out->queue = c->queue;
	out->agent = c->state == ACD_CONTACT_CONNECTED ? c->agent : ACD_NONE;
	out->priority = c->priority;
	out->stage = c->stage;
	out->callback = c->callback;
	out->position = acd__contact_position(acd, c);
	out->entered_ms = c->entered;
	out->ref = c->ref;
	return 0;
}
