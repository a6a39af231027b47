/*
 * Queue membership: which agents serve which queue, at which penalty tier and from
 * which relaxation stage on, and the upkeep of the per-queue trees of available agents.
 *
 * An agent is a member of a queue when it lists the queue explicitly (with a penalty
 * and an order) or when the queue requires skills and the agent has them all; in both
 * cases its levels must reach the queue's requirements at some relaxation stage. The
 * first such stage (also bounded by the stage's max penalty) is stored in the
 * membership, so that a contact at stage s considers exactly the trees of stages <= s
 * and never filters agents one by one on queue-level rules.
 *
 * Memberships are rebuilt whole for an agent when its skills or explicit queues change
 * or a queue it may belong to is added or changed: provisioning work, allowed to
 * allocate. Keeping the trees in step with availability (acd__agent_sync_index) is the
 * hot path and only touches the agent's own memberships.
 */
#include "acd/acd_int.h"

#include <errno.h>
#include <string.h>

void acd__queue_compute_stages(struct acd__queue *q)
{
	uint8_t s;

	q->nstage = (uint8_t)(q->p.nrelax + 1);
	q->stage_cap[0] = 0;
	q->stage_maxpen[0] = q->p.max_penalty < 0 ? -1 : q->p.max_penalty;
	for (s = 1; s < q->nstage; s++) {
		const struct acd_relax_step *r = &q->p.relax[s - 1];
		uint8_t cap = q->stage_cap[s - 1];
		int mp = q->stage_maxpen[s - 1];
		if (r->min_level && (!cap || r->min_level < cap))
			cap = r->min_level;
		if (r->max_penalty >= 0 && mp >= 0 && r->max_penalty > mp)
			mp = r->max_penalty;
		q->stage_cap[s] = cap;
		q->stage_maxpen[s] = mp;
	}
}

uint8_t acd__stage_level(const struct acd__queue *q, uint8_t stage, uint8_t level)
{
	uint8_t cap = q->stage_cap[stage];

	return cap && cap < level ? cap : level;
}

/* First stage at which agent a at `penalty` qualifies for q, or -1. */
int acd__member_stage(const struct acd__queue *q, const struct acd__agent *a, int penalty)
{
	for (uint8_t s = 0; s < q->nstage; s++) {
		size_t i;
		if (q->stage_maxpen[s] >= 0 && penalty > q->stage_maxpen[s])
			continue;
		for (i = 0; i < q->p.nskills; i++) {
			const struct acd_skill_level *r = &q->p.skills[i];
			if (acd__agent_level(a, r->skill) < acd__stage_level(q, s, r->level))
				break;
		}
		if (i == q->p.nskills)
			return s;
	}
	return -1;
}

static uint32_t member_weight(const struct acd__queue *q, const struct acd__agent *a)
{
	uint32_t w = 0;

	for (size_t i = 0; i < q->p.nskills; i++)
		w += acd__agent_level(a, q->p.skills[i].skill);
	return w ? w : 1;
}

void acd__member_key(const struct acd *acd, const struct acd__queue *q, const struct acd__agent *a,
		     struct acd__member *m)
{
	acd__strategy(q->p.strategy)->key(a, m, q->p.channel, &m->node.k1, &m->node.k2);
	m->node.tie = m->agent;
}

static inline struct acd__tree *bucket(struct acd__queue *q, const struct acd__member *m)
{
	return &q->buckets[(size_t)m->pen_idx * q->nstage + m->stage];
}

static void member_out(struct acd *acd, struct acd__member *m)
{
	struct acd__queue *q = &acd->queues[m->queue];

	acd__tree_remove(bucket(q, m), &m->node);
	q->navail--;
	m->indexed = false;
	acd->agents[m->agent].nindexed--;
}

void acd__agent_unindex(struct acd *acd, struct acd__agent *a)
{
	for (uint32_t i = 0; i < a->nmembers && a->nindexed; i++)
		if (a->members[i].indexed)
			member_out(acd, &a->members[i]);
}

/* Puts the agent in exactly the trees of the queues whose channel it can take now,
 * under its current keys. */
