/*
 * Offers: the library's decision (contact, agent) handed to the engine, and what comes
 * back: accepted (connected; the other ring-all offers are cancelled), rejected or
 * timed out (a missed offer for the agent, the contact goes back to its place and on to
 * the next agent), or withdrawn because the agent left or the caller hung up.
 *
 * While an offer rings, the agent is reserved (out of every tree) and the contact is in
 * no tree; the agents ringing for one contact form a list through offer_next.
 */
#include "acd/acd_int.h"

#include <errno.h>

static void fill_offer(const struct acd *acd, const struct acd__contact *c,
		       const struct acd__agent *a, struct acd_offer *o)
{
	const struct acd__queue *q = &acd->queues[c->queue];

	*o = (struct acd_offer){
	    .contact = c->id,
	    .contact_ref = c->ref,
	    .agent = acd__agent_id(acd, a),
	    .agent_ref = a->ref,
	    .queue = c->queue,
	    .channel = (enum acd_channel)c->channel,
	    .callback = c->callback,
	    .ring_all = acd__strategy(q->p.strategy)->ring_all,
	    .deadline_ms = c->ring_until,
	    .at_ms = acd->now,
	};
}

static void emit_cancel(struct acd *acd, const struct acd__contact *c, const struct acd__agent *a,
			enum acd_cancel_reason why)
{
	struct acd__event ev = {.type = ACD__EV_CANCEL, .why = why};

	fill_offer(acd, c, a, &ev.u.of);
	acd__emit(acd, &ev);
}

void acd__offer(struct acd *acd, struct acd__contact *c, struct acd__agent *a, bool ring_all)
{
	const struct acd__queue *q = &acd->queues[c->queue];
	struct acd__event ev = {.type = ACD__EV_OFFER};
	uint32_t aid = acd__agent_id(acd, a);

	ACD__ASSERT(a->offer == ACD_NONE);
	acd__contact_queue_out(acd, c);
	if (c->state != ACD_CONTACT_OFFERED) {
		c->state = ACD_CONTACT_OFFERED;
		c->ring_until = acd->now + q->p.ring_timeout_ms;
	}
	a->offer_next = c->offers;
	c->offers = aid;
	c->noffers++;
	a->offer = acd__contact_idx(acd, c);
	a->avail = 0;
	acd__agent_sync_index(acd, a);
	acd__agent_report(acd, a, ACD_CAUSE_OFFER, c->id);
	fill_offer(acd, c, a, &ev.u.of);
	ev.u.of.ring_all = ring_all;
	acd__emit(acd, &ev);
	acd__contact_schedule(acd, c);
}

static void unlink_offer(struct acd *acd, struct acd__contact *c, struct acd__agent *a)
{
	uint32_t aid = acd__agent_id(acd, a), *pp = &c->offers;

	while (*pp != ACD_NONE && *pp != aid)
		pp = &acd->agents[*pp].offer_next;
	if (*pp == aid) {
		*pp = a->offer_next;
		c->noffers--;
	}
	a->offer = ACD_NONE;
	a->offer_next = ACD_NONE;
}

/* Cancels every offer of the contact (which is leaving); agents are free again. */
void acd__offers_cancel(struct acd *acd, struct acd__contact *c, enum acd_cancel_reason why)
{
	while (c->offers != ACD_NONE) {
		struct acd__agent *a = &acd->agents[c->offers];
		unlink_offer(acd, c, a);
		emit_cancel(acd, c, a, why);
		acd__agent_refresh(acd, a, ACD_CAUSE_CANCEL, c->id);
	}
}

/* The agent goes away while ringing: not a miss; the contact goes on. The caller
 * refreshes the agent. */
void acd__offer_withdraw_agent(struct acd *acd, struct acd__agent *a)
{
	struct acd__contact *c = &acd->contacts[a->offer];

	unlink_offer(acd, c, a);
	emit_cancel(acd, c, a, ACD_CANCEL_AGENT_UNAVAILABLE);
	if (!c->noffers)
		acd__contact_back(acd, c, ACD_NONE);
}

