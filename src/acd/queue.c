/*
 * Queues: provisioning (add, update, remove), the open/closed flag driven by the
 * engine's business hours, and overflowing everything that waits. A queue's relaxation
 * steps become stages (stage 0 before the first step); queues named by a step's
 * add_queue learn who borrows their agents, so an agent freeing up there also looks at
 * the borrowing queues' contacts.
 */
#include "acd/acd_int.h"

#include <errno.h>
#include <string.h>

void acd_queue_params_default(struct acd_queue_params *p)
{
	memset(p, 0, sizeof(*p));
	p->strategy = ACD_STRATEGY_LONGEST_IDLE;
	p->channel = ACD_CH_VOICE;
	p->max_penalty = -1;
	p->ring_timeout_ms = 15000;
	p->service_level_ms = 20000;
	p->service_level_pct = 80;
	p->sl_formula = ACD_SL_ALL_EXCL_SHORT;
	p->short_abandon_ms = 5000;
	p->retry_ms = 5000;
	p->aht_hint_ms = 180000;
	p->open = true;
	for (int i = 0; i < ACD_MAX_RELAX; i++) {
		p->relax[i].max_penalty = -1;
		p->relax[i].add_queue = ACD_NONE;
	}
}

static int check_params(const struct acd *acd, const struct acd_queue_params *p, uint32_t self)
{
	int err;

	if ((unsigned)p->strategy >= ACD_STRATEGY_COUNT || (unsigned)p->channel >= ACD_CH_COUNT ||
	    (unsigned)p->sl_formula >= ACD_SL_COUNT)
		return EINVAL;
	if (p->service_level_pct > 100 || p->priority > ACD_MAX_PRIORITY || p->max_penalty < -1)
		return EINVAL;
	if (!p->ring_timeout_ms)
		return EINVAL;
	err = acd__check_skills(acd, p->skills, p->nskills, ACD_MAX_QUEUE_SKILLS);
	if (err)
		return err;
	if (p->nrelax > ACD_MAX_RELAX)
		return EINVAL;
	for (size_t i = 0; i < p->nrelax; i++) {
		const struct acd_relax_step *r = &p->relax[i];
		if (!r->after_ms || (i && r->after_ms <= p->relax[i - 1].after_ms))
			return EINVAL;
		if (r->min_level > ACD_MAX_LEVEL || r->max_penalty < -1)
			return EINVAL;
		if (r->add_queue != ACD_NONE) {
			const struct acd__queue *x = acd__queue_get(acd, r->add_queue);
			if (!x || r->add_queue == self || x->p.channel != p->channel)
				return EINVAL;
		}
	}
	return 0;
}

static int borrow_add(struct acd *acd, struct acd__queue *x, uint32_t q, uint8_t stage)
{
	if (x->nborrowers == x->borrowers_cap) {
		uint32_t nc = x->borrowers_cap ? x->borrowers_cap * 2 : 4;
		struct acd__borrow *nb =
		    acd__realloc(acd, x->borrowers, x->borrowers_cap, nc, sizeof(*nb));
		if (!nb)
			return ENOMEM;
		x->borrowers = nb;
		x->borrowers_cap = nc;
	}
	x->borrowers[x->nborrowers++] = (struct acd__borrow){.queue = q, .stage = stage};
	return 0;
}

static void borrow_del(struct acd__queue *x, uint32_t q)
{
	for (uint32_t i = 0; i < x->nborrowers;) {
		if (x->borrowers[i].queue == q)
			x->borrowers[i] = x->borrowers[--x->nborrowers];
		else
			i++;
	}
}

/* Links the queue to its anchor skill and to the queues it borrows from. */
static int link_queue(struct acd *acd, struct acd__queue *q)
{
	uint32_t id = acd__queue_id(acd, q);
	int err = 0;

	if (q->p.nskills) {
		struct acd__skill *s = &acd->skills[q->p.skills[0].skill];
		if (s->nqueues == s->queues_cap) {
			uint32_t nc = s->queues_cap ? s->queues_cap * 2 : 8;
			uint32_t *nv = acd__realloc(acd, s->queues, s->queues_cap, nc, sizeof(*nv));
			if (!nv)
				return ENOMEM;
			s->queues = nv;
			s->queues_cap = nc;
		}
		s->queues[s->nqueues++] = id;
	}
	for (size_t i = 0; i < q->p.nrelax && !err; i++)
		if (q->p.relax[i].add_queue != ACD_NONE)
			err = borrow_add(acd, &acd->queues[q->p.relax[i].add_queue], id,
					 (uint8_t)(i + 1));
	return err;
}

