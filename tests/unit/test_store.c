/*
 * The store's behaviour, run on SQLite (a temporary file per test) and, when
 * CENTRALA_TEST_PG holds a connection URL, again on that PostgreSQL server (the schema
 * is dropped and recreated for each test). tests/store/run starts a throw-away server
 * and sets it; with CENTRALA_TEST_PG_DIR also set, the outage test stops and restarts
 * that server mid-run. Provisioning has its own file, test_store_provision.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mq.h"
#include "store/store.h"

/* ---- fixture: one back end per group, a fresh database per test ---------------------- */

#include "test_store_fixture.h"

/* Runs SQL on the database directly (to build an old schema's data). */
static void raw_exec(struct backend *b, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	if (b->pg_url) {
		pg_exec(b->pg_url, sql);
		return;
	}
	assert_int_equal(sqlite3_open(b->url + 7, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

/* The first column of the first row of `sql` as text ("" when no row or NULL). */
static void raw_text(struct backend *b, const char *sql, char *out, size_t size)
{
	out[0] = '\0';
	if (b->pg_url) {
		PGconn *c = PQconnectdb(b->pg_url);
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQresultErrorMessage(r));
		if (PQntuples(r) > 0)
			snprintf(out, size, "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(b->url + 7, &db), SQLITE_OK);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			fail_msg("%s: %s", sql, sqlite3_errmsg(db));
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

static struct store *make_store(struct backend *b, unsigned busy_ms)
{
	struct store_opts o = {.spool_path = b->spool,
			       .busy_timeout_ms = busy_ms,
			       .retry_max_ms = 200,
			       .batch_max = 500};
	struct store *s = NULL;

	assert_int_equal(store_create(b->url, &o, &s), 0);
	return s;
}

/* Waits for up to `n` messages (any type) and counts them by type. */
static size_t wait_msgs(struct mq *q, size_t n, unsigned timeout_ms, size_t counts[8],
			struct store_msg *last)
{
	uint64_t until = clock_mono_ms() + timeout_ms;
	char buf[MQ_MSG_MAX];
	struct store_msg m;
	size_t got = 0;

	while (got < n && clock_mono_ms() < until) {
		struct pollfd p = {.fd = mq_fd(q), .events = POLLIN};

		poll(&p, 1, 50);
		mq_drain_fd(q);
		while (got < n && mq_pop(q, buf) == sizeof(m)) {
			memcpy(&m, buf, sizeof(m));
			if (m.type < 8)
				counts[m.type]++;
			if (last)
				*last = m;
			else if (m.contact)
				crm_contact_free(m.contact);
			got++;
		}
	}
	return got;
}

static void wait_committed(struct store *s, uint64_t n, unsigned timeout_ms)
{
	uint64_t until = clock_mono_ms() + timeout_ms;
	struct store_stats st;

	do {
		store_stats(s, &st);
		if (st.committed >= n)
			return;
		usleep(10000);
	} while (clock_mono_ms() < until);
	fail_msg("committed %llu of %llu (spooled %llu backlog %llu)",
		 (unsigned long long)st.committed, (unsigned long long)n,
		 (unsigned long long)st.spooled, (unsigned long long)st.spool_backlog);
}

#define T0 1763892000000LL /* 2025-11-23T10:00:00.000Z */

static const struct crm_event timeline[] = {
    {.ts_ms = T0, .event = "created"},
    {.ts_ms = T0 + 2000, .event = "ivr", .node = "menu", .digits = "1"},
    {.ts_ms = T0 + 4000, .event = "queued", .queue = "support"},
    {.ts_ms = T0 + 5000, .event = "offered", .agent = "alice", .result = "answered"},
    {.ts_ms = T0 + 9000, .event = "answered", .agent = "alice"},
    {.ts_ms = T0 + 69000, .event = "ended", .by = "caller"},
};

static void sample(struct crm_interaction *ix, const char *tenant, const char *id, int64_t t)
{
	memset(ix, 0, sizeof(*ix));
	ix->tenant = tenant;
	ix->id = id;
	ix->from = "+48601234567";
	ix->to = "200";
	ix->number = "200";
	ix->queue = "support";
	ix->agent = "alice";
	ix->created_ms = t;
	ix->queued_ms = t + 4000;
	ix->offered_ms = t + 5000;
	ix->answered_ms = t + 9000;
	ix->ended_ms = t + 69000;
	ix->wait_ms = 5000;
	ix->talk_ms = 60000;
	ix->disposition = "resolved";
	ix->recording = "var/recordings/x.wav";
	ix->hangup_by = "caller";
	ix->timeline = timeline;
	ix->ntimeline = sizeof(timeline) / sizeof(timeline[0]);
}

static int collect_json(const struct crm_interaction *ix, void *arg)
{
	crm_interaction_json(ix, arg);
	crm_buf_putc(arg, '\n');
	return 0;
}

static int count_rows(const struct crm_interaction *ix, void *arg)
{
	(void)ix;
	(*(size_t *)arg)++;
	return 0;
}

static size_t count_interactions(struct backend *b, const char *tenant)
{
	struct store_db *db;
	size_t n = 0;

	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_interactions(db, tenant, NULL, count_rows, &n), 0);
	store_db_close(db);
	return n;
}

/* ---- schema ------------------------------------------------------------------------------- */

static void test_migrates_empty_database_to_latest(void **state)
{
	struct backend *b = *state;
	struct store_db *db;
	int v = -1;

	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_version(db, &v), 0);
	assert_int_equal(v, store_schema_latest());
	store_db_close(db);
	/* Opening again applies nothing and keeps the version. */
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_version(db, &v), 0);
	assert_int_equal(v, store_schema_latest());
	store_db_close(db);
}

static void test_schema_same_on_both_backends(void **state)
{
	struct backend *b = *state, lite = {0};
	struct crm_buf a = {0}, c = {0};
	struct store_db *db;
	void *ls = &lite;

	if (!b->pg_url)
		skip();
	assert_int_equal(fresh(&ls), 0);
	assert_int_equal(store_db_open(lite.url, &db), 0);
	assert_int_equal(store_db_schema(db, &a), 0);
	store_db_close(db);
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_schema(db, &c), 0);
	store_db_close(db);
	assert_non_null(strstr(a.p, "interactions.timeline\n"));
	assert_non_null(strstr(a.p, "index.contact_phones_contact\n"));
	assert_string_equal(a.p, c.p);
	crm_buf_free(&a);
	crm_buf_free(&c);
	cleanup(&ls);
}

/* Builds a database at schema `version` holding the data that version's writers would
 * have left, migrates it to the latest, and checks every row. */
/* Appends each contact's id and a space to the char[256] at arg. */
static int collect_ids(const struct crm_contact *c, void *arg)
{
	char *ids = arg;
	size_t n = strlen(ids);

	snprintf(ids + n, 256 - n, "%s ", c->id);
	return 0;
}

static void migrate_from(struct backend *b, int version)
{
	struct crm_contact *c = NULL;
	struct crm_buf out = {0};
	struct store_db *db;
	char text[256];
	int v = 0;

	assert_int_equal(store_db_open_version(b->url, version, &db), 0);
	assert_int_equal(store_db_version(db, &v), 0);
	/* Versions are reserved ahead of their migration: the newest up to `version`. */
	assert_true(v >= 1 && v <= version);
	store_db_close(db);
	/* No phone index before version 2, no record flag before version 3. */
	raw_exec(b,
		 "INSERT INTO tenants (id, name, domain, country, prune, updated_ms) VALUES "
		 "('acme', 'ACME', 'acme.example', 'PL', 1, 1);"
		 "INSERT INTO users (tenant, username, password_hash, roles, skills, queues, "
		 "auto_ready, updated_ms) VALUES ('acme', 'alice', '$argon2id$x', 'agent', "
		 "'{\"support\":5}', '{}', 1, 1);"
		 "INSERT INTO contacts (tenant, id, first_name, phones, emails, tags, created_ms, "
		 "updated_ms) VALUES ('acme', 'c1', 'Ewa', '[\"+48601234567\",\"+48221234567\"]', "
		 "'[]', '[\"vip\"]', 1, 1);"
		 "INSERT INTO interactions (tenant, id, channel, direction, from_addr, created_ms, "
		 "ended_ms, talk_ms, abandoned, timeline, updated_ms) VALUES ('acme', 'i1', "
		 "'voice', 'inbound', '+48601234567', 1763892000000, 1763892060000, 60000, 0, "
		 "'[]', 1);"
		 "INSERT INTO agent_states (tenant, agent, start_ms, state, end_ms) VALUES "
		 "('acme', 'alice', 1763892000000, 'ready', 1763892060000);"
		 "INSERT INTO audit_log (tenant, id, ts_ms, actor, object, obj_key, action) VALUES "
		 "('acme', 'a1', 1, 'provision', 'user', 'alice', 'create');");
	if (version >= 2) /* from version 2 on, whoever writes a contact indexes its numbers */
		raw_exec(b, "INSERT INTO contact_phones (tenant, e164, contact_id) VALUES ('acme', "
			    "'+48601234567', 'c1'), ('acme', '+48221234567', 'c1');");
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_version(db, &v), 0);
	assert_int_equal(v, store_schema_latest());
	/* The phone index was filled from the contacts' own numbers. */
	assert_int_equal(store_db_contact_find_phone(db, "acme", "+48221234567", &c), 0);
	assert_string_equal(c->id, "c1");
	assert_string_equal(c->first_name, "Ewa");
	assert_int_equal(c->ntags, 1);
	crm_contact_free(c);
	/* Contacts written before the search keys are found by name (migration 6). From
	 * version 6 on, whoever writes a contact writes its keys; this raw row has none. */
	if (version < 6) {
		char ids[256] = "";
		assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_NAME, "EW",
							  NULL, 0, collect_ids, ids),
				 0);
		assert_string_equal(ids, "c1 ");
	}
	assert_int_equal(store_db_interaction_get(db, "acme", "i1", collect_json, &out), 0);
	assert_non_null(strstr(out.p, "\"talk_s\":60,"));
	assert_non_null(strstr(out.p, "\"campaign\":null,\"hangup_by\":null"));
	crm_buf_free(&out);
	store_db_close(db);
	/* Tenants written before the record flag record their calls, the default. */
	raw_text(b, "SELECT name || ' ' || domain || ' ' || prune || ' ' || record FROM tenants",
		 text, sizeof(text));
	assert_string_equal(text, "ACME acme.example 1 1");
	raw_text(b, "SELECT password_hash || ' ' || skills FROM users", text, sizeof(text));
	assert_string_equal(text, "$argon2id$x {\"support\":5}");
	raw_text(b, "SELECT state || ' ' || end_ms FROM agent_states", text, sizeof(text));
	assert_string_equal(text, "ready 1763892060000");
	raw_text(b, "SELECT COUNT(*) FROM audit_log", text, sizeof(text));
	assert_string_equal(text, "1");
	raw_text(b, "SELECT MAX(version) FROM schema_version", text, sizeof(text));
	assert_int_equal(atoi(text), store_schema_latest());
}

