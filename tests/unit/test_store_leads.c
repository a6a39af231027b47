/*
 * Lead lists and do-not-call lists (schema 10): CSV import all or nothing or skipping bad
 * rows, E.164 normalisation, duplicates within and across lists, header problems, the
 * export, and a million rows streamed; on SQLite and, when CENTRALA_TEST_PG holds a
 * connection URL, again on that PostgreSQL server (tests/store/run sets it).
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

static FILE *text_file(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	return f;
}

/* Runs an import of `text`, gathering the messages in `msgs`. */
static int import(struct backend *b, const char *list, const char *text, bool skip_bad,
		  const char *map, char *msgs, size_t msgs_size, struct store_import_result *r)
{
	FILE *in = text_file(text), *err = fmemopen(msgs, msgs_size, "w");
	struct store_import_opts o = {.tenant = "acme",
				      .list = list,
				      .country = "PL",
				      .map = map,
				      .skip_bad = skip_bad,
				      .name = "leads.csv",
				      .err = err};
	int rc;

	assert_non_null(err);
	memset(msgs, 0, msgs_size);
	rc = store_db_import_leads(b->db, in, &o, r);
	fclose(err);
	fclose(in);
	return rc;
}

static char *export_list(struct backend *b, const char *list)
{
	static char out[8192];
	FILE *f;

	memset(out, 0, sizeof(out));
	f = fmemopen(out, sizeof(out) - 1, "w");
	assert_int_equal(store_db_export_leads(b->db, "acme", list, f), 0);
	fclose(f);
	return out;
}

static const char sample[] = "Telefon,name,plan,priority\n"
			     "601 234 567,Jan Kowalski,gold,5\n"
			     "+48 601 234 568,\"Nowak, Ewa\",silver,\n"
			     "abc,Bad,x,\n"
			     "601234567,Again,y,\n"
			     "+1 202 555 0143,Joe,z,99999\n"
			     "1,2\n";

static void test_one_bad_row_imports_nothing(void **state)
{
	struct backend *b = *state;
	struct store_import_result r;
	char msgs[4096];

	assert_int_equal(import(b, "nov", sample, false, "phone=Telefon", msgs, sizeof(msgs), &r),
			 EINVAL);
	assert_int_equal(r.rows, 6);
	assert_int_equal(r.bad, 3);
	assert_int_equal(r.imported, 0);
	assert_non_null(strstr(msgs, "leads.csv:4:1: invalid phone number \"abc\"\n"));
	assert_non_null(strstr(msgs, "leads.csv:6:4: priority must be a whole number"));
	assert_non_null(
	    strstr(msgs, "leads.csv:7:3: expected 4 columns as in the header, found 2"));
	assert_string_equal(export_list(b, "nov"), "id,phone,name,timezone,priority,state,attempts,"
						   "last_result,disposition,next_ms,fields\n");
}

static void test_skip_bad_rows_normalise_and_report_duplicates(void **state)
{
	struct backend *b = *state;
	struct store_import_result r;
	char msgs[4096];
	const char *out;

	assert_int_equal(import(b, "nov", sample, true, "phone=Telefon", msgs, sizeof(msgs), &r),
			 0);
	assert_int_equal(r.rows, 6);
	assert_int_equal(r.bad, 3);
	assert_int_equal(r.imported, 2);
	assert_int_equal(r.dup_list, 1);
	assert_non_null(strstr(msgs, "leads.csv:5: +48601234567 is already in list nov (line 2): "
				     "skipped"));
	out = export_list(b, "nov");
	assert_non_null(strstr(out, "\n1,+48601234567,Jan Kowalski,,5,ready,0,,,0,"
				    "\"{\"\"plan\"\":\"\"gold\"\"}\"\n"));
	assert_non_null(strstr(out, "\n2,+48601234568,\"Nowak, Ewa\",,0,ready,0,,,0,"));
	/* Across lists: imported and reported; ids go on from the list's last. */
	assert_int_equal(import(b, "dec",
				"phone,timezone\n+48601234568,Europe/Warsaw\n"
				"+48221234567,Europe/Warsaw\n",
				false, NULL, msgs, sizeof(msgs), &r),
			 0);
	assert_int_equal(r.imported, 2);
	assert_int_equal(r.dup_other, 1);
	assert_non_null(strstr(msgs, "leads.csv:2: +48601234568 is also in list nov (lead 2)"));
	assert_int_equal(
	    import(b, "nov", "phone\n+48221234568\n", false, NULL, msgs, sizeof(msgs), &r), 0);
	assert_non_null(strstr(export_list(b, "nov"), "\n3,+48221234568,"));
}