void acd__agent_sync_index(struct acd *acd, struct acd__agent *a)
{
	if (!a->avail && !a->nindexed)
		return; /* busy and in no tree: nothing to do, nothing to read */
	for (uint32_t i = 0; i < a->nmembers; i++) {
		struct acd__member *m = &a->members[i];
		struct acd__queue *q = &acd->queues[m->queue];
		bool want = (a->avail & ACD_CH_BIT(q->channel)) != 0;
		uint64_t k1, k2;

		if (!want) {
			if (m->indexed)
				member_out(acd, m);
			continue;
		}
		acd__strategy(q->p.strategy)->key(a, m, q->p.channel, &k1, &k2);
		if (m->indexed) {
			if (k1 == m->node.k1 && k2 == m->node.k2)
				continue;
			member_out(acd, m);
		}
		m->node.k1 = k1;
		m->node.k2 = k2;
		m->node.tie = m->agent;
		acd__tree_insert(bucket(q, m), &m->node);
		q->navail++;
		m->indexed = true;
		a->nindexed++;
	}
}

void acd__presence_counts(struct acd *acd, struct acd__agent *a, int delta)
{
	for (uint32_t i = 0; i < a->nmembers; i++)
		acd->queues[a->members[i].queue].staffed += (uint32_t)delta;
}

/* Makes sure `penalty` has a row of buckets in q; rows are kept in ascending penalty
 * order, so a new value in the middle shifts the rows after it. */
static int ensure_pen(struct acd *acd, struct acd__queue *q, int penalty)
{
	uint16_t lo = 0, hi = q->npen;
	struct acd__tree *nb;
	struct acd__member *m;

	while (lo < hi) {
		uint16_t mid = (uint16_t)((lo + hi) / 2);
		if (q->pens[mid] < penalty)
			lo = (uint16_t)(mid + 1);
		else
			hi = mid;
	}
	if (lo < q->npen && q->pens[lo] == penalty)
		return 0;
	if (q->npen == UINT16_MAX)
		return ENOSPC;
	if (q->npen == q->pens_cap) {
		uint16_t cap = (uint16_t)(q->pens_cap ? q->pens_cap * 2 : 4);
		int *np = acd__realloc(acd, q->pens, q->pens_cap, cap, sizeof(*np));
		if (!np)
			return ENOMEM;
		q->pens = np;
		q->pens_cap = cap;
	}
	nb = acd__realloc(acd, q->buckets, (size_t)q->npen * q->nstage,
			  (size_t)(q->npen + 1) * q->nstage, sizeof(*nb));
	if (!nb)
		return ENOMEM;
	q->buckets = nb;
	memmove(&nb[(size_t)(lo + 1) * q->nstage], &nb[(size_t)lo * q->nstage],
		(size_t)(q->npen - lo) * q->nstage * sizeof(*nb));
	memset(&nb[(size_t)lo * q->nstage], 0, q->nstage * sizeof(*nb));
	for (uint8_t st = 0; st < q->nstage; st++)
		nb[(size_t)lo * q->nstage + st].list = acd__strategy(q->p.strategy)->list;
	memmove(&q->pens[lo + 1], &q->pens[lo], (size_t)(q->npen - lo) * sizeof(*q->pens));
	q->pens[lo] = penalty;
	q->npen++;
	for (m = q->members; m; m = m->qnext)
		if (m->pen_idx >= lo)
			m->pen_idx++;
	return 0;
}

static uint16_t pen_index(const struct acd__queue *q, int penalty)
{
	uint16_t lo = 0, hi = q->npen;

	while (lo < hi) {
		uint16_t mid = (uint16_t)((lo + hi) / 2);
		if (q->pens[mid] < penalty)
			lo = (uint16_t)(mid + 1);
		else
			hi = mid;
	}
	return lo;
}

static void member_unlink(struct acd__queue *q, struct acd__member *m)
{
	if (m->qprev)
		m->qprev->qnext = m->qnext;
	else
		q->members = m->qnext;
	if (m->qnext)
		m->qnext->qprev = m->qprev;
	q->nmembers--;
}

static void member_link(struct acd__queue *q, struct acd__member *m)
{
	m->qprev = NULL;
	m->qnext = q->members;
	if (q->members)
		q->members->qprev = m;
	q->members = m;
	q->nmembers++;
}

