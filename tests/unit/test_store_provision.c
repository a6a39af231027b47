/*
 * Declarative provisioning of the store from the configuration's tenants section, on
 * SQLite and (with CENTRALA_TEST_PG) PostgreSQL: what a first run creates, that a
 * second run changes nothing and hashes nothing, that changes and prunes are applied
 * and audited, and that an invalid section is rejected whole with nothing half-applied.
 * Password hashing uses libsodium's minimum cost here to keep the tests fast.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "store/store.h"

/* ---- fixture (as in test_store.c) -------------------------------------------------------- */

#include "test_store_fixture.h"

/* The first column of the first row of `sql`, copied into out ("" when no row). */
static void raw_query(struct backend *b, const char *sql, char *out, size_t size)
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
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
}

static long raw_count(struct backend *b, const char *sql)
{
	char buf[32];

	raw_query(b, sql, buf, sizeof(buf));
	return atol(buf);
}

/* ---- configurations ------------------------------------------------------------------------ */

struct variant {
	const char *alice_password;
	const char *wrap_up;
	bool with_bob;
	bool prune;
	bool no_record; /* acme says `record: false` (otherwise the default, true) */
};

static struct cfg *config(const struct variant *v)
{
	/* libfyaml parses the text in place: it must outlive the configuration. */
	static char texts[4][4096];
	static unsigned next;
	char *yaml = texts[next++ % 4];
	struct cfg *c;

	snprintf(
	    yaml, sizeof(texts[0]),
	    "store: \"sqlite:unused.db\"\n"
	    "tenants:\n"
	    "  - id: acme\n"
	    "    name: ACME\n"
	    "    domain: acme.example\n"
	    "    timezone: Europe/Warsaw\n"
	    "    language: pl\n"
	    "    country: PL\n"
	    "    prune: %s\n"
	    "%s"
	    "    users:\n"
	    "      - {username: alice, name: Alice Nowak, password: \"%s\", roles: [agent],\n"
	    "         sip: {user: alice, password: alice-phone-secret}, skills: {support: 5},\n"
	    "         auto_ready: true}\n"
	    "%s"
	    "    queues:\n"
	    "      - {id: support, strategy: longest-idle, skills: {support: 1},\n"
	    "         ring_timeout: 15s, wrap_up: %s}\n"
	    "%s"
	    "    numbers:\n"
	    "      - {number: \"200\", queue: support}\n"
	    "      - {number: \"300\", user: alice}\n"
	    "    trunks:\n"
	    "      - {id: pstn, uri: \"sip:127.0.0.1:5090\", username: acme,\n"
	    "         password: trunk-secret-value}\n"
	    "    flows:\n"
	    "      main: {start: hello, nodes: {hello: {type: queue, queue: support}}}\n"
	    "    reason_codes: [break, lunch]\n"
	    "    dispositions: [resolved, callback]\n"
	    "  - id: beta\n"
	    "    users:\n"
	    "      - {username: carol, password: carol-secret, roles: [admin]}\n",
	    v->prune ? "true" : "false", v->no_record ? "    record: false\n" : "",
	    v->alice_password,
	    v->with_bob ? "      - {username: bob, password: bob-secret, roles: [agent, "
			  "supervisor]}\n"
			: "",
	    v->wrap_up,
	    v->with_bob ? "      - {id: sales, strategy: best-skill, skills: {support: 3}}\n" : "");
	assert_int_equal(cfg_load_string("centrala.yaml", yaml, &c), 0);
	for (size_t i = 0; i < cfg_error_count(c); i++)
		fail_msg("%s", cfg_error_at(c, i));
	return c;
}

static const struct variant base = {"alice-secret-1", "5s", true, false, false};

/* Objects in `base`: 2 tenants, 3 users, 2 queues, 2 numbers, 1 trunk, 1 flow, 2 reason
 * codes, 2 dispositions for acme, and beta's default reason codes. */
static const struct store_provision_opts fast = {.opslimit = crypto_pwhash_OPSLIMIT_MIN,
						 .memlimit = crypto_pwhash_MEMLIMIT_MIN};

