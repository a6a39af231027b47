/*
 * Business-hours calendars: weekly hours in a timezone read from the tz database,
 * checked at exact instants around the DST changes of Europe/Warsaw and
 * America/New_York (spring and autumn), far-future dates that only the zone's POSIX
 * rule covers, the southern hemisphere, holidays (dated, yearly, ranges, special
 * hours), ranges past midnight, and the errors a calendar author can make.
 */
#include "test_ivr_fixture.h"

struct cal {
	struct cy *cy;
	struct ivr_calendar *c;
};

static void cal_load(struct cal *k, const char *yaml)
{
	int rc;

	assert_int_equal(cy_load_string("cal.yaml", yaml, &k->cy), 0);
	rc = ivr_calendar_load(k->cy, cy_root(k->cy), "calendars.office", "office", NULL, &k->c);
	if (rc)
		fx_print_messages(k->cy);
	assert_int_equal(rc, 0);
}

static void cal_free(struct cal *k)
{
	ivr_calendar_free(k->c);
	cy_free(k->cy);
}

static bool open_at(struct cal *k, const char *iso)
{
	return ivr_calendar_is_open(k->c, fx_time(iso));
}

static void test_warsaw_spring_forward_day(void **state)
{
	struct cal k;

	cal_load(&k, "{timezone: Europe/Warsaw, weekly: {daily: '08:00-18:00'}}");
	/* Saturday 2026-03-28, CET (UTC+1). */
	assert_false(open_at(&k, "2026-03-28T06:59:59Z"));
	assert_true(open_at(&k, "2026-03-28T07:00:00Z"));
	assert_true(open_at(&k, "2026-03-28T16:59:59Z"));
	assert_false(open_at(&k, "2026-03-28T17:00:00Z"));
	/* Sunday 2026-03-29: clocks go from 02:00 CET to 03:00 CEST (UTC+2). */
	assert_false(open_at(&k, "2026-03-29T05:59:59Z"));
	assert_true(open_at(&k, "2026-03-29T06:00:00Z"));
	assert_true(open_at(&k, "2026-03-29T15:59:59Z"));
	assert_false(open_at(&k, "2026-03-29T16:00:00Z"));
	assert_string_equal(ivr_calendar_name(k.c), "office");
	cal_free(&k);
}

static void test_warsaw_hour_that_does_not_exist_and_hour_that_happens_twice(void **state)
{
	struct cal k;

	cal_load(&k, "{timezone: Europe/Warsaw, weekly: {sun: '02:00-03:00'}}");
	/* 2026-03-29: 02:00-03:00 local never happens. */
	assert_false(open_at(&k, "2026-03-29T00:59:59Z")); /* 01:59:59 CET */
	assert_false(open_at(&k, "2026-03-29T01:00:00Z")); /* 03:00 CEST */
	/* 2026-10-25: 02:00-03:00 local happens twice, in CEST and then in CET. */
	assert_false(open_at(&k, "2026-10-24T23:59:59Z")); /* 01:59:59 CEST */
	assert_true(open_at(&k, "2026-10-25T00:00:00Z"));  /* 02:00 CEST */
	assert_true(open_at(&k, "2026-10-25T00:59:59Z"));  /* 02:59:59 CEST */
	assert_true(open_at(&k, "2026-10-25T01:00:00Z"));  /* 02:00 CET */
	assert_true(open_at(&k, "2026-10-25T01:59:59Z"));  /* 02:59:59 CET */
	assert_false(open_at(&k, "2026-10-25T02:00:00Z")); /* 03:00 CET */
	cal_free(&k);
}

static void test_warsaw_fall_back_day(void **state)
{
	struct cal k;

	cal_load(&k, "{timezone: Europe/Warsaw, weekly: {daily: '08:00-18:00'}}");
	assert_false(open_at(&k, "2026-10-24T05:59:59Z")); /* Saturday, CEST */
	assert_true(open_at(&k, "2026-10-24T06:00:00Z"));
	assert_false(open_at(&k, "2026-10-25T06:59:59Z")); /* Sunday, CET from 01:00Z */
	assert_true(open_at(&k, "2026-10-25T07:00:00Z"));
	assert_false(open_at(&k, "2026-10-25T17:00:00Z"));
	cal_free(&k);
}

