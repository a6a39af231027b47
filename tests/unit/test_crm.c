/*
 * Tests of the pure CRM parts: E.164 normalisation (table-driven, per country), ids,
 * contacts, interaction durations, and the JSON and CSV forms of an interaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "crm/crm.h"

struct phone_case {
	const char *raw;
	const char *country;
	const char *want; /* NULL: EINVAL expected */
};

static void check_phone_cases(const struct phone_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char out[CRM_E164_SIZE] = "";
		int err = crm_phone_e164(cases[i].raw, cases[i].country, out);

		if (cases[i].want) {
			if (err || strcmp(out, cases[i].want))
				fail_msg("%s (%s): got err=%d \"%s\", want \"%s\"", cases[i].raw,
					 cases[i].country ? cases[i].country : "-", err, out,
					 cases[i].want);
		} else if (err != EINVAL) {
			fail_msg("%s (%s): want EINVAL, got \"%s\"", cases[i].raw,
				 cases[i].country ? cases[i].country : "-", out);
		}
	}
}

static void test_name_fold_polish_spanish_russian(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"ŁUKASZ ŻÓŁW", "łukasz żółw"},
	    {"ĄĆĘŃŚŹ", "ąćęńśź"},
	    {"ÑANDÚ Íñigo", "ñandú íñigo"},
	    {"ЁЛКИН Фёдор", "ёлкин фёдор"},
	    {"  a \t  B  ", "a b"},
	    {"O'Brien-Smith", "o'brien-smith"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct crm_buf b = {0};
		assert_int_equal(crm_name_fold(cases[i].in, &b), 0);
		assert_string_equal(b.p ? b.p : "", cases[i].want);
		crm_buf_free(&b);
	}
}

static void test_name_fold_refuses_invalid_utf8(void **state)
{
	struct crm_buf b = {0};

	crm_buf_puts(&b, "x");
	assert_int_equal(crm_name_fold("ab\xc3", &b), EINVAL);
	assert_int_equal(crm_name_fold("\xc0\xaf", &b), EINVAL);     /* overlong "/" */
	assert_int_equal(crm_name_fold("\xed\xa0\x80", &b), EINVAL); /* a surrogate */
	assert_string_equal(b.p, "x");
	crm_buf_free(&b);
}