static int provision(struct backend *b, const struct variant *v, struct store_provision_report *rep)
{
	struct store_db *db;
	struct cfg *c = config(v);
	int err;

	assert_int_equal(store_db_open(b->url, &db), 0);
	err = store_db_provision(db, c, &fast, rep);
	store_db_close(db);
	cfg_free(c);
	return err;
}

static int verify(struct backend *b, const char *tenant, const char *user, const char *pw)
{
	struct store_db *db;
	int err;

	assert_int_equal(store_db_open(b->url, &db), 0);
	err = store_db_user_verify(db, tenant, user, pw);
	store_db_close(db);
	return err;
}

static int collect_audit(const struct store_audit *a, void *arg)
{
	crm_buf_printf(arg, "%s %s %s %s\n", a->object, a->key, a->action,
		       a->detail ? a->detail : "-");
	return 0;
}

static char *audit_text(struct backend *b, const char *tenant)
{
	struct crm_buf out = {0};
	struct store_db *db;

	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_audit_log(db, tenant, 0, collect_audit, &out), 0);
	store_db_close(db);
	crm_buf_putc(&out, '\0');
	return out.p;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_first_run_creates_everything(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	char text[512], *audit;

	assert_int_equal(provision(b, &base, &rep), 0);
	assert_string_equal(rep.error, "");
	assert_int_equal(rep.hashed, 3);
	assert_int_equal(rep.updated + rep.deleted + rep.unchanged, 0);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM tenants"), 2);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM users"), 3);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM queues"), 2);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM numbers"), 2);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM trunks"), 1);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM flows"), 1);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM dispositions"), 2);
	assert_int_equal(rep.created, raw_count(b, "SELECT COUNT(*) FROM audit_log"));
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), 0);
	assert_int_equal(verify(b, "beta", "carol", "carol-secret"), 0);
	raw_query(b, "SELECT body FROM queues WHERE tenant = 'acme' AND id = 'support'", text,
		  sizeof(text));
	assert_non_null(strstr(text, "\"strategy\":\"longest-idle\",\"skills\":{\"support\":1},"
				     "\"ring_timeout\":\"15s\",\"wrap_up\":\"5s\""));
	raw_query(b, "SELECT body FROM flows WHERE tenant = 'acme' AND name = 'main'", text,
		  sizeof(text));
	if (!strstr(text, "\"start\": \"hello\""))
		fail_msg("flow body: %s", text);
	raw_query(b, "SELECT body FROM numbers WHERE tenant = 'acme' AND number = '300'", text,
		  sizeof(text));
	assert_string_equal(text, "{\"number\":\"300\",\"user\":\"alice\"}");
	raw_query(b, "SELECT roles FROM users WHERE tenant = 'acme' AND username = 'bob'", text,
		  sizeof(text));
	assert_string_equal(text, "supervisor,agent");
	raw_query(b, "SELECT ha1_md5 FROM users WHERE tenant = 'acme' AND username = 'alice'", text,
		  sizeof(text));
	assert_int_equal(strlen(text), 32);
	raw_query(b, "SELECT country FROM tenants WHERE id = 'acme'", text, sizeof(text));
	assert_string_equal(text, "PL");
	audit = audit_text(b, "acme");
	assert_non_null(strstr(audit, "user alice create -\n"));
	assert_non_null(strstr(audit, "queue support create -\n"));
	free(audit);
}

static void test_second_run_changes_nothing_and_hashes_nothing(void **state)
{
	struct backend *b = *state;
	struct store_provision_report first, second;
	char hash1[256], hash2[256];
	long audits;

	assert_int_equal(provision(b, &base, &first), 0);
	raw_query(b, "SELECT password_hash FROM users WHERE username = 'alice'", hash1,
		  sizeof(hash1));
	audits = raw_count(b, "SELECT COUNT(*) FROM audit_log");
	assert_int_equal(provision(b, &base, &second), 0);
	assert_int_equal(second.created, 0);
	assert_int_equal(second.updated, 0);
	assert_int_equal(second.deleted, 0);
	assert_int_equal(second.hashed, 0);
	assert_int_equal(second.unchanged, first.created);
	raw_query(b, "SELECT password_hash FROM users WHERE username = 'alice'", hash2,
		  sizeof(hash2));
	assert_string_equal(hash1, hash2);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM audit_log"), audits);
}