static void test_new_york_spring_forward_and_fall_back(void **state)
{
	struct cal k;

	cal_load(&k, "{timezone: America/New_York, weekly: {daily: '09:00-17:00'}}");
	/* Saturday 2026-03-07, EST (UTC-5). */
	assert_false(open_at(&k, "2026-03-07T13:59:59Z"));
	assert_true(open_at(&k, "2026-03-07T14:00:00Z"));
	assert_false(open_at(&k, "2026-03-07T22:00:00Z"));
	/* Sunday 2026-03-08: EDT (UTC-4) from 07:00Z. */
	assert_false(open_at(&k, "2026-03-08T12:59:59Z"));
	assert_true(open_at(&k, "2026-03-08T13:00:00Z"));
	assert_true(open_at(&k, "2026-03-08T20:59:59Z"));
	assert_false(open_at(&k, "2026-03-08T21:00:00Z"));
	/* Saturday 2026-10-31 EDT, Sunday 2026-11-01 EST from 06:00Z. */
	assert_true(open_at(&k, "2026-10-31T13:00:00Z"));
	assert_false(open_at(&k, "2026-11-01T13:59:59Z"));
	assert_true(open_at(&k, "2026-11-01T14:00:00Z"));
	assert_false(open_at(&k, "2026-11-01T22:00:00Z"));
	cal_free(&k);
}

static void test_utc_offsets_past_present_and_far_future(void **state)
{
	struct cal w, n, s, u;

	cal_load(&w, "{timezone: Europe/Warsaw}");
	cal_load(&n, "{timezone: America/New_York}");
	cal_load(&s, "{timezone: Australia/Sydney}");
	cal_load(&u, "{weekly: {mon: 24h}}");
	assert_int_equal(ivr_calendar_utc_offset(w.c, fx_time("2026-01-15T12:00:00Z")), 3600);
	assert_int_equal(ivr_calendar_utc_offset(w.c, fx_time("2026-07-15T12:00:00Z")), 7200);
	assert_int_equal(ivr_calendar_utc_offset(w.c, fx_time("1990-07-01T12:00:00Z")), 7200);
	/* Past the zone file's table: its POSIX rule decides. */
	assert_int_equal(ivr_calendar_utc_offset(w.c, fx_time("2045-07-01T12:00:00Z")), 7200);
	assert_int_equal(ivr_calendar_utc_offset(w.c, fx_time("2045-12-01T12:00:00Z")), 3600);
	assert_int_equal(ivr_calendar_utc_offset(w.c, fx_time("2045-03-26T00:59:59Z")), 3600);
	assert_int_equal(ivr_calendar_utc_offset(w.c, fx_time("2045-03-26T01:00:00Z")), 7200);
	assert_int_equal(ivr_calendar_utc_offset(n.c, fx_time("2026-01-15T12:00:00Z")), -18000);
	assert_int_equal(ivr_calendar_utc_offset(n.c, fx_time("2040-07-15T12:00:00Z")), -14400);
	/* Southern hemisphere: daylight time spans the new year. */
	assert_int_equal(ivr_calendar_utc_offset(s.c, fx_time("2040-01-15T12:00:00Z")), 39600);
	assert_int_equal(ivr_calendar_utc_offset(s.c, fx_time("2040-07-15T12:00:00Z")), 36000);
	/* No timezone: UTC. */
	assert_int_equal(ivr_calendar_utc_offset(u.c, fx_time("2026-07-15T12:00:00Z")), 0);
	cal_free(&w);
	cal_free(&n);
	cal_free(&s);
	cal_free(&u);
}

