/*
 * The store's webhooks, webhook deliveries and API keys (schema 5), on SQLite and, when
 * CENTRALA_TEST_PG holds a connection URL, again on that PostgreSQL server (the schema
 * is dropped and recreated for each test; tests/store/run sets it).
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
#include "store/store.h"

#include "test_store_fixture.h"

/* Rows gathered as "field|field|..." lines. */
struct rows {
	char text[4096];
	size_t n;
};

static void add(struct rows *r, const char *line)
{
	size_t len = strlen(r->text);

	snprintf(r->text + len, sizeof(r->text) - len, "%s\n", line);
	r->n++;
}

static int hook_row(const struct store_webhook *w, void *arg)
{
	char line[512];

	snprintf(line, sizeof(line), "%s|%s|%s|%s|%s|%lld|%lld", w->tenant, w->id, w->url,
		 w->events, w->secret, (long long)w->created_ms, (long long)w->updated_ms);
	add(arg, line);
	return 0;
}

static int delivery_row(const struct store_delivery *d, void *arg)
{
	char line[512];

	snprintf(line, sizeof(line), "%s|%s|%llu|%s|%s|%s|%u|%lld|%d|%s", d->id, d->webhook,
		 (unsigned long long)d->event_seq, d->event_type, d->body ? d->body : "-", d->state,
		 d->attempts, (long long)d->next_ms, d->last_status,
		 d->last_error ? d->last_error : "-");
	add(arg, line);
	return 0;
}

static int key_row(const struct store_api_key *k, void *arg)
{
	char line[512];

	snprintf(line, sizeof(line), "%s|%s|%s|%s|%s|%lld", k->id, k->name, k->hash, k->roles,
		 k->created_by ? k->created_by : "-", (long long)k->created_ms);
	add(arg, line);
	return 0;
}

static void test_webhook_made_listed_changed_deleted_per_tenant(void **state)
{
	struct backend *b = *state;
	struct store_webhook w = {.tenant = "acme",
				  .id = "crm",
				  .url = "http://127.0.0.1:9/a",
				  .events = "[\"*\"]",
				  .secret = "s1-0123456789abcdef",
				  .created_ms = 1000,
				  .updated_ms = 1000};
	struct rows r = {0};

	assert_int_equal(store_db_webhook_insert(b->db, &w), 0);
	assert_int_equal(store_db_webhook_insert(b->db, &w), EEXIST);
	w.tenant = "beta";
	assert_int_equal(store_db_webhook_insert(b->db, &w), 0); /* ids are per tenant */
	assert_int_equal(store_db_webhooks(b->db, "acme", hook_row, &r), 0);
	assert_string_equal(r.text, "acme|crm|http://127.0.0.1:9/a|[\"*\"]|s1-0123456789abcdef|"
				    "1000|1000\n");
	/* An update without a secret keeps it. */
	w.tenant = "acme";
	w.url = "http://127.0.0.1:9/b";
	w.events = "[\"agent.state\"]";
	w.secret = NULL;
	w.updated_ms = 2000;
	assert_int_equal(store_db_webhook_update(b->db, &w), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_webhooks(b->db, "acme", hook_row, &r), 0);
	assert_string_equal(r.text, "acme|crm|http://127.0.0.1:9/b|[\"agent.state\"]|"
				    "s1-0123456789abcdef|1000|2000\n");
	w.secret = "s2-0123456789abcdef";
	assert_int_equal(store_db_webhook_update(b->db, &w), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_webhooks(b->db, "acme", hook_row, &r), 0);
	assert_non_null(strstr(r.text, "|s2-0123456789abcdef|"));
	assert_int_equal(store_db_webhook_delete(b->db, "acme", "crm"), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_webhooks(b->db, "acme", hook_row, &r), 0);
	assert_int_equal(r.n, 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_webhooks(b->db, "beta", hook_row, &r), 0);
	assert_int_equal(r.n, 1); /* the other tenant's stays */
}

