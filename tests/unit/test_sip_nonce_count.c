/*
 * Tests of nonce-count replay protection (src/sip/digest_nc.c) and of the nonces it
 * keys on: every challenge gets its own nonce, an accepted (nonce, nc) cannot be used
 * again, counts must grow, a nonce without qop serves once, and a table too small for
 * the traffic re-challenges the nonces it forgot instead of trusting them. Time is
 * passed in: no sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/digest.h"

#define NOW   1763900000
#define TTL_S 300

static struct digest_key key;

static int setup(void **state)
{
	digest_key_init(&key);
	return 0;
}

static void test_nonces_of_one_second_differ(void **state)
{
	char a[64], b[64];

	digest_nonce_make(&key, NOW, a, sizeof(a));
	digest_nonce_make(&key, NOW, b, sizeof(b));
	assert_string_not_equal(a, b);
	assert_int_equal(digest_nonce_check(&key, a, NOW, TTL_S), 0);
	assert_int_equal(digest_nonce_check(&key, b, NOW, TTL_S), 0);
	/* The serial cannot be moved onto another time: the MAC covers both. */
	b[0] = b[0] == '6' ? '7' : '6';
	assert_int_equal(digest_nonce_check(&key, b, NOW, TTL_S), EINVAL);
}

static void test_same_nc_again_is_a_replay(void **state)
{
	struct digest_nc_table *t;
	char n[64];

	assert_int_equal(digest_nc_create(64, &t), 0);
	digest_nonce_make(&key, NOW, n, sizeof(n));
	assert_int_equal(digest_nc_accept(t, n, "00000001", NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, n, "00000001", NOW + 1, TTL_S), EALREADY);
	digest_nc_free(t);
}

static void test_growing_counts_accepted_lower_ones_refused(void **state)
{
	struct digest_nc_table *t;
	char n[64];

	assert_int_equal(digest_nc_create(64, &t), 0);
	digest_nonce_make(&key, NOW, n, sizeof(n));
	assert_int_equal(digest_nc_accept(t, n, "00000001", NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, n, "00000002", NOW, TTL_S), 0);
	/* Skipping counts is allowed (a request may have been lost). */
	assert_int_equal(digest_nc_accept(t, n, "0000000A", NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, n, "00000009", NOW, TTL_S), EALREADY);
	assert_int_equal(digest_nc_accept(t, n, "0000000a", NOW, TTL_S), EALREADY);
	assert_int_equal(digest_nc_accept(t, n, "0000000b", NOW, TTL_S), 0);
	digest_nc_free(t);
}

static void test_nonce_without_qop_serves_once(void **state)
{
	struct digest_nc_table *t;
	char n[64];

	assert_int_equal(digest_nc_create(64, &t), 0);
	digest_nonce_make(&key, NOW, n, sizeof(n));
	assert_int_equal(digest_nc_accept(t, n, NULL, NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, n, NULL, NOW, TTL_S), EALREADY);
	digest_nc_free(t);
}

static void test_nonces_of_one_second_counted_apart(void **state)
{
	struct digest_nc_table *t;
	char a[64], b[64];

	assert_int_equal(digest_nc_create(64, &t), 0);
	digest_nonce_make(&key, NOW, a, sizeof(a));
	digest_nonce_make(&key, NOW, b, sizeof(b));
	assert_int_equal(digest_nc_accept(t, a, "00000001", NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, b, "00000001", NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, a, "00000002", NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, b, "00000001", NOW, TTL_S), EALREADY);
	digest_nc_free(t);
}

static void test_forgotten_nonce_is_stale_never_trusted(void **state)
{
	struct digest_nc_table *t;
	char n[6][64];

	/* One set of four entries: the fifth live nonce pushes out the oldest-born. */
	assert_int_equal(digest_nc_create(4, &t), 0);
	for (int i = 0; i < 5; i++) {
		digest_nonce_make(&key, NOW + i, n[i], sizeof(n[i]));
		assert_int_equal(digest_nc_accept(t, n[i], "00000001", NOW + 5, TTL_S), 0);
	}
	/* n[0] was forgotten: its replay, and even its next count, get a fresh challenge. */
	assert_int_equal(digest_nc_accept(t, n[0], "00000001", NOW + 5, TTL_S), ESTALE);
	assert_int_equal(digest_nc_accept(t, n[0], "00000002", NOW + 5, TTL_S), ESTALE);
	/* The others are still counted. */
	for (int i = 1; i < 5; i++)
		assert_int_equal(digest_nc_accept(t, n[i], "00000001", NOW + 5, TTL_S), EALREADY);
	/* A nonce born after the forgotten one is taken (making room again). */
	digest_nonce_make(&key, NOW + 6, n[5], sizeof(n[5]));
	assert_int_equal(digest_nc_accept(t, n[5], "00000001", NOW + 6, TTL_S), 0);
	digest_nc_free(t);
}

static void test_expired_entries_make_room_without_forgetting(void **state)
{
	struct digest_nc_table *t;
	char old[4][64], fresh[64], early[64];

	assert_int_equal(digest_nc_create(4, &t), 0);
	for (int i = 0; i < 4; i++) {
		digest_nonce_make(&key, NOW, old[i], sizeof(old[i]));
		assert_int_equal(digest_nc_accept(t, old[i], "00000001", NOW, TTL_S), 0);
	}
	/* A nonce issued before the others expired but first used after they did. */
	digest_nonce_make(&key, NOW + 10, early, sizeof(early));
	digest_nonce_make(&key, NOW + TTL_S + 5, fresh, sizeof(fresh));
	assert_int_equal(digest_nc_accept(t, fresh, "00000001", NOW + TTL_S + 5, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, early, "00000001", NOW + TTL_S + 5, TTL_S), 0);
	digest_nc_free(t);
}

static void test_malformed_count_or_nonce_is_invalid(void **state)
{
	struct digest_nc_table *t;
	char n[64];

	assert_int_equal(digest_nc_create(64, &t), 0);
	digest_nonce_make(&key, NOW, n, sizeof(n));
	assert_int_equal(digest_nc_accept(t, n, "", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nc_accept(t, n, "00000000", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nc_accept(t, n, "0000000g", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nc_accept(t, n, "100000000", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nc_accept(t, NULL, "00000001", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nc_accept(t, "nodot", "00000001", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nc_accept(t, "5f.0123", "00000001", NOW, TTL_S), EINVAL);
	/* Short counts are read as numbers. */
	assert_int_equal(digest_nc_accept(t, n, "1", NOW, TTL_S), 0);
	assert_int_equal(digest_nc_accept(t, n, "00000001", NOW, TTL_S), EALREADY);
	digest_nc_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nonces_of_one_second_differ),
	    cmocka_unit_test(test_same_nc_again_is_a_replay),
	    cmocka_unit_test(test_growing_counts_accepted_lower_ones_refused),
	    cmocka_unit_test(test_nonce_without_qop_serves_once),
	    cmocka_unit_test(test_nonces_of_one_second_counted_apart),
	    cmocka_unit_test(test_forgotten_nonce_is_stale_never_trusted),
	    cmocka_unit_test(test_expired_entries_make_room_without_forgetting),
	    cmocka_unit_test(test_malformed_count_or_nonce_is_invalid),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