static void unlink_queue(struct acd *acd, struct acd__queue *q)
{
	uint32_t id = acd__queue_id(acd, q);

	if (q->p.nskills) {
		struct acd__skill *s = &acd->skills[q->p.skills[0].skill];
		for (uint32_t i = 0; i < s->nqueues; i++) {
			if (s->queues[i] == id) {
				s->queues[i] = s->queues[--s->nqueues];
				break;
			}
		}
	}
	for (size_t i = 0; i < q->p.nrelax; i++)
		if (q->p.relax[i].add_queue != ACD_NONE)
			borrow_del(&acd->queues[q->p.relax[i].add_queue], id);
}

/* Agents whose membership of q may change: current members, holders of the anchor
 * skill of settings p and agents that list q. Returns a new array (caller frees with
 * acd__free), or NULL with *n = 0: nobody (*cap = 0) or out of memory (*cap > 0). */
static uint32_t *affected_agents(struct acd *acd, struct acd__queue *q,
				 const struct acd_queue_params *p, uint32_t *n, uint32_t *cap)
{
	const struct acd__skill *s = p->nskills ? &acd->skills[p->skills[0].skill] : NULL;
	uint32_t id = acd__queue_id(acd, q), c = q->nmembers + (s ? s->nagents : 0), k = 0, i;
	uint32_t *v;
	struct acd__member *m;

	for (i = 0; i < acd->nagents; i++)
		for (size_t e = 0; acd->agents[i].used && e < acd->agents[i].nexplicit; e++)
			if (acd->agents[i].explicit_q[e].queue == id)
				c++;
	*n = 0;
	*cap = c;
	if (!c)
		return NULL;
	v = acd__calloc(acd, c, sizeof(*v));
	if (!v)
		return NULL;
	for (m = q->members; m; m = m->qnext)
		v[k++] = m->agent;
	for (i = 0; s && i < s->nagents; i++)
		v[k++] = s->agents[i];
	for (i = 0; i < acd->nagents; i++)
		for (size_t e = 0; acd->agents[i].used && e < acd->agents[i].nexplicit; e++)
			if (acd->agents[i].explicit_q[e].queue == id)
				v[k++] = i;
	*n = k;
	return v;
}

static void rebuild_agents(struct acd *acd, uint32_t *v, uint32_t n, int *err)
{
	for (uint32_t i = 0; i < n; i++) {
		struct acd__agent *a = &acd->agents[v[i]];
		int e;
		if (!a->used)
			continue;
		/* The same agent may be listed twice; rebuilding twice is harmless. */
		e = acd__agent_rebuild(acd, a);
		if (e && !*err)
			*err = e;
		acd__agent_refresh(acd, a, ACD_CAUSE_PROVISIONING, ACD_NONE);
	}
}

int acd_queue_add(struct acd *acd, const struct acd_queue_params *p, uint64_t now_ms, uint32_t *out)
{
	struct acd__queue *q;
	uint32_t i, n, cap, *v;
	int err = check_params(acd, p, ACD_NONE);

	if (err)
		return err;
	for (i = 0; i < acd->nqueues; i++)
		if (!acd->queues[i].used)
			break;
	if (i == acd->nqueues && acd->nqueues == acd->p.max_queues)
		return ENOSPC;
	q = &acd->queues[i];
	memset(q, 0, sizeof(*q));
	q->p = *p;
	q->channel = (uint8_t)p->channel;
	acd__queue_compute_stages(q);
	q->aht_ewma = (double)p->aht_hint_ms;
	err = link_queue(acd, q);
	if (err) {
		unlink_queue(acd, q);
		return err;
	}
	q->used = true;
	if (i == acd->nqueues)
		acd->nqueues++;
	acd__enter(acd, now_ms);
	v = affected_agents(acd, q, &q->p, &n, &cap);
	if (!v && cap)
		err = ENOMEM;
	rebuild_agents(acd, v, n, &err);
	acd__free(acd, v, cap, sizeof(*v));
	*out = i;
	acd__leave(acd);
	return err;
}

