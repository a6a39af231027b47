/*
 * The email channel's record (src/store/email.c, migration 11) on SQLite (a temporary
 * file per test) and, when CENTRALA_TEST_PG holds a connection URL, on that PostgreSQL
 * server too (schema dropped and recreated per test): a message marked once stays
 * handled across a reopened database, the last UID is per folder generation
 * (UIDVALIDITY), and a reply finds its conversation by its most specific known id.
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

#include "store/store.h"

static char dir[256], url[600];

static int fresh(const char *pg)
{
	snprintf(dir, sizeof(dir), "/tmp/centrala-store-email.XXXXXX");
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

static void marks_survive_reopen(const char *pg)
{
	struct store_db *db;
	int fresh_mark = -1, handled = -1;
	int64_t last = -1;

	assert_int_equal(fresh(pg), 0);
	assert_int_equal(store_db_open(url, &db), 0);
	assert_int_equal(store_db_email_last_uid(db, "acme", "support", 7, &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(
	    store_db_email_mark(db, "acme", "support", 7, 41, "m1@x", "ix1", "queued", &fresh_mark),
	    0);
	assert_int_equal(fresh_mark, 1);
	assert_int_equal(
	    store_db_email_mark(db, "acme", "support", 7, 42, NULL, NULL, "refused", &fresh_mark),
	    0);
	assert_int_equal(
	    store_db_email_mark(db, "acme", "support", 7, 41, "m1@x", "ix9", "joined", &fresh_mark),
	    0);
	assert_int_equal(fresh_mark, 0);
	store_db_close(db);

	assert_int_equal(store_db_open(url, &db), 0);
	assert_int_equal(store_db_email_seen(db, "acme", "support", 7, 41, &handled), 0);
	assert_int_equal(handled, 1);
	assert_int_equal(store_db_email_seen(db, "acme", "support", 7, 43, &handled), 0);
	assert_int_equal(handled, 0);
	/* Another tenant, queue or folder generation knows nothing of it. */
	assert_int_equal(store_db_email_seen(db, "other", "support", 7, 41, &handled), 0);
	assert_int_equal(handled, 0);
	assert_int_equal(store_db_email_seen(db, "acme", "sales", 7, 41, &handled), 0);
	assert_int_equal(handled, 0);
	assert_int_equal(store_db_email_last_uid(db, "acme", "support", 7, &last), 0);
	assert_int_equal(last, 42);
	assert_int_equal(store_db_email_last_uid(db, "acme", "support", 8, &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(store_db_email_mark(db, "acme", "", 7, 1, NULL, NULL, "queued", NULL),
			 EINVAL);
	store_db_close(db);
	cleanup();
}

static void threads_found_by_most_specific_id(const char *pg)
{
	struct store_db *db;
	char ix[64], small[3];
	const char *none[] = {"nothing@x", ""};
	const char *reply[] = {"unknown@x", "ack-1@acme", "m1@x"};

	assert_int_equal(fresh(pg), 0);
	assert_int_equal(store_db_open(url, &db), 0);
	assert_int_equal(store_db_email_thread_put(db, "acme", "m1@x", "ix1"), 0);
	assert_int_equal(store_db_email_thread_put(db, "acme", "ack-1@acme", "ix1"), 0);
	assert_int_equal(store_db_email_thread_put(db, "acme", "m2@x", "ix2"), 0);
	/* An id filed twice keeps its first conversation. */
	assert_int_equal(store_db_email_thread_put(db, "acme", "m1@x", "ix2"), 0);
	assert_int_equal(store_db_email_thread_find(db, "acme", reply, 3, ix, sizeof(ix)), 0);
	assert_string_equal(ix, "ix1");
	assert_int_equal(store_db_email_thread_find(db, "acme", reply + 2, 1, ix, sizeof(ix)), 0);
	assert_string_equal(ix, "ix1");
	assert_int_equal(store_db_email_thread_find(db, "acme", none, 2, ix, sizeof(ix)), ENOENT);
	assert_int_equal(store_db_email_thread_find(db, "other", reply, 3, ix, sizeof(ix)), ENOENT);
	assert_int_equal(store_db_email_thread_find(db, "acme", reply, 3, small, sizeof(small)),
			 ENAMETOOLONG);
	assert_int_equal(store_db_email_thread_put(db, "acme", "", "ix1"), EINVAL);
	store_db_close(db);
	cleanup();
}

static void test_marks_survive_reopen_sqlite(void **state)
{
	(void)state;
	marks_survive_reopen(NULL);
}

static void test_threads_found_by_most_specific_id_sqlite(void **state)
{
	(void)state;
	threads_found_by_most_specific_id(NULL);
}

static void test_on_postgresql(void **state)
{
	const char *pg = getenv("CENTRALA_TEST_PG");

	(void)state;
	if (!pg || !*pg)
		skip();
	marks_survive_reopen(pg);
	threads_found_by_most_specific_id(pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_marks_survive_reopen_sqlite),
	    cmocka_unit_test(test_threads_found_by_most_specific_id_sqlite),
	    cmocka_unit_test(test_on_postgresql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
