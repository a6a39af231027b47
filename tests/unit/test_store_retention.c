/*
 * Retention (src/store/retention.c): recordings (with every segment the timeline names),
 * notes, written channels' texts and attachments, chat rows and web callbacks' numbers
 * of interactions past the tenant's limits are deleted, the interactions stay,
 * legal holds and other tenants are untouched, and an audit entry records the run. On
 * SQLite, and again on PostgreSQL when CENTRALA_TEST_PG is set (tests/store/run).
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
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/store.h"

#define DAY (24LL * 3600 * 1000)

static char dir[256], url[600];

static int fresh(void **state)
{
	const char *pg = getenv("CENTRALA_TEST_PG");

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/centrala-retention-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (pg) {
		PGconn *c = PQconnectdb(pg);
		PGresult *r = PQexec(c, "SET client_min_messages = warning; DROP SCHEMA public "
					"CASCADE; CREATE SCHEMA public");
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		PQfinish(c);
		if (!ok)
			return -1;
		snprintf(url, sizeof(url), "%s", pg);
	} else {
		snprintf(url, sizeof(url), "sqlite:%s/centrala.db", dir);
	}
	return 0;
}

static int cleanup(void **state)
{
	char cmd[400];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("RIFF", f);
	fclose(f);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* An interaction of `tenant` created `age_days` ago with a recording of two segments
 * (REC and REC-2, the second named only by the timeline) and notes. */
static void put(struct store_db *db, const char *tenant, const char *id, int age_days,
		char rec[300])
{
	char seg[320], tl[800];
	int64_t t = clock_wall_ms() - age_days * DAY;
	struct crm_interaction ix = {.tenant = tenant,
				     .id = id,
				     .channel = CRM_CHANNEL_VOICE,
				     .direction = CRM_DIR_INBOUND,
				     .from = "+48221234567",
				     .created_ms = t,
				     .answered_ms = t + 1000,
				     .ended_ms = t + 60000,
				     .notes = "customer's card ends 4242",
				     .recording = rec,
				     .timeline_json = tl};

	snprintf(rec, 300, "%s/%s-%s.wav", dir, tenant, id);
	snprintf(seg, sizeof(seg), "%s/%s-%s-2.wav", dir, tenant, id);
	snprintf(tl, sizeof(tl),
		 "[{\"ts\":\"x\",\"event\":\"created\"},{\"ts\":\"x\",\"event\":\"recording\","
		 "\"path\":\"%s\"},{\"ts\":\"x\",\"event\":\"recording\",\"path\":\"%s\"}]",
		 rec, seg);
	touch(rec);
	touch(seg);
	assert_int_equal(store_db_interaction_put(db, &ix), 0);
}

struct seen {
	const char *id;
	int found;
	char recording[300];
	char notes[100];
	char from[40];
	char timeline[1200];
};

static int find_ix(const struct crm_interaction *ix, void *arg)
{
	struct seen *s = arg;

	s->found = 1;
	snprintf(s->recording, sizeof(s->recording), "%s", ix->recording ? ix->recording : "");
	snprintf(s->notes, sizeof(s->notes), "%s", ix->notes ? ix->notes : "");
	snprintf(s->from, sizeof(s->from), "%s", ix->from ? ix->from : "");
	snprintf(s->timeline, sizeof(s->timeline), "%s",
		 ix->timeline_json ? ix->timeline_json : "");
	return 0;
}

static struct seen get(struct store_db *db, const char *tenant, const char *id)
{
	struct seen s = {.id = id};

	assert_int_equal(store_db_interaction_get(db, tenant, id, find_ix, &s), 0);
	assert_true(s.found);
	return s;
}

struct audit_seen {
	int n;
	char detail[256];
};

static int find_audit(const struct store_audit *a, void *arg)
{
	struct audit_seen *s = arg;

	if (a->actor && !strcmp(a->actor, "retention")) {
		s->n++;
		snprintf(s->detail, sizeof(s->detail), "%s", a->detail ? a->detail : "");
	}
	return 0;
}