static void test_changed_password_rehashes_that_user_only(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct variant v = base;
	char *audit;

	assert_int_equal(provision(b, &base, &rep), 0);
	v.alice_password = "alice-secret-2";
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.hashed, 1);
	assert_int_equal(rep.updated, 1);
	assert_int_equal(rep.created, 0);
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-2"), 0);
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), EACCES);
	audit = audit_text(b, "acme");
	/* The audit names the field; the value appears nowhere. */
	assert_non_null(strstr(audit, "user alice update password\n"));
	assert_null(strstr(audit, "alice-secret"));
	free(audit);
}

static void test_changed_queue_field_is_updated_and_audited(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct variant v = base;
	char *audit;

	assert_int_equal(provision(b, &base, &rep), 0);
	v.wrap_up = "30s";
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.updated, 1);
	assert_int_equal(rep.created + rep.deleted + rep.hashed, 0);
	audit = audit_text(b, "acme");
	assert_non_null(strstr(audit, "queue support update wrap_up\n"));
	free(audit);
}

static void test_record_flag_stored_and_change_audited(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct variant v = base;
	char text[16], *audit;

	/* Not written in the file: the default, record. */
	assert_int_equal(provision(b, &base, &rep), 0);
	raw_query(b, "SELECT record FROM tenants WHERE id = 'acme'", text, sizeof(text));
	assert_string_equal(text, "1");
	v.no_record = true;
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.updated, 1);
	assert_int_equal(rep.created + rep.deleted + rep.hashed, 0);
	raw_query(b, "SELECT record FROM tenants WHERE id = 'acme'", text, sizeof(text));
	assert_string_equal(text, "0");
	raw_query(b, "SELECT record FROM tenants WHERE id = 'beta'", text, sizeof(text));
	assert_string_equal(text, "1");
	audit = audit_text(b, "acme");
	assert_non_null(strstr(audit, "tenant acme update record\n"));
	free(audit);
	/* The same file again changes nothing. */
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.updated + rep.created + rep.deleted, 0);
}

static void test_objects_missing_from_file_stay_without_prune(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct variant v = base;

	assert_int_equal(provision(b, &base, &rep), 0);
	v.with_bob = false;
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.deleted, 0);
	assert_int_equal(verify(b, "acme", "bob", "bob-secret"), 0);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM queues WHERE tenant = 'acme'"), 2);
}

static void test_prune_deletes_objects_missing_from_file(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct variant v = base;
	char *audit;

	assert_int_equal(provision(b, &base, &rep), 0);
	v.with_bob = false;
	v.prune = true;
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.deleted, 2); /* bob and the sales queue */
	assert_int_equal(verify(b, "acme", "bob", "bob-secret"), ENOENT);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM queues WHERE tenant = 'acme'"), 1);
	/* beta is not pruning and lists nothing it lost. */
	assert_int_equal(verify(b, "beta", "carol", "carol-secret"), 0);
	audit = audit_text(b, "acme");
	assert_non_null(strstr(audit, "user bob delete -\n"));
	assert_non_null(strstr(audit, "queue sales delete -\n"));
	assert_non_null(strstr(audit, "tenant acme update prune\n"));
	free(audit);
}

/* Makes beta list carol twice, as a hand-edited file might; acme before it stays valid. */
static void duplicate_carol(struct cfg *c)
{
	struct cfg_tenant *beta = &c->tenants[1];
	struct cfg_user *users = realloc(beta->users, 2 * sizeof(*users));

	assert_non_null(users);
	beta->users = users;
	users[1] = users[0];
	users[1].username = strdup(users[0].username);
	users[1].password = NULL;
	users[1].name = NULL;
	users[1].sip_user = NULL;
	users[1].skills = NULL;
	users[1].nskills = 0;
	users[1].queues = NULL;
	users[1].nqueues = 0;
	users[1].language = NULL;
	beta->nusers = 2;
}