static void test_old_schema_migrates_without_loss(void **state)
{
	struct backend *b = *state;

	/* From every older version, each on a database of its own. */
	for (int v = 1; v < store_schema_latest(); v++) {
		if (v > 1) {
			assert_int_equal(cleanup(state), 0);
			assert_int_equal(fresh(state), 0);
		}
		migrate_from(b, v);
	}
}

static void test_default_spool_path_and_one_store_per_spool(void **state)
{
	struct backend *b = *state;
	char cwd[512], path[600];
	struct store *s, *other;

	/* Run where a relative default lands in the test's directory. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(b->dir), 0);
	assert_int_equal(store_create(b->url, NULL, &s), 0);
	if (b->pg_url)
		snprintf(path, sizeof(path), "%s/var/store.spool", b->dir);
	else
		snprintf(path, sizeof(path), "%s/centrala.db.spool", b->dir);
	assert_int_equal(access(path, R_OK | W_OK), 0);
	/* A second store on the same spool would interleave records: refused. */
	assert_int_equal(store_create(b->url, NULL, &other), EBUSY);
	store_destroy(s);
	/* The lock went with the first store. */
	assert_int_equal(store_create(b->url, NULL, &s), 0);
	store_destroy(s);
	assert_int_equal(chdir(cwd), 0);
}

static void test_refuses_unknown_url_and_reports_unreachable(void **state)
{
	struct store_db *db;
	struct store *s;

	(void)state;
	assert_int_equal(store_db_open("mysql://x", &db), EINVAL);
	assert_int_equal(store_create("nothing", NULL, &s), EINVAL);
	/* Nothing listens on port 1: the caller hears "try again later". */
	assert_int_equal(store_create("postgresql://centrala@127.0.0.1:1/none", NULL, &s), EAGAIN);
}

/* ---- tenant scoping ---------------------------------------------------------------------- */

/* Runs `fn` in a child process and reports how it ended. */
static int child_status(void (*fn)(struct backend *), struct backend *b)
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2); /* the assertion message is expected */
		fn(b);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* Every call that touches tenant data, made without a tenant. */
static int u_ix_submit(struct store_db *db, struct store *s)
{
	struct crm_interaction ix;

	(void)db;
	sample(&ix, NULL, "i1", T0);
	return store_interaction_submit(s, &ix, NULL, 0);
}

static int u_ix_submit_empty(struct store_db *db, struct store *s)
{
	struct crm_interaction ix;

	(void)db;
	sample(&ix, "", "i1", T0);
	return store_interaction_submit(s, &ix, NULL, 0);
}

static int u_state_submit(struct store_db *db, struct store *s)
{
	struct store_agent_state st = {.agent = "alice", .state = "ready", .start_ms = T0};

	(void)db;
	return store_agent_state_submit(s, &st, NULL, 0);
}

static int u_audit_submit(struct store_db *db, struct store *s)
{
	struct store_audit a = {.object = "user", .key = "alice", .action = "create"};

	(void)db;
	return store_audit_submit(s, &a, NULL, 0);
}

static int u_contact_submit(struct store_db *db, struct store *s)
{
	struct crm_contact *c;
	int err;

	(void)db;
	if (crm_contact_new("c1", &c))
		return ENOMEM;
	err = store_contact_submit(s, NULL, c, NULL, 0);
	crm_contact_free(c);
	return err;
}

static int u_contact_lookup(struct store_db *db, struct store *s)
{
	struct mq *q;
	int err;

	(void)db;
	if (mq_alloc(&q, 4))
		return ENOMEM;
	err = store_contact_lookup(s, NULL, "+48601234567", 0, q, 0);
	mq_free(q);
	return err;
}

static int u_ix_put(struct store_db *db, struct store *s)
{
	struct crm_interaction ix;

	(void)s;
	sample(&ix, NULL, "i1", T0);
	return store_db_interaction_put(db, &ix);
}

static int u_state_put(struct store_db *db, struct store *s)
{
	struct store_agent_state st = {.agent = "alice", .state = "ready", .start_ms = T0};

	(void)s;
	return store_db_agent_state_put(db, &st);
}

static int u_audit_put(struct store_db *db, struct store *s)
{
	struct store_audit a = {.object = "user", .key = "alice", .action = "create"};

	(void)s;
	return store_db_audit_put(db, &a);
}

static int u_contact_put(struct store_db *db, struct store *s)
{
	struct crm_contact *c;
	int err;

	(void)s;
	if (crm_contact_new("c1", &c))
		return ENOMEM;
	err = store_db_contact_put(db, NULL, c);
	crm_contact_free(c);
	return err;
}

static int u_contact_get(struct store_db *db, struct store *s)
{
	struct crm_contact *c;

	(void)s;
	return store_db_contact_get(db, NULL, "c1", &c);
}

static int u_contact_find_phone(struct store_db *db, struct store *s)
{
	struct crm_contact *c;

	(void)s;
	return store_db_contact_find_phone(db, NULL, "+48601234567", &c);
}

static int u_contact_delete(struct store_db *db, struct store *s)
{
	(void)s;
	return store_db_contact_delete(db, NULL, "c1");
}

static int u_contact_merge(struct store_db *db, struct store *s)
{
	(void)s;
	return store_db_contact_merge(db, NULL, "c1", "c2", NULL, NULL);
}

