/*
 * Randomised sequences of engine events against the ACD, checking after every step the
 * invariants the indexes rest on (read through the private header):
 *  - the trees hold exactly the available agents and the waiting contacts, counted right;
 *  - no waiting contact could be taken by an agent sitting free in its queue's trees
 *    (the library never leaves work and a free agent side by side);
 *  - every timer heap slot points back at its owner.
 */
#include "test_acd_fixture.h"

#include "acd/acd_int.h"

#include <stdio.h>

#define NQ 4
#define NA 12

static uint64_t rng_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static uint32_t tree_count(const struct acd__node *n)
{
	return n ? 1 + tree_count(n->l) + tree_count(n->r) : 0;
}

static void check_tree(const struct acd__tree *t)
{
	const struct acd__node *n, *prev = NULL;

	uint32_t count = 0;

	if (t->root)
		assert_null(t->root->p);
	if (!t->list)
		assert_int_equal(tree_count(t->root), acd__tree_size(t));
	for (n = t->first; n; n = acd__tree_next(n)) {
		if (prev)
			assert_true(acd__node_cmp(prev, n) < 0);
		if (t->list) {
			assert_int_equal(n->pri, 0);
			assert_ptr_equal(n->l, prev);
		} else {
			assert_int_not_equal(n->pri, 0);
			if (n->p)
				assert_true(n->p->pri >= n->pri);
		}
		prev = n;
		count++;
	}
	assert_int_equal(count, acd__tree_size(t));
	if (t->list)
		assert_ptr_equal(t->last, prev);
}

static void check_invariants(struct acd *acd)
{
	for (uint32_t qi = 0; qi < acd->nqueues; qi++) {
		struct acd__queue *q = &acd->queues[qi];
		uint32_t avail = 0, waiting = 0;
		if (!q->used)
			continue;
		for (size_t b = 0; b < (size_t)q->npen * q->nstage; b++) {
			check_tree(&q->buckets[b]);
			avail += acd__tree_size(&q->buckets[b]);
		}
		for (uint8_t s = 0; s < q->nstage; s++) {
			check_tree(&q->wait[s]);
			waiting += acd__tree_size(&q->wait[s]);
		}
		assert_int_equal(avail, q->navail);
		assert_int_equal(waiting, q->nwaiting);
		/* Work conservation: a waiting contact without own requirements and not
		 * resting has no free agent in a tree it may use. */
		for (uint8_t s = 0; s < q->nstage; s++) {
			for (const struct acd__node *n = q->wait[s].first; n;
			     n = acd__tree_next(n)) {
				const struct acd__contact *c =
				    (const struct acd__contact *)((const char *)n -
								  offsetof(struct acd__contact,
									   node));
				if (c->nskills ||
				    (c->avoid != ACD_NONE && c->avoid_until > acd->now))
					continue;
				for (uint16_t p = 0; p < q->npen; p++)
					for (uint8_t e = 0; e <= s; e++)
						assert_null(
						    q->buckets[(size_t)p * q->nstage + e].root);
			}
		}
	}
	for (uint32_t ai = 0; ai < acd->nagents; ai++) {
		struct acd__agent *a = &acd->agents[ai];
		if (!a->used)
			continue;
		if (a->offer != ACD_NONE)
			assert_int_equal(a->avail, 0);
		uint32_t nind = 0;
		for (uint32_t m = 0; m < a->nmembers; m++)
			nind += a->members[m].indexed;
		assert_int_equal(nind, a->nindexed);
		for (uint32_t m = 0; m < a->nmembers; m++) {
			const struct acd__queue *q = &acd->queues[a->members[m].queue];
			assert_int_equal(a->mhot[m].queue, a->members[m].queue);
			assert_int_equal(a->mhot[m].stage, a->members[m].stage);
			assert_int_equal(a->members[m].indexed,
					 (a->avail & ACD_CH_BIT(q->p.channel)) != 0);
		}
	}
	for (uint32_t i = 0; i < acd->nheap; i++) {
		uint32_t o = acd->heap[i].owner;
		uint32_t h = o & ACD__AGENT_BIT ? acd->agents[o & ~ACD__AGENT_BIT].hidx
						: acd->contacts[o].hidx;
		assert_int_equal(h, i);
		if (i)
			assert_true(acd->heap[(i - 1) / 4].at <= acd->heap[i].at);
	}
}

/* Pending offers and connected contacts, as the engine would track them. */
struct pend {
	uint32_t c, a;
};

static struct pend offers[4096];
static size_t noffers;
static uint32_t connected[4096];
static size_t nconnected;
static size_t total_offers, total_accepted;

static void on_offer(const struct acd_offer *o, void *arg)
{
	total_offers++;
	if (noffers < 4096)
		offers[noffers++] = (struct pend){o->contact, o->agent};
}

static void on_cancel(const struct acd_offer *o, enum acd_cancel_reason why, void *arg)
{
	for (size_t i = 0; i < noffers; i++) {
		if (offers[i].c == o->contact && offers[i].a == o->agent) {
			offers[i] = offers[--noffers];
			return;
		}
	}
}