static int list_line(const struct store_lead_list *l, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s:%s:%llu:%llu:%d;", l->id, l->country ? l->country : "-",
		 (unsigned long long)l->leads, (unsigned long long)l->open,
		 l->created_ms > 0 && l->updated_ms >= l->created_ms);
	return 0;
}

static void test_lists_with_their_counts(void **state)
{
	struct backend *b = *state;
	struct store_import_result r;
	struct store_lead l = {.state = "done", .day = 1};
	char msgs[4096], got[512] = "";

	assert_int_equal(
	    import(b, "nov", "phone\n601234567\n601234568\n", false, NULL, msgs, sizeof(msgs), &r),
	    0);
	assert_int_equal(
	    import(b, "dec", "phone\n601234569\n", false, NULL, msgs, sizeof(msgs), &r), 0);
	l.id = 2;
	l.phone = "+48601234568";
	assert_int_equal(store_db_lead_update(b->db, "acme", "nov", &l, 1000), 0);
	assert_int_equal(store_db_lead_lists(b->db, "acme", list_line, got), 0);
	assert_string_equal(got, "dec:PL:1:1:1;nov:PL:2:1:1;");
	got[0] = '\0';
	assert_int_equal(store_db_lead_lists(b->db, "other", list_line, got), 0);
	assert_string_equal(got, "");
}

static void test_header_problems_are_named(void **state)
{
	struct backend *b = *state;
	struct store_import_result r;
	char msgs[4096];

	assert_int_equal(import(b, "nov", "", false, NULL, msgs, sizeof(msgs), &r), EINVAL);
	assert_non_null(strstr(msgs, "leads.csv:1: the file is empty"));
	assert_int_equal(import(b, "nov", "tel,name\n1,2\n", false, NULL, msgs, sizeof(msgs), &r),
			 EINVAL);
	assert_non_null(strstr(msgs, "leads.csv:1: no phone column"));
	assert_int_equal(
	    import(b, "nov", "tel,name\n1,2\n", false, "phone=Tel", msgs, sizeof(msgs), &r),
	    EINVAL);
	assert_non_null(strstr(msgs, "leads.csv:1: no column \"Tel\" (--map phone=Tel)"));
	assert_int_equal(
	    import(b, "nov", "tel,name\n1,2\n", false, "email=tel", msgs, sizeof(msgs), &r),
	    EINVAL);
	assert_non_null(strstr(msgs, "--map: \"email=tel\": expected FIELD=COLUMN"));
	assert_int_equal(
	    import(b, "nov", "phone,phone\n1,2\n", false, NULL, msgs, sizeof(msgs), &r), EINVAL);
	assert_non_null(strstr(msgs, "leads.csv:1:2: column \"phone\" appears twice"));
	assert_int_equal(
	    import(b, "nov", "phone,x\n\"601234567,2\n", false, NULL, msgs, sizeof(msgs), &r),
	    EINVAL);
	assert_non_null(strstr(msgs, "leads.csv:2:1: a quoted field is never closed"));
}

static int collect(const char *phone, void *arg)
{
	strcat(arg, phone);
	strcat(arg, " ");
	return 0;
}

static void test_do_not_call_lists_per_tenant_and_campaign(void **state)
{
	struct backend *b = *state;
	FILE *in = text_file("phone\n+48 601 234 567\n221234567\n");
	struct store_import_opts o = {
	    .tenant = "acme", .campaign = "renewals", .country = "PL", .name = "dnc.csv"};
	struct store_import_result r;
	char got[256] = "";

	assert_int_equal(store_db_import_dnc(b->db, in, &o, &r), 0);
	fclose(in);
	assert_int_equal(r.imported, 2);
	assert_int_equal(store_db_dnc_put(b->db, "acme", "", "+48600000000", "api", 1), 0);
	assert_int_equal(store_db_dnc_list(b->db, "acme", "renewals", collect, got), 0);
	assert_string_equal(got, "+48221234567 +48601234567 ");
	/* A page from after a number. */
	got[0] = '\0';
	assert_int_equal(
	    store_db_dnc_list_after(b->db, "acme", "renewals", "+48221234567", collect, got), 0);
	assert_string_equal(got, "+48601234567 ");
	got[0] = '\0';
	assert_int_equal(store_db_dnc_list(b->db, "acme", "", collect, got), 0);
	assert_string_equal(got, "+48600000000 ");
	assert_int_equal(store_db_dnc_delete(b->db, "acme", "renewals", "+48221234567"), 0);
	got[0] = '\0';
	assert_int_equal(store_db_dnc_list(b->db, "acme", "renewals", collect, got), 0);
	assert_string_equal(got, "+48601234567 ");
	/* Another tenant sees none of them. */
	got[0] = '\0';
	assert_int_equal(store_db_dnc_list(b->db, "other", "renewals", collect, got), 0);
	assert_string_equal(got, "");
}

