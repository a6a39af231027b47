/* The tenant's local midnight, when "today" queue counters are zeroed: in its timezone,
 * across both DST changes, and in UTC without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "engine/engine_int.h"

static struct ivr_calendar *zone(const char *tz)
{
	struct cy *cy = NULL;
	struct ivr_calendar *cal = NULL;

	assert_int_equal(cy_load_string("tz.yaml", "{}", &cy), 0);
	assert_int_equal(ivr_calendar_load(cy, cy_root(cy), "tz", NULL, tz, &cal), 0);
	cy_free(cy);
	return cal;
}

static int64_t at(const char *iso)
{
	int64_t ms;

	assert_int_equal(clock_parse_iso8601(iso, &ms), 0);
	return ms;
}

static void test_midnight_in_winter_and_summer(void **state)
{
	struct ivr_calendar *waw = zone("Europe/Warsaw");

	(void)state;
	/* CET (+1): local midnight is 23:00 UTC the day before. */
	assert_int_equal(eng__next_midnight(waw, at("2026-11-23T16:00:00Z")),
			 at("2026-11-23T23:00:00Z"));
	/* CEST (+2): 22:00 UTC. */
	assert_int_equal(eng__next_midnight(waw, at("2026-07-01T12:00:00Z")),
			 at("2026-07-01T22:00:00Z"));
	/* Just after local midnight: the next one, a day later. */
	assert_int_equal(eng__next_midnight(waw, at("2026-11-23T23:00:01Z")),
			 at("2026-11-24T23:00:00Z"));
	ivr_calendar_free(waw);
}

static void test_midnight_across_dst_changes(void **state)
{
	struct ivr_calendar *waw = zone("Europe/Warsaw");

	(void)state;
	/* Summer time ends at 01:00 UTC on 2026-10-25: the night of the 25th to the 26th
	 * is in CET already, while "now" (01:30 local on the 25th) is still CEST. */
	assert_int_equal(eng__next_midnight(waw, at("2026-10-24T23:30:00Z")),
			 at("2026-10-25T23:00:00Z"));
	/* Summer time starts at 01:00 UTC on 2026-03-29: the 29th began in CET and ends
	 * in CEST. */
	assert_int_equal(eng__next_midnight(waw, at("2026-03-29T00:30:00Z")),
			 at("2026-03-29T22:00:00Z"));
	ivr_calendar_free(waw);
}

static void test_midnight_without_a_timezone_is_utc(void **state)
{
	(void)state;
	assert_int_equal(eng__next_midnight(NULL, at("2026-11-23T16:00:00Z")),
			 at("2026-11-24T00:00:00Z"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_midnight_in_winter_and_summer),
	    cmocka_unit_test(test_midnight_across_dst_changes),
	    cmocka_unit_test(test_midnight_without_a_timezone_is_utc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