static void test_phone_poland(void **state)
{
	static const struct phone_case cases[] = {
	    {"601 234 567", "PL", "+48601234567"},
	    {"601-234-567", "pl", "+48601234567"},
	    {"+48 601 234 567", "PL", "+48601234567"},
	    {"0048 601 234 567", "PL", "+48601234567"},
	    {"48601234567", "PL", "+48601234567"},
	    {"(22) 123 45 67", "PL", "+48221234567"},
	    {"tel:+48601234567", NULL, "+48601234567"},
	    {"60123456", "PL", NULL},
	    {"6012345678", "PL", NULL},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_phone_spain(void **state)
{
	static const struct phone_case cases[] = {
	    {"612 34 56 78", "ES", "+34612345678"},
	    {"91 123 45 67", "ES", "+34911234567"},
	    {"0034 612 345 678", "ES", "+34612345678"},
	    {"+34612345678", "PL", "+34612345678"},
	    {"1234", "ES", NULL},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_phone_russia_trunk_prefix_8(void **state)
{
	static const struct phone_case cases[] = {
	    {"8 (495) 123-45-67", "RU", "+74951234567"},
	    {"8-916-123-45-67", "RU", "+79161234567"},
	    {"+7 (495) 123-45-67", "RU", "+74951234567"},
	    {"74951234567", "RU", "+74951234567"},
	    {"4951234567", "RU", "+74951234567"},
	    {"810 48 601 234 567", "RU", "+48601234567"},
	    {"00 48 601 234 567", "RU", "+48601234567"},
	    {"8 495 123", "RU", NULL},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_phone_north_america(void **state)
{
	static const struct phone_case cases[] = {
	    {"(202) 555-0143", "US", "+12025550143"},
	    {"202.555.0143", "US", "+12025550143"},
	    {"1-202-555-0143", "US", "+12025550143"},
	    {"+1 416 555 0199", "CA", "+14165550199"},
	    {"416-555-0199", "ca", "+14165550199"},
	    {"011 44 20 7946 0018", "US", "+442079460018"},
	    {"555-0143", "US", NULL},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_phone_great_britain(void **state)
{
	static const struct phone_case cases[] = {
	    {"020 7946 0018", "GB", "+442079460018"},
	    {"07700 900123", "GB", "+447700900123"},
	    {"+44 (0)20 7946 0018", "GB", "+442079460018"},
	    {"0044 20 7946 0018", "GB", "+442079460018"},
	    {"2079460018", "GB", NULL},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_phone_germany(void **state)
{
	static const struct phone_case cases[] = {
	    {"030 12345678", "DE", "+493012345678"},	 {"030/1234567", "DE", "+49301234567"},
	    {"+49 (0)30 1234567", "DE", "+49301234567"}, {"0049 89 123456", "DE", "+4989123456"},
	    {"0171 1234567", "DE", "+491711234567"},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_phone_rejects_garbage(void **state)
{
	static const struct phone_case cases[] = {
	    {"", "PL", NULL},
	    {"   ", "PL", NULL},
	    {"anonymous", "PL", NULL},
	    {"601 234 567 ext 5", "PL", NULL},
	    {"++48601234567", "PL", NULL},
	    {"+48 601+234", "PL", NULL},
	    {"+0123456789", NULL, NULL},
	    {"+1234567890123456", NULL, NULL},
	    {"601234567", NULL, NULL},
	    {"601234567", "XX", NULL},
	    {"100", "PL", NULL},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_phone_international_without_country(void **state)
{
	static const struct phone_case cases[] = {
	    {"+48601234567", NULL, "+48601234567"},
	    {"0048601234567", NULL, "+48601234567"},
	    {"+971 4 123 4567", "PL", "+97141234567"},
	};
	check_phone_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_country_calling_codes(void **state)
{
	assert_int_equal(crm_country_calling_code("PL"), 48);
	assert_int_equal(crm_country_calling_code("es"), 34);
	assert_int_equal(crm_country_calling_code("RU"), 7);
	assert_int_equal(crm_country_calling_code("US"), 1);
	assert_int_equal(crm_country_calling_code("GB"), 44);
	assert_int_equal(crm_country_calling_code("DE"), 49);
	assert_int_equal(crm_country_calling_code("ZZ"), 0);
	assert_int_equal(crm_country_calling_code(NULL), 0);
}

static void test_id_layout_and_order(void **state)
{
	const uint8_t zero[10] = {0},
		      ff[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	char a[CRM_ID_SIZE], b[CRM_ID_SIZE];

	crm_id_make(0, zero, a);
	assert_string_equal(a, "00000000000000000000000000");
	crm_id_make(1, ff, a);
	assert_string_equal(a, "0000000001ZZZZZZZZZZZZZZZZ");
	/* A later millisecond sorts after any randomness of an earlier one. */
	crm_id_make(1700000000000, ff, a);
	crm_id_make(1700000000001, zero, b);
	assert_true(strcmp(a, b) < 0);
	assert_int_equal(strlen(a), 26);
}

static void test_id_new_increases_within_thread(void **state)
{
	char prev[CRM_ID_SIZE], cur[CRM_ID_SIZE];
	int i;

	crm_id_new(prev);
	for (i = 0; i < 10000; i++) {
		crm_id_new(cur);
		assert_true(strcmp(prev, cur) < 0);
		memcpy(prev, cur, sizeof(cur));
	}
}

/* Two threads take turns: each id made after the other thread's must sort after it
 * (audit entries written by different store workers are read back in id order). */
#define TURNS 4000
struct id_turns {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int next; /* index of the next id to make; thread (next % 2) makes it */
	char ids[TURNS][CRM_ID_SIZE];
};

static void *id_turn(struct id_turns *t, int me)
{
	for (;;) {
		pthread_mutex_lock(&t->lock);
		while (t->next < TURNS && t->next % 2 != me)
			pthread_cond_wait(&t->cond, &t->lock);
		if (t->next >= TURNS) {
			pthread_mutex_unlock(&t->lock);
			return NULL;
		}
		crm_id_new(t->ids[t->next]);
		t->next++;
		pthread_cond_broadcast(&t->cond);
		pthread_mutex_unlock(&t->lock);
	}
}

static void *id_turn_odd(void *arg)
{
	return id_turn(arg, 1);
}

static void test_id_new_increases_across_threads(void **state)
{
	static struct id_turns t = {.lock = PTHREAD_MUTEX_INITIALIZER,
				    .cond = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	int i;

	assert_int_equal(pthread_create(&th, NULL, id_turn_odd, &t), 0);
	id_turn(&t, 0);
	pthread_join(th, NULL);
	for (i = 1; i < TURNS; i++)
		assert_true(strcmp(t.ids[i - 1], t.ids[i]) < 0);
}

static void test_contact_phones_normalised_and_unique(void **state)
{
	struct crm_contact *c;

	assert_int_equal(crm_contact_new("c1", &c), 0);
	assert_int_equal(crm_contact_add_phone(c, "601 234 567", "PL"), 0);
	assert_int_equal(crm_contact_add_phone(c, "+48 601-234-567", "PL"), 0);
	assert_int_equal(crm_contact_add_phone(c, "not a number", "PL"), EINVAL);
	assert_int_equal(crm_contact_add_phone(c, "+44 20 7946 0018", "PL"), 0);
	assert_int_equal(c->nphones, 2);
	assert_string_equal(c->phones[0], "+48601234567");
	assert_string_equal(c->phones[1], "+442079460018");
	crm_contact_free(c);
}

static void test_contact_email_checked(void **state)
{
	struct crm_contact *c;

	assert_int_equal(crm_contact_new(NULL, &c), 0);
	assert_int_equal(strlen(c->id), 26);
	assert_int_equal(crm_contact_add_email(c, "Jan.Kowalski@Example.PL"), 0);
	assert_string_equal(c->emails[0], "Jan.Kowalski@example.pl");
	assert_int_equal(crm_contact_add_email(c, "nobody"), EINVAL);
	assert_int_equal(crm_contact_add_email(c, "a@b@c.d"), EINVAL);
	assert_int_equal(crm_contact_add_email(c, "@example.com"), EINVAL);
	assert_int_equal(crm_contact_add_email(c, "a b@example.com"), EINVAL);
	assert_int_equal(c->nemails, 1);
	crm_contact_free(c);
}

static void test_contact_custom_must_be_object(void **state)
{
	struct crm_contact *c;
	struct crm_buf b = {0};

	assert_int_equal(crm_contact_new("c2", &c), 0);
	assert_int_equal(crm_contact_set_custom(c, "[1,2]"), EINVAL);
	assert_int_equal(crm_contact_set_custom(c, "{\"a\": 1, \"a\": 2}"), EINVAL);
	assert_int_equal(crm_contact_set_custom(c, "{ \"plan\" : \"gold\", \"seats\": 12 }"), 0);
	assert_string_equal(c->custom_json, "{\"plan\":\"gold\",\"seats\":12}");
	crm_str_set(&c->first_name, "Ewa");
	crm_contact_add_tag(c, "vip");
	c->vip = true;
	assert_int_equal(crm_contact_json(c, &b), 0);
	assert_string_equal(b.p, "{\"id\":\"c2\",\"first_name\":\"Ewa\",\"last_name\":null,"
				 "\"company\":null,\"phones\":[],\"emails\":[],\"language\":null,"
				 "\"timezone\":null,\"tags\":[\"vip\"],\"custom\":{\"plan\":"
				 "\"gold\",\"seats\":12},\"vip\":true,\"do_not_call\":false}");
	crm_buf_free(&b);
	crm_contact_free(c);
}

/* The contact's JSON through jansson: the same fields in the same order, escaping
 * included, and never invalid JSON, whatever bytes a name holds. */
static void test_contact_json_escapes_and_replaces_bad_bytes(void **state)
{
	struct crm_contact *c;
	struct crm_buf b = {0};
	json_t *j;

	assert_int_equal(crm_contact_new("c3", &c), 0);
	crm_str_set(&c->first_name, "Zoë \"Q\"\n");
	crm_str_set(&c->last_name, "bad\xff");
	crm_str_set(&c->custom_json, "not json");
	assert_int_equal(crm_contact_add_email(c, "Ewa@Example.PL"), 0);
	c->dnc = true;
	assert_int_equal(crm_contact_json(c, &b), 0);
	assert_string_equal(b.p,
			    "{\"id\":\"c3\",\"first_name\":\"Zoë \\\"Q\\\"\\n\","
			    "\"last_name\":\"bad\xef\xbf\xbd\",\"company\":null,\"phones\":[],"
			    "\"emails\":[\"Ewa@example.pl\"],\"language\":null,\"timezone\":"
			    "null,\"tags\":[],\"custom\":{},\"vip\":false,\"do_not_call\":true}");
	j = crm_contact_to_json(c);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "first_name")), "Zoë \"Q\"\n");
	json_decref(j);
	crm_buf_free(&b);
	crm_contact_free(c);
}

static void test_json_string_escaping(void **state)
{
	struct crm_buf b = {0};

	crm_buf_json_str(&b, "a\"b\\c\n\t\x01 Zażółć \xff end");
	assert_string_equal(b.p, "\"a\\\"b\\\\c\\n\\t\\u0001 Zażółć \xef\xbf\xbd end\"");
	crm_buf_reset(&b);
	crm_buf_json_str(&b, NULL);
	assert_string_equal(b.p, "null");
	crm_buf_free(&b);
}

static void test_csv_field_quoting(void **state)
{
	struct crm_buf b = {0};

	crm_buf_csv_field(&b, "plain");
	crm_buf_putc(&b, '|');
	crm_buf_csv_field(&b, "a,b");
	crm_buf_putc(&b, '|');
	crm_buf_csv_field(&b, "say \"hi\"");
	crm_buf_putc(&b, '|');
	crm_buf_csv_field(&b, "two\r\nlines");
	crm_buf_putc(&b, '|');
	crm_buf_csv_field(&b, NULL);
	assert_string_equal(b.p, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\r\nlines\"|");
	crm_buf_free(&b);
}

#define T0 1763892000000LL /* 2025-11-23T10:00:00.000Z */

static const struct crm_event sample_timeline[] = {
    {.ts_ms = T0, .event = "created"},
    {.ts_ms = T0 + 1000, .event = "ivr", .node = "menu", .digits = "1"},
    {.ts_ms = T0 + 4000, .event = "queued", .queue = "support"},
    {.ts_ms = T0 + 5000, .event = "offered", .agent = "bob", .result = "no_answer"},
    {.ts_ms = T0 + 20000, .event = "offered", .agent = "alice", .result = "answered"},
    {.ts_ms = T0 + 22500, .event = "answered", .agent = "alice"},
    {.ts_ms = T0 + 30000, .event = "held"},
    {.ts_ms = T0 + 40000, .event = "unheld"},
    {.ts_ms = T0 + 82500, .event = "ended", .by = "caller"},
};

static void sample_interaction(struct crm_interaction *ix)
{
	memset(ix, 0, sizeof(*ix));
	ix->tenant = "acme";
	ix->id = "01JD0000000000000000000001";
	ix->channel = CRM_CHANNEL_VOICE;
	ix->direction = CRM_DIR_INBOUND;
	ix->from = "+48601234567";
	ix->to = "100";
	ix->number = "100";
	ix->queue = "support";
	ix->agent = "alice";
	ix->created_ms = T0;
	ix->queued_ms = T0 + 4000;
	ix->offered_ms = T0 + 5000;
	ix->answered_ms = T0 + 22500;
	ix->ended_ms = T0 + 82500;
	ix->wrapup_ms = 5000;
	ix->disposition = "resolved";
	ix->notes = "asked about invoice, \"urgent\"";
	ix->recording = "var/recordings/acme/01JD.wav";
	ix->hangup_by = "caller";
	ix->timeline = sample_timeline;
	ix->ntimeline = sizeof(sample_timeline) / sizeof(sample_timeline[0]);
}

static void test_durations_from_timeline(void **state)
{
	struct crm_interaction ix;

	sample_interaction(&ix);
	crm_interaction_durations(&ix);
	assert_int_equal(ix.wait_ms, 18500);
	assert_int_equal(ix.hold_ms, 10000);
	assert_int_equal(ix.talk_ms, 50000);
	assert_int_equal(ix.wrapup_ms, 5000);
}

static void test_durations_abandoned_and_open_hold(void **state)
{
	static const struct crm_event tl[] = {
	    {.ts_ms = T0, .event = "answered"},
	    {.ts_ms = T0 + 1000, .event = "held"},
	    {.ts_ms = T0 + 4000, .event = "ended"},
	};
	struct crm_interaction ix = {.queued_ms = T0, .ended_ms = T0 + 7000, .abandoned = true};

	crm_interaction_durations(&ix);
	assert_int_equal(ix.wait_ms, 7000);
	assert_int_equal(ix.talk_ms, 0);

	memset(&ix, 0, sizeof(ix));
	ix.answered_ms = T0;
	ix.ended_ms = T0 + 4000;
	ix.timeline = tl;
	ix.ntimeline = 3;
	crm_interaction_durations(&ix);
	assert_int_equal(ix.hold_ms, 3000);
	assert_int_equal(ix.talk_ms, 1000);
}

static void test_interaction_json_fields(void **state)
{
	struct crm_interaction ix;
	struct crm_buf b = {0};

	sample_interaction(&ix);
	crm_interaction_durations(&ix);
	ix.offered_ms = 0; /* a step not reached renders as null */
	assert_int_equal(crm_interaction_json(&ix, &b), 0);
	assert_string_equal(
	    b.p,
	    "{\"id\":\"01JD0000000000000000000001\",\"tenant\":\"acme\",\"channel\":\"voice\","
	    "\"direction\":\"inbound\",\"contact\":null,\"from\":\"+48601234567\",\"to\":\"100\","
	    "\"number\":\"100\",\"queue\":\"support\",\"agent\":\"alice\","
	    "\"created\":\"2025-11-23T10:00:00.000Z\",\"queued\":\"2025-11-23T10:00:04.000Z\","
	    "\"offered\":null,\"answered\":\"2025-11-23T10:00:22.500Z\","
	    "\"ended\":\"2025-11-23T10:01:22.500Z\",\"wait_s\":18.5,\"talk_s\":50,"
	    "\"hold_s\":10,\"wrapup_s\":5,\"abandoned\":false,\"disposition\":\"resolved\","
	    "\"notes\":\"asked about invoice, \\\"urgent\\\"\","
	    "\"recording\":\"var/recordings/acme/01JD.wav\",\"campaign\":null,"
	    "\"hangup_by\":\"caller\",\"timeline\":["
	    "{\"ts\":\"2025-11-23T10:00:00.000Z\",\"event\":\"created\"},"
	    "{\"ts\":\"2025-11-23T10:00:01.000Z\",\"event\":\"ivr\",\"node\":\"menu\","
	    "\"digits\":\"1\"},"
	    "{\"ts\":\"2025-11-23T10:00:04.000Z\",\"event\":\"queued\",\"queue\":\"support\"},"
	    "{\"ts\":\"2025-11-23T10:00:05.000Z\",\"event\":\"offered\",\"agent\":\"bob\","
	    "\"result\":\"no_answer\"},"
	    "{\"ts\":\"2025-11-23T10:00:20.000Z\",\"event\":\"offered\",\"agent\":\"alice\","
	    "\"result\":\"answered\"},"
	    "{\"ts\":\"2025-11-23T10:00:22.500Z\",\"event\":\"answered\",\"agent\":\"alice\"},"
	    "{\"ts\":\"2025-11-23T10:00:30.000Z\",\"event\":\"held\"},"
	    "{\"ts\":\"2025-11-23T10:00:40.000Z\",\"event\":\"unheld\"},"
	    "{\"ts\":\"2025-11-23T10:01:22.500Z\",\"event\":\"ended\",\"by\":\"caller\"}]}");
	crm_buf_free(&b);
}

static void test_interaction_json_uses_stored_timeline(void **state)
{
	struct crm_interaction ix = {.id = "x", .tenant = "t", .timeline_json = "[{\"a\":1}]"};
	struct crm_buf b = {0};

	assert_int_equal(crm_interaction_json(&ix, &b), 0);
	assert_non_null(strstr(b.p, ",\"timeline\":[{\"a\":1}]}"));
	assert_non_null(strstr(b.p, "\"created\":null"));
	crm_buf_free(&b);
}

/* Through jansson, seconds keep their exact millisecond digits, and the object and the
 * text say the same. */
static void test_interaction_json_seconds_and_object_agree(void **state)
{
	struct crm_interaction ix = {.id = "x",
				     .tenant = "t",
				     .wait_ms = 125,
				     .talk_ms = 1234567891,
				     .hold_ms = 100,
				     .wrapup_ms = -5,
				     .timeline_json =
					 "[{\"ts\":\"2025-11-23T10:00:00.000Z\",\"event\":\"x\"}]"};
	struct crm_buf b = {0};
	json_t *o;
	char *text;

	assert_int_equal(crm_interaction_json(&ix, &b), 0);
	assert_non_null(strstr(b.p, "\"wait_s\":0.125,\"talk_s\":1234567.891,\"hold_s\":0.1,"
				    "\"wrapup_s\":0,"));
	o = crm_interaction_to_json(&ix);
	assert_non_null(o);
	text = json_dumps(o, CRM_JSON_FLAGS);
	assert_string_equal(text, b.p);
	free(text);
	json_decref(o);
	crm_buf_free(&b);
}

static void test_interaction_csv_header_and_row(void **state)
{
	struct crm_interaction ix;
	struct crm_buf b = {0};

	assert_int_equal(crm_interaction_csv_header(&b), 0);
	assert_string_equal(b.p, "id,tenant,channel,direction,contact,from,to,number,queue,agent,"
				 "created,queued,offered,answered,ended,wait_s,talk_s,hold_s,"
				 "wrapup_s,abandoned,disposition,notes,recording,campaign,"
				 "hangup_by,timeline\r\n");
	crm_buf_reset(&b);
	sample_interaction(&ix);
	crm_interaction_durations(&ix);
	ix.ntimeline = 1;
	assert_int_equal(crm_interaction_csv(&ix, &b), 0);
	assert_string_equal(b.p,
			    "01JD0000000000000000000001,acme,voice,inbound,,+48601234567,100,100,"
			    "support,alice,2025-11-23T10:00:00.000Z,2025-11-23T10:00:04.000Z,"
			    "2025-11-23T10:00:05.000Z,2025-11-23T10:00:22.500Z,"
			    "2025-11-23T10:01:22.500Z,18.5,50,10,5,false,resolved,"
			    "\"asked about invoice, \"\"urgent\"\"\",var/recordings/acme/01JD.wav,,"
			    "caller,\"[{\"\"ts\"\":\"\"2025-11-23T10:00:00.000Z\"\",\"\"event\"\":"
			    "\"\"created\"\"}]\"\r\n");
	crm_buf_free(&b);
}

static void test_iso8601_matches_clock(void **state)
{
	static const int64_t fixed[] = {0,
					1,
					999,
					86399999,
					86400000,
					951782400000,
					951868799999,
					1763892000000,
					4102444800000,
					253402300799999,
					-1,
					-86400001};
	char a[32], b[32];
	uint64_t x = 88172645463325252ull;
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		assert_string_equal(crm_iso8601(fixed[i], a),
				    clock_iso8601(fixed[i], b, sizeof(b)));
	for (i = 0; i < 100000; i++) {
		int64_t ms;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = (int64_t)(x % 253402300800000ull);
		assert_string_equal(crm_iso8601(ms, a), clock_iso8601(ms, b, sizeof(b)));
	}
}

static void test_channel_and_direction_names(void **state)
{
	enum crm_channel ch;
	enum crm_direction d;

	assert_int_equal(crm_channel_parse("sms", &ch), 0);
	assert_int_equal(ch, CRM_CHANNEL_SMS);
	assert_string_equal(crm_channel_name(CRM_CHANNEL_CALLBACK), "callback");
	assert_int_equal(crm_channel_parse("fax", &ch), EINVAL);
	assert_int_equal(crm_direction_parse("outbound", &d), 0);
	assert_int_equal(d, CRM_DIR_OUTBOUND);
	assert_int_equal(crm_direction_parse(NULL, &d), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_fold_polish_spanish_russian),
	    cmocka_unit_test(test_contact_json_escapes_and_replaces_bad_bytes),
	    cmocka_unit_test(test_name_fold_refuses_invalid_utf8),
	    cmocka_unit_test(test_phone_poland),
	    cmocka_unit_test(test_phone_spain),
	    cmocka_unit_test(test_phone_russia_trunk_prefix_8),
	    cmocka_unit_test(test_phone_north_america),
	    cmocka_unit_test(test_phone_great_britain),
	    cmocka_unit_test(test_phone_germany),
	    cmocka_unit_test(test_phone_rejects_garbage),
	    cmocka_unit_test(test_phone_international_without_country),
	    cmocka_unit_test(test_country_calling_codes),
	    cmocka_unit_test(test_id_layout_and_order),
	    cmocka_unit_test(test_id_new_increases_within_thread),
	    cmocka_unit_test(test_id_new_increases_across_threads),
	    cmocka_unit_test(test_contact_phones_normalised_and_unique),
	    cmocka_unit_test(test_contact_email_checked),
	    cmocka_unit_test(test_contact_custom_must_be_object),
	    cmocka_unit_test(test_json_string_escaping),
	    cmocka_unit_test(test_csv_field_quoting),
	    cmocka_unit_test(test_durations_from_timeline),
	    cmocka_unit_test(test_durations_abandoned_and_open_hold),
	    cmocka_unit_test(test_interaction_json_fields),
	    cmocka_unit_test(test_interaction_json_uses_stored_timeline),
	    cmocka_unit_test(test_interaction_json_seconds_and_object_agree),
	    cmocka_unit_test(test_interaction_csv_header_and_row),
	    cmocka_unit_test(test_iso8601_matches_clock),
	    cmocka_unit_test(test_channel_and_direction_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
