/* The intrusive hash index the engine keeps its conversations and chats in: every
 * object found by its key while others come and go, through the doublings, with
 * colliding hashes, and removal from the middle of a chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/hindex.h"

struct obj {
	char id[16];
	uint64_t ref;
	int live;
	struct hindex_node by_id, by_ref;
};

static struct obj *find_id(const struct hindex *x, const char *id)
{
	size_t h = hindex_str(id);

	for (struct hindex_node *n = hindex_first(x, h); n; n = hindex_next(n, h)) {
		struct obj *o = HINDEX_ENTRY(n, struct obj, by_id);
		if (!strcmp(o->id, id))
			return o;
	}
	return NULL;
}

static struct obj *find_ref(const struct hindex *x, uint64_t ref)
{
	size_t h = hindex_u64(ref);

	for (struct hindex_node *n = hindex_first(x, h); n; n = hindex_next(n, h)) {
		struct obj *o = HINDEX_ENTRY(n, struct obj, by_ref);
		if (o->ref == ref)
			return o;
	}
	return NULL;
}

/* 20,000 objects added, every third removed, then added again: each live one is found
 * by both keys, no removed one is, and the counts follow. */
static void test_objects_come_and_go(void **state)
{
	enum { N = 20000 };
	struct obj *o = calloc(N, sizeof(*o));
	struct hindex by_id = {0}, by_ref = {0};
	size_t live = 0;

	(void)state;
	assert_non_null(o);
	assert_null(find_id(&by_id, "nothing"));
	for (int i = 0; i < N; i++) {
		snprintf(o[i].id, sizeof(o[i].id), "ix%d", i);
		o[i].ref = (uint64_t)i * 4096 + 1; /* refs alike in their low bits */
		assert_int_equal(hindex_add(&by_id, &o[i].by_id, hindex_str(o[i].id)), 0);
		assert_int_equal(hindex_add(&by_ref, &o[i].by_ref, hindex_u64(o[i].ref)), 0);
		o[i].live = 1;
	}
	assert_true(by_id.nheads >= N);
	for (int i = 0; i < N; i += 3) {
		hindex_remove(&by_id, &o[i].by_id);
		hindex_remove(&by_ref, &o[i].by_ref);
		o[i].live = 0;
	}
	for (int i = 0; i < N; i++) {
		live += (size_t)o[i].live;
		assert_ptr_equal(find_id(&by_id, o[i].id), o[i].live ? &o[i] : NULL);
		assert_ptr_equal(find_ref(&by_ref, o[i].ref), o[i].live ? &o[i] : NULL);
	}
	assert_int_equal(by_id.count, live);
	assert_int_equal(by_ref.count, live);
	for (int i = 0; i < N; i += 3) {
		assert_int_equal(hindex_add(&by_id, &o[i].by_id, hindex_str(o[i].id)), 0);
		assert_ptr_equal(find_id(&by_id, o[i].id), &o[i]);
	}
	assert_int_equal(by_id.count, live + (N + 2) / 3);
	hindex_free(&by_id);
	hindex_free(&by_ref);
	assert_null(find_id(&by_id, "ix1"));
	free(o);
}

/* Objects whose hashes are equal share a chain: each is still found by its own key,
 * and removing one from the middle leaves the others. */
static void test_colliding_hashes(void **state)
{
	struct obj o[5];
	struct hindex x = {0};

	(void)state;
	memset(o, 0, sizeof(o));
	for (int i = 0; i < 5; i++) {
		snprintf(o[i].id, sizeof(o[i].id), "same%d", i);
		assert_int_equal(hindex_add(&x, &o[i].by_id, 42), 0);
	}
	hindex_remove(&x, &o[2].by_id);
	for (int i = 0, seen = 0; i < 5; i++, seen = 0) {
		for (struct hindex_node *n = hindex_first(&x, 42); n; n = hindex_next(n, 42))
			seen += HINDEX_ENTRY(n, struct obj, by_id) == &o[i];
		assert_int_equal(seen, i == 2 ? 0 : 1);
	}
	assert_int_equal(x.count, 4);
	hindex_free(&x);
}

/* Two-part keys: ("ab", "c") and ("a", "bc") differ. */
static void test_two_part_keys(void **state)
{
	(void)state;
	assert_int_not_equal(hindex_str2("ab", "c"), hindex_str2("a", "bc"));
	assert_int_equal(hindex_str2("acme", "M1"), hindex_str2("acme", "M1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_objects_come_and_go),
	    cmocka_unit_test(test_colliding_hashes),
	    cmocka_unit_test(test_two_part_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
