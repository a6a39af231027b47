/*
 * The pure parts of webhook delivery: the signature a receiver checks (HMAC-SHA256 over
 * "TIMESTAMP.BODY", as "sha256=" and lower-case hex; the expected values were computed
 * independently with Python's hmac module) and the retry schedule (1 s doubling to
 * 10 min, given up 24 h after the event). Time is passed in: no clock, no sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/api_int.h"

static void test_signature_is_hmac_sha256_over_timestamp_dot_body(void **state)
{
	const char *body = "{\"seq\":1,\"type\":\"agent.state\"}";
	char sig[API_WEBHOOK_SIG_SIZE];

	api__webhook_sign("whsec-test-0123456789", 1700000000, body, strlen(body), sig);
	assert_string_equal(
	    sig, "sha256=276b536976f31dc7b31ac68c8c1b71746aeda76cce4f4458481bc09913a066b9");
}

static void test_signature_takes_keys_longer_than_a_block_and_empty_bodies(void **state)
{
	char key[101], sig[API_WEBHOOK_SIG_SIZE];

	memset(key, 'k', 100);
	key[100] = '\0';
	api__webhook_sign(key, 42, "", 0, sig);
	assert_string_equal(
	    sig, "sha256=4db982d05c0ed99947717e4489eb9dcb4eedadae0f4eda7c3b18ded63c766369");
}

static void test_signature_changes_with_timestamp_body_and_secret(void **state)
{
	char a[API_WEBHOOK_SIG_SIZE], b[API_WEBHOOK_SIG_SIZE];

	api__webhook_sign("secret-one-0123456789", 1, "x", 1, a);
	api__webhook_sign("secret-one-0123456789", 2, "x", 1, b);
	assert_string_not_equal(a, b);
	api__webhook_sign("secret-one-0123456789", 1, "y", 1, b);
	assert_string_not_equal(a, b);
	api__webhook_sign("secret-two-0123456789", 1, "x", 1, b);
	assert_string_not_equal(a, b);
	/* The body's length counts, not a terminating NUL. */
	api__webhook_sign("secret-one-0123456789", 1, "xy", 1, b);
	assert_string_equal(a, b);
}

static void test_backoff_doubles_from_one_second_to_ten_minutes(void **state)
{
	static const int64_t want[] = {1000,  1000,   2000,   4000,   8000,   16000, 32000,
				       64000, 128000, 256000, 512000, 600000, 600000};

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(api__webhook_backoff_ms(i), want[i]);
	assert_int_equal(api__webhook_backoff_ms(1000000), 600000);
}

static void test_next_attempt_is_now_plus_backoff(void **state)
{
	int64_t next = 0;

	assert_true(api__webhook_next(1000, 1500, 1, &next));
	assert_int_equal(next, 2500);
	assert_true(api__webhook_next(1000, 50000, 4, &next));
	assert_int_equal(next, 58000);
}

static void test_gives_up_24_hours_after_the_event(void **state)
{
	const int64_t day = 24 * 3600 * 1000LL;
	int64_t next = 7;

	/* The last attempt is the one whose successor would fall past the day. */
	assert_true(api__webhook_next(0, day - 600001, 30, &next));
	assert_int_equal(next, day - 1);
	next = 7;
	assert_false(api__webhook_next(0, day - 600000, 30, &next));
	assert_int_equal(next, 7); /* untouched when given up */
	assert_false(api__webhook_next(0, day + 1, 1, &next));
}

static void test_schedule_over_a_day_makes_about_150_attempts(void **state)
{
	/* 1 + 2 + ... + 512 s in the first ten attempts (about 17 min), then every 10 min:
	 * the whole schedule of a receiver down for good. */
	int64_t now = 0, next;
	unsigned attempts = 0;

	while (api__webhook_next(0, now, ++attempts, &next))
		now = next;
	assert_in_range(attempts, 150, 155);
	assert_true(now < 24 * 3600 * 1000LL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signature_is_hmac_sha256_over_timestamp_dot_body),
	    cmocka_unit_test(test_signature_takes_keys_longer_than_a_block_and_empty_bodies),
	    cmocka_unit_test(test_signature_changes_with_timestamp_body_and_secret),
	    cmocka_unit_test(test_backoff_doubles_from_one_second_to_ten_minutes),
	    cmocka_unit_test(test_next_attempt_is_now_plus_backoff),
	    cmocka_unit_test(test_gives_up_24_hours_after_the_event),
	    cmocka_unit_test(test_schedule_over_a_day_makes_about_150_attempts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
