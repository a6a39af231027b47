/*
 * Web callbacks in the store (src/store/webcb.c, migration 12) on SQLite (a temporary
 * file per test) and, when CENTRALA_TEST_PG holds a connection URL, on that PostgreSQL
 * server too (schema dropped and recreated per test): a request stored is pending
 * across a reopened database, earliest first, until an interaction with its id is
 * written; one due before the cut-off is left out; a second put of the same id changes
 * nothing; another tenant's requests are never seen.
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

#include "crm/crm.h"
#include "store/store.h"

static char dir[256], url[600];

static int fresh(const char *pg)
{
	snprintf(dir, sizeof(dir), "/tmp/centrala-store-webcb.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (pg) {
		PGconn *c = PQconnectdb(pg);

		PQclear(PQexec(c, "SET client_min_messages = warning; DROP SCHEMA public CASCADE; "
				  "CREATE SCHEMA public"));
		PQfinish(c);
		snprintf(url, sizeof(url), "%s", pg);
	} else {
		snprintf(url, sizeof(url), "sqlite:%s/centrala.db", dir);
	}
	return 0;
}

static void cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

struct seen {
	char ids[8][40];
	char bodies[8][200];
	int n;
};

static int collect(void *arg, const char *id, const char *body)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", id);
	snprintf(s->bodies[s->n], sizeof(s->bodies[0]), "%s", body);
	s->n++;
	return 0;
}

static void pending_until_written(const char *pg)
{
	struct store_db *db;
	struct seen s;
	struct crm_interaction ix = {.tenant = "acme",
				     .id = "01WEBCB0000000000000000002",
				     .channel = CRM_CHANNEL_CALLBACK,
				     .direction = CRM_DIR_OUTBOUND,
				     .from = "+48221234567",
				     .created_ms = 5000,
				     .ended_ms = 6000};

	assert_int_equal(fresh(pg), 0);
	assert_int_equal(store_db_open(url, &db), 0);
	/* Stored out of order; one before the cut-off; one of another tenant. */
	assert_int_equal(store_db_web_callback_put(db, "acme", "01WEBCB0000000000000000003",
						   "support", "{\"number\":\"+48227654321\"}",
						   30000),
			 0);
	assert_int_equal(store_db_web_callback_put(db, "acme", "01WEBCB0000000000000000002",
						   "support", "{\"number\":\"+48221234567\"}",
						   20000),
			 0);
	assert_int_equal(store_db_web_callback_put(db, "acme", "01WEBCB0000000000000000001",
						   "sales", "{\"number\":\"+48220000000\"}", 500),
			 0);
	assert_int_equal(store_db_web_callback_put(db, "beta", "01WEBCB0000000000000000009",
						   "support", "{\"number\":\"+48229999999\"}",
						   25000),
			 0);
	/* The same id again: the first stays. */
	assert_int_equal(store_db_web_callback_put(db, "acme", "01WEBCB0000000000000000003",
						   "support", "{\"number\":\"changed\"}", 40000),
			 0);
	assert_int_equal(store_db_web_callback_put(db, NULL, "x", "support", "{}", 1), EINVAL);
	store_db_close(db);

	assert_int_equal(store_db_open(url, &db), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_db_web_callbacks_pending(db, "acme", 1000, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], "01WEBCB0000000000000000002");
	assert_string_equal(s.bodies[0], "{\"number\":\"+48221234567\"}");
	assert_string_equal(s.ids[1], "01WEBCB0000000000000000003");
	assert_string_equal(s.bodies[1], "{\"number\":\"+48227654321\"}");

	/* Its interaction written: no longer pending. */
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_db_web_callbacks_pending(db, "acme", 1000, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ids[0], "01WEBCB0000000000000000003");

	memset(&s, 0, sizeof(s));
	assert_int_equal(store_db_web_callbacks_pending(db, "beta", 0, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ids[0], "01WEBCB0000000000000000009");
	assert_int_equal(store_db_web_callbacks_pending(db, NULL, 0, collect, &s), EINVAL);
	store_db_close(db);
	cleanup();
}

static void test_pending_until_written_sqlite(void **state)
{
	(void)state;
	pending_until_written(NULL);
}

static void test_on_postgresql(void **state)
{
	const char *pg = getenv("CENTRALA_TEST_PG");

	(void)state;
	if (!pg || !*pg)
		skip();
	pending_until_written(pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pending_until_written_sqlite),
	    cmocka_unit_test(test_on_postgresql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