static void test_old_recordings_and_notes_go_held_and_recent_stay(void **state)
{
	struct store_db *db;
	struct store_retention_report rep;
	struct audit_seen au = {0};
	char old[300], held[300], recent[300], other[300], seg[320];
	int64_t now = clock_wall_ms();

	(void)state;
	assert_int_equal(store_db_open(url, &db), 0);
	put(db, "acme", "OLD", 40, old);
	put(db, "acme", "HELD", 40, held);
	put(db, "acme", "RECENT", 5, recent);
	put(db, "other", "OLD", 40, other);
	assert_int_equal(store_db_legal_hold(db, "acme", "HELD", true), 0);

	/* Recordings after 30 days, notes after 10. */
	assert_int_equal(store_db_retention(db, "acme", now - 30 * DAY, now - 10 * DAY, &rep), 0);
	assert_int_equal(rep.recordings, 1);
	assert_int_equal(rep.files, 2);
	assert_int_equal(rep.bodies, 1);
	assert_int_equal(rep.held, 1);
	assert_int_equal(rep.failed, 0);

	assert_false(exists(old));
	snprintf(seg, sizeof(seg), "%s/acme-OLD-2.wav", dir);
	assert_false(exists(seg));
	assert_string_equal(get(db, "acme", "OLD").recording, "");
	assert_string_equal(get(db, "acme", "OLD").notes, "");

	assert_true(exists(held));
	assert_string_equal(get(db, "acme", "HELD").recording, held);
	assert_string_equal(get(db, "acme", "HELD").notes, "customer's card ends 4242");

	assert_true(exists(recent));
	assert_string_equal(get(db, "acme", "RECENT").recording, recent);
	assert_string_equal(get(db, "acme", "RECENT").notes, "customer's card ends 4242");

	assert_true(exists(other));
	assert_string_equal(get(db, "other", "OLD").recording, other);

	assert_int_equal(store_db_audit_log(db, "acme", 0, find_audit, &au), 0);
	assert_int_equal(au.n, 1);
	assert_non_null(strstr(au.detail, "recordings=1 files=2"));
	assert_non_null(strstr(au.detail, "bodies=1"));
	assert_non_null(strstr(au.detail, "held=1"));

	/* A second run finds nothing and writes no audit entry; lifting the hold lets the
	 * next run take that one too. */
	assert_int_equal(store_db_retention(db, "acme", now - 30 * DAY, now - 10 * DAY, &rep), 0);
	assert_int_equal(rep.recordings + rep.bodies, 0);
	au.n = 0;
	assert_int_equal(store_db_audit_log(db, "acme", 0, find_audit, &au), 0);
	assert_int_equal(au.n, 1);
	assert_int_equal(store_db_legal_hold(db, "acme", "HELD", false), 0);
	assert_int_equal(store_db_retention(db, "acme", now - 30 * DAY, 0, &rep), 0);
	assert_int_equal(rep.recordings, 1);
	assert_false(exists(held));
	assert_string_equal(get(db, "acme", "HELD").notes, "customer's card ends 4242");
	store_db_close(db);
}

static void test_a_file_already_gone_still_clears_the_path(void **state)
{
	struct store_db *db;
	struct store_retention_report rep;
	char rec[300];

	(void)state;
	assert_int_equal(store_db_open(url, &db), 0);
	put(db, "acme", "GONE", 100, rec);
	unlink(rec);
	assert_int_equal(store_db_retention(db, "acme", clock_wall_ms() - DAY, 0, &rep), 0);
	assert_int_equal(rep.recordings, 1);
	assert_int_equal(rep.files, 1); /* the second segment */
	assert_string_equal(get(db, "acme", "GONE").recording, "");
	store_db_close(db);
}

/* A written channel's interaction created `age_days` ago with timeline `tl`. */
static void put_written(struct store_db *db, const char *id, enum crm_channel ch, int age_days,
			const char *from, const char *tl)
{
	int64_t t = clock_wall_ms() - age_days * DAY;
	struct crm_interaction ix = {.tenant = "acme",
				     .id = id,
				     .channel = ch,
				     .direction = CRM_DIR_INBOUND,
				     .from = from,
				     .created_ms = t,
				     .ended_ms = t + 60000,
				     .timeline_json = tl};

	assert_int_equal(store_db_interaction_put(db, &ix), 0);
}