static void test_invalid_section_rejected_whole(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct cfg *c = config(&base);
	struct store_db *db;
	int err;

	duplicate_carol(c);
	assert_int_equal(store_db_open(b->url, &db), 0);
	err = store_db_provision(db, c, &fast, &rep);
	store_db_close(db);
	assert_int_equal(err, EINVAL);
	assert_non_null(strstr(rep.error, "tenants[1].users[1].username: duplicate \"carol\""));
	assert_int_equal(strncmp(rep.error, "centrala.yaml:", 14), 0);
	assert_int_equal(rep.created + rep.hashed, 0);
	/* Nothing of acme, the valid first tenant, was written. */
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM tenants"), 0);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM users"), 0);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM audit_log"), 0);
	cfg_free(c);
}

static void test_invalid_section_keeps_what_was_applied_before(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct variant v = base;
	struct store_db *db;
	struct cfg *c;
	char text[512];
	long audits;
	int err;

	assert_int_equal(provision(b, &base, &rep), 0);
	audits = raw_count(b, "SELECT COUNT(*) FROM audit_log");
	/* The next file changes acme's queue and password, and is invalid further down. */
	v.wrap_up = "30s";
	v.alice_password = "alice-secret-2";
	c = config(&v);
	duplicate_carol(c);
	assert_int_equal(store_db_open(b->url, &db), 0);
	err = store_db_provision(db, c, &fast, &rep);
	store_db_close(db);
	cfg_free(c);
	assert_int_equal(err, EINVAL);
	assert_non_null(strstr(rep.error, "tenants[1].users[1].username: duplicate \"carol\""));
	raw_query(b, "SELECT body FROM queues WHERE tenant = 'acme' AND id = 'support'", text,
		  sizeof(text));
	assert_non_null(strstr(text, "\"wrap_up\":\"5s\""));
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), 0);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM audit_log"), audits);
}

static void test_constraint_violation_rolls_back_every_tenant(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct store_db *db;
	struct cfg *c;
	int err;

	/* A tenant provisioned earlier (and not in the new file) owns a SIP domain. */
	assert_int_equal(
	    cfg_load_string("old.yaml", "tenants: [{id: gamma, domain: shared.example}]\n", &c), 0);
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_provision(db, c, &fast, &rep), 0);
	cfg_free(c);
	/* The new file: acme is fine, beta claims gamma's domain. */
	c = config(&base);
	free(c->tenants[1].domain);
	c->tenants[1].domain = strdup("shared.example");
	err = store_db_provision(db, c, &fast, &rep);
	store_db_close(db);
	cfg_free(c);
	assert_int_equal(err, EEXIST);
	assert_non_null(strstr(rep.error, "tenants[1] (beta): "));
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM tenants"), 1);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM users"), 0);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM audit_log WHERE tenant <> 'gamma'"), 0);
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), ENOENT);
}

static void test_secrets_never_logged_or_stored_plain(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct variant v = base;
	char logpath[300], buf[65536], text[4096];
	ssize_t n;
	int fd;

	snprintf(logpath, sizeof(logpath), "%s/log", b->dir);
	fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	log_setup(LOG_LEVEL_DEBUG, fd);
	assert_int_equal(provision(b, &base, &rep), 0);
	v.alice_password = "alice-secret-2";
	assert_int_equal(provision(b, &v, &rep), 0);
	log_setup((enum log_level)(LOG_LEVEL_ERROR + 1), 2);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "event=provisioned"));
	assert_null(strstr(buf, "secret"));
	raw_query(b, "SELECT password_hash FROM users WHERE username = 'alice'", text,
		  sizeof(text));
	assert_int_equal(strncmp(text, "$argon2id$", 10), 0);
	assert_null(strstr(text, "secret"));
	raw_query(b, "SELECT ha1_md5 || ha1_sha256 FROM users WHERE username = 'alice'", text,
		  sizeof(text));
	assert_null(strstr(text, "phone"));
}

static void test_user_verify_answers(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;

	assert_int_equal(provision(b, &base, &rep), 0);
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), 0);
	assert_int_equal(verify(b, "acme", "alice", "wrong"), EACCES);
	assert_int_equal(verify(b, "acme", "nobody", "x"), ENOENT);
	assert_int_equal(verify(b, "beta", "alice", "alice-secret-1"), ENOENT);
}