static int u_interactions(struct store_db *db, struct store *s)
{
	size_t n = 0;

	(void)s;
	return store_db_interactions(db, NULL, NULL, count_rows, &n);
}

static int u_interaction_get(struct store_db *db, struct store *s)
{
	size_t n = 0;

	(void)s;
	return store_db_interaction_get(db, NULL, "i1", count_rows, &n);
}

static int no_state(const struct store_agent_state *st, void *arg)
{
	(void)st;
	(void)arg;
	return 0;
}

static int u_agent_states(struct store_db *db, struct store *s)
{
	(void)s;
	return store_db_agent_states(db, NULL, NULL, 0, no_state, NULL);
}

static int no_audit(const struct store_audit *a, void *arg)
{
	(void)a;
	(void)arg;
	return 0;
}

static int u_audit_log(struct store_db *db, struct store *s)
{
	(void)s;
	return store_db_audit_log(db, NULL, 0, no_audit, NULL);
}

static int u_audit_page(struct store_db *db, struct store *s)
{
	(void)s;
	return store_db_audit_page(db, NULL, 0, "", 10, no_audit, NULL);
}

static int u_user_verify(struct store_db *db, struct store *s)
{
	(void)s;
	return store_db_user_verify(db, NULL, "alice", "secret");
}

static const struct unscoped {
	const char *name;
	int (*call)(struct store_db *db, struct store *s);
} unscoped_calls[] = {
    {"store_interaction_submit", u_ix_submit},
    {"store_interaction_submit (empty tenant)", u_ix_submit_empty},
    {"store_agent_state_submit", u_state_submit},
    {"store_audit_submit", u_audit_submit},
    {"store_contact_submit", u_contact_submit},
    {"store_contact_lookup", u_contact_lookup},
    {"store_db_interaction_put", u_ix_put},
    {"store_db_agent_state_put", u_state_put},
    {"store_db_audit_put", u_audit_put},
    {"store_db_contact_put", u_contact_put},
    {"store_db_contact_get", u_contact_get},
    {"store_db_contact_find_phone", u_contact_find_phone},
    {"store_db_contact_delete", u_contact_delete},
    {"store_db_contact_merge", u_contact_merge},
    {"store_db_interactions", u_interactions},
    {"store_db_interaction_get", u_interaction_get},
    {"store_db_agent_states", u_agent_states},
    {"store_db_audit_log", u_audit_log},
    {"store_db_audit_page", u_audit_page},
    {"store_db_user_verify", u_user_verify},
};

static const struct unscoped *unscoped_now;

/* In the child: a connection and a running store, then the call without a tenant. */
static void call_unscoped(struct backend *b)
{
	struct store_opts o = {.spool_path = b->spool};
	struct store_db *db;
	struct store *s;
	int err;

	if (store_db_open(b->url, &db) || store_create(b->url, &o, &s))
		_exit(1);
	err = unscoped_now->call(db, s);
	_exit(err == EINVAL ? 42 : 1);
}

static void test_call_without_tenant_is_caught(void **state)
{
	struct backend *b = *state;
	struct store_db *db;
	size_t i;

	assert_int_equal(store_db_open(b->url, &db), 0); /* the schema exists first */
	store_db_close(db);
	for (i = 0; i < sizeof(unscoped_calls) / sizeof(unscoped_calls[0]); i++) {
		int status;

		unscoped_now = &unscoped_calls[i];
		status = child_status(call_unscoped, b);
#ifdef NDEBUG
		/* Release builds: the call fails with EINVAL and runs no query. */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
#else
		/* Debug builds: the assertion stops the program. */
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
#endif
			fail_msg("%s without a tenant was not stopped (status 0x%x)",
				 unscoped_calls[i].name, status);
	}
	/* Nothing reached the database. */
	assert_int_equal(count_interactions(b, "acme"), 0);
}

static void test_tenants_do_not_see_each_other(void **state)
{
	struct backend *b = *state;
	struct crm_interaction ix;
	struct crm_contact *c, *got;
	struct store_db *db;
	struct crm_buf out = {0};

	assert_int_equal(store_db_open(b->url, &db), 0);
	sample(&ix, "acme", "i1", T0);
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	assert_int_equal(crm_contact_new("c1", &c), 0);
	assert_int_equal(crm_contact_add_phone(c, "+48601234567", NULL), 0);
	assert_int_equal(store_db_contact_put(db, "acme", c), 0);
	assert_int_equal(store_db_interaction_get(db, "beta", "i1", collect_json, &out), ENOENT);
	assert_int_equal(store_db_contact_get(db, "beta", "c1", &got), ENOENT);
	assert_int_equal(store_db_contact_find_phone(db, "beta", "+48601234567", &got), ENOENT);
	assert_int_equal(store_db_contact_find_phone(db, "acme", "+48601234567", &got), 0);
	crm_contact_free(got);
	crm_contact_free(c);
	store_db_close(db);
	crm_buf_free(&out);
}

/* ---- interactions --------------------------------------------------------------------------- */

static void test_interaction_round_trip_json(void **state)
{
	struct backend *b = *state;
	struct crm_buf want = {0}, got = {0};
	struct crm_interaction ix;
	struct store_db *db;

	sample(&ix, "acme", "01JD0000000000000000000001", T0);
	ix.notes = "line one\nline \"two\", Zażółć";
	ix.campaign = "winter";
	ix.hold_ms = 1500;
	ix.wrapup_ms = 5000;
	ix.contact = "c1";
	ix.abandoned = true;
	ix.direction = CRM_DIR_OUTBOUND;
	ix.channel = CRM_CHANNEL_CALLBACK;
	ix.queued_ms = 0; /* a step not reached stays null */
	assert_int_equal(crm_interaction_json(&ix, &want), 0);
	crm_buf_putc(&want, '\n');
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	assert_int_equal(store_db_interaction_get(db, "acme", ix.id, collect_json, &got), 0);
	assert_string_equal(got.p, want.p);
	assert_non_null(strstr(got.p, "\"queued\":null"));
	assert_non_null(strstr(got.p, "\"channel\":\"callback\",\"direction\":\"outbound\""));
	store_db_close(db);
	crm_buf_free(&want);
	crm_buf_free(&got);
}

static void test_interaction_submitted_again_replaces(void **state)
{
	struct backend *b = *state;
	struct crm_interaction ix;
	struct crm_buf got = {0};
	struct store_db *db;
	struct store *s = make_store(b, 0);

	sample(&ix, "acme", "i1", T0);
	ix.ended_ms = 0;
	ix.disposition = NULL;
	ix.ntimeline = 3; /* in progress */
	assert_int_equal(store_interaction_submit(s, &ix, NULL, 0), 0);
	sample(&ix, "acme", "i1", T0);
	assert_int_equal(store_interaction_submit(s, &ix, NULL, 0), 0);
	assert_int_equal(store_flush(s, 10000), 0);
	store_destroy(s);
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_interaction_get(db, "acme", "i1", collect_json, &got), 0);
	assert_non_null(strstr(got.p, "\"disposition\":\"resolved\""));
	assert_non_null(strstr(got.p, "\"event\":\"ended\""));
	assert_int_equal(count_interactions(b, "acme"), 1);
	store_db_close(db);
	crm_buf_free(&got);
}

static void test_commit_reply_means_row_is_readable(void **state)
{
	enum { N = 2000 };
	struct backend *b = *state;
	struct store *s = make_store(b, 0);
	struct store_db *reader;
	struct crm_interaction ix;
	struct store_stats st;
	struct mq *q;
	char id[32], buf[MQ_MSG_MAX];
	size_t got = 0, i;
	uint64_t until;

	assert_int_equal(mq_alloc(&q, N), 0);
	assert_int_equal(store_db_open(b->url, &reader), 0);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "ix-%05zu", i);
		sample(&ix, "acme", id, T0 + (int64_t)i);
		assert_int_equal(store_interaction_submit(s, &ix, q, i), 0);
	}
	/* Each reply says "committed": a separate connection must already see the row. */
	until = clock_mono_ms() + 30000;
	while (got < N && clock_mono_ms() < until) {
		struct store_msg m;
		struct crm_buf row = {0};

		if (mq_pop(q, buf) != sizeof(m)) {
			usleep(1000);
			continue;
		}
		memcpy(&m, buf, sizeof(m));
		assert_int_equal(m.type, STORE_MSG_COMMITTED);
		assert_int_equal(m.kind, STORE_REC_INTERACTION);
		assert_int_equal(m.err, 0);
		snprintf(id, sizeof(id), "ix-%05llu", (unsigned long long)m.cookie);
		assert_int_equal(store_db_interaction_get(reader, "acme", id, collect_json, &row),
				 0);
		crm_buf_free(&row);
		got++;
	}
	assert_int_equal(got, N);
	store_stats(s, &st);
	assert_int_equal(st.submitted, N);
	assert_int_equal(st.committed, N);
	/* Batched: far fewer transactions than records. */
	assert_true(st.batches < N / 2);
	assert_int_equal(st.failed, 0);
	store_db_close(reader);
	store_destroy(s);
	mq_free(q);
}

