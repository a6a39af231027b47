/*
 * Web chat messages in the store (src/store/chat.c, migration 14) on SQLite (a temporary
 * file per test) and, when CENTRALA_TEST_PG holds a connection URL, on that PostgreSQL
 * server too (schema dropped and recreated per test): messages submitted to the store's
 * writer thread come back as rows in order with their author and text; a message written
 * again (a spool replay) is one row; another tenant sees none of them; a message without
 * its interaction, number or text is refused.
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

static char dir[256], url[600], spool[300];

static int fresh(const char *pg)
{
	snprintf(dir, sizeof(dir), "/tmp/centrala-store-chat.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(spool, sizeof(spool), "%s/store.spool", dir);
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
	int n;
	char text[8][64];
	char author[8][16];
	char agent[8][16];
	int64_t seq[8];
};

static int collect(void *arg, const struct store_chat_message *m)
{
	struct seen *s = arg;

	if (s->n == 8)
		return E2BIG;
	snprintf(s->text[s->n], sizeof(s->text[0]), "%s", m->text);
	snprintf(s->author[s->n], sizeof(s->author[0]), "%s", m->author);
	snprintf(s->agent[s->n], sizeof(s->agent[0]), "%s", m->agent ? m->agent : "-");
	s->seq[s->n++] = m->seq;
	return 0;
}

static void rows_written_by_the_writer(const char *pg)
{
	struct store_opts o = {.spool_path = spool, .batch_max = 100};
	struct store *s;
	struct store_db *db;
	struct seen seen = {0}, other = {0};
	struct store_chat_message m[] = {
	    {"acme", "IX1", 1, 1763892000000LL, "visitor", NULL, "Dzień dobry, lampa", "c1"},
	    {"acme", "IX1", 2, 1763892001000LL, "agent", "alice", "W czym mogę pomóc?", NULL},
	    {"acme", "IX1", 3, 1763892002000LL, "visitor", NULL, "Пришла разбитой", "c2"},
	    {"acme", "IX2", 1, 1763892003000LL, "visitor", NULL, "another chat", NULL},
	};
	struct store_chat_message bad = m[0];

	assert_int_equal(fresh(pg), 0);
	assert_int_equal(store_create(url, &o, &s), 0);
	/* Out of order and once again: the rows are read by number, each once. */
	assert_int_equal(store_chat_message_submit(s, &m[2], NULL, 0), 0);
	assert_int_equal(store_chat_message_submit(s, &m[0], NULL, 0), 0);
	assert_int_equal(store_chat_message_submit(s, &m[1], NULL, 0), 0);
	assert_int_equal(store_chat_message_submit(s, &m[3], NULL, 0), 0);
	assert_int_equal(store_chat_message_submit(s, &m[0], NULL, 0), 0);
	bad.seq = 0;
	assert_int_equal(store_chat_message_submit(s, &bad, NULL, 0), EINVAL);
	bad = m[0];
	bad.text = NULL;
	assert_int_equal(store_chat_message_submit(s, &bad, NULL, 0), EINVAL);
	bad = m[0];
	bad.interaction = "";
	assert_int_equal(store_chat_message_submit(s, &bad, NULL, 0), EINVAL);
	assert_int_equal(store_flush(s, 10000), 0);
	store_destroy(s);

	assert_int_equal(store_db_open(url, &db), 0);
	assert_int_equal(store_db_chat_messages(db, "acme", "IX1", collect, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.seq[0], 1);
	assert_int_equal(seen.seq[2], 3);
	assert_string_equal(seen.text[0], "Dzień dobry, lampa");
	assert_string_equal(seen.author[1], "agent");
	assert_string_equal(seen.agent[1], "alice");
	assert_string_equal(seen.agent[0], "-");
	assert_string_equal(seen.text[2], "Пришла разбитой");
	/* Scoped to the tenant and the interaction. */
	assert_int_equal(store_db_chat_messages(db, "other", "IX1", collect, &other), 0);
	assert_int_equal(other.n, 0);
	assert_int_equal(store_db_chat_messages(db, "acme", "IX2", collect, &other), 0);
	assert_int_equal(other.n, 1);
	assert_int_equal(store_db_chat_messages(db, "acme", "", collect, &other), EINVAL);
	store_db_close(db);
	cleanup();
}

static void test_rows_written_by_the_writer_sqlite(void **state)
{
	(void)state;
	rows_written_by_the_writer(NULL);
}

static void test_on_postgresql(void **state)
{
	const char *pg = getenv("CENTRALA_TEST_PG");

	(void)state;
	if (!pg || !*pg)
		skip();
	rows_written_by_the_writer(pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_written_by_the_writer_sqlite),
	    cmocka_unit_test(test_on_postgresql),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
