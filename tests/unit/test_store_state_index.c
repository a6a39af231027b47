/*
 * The agent state log's write path at scale, on SQLite and, when CENTRALA_TEST_PG holds
 * a connection URL, on that PostgreSQL server (tests/store/run sets it): a span that a
 * crash left open is still ended where the agent's next span starts, and writing a span
 * reads only the agent's open spans, never the agent's history. The second is counted,
 * not timed: rows (PostgreSQL, EXPLAIN ANALYZE) and virtual machine steps (SQLite,
 * sqlite3_stmt_status) of the very statement the store runs before each span, against an
 * agent with HISTORY closed spans. Before migration 7 that statement walked all of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "store/store_int.h"

#include "test_store_fixture.h"

#define HISTORY 4000
#define T0	1700000000000LL /* the first span of the history */
#define STEP	60000LL		/* one span a minute */
#define CRASH	(T0 + HISTORY * STEP)

/* The history: HISTORY closed spans of alice, then the span a crash left open (alice
 * ready since CRASH) and bob's open span, written as one statement for speed. */
static void write_history(struct backend *b)
{
	char sql[1024];

	if (b->pg_url) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO agent_states (tenant, agent, start_ms, state, end_ms) "
			 "SELECT 'acme', 'alice', %lld + g * %lld, 'ready', %lld + g * %lld + "
			 "%lld FROM generate_series(0, %d) AS g; ANALYZE agent_states",
			 T0, STEP, T0, STEP, STEP, HISTORY - 1);
		pg_exec(b->pg_url, sql);
	} else {
		sqlite3 *db;
		char *err = NULL;
		snprintf(sql, sizeof(sql),
			 "WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n "
			 "< %d) INSERT INTO agent_states (tenant, agent, start_ms, state, end_ms) "
			 "SELECT 'acme', 'alice', %lld + n * %lld, 'ready', %lld + n * %lld + %lld "
			 "FROM g; ANALYZE",
			 HISTORY - 1, T0, STEP, T0, STEP, STEP);
		assert_int_equal(sqlite3_open(b->url + strlen("sqlite:"), &db), SQLITE_OK);
		if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
			fail_msg("%s: %s", sql, err);
		sqlite3_close(db);
	}
	struct store_agent_state st = {
	    .tenant = "acme", .agent = "alice", .state = "ready", .start_ms = CRASH};
	assert_int_equal(store_db_agent_state_put(b->db, &st), 0);
	st.agent = "bob";
	st.state = "busy";
	assert_int_equal(store_db_agent_state_put(b->db, &st), 0);
}

/* SQLite: the virtual machine steps and full-scan steps of Q_STATE_CLOSE_EARLIER for
 * alice at `at` (run inside a transaction rolled back), and whether its plan names the
 * index of open spans. */