static int gather(const struct store_lead *l, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%lld:%s:%s:%d:%s:%d%s%s;", (long long)l->id, l->phone,
		 l->timezone ? l->timezone : "-", l->priority, l->state, l->attempts,
		 l->fields && strcmp(l->fields, "{}") ? ":" : "",
		 l->fields && strcmp(l->fields, "{}") ? l->fields : "");
	return 0;
}

/* The dialer reads open leads in id batches and writes their state and attempts back. */
static void test_dialer_batches_and_write_behind(void **state)
{
	struct backend *b = *state;
	struct store_import_result r;
	struct store_lead l = {0};
	struct store_attempt a = {
	    .campaign = "renewals", .list = "nov", .lead = 2, .attempt = 1, .started_ms = 1000};
	char msgs[1024], got[512] = "";

	assert_int_equal(import(b, "nov",
				"phone,timezone,priority,plan\n+48601234561,Europe/Warsaw,3,gold\n"
				"+48601234562,,,\n+48601234563,,1,\n",
				false, NULL, msgs, sizeof(msgs), &r),
			 0);
	assert_int_equal(store_db_leads_open(b->db, "acme", "nov", 0, 2, gather, got), 0);
	/* Extra columns come with the lead (the agent's screen pop shows them). */
	assert_string_equal(got, "1:+48601234561:Europe/Warsaw:3:ready:0:{\"plan\":\"gold\"};"
				 "2:+48601234562:-:0:ready:0;");
	/* Lead 2 dialed: busy, then closed on its last attempt. */
	assert_int_equal(store_db_attempt_put(b->db, "acme", &a), 0);
	a.result = "busy";
	a.interaction = "01JABCDEF";
	assert_int_equal(store_db_attempt_put(b->db, "acme", &a), 0);
	l = (struct store_lead){.id = 2,
				.state = "done",
				.attempts = 1,
				.day_attempts = 1,
				.day = 20500,
				.last_result = "busy"};
	assert_int_equal(store_db_lead_update(b->db, "acme", "nov", &l, 2000), 0);
	got[0] = '\0';
	assert_int_equal(store_db_leads_open(b->db, "acme", "nov", 0, 10, gather, got), 0);
	assert_string_equal(got, "1:+48601234561:Europe/Warsaw:3:ready:0:{\"plan\":\"gold\"};"
				 "3:+48601234563:-:1:ready:0;");
	assert_non_null(strstr(export_list(b, "nov"), "\n2,+48601234562,,,0,done,1,busy,,0,"));
	/* Another tenant's batch is empty. */
	got[0] = '\0';
	assert_int_equal(store_db_leads_open(b->db, "beta", "nov", 0, 10, gather, got), 0);
	assert_string_equal(got, "");
	a.campaign = NULL;
	assert_int_equal(store_db_attempt_put(b->db, "acme", &a), EINVAL);
}

/* A lead read alone whatever its state (a callback or a late disposition of a lead the
 * dialer does not hold), a number's presence on the tenant's or a campaign's do-not-call
 * list, and the leads closed for being on one. */