static void test_provision_alongside_running_store(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct crm_interaction ix = {.tenant = "acme", .id = "i1", .created_ms = 1};
	struct store *s;
	struct cfg *c = config(&base);
	char spool[300];
	struct store_opts o = {.spool_path = spool};

	snprintf(spool, sizeof(spool), "%s/spool", b->dir);
	assert_int_equal(store_create(b->url, &o, &s), 0);
	assert_int_equal(store_interaction_submit(s, &ix, NULL, 0), 0);
	assert_int_equal(store_provision(s, c, &fast, &rep), 0);
	assert_int_equal(rep.hashed, 3);
	assert_int_equal(store_flush(s, 10000), 0);
	store_destroy(s);
	cfg_free(c);
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), 0);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM interactions"), 1);
}

/* ---- objects made through the API ------------------------------------------------------ */

static int collect_keys(const char *key, const char *body, void *arg)
{
	crm_buf_printf(arg, "%s=%s\n", key, body);
	return 0;
}

static char *api_objects(struct backend *b, const char *tenant, const char *kind)
{
	struct crm_buf out = {0};
	struct store_db *db;

	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_objects_api(db, tenant, kind, collect_keys, &out), 0);
	store_db_close(db);
	crm_buf_putc(&out, '\0');
	return out.p;
}

static void api_put(struct backend *b, const char *key, const char *body)
{
	struct store_db *db;

	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_object_put(db, "acme", "numbers", key, body), 0);
	store_db_close(db);
}

static void test_api_objects_survive_the_files_prune(void **state)
{
	struct backend *b = *state;
	struct variant v = base;
	struct store_provision_report rep;
	char *got;

	v.prune = true;
	assert_int_equal(provision(b, &v, &rep), 0);
	api_put(b, "555", "{\"number\":\"555\",\"queue\":\"support\"}");
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.deleted, 0);
	got = api_objects(b, "acme", "numbers");
	assert_string_equal(got, "555={\"number\":\"555\",\"queue\":\"support\"}\n");
	free(got);
	assert_int_equal(raw_count(b, "SELECT COUNT(*) FROM numbers WHERE tenant = 'acme'"), 3);
	/* Another tenant sees none of them. */
	got = api_objects(b, "beta", "numbers");
	assert_string_equal(got, "");
	free(got);
}

static void test_file_takes_over_an_api_object(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	char *got;

	assert_int_equal(provision(b, &base, &rep), 0);
	api_put(b, "200", "{\"number\":\"200\",\"queue\":\"elsewhere\"}");
	api_put(b, "556", "{\"number\":\"556\",\"user\":\"alice\"}");
	got = api_objects(b, "acme", "numbers");
	assert_non_null(strstr(got, "200="));
	free(got);
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(provision(b, &base, &rep), 0);
	assert_int_equal(rep.updated, 1); /* 200 is the file's again */
	got = api_objects(b, "acme", "numbers");
	assert_string_equal(got, "556={\"number\":\"556\",\"user\":\"alice\"}\n");
	free(got);
}

static void test_api_object_delete_and_bad_kind(void **state)
{
	struct backend *b = *state;
	struct store_provision_report rep;
	struct store_db *db;
	char *got;

	assert_int_equal(provision(b, &base, &rep), 0);
	api_put(b, "557", "{\"number\":\"557\",\"user\":\"alice\"}");
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_object_put(db, "acme", "gadgets", "x", "{}"), EINVAL);
	assert_int_equal(store_db_object_delete(db, "acme", "numbers", "557"), 0);
	store_db_close(db);
	got = api_objects(b, "acme", "numbers");
	assert_string_equal(got, "");
	free(got);
}

