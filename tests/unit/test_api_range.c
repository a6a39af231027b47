/*
 * Tests of the recording download's Range header parsing (src/api/recording.c): one
 * satisfiable range answers 206 with that range clipped to the file, a range starting
 * past the end answers 416, and whatever this server does not serve (several ranges,
 * other units, bad syntax) falls back to the whole file, as RFC 9110 allows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "api/api_int.h"

static void expect_range(const char *h, uint64_t size, uint64_t first, uint64_t last)
{
	uint64_t f = 7, l = 7;

	assert_int_equal(api__range_parse(h, size, &f, &l), 0);
	assert_int_equal(f, first);
	assert_int_equal(l, last);
}

static void test_single_ranges_are_clipped_to_the_file(void **state)
{
	expect_range("bytes=0-43", 1000, 0, 43);
	expect_range("bytes=100-", 1000, 100, 999);
	expect_range("bytes=990-5000", 1000, 990, 999);
	expect_range("bytes=999-999", 1000, 999, 999);
	expect_range("bytes=-10", 1000, 990, 999);
	expect_range("bytes=-5000", 1000, 0, 999);
	expect_range("bytes= 5-6", 1000, 5, 6);
}

static void test_range_past_the_end_is_unsatisfiable(void **state)
{
	uint64_t f = 7, l = 7;

	assert_int_equal(api__range_parse("bytes=1000-", 1000, &f, &l), ERANGE);
	assert_int_equal(api__range_parse("bytes=1000-2000", 1000, &f, &l), ERANGE);
	assert_int_equal(api__range_parse("bytes=-0", 1000, &f, &l), ERANGE);
	assert_int_equal(api__range_parse("bytes=0-", 0, &f, &l), ERANGE);
	assert_int_equal(api__range_parse("bytes=-1", 0, &f, &l), ERANGE);
	assert_int_equal(f, 7); /* untouched on error */
}

static void test_unserved_ranges_mean_the_whole_file(void **state)
{
	static const char *const h[] = {NULL,	     "",	  "bytes=0-1,5-6",
					"items=0-1", "bytes=9-3", "bytes=x-",
					"bytes=-",   "bytes=1-x", "bytes=99999999999999999999999-",
					"bytes=--1", "bytes=5"};
	uint64_t f = 7, l = 7;

	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		assert_int_equal(api__range_parse(h[i], 1000, &f, &l), ENOENT);
	assert_int_equal(f, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_ranges_are_clipped_to_the_file),
	    cmocka_unit_test(test_range_past_the_end_is_unsatisfiable),
	    cmocka_unit_test(test_unserved_ranges_mean_the_whole_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
