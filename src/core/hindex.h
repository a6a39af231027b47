/*
 * An intrusive hash index with removal, for objects that come and go on the event path
 * (conversations, chats) and are found by id, token or reference: the object holds a
 * struct hindex_node per index it is in, so adding and removing allocate nothing but
 * the heads, which double when the index holds as many nodes as heads (chains stay
 * short). The caller computes the hash (hindex_str, hindex_str2, hindex_u64) and, on
 * lookup, compares its own keys along the chain:
 *
 *	for (n = hindex_first(&x, h); n; n = hindex_next(n, h)) {
 *		struct obj *o = HINDEX_ENTRY(n, struct obj, by_id);
 *		if (!strcmp(o->id, id))
 *			return o;
 *	}
 */
#ifndef CENTRALA_CORE_HINDEX_H
#define CENTRALA_CORE_HINDEX_H

#include <stddef.h>
#include <stdint.h>

struct hindex_node {
	struct hindex_node *next;
	size_t hash;
};

struct hindex {
	struct hindex_node **heads;
	size_t nheads, count;
};

#define HINDEX_ENTRY(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* Adds n under hash. 0, or ENOMEM when the index has no heads yet and none could be
 * made (a failed doubling keeps the heads there are: longer chains, still correct). */
int hindex_add(struct hindex *x, struct hindex_node *n, size_t hash);
/* Removes n, which must be in x. */
void hindex_remove(struct hindex *x, struct hindex_node *n);
/* The first node of hash's chain with that hash, then the next; NULL at the end. */
struct hindex_node *hindex_first(const struct hindex *x, size_t hash);
struct hindex_node *hindex_next(const struct hindex_node *n, size_t hash);
/* Frees the heads (the nodes belong to their objects). */
void hindex_free(struct hindex *x);

size_t hindex_str(const char *s);
/* Of a and b as one key, without building it. */
size_t hindex_str2(const char *a, const char *b);
size_t hindex_u64(uint64_t v);

#endif