int acd_queue_update(struct acd *acd, uint32_t id, const struct acd_queue_params *p,
		     uint64_t now_ms)
{
	struct acd__queue *q = acd__queue_get(acd, id);
	struct acd__contact *c, *next;
	struct acd__member *m;
	uint32_t n1, cap1, n2, cap2, *v1, *v2;
	int err;

	if (!q)
		return ENOENT;
	err = check_params(acd, p, id);
	if (err)
		return err;
	if (p->channel != q->p.channel)
		return EINVAL;
	v1 = affected_agents(acd, q, &q->p, &n1, &cap1);
	v2 = affected_agents(acd, q, p, &n2, &cap2);
	if ((!v1 && cap1) || (!v2 && cap2)) {
		acd__free(acd, v1, cap1, sizeof(*v1));
		acd__free(acd, v2, cap2, sizeof(*v2));
		return ENOMEM;
	}
	acd__enter(acd, now_ms);
	for (m = q->members; m; m = m->qnext)
		acd__agent_unindex(acd, &acd->agents[m->agent]);
	for (c = q->arr_head; c; c = c->anext)
		if (c->where == ACD__IN_QUEUE)
			acd__contact_queue_out(acd, c);
	unlink_queue(acd, q);
	acd__free(acd, q->buckets, (size_t)q->npen * q->nstage, sizeof(*q->buckets));
	acd__free(acd, q->pens, q->pens_cap, sizeof(*q->pens));
	q->buckets = NULL;
	q->pens = NULL;
	q->npen = q->pens_cap = 0;
	q->navail = 0;
	q->p = *p;
	acd__queue_compute_stages(q);
	q->rr_valid = false;
	err = link_queue(acd, q);
	rebuild_agents(acd, v1, n1, &err);
	rebuild_agents(acd, v2, n2, &err);
	acd__free(acd, v1, cap1, sizeof(*v1));
	acd__free(acd, v2, cap2, sizeof(*v2));
	for (c = q->arr_head; c; c = c->anext) {
		c->stage = acd__stage_at(q, now_ms - c->entered);
		if (c->state == ACD_CONTACT_WAITING)
			acd__contact_queue_in(acd, c);
		acd__contact_schedule(acd, c);
	}
	for (c = q->arr_head; c; c = next) {
		next = c->anext;
		if (c->state == ACD_CONTACT_WAITING)
			acd__route_contact(acd, c);
	}
	acd__leave(acd);
	return err;
}

int acd_queue_remove(struct acd *acd, uint32_t id, uint64_t now_ms)
{
	struct acd__queue *q = acd__queue_get(acd, id);
	uint32_t n, cap, *v, i;
	int err = 0;

	if (!q)
		return ENOENT;
	if (q->ncontacts || q->nborrowers)
		return EBUSY;
	v = affected_agents(acd, q, &q->p, &n, &cap);
	if (!v && cap)
		return ENOMEM;
	acd__enter(acd, now_ms);
	unlink_queue(acd, q);
	q->used = false;
	for (i = 0; i < acd->nagents; i++) {
		struct acd__agent *a = &acd->agents[i];
		for (size_t k = 0; a->used && k < a->nexplicit;) {
			if (a->explicit_q[k].queue == id)
				a->explicit_q[k] = a->explicit_q[--a->nexplicit];
			else
				k++;
		}
	}
	rebuild_agents(acd, v, n, &err);
	acd__free(acd, v, cap, sizeof(*v));
	acd__free(acd, q->buckets, (size_t)q->npen * q->nstage, sizeof(*q->buckets));
	acd__free(acd, q->pens, q->pens_cap, sizeof(*q->pens));
	acd__free(acd, q->borrowers, q->borrowers_cap, sizeof(*q->borrowers));
	memset(q, 0, sizeof(*q));
	acd__leave(acd);
	return 0;
}

int acd_queue_set_open(struct acd *acd, uint32_t id, bool open, uint64_t now_ms)
{
	struct acd__queue *q = acd__queue_get(acd, id);

	if (!q)
		return ENOENT;
	q->p.open = open;
	return 0;
}

int acd_queue_overflow_all(struct acd *acd, uint32_t id, enum acd_overflow_reason reason,
			   uint64_t now_ms)
{
	struct acd__queue *q = acd__queue_get(acd, id);
	struct acd__contact *c, *next;

	if (!q)
		return ENOENT;
	if ((unsigned)reason >= ACD_OVERFLOW_COUNT)
		return EINVAL;
	acd__enter(acd, now_ms);
	for (c = q->arr_head; c; c = next) {
		next = c->anext;
		if (c->state == ACD_CONTACT_WAITING || c->state == ACD_CONTACT_STICKY)
			acd__contact_overflow(acd, c, reason);
	}
	acd__leave(acd);
	return 0;
}
