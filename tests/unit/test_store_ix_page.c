/*
 * Keyset pages of the API's interaction search (store_db_interactions_search with
 * after_ms and after_id): newest first, ties in creation time ordered by id, each page
 * starting right after the last row of the one before, so that following the pages
 * yields every interaction exactly once, also with a filter and with rows of the same
 * millisecond across a page boundary; on SQLite and, when CENTRALA_TEST_PG holds a
 * connection URL, again on that PostgreSQL server (tests/store/run sets it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "crm/crm.h"
#include "store/store.h"

#include "test_store_fixture.h"

#define T0 1764892800000LL /* 2025-12-05 00:00 UTC */

static void put_ix(struct backend *b, const char *tenant, const char *id, const char *queue,
		   int64_t t)
{
	struct crm_interaction ix;

	memset(&ix, 0, sizeof(ix));
	ix.tenant = tenant;
	ix.id = id;
	ix.queue = queue;
	ix.from = "+48601234567";
	ix.to = "200";
	ix.created_ms = t;
	ix.ended_ms = t + 1000;
	assert_int_equal(store_db_interaction_put(b->db, &ix), 0);
}

struct page {
	char ids[256];
	char last_id[32];
	int64_t last_ms;
	size_t n;
};

static int row(const struct crm_interaction *ix, void *arg)
{
	struct page *p = arg;

	strncat(p->ids, ix->id, sizeof(p->ids) - 1 - strlen(p->ids));
	strncat(p->ids, " ", sizeof(p->ids) - 1 - strlen(p->ids));
	snprintf(p->last_id, sizeof(p->last_id), "%s", ix->id);
	p->last_ms = ix->created_ms;
	p->n++;
	return 0;
}

/* Follows pages of `limit` in `tenant` (queue NULL: any) to the end; returns every id
 * in the order met, a space after each, and the number of pages in *npages. */
static const char *follow(struct backend *b, const char *tenant, const char *queue, size_t limit,
			  int *npages)
{
	static char all[512];
	struct store_ix_search q;
	struct page p;
	int64_t after_ms = 0;
	char after_id[32] = "";

	all[0] = '\0';
	*npages = 0;
	for (;;) {
		memset(&q, 0, sizeof(q));
		memset(&p, 0, sizeof(p));
		q.abandoned = -1;
		q.f.queue = queue;
		q.f.limit = limit;
		q.after_ms = after_ms;
		q.after_id = after_id[0] ? after_id : NULL;
		assert_int_equal(store_db_interactions_search(b->db, tenant, &q, row, &p), 0);
		assert_true(p.n <= limit);
		if (!p.n)
			break;
		(*npages)++;
		strncat(all, p.ids, sizeof(all) - 1 - strlen(all));
		if (p.n < limit)
			break;
		after_ms = p.last_ms;
		snprintf(after_id, sizeof(after_id), "%s", p.last_id);
		assert_true(*npages < 20);
	}
	return all;
}

static void add_rows(struct backend *b)
{
	/* Three in one millisecond (ids out of insertion order), the rest apart; one of
	 * another tenant in the middle, one of another queue. */
	put_ix(b, "acme", "i01", "support", T0);
	put_ix(b, "acme", "i03", "support", T0 + 1000);
	put_ix(b, "acme", "i05", "support", T0 + 2000);
	put_ix(b, "acme", "i02", "support", T0 + 2000);
	put_ix(b, "acme", "i04", "sales", T0 + 2000);
	put_ix(b, "beta", "i99", "support", T0 + 2500);
	put_ix(b, "acme", "i06", "support", T0 + 3000);
	put_ix(b, "acme", "i07", "support", T0 + 4000);
}

static void test_pages_follow_without_duplicate_or_gap(void **state)
{
	struct backend *b = *state;
	int pages;

	add_rows(b);
	/* Newest first; within T0 + 2000 the ids descending. Page boundaries fall inside
	 * the millisecond shared by three rows with limits 2 and 3 and 4. */
	assert_string_equal(follow(b, "acme", NULL, 100, &pages), "i07 i06 i05 i04 i02 i03 i01 ");
	assert_int_equal(pages, 1);
	for (size_t limit = 1; limit <= 7; limit++) {
		assert_string_equal(follow(b, "acme", NULL, limit, &pages),
				    "i07 i06 i05 i04 i02 i03 i01 ");
		assert_int_equal(pages, (int)((7 + limit - 1) / limit));
	}
	assert_string_equal(follow(b, "beta", NULL, 1, &pages), "i99 ");
}

static void test_pages_with_a_filter(void **state)
{
	struct backend *b = *state;
	int pages;

	add_rows(b);
	assert_string_equal(follow(b, "acme", "support", 2, &pages), "i07 i06 i05 i02 i03 i01 ");
	assert_int_equal(pages, 3);
	assert_string_equal(follow(b, "acme", "sales", 2, &pages), "i04 ");
}

static void test_a_row_added_meanwhile_does_not_shift_the_pages(void **state)
{
	struct backend *b = *state;
	struct store_ix_search q;
	struct page p;

	add_rows(b);
	memset(&q, 0, sizeof(q));
	memset(&p, 0, sizeof(p));
	q.abandoned = -1;
	q.f.limit = 3;
	assert_int_equal(store_db_interactions_search(b->db, "acme", &q, row, &p), 0);
	assert_string_equal(p.ids, "i07 i06 i05 ");
	/* A newer call is written before the next page is asked for: the next page goes on
	 * after i05 all the same (an offset would have shown i05 again). */
	put_ix(b, "acme", "i08", "support", T0 + 5000);
	q.after_ms = p.last_ms;
	q.after_id = "i05";
	memset(&p, 0, sizeof(p));
	assert_int_equal(store_db_interactions_search(b->db, "acme", &q, row, &p), 0);
	assert_string_equal(p.ids, "i04 i02 i03 ");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh_db, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_pages_follow_without_duplicate_or_gap),
	    T(test_pages_with_a_filter),
	    T(test_a_row_added_meanwhile_does_not_shift_the_pages),
	};
	int failed;

	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed =
	    cmocka_run_group_tests_name("interaction pages on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("interaction pages on postgresql", tests,
						      group_pg, NULL);
	else
		printf("interaction pages on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
