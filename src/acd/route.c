/*
 * The two routing decisions.
 *
 * A contact becomes routable (it arrives, is put back after a miss, reaches a
 * relaxation step, its sticky or retry time ends): its queue's strategy picks among the
 * available agents of the best penalty tier that has any, looking only at the trees of
 * the stages the contact has reached; then, from the steps that add another queue, that
 * queue's stage-0 agents in its own order. Ring-all offers to every fitting agent of
 * that tier.
 *
 * An agent becomes free: it takes a contact waiting for it as their preferred agent if
 * there is one, else the best waiting contact across everything it may serve - the
 * head of each of its queues' trees from its own stage on, and the heads of the queues
 * that borrow its queues' agents - comparing (priority, seniority, arrival). Only when nothing
 * waits does it go into the trees of available agents.
 *
 * Both read tree heads: O(queues of the agent x stages) for an agent, O(tiers x stages)
 * for a contact, plus a walk past candidates that the contact's own requirements rule
 * out (extra skills, an agent it must not be offered to again yet).
 */
#include "acd/acd_int.h"

#include <stddef.h>

#define CONTACT(n) ((struct acd__contact *)((char *)(n)-offsetof(struct acd__contact, node)))
#define MEMBER(n)  ((struct acd__member *)((char *)(n)-offsetof(struct acd__member, node)))

/* Offers to every fitting agent of the trees; returns true if there was one. */
static bool ring_all(struct acd *acd, struct acd__contact *c, struct acd__tree *const *trees,
		     size_t n)
{
	bool any = false;

	for (;;) {
		struct acd__member *m = acd__pick_ordered(acd, NULL, trees, n, c);
		if (!m)
			return any;
		acd__offer(acd, c, &acd->agents[m->agent], true);
		any = true;
	}
}

static bool route_borrowed(struct acd *acd, struct acd__contact *c, const struct acd__queue *q)
{
	for (uint8_t i = 0; i < c->stage && i < q->p.nrelax; i++) {
		uint32_t xid = q->p.relax[i].add_queue;
		struct acd__queue *x;
		const struct acd_strategy *st;
		if (xid == ACD_NONE)
			continue;
		x = &acd->queues[xid];
		if (!x->navail)
			continue;
		st = acd__strategy(x->p.strategy);
		for (uint16_t p = 0; p < x->npen; p++) {
			struct acd__tree *t = &x->buckets[(size_t)p * x->nstage];
			struct acd__member *m;
			if (!t->first)
				continue;
			m = st->pick(acd, x, &t, 1, c);
			if (m) {
				acd__offer(acd, c, &acd->agents[m->agent], false);
				return true;
			}
		}
	}
	return false;
}

void acd__route_contact(struct acd *acd, struct acd__contact *c)
{
	struct acd__queue *q = &acd->queues[c->queue];
	struct acd__tree *trees[ACD__NSTAGE_MAX];
	const struct acd_strategy *st;

	if (c->state == ACD_CONTACT_STICKY) {
		struct acd__agent *a = &acd->agents[c->preferred];
		if ((a->avail & ACD_CH_BIT(c->channel)) && acd__contact_fits(acd, c, a))
			acd__offer(acd, c, a, false);
		return;
	}
	if (c->state != ACD_CONTACT_WAITING)
		return;
	if (c->avoid == ACD__AVOID_ALL && c->avoid_until > acd->now)
		return;
	st = acd__strategy(q->p.strategy);
	for (uint16_t p = 0; q->navail && p < q->npen; p++) {
		struct acd__tree *row = &q->buckets[(size_t)p * q->nstage];
		struct acd__member *m;
		size_t n = 0;
		for (uint8_t s = 0; s <= c->stage; s++)
			if (row[s].first)
				trees[n++] = &row[s];
		if (!n)
			continue;
		if (st->ring_all) {
			if (ring_all(acd, c, trees, n))
				return;
			continue;
		}
		m = st->pick(acd, q, trees, n, c);
		if (m) {
			acd__offer(acd, c, &acd->agents[m->agent], false);
			return;
		}
	}
	if (c->stage)
		route_borrowed(acd, c, q);
}

/* The first contact of a wait tree, from n on, that agent a may take. */
static struct acd__contact *first_fit(struct acd *acd, struct acd__node *n,
				      const struct acd__agent *a)
{
	for (; n; n = acd__tree_next(n))
		if (acd__contact_fits(acd, CONTACT(n), a))
			return CONTACT(n);
	return NULL;
}

static struct acd__contact *better(struct acd__contact *best, struct acd__contact *c)
{
	if (c && (!best || acd__node_cmp(&c->node, &best->node) < 0))
		return c;
	return best;
}

static struct acd__contact *scan_queue(struct acd *acd, struct acd__agent *a, struct acd__queue *q,
				       uint8_t from, struct acd__contact *best)
{
	if (!q->nwaiting || !(a->avail & ACD_CH_BIT(q->channel)))
		return best;
	for (uint8_t s = from; s < q->nstage; s++)
		if (q->wait[s].first)
			best = better(best, first_fit(acd, q->wait[s].first, a));
	return best;
}

void acd__route_agent(struct acd *acd, struct acd__agent *a)
{
	while (a->avail) {
		struct acd__contact *best = NULL;
		struct acd__node *n;
		bool sticky;

		for (n = a->sticky.first; n; n = acd__tree_next(n)) {
			struct acd__contact *c = CONTACT(n);
			if ((a->avail & ACD_CH_BIT(c->channel)) && acd__contact_fits(acd, c, a)) {
				best = c;
				break;
			}
		}
		sticky = best != NULL;
		/* A contact waiting for this very agent comes first. */
		for (uint32_t i = 0; i < a->nmembers && !sticky; i++) {
			const struct acd__mhot *m = &a->mhot[i];
			struct acd__queue *q = &acd->queues[m->queue];
			best = scan_queue(acd, a, q, m->stage, best);
			if (m->stage)
				continue;
			for (uint32_t b = 0; b < q->nborrowers; b++)
				best = scan_queue(acd, a, &acd->queues[q->borrowers[b].queue],
						  q->borrowers[b].stage, best);
		}
		if (!best)
			return;
		acd__offer(acd, best, a, false);
	}
}
