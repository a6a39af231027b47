/*
 * The ordered index under every ACD decision: an intrusive treap with parent pointers,
 * augmented with subtree sizes and weights, or a sorted doubly linked list for keys
 * that arrive in increasing order (see struct acd__tree). Nodes are embedded in their
 * owners (agent memberships, contacts), so inserting and removing never allocates.
 * Keys are compared as (k1, k2, tie); tie makes every key unique. The minimum is cached
 * so that the head of a queue or the best free agent is read in O(1); for the treap,
 * insert, remove, rank, select and weighted select are O(log n) expected.
 */
#include "acd/acd_int.h"

#include <stddef.h>

int acd__node_cmp(const struct acd__node *a, const struct acd__node *b)
{
	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	if (a->tie != b->tie)
		return a->tie < b->tie ? -1 : 1;
	return 0;
}

static inline uint32_t sz(const struct acd__node *n)
{
	return n ? n->size : 0;
}

static inline uint64_t ws(const struct acd__node *n)
{
	return n ? n->wsum : 0;
}

static inline void update(struct acd__node *n)
{
	n->size = 1 + sz(n->l) + sz(n->r);
	n->wsum = n->weight + ws(n->l) + ws(n->r);
}

static void replace_child(struct acd__tree *t, struct acd__node *parent, struct acd__node *old,
			  struct acd__node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->l == old)
		parent->l = new;
	else
		parent->r = new;
	if (new)
		new->p = parent;
}

/* Rotates x above its parent; the subtree's totals are unchanged, so ancestors need
 * no update. */
static void rotate_up(struct acd__tree *t, struct acd__node *x)
{
	struct acd__node *y = x->p, *g = y->p;

	if (y->l == x) {
		y->l = x->r;
		if (x->r)
			x->r->p = y;
		x->r = y;
	} else {
		y->r = x->l;
		if (x->l)
			x->l->p = y;
		x->l = y;
	}
	y->p = x;
	replace_child(t, g, y, x);
	update(y);
	update(x);
}

static void treap_insert(struct acd__tree *t, struct acd__node *n)
{
	struct acd__node *parent = NULL, *cur = t->root;
	int dir = 0;

	n->l = n->r = NULL;
	n->size = 1;
	n->wsum = n->weight;
	n->pri |= 1; /* never 0: that marks list nodes */
	while (cur) {
		parent = cur;
		cur->size++;
		cur->wsum += n->weight;
		dir = acd__node_cmp(n, cur);
		cur = dir < 0 ? cur->l : cur->r;
	}
	n->p = parent;
	if (!parent)
		t->root = n;
	else if (dir < 0)
		parent->l = n;
	else
		parent->r = n;
	while (n->p && n->p->pri < n->pri)
		rotate_up(t, n);
	if (!t->first || acd__node_cmp(n, t->first) < 0)
		t->first = n;
}

static void treap_remove(struct acd__tree *t, struct acd__node *n)
{
	struct acd__node *child, *up;

	if (t->first == n)
		t->first = acd__tree_next(n);
	while (n->l && n->r)
		rotate_up(t, n->l->pri > n->r->pri ? n->l : n->r);
	child = n->l ? n->l : n->r;
	up = n->p;
	replace_child(t, up, n, child);
	for (; up; up = up->p) {
		up->size--;
		up->wsum -= n->weight;
	}
	n->l = n->r = n->p = NULL;
}

/* List shape: insert from the tail, where new keys nearly always belong. */
static void list_insert(struct acd__tree *t, struct acd__node *n)
{
	struct acd__node *after = t->last;

	n->pri = 0;
	n->p = NULL;
	while (after && acd__node_cmp(after, n) > 0)
		after = after->l;
	n->l = after;
	n->r = after ? after->r : t->first;
	if (n->r)
		n->r->l = n;
	else
		t->last = n;
	if (after)
		after->r = n;
	else
		t->first = n;
	t->count++;
	t->wsum += n->weight;
}

static void list_remove(struct acd__tree *t, struct acd__node *n)
{
	if (n->l)
		n->l->r = n->r;
	else
		t->first = n->r;
	if (n->r)
		n->r->l = n->l;
	else
		t->last = n->l;
	n->l = n->r = NULL;
	t->count--;
	t->wsum -= n->weight;
}

void acd__tree_insert(struct acd__tree *t, struct acd__node *n)
{
	if (t->list)
		list_insert(t, n);
	else
		treap_insert(t, n);
}

void acd__tree_remove(struct acd__tree *t, struct acd__node *n)
{
	if (t->list)
		list_remove(t, n);
	else
		treap_remove(t, n);
}

struct acd__node *acd__tree_next(const struct acd__node *n)
{
	if (!n->pri)
		return n->r;
	if (n->r) {
		n = n->r;
		while (n->l)
			n = n->l;
		return (struct acd__node *)n;
	}
	while (n->p && n->p->r == n)
		n = n->p;
	return n->p;
}

/* Number of nodes of t ordered before `key` (which need not be in t). */
uint32_t acd__tree_count_less(const struct acd__tree *t, const struct acd__node *key)
{
	const struct acd__node *cur = t->root;
	uint32_t r = 0;

	if (t->list) {
		for (cur = t->first; cur && acd__node_cmp(cur, key) < 0; cur = cur->r)
			r++;
		return r;
	}
	while (cur) {
		if (acd__node_cmp(cur, key) < 0) {
			r += sz(cur->l) + 1;
			cur = cur->r;
		} else {
			cur = cur->l;
		}
	}
	return r;
}

struct acd__node *acd__tree_select(const struct acd__tree *t, uint32_t k)
{
	struct acd__node *cur = t->root;

	if (t->list) {
		for (cur = t->first; cur && k; cur = cur->r)
			k--;
		return cur;
	}
	while (cur) {
		uint32_t ls = sz(cur->l);
		if (k < ls) {
			cur = cur->l;
		} else if (k == ls) {
			return cur;
		} else {
			k -= ls + 1;
			cur = cur->r;
		}
	}
	return NULL;
}

struct acd__node *acd__tree_select_weight(const struct acd__tree *t, uint64_t w)
{
	struct acd__node *cur = t->root;

	if (t->list) {
		for (cur = t->first; cur; cur = cur->r) {
			if (w < cur->weight)
				return cur;
			w -= cur->weight;
		}
		return NULL;
	}
	while (cur) {
		uint64_t lw = ws(cur->l);
		if (w < lw) {
			cur = cur->l;
			continue;
		}
		w -= lw;
		if (w < cur->weight)
			return cur;
		w -= cur->weight;
		cur = cur->r;
	}
	return NULL;
}

/* The first node whose k1 is greater than `k1`. */
struct acd__node *acd__tree_first_k1_after(const struct acd__tree *t, uint64_t k1)
{
	struct acd__node *cur = t->root, *best = NULL;

	if (t->list) {
		for (cur = t->first; cur && cur->k1 <= k1; cur = cur->r)
			;
		return cur;
	}
	while (cur) {
		if (cur->k1 > k1) {
			best = cur;
			cur = cur->l;
		} else {
			cur = cur->r;
		}
	}
	return best;
}