static void test_delivery_pending_until_delivered_then_logged(void **state)
{
	struct backend *b = *state;
	struct store_delivery d = {.tenant = "acme",
				   .id = "d1",
				   .webhook = "crm",
				   .event_seq = 7,
				   .event_type = "agent.state",
				   .body = "{\"seq\":7}",
				   .created_ms = 5000};
	struct rows r = {0};

	assert_int_equal(store_db_delivery_insert(b->db, &d), 0);
	assert_int_equal(store_db_delivery_insert(b->db, &d), 0); /* again: nothing changes */
	d.id = "d2";
	d.event_seq = 8;
	d.body = "{\"seq\":8}";
	d.created_ms = 6000;
	assert_int_equal(store_db_delivery_insert(b->db, &d), 0);
	assert_int_equal(store_db_deliveries_pending(b->db, "acme", delivery_row, &r), 0);
	assert_string_equal(r.text, "d1|crm|7|agent.state|{\"seq\":7}|pending|0|5000|0|-\n"
				    "d2|crm|8|agent.state|{\"seq\":8}|pending|0|6000|0|-\n");
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_deliveries_pending(b->db, "beta", delivery_row, &r), 0);
	assert_int_equal(r.n, 0);

	/* d1 failed once (connection refused), then was delivered; d2 waits for a retry. */
	struct store_delivery u = {.tenant = "acme",
				   .id = "d1",
				   .state = "pending",
				   .attempts = 1,
				   .next_ms = 6000,
				   .last_error = "refused",
				   .updated_ms = 5001};
	assert_int_equal(store_db_delivery_update(b->db, &u), 0);
	u.state = "delivered";
	u.attempts = 2;
	u.last_status = 204;
	u.last_error = NULL;
	u.updated_ms = 6001;
	assert_int_equal(store_db_delivery_update(b->db, &u), 0);
	u.id = "d2";
	u.state = "pending";
	u.attempts = 1;
	u.next_ms = 7000;
	u.last_status = 500;
	u.last_error = "HTTP status 500";
	assert_int_equal(store_db_delivery_update(b->db, &u), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_deliveries_pending(b->db, "acme", delivery_row, &r), 0);
	/* Pending rows carry what a retry needs, not the last outcome (that is the log's). */
	assert_string_equal(r.text, "d2|crm|8|agent.state|{\"seq\":8}|pending|1|7000|0|-\n");
	/* The log: newest first, without bodies, limited. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_deliveries(b->db, "acme", "crm", 10, delivery_row, &r), 0);
	assert_string_equal(r.text, "d2|crm|8|agent.state|-|pending|1|7000|500|HTTP status 500\n"
				    "d1|crm|7|agent.state|-|delivered|2|6000|204|-\n");
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_deliveries(b->db, "acme", "crm", 1, delivery_row, &r), 0);
	assert_int_equal(r.n, 1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_deliveries(b->db, "beta", "crm", 10, delivery_row, &r), 0);
	assert_int_equal(r.n, 0);
	/* Deleting the webhook deletes its deliveries. */
	assert_int_equal(store_db_webhook_delete(b->db, "acme", "crm"), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_deliveries(b->db, "acme", "crm", 10, delivery_row, &r), 0);
	assert_int_equal(r.n, 0);
}

static void test_api_key_kept_as_hash_listed_and_revoked(void **state)
{
	struct backend *b = *state;
	struct store_api_key k = {.tenant = "acme",
				  .id = "k1",
				  .name = "crm sync",
				  .hash = "00ff",
				  .roles = "supervisor",
				  .created_by = "api:ada",
				  .created_ms = 100};
	struct rows r = {0};

	assert_int_equal(store_db_api_key_insert(b->db, &k), 0);
	k.id = "k2";
	assert_int_equal(store_db_api_key_insert(b->db, &k), EEXIST); /* the same hash */
	k.hash = "11ee";
	k.roles = "admin,agent";
	k.created_ms = 200;
	assert_int_equal(store_db_api_key_insert(b->db, &k), 0);
	assert_int_equal(store_db_api_keys(b->db, "acme", key_row, &r), 0);
	assert_string_equal(r.text, "k1|crm sync|00ff|supervisor|api:ada|100\n"
				    "k2|crm sync|11ee|admin,agent|api:ada|200\n");
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_api_keys(b->db, "beta", key_row, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(store_db_api_key_delete(b->db, "beta", "k1"), 0); /* not beta's */
	assert_int_equal(store_db_api_key_delete(b->db, "acme", "k1"), 0);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_db_api_keys(b->db, "acme", key_row, &r), 0);
	assert_string_equal(r.text, "k2|crm sync|11ee|admin,agent|api:ada|200\n");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh_db, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_webhook_made_listed_changed_deleted_per_tenant),
	    T(test_delivery_pending_until_delivered_then_logged),
	    T(test_api_key_kept_as_hash_listed_and_revoked),
	};
	int failed;

	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed =
	    cmocka_run_group_tests_name("webhooks and keys on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("webhooks and keys on postgresql", tests,
						      group_pg, NULL);
	else
		printf("webhooks and keys on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