/* Group commit: a call still going waits commit_delay_ms for others to share its
 * transaction, except when batch_max records are waiting, store_flush is called or a
 * record a reader may ask for at once arrives (a call's last version here). */
static void test_group_commit_waits_for_company(void **state)
{
	struct backend *b = *state;
	struct store_opts o = {.spool_path = b->spool, .batch_max = 50, .commit_delay_ms = 60000};
	struct store *s = NULL;
	struct crm_interaction ix;
	struct store_stats st;
	struct mq *q;
	size_t counts[8] = {0};
	char id[32];

	assert_int_equal(store_create(b->url, &o, &s), 0);
	assert_int_equal(mq_alloc(&q, 256), 0);
	sample(&ix, "acme", "ix-first", T0);
	ix.ended_ms = 0; /* still going */
	assert_int_equal(store_interaction_submit(s, &ix, q, 0), 0);
	/* Alone, it waits for company (a minute here): nothing committed yet. */
	assert_int_equal(wait_msgs(q, 1, 400, counts, NULL), 0);
	store_stats(s, &st);
	assert_int_equal(st.batches, 0);
	/* store_flush does not wait for the window. */
	assert_int_equal(store_flush(s, 10000), 0);
	assert_int_equal(wait_msgs(q, 1, 5000, counts, NULL), 1);
	assert_int_equal(counts[STORE_MSG_COMMITTED], 1);
	/* batch_max records waiting go at once, in one transaction. */
	for (size_t i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "ix-%02zu", i);
		sample(&ix, "acme", id, T0 + (int64_t)i);
		ix.ended_ms = 0;
		assert_int_equal(store_interaction_submit(s, &ix, q, i + 1), 0);
	}
	assert_int_equal(wait_msgs(q, 50, 10000, counts, NULL), 50);
	assert_int_equal(counts[STORE_MSG_COMMITTED], 51);
	store_stats(s, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.committed, 51);
	/* A call still going waits; its last version takes it along at once. */
	sample(&ix, "acme", "ix-a", T0 + 200);
	ix.ended_ms = 0;
	assert_int_equal(store_interaction_submit(s, &ix, q, 60), 0);
	assert_int_equal(wait_msgs(q, 1, 300, counts, NULL), 0);
	sample(&ix, "acme", "ix-a", T0 + 200);
	assert_int_equal(store_interaction_submit(s, &ix, q, 61), 0);
	assert_int_equal(wait_msgs(q, 2, 10000, counts, NULL), 2);
	store_stats(s, &st);
	assert_int_equal(st.batches, 3);
	/* One more waits again, and stopping the store commits it. */
	sample(&ix, "acme", "ix-last", T0 + 100);
	ix.ended_ms = 0;
	assert_int_equal(store_interaction_submit(s, &ix, NULL, 0), 0);
	store_destroy(s);
	s = NULL;
	{
		struct store_db *db;
		struct crm_buf row = {0};

		assert_int_equal(store_db_open(b->url, &db), 0);
		assert_int_equal(
		    store_db_interaction_get(db, "acme", "ix-last", collect_json, &row), 0);
		crm_buf_free(&row);
		store_db_close(db);
	}
	mq_free(q);
}

static void test_destroy_commits_everything_queued(void **state)
{
	enum { N = 3000 };
	struct backend *b = *state;
	struct store *s = make_store(b, 0);
	struct crm_interaction ix;
	char id[32];

	for (size_t i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "ix-%05zu", i);
		sample(&ix, "acme", id, T0 + (int64_t)i);
		assert_int_equal(store_interaction_submit(s, &ix, NULL, 0), 0);
	}
	store_destroy(s);
	assert_int_equal(count_interactions(b, "acme"), N);
}

static void test_full_queue_refuses_submit(void **state)
{
	struct backend *b = *state;
	struct store_opts o = {.spool_path = b->spool, .queue_max = 1};
	struct crm_interaction ix;
	struct store_stats st;
	struct store *s;
	int err = 0;
	size_t i;

	assert_int_equal(store_create(b->url, &o, &s), 0);
	sample(&ix, "acme", "i1", T0);
	for (i = 0; i < 10000 && !err; i++)
		err = store_interaction_submit(s, &ix, NULL, 0);
	assert_int_equal(err, ENOBUFS);
	store_stats(s, &st);
	assert_true(st.dropped >= 1);
	store_destroy(s);
}

static void test_interactions_filtered_by_time_queue_agent(void **state)
{
	struct backend *b = *state;
	struct crm_interaction ix;
	struct store_db *db;
	struct store_ix_filter f = {0};
	size_t n;

	assert_int_equal(store_db_open(b->url, &db), 0);
	sample(&ix, "acme", "a", T0);
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	sample(&ix, "acme", "b", T0 + 1000);
	ix.agent = "bob";
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	sample(&ix, "acme", "c", T0 + 2000);
	ix.queue = "sales";
	ix.agent = "bob";
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	f.since_ms = T0 + 1000;
	n = 0;
	assert_int_equal(store_db_interactions(db, "acme", &f, count_rows, &n), 0);
	assert_int_equal(n, 2);
	f.until_ms = T0 + 2000;
	n = 0;
	assert_int_equal(store_db_interactions(db, "acme", &f, count_rows, &n), 0);
	assert_int_equal(n, 1);
	memset(&f, 0, sizeof(f));
	f.agent = "bob";
	n = 0;
	assert_int_equal(store_db_interactions(db, "acme", &f, count_rows, &n), 0);
	assert_int_equal(n, 2);
	f.queue = "support";
	n = 0;
	assert_int_equal(store_db_interactions(db, "acme", &f, count_rows, &n), 0);
	assert_int_equal(n, 1);
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	n = 0;
	assert_int_equal(store_db_interactions(db, "acme", &f, count_rows, &n), 0);
	assert_int_equal(n, 2);
	store_db_close(db);
}

/* ---- agent states and audit ---------------------------------------------------------------- */

static int collect_state(const struct store_agent_state *st, void *arg)
{
	crm_buf_printf(arg, "%s %s %s %lld %lld\n", st->agent, st->state,
		       st->reason ? st->reason : "-", (long long)(st->start_ms - T0),
		       (long long)(st->end_ms ? st->end_ms - T0 : -1));
	return 0;
}

static void test_agent_state_span_written_open_then_closed(void **state)
{
	struct backend *b = *state;
	struct store *s = make_store(b, 0);
	struct store_agent_state st = {
	    .tenant = "acme", .agent = "alice", .state = "ready", .start_ms = T0};
	struct store_db *db;
	struct crm_buf out = {0};
	struct mq *q;
	size_t counts[8] = {0};

	assert_int_equal(mq_alloc(&q, 16), 0);
	assert_int_equal(store_agent_state_submit(s, &st, q, 1), 0);
	st.end_ms = T0 + 60000;
	assert_int_equal(store_agent_state_submit(s, &st, q, 2), 0);
	st.state = "not_ready";
	st.reason = "lunch";
	st.start_ms = T0 + 60000;
	st.end_ms = 0;
	assert_int_equal(store_agent_state_submit(s, &st, q, 3), 0);
	assert_int_equal(wait_msgs(q, 3, 10000, counts, NULL), 3);
	assert_int_equal(counts[STORE_MSG_COMMITTED], 3);
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_agent_states(db, "acme", "alice", 0, collect_state, &out), 0);
	assert_string_equal(out.p, "alice ready - 0 60000\nalice not_ready lunch 60000 -1\n");
	store_db_close(db);
	crm_buf_free(&out);
	store_destroy(s);
	mq_free(q);
}

