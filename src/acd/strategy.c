/*
 * Routing strategies as a table: each has a name (the configuration's), a key function
 * that places an available agent in a queue's ordered trees, and a pick function that
 * chooses among the trees a contact may use. Keys are computed when the agent becomes
 * available, and everything a key depends on (idle since, calls and talk time today,
 * load) only changes while the agent is out of the trees, so a pick reads the first
 * fitting node: O(1) for the ordered strategies, O(log n) for round-robin and the random
 * ones. Ring-all uses the longest-idle order; route.c offers to every agent of the best
 * tier.
 */
#include "acd/acd_int.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define MEMBER(n) ((struct acd__member *)((char *)(n)-offsetof(struct acd__member, node)))
#define MASK56	  ((1ull << 56) - 1)
#define MASK40	  ((1ull << 40) - 1)

static uint64_t cap64(uint64_t v, uint64_t mask)
{
	return v > mask ? mask : v;
}

static void key_idle(const struct acd__agent *a, const struct acd__member *m, uint8_t ch,
		     uint64_t *k1, uint64_t *k2)
{
	*k1 = a->load[ch];
	*k2 = a->idle_since;
}

static void key_order(const struct acd__agent *a, const struct acd__member *m, uint8_t ch,
		      uint64_t *k1, uint64_t *k2)
{
	*k1 = m->order;
	*k2 = 0;
}

static void key_calls(const struct acd__agent *a, const struct acd__member *m, uint8_t ch,
		      uint64_t *k1, uint64_t *k2)
{
	*k1 = ((uint64_t)a->load[ch] << 40) | cap64(a->answered, MASK40);
	*k2 = a->idle_since;
}

static void key_talk(const struct acd__agent *a, const struct acd__member *m, uint8_t ch,
		     uint64_t *k1, uint64_t *k2)
{
	*k1 = ((uint64_t)a->load[ch] << 56) | cap64(a->talk_ms, MASK56);
	*k2 = a->idle_since;
}

static void key_none(const struct acd__agent *a, const struct acd__member *m, uint8_t ch,
		     uint64_t *k1, uint64_t *k2)
{
	*k1 = a->load[ch];
	*k2 = 0;
}

static void key_skill(const struct acd__agent *a, const struct acd__member *m, uint8_t ch,
		      uint64_t *k1, uint64_t *k2)
{
	*k1 = ((uint64_t)a->load[ch] << 32) | (UINT32_MAX - m->weight);
	*k2 = a->idle_since;
}

/* The first node of t, from `from` on, whose agent fits the contact. */
static struct acd__node *first_fit(struct acd *acd, struct acd__node *n,
				   const struct acd__contact *c)
{
	for (; n; n = acd__tree_next(n))
		if (!c || acd__contact_fits(acd, c, &acd->agents[MEMBER(n)->agent]))
			return n;
	return NULL;
}

struct acd__member *acd__pick_ordered(struct acd *acd, struct acd__queue *q,
				      struct acd__tree *const *trees, size_t n,
				      const struct acd__contact *c)
{
	struct acd__node *best = NULL;

	for (size_t i = 0; i < n; i++) {
		struct acd__node *f = first_fit(acd, trees[i]->first, c);
		if (f && (!best || acd__node_cmp(f, best) < 0))
			best = f;
	}
	return best ? MEMBER(best) : NULL;
}

/* Round-robin with memory: the first agent after the last one offered in the queue's
 * membership order, wrapping around. */
static struct acd__member *pick_rr(struct acd *acd, struct acd__queue *q,
				   struct acd__tree *const *trees, size_t n,
				   const struct acd__contact *c)
{
	struct acd__node *after = NULL, *wrap = NULL;

	for (size_t i = 0; i < n; i++) {
		struct acd__node *f;
		if (q->rr_valid) {
			f = first_fit(acd, acd__tree_first_k1_after(trees[i], q->rr_last), c);
			if (f && (!after || acd__node_cmp(f, after) < 0))
				after = f;
		}
		f = first_fit(acd, trees[i]->first, c);
		if (f && (!wrap || acd__node_cmp(f, wrap) < 0))
			wrap = f;
	}
	if (!after)
		after = wrap;
	if (!after)
		return NULL;
	q->rr_last = after->k1;
	q->rr_valid = true;
	return MEMBER(after);
}