static void sqlite_cost(struct backend *b, int64_t at, int *vm_steps, int *fullscan,
			bool *open_index)
{
	const char *text = store__sql_text(Q_STATE_CLOSE_EARLIER);
	char sql[1024], plan[1100] = "";
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t i;

	/* The store's own rewriting of $N as ?N (sqlite.c); the statement has no literal. */
	for (i = 0; text[i] && i < sizeof(sql) - 1; i++)
		sql[i] = text[i] == '$' ? '?' : text[i];
	sql[i] = '\0';
	assert_int_equal(sqlite3_open(b->url + strlen("sqlite:"), &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, "acme", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "alice", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, at);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	*vm_steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
	*fullscan = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	snprintf(plan, sizeof(plan), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(db, plan, -1, &st, NULL), SQLITE_OK);
	plan[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t len = strlen(plan);
		snprintf(plan + len, sizeof(plan) - len, "%s\n",
			 (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	*open_index = strstr(plan, "agent_states_open") != NULL;
	if (!*open_index)
		print_message("plan: %s", plan);
}

/* PostgreSQL: the rows Q_STATE_CLOSE_EARLIER read for alice at `at` (every plan node's
 * actual rows times loops, plus rows its filters removed), with the plan PostgreSQL
 * makes for the prepared statement in `mode` (plan_cache_mode: the store prepares its
 * statements once, so after five runs the generic plan may serve). Rolled back. */
static long pg_rows(struct backend *b, int64_t at, const char *mode)
{
	PGconn *c = PQconnectdb(b->pg_url);
	char sql[1200], atv[24];
	const char *params[3] = {"acme", "alice", atv};
	PGresult *r;
	long rows = 0;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect: %s", PQerrorMessage(c));
	snprintf(atv, sizeof(atv), "%lld", (long long)at);
	snprintf(sql, sizeof(sql), "SET plan_cache_mode = %s", mode);
	PQclear(PQexec(c, sql));
	PQclear(PQexec(c, "BEGIN"));
	r = PQprepare(c, "close", store__sql_text(Q_STATE_CLOSE_EARLIER), 3, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("prepare: %s", PQresultErrorMessage(r));
	PQclear(r);
	snprintf(sql, sizeof(sql),
		 "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE close('%s', '%s', "
		 "%s)",
		 params[0], params[1], params[2]);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQresultErrorMessage(r));
	for (int i = 0; i < PQntuples(r); i++) {
		const char *line = PQgetvalue(r, i, 0), *p;
		long n, loops;
		if ((p = strstr(line, "actual rows=")) &&
		    sscanf(p, "actual rows=%ld loops=%ld", &n, &loops) == 2)
			rows += n * loops;
		if ((p = strstr(line, "Rows Removed by ")) && (p = strchr(p, ':')))
			rows += strtol(p + 1, NULL, 10);
		if (getenv("CENTRALA_TEST_LOG"))
			print_message("%s\n", line);
	}
	PQclear(r);
	PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
	return rows;
}

struct span_end {
	int64_t start, end; /* end: -1 open, -2 no such span */
};

static int find_span(const struct store_agent_state *st, void *arg)
{
	struct span_end *f = arg;

	if (st->start_ms != f->start)
		return 0;
	f->end = st->end_ms ? st->end_ms : -1;
	return 1;
}

/* The end of the agent's span that starts at `start`: -1 when open, -2 when none. */
static int64_t end_of(struct backend *b, const char *agent, int64_t start)
{
	struct span_end f = {start, -2};
	int err = store_db_agent_states(b->db, "acme", agent, start, find_span, &f);

	assert_true(err == 0 || err == 1);
	return f.end;
}

static void test_writing_a_span_reads_open_spans_not_history(void **state)
{
	struct backend *b = *state;
	int64_t next = CRASH + 90000;

	write_history(b);
	if (b->pg_url) {
		long custom = pg_rows(b, next, "force_custom_plan");
		long generic = pg_rows(b, next, "force_generic_plan");
		/* alice has one open span among HISTORY + 1: a plan that walked her history
		 * would count thousands. */
		print_message("postgresql: rows read %ld (custom plan), %ld (generic plan)\n",
			      custom, generic);
		assert_true(custom <= 4);
		assert_true(generic <= 4);
	} else {
		int steps, fullscan;
		bool open_index;
		sqlite_cost(b, next, &steps, &fullscan, &open_index);
		print_message("sqlite: %d virtual machine steps, %d full-scan steps\n", steps,
			      fullscan);
		assert_true(open_index);
		assert_int_equal(fullscan, 0);
		assert_true(steps < 200); /* HISTORY spans walked would be over 10 each */
	}
}

static void test_span_left_open_by_a_crash_ends_at_the_next_start(void **state)
{
	struct backend *b = *state;
	struct store_agent_state st = {
	    .tenant = "acme", .agent = "alice", .state = "logged_out", .start_ms = CRASH + 90000};

	write_history(b);
	/* The next run: alice logs in again (her open span from before the crash ends
	 * there); bob has not come back, so his stays open. */
	assert_int_equal(store_db_agent_state_put(b->db, &st), 0);
	assert_int_equal(end_of(b, "alice", CRASH), CRASH + 90000);
	assert_int_equal(end_of(b, "alice", CRASH + 90000), -1);
	assert_int_equal(end_of(b, "bob", CRASH), -1);
	/* Her history is untouched: the last closed span keeps its own end. */
	assert_int_equal(end_of(b, "alice", CRASH - STEP), CRASH);
	assert_int_equal(end_of(b, "alice", T0), T0 + STEP);
	/* The usual pair of a state change: the span that ends, then the one that begins;
	 * the first finds its own row open and closes nothing else. */
	st.end_ms = CRASH + 120000;
	assert_int_equal(store_db_agent_state_put(b->db, &st), 0);
	st.state = "ready";
	st.start_ms = CRASH + 120000;
	st.end_ms = 0;
	assert_int_equal(store_db_agent_state_put(b->db, &st), 0);
	assert_int_equal(end_of(b, "alice", CRASH + 90000), CRASH + 120000);
	assert_int_equal(end_of(b, "alice", CRASH + 120000), -1);
	assert_int_equal(end_of(b, "alice", CRASH), CRASH + 90000);
	assert_int_equal(end_of(b, "bob", CRASH), -1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh_db, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_writing_a_span_reads_open_spans_not_history),
	    T(test_span_left_open_by_a_crash_ends_at_the_next_start),
	};
	int failed;

	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed =
	    cmocka_run_group_tests_name("agent state log on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("agent state log on postgresql", tests,
						      group_pg, NULL);
	else
		printf("agent state log on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