static void test_agent_state_left_open_ends_where_next_starts(void **state)
{
	struct backend *b = *state;
	struct store_agent_state st = {
	    .tenant = "acme", .agent = "alice", .state = "ready", .start_ms = T0};
	struct store_db *db;
	struct crm_buf out = {0};
	struct store *s;

	assert_int_equal(store_db_open(b->url, &db), 0);
	/* A run died with alice ready and bob busy: neither span got its end. */
	assert_int_equal(store_db_agent_state_put(db, &st), 0);
	st.agent = "bob";
	st.state = "busy";
	assert_int_equal(store_db_agent_state_put(db, &st), 0);
	/* The next run logs alice in again; bob has not come back yet. */
	st.agent = "alice";
	st.state = "logged_out";
	st.start_ms = T0 + 90000;
	assert_int_equal(store_db_agent_state_put(db, &st), 0);
	assert_int_equal(store_db_agent_states(db, "acme", NULL, 0, collect_state, &out), 0);
	assert_string_equal(out.p, "alice ready - 0 90000\nbob busy - 0 -1\n"
				   "alice logged_out - 90000 -1\n");
	store_db_close(db);
	crm_buf_free(&out);
	/* A span ending before it starts is a caller's mistake, refused at submit. */
	s = make_store(b, 0);
	st.end_ms = st.start_ms - 1;
	assert_int_equal(store_agent_state_submit(s, &st, NULL, 0), EINVAL);
	st.end_ms = 0;
	st.start_ms = 0;
	assert_int_equal(store_agent_state_submit(s, &st, NULL, 0), EINVAL);
	store_destroy(s);
}

static int collect_audit(const struct store_audit *a, void *arg)
{
	crm_buf_printf(arg, "%s %s %s %s %s\n", a->actor, a->object, a->key, a->action,
		       a->detail ? a->detail : "-");
	return 0;
}

static void test_audit_entry_written(void **state)
{
	struct backend *b = *state;
	struct store *s = make_store(b, 0);
	struct store_audit a = {.tenant = "acme",
				.actor = "api:bob",
				.object = "queue",
				.key = "support",
				.action = "update",
				.detail = "wrap_up"};
	struct store_db *db;
	struct crm_buf out = {0};

	assert_int_equal(store_audit_submit(s, &a, NULL, 0), 0);
	assert_int_equal(store_flush(s, 10000), 0);
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_audit_log(db, "acme", 0, collect_audit, &out), 0);
	assert_string_equal(out.p, "api:bob queue support update wrap_up\n");
	store_db_close(db);
	crm_buf_free(&out);
	store_destroy(s);
}

static int collect_audit_ids(const struct store_audit *a, void *arg)
{
	crm_buf_printf(arg, "%s%s", a->id, " ");
	return 0;
}

/* Pages of the audit log by id: each starts after the id given, holds at most `limit`,
 * and the pages together are the whole log in order. */
static void test_audit_pages(void **state)
{
	struct backend *b = *state;
	struct store_db *db;
	struct crm_buf all = {0}, pages = {0}, one = {0};
	char id[32], after[32] = "";

	assert_int_equal(store_db_open(b->url, &db), 0);
	for (int i = 0; i < 7; i++) {
		snprintf(id, sizeof(id), "01AUDIT%02d", i);
		struct store_audit a = {.tenant = "acme",
					.id = id,
					.ts_ms = 1000 + i,
					.actor = "api:bob",
					.object = "queue",
					.key = "q",
					.action = "update"};
		assert_int_equal(store_db_audit_put(db, &a), 0);
	}
	struct store_audit other = {.tenant = "beta",
				    .id = "01AUDIT99",
				    .ts_ms = 1,
				    .actor = "api:x",
				    .object = "queue",
				    .key = "q",
				    .action = "update"};
	assert_int_equal(store_db_audit_put(db, &other), 0);
	assert_int_equal(store_db_audit_page(db, "acme", 0, "", 100, collect_audit_ids, &all), 0);
	assert_string_equal(
	    all.p, "01AUDIT00 01AUDIT01 01AUDIT02 01AUDIT03 01AUDIT04 01AUDIT05 01AUDIT06 ");
	for (int n = 0; n < 5; n++) {
		one.len = 0;
		if (one.p)
			one.p[0] = '\0';
		assert_int_equal(
		    store_db_audit_page(db, "acme", 0, after, 2, collect_audit_ids, &one), 0);
		if (!one.len)
			break;
		crm_buf_printf(&pages, "%s", one.p);
		snprintf(after, sizeof(after), "%.9s", one.p + one.len - 10);
	}
	assert_string_equal(pages.p, all.p);
	one.len = 0;
	assert_int_equal(
	    store_db_audit_page(db, "acme", 1004, "01AUDIT04", 10, collect_audit_ids, &one), 0);
	assert_string_equal(one.p, "01AUDIT05 01AUDIT06 ");
	store_db_close(db);
	crm_buf_free(&all);
	crm_buf_free(&pages);
	crm_buf_free(&one);
}

/* ---- contacts -------------------------------------------------------------------------------- */

static struct crm_contact *contact(const char *id, const char *first, const char *phone)
{
	struct crm_contact *c;

	assert_int_equal(crm_contact_new(id, &c), 0);
	assert_int_equal(crm_str_set(&c->first_name, first), 0);
	if (phone)
		assert_int_equal(crm_contact_add_phone(c, phone, "PL"), 0);
	return c;
}

static void test_contact_round_trip(void **state)
{
	struct backend *b = *state;
	struct crm_contact *c = contact("c1", "Jan", "601 234 567"), *got;
	struct crm_buf want = {0}, have = {0};
	struct store_db *db;

	crm_str_set(&c->last_name, "Kowalski");
	crm_str_set(&c->company, "Kowalski i Syn");
	crm_str_set(&c->language, "pl");
	crm_str_set(&c->timezone, "Europe/Warsaw");
	crm_contact_add_phone(c, "+44 20 7946 0018", "PL");
	crm_contact_add_email(c, "jan@example.pl");
	crm_contact_add_tag(c, "gold");
	crm_contact_set_custom(c, "{\"account\": \"A-17\", \"seats\": 4}");
	c->vip = true;
	c->dnc = true;
	c->created_ms = T0;
	c->updated_ms = T0 + 1;
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_contact_put(db, "acme", c), 0);
	assert_int_equal(store_db_contact_get(db, "acme", "c1", &got), 0);
	crm_contact_json(c, &want);
	crm_contact_json(got, &have);
	assert_string_equal(have.p, want.p);
	assert_int_equal(got->created_ms, T0);
	crm_contact_free(got);
	crm_contact_free(c);
	store_db_close(db);
	crm_buf_free(&want);
	crm_buf_free(&have);
}

static void test_contact_found_by_any_of_its_numbers(void **state)
{
	struct backend *b = *state;
	struct crm_contact *c = contact("c1", "Jan", "601 234 567"), *got;
	struct store_db *db;

	crm_contact_add_phone(c, "22 123 45 67", "PL");
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_contact_put(db, "acme", c), 0);
	assert_int_equal(store_db_contact_find_phone(db, "acme", "+48221234567", &got), 0);
	assert_string_equal(got->id, "c1");
	crm_contact_free(got);
	/* A number removed from the contact no longer finds it. */
	free(c->phones[1]);
	c->nphones = 1;
	assert_int_equal(store_db_contact_put(db, "acme", c), 0);
	assert_int_equal(store_db_contact_find_phone(db, "acme", "+48221234567", &got), ENOENT);
	assert_int_equal(store_db_contact_delete(db, "acme", "c1"), 0);
	assert_int_equal(store_db_contact_find_phone(db, "acme", "+48601234567", &got), ENOENT);
	crm_contact_free(c);
	store_db_close(db);
}