static void run_random(enum acd_strategy_id strategy, uint64_t seed)
{
	struct acd_params ap;
	struct acd_handlers h = {.offer = on_offer, .cancel = on_cancel};
	struct acd *acd;
	uint32_t q[NQ], a[NA], skill[NQ];
	uint64_t now = 1000;
	char name[16];

	rng_state = seed;
	noffers = nconnected = 0;
	total_offers = total_accepted = 0;
	acd_params_default(&ap);
	ap.seed = seed;
	ap.max_contacts = 512;
	assert_int_equal(acd_new(&ap, &h, &acd), 0);
	for (int i = 0; i < NQ; i++) {
		struct acd_queue_params p;
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(acd_skill_intern(acd, name, &skill[i]), 0);
		acd_queue_params_default(&p);
		p.strategy = strategy;
		p.channel = i == 3 ? ACD_CH_CHAT : ACD_CH_VOICE;
		p.skills[0] = (struct acd_skill_level){skill[i], 5};
		p.nskills = 1;
		p.max_penalty = 0;
		p.wrap_up_ms = i == 0 ? 3000 : 0;
		p.max_wait_ms = 200000;
		p.announce_ms = 20000;
		p.nrelax = 2;
		p.relax[0] = (struct acd_relax_step){20000, 2, 5, ACD_NONE};
		p.relax[1] = (struct acd_relax_step){40000, 0, -1, i ? q[0] : ACD_NONE};
		if (i == 0 || i == 3)
			p.nrelax = 1;
		assert_int_equal(acd_queue_add(acd, &p, now, &q[i]), 0);
	}
	for (int i = 0; i < NA; i++) {
		struct acd_agent_params p;
		struct acd_skill_level sl[2] = {{skill[i % NQ], (uint8_t)(1 + rnd(10))},
						{skill[(i + 1) % NQ], (uint8_t)(1 + rnd(10))}};
		struct acd_membership m = {q[(i + 2) % NQ], (int)rnd(3), 0};
		acd_agent_params_default(&p);
		p.skills = sl;
		p.nskills = 2;
		p.queues = &m;
		p.nqueues = 1;
		p.ref = (uint64_t)i;
		assert_int_equal(acd_agent_add(acd, &p, now, &a[i]), 0);
	}
	for (int step = 0; step < 6000; step++) {
		uint32_t r = rnd(100);
		if (r < 25) {
			struct acd_contact_params cp;
			uint32_t id;
			acd_contact_params_default(&cp);
			cp.queue = q[rnd(NQ)];
			cp.priority = (int)rnd(3) * 10;
			if (rnd(10) == 0) {
				cp.skills[0] = (struct acd_skill_level){skill[rnd(NQ)], 3};
				cp.nskills = 1;
			}
			if (rnd(10) == 0) {
				cp.preferred_agent = a[rnd(NA)];
				cp.sticky_ms = 10000;
			}
			if (acd_contact_enqueue(acd, &cp, now, &id) == 0 && rnd(20) == 0)
				acd_contact_to_callback(acd, id, now);
		} else if (r < 45 && noffers) {
			size_t k = rnd((uint32_t)noffers);
			struct pend o = offers[k];
			offers[k] = offers[--noffers];
			if (rnd(5) == 0) {
				assert_int_equal(acd_offer_reject(acd, o.c, o.a, now), 0);
			} else if (nconnected < 4096) {
				assert_int_equal(acd_offer_accept(acd, o.c, o.a, now), 0);
				connected[nconnected++] = o.c;
				total_accepted++;
			}
		} else if (r < 60 && nconnected) {
			size_t k = rnd((uint32_t)nconnected);
			uint32_t c = connected[k];
			connected[k] = connected[--nconnected];
			assert_int_equal(acd_contact_end(acd, c, now), 0);
		} else if (r < 70) {
			static const enum acd_state st[] = {ACD_STATE_READY, ACD_STATE_READY,
							    ACD_STATE_NOT_READY,
							    ACD_STATE_LOGGED_OUT};
			acd_agent_set_state(acd, a[rnd(NA)], st[rnd(4)], 3, now);
		} else if (r < 73) {
			acd_agent_end_wrap_up(acd, a[rnd(NA)], now);
		} else if (r < 76) {
			/* A caller hangs up: pick any live contact by slot. */
			for (uint32_t i = 0; i < acd->p.max_contacts; i++) {
				uint32_t slot = (rnd(512) + i) % acd->p.max_contacts;
				struct acd__contact *c = &acd->contacts[slot];
				if (c->used && c->state != ACD_CONTACT_CONNECTED) {
					acd_contact_abandon(acd, c->id, now);
					break;
				}
			}
		} else if (r < 77) {
			acd_queue_set_open(acd, q[rnd(NQ)], rnd(4) != 0, now);
		} else {
			now += rnd(4000);
			acd_tick(acd, now);
		}
		check_invariants(acd);
	}
	/* The run did exercise routing. */
	assert_true(total_offers > 500);
	assert_true(total_accepted > 500);
	acd_free(acd);
}

static void test_random_events_keep_indexes_consistent_longest_idle(void **state)
{
	run_random(ACD_STRATEGY_LONGEST_IDLE, 1);
	(void)state;
}

static void test_random_events_keep_indexes_consistent_every_strategy(void **state)
{
	for (int s = 0; s < ACD_STRATEGY_COUNT; s++)
		run_random((enum acd_strategy_id)s, 100 + (uint64_t)s);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_events_keep_indexes_consistent_longest_idle),
	    cmocka_unit_test(test_random_events_keep_indexes_consistent_every_strategy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