static struct acd__member *pick_random(struct acd *acd, struct acd__queue *q,
				       struct acd__tree *const *trees, size_t n,
				       const struct acd__contact *c)
{
	uint64_t total = 0, k;
	size_t i;

	for (i = 0; i < n; i++)
		total += acd__tree_size(trees[i]);
	if (!total)
		return NULL;
	k = acd__rand(acd) % total;
	for (i = 0; i < n; i++) {
		uint32_t s = acd__tree_size(trees[i]);
		if (k < s) {
			struct acd__node *x = acd__tree_select(trees[i], (uint32_t)k);
			if (x && (!c || acd__contact_fits(acd, c, &acd->agents[MEMBER(x)->agent])))
				return MEMBER(x);
			break;
		}
		k -= s;
	}
	/* The drawn agent cannot take this contact: fall back to the first that can. */
	return acd__pick_ordered(acd, q, trees, n, c);
}

static struct acd__member *pick_weighted(struct acd *acd, struct acd__queue *q,
					 struct acd__tree *const *trees, size_t n,
					 const struct acd__contact *c)
{
	uint64_t total = 0, w;
	size_t i;

	for (i = 0; i < n; i++)
		total += acd__tree_weight(trees[i]);
	if (!total)
		return NULL;
	w = acd__rand(acd) % total;
	for (i = 0; i < n; i++) {
		uint64_t s = acd__tree_weight(trees[i]);
		if (w < s) {
			struct acd__node *x = acd__tree_select_weight(trees[i], w);
			if (x && (!c || acd__contact_fits(acd, c, &acd->agents[MEMBER(x)->agent])))
				return MEMBER(x);
			break;
		}
		w -= s;
	}
	return acd__pick_ordered(acd, q, trees, n, c);
}

static const struct acd_strategy strategies[ACD_STRATEGY_COUNT] = {
    [ACD_STRATEGY_LONGEST_IDLE] = {"longest-idle", acd__pick_ordered, key_idle, false, true},
    [ACD_STRATEGY_ROUND_ROBIN] = {"round-robin", pick_rr, key_order, false, false},
    [ACD_STRATEGY_LEAST_CALLS] = {"least-calls", acd__pick_ordered, key_calls, false, false},
    [ACD_STRATEGY_LEAST_TALK_TIME] = {"least-talk-time", acd__pick_ordered, key_talk, false, false},
    [ACD_STRATEGY_RING_ALL] = {"ring-all", acd__pick_ordered, key_idle, true, true},
    [ACD_STRATEGY_LINEAR] = {"linear", acd__pick_ordered, key_order, false, false},
    [ACD_STRATEGY_RANDOM] = {"random", pick_random, key_none, false, false},
    [ACD_STRATEGY_WEIGHTED_RANDOM] = {"weighted-random", pick_weighted, key_none, false, false},
    [ACD_STRATEGY_BEST_SKILL] = {"best-skill", acd__pick_ordered, key_skill, false, false},
};

const struct acd_strategy *acd__strategy(enum acd_strategy_id id)
{
	return &strategies[id];
}

int acd_strategy_find(const char *name, enum acd_strategy_id *out)
{
	for (int i = 0; name && i < ACD_STRATEGY_COUNT; i++) {
		if (strcmp(strategies[i].name, name) == 0) {
			*out = (enum acd_strategy_id)i;
			return 0;
		}
	}
	return ENOENT;
}

const char *acd_strategy_name(enum acd_strategy_id id)
{
	return (unsigned)id < ACD_STRATEGY_COUNT ? strategies[id].name : NULL;
}
