/*
 * Merging duplicate contacts in the store (store_db_contact_merge): the kept contact
 * gains the duplicate's numbers, addresses, tags and missing fields, the duplicate's
 * interactions become the kept one's, the duplicate and its index entries are gone, and
 * nothing changes when the merge is refused; on SQLite and, when CENTRALA_TEST_PG holds
 * a connection URL, again on that PostgreSQL server (tests/store/run sets it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "crm/crm.h"
#include "store/store.h"

#include "test_store_fixture.h"

#define T0 1764892800000LL /* 2025-12-05 00:00 UTC */

static void put_contact(struct backend *b, const char *tenant, const char *id, const char *first,
			const char *last, const char *phone, const char *email, const char *tag,
			const char *custom, bool vip)
{
	struct crm_contact *c;

	assert_int_equal(crm_contact_new(id, &c), 0);
	assert_int_equal(crm_str_set(&c->first_name, first), 0);
	assert_int_equal(crm_str_set(&c->last_name, last), 0);
	if (phone)
		assert_int_equal(crm_contact_add_phone(c, phone, "PL"), 0);
	if (email)
		assert_int_equal(crm_contact_add_email(c, email), 0);
	if (tag)
		assert_int_equal(crm_contact_add_tag(c, tag), 0);
	if (custom)
		assert_int_equal(crm_contact_set_custom(c, custom), 0);
	c->vip = vip;
	c->created_ms = c->updated_ms = T0;
	assert_int_equal(store_db_contact_put(b->db, tenant, c), 0);
	crm_contact_free(c);
}

static void put_ix(struct backend *b, const char *tenant, const char *id, const char *contact,
		   int64_t t)
{
	struct crm_interaction ix;

	memset(&ix, 0, sizeof(ix));
	ix.tenant = tenant;
	ix.id = id;
	ix.contact = contact;
	ix.from = "+48601234567";
	ix.to = "200";
	ix.created_ms = t;
	ix.ended_ms = t + 1000;
	assert_int_equal(store_db_interaction_put(b->db, &ix), 0);
}

/* Appends each interaction's id and a space to the char[256] at arg. */
static int ix_ids(const struct crm_interaction *ix, void *arg)
{
	strncat(arg, ix->id, 255 - strlen(arg));
	strncat(arg, " ", 255 - strlen(arg));
	return 0;
}

static const char *history(struct backend *b, const char *tenant, const char *contact)
{
	static char out[256];
	struct store_ix_search q;

	memset(&q, 0, sizeof(q));
	memset(out, 0, sizeof(out));
	q.contact = contact;
	q.abandoned = -1;
	assert_int_equal(store_db_interactions_search(b->db, tenant, &q, ix_ids, out), 0);
	return out;
}

static void test_merge_moves_interactions_and_removes_the_duplicate(void **state)
{
	struct backend *b = *state;
	struct crm_contact *m = NULL, *c = NULL;
	int64_t moved = -1;

	put_contact(b, "acme", "keep", "Łukasz", "Żółkiewski", "601 234 561", NULL, "gold",
		    "{\"account\":\"A-1\"}", false);
	put_contact(b, "acme", "dup", "Lukasz", NULL, "+48 22 123 45 67", "lz@Example.PL", "new",
		    "{\"account\":\"B-2\",\"crm\":\"x\"}", true);
	put_ix(b, "acme", "i1", "keep", T0);
	put_ix(b, "acme", "i2", "dup", T0 + 1000);
	put_ix(b, "acme", "i3", "dup", T0 + 2000);

	assert_int_equal(store_db_contact_merge(b->db, "acme", "keep", "dup", &m, &moved), 0);
	assert_int_equal(moved, 2);
	assert_string_equal(m->id, "keep");
	assert_string_equal(m->first_name, "Łukasz"); /* keep's own names stay */
	assert_int_equal(m->nphones, 2);
	assert_string_equal(m->phones[0], "+48601234561");
	assert_string_equal(m->phones[1], "+48221234567");
	assert_int_equal(m->nemails, 1);
	assert_string_equal(m->emails[0], "lz@example.pl");
	assert_int_equal(m->ntags, 2);
	assert_string_equal(m->custom_json, "{\"account\":\"A-1\",\"crm\":\"x\"}");
	assert_true(m->vip);
	crm_contact_free(m);

	/* The duplicate is gone, with its phone and search keys; its calls are keep's. */
	assert_int_equal(store_db_contact_get(b->db, "acme", "dup", &c), ENOENT);
	assert_int_equal(store_db_contact_find_phone(b->db, "acme", "+48221234567", &c), 0);
	assert_string_equal(c->id, "keep");
	crm_contact_free(c);
	assert_string_equal(history(b, "acme", "keep"), "i3 i2 i1 ");
	assert_string_equal(history(b, "acme", "dup"), "");
	assert_int_equal(store_db_contact_get(b->db, "acme", "keep", &c), 0);
	assert_int_equal(c->nemails, 1);
	crm_contact_free(c);
}