static const struct acd__member *find_old(const struct acd__agent *a, uint32_t queue)
{
	for (uint32_t i = 0; i < a->nmembers; i++)
		if (a->members[i].queue == queue)
			return &a->members[i];
	return NULL;
}

/*
 * Recomputes all of the agent's memberships and puts it back in the trees it belongs
 * to. On ENOMEM nothing has changed.
 */
int acd__agent_rebuild(struct acd *acd, struct acd__agent *a)
{
	struct acd__member *nm = NULL;
	struct acd__mhot *hot = NULL;
	uint32_t count = (uint32_t)a->nexplicit, n = 0, i, j;
	uint32_t id = acd__agent_id(acd, a);
	bool ready = a->presence == ACD_STATE_READY;
	int err = 0;

	for (i = 0; i < a->nskills; i++)
		count += acd->skills[a->skills[i].skill].nqueues;
	if (count) {
		nm = acd__calloc(acd, count, sizeof(*nm));
		if (!nm)
			return ENOMEM;
	}
	for (i = 0; i < a->nexplicit; i++) {
		struct acd__queue *q = acd__queue_get(acd, a->explicit_q[i].queue);
		int st = q ? acd__member_stage(q, a, a->explicit_q[i].penalty) : -1;
		if (st < 0)
			continue;
		nm[n].queue = a->explicit_q[i].queue;
		nm[n].penalty = a->explicit_q[i].penalty;
		nm[n].order = a->explicit_q[i].order;
		nm[n].stage = (uint8_t)st;
		n++;
	}
	for (i = 0; i < a->nskills; i++) {
		const struct acd__skill *sk = &acd->skills[a->skills[i].skill];
		for (j = 0; j < sk->nqueues; j++) {
			uint32_t qid = sk->queues[j], k;
			struct acd__queue *q = &acd->queues[qid];
			int st;
			for (k = 0; k < n && nm[k].queue != qid; k++)
				;
			if (k < n)
				continue;
			st = acd__member_stage(q, a, 0);
			if (st < 0)
				continue;
			nm[n].queue = qid;
			nm[n].penalty = 0;
			nm[n].stage = (uint8_t)st;
			n++;
		}
	}
	for (i = 0; i < n && !err; i++)
		err = ensure_pen(acd, &acd->queues[nm[i].queue], nm[i].penalty);
	if (!err && n) {
		hot = acd__calloc(acd, n, sizeof(*hot));
		if (!hot)
			err = ENOMEM;
	}
	if (err) {
		acd__free(acd, nm, count, sizeof(*nm));
		return err;
	}
	acd__agent_unindex(acd, a);
	for (i = 0; i < n; i++) {
		struct acd__queue *q = &acd->queues[nm[i].queue];
		const struct acd__member *old = find_old(a, nm[i].queue);
		nm[i].agent = id;
		if (!nm[i].order)
			nm[i].order = old ? old->order : ++q->next_order;
		nm[i].weight = member_weight(q, a);
		nm[i].node.weight = nm[i].weight;
		nm[i].node.pri = acd__rand32(acd);
		nm[i].pen_idx = pen_index(q, nm[i].penalty);
	}
	for (i = 0; i < a->nmembers; i++) {
		struct acd__queue *q = &acd->queues[a->members[i].queue];
		member_unlink(q, &a->members[i]);
		if (ready)
			q->staffed--;
	}
	acd__free(acd, a->members, a->nmembers, sizeof(*a->members));
	acd__free(acd, a->mhot, a->nmembers, sizeof(*a->mhot));
	if (!n) {
		acd__free(acd, nm, count, sizeof(*nm));
		nm = NULL;
	} else if (n < count) {
		/* Give back the slots of queues the agent did not qualify for. */
		struct acd__member *shrunk = acd__realloc(acd, nm, count, n, sizeof(*nm));
		if (shrunk)
			nm = shrunk;
		else
			acd->mem -= (count - n) * sizeof(*nm);
	}
	a->members = nm;
	a->mhot = hot;
	a->nmembers = n;
	for (i = 0; i < n; i++) {
		struct acd__queue *q = &acd->queues[nm[i].queue];
		hot[i].queue = nm[i].queue;
		hot[i].stage = nm[i].stage;
		member_link(q, &nm[i]);
		if (ready)
			q->staffed++;
	}
	return 0;
}