void acd__offer_ring_timeout(struct acd *acd, struct acd__contact *c)
{
	struct acd__queue *q = &acd->queues[c->queue];
	bool ring_all = acd__strategy(q->p.strategy)->ring_all;
	uint32_t head = c->offers, aid, last = ACD_NONE, cid = c->id;

	/* Detach the ringing agents first; keep their chain to refresh them afterwards. */
	for (aid = head; aid != ACD_NONE; aid = acd->agents[aid].offer_next) {
		struct acd__agent *a = &acd->agents[aid];
		a->offer = ACD_NONE;
		emit_cancel(acd, c, a, ACD_CANCEL_TIMEOUT);
		a->paused_now = acd__agent_missed(acd, a, q);
		last = aid;
	}
	c->offers = ACD_NONE;
	c->noffers = 0;
	/* Agents first: they cannot see this contact (it is in no tree), so they go back to
	 * their trees or to other contacts, and the contact then sees every free agent
	 * again (ring-all rings them all). */
	for (aid = head; aid != ACD_NONE;) {
		struct acd__agent *a = &acd->agents[aid];
		aid = a->offer_next;
		a->offer_next = ACD_NONE;
		acd__agent_refresh(acd, a, a->paused_now ? ACD_CAUSE_NO_ANSWER : ACD_CAUSE_MISSED,
				   cid);
		a->paused_now = false;
	}
	acd__contact_back(acd, c, ring_all ? ACD__AVOID_ALL : last);
}

int acd_offer_accept(struct acd *acd, uint32_t cid, uint32_t aid, uint64_t now_ms)
{
	struct acd__contact *c = acd__contact_get(acd, cid);
	struct acd__agent *a = acd__agent_get(acd, aid);
	struct acd__queue *q;

	if (!c || !a || c->state != ACD_CONTACT_OFFERED || a->offer != acd__contact_idx(acd, c))
		return ENOENT;
	acd__enter(acd, now_ms);
	q = &acd->queues[c->queue];
	unlink_offer(acd, c, a);
	c->state = ACD_CONTACT_CONNECTED;
	c->agent = aid;
	c->answered_at = now_ms;
	c->avoid = ACD_NONE;
	acd__stats_answered(q, c, now_ms);
	acd__contact_unqueue(q, c); /* no longer waiting: position, longest wait */
	a->load[c->channel]++;
	if (a->answered < UINT32_MAX)
		a->answered++;
	a->missed = 0;
	a->had_contact = true;
	acd__contact_schedule(acd, c);
	acd__offers_cancel(acd, c, ACD_CANCEL_ANSWERED_ELSEWHERE);
	acd__agent_refresh(acd, a, ACD_CAUSE_ANSWER, cid);
	acd__leave(acd);
	return 0;
}

int acd_offer_reject(struct acd *acd, uint32_t cid, uint32_t aid, uint64_t now_ms)
{
	struct acd__contact *c = acd__contact_get(acd, cid);
	struct acd__agent *a = acd__agent_get(acd, aid);
	struct acd__queue *q;
	bool paused;

	if (!c || !a || c->state != ACD_CONTACT_OFFERED || a->offer != acd__contact_idx(acd, c))
		return ENOENT;
	acd__enter(acd, now_ms);
	q = &acd->queues[c->queue];
	unlink_offer(acd, c, a);
	paused = acd__agent_missed(acd, a, q);
	acd__agent_refresh(acd, a, paused ? ACD_CAUSE_NO_ANSWER : ACD_CAUSE_MISSED, cid);
	if (!c->noffers)
		acd__contact_back(acd, c,
				  acd__strategy(q->p.strategy)->ring_all ? ACD__AVOID_ALL : aid);
	acd__leave(acd);
	return 0;
}
