/*
 * The spool file (src/store/spool.c) under transient failure: an allocation that fails
 * while the spool is opened or read back must never be taken for corruption. Records
 * that were appended (and so reported as spooled) stay in the file and come back once
 * memory is there again. Allocation failure is injected by wrapping malloc and calloc
 * at link time (CMakeLists.txt: -Wl,--wrap for this test only): while `fail_from` is
 * set, every request of that many bytes or more fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store_int.h"

static size_t fail_from; /* 0: allocations succeed */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);

void *__wrap_malloc(size_t size)
{
	return fail_from && size >= fail_from ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_from && n * size >= fail_from ? NULL : __real_calloc(n, size);
}

enum { NREC = 3, REC_LEN = 200000 };

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/centrala-spool-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.spool", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	fail_from = 0;
	unlink(path);
	snprintf(p, sizeof(p), "%s.pos", path);
	unlink(p);
	rmdir(dir);
	return 0;
}

/* NREC large records, record i filled with the byte 'a' + i. */
static void spool_fill(void)
{
	struct store__spool *sp = NULL;
	struct store__rec *head = NULL, **tail = &head;
	uint64_t first;
	size_t n = 0;

	assert_int_equal(store__spool_open(path, 64u << 20, &sp), 0);
	for (int i = 0; i < NREC; i++) {
		struct store__rec *r = calloc(1, sizeof(*r) + REC_LEN);
		assert_non_null(r);
		r->len = REC_LEN;
		memset(r->data, 'a' + i, REC_LEN);
		*tail = r;
		tail = &r->next;
	}
	assert_int_equal(store__spool_append(sp, head, &n, &first), 0);
	assert_int_equal(n, NREC);
	store__rec_list_free(head);
	store__spool_close(sp);
}

/* Every record is there and intact. */
static void spool_expect_all(struct store__spool *sp)
{
	struct store__rec *list = NULL;
	uint64_t first;
	size_t n = 0, i = 0;

	assert_int_equal(store__spool_backlog(sp), NREC);
	assert_int_equal(store__spool_peek(sp, 100, &list, &n, &first), 0);
	assert_int_equal(n, NREC);
	for (struct store__rec *r = list; r; r = r->next, i++) {
		assert_int_equal(r->len, REC_LEN);
		assert_int_equal(r->data[0], 'a' + (int)i);
		assert_int_equal(r->data[REC_LEN - 1], 'a' + (int)i);
	}
	store__rec_list_free(list);
}

static void test_open_without_memory_keeps_records(void **state)
{
	struct store__spool *sp = NULL;
	int err;

	spool_fill();
	fail_from = REC_LEN / 2;
	err = store__spool_open(path, 64u << 20, &sp);
	fail_from = 0;
	if (!err) {
		/* Opening needs no memory per record: then nothing may be missing. */
		spool_expect_all(sp);
		store__spool_close(sp);
	}
	assert_int_equal(store__spool_open(path, 64u << 20, &sp), 0);
	spool_expect_all(sp);
	store__spool_close(sp);
}

static void test_peek_without_memory_skips_nothing(void **state)
{
	struct store__spool *sp = NULL;
	struct store__rec *list = NULL;
	uint64_t first;
	size_t n = 99;
	int err;

	spool_fill();
	assert_int_equal(store__spool_open(path, 64u << 20, &sp), 0);
	fail_from = REC_LEN / 2;
	err = store__spool_peek(sp, 100, &list, &n, &first);
	fail_from = 0;
	assert_int_equal(err, ENOMEM);
	/* Nothing was handed out, so nothing can be consumed by mistake. */
	assert_int_not_equal(store__spool_consume(sp, NREC), 0);
	spool_expect_all(sp);
	store__spool_close(sp);
	/* And the file still holds them all for the next start. */
	assert_int_equal(store__spool_open(path, 64u << 20, &sp), 0);
	spool_expect_all(sp);
	store__spool_close(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_without_memory_keeps_records, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_peek_without_memory_skips_nothing, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