/* Names in any case and alphabet: SQL's LOWER would miss these on SQLite. */
static void test_contacts_found_by_name_prefix_any_case(void **state)
{
	struct backend *b = *state;
	struct crm_contact *pl = contact("c1", "Łukasz", NULL), *es = contact("c2", "Íñigo", NULL),
			   *ru = contact("c3", "Ёлкин", NULL),
			   *other = contact("c4", "Łucja", NULL);
	struct store_db *db;
	char ids[256];

	crm_str_set(&pl->last_name, "Żółkiewski-Nowak");
	crm_str_set(&es->last_name, "Muñoz");
	crm_str_set(&ru->last_name, "Фёдор");
	crm_str_set(&ru->company, "ООО Рога и Копыта");
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_contact_put(db, "acme", pl), 0);
	assert_int_equal(store_db_contact_put(db, "acme", es), 0);
	assert_int_equal(store_db_contact_put(db, "acme", ru), 0);
	assert_int_equal(store_db_contact_put(db, "beta", other), 0);
	static const struct {
		const char *q, *want;
	} cases[] = {
	    {"łuk", "c1 "},
	    {"ŁUKASZ Ż", "c1 "},
	    {"żółk", "c1 "},
	    {"NOWAK", "c1 "},
	    {"żółkiewski-nowak ł", "c1 "},
	    {"ÍÑIGO", "c2 "},
	    {"muñ", "c2 "},
	    {"MUÑOZ Í", "c2 "},
	    {"ёлк", "c3 "},
	    {"ФЁДОР", "c3 "},
	    {"рога", "c3 "},
	    {"копыта", "c3 "},
	    {"lukasz", ""},
	    {"zz", ""},
	    {"ł", "c1 "},
	    {"  łukasz   żół ", "c1 "},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ids[0] = '\0';
		assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_NAME,
							  cases[i].q, NULL, 0, collect_ids, ids),
				 0);
		if (strcmp(ids, cases[i].want))
			fail_msg("q=\"%s\": got \"%s\", want \"%s\"", cases[i].q, ids,
				 cases[i].want);
	}
	/* Another tenant's Łucja is not found in acme; renamed, the old name is gone. */
	crm_str_set(&pl->first_name, "Paweł");
	assert_int_equal(store_db_contact_put(db, "acme", pl), 0);
	ids[0] = '\0';
	assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_NAME, "łu", NULL, 0,
						  collect_ids, ids),
			 0);
	assert_string_equal(ids, "");
	ids[0] = '\0';
	assert_int_equal(store_db_contacts_search(db, "beta", STORE_CONTACT_NAME, "ŁU", NULL, 0,
						  collect_ids, ids),
			 0);
	assert_string_equal(ids, "c4 ");
	assert_int_equal(store_db_contact_delete(db, "acme", "c3"), 0);
	ids[0] = '\0';
	assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_NAME, "ёлк", NULL, 0,
						  collect_ids, ids),
			 0);
	assert_string_equal(ids, "");
	store_db_close(db);
	crm_contact_free(pl);
	crm_contact_free(es);
	crm_contact_free(ru);
	crm_contact_free(other);
}

static void test_contacts_found_by_email_phone_and_paged(void **state)
{
	struct backend *b = *state;
	struct store_db *db;
	char ids[256];

	assert_int_equal(store_db_open(b->url, &db), 0);
	for (int i = 0; i < 5; i++) {
		char id[16];
		struct crm_contact *c;
		snprintf(id, sizeof(id), "c%d", i);
		c = contact(id, "Ana", i < 3 ? "601 234 567" : "602 000 000");
		if (i == 1)
			crm_contact_add_email(c, "Ana.Lopez@Example.ES");
		assert_int_equal(store_db_contact_put(db, "acme", c), 0);
		crm_contact_free(c);
	}
	ids[0] = '\0';
	assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_EMAIL,
						  "ana.lopez@EXAMPLE.es", NULL, 0, collect_ids,
						  ids),
			 0);
	assert_string_equal(ids, "c1 ");
	ids[0] = '\0';
	assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_PHONE, "+48601234567",
						  NULL, 0, collect_ids, ids),
			 0);
	assert_string_equal(ids, "c0 c1 c2 ");
	/* Pages: two at a time after the last id seen. */
	ids[0] = '\0';
	assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_NAME, "an", "c1", 2,
						  collect_ids, ids),
			 0);
	assert_string_equal(ids, "c2 c3 ");
	ids[0] = '\0';
	assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_ALL, NULL, "c3", 0,
						  collect_ids, ids),
			 0);
	assert_string_equal(ids, "c4 ");
	assert_int_equal(store_db_contacts_search(db, "acme", STORE_CONTACT_NAME, "\xff", NULL, 0,
						  collect_ids, ids),
			 EINVAL);
	store_db_close(db);
}

static void test_shared_number_answers_most_recent_contact(void **state)
{
	struct backend *b = *state;
	struct crm_contact *c1 = contact("c1", "Old", "601 234 567");
	struct crm_contact *c2 = contact("c2", "New", "601 234 567"), *got;
	struct store_db *db;

	c1->updated_ms = T0;
	c2->updated_ms = T0 + 1000;
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_contact_put(db, "acme", c2), 0);
	assert_int_equal(store_db_contact_put(db, "acme", c1), 0);
	assert_int_equal(store_db_contact_find_phone(db, "acme", "+48601234567", &got), 0);
	assert_string_equal(got->first_name, "New");
	crm_contact_free(got);
	crm_contact_free(c1);
	crm_contact_free(c2);
	store_db_close(db);
}

static void test_lookup_answers_through_queue(void **state)
{
	struct backend *b = *state;
	struct store *s = make_store(b, 0);
	struct crm_contact *c = contact("c1", "Jan", "+48 601 234 567");
	struct store_msg m = {0};
	size_t counts[8] = {0};
	struct mq *q;

	raw_exec(b, "INSERT INTO tenants (id, name, domain, country, updated_ms) VALUES ('acme', "
		    "'ACME', 'acme.example', 'PL', 1)");
	assert_int_equal(mq_alloc(&q, 16), 0);
	assert_int_equal(store_contact_submit(s, "acme", c, NULL, 0), 0);
	assert_int_equal(store_flush(s, 10000), 0);
	/* A national number, read with the tenant's country. */
	assert_int_equal(store_contact_lookup(s, "acme", "601-234-567", 0, q, 7), 0);
	assert_int_equal(wait_msgs(q, 1, 10000, counts, &m), 1);
	assert_int_equal(m.type, STORE_MSG_CONTACT);
	assert_int_equal(m.cookie, 7);
	assert_int_equal(m.err, 0);
	assert_non_null(m.contact);
	assert_string_equal(m.contact->first_name, "Jan");
	assert_false(m.created);
	crm_contact_free(m.contact);
	/* Unknown: not found, unless asked to create. */
	assert_int_equal(store_contact_lookup(s, "acme", "+48 500 000 001", 0, q, 8), 0);
	assert_int_equal(wait_msgs(q, 1, 10000, counts, &m), 1);
	assert_int_equal(m.err, ENOENT);
	assert_null(m.contact);
	/* Not a phone number at all. */
	assert_int_equal(store_contact_lookup(s, "acme", "anonymous", 0, q, 9), 0);
	assert_int_equal(wait_msgs(q, 1, 10000, counts, &m), 1);
	assert_int_equal(m.err, EINVAL);
	crm_contact_free(c);
	store_destroy(s);
	mq_free(q);
}

static void test_lookup_creates_contact_for_unknown_caller(void **state)
{
	struct backend *b = *state;
	struct store *s = make_store(b, 0);
	struct store_msg m1 = {0}, m2 = {0};
	size_t counts[8] = {0};
	struct mq *q;

	assert_int_equal(mq_alloc(&q, 16), 0);
	assert_int_equal(
	    store_contact_lookup(s, "acme", "+34 612 345 678", STORE_LOOKUP_CREATE, q, 1), 0);
	assert_int_equal(wait_msgs(q, 1, 10000, counts, &m1), 1);
	assert_int_equal(m1.err, 0);
	assert_true(m1.created);
	assert_string_equal(m1.contact->phones[0], "+34612345678");
	/* The second call from the same number finds the contact the first one made. */
	assert_int_equal(
	    store_contact_lookup(s, "acme", "0034612345678", STORE_LOOKUP_CREATE, q, 2), 0);
	assert_int_equal(wait_msgs(q, 1, 10000, counts, &m2), 1);
	assert_int_equal(m2.err, 0);
	assert_false(m2.created);
	assert_string_equal(m2.contact->id, m1.contact->id);
	crm_contact_free(m1.contact);
	crm_contact_free(m2.contact);
	store_destroy(s);
	mq_free(q);
}