static void test_holidays_dated_yearly_ranges_and_special_hours(void **state)
{
	struct cal k;

	cal_load(&k, "timezone: Europe/Warsaw\n"
		     "weekly: {mon-fri: '08:00-16:00'}\n"
		     "holidays:\n"
		     "  - 2026-11-11\n"
		     "  - '12-25'\n"
		     "  - {date: 2026-12-24, hours: '08:00-12:00', name: Wigilia}\n"
		     "  - {from: 2027-07-05, to: 2027-07-09}\n");
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2026-11-11T10:00:00Z")),
			 IVR_HOURS_HOLIDAY);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2026-11-12T10:00:00Z")), IVR_HOURS_OPEN);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2028-12-25T10:00:00Z")),
			 IVR_HOURS_HOLIDAY);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2026-12-24T10:59:00Z")), IVR_HOURS_OPEN);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2026-12-24T11:00:00Z")),
			 IVR_HOURS_HOLIDAY);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2027-07-05T10:00:00Z")),
			 IVR_HOURS_HOLIDAY);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2027-07-09T10:00:00Z")),
			 IVR_HOURS_HOLIDAY);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2027-07-12T10:00:00Z")), IVR_HOURS_OPEN);
	assert_int_equal(ivr_calendar_state(k.c, fx_time("2026-11-14T10:00:00Z")),
			 IVR_HOURS_CLOSED); /* Saturday */
	{
		/* The dates the dialer takes as days off: every holiday listed. */
		int32_t v[16];
		int64_t from = fx_time("2026-11-01T00:00:00Z") / 86400000;
		int64_t to = fx_time("2027-12-31T00:00:00Z") / 86400000;
		size_t n = ivr_calendar_holidays(k.c, from, to, v, 16);
		static const char *const want[] = {"2026-11-11", "2026-12-24", "2026-12-25",
						   "2027-07-05", "2027-07-06", "2027-07-07",
						   "2027-07-08", "2027-07-09", "2027-12-25"};
		char iso[32];
		assert_int_equal(n, 9);
		for (size_t i = 0; i < n; i++) {
			snprintf(iso, sizeof(iso), "%sT00:00:00Z", want[i]);
			assert_int_equal(v[i], fx_time(iso) / 86400000);
		}
		assert_int_equal(ivr_calendar_holidays(k.c, from, to, v, 2), 2);
		assert_int_equal(ivr_calendar_holidays(k.c, to + 1, to + 300, v, 16), 0);
	}
	cal_free(&k);
}

static void test_ranges_lists_overrides_and_overnight(void **state)
{
	struct cal k;

	cal_load(&k, "timezone: UTC\n"
		     "weekly:\n"
		     "  mon-fri: '08:00-12:00, 13:00-17:00'\n"
		     "  wed: closed\n"
		     "  sat,sun: ['10:00-11:00', '22:00-02:00']\n");
	assert_true(open_at(&k, "2026-11-23T11:59:00Z")); /* Monday */
	assert_false(open_at(&k, "2026-11-23T12:30:00Z"));
	assert_true(open_at(&k, "2026-11-23T13:00:00Z"));
	assert_false(open_at(&k, "2026-11-25T10:00:00Z")); /* Wednesday: closed */
	assert_true(open_at(&k, "2026-11-28T10:30:00Z"));  /* Saturday */
	assert_true(open_at(&k, "2026-11-28T23:00:00Z"));
	assert_true(open_at(&k, "2026-11-29T01:59:00Z")); /* Sunday after Saturday night */
	assert_true(open_at(&k, "2026-11-30T01:00:00Z")); /* Monday after Sunday night */
	assert_false(open_at(&k, "2026-11-30T02:00:00Z"));
	assert_false(open_at(&k, "2026-11-28T21:59:00Z"));
	cal_free(&k);
}

static void test_wrapping_day_range_and_no_weekly_hours(void **state)
{
	struct cal k, all;

	cal_load(&k, "{weekly: {fri-mon: 24h}}");
	cal_load(&all, "{holidays: ['01-01']}");
	assert_true(open_at(&k, "2026-11-27T12:00:00Z"));  /* Friday */
	assert_true(open_at(&k, "2026-11-30T12:00:00Z"));  /* Monday */
	assert_false(open_at(&k, "2026-11-24T12:00:00Z")); /* Tuesday */
	assert_true(open_at(&all, "2026-11-24T03:00:00Z"));
	assert_false(open_at(&all, "2027-01-01T03:00:00Z"));
	cal_free(&k);
	cal_free(&all);
}

