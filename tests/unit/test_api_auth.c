/*
 * The API's sessions and login limits (src/api/auth.c) on their own, without a socket:
 * a token is found by its hash only, expires when idle or old, is revoked at logout;
 * the request rate is a token bucket; failed logins block a user after five and an
 * address after twenty, and a success clears the user's count. The clock is the real
 * one; the limits are set small so that nothing waits long.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api_int.h"
#include "core/log.h"

static struct api *make(void)
{
	struct api *a = calloc(1, sizeof(*a));

	assert_non_null(a);
	assert_int_equal(api__sessions_init(a), 0);
	return a;
}

static void drop(struct api *a)
{
	api__sessions_free(a);
	free(a);
}

static void test_token_found_by_its_hash_only(void **state)
{
	struct api *a = make();
	char tok[64], other[64];
	struct api_session *s;

	assert_int_equal(api__session_new(a, "acme", "alice", API_ROLE_AGENT, tok), 0);
	assert_int_equal(strlen(tok), 43); /* 256 bits, base64url without padding */
	s = api__session_token(a, tok);
	assert_non_null(s);
	assert_string_equal(s->tenant, "acme");
	assert_string_equal(s->user, "alice");
	assert_int_equal(s->roles, API_ROLE_AGENT);
	/* The table holds no copy of the token itself. */
	assert_null(memmem(s, sizeof(*s), tok, strlen(tok)));
	memcpy(other, tok, sizeof(other));
	other[5] = other[5] == 'A' ? 'B' : 'A';
	assert_null(api__session_token(a, other));
	assert_null(api__session_token(a, "short"));
	assert_null(api__session_token(a, NULL));
	assert_int_equal(api__session_new(a, "acme", "alice", API_ROLE_AGENT, other), 0);
	assert_string_not_equal(tok, other);
	drop(a);
}

static void test_logout_revokes(void **state)
{
	struct api *a = make();
	char tok[64];

	assert_int_equal(api__session_new(a, "acme", "bob", API_ROLE_SUPERVISOR, tok), 0);
	api__session_drop(a, api__session_token(a, tok));
	assert_null(api__session_token(a, tok));
	assert_int_equal(a->n_sessions, 0);
	drop(a);
}

static void test_idle_and_absolute_expiry(void **state)
{
	struct api *a = make();
	char t1[64], t2[64];
	struct api_session *s;

	a->c.session_idle_s = 1;
	a->c.session_max_s = 3;
	assert_int_equal(api__session_new(a, "acme", "alice", API_ROLE_AGENT, t1), 0);
	assert_int_equal(api__session_new(a, "acme", "bob", API_ROLE_AGENT, t2), 0);
	/* Used within the idle time it lives on; unused it expires. */
	s = api__session_token(a, t2);
	s->used_ms -= 1500;
	assert_null(api__session_token(a, t2));
	assert_non_null(api__session_token(a, t1));
	/* However busy, it ends at the absolute limit. */
	s = api__session_token(a, t1);
	s->created_ms -= 3500;
	assert_null(api__session_token(a, t1));
	/* The sweep frees both (it walks 64 buckets a call). */
	for (int i = 0; i < 4096 / 64; i++)
		api__sessions_expire(a);
	assert_int_equal(a->n_sessions, 0);
	drop(a);
}

static void test_rate_is_a_token_bucket(void **state)
{
	struct api *a = make();
	char tok[64];
	struct api_session *s;
	int ok = 0;

	a->c.rate_per_s = 10;
	assert_int_equal(api__session_new(a, "acme", "alice", API_ROLE_AGENT, tok), 0);
	s = api__session_token(a, tok);
	for (int i = 0; i < 100; i++)
		ok += api__rate_ok(a, s);
	assert_in_range(ok, 40, 41); /* a burst of four seconds' worth */
	assert_false(api__rate_ok(a, s));
	s->bucket_ms -= 1000; /* a second later: ten more */
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += api__rate_ok(a, s);
	assert_in_range(ok, 10, 11);
	drop(a);
}

static void test_login_blocks_user_then_address(void **state)
{
	struct api *a = make();

	for (int i = 0; i < 4; i++)
		api__login_failed(a, "192.0.2.1", "acme", "alice");
	assert_false(api__login_blocked(a, "192.0.2.1", "acme", "alice"));
	api__login_ok(a, "acme", "alice"); /* a success clears the user's count */
	for (int i = 0; i < 4; i++)
		api__login_failed(a, "192.0.2.1", "acme", "alice");
	assert_false(api__login_blocked(a, "192.0.2.1", "acme", "alice"));
	api__login_failed(a, "192.0.2.1", "acme", "alice");
	assert_true(api__login_blocked(a, "192.0.2.1", "acme", "alice"));
	/* Another user from the same address is not blocked by alice's failures ... */
	assert_false(api__login_blocked(a, "192.0.2.1", "acme", "bob"));
	/* ... until the address reaches four times the user's allowance (9 so far). */
	for (int i = 0; i < 10; i++)
		api__login_failed(a, "192.0.2.1", "acme", "u");
	assert_false(api__login_blocked(a, "192.0.2.1", "acme", "bob"));
	api__login_failed(a, "192.0.2.1", "acme", "v");
	assert_true(api__login_blocked(a, "192.0.2.1", "acme", "bob"));
	assert_false(api__login_blocked(a, "192.0.2.2", "acme", "bob"));
	/* The same user name in another tenant is another user. */
	assert_false(api__login_blocked(a, "192.0.2.2", "beta", "alice"));
	drop(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_found_by_its_hash_only),
	    cmocka_unit_test(test_logout_revokes),
	    cmocka_unit_test(test_idle_and_absolute_expiry),
	    cmocka_unit_test(test_rate_is_a_token_bucket),
	    cmocka_unit_test(test_login_blocks_user_then_address),
	};

	log_setup((enum log_level)(LOG_LEVEL_ERROR + 1), 2);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