static void test_one_lead_and_do_not_call_checks(void **state)
{
	struct backend *b = *state;
	struct store_import_result r;
	struct store_lead l = {0};
	char msgs[1024], got[512] = "";
	bool on = true;

	assert_int_equal(import(b, "nov", "phone\n+48601234561\n+48601234562\n+48601234563\n",
				false, NULL, msgs, sizeof(msgs), &r),
			 0);
	l = (struct store_lead){
	    .id = 2, .state = "done", .attempts = 3, .day = 20500, .last_result = "person"};
	assert_int_equal(store_db_lead_update(b->db, "acme", "nov", &l, 2000), 0);
	l = (struct store_lead){.id = 3, .state = "done", .last_result = "dnc"};
	assert_int_equal(store_db_lead_update(b->db, "acme", "nov", &l, 2000), 0);
	/* Closed leads are read one by one, with their last result. */
	assert_int_equal(store_db_lead_get(b->db, "acme", "nov", 2, gather, got), 0);
	assert_string_equal(got, "2:+48601234562:-:0:done:3;");
	assert_int_equal(store_db_lead_get(b->db, "acme", "nov", 9, gather, got), ENOENT);
	assert_int_equal(store_db_lead_get(b->db, "beta", "nov", 2, gather, got), ENOENT);
	assert_int_equal(store_db_lead_get(b->db, "acme", "dec", 2, gather, got), ENOENT);
	/* On the campaign's list, then the tenant's, then neither. */
	assert_int_equal(store_db_dnc_put(b->db, "acme", "renewals", "+48601234563", "api", 1), 0);
	assert_int_equal(store_db_dnc_blocks(b->db, "acme", "renewals", "+48601234563", &on), 0);
	assert_true(on);
	assert_int_equal(store_db_dnc_blocks(b->db, "acme", "other", "+48601234563", &on), 0);
	assert_false(on);
	assert_int_equal(store_db_dnc_put(b->db, "acme", "", "+48601234563", "api", 1), 0);
	assert_int_equal(store_db_dnc_blocks(b->db, "acme", "other", "+48601234563", &on), 0);
	assert_true(on);
	assert_int_equal(store_db_dnc_blocks(b->db, "beta", "renewals", "+48601234563", &on), 0);
	assert_false(on);
	/* Only lead 3 was closed for the list (lead 2's last result was a person's). */
	got[0] = '\0';
	assert_int_equal(
	    store_db_leads_dnc_closed(b->db, "acme", "nov", "+48601234563", gather, got), 0);
	assert_string_equal(got, "3:+48601234563:-:0:done:0;");
	got[0] = '\0';
	assert_int_equal(
	    store_db_leads_dnc_closed(b->db, "acme", "nov", "+48601234562", gather, got), 0);
	assert_string_equal(got, "");
	assert_int_equal(
	    store_db_leads_dnc_closed(b->db, "beta", "nov", "+48601234563", gather, got), 0);
	assert_string_equal(got, "");
}

/* 1,000,000 rows stream through in one transaction (200,000 under ASan, which makes it
   five times slower, 100,000 under TSan, slower still: the million ran past ctest's 300 s
   there; bench/import-leads.sh measures the million). */
#if defined(__SANITIZE_THREAD__)
#define MANY_ROWS 100000
#elif defined(__SANITIZE_ADDRESS__)
#define MANY_ROWS 200000
#else
#define MANY_ROWS 1000000
#endif
static void test_a_million_rows(void **state)
{
	struct backend *b = *state;
	FILE *f = tmpfile();
	struct store_import_opts o = {.tenant = "acme", .list = "big", .name = "big.csv"};
	struct store_import_result r;

	if (b->pg_url) /* the same code path; a million rows on PostgreSQL is the bench's */
		return;
	assert_non_null(f);
	fputs("phone,name,segment\n", f);
	for (long i = 0; i < MANY_ROWS; i++)
		fprintf(f, "+4860%07ld,Name %ld,s%ld\n", i, i, i % 7);
	rewind(f);
	assert_int_equal(store_db_import_leads(b->db, f, &o, &r), 0);
	fclose(f);
	assert_int_equal(r.imported, MANY_ROWS);
	assert_int_equal(r.bad, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fresh_db, cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_one_bad_row_imports_nothing),
	    T(test_skip_bad_rows_normalise_and_report_duplicates),
	    T(test_header_problems_are_named),
	    T(test_lists_with_their_counts),
	    T(test_do_not_call_lists_per_tenant_and_campaign),
	    T(test_dialer_batches_and_write_behind),
	    T(test_one_lead_and_do_not_call_checks),
	    T(test_a_million_rows),
	};
	int failed;

	log_setup(getenv("CENTRALA_TEST_LOG") ? LOG_LEVEL_DEBUG
					      : (enum log_level)(LOG_LEVEL_ERROR + 1),
		  2);
	failed = cmocka_run_group_tests_name("lead lists on sqlite", tests, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed +=
		    cmocka_run_group_tests_name("lead lists on postgresql", tests, group_pg, NULL);
	else
		printf("lead lists on postgresql: skipped (set CENTRALA_TEST_PG, or run "
		       "tests/store/run)\n");
	return failed;
}