static void test_next_change_finds_the_closing_time(void **state)
{
	struct cal k;
	int64_t t;

	cal_load(&k, "{timezone: Europe/Warsaw, weekly: {mon-fri: '08:00-18:00'}}");
	t = ivr_calendar_next_change(k.c, fx_time("2026-11-23T16:30:10Z"), 86400000);
	assert_int_equal(t, fx_time("2026-11-23T17:00:00Z"));
	/* Friday evening: opens again on Monday, beyond a one-day horizon. */
	assert_int_equal(ivr_calendar_next_change(k.c, fx_time("2026-11-27T18:00:00Z"), 86400000),
			 0);
	assert_int_equal(
	    ivr_calendar_next_change(k.c, fx_time("2026-11-27T18:00:00Z"), 4 * 86400000LL),
	    fx_time("2026-11-30T07:00:00Z"));
	cal_free(&k);
}

static void expect_calendar_error(const char *yaml, const char *want)
{
	struct cy *cy;
	struct ivr_calendar *c = NULL;
	bool found = false;

	assert_int_equal(cy_load_string("cal.yaml", yaml, &cy), 0);
	assert_int_equal(ivr_calendar_load(cy, cy_root(cy), "calendars.office", "office", NULL, &c),
			 EINVAL);
	assert_null(c);
	for (size_t i = 0; i < cy_error_count(cy); i++)
		found |= !strcmp(cy_error_at(cy, i), want);
	if (!found) {
		fx_print_messages(cy);
		print_message("wanted: %s\n", want);
	}
	assert_true(found);
	cy_free(cy);
}

static void test_calendar_errors_say_where_and_what(void **state)
{
	expect_calendar_error("{timezone: Europe/Warsw}",
			      "cal.yaml:1:12: calendars.office.timezone: unknown timezone "
			      "\"Europe/Warsw\" (not in the tz database)");
	expect_calendar_error("{weekly: {mon-fxi: '08:00-18:00'}}",
			      "cal.yaml:1:11: calendars.office.weekly.mon-fxi: unknown day \"fxi\" "
			      "(use mon..sun, ranges like mon-fri, lists like sat,sun, or daily)");
	expect_calendar_error(
	    "{weekly: {mon: '8-18'}}",
	    "cal.yaml:1:17: calendars.office.weekly.mon: expected hours such as "
	    "\"08:00-18:00\", \"08:00-12:00, 13:00-17:00\", \"24h\" or \"closed\", "
	    "got \"8-18\"");
	expect_calendar_error(
	    "{holidays: [2026-13-01]}",
	    "cal.yaml:1:13: calendars.office.holidays[0]: expected a date such as "
	    "2026-12-25 (or 12-25 for every year), got \"2026-13-01\"");
	expect_calendar_error("{weekly: {mon: 24h}, hours: x}",
			      "cal.yaml:1:22: calendars.office.hours: unknown key");
	expect_calendar_error("{timezone: ../../etc/passwd}",
			      "cal.yaml:1:12: calendars.office.timezone: unknown timezone "
			      "\"../../etc/passwd\" (not in the tz database)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warsaw_spring_forward_day),
	    cmocka_unit_test(test_warsaw_hour_that_does_not_exist_and_hour_that_happens_twice),
	    cmocka_unit_test(test_warsaw_fall_back_day),
	    cmocka_unit_test(test_new_york_spring_forward_and_fall_back),
	    cmocka_unit_test(test_utc_offsets_past_present_and_far_future),
	    cmocka_unit_test(test_holidays_dated_yearly_ranges_and_special_hours),
	    cmocka_unit_test(test_ranges_lists_overrides_and_overnight),
	    cmocka_unit_test(test_wrapping_day_range_and_no_weekly_hours),
	    cmocka_unit_test(test_next_change_finds_the_closing_time),
	    cmocka_unit_test(test_calendar_errors_say_where_and_what),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
