/* Chained intrusive hash index; see hindex.h. */
#include "core/hindex.h"

#include <errno.h>
#include <stdlib.h>

#define HINDEX_MIN 256

static size_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)h;
}

size_t hindex_str(const char *s)
{
	return fnv1a(1469598103934665603ull, s);
}

size_t hindex_str2(const char *a, const char *b)
{
	/* The separator keeps ("ab", "c") and ("a", "bc") apart. */
	return fnv1a((fnv1a(1469598103934665603ull, a) ^ 0x1f) * 1099511628211ull, b);
}

size_t hindex_u64(uint64_t v)
{
	v *= 11400714819323198485ull;
	return (size_t)(v ^ v >> 29);
}

static void link_node(struct hindex *x, struct hindex_node *n)
{
	struct hindex_node **head = &x->heads[n->hash & (x->nheads - 1)];

	n->next = *head;
	*head = n;
}

/* Doubles the heads, moving every node; on ENOMEM nothing changes. */
static int grow(struct hindex *x)
{
	size_t old = x->nheads, want = old ? old * 2 : HINDEX_MIN;
	struct hindex_node **heads = calloc(want, sizeof(*heads)), **was = x->heads;

	if (!heads)
		return ENOMEM;
	x->heads = heads;
	x->nheads = want;
	for (size_t i = 0; i < old; i++)
		for (struct hindex_node *n = was[i], *next; n; n = next) {
			next = n->next;
			link_node(x, n);
		}
	free(was);
	return 0;
}

int hindex_add(struct hindex *x, struct hindex_node *n, size_t hash)
{
	if (x->count >= x->nheads && grow(x) && !x->nheads)
		return ENOMEM;
	n->hash = hash;
	link_node(x, n);
	x->count++;
	return 0;
}

void hindex_remove(struct hindex *x, struct hindex_node *n)
{
	if (!x->nheads)
		return;
	for (struct hindex_node **p = &x->heads[n->hash & (x->nheads - 1)]; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			n->next = NULL;
			x->count--;
			return;
		}
}

struct hindex_node *hindex_first(const struct hindex *x, size_t hash)
{
	struct hindex_node *n = x->nheads ? x->heads[hash & (x->nheads - 1)] : NULL;

	while (n && n->hash != hash)
		n = n->next;
	return n;
}

struct hindex_node *hindex_next(const struct hindex_node *n, size_t hash)
{
	for (n = n->next; n && n->hash != hash; n = n->next)
		;
	return (struct hindex_node *)n;
}

void hindex_free(struct hindex *x)
{
	free(x->heads);
	x->heads = NULL;
	x->nheads = x->count = 0;
}