static int count_msg(void *arg, const struct store_chat_message *m)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static void test_written_channels_texts_attachments_and_callback_numbers_go(void **state)
{
	struct store_db *db;
	struct store_retention_report rep;
	struct audit_seen au = {0};
	char att[300], held_att[300], tl[1200];
	int64_t now = clock_wall_ms();
	int n = 0;

	(void)state;
	assert_int_equal(store_db_open(url, &db), 0);
	snprintf(att, sizeof(att), "%s/MAIL-1-invoice.pdf", dir);
	snprintf(held_att, sizeof(held_att), "%s/HELD-1-invoice.pdf", dir);
	touch(att);
	touch(held_att);
#define MAIL_TL                                                                                    \
	"[{\"ts\":\"x\",\"event\":\"email_in\",\"from\":\"jan@example.com\",\"subject\":"          \
	"\"my card\",\"body\":\"card 4242\",\"attachments\":[{\"name\":\"invoice.pdf\","           \
	"\"path\":\"%s\"}]},{\"ts\":\"x\",\"event\":\"email_out\",\"body\":\"thanks\"}]"
	snprintf(tl, sizeof(tl), MAIL_TL, att);
	put_written(db, "MAIL", CRM_CHANNEL_EMAIL, 40, "jan@example.com", tl);
	snprintf(tl, sizeof(tl), MAIL_TL, held_att);
	put_written(db, "HELDMAIL", CRM_CHANNEL_EMAIL, 40, "jan@example.com", tl);
	assert_int_equal(store_db_legal_hold(db, "acme", "HELDMAIL", true), 0);
	put_written(db, "SMS", CRM_CHANNEL_SMS, 40, "+48600100200",
		    "[{\"ts\":\"x\",\"event\":\"sms_in\",\"from\":\"+48600100200\",\"body\":"
		    "\"card 4242\"}]");
	put_written(db, "NEWSMS", CRM_CHANNEL_SMS, 5, "+48600100200",
		    "[{\"ts\":\"x\",\"event\":\"sms_in\",\"body\":\"card 4242\"}]");
	put_written(db, "CHAT", CRM_CHANNEL_CHAT, 40, NULL,
		    "[{\"ts\":\"x\",\"event\":\"chat_in\",\"seq\":1,\"text\":\"card 4242\"}]");
	for (int seq = 1; seq <= 2; seq++) {
		struct store_chat_message m = {.tenant = "acme",
					       .interaction = "CHAT",
					       .seq = seq,
					       .ts_ms = now - 40 * DAY,
					       .author = "visitor",
					       .text = "card 4242"};
		assert_int_equal(store_db_chat_message_put(db, &m), 0);
	}
	put_written(db, "WCB", CRM_CHANNEL_VOICE, 40, "+48600100200",
		    "[{\"ts\":\"x\",\"event\":\"web_callback_due\",\"number\":\"+48600100200\"}]");
	put_written(db, "VOICE", CRM_CHANNEL_VOICE, 40, "+48221234567",
		    "[{\"ts\":\"x\",\"event\":\"created\"}]");

	assert_int_equal(store_db_retention(db, "acme", 0, now - 10 * DAY, &rep), 0);
	assert_int_equal(rep.messages, 4); /* MAIL, SMS, CHAT, WCB */
	assert_int_equal(rep.attachments, 1);
	assert_int_equal(rep.failed, 0);

	assert_false(exists(att));
	assert_null(strstr(get(db, "acme", "MAIL").timeline, "card 4242"));
	assert_null(strstr(get(db, "acme", "MAIL").timeline, "my card"));
	assert_null(strstr(get(db, "acme", "MAIL").timeline, "invoice"));
	assert_non_null(strstr(get(db, "acme", "MAIL").timeline, "email_in"));
	assert_null(strstr(get(db, "acme", "SMS").timeline, "card 4242"));
	assert_null(strstr(get(db, "acme", "CHAT").timeline, "card 4242"));
	assert_int_equal(store_db_chat_messages(db, "acme", "CHAT", count_msg, &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(get(db, "acme", "WCB").from, "");
	assert_null(strstr(get(db, "acme", "WCB").timeline, "+48600100200"));
	assert_non_null(strstr(get(db, "acme", "WCB").timeline, "web_callback_due"));

	/* Held, recent and voice interactions keep theirs. */
	assert_true(exists(held_att));
	assert_non_null(strstr(get(db, "acme", "HELDMAIL").timeline, "card 4242"));
	assert_non_null(strstr(get(db, "acme", "NEWSMS").timeline, "card 4242"));
	assert_string_equal(get(db, "acme", "VOICE").from, "+48221234567");
	assert_string_equal(get(db, "acme", "SMS").from, "+48600100200");

	assert_int_equal(store_db_audit_log(db, "acme", 0, find_audit, &au), 0);
	assert_int_equal(au.n, 1);
	assert_non_null(strstr(au.detail, "messages=4 attachments=1"));

	/* Nothing is left for a second run. */
	assert_int_equal(store_db_retention(db, "acme", 0, now - 10 * DAY, &rep), 0);
	assert_int_equal(rep.messages, 0);
	store_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_old_recordings_and_notes_go_held_and_recent_stay,
					    fresh, cleanup),
	    cmocka_unit_test_setup_teardown(test_a_file_already_gone_still_clears_the_path, fresh,
					    cleanup),
	    cmocka_unit_test_setup_teardown(
		test_written_channels_texts_attachments_and_callback_numbers_go, fresh, cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
