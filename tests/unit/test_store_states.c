/*
 * The agent state log read over a range (store_db_agent_states with a start time): the
 * span in progress at the start comes first, so that a report over the range counts
 * the time an agent spent in a state that began before it; a span that ended before the
 * start does not. On SQLite and, when CENTRALA_TEST_PG holds a connection URL, again on
 * that PostgreSQL server (tests/store/run sets it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

static int collect_state(const struct store_agent_state *st, void *arg)
{
	crm_buf_printf(arg, "%s %s %s %lld %lld\n", st->agent, st->state,
		       st->reason ? st->reason : "-", (long long)(st->start_ms - T0) / 1000,
		       (long long)(st->end_ms ? (st->end_ms - T0) / 1000 : -1));
	return 0;
}

static void put(struct store_db *db, const char *agent, const char *state, const char *reason,
		int64_t start_s)
{
	struct store_agent_state st = {.tenant = "acme",
				       .agent = agent,
				       .state = state,
				       .reason = reason,
				       .start_ms = T0 + start_s * 1000};

	assert_int_equal(store_db_agent_state_put(db, &st), 0);
}

static const char *states(struct backend *b, const char *agent, int64_t since_s)
{
	static struct crm_buf out;

	crm_buf_free(&out);
	memset(&out, 0, sizeof(out));
	assert_int_equal(
	    store_db_agent_states(b->db, "acme", agent, T0 + since_s * 1000, collect_state, &out),
	    0);
	return out.p ? out.p : "";
}

static void test_span_in_progress_at_since_comes_first(void **state)
{
	struct backend *b = *state;

	put(b->db, "alice", "ready", NULL, -7200);
	put(b->db, "alice", "not_ready", "lunch", -3600); /* across since = 0 */
	put(b->db, "alice", "ready", NULL, 600);
	put(b->db, "bob", "not_ready", "break", -600); /* still open */
	assert_string_equal(states(b, "alice", 0),
			    "alice not_ready lunch -3600 600\nalice ready - 600 -1\n");
	assert_string_equal(states(b, "bob", 0), "bob not_ready break -600 -1\n");
	/* Since a span's start: nothing earlier comes with it. */
	assert_string_equal(states(b, "alice", 600), "alice ready - 600 -1\n");
	/* Every agent's log (no agent) stays by start time only. */
	assert_string_equal(states(b, NULL, 0), "alice ready - 600 -1\n");
}

static void test_span_ended_before_since_is_left_out(void **state)
{
	struct backend *b = *state;

	put(b->db, "alice", "ready", NULL, -7200);
	put(b->db, "alice", "logged_out", NULL, -3600);
	/* logged_out is open: it is alice's state at since, and it is reported. */
	assert_string_equal(states(b, "alice", 0), "alice logged_out - -3600 -1\n");
	put(b->db, "alice", "ready", NULL, -60);
	assert_string_equal(states(b, "alice", 0), "alice ready - -60 -1\n");
	assert_string_equal(states(b, "carol", 0), "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh_db, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_span_in_progress_at_since_comes_first),
	    T(test_span_ended_before_since_is_left_out),
	};
	int failed;

	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed = cmocka_run_group_tests_name("agent states on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("agent states on postgresql", tests, group_pg,
						      NULL);
	else
		printf("agent states on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