/* ---- export ---------------------------------------------------------------------------------- */

static void put_export_rows(struct backend *b)
{
	struct crm_interaction ix;
	struct store_db *db;

	assert_int_equal(store_db_open(b->url, &db), 0);
	sample(&ix, "acme", "i2", T0 + 60000);
	ix.ntimeline = 1;
	ix.notes = "said \"call back\", later";
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	sample(&ix, "acme", "i1", T0);
	ix.ntimeline = 0;
	ix.answered_ms = 0;
	ix.agent = NULL;
	ix.talk_ms = 0;
	ix.abandoned = true;
	ix.disposition = NULL;
	ix.recording = NULL;
	ix.offered_ms = 0;
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	sample(&ix, "beta", "j1", T0 + 30000);
	ix.ntimeline = 0;
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	sample(&ix, "acme", "old", T0 - 86400000);
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
	store_db_close(db);
}

static char *export_to_string(struct backend *b, const char *tenant, int64_t since,
			      enum store_export_format fmt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(store_export_interactions(b->url, tenant, since, fmt, f), 0);
	fclose(f);
	return text;
}

static const char golden_jsonl[] =
    "{\"id\":\"i1\",\"tenant\":\"acme\",\"channel\":\"voice\",\"direction\":\"inbound\","
    "\"contact\":null,\"from\":\"+48601234567\",\"to\":\"200\",\"number\":\"200\","
    "\"queue\":\"support\",\"agent\":null,\"created\":\"2025-11-23T10:00:00.000Z\","
    "\"queued\":\"2025-11-23T10:00:04.000Z\",\"offered\":null,\"answered\":null,"
    "\"ended\":\"2025-11-23T10:01:09.000Z\",\"wait_s\":5,\"talk_s\":0,\"hold_s\":0,"
    "\"wrapup_s\":0,\"abandoned\":true,\"disposition\":null,\"notes\":null,\"recording\":null,"
    "\"campaign\":null,\"hangup_by\":\"caller\",\"timeline\":[]}\n"
    "{\"id\":\"i2\",\"tenant\":\"acme\",\"channel\":\"voice\",\"direction\":\"inbound\","
    "\"contact\":null,\"from\":\"+48601234567\",\"to\":\"200\",\"number\":\"200\","
    "\"queue\":\"support\",\"agent\":\"alice\",\"created\":\"2025-11-23T10:01:00.000Z\","
    "\"queued\":\"2025-11-23T10:01:04.000Z\",\"offered\":\"2025-11-23T10:01:05.000Z\","
    "\"answered\":\"2025-11-23T10:01:09.000Z\",\"ended\":\"2025-11-23T10:02:09.000Z\","
    "\"wait_s\":5,\"talk_s\":60,\"hold_s\":0,\"wrapup_s\":0,\"abandoned\":false,"
    "\"disposition\":\"resolved\",\"notes\":\"said \\\"call back\\\", later\","
    "\"recording\":\"var/recordings/x.wav\",\"campaign\":null,\"hangup_by\":\"caller\","
    "\"timeline\":[{\"ts\":\"2025-11-23T10:00:00.000Z\",\"event\":\"created\"}]}\n";

static const char golden_csv[] =
    "id,tenant,channel,direction,contact,from,to,number,queue,agent,created,queued,offered,"
    "answered,ended,wait_s,talk_s,hold_s,wrapup_s,abandoned,disposition,notes,recording,"
    "campaign,hangup_by,timeline\r\n"
    "i1,acme,voice,inbound,,+48601234567,200,200,support,,2025-11-23T10:00:00.000Z,"
    "2025-11-23T10:00:04.000Z,,,2025-11-23T10:01:09.000Z,5,0,0,0,true,,,,,caller,[]\r\n"
    "i2,acme,voice,inbound,,+48601234567,200,200,support,alice,2025-11-23T10:01:00.000Z,"
    "2025-11-23T10:01:04.000Z,2025-11-23T10:01:05.000Z,2025-11-23T10:01:09.000Z,"
    "2025-11-23T10:02:09.000Z,5,60,0,0,false,resolved,\"said \"\"call back\"\", later\","
    "var/recordings/x.wav,,caller,\"[{\"\"ts\"\":\"\"2025-11-23T10:00:00.000Z\"\","
    "\"\"event\"\":\"\"created\"\"}]\"\r\n";

static void test_export_jsonl_golden(void **state)
{
	struct backend *b = *state;
	char *text;

	put_export_rows(b);
	text = export_to_string(b, "acme", T0, STORE_EXPORT_JSONL);
	assert_string_equal(text, golden_jsonl);
	free(text);
}

static void test_export_csv_golden(void **state)
{
	struct backend *b = *state;
	char *text;

	put_export_rows(b);
	text = export_to_string(b, "acme", T0, STORE_EXPORT_CSV);
	assert_string_equal(text, golden_csv);
	free(text);
}

static void test_export_all_tenants_in_time_order(void **state)
{
	struct backend *b = *state;
	char *text, *p;
	const char *order[] = {"\"id\":\"old\"", "\"id\":\"i1\"", "\"id\":\"j1\"", "\"id\":\"i2\""};

	put_export_rows(b);
	text = export_to_string(b, NULL, 0, STORE_EXPORT_JSONL);
	p = text;
	for (size_t i = 0; i < 4; i++) {
		p = strstr(p, order[i]);
		assert_non_null(p);
	}
	free(text);
}