/* A user the API writes: `json` parsed as the API parses it, in acme's realm. */
static int api_user(struct backend *b, const char *json)
{
	struct store_db *db;
	struct cfg *c;
	int err;

	assert_int_equal(cfg_load_fragment_in("acme", "acme.example", "users", json, &c), 0);
	assert_int_equal(cfg_error_count(c), 0);
	assert_int_equal(store_db_open(b->url, &db), 0);
	err = store_db_user_put_api(db, "acme", &c->tenants[0].users[0], "{}",
				    crypto_pwhash_OPSLIMIT_MIN);
	store_db_close(db);
	cfg_free(c);
	return err;
}

static int collect_user(const char *key, const char *body, const char *md5, const char *sha,
			void *arg)
{
	crm_buf_printf(arg, "%s %s %s\n", key, body, md5 && sha ? "ha1" : "-");
	return 0;
}

static void test_api_users_survive_prune_and_never_replace_the_files(void **state)
{
	struct backend *b = *state;
	struct variant v = base;
	struct store_provision_report rep;
	struct crm_buf out = {0};
	struct store_db *db;
	char hash[256];
	unsigned roles;

	v.prune = true;
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(api_user(b, "{\"username\": \"zed\", \"password\": \"zed-secret\", "
				     "\"roles\": [\"agent\", \"qa\"], \"sip\": {\"user\": "
				     "\"zed\", \"password\": \"zed-phone\"}}"),
			 0);
	assert_int_equal(verify(b, "acme", "zed", "zed-secret"), 0);
	raw_query(b, "SELECT password_hash FROM users WHERE username = 'zed'", hash, sizeof(hash));
	assert_non_null(strstr(hash, "$argon2id$"));
	/* Written again without passwords: the stored ones stay. */
	assert_int_equal(api_user(b, "{\"username\": \"zed\", \"roles\": [\"agent\"], "
				     "\"sip\": {\"user\": \"zed\"}}"),
			 0);
	assert_int_equal(verify(b, "acme", "zed", "zed-secret"), 0);
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(provision(b, &v, &rep), 0);
	assert_int_equal(rep.deleted, 0); /* the file's prune leaves the API's user */
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_user_roles(db, "acme", "zed", &roles), 0);
	assert_int_equal(roles, CFG_ROLE_AGENT);
	assert_int_equal(store_db_user_roles(db, "acme", "alice", &roles), ENOENT); /* file's */
	assert_int_equal(store_db_users_api(db, "acme", collect_user, &out), 0);
	crm_buf_putc(&out, '\0');
	assert_string_equal(out.p, "zed {} ha1\n");
	crm_buf_free(&out);
	store_db_close(db);
	/* The API never writes over a user of the file. */
	assert_int_equal(api_user(b, "{\"username\": \"alice\", \"password\": \"taken\"}"), 0);
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), 0);
	assert_int_equal(store_db_open(b->url, &db), 0);
	assert_int_equal(store_db_user_delete_api(db, "acme", "alice"), 0);
	assert_int_equal(store_db_user_delete_api(db, "acme", "zed"), 0);
	store_db_close(db);
	assert_int_equal(verify(b, "acme", "alice", "alice-secret-1"), 0);
	assert_int_equal(verify(b, "acme", "zed", "zed-secret"), ENOENT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_first_run_creates_everything),
	    T(test_second_run_changes_nothing_and_hashes_nothing),
	    T(test_changed_password_rehashes_that_user_only),
	    T(test_changed_queue_field_is_updated_and_audited),
	    T(test_record_flag_stored_and_change_audited),
	    T(test_objects_missing_from_file_stay_without_prune),
	    T(test_prune_deletes_objects_missing_from_file),
	    T(test_invalid_section_rejected_whole),
	    T(test_invalid_section_keeps_what_was_applied_before),
	    T(test_constraint_violation_rolls_back_every_tenant),
	    T(test_secrets_never_logged_or_stored_plain),
	    T(test_user_verify_answers),
	    T(test_provision_alongside_running_store),
	    T(test_api_objects_survive_the_files_prune),
	    T(test_file_takes_over_an_api_object),
	    T(test_api_object_delete_and_bad_kind),
	    T(test_api_users_survive_prune_and_never_replace_the_files),
	};
	int failed;

	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed = cmocka_run_group_tests_name("provisioning on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("provisioning on postgresql", tests, group_pg,
						      NULL);
	else
		printf("provisioning on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