static void test_merge_fills_missing_fields_only(void **state)
{
	struct backend *b = *state;
	struct crm_contact *m = NULL;

	put_contact(b, "acme", "keep", NULL, NULL, "601 234 561", NULL, NULL, NULL, false);
	put_contact(b, "acme", "dup", "Ana", "García", "601 234 561", NULL, NULL, NULL, false);
	assert_int_equal(store_db_contact_merge(b->db, "acme", "keep", "dup", &m, NULL), 0);
	assert_string_equal(m->first_name, "Ana");
	assert_string_equal(m->last_name, "García");
	assert_int_equal(m->nphones, 1); /* the shared number once */
	assert_null(m->custom_json);
	crm_contact_free(m);
}

static void test_merge_refused_changes_nothing(void **state)
{
	struct backend *b = *state;
	struct crm_contact *c = NULL, *m = NULL;
	char phone[32];

	put_contact(b, "acme", "keep", "A", NULL, "601 234 561", NULL, NULL, NULL, false);
	put_contact(b, "other", "dup", "B", NULL, "601 234 562", NULL, NULL, NULL, false);
	put_ix(b, "other", "i1", "dup", T0);
	/* Same id, a missing one, and another tenant's contact. */
	assert_int_equal(store_db_contact_merge(b->db, "acme", "keep", "keep", &m, NULL), EINVAL);
	assert_int_equal(store_db_contact_merge(b->db, "acme", "keep", "", &m, NULL), EINVAL);
	assert_int_equal(store_db_contact_merge(b->db, "acme", "keep", "nope", &m, NULL), ENOENT);
	assert_int_equal(store_db_contact_merge(b->db, "acme", "keep", "dup", &m, NULL), ENOENT);
	assert_int_equal(store_db_contact_get(b->db, "other", "dup", &c), 0);
	crm_contact_free(c);
	assert_string_equal(history(b, "other", "dup"), "i1 ");

	/* Too many numbers between them: refused whole. */
	assert_int_equal(crm_contact_new("full", &c), 0);
	for (int i = 0; i < CRM_CONTACT_LIST_MAX; i++) {
		snprintf(phone, sizeof(phone), "+4860100%04d", i);
		assert_int_equal(crm_contact_add_phone(c, phone, NULL), 0);
	}
	assert_int_equal(store_db_contact_put(b->db, "acme", c), 0);
	crm_contact_free(c);
	assert_int_equal(store_db_contact_merge(b->db, "acme", "full", "keep", &m, NULL), E2BIG);
	assert_int_equal(store_db_contact_get(b->db, "acme", "keep", &c), 0);
	crm_contact_free(c);
	assert_int_equal(store_db_contact_get(b->db, "acme", "full", &c), 0);
	assert_int_equal(c->nphones, CRM_CONTACT_LIST_MAX);
	crm_contact_free(c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh_db, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_merge_moves_interactions_and_removes_the_duplicate),
	    T(test_merge_fills_missing_fields_only),
	    T(test_merge_refused_changes_nothing),
	};
	int failed;

	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed = cmocka_run_group_tests_name("contact merge on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("contact merge on postgresql", tests,
						      group_pg, NULL);
	else
		printf("contact merge on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