static void test_export_cli_reads_store_from_config(void **state)
{
	struct backend *b = *state;
	char cfgpath[300], outpath[300], yaml[800], *text = NULL;
	char *argv[] = {"export",   "interactions", "--config",
			cfgpath,    "--since",	    "2025-11-23T10:00:00Z",
			"--tenant", "acme",	    "--format=jsonl",
			NULL};
	char *bad[] = {"export", "interactions", "--config", cfgpath, "--format", "xml", NULL};
	size_t len = 0;
	FILE *f;
	int saved, fd, rc;

	put_export_rows(b);
	snprintf(cfgpath, sizeof(cfgpath), "%s/centrala.yaml", b->dir);
	snprintf(outpath, sizeof(outpath), "%s/out.jsonl", b->dir);
	snprintf(yaml, sizeof(yaml), "store: \"%s\"\ntenants: [{id: acme}]\n", b->url);
	f = fopen(cfgpath, "w");
	assert_non_null(f);
	fputs(yaml, f);
	fclose(f);
	fflush(stdout);
	saved = dup(1);
	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	rc = store_export_cli(9, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(fd);
	assert_int_equal(rc, 0);
	f = fopen(outpath, "r");
	assert_non_null(f);
	text = malloc(8192);
	len = fread(text, 1, 8191, f);
	text[len] = '\0';
	fclose(f);
	assert_string_equal(text, golden_jsonl);
	free(text);
	assert_int_equal(store_export_cli(6, bad), 2);
}

/* ---- the spool --------------------------------------------------------------------------------
 */

/* Holds SQLite's write lock from another connection, as a long transaction would. */
static sqlite3 *lock_sqlite(struct backend *b)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(b->url + 7, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void unlock_sqlite(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void submit_range(struct store *s, struct mq *q, size_t from, size_t to)
{
	struct crm_interaction ix;
	char id[32];

	for (size_t i = from; i < to; i++) {
		snprintf(id, sizeof(id), "ix-%05zu", i);
		sample(&ix, "acme", id, T0 + (int64_t)i);
		assert_int_equal(store_interaction_submit(s, &ix, q, i), 0);
	}
}

static void test_spool_keeps_records_while_database_locked(void **state)
{
	enum { N = 300 };
	struct backend *b = *state;
	struct store *s;
	struct store_stats st;
	struct mq *q;
	size_t counts[8] = {0};
	sqlite3 *lock;

	if (b->pg_url)
		skip(); /* the PostgreSQL outage test below covers that back end */
	s = make_store(b, 20);
	assert_int_equal(mq_alloc(&q, 2 * N), 0);
	lock = lock_sqlite(b);
	submit_range(s, q, 0, N);
	assert_int_equal(wait_msgs(q, N, 20000, counts, NULL), N);
	if (counts[STORE_MSG_SPOOLED] != N)
		fail_msg("spooled %zu committed %zu failed %zu", counts[STORE_MSG_SPOOLED],
			 counts[STORE_MSG_COMMITTED], counts[STORE_MSG_FAILED]);
	store_stats(s, &st);
	assert_false(st.db_up);
	assert_int_equal(st.spool_backlog, N);
	assert_true(st.spool_bytes > 0);
	unlock_sqlite(lock);
	/* Once the lock is gone the spool is replayed and each record confirmed. */
	memset(counts, 0, sizeof(counts));
	assert_int_equal(wait_msgs(q, N, 20000, counts, NULL), N);
	assert_int_equal(counts[STORE_MSG_COMMITTED], N);
	store_stats(s, &st);
	assert_int_equal(st.spool_backlog, 0);
	assert_int_equal(st.replayed, N);
	assert_true(st.db_up);
	store_destroy(s);
	assert_int_equal(count_interactions(b, "acme"), N);
	mq_free(q);
}

static void test_spool_replayed_by_next_start(void **state)
{
	enum { N = 200 };
	struct backend *b = *state;
	struct store *s;
	struct store_stats st;
	sqlite3 *lock;
	int fd;

	if (b->pg_url)
		skip();
	s = make_store(b, 20);
	lock = lock_sqlite(b);
	submit_range(s, NULL, 0, N);
	store_destroy(s); /* the database is still locked: everything goes to the spool */
	/* A crash in the middle of an append leaves a torn record at the end. */
	fd = open(b->spool, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x40\x00\x00\x00garbage", 11), 11);
	close(fd);
	unlock_sqlite(lock);
	s = make_store(b, 0);
	wait_committed(s, N, 20000);
	store_stats(s, &st);
	assert_int_equal(st.spool_backlog, 0);
	store_destroy(s);
	assert_int_equal(count_interactions(b, "acme"), N);
}

static void test_full_spool_keeps_records_in_memory_then_refuses(void **state)
{
	struct backend *b = *state;
	struct store_opts o = {.spool_path = b->spool,
			       .spool_max_bytes = 4096,
			       .queue_max = 50,
			       .busy_timeout_ms = 20,
			       .retry_max_ms = 200};
	struct crm_interaction ix;
	struct store_stats st;
	struct store *s;
	size_t accepted = 0, i;
	char id[32];
	sqlite3 *lock;
	int err = 0;

	if (b->pg_url)
		skip();
	assert_int_equal(store_create(b->url, &o, &s), 0);
	lock = lock_sqlite(b);
	/* The spool takes a few records, memory holds more, then submits are refused. */
	for (i = 0; i < 5000 && err != ENOBUFS; i++) {
		snprintf(id, sizeof(id), "ix-%05zu", i);
		sample(&ix, "acme", id, T0 + (int64_t)i);
		err = store_interaction_submit(s, &ix, NULL, 0);
		if (!err)
			accepted++;
		else
			usleep(2000); /* let the writer fill the spool */
		if (err == ENOBUFS) {
			store_stats(s, &st);
			if (st.spool_bytes + 1000 < o.spool_max_bytes)
				err = 0; /* the writer has not caught up yet */
		}
	}
	assert_int_equal(err, ENOBUFS);
	store_stats(s, &st);
	assert_true(st.dropped >= 1);
	assert_true(st.spool_bytes <= o.spool_max_bytes);
	assert_true(st.spool_backlog >= 1);
	assert_true(accepted > st.spool_backlog);
	unlock_sqlite(lock);
	/* Everything accepted arrives; nothing refused was counted as accepted. */
	wait_committed(s, accepted, 20000);
	store_destroy(s);
	assert_int_equal(count_interactions(b, "acme"), accepted);
}

static int run_script(const char *script, const char *dir)
{
	char cmd[1400];

	snprintf(cmd, sizeof(cmd), "tests/store/%s '%s' >/dev/null", script, dir);
	return system(cmd);
}

static void test_pg_outage_spools_then_recovers(void **state)
{
	enum { BEFORE = 200, DURING = 300, AFTER = 200, N = BEFORE + DURING + AFTER };
	struct backend *b = *state;
	const char *dir = getenv("CENTRALA_TEST_PG_DIR");
	struct store *s;
	struct store_stats st;
	struct mq *q;
	size_t counts[8] = {0};

	if (!b->pg_url || !dir)
		skip();
	s = make_store(b, 0);
	assert_int_equal(mq_alloc(&q, 2 * N), 0);
	submit_range(s, q, 0, BEFORE);
	assert_int_equal(wait_msgs(q, BEFORE, 20000, counts, NULL), BEFORE);
	assert_int_equal(counts[STORE_MSG_COMMITTED], BEFORE);

	assert_int_equal(run_script("pg-stop", dir), 0);
	submit_range(s, q, BEFORE, BEFORE + DURING);
	memset(counts, 0, sizeof(counts));
	assert_int_equal(wait_msgs(q, DURING, 30000, counts, NULL), DURING);
	assert_int_equal(counts[STORE_MSG_SPOOLED], DURING);
	store_stats(s, &st);
	assert_false(st.db_up);
	assert_int_equal(st.spool_backlog, DURING);

	assert_int_equal(run_script("pg-start", dir), 0);
	submit_range(s, q, BEFORE + DURING, N);
	memset(counts, 0, sizeof(counts));
	/* Records submitted before the writer has seen the database back are spooled
	 * behind the others (order is kept); every one of them is committed in the end. */
	{
		uint64_t until = clock_mono_ms() + 30000;
		while (counts[STORE_MSG_COMMITTED] < DURING + AFTER && clock_mono_ms() < until)
			wait_msgs(q, 2 * N, 200, counts, NULL);
	}
	assert_int_equal(counts[STORE_MSG_COMMITTED], DURING + AFTER);
	assert_true(counts[STORE_MSG_SPOOLED] <= AFTER);
	store_stats(s, &st);
	assert_true(st.db_up);
	assert_int_equal(st.spool_backlog, 0);
	assert_int_equal(st.committed, N);
	assert_true(st.reconnects >= 1);
	store_destroy(s);
	assert_int_equal(count_interactions(b, "acme"), N);
	mq_free(q);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_migrates_empty_database_to_latest),
	    T(test_schema_same_on_both_backends),
	    T(test_old_schema_migrates_without_loss),
	    T(test_default_spool_path_and_one_store_per_spool),
	    T(test_refuses_unknown_url_and_reports_unreachable),
	    T(test_call_without_tenant_is_caught),
	    T(test_tenants_do_not_see_each_other),
	    T(test_interaction_round_trip_json),
	    T(test_interaction_submitted_again_replaces),
	    T(test_commit_reply_means_row_is_readable),
	    T(test_group_commit_waits_for_company),
	    T(test_destroy_commits_everything_queued),
	    T(test_full_queue_refuses_submit),
	    T(test_interactions_filtered_by_time_queue_agent),
	    T(test_agent_state_span_written_open_then_closed),
	    T(test_agent_state_left_open_ends_where_next_starts),
	    T(test_audit_entry_written),
	    T(test_audit_pages),
	    T(test_contact_round_trip),
	    T(test_contact_found_by_any_of_its_numbers),
	    T(test_shared_number_answers_most_recent_contact),
	    T(test_contacts_found_by_name_prefix_any_case),
	    T(test_contacts_found_by_email_phone_and_paged),
	    T(test_lookup_answers_through_queue),
	    T(test_lookup_creates_contact_for_unknown_caller),
	    T(test_export_jsonl_golden),
	    T(test_export_csv_golden),
	    T(test_export_all_tenants_in_time_order),
	    T(test_export_cli_reads_store_from_config),
	    T(test_spool_keeps_records_while_database_locked),
	    T(test_spool_replayed_by_next_start),
	    T(test_full_spool_keeps_records_in_memory_then_refuses),
	    T(test_pg_outage_spools_then_recovers),
	};
	int failed;

	/* Quiet: the store logs migrations and outages, which these tests cause on purpose;
	 * CENTRALA_TEST_LOG=1 shows them. */
	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed = cmocka_run_group_tests_name("store on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("store on postgresql", tests, group_pg, NULL);
	else
		printf("store on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
