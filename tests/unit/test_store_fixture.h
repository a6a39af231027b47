/*
 * Shared fixture of the store unit tests: one back end per cmocka group (SQLite, and
 * PostgreSQL when CENTRALA_TEST_PG holds a connection URL; tests/store/run sets it), a
 * fresh database per test. Included by tests/unit/test_store*.c (one executable each),
 * after cmocka.h.
 */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"

struct backend {
	const char *pg_url; /* NULL: SQLite */
	char dir[256];	    /* the test's scratch directory */
	char url[600];
	char spool[300];     /* DIR/store.spool */
	struct store_db *db; /* open from fresh_db() to cleanup() */
};

static struct backend sqlite_backend, pg_backend;

static inline int group_sqlite(void **state)
{
	*state = &sqlite_backend;
	return 0;
}

static inline int group_pg(void **state)
{
	pg_backend.pg_url = getenv("CENTRALA_TEST_PG");
	*state = &pg_backend;
	return 0;
}

static inline void pg_exec(const char *url, const char *sql)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to %s: %s", url, PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* A new scratch directory and an empty database (PostgreSQL: its public schema dropped
 * and made again), not opened. */
static inline int fresh(void **state)
{
	struct backend *b = *state;

	snprintf(b->dir, sizeof(b->dir), "/tmp/centrala-store-test.XXXXXX");
	if (!mkdtemp(b->dir))
		return -1;
	snprintf(b->spool, sizeof(b->spool), "%s/store.spool", b->dir);
	if (b->pg_url) {
		pg_exec(b->pg_url, "SET client_min_messages = warning; DROP SCHEMA public CASCADE; "
				   "CREATE SCHEMA public");
		snprintf(b->url, sizeof(b->url), "%s", b->pg_url);
	} else {
		snprintf(b->url, sizeof(b->url), "sqlite:%s/centrala.db", b->dir);
	}
	return 0;
}

/* The same, opened as b->db. */
static inline int fresh_db(void **state)
{
	struct backend *b = *state;

	if (fresh(state))
		return -1;
	return store_db_open(b->url, &b->db) ? -1 : 0;
}

static inline int cleanup(void **state)
{
	struct backend *b = *state;
	char cmd[1200];

	store_db_close(b->db);
	b->db = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
