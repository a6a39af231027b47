/*
 * The times a visitor gives for a web callback (src/api/webcb.c, api__rfc3339): RFC 3339
 * with its offset, checked against values worked out by hand and by date(1); dates that
 * do not exist, times without an offset and trailing text are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/api_int.h"

static int64_t ms(const char *s)
{
	int64_t v = -1;

	assert_true(api__rfc3339(s, &v));
	return v;
}

static void test_instants(void **state)
{
	(void)state;
	assert_int_equal(ms("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(ms("1970-01-01T00:00Z"), 0);
	/* date -u -d 2026-12-04T15:30:00Z +%s → 1796398200 */
	assert_int_equal(ms("2026-12-04T15:30:00Z"), 1796398200000LL);
	assert_int_equal(ms("2026-12-04T16:30:00+01:00"), 1796398200000LL);
	assert_int_equal(ms("2026-12-04T18:30:00+03:00"), 1796398200000LL);
	assert_int_equal(ms("2026-12-04T10:30:00-05:00"), 1796398200000LL);
	assert_int_equal(ms("2026-12-04T15:30:00.250Z"), 1796398200250LL);
	assert_int_equal(ms("2026-12-04T15:30:00.2z"), 1796398200200LL);
	assert_int_equal(ms("2026-12-04T15:30:00.123456Z"), 1796398200123LL);
	/* a leap day, and the end of a leap year */
	assert_int_equal(ms("2028-02-29T00:00:00Z"), 1835395200000LL);
	assert_int_equal(ms("2000-12-31T23:59:59Z"), 978307199000LL);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
	    "2026-12-04T15:30:00",	  /* no offset: whose 15:30? */
	    "2026-12-04 15:30:00Z",	  /* a space */
	    "2026-13-04T15:30:00Z",	  /* month 13 */
	    "2026-02-29T10:00:00Z",	  /* not a leap year */
	    "2100-02-29T10:00:00Z",	  /* not a leap year either */
	    "2026-04-31T10:00:00Z",	  /* April has 30 days */
	    "2026-12-04T24:00:00Z",	  /* hour 24 */
	    "2026-12-04T15:60:00Z",	  /* minute 60 */
	    "2026-12-04T15:30:00+1:00",	  /* offset hour in one digit */
	    "2026-12-04T15:30:00+01:00x", /* trailing text */
	    "2026-12-04T15:30:00.Z",	  /* no fraction digits */
	    "1969-12-31T23:59:59Z",	  /* before 1970 */
	    "",
	    "tomorrow",
	};
	int64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(api__rfc3339(bad[i], &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_instants),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
