/*
 * Tests of SIP digest authentication (src/sip/digest.c): the hash arithmetic against the
 * worked examples of RFC 2617 §3.5 and RFC 7616 §3.9.1, response verification with MD5
 * and SHA-256 (qop=auth with nc/cnonce, and the RFC 2069 form without qop), our signed
 * nonces (foreign, tampered, expired → stale), the challenge header, and the guard that
 * blocks an address after repeated failures. Time is passed in: no sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/digest.h"

#define NOW   1763900000 /* a fixed wall-clock second */
#define TTL_S 300

/* An independent hex hash of "a:b:c", so that verification is not checked against the
 * very function it uses. */
static void ref_hash(const char *md, char *out, const char *const *parts)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_get_digestbyname(md), NULL), 1);
	for (size_t i = 0; parts[i]; i++) {
		if (i)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	EVP_DigestFinal_ex(ctx, h, &n);
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

/* The credentials of RFC 7616 §3.9.1, answering a nonce of ours. */
struct creds {
	const char *md; /* "MD5" or "SHA256" */
	const char *user, *realm, *password, *method, *uri, *cnonce, *nc;
};

static const struct creds mufasa_md5 = {"MD5",
					"Mufasa",
					"http-auth@example.org",
					"Circle of Life",
					"REGISTER",
					"sip:example.org",
					"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
					"00000001"};

static const struct creds mufasa_sha = {"SHA256",
					"Mufasa",
					"http-auth@example.org",
					"Circle of Life",
					"REGISTER",
					"sip:example.org",
					"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
					"00000001"};

/* Computes HA1 and the response a phone would send for `nonce` (qop=auth when `qop`). */
static void phone_response(const struct creds *c, const char *password, const char *nonce, bool qop,
			   char ha1[65], char resp[65])
{
	char ha1_user[65], ha2[65];

	ref_hash(c->md, ha1_user, (const char *const[]){c->user, c->realm, password, NULL});
	ref_hash(c->md, ha1, (const char *const[]){c->user, c->realm, c->password, NULL});
	ref_hash(c->md, ha2, (const char *const[]){c->method, c->uri, NULL});
	if (qop)
		ref_hash(
		    c->md, resp,
		    (const char *const[]){ha1_user, nonce, c->nc, c->cnonce, "auth", ha2, NULL});
	else
		ref_hash(c->md, resp, (const char *const[]){ha1_user, nonce, ha2, NULL});
}

static struct digest_response response_of(const struct creds *c, const char *nonce,
					  const char *resp, bool qop)
{
	struct digest_response r = {
	    .username = c->user,
	    .realm = c->realm,
	    .nonce = nonce,
	    .uri = c->uri,
	    .response = resp,
	    .algorithm = strcmp(c->md, "MD5") ? "SHA-256" : "MD5",
	    .cnonce = qop ? c->cnonce : NULL,
	    .qop = qop ? "auth" : NULL,
	    .nc = qop ? c->nc : NULL,
	};
	return r;
}

static enum digest_result verify_as_phone(const struct creds *c, const char *password, bool qop,
					  int64_t nonce_born, int64_t now)
{
	struct digest_key key;
	struct digest_response r;
	char nonce[64], ha1[65], resp[65];

	digest_key_init(&key);
	digest_nonce_make(&key, nonce_born, nonce, sizeof(nonce));
	phone_response(c, password, nonce, qop, ha1, resp);
	r = response_of(c, nonce, resp, qop);
	return digest_verify(&key, &r, c->method, ha1, now, TTL_S);
}

static void test_hash_join_rfc2617_md5_example(void **state)
{
	char ha1[33], ha2[33], resp[33];

	digest_hash_join(
	    DIGEST_MD5, ha1,
	    (const char *const[]){"Mufasa", "testrealm@host.com", "Circle Of Life", NULL});
	assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
	digest_hash_join(DIGEST_MD5, ha2, (const char *const[]){"GET", "/dir/index.html", NULL});
	digest_hash_join(DIGEST_MD5, resp,
			 (const char *const[]){ha1, "dcd98b7102dd2f0e8b11d0f600bfb0c093",
					       "00000001", "0a4f113b", "auth", ha2, NULL});
	assert_string_equal(resp, "6629fae49393a05397450978507c4ef1");
}

/* RFC 7616 §3.9.1 gives the same challenge answered with MD5 and with SHA-256. */
static void rfc7616_response(enum digest_alg alg, char *out)
{
	static const char nonce[] = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	static const char cnonce[] = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	char ha1[65], ha2[65];

	digest_hash_join(
	    alg, ha1,
	    (const char *const[]){"Mufasa", "http-auth@example.org", "Circle of Life", NULL});
	digest_hash_join(alg, ha2, (const char *const[]){"GET", "/dir/index.html", NULL});
	digest_hash_join(alg, out,
			 (const char *const[]){ha1, nonce, "00000001", cnonce, "auth", ha2, NULL});
}

static void test_hash_join_rfc7616_md5_example(void **state)
{
	char resp[65];

	rfc7616_response(DIGEST_MD5, resp);
	assert_string_equal(resp, "8ca523f5e9506fed4657c9700eebdbec");
}

static void test_hash_join_rfc7616_sha256_example(void **state)
{
	char resp[65];

	rfc7616_response(DIGEST_SHA256, resp);
	assert_string_equal(resp,
			    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

static void test_alg_parse_names(void **state)
{
	enum digest_alg a = DIGEST_SHA256;

	assert_true(digest_alg_parse(NULL, &a));
	assert_int_equal(a, DIGEST_MD5);
	assert_true(digest_alg_parse("sha-256", &a));
	assert_int_equal(a, DIGEST_SHA256);
	assert_true(digest_alg_parse("MD5", &a));
	assert_int_equal(a, DIGEST_MD5);
	assert_false(digest_alg_parse("SHA-512-256", &a));
	assert_false(digest_alg_parse("MD5-sess", &a));
}

static void test_verify_md5_qop_auth_accepted(void **state)
{
	assert_int_equal(verify_as_phone(&mufasa_md5, "Circle of Life", true, NOW, NOW), DIGEST_OK);
}

static void test_verify_sha256_qop_auth_accepted(void **state)
{
	assert_int_equal(verify_as_phone(&mufasa_sha, "Circle of Life", true, NOW, NOW), DIGEST_OK);
}

static void test_verify_md5_without_qop_accepted(void **state)
{
	assert_int_equal(verify_as_phone(&mufasa_md5, "Circle of Life", false, NOW, NOW),
			 DIGEST_OK);
}

static void test_verify_sha256_without_qop_accepted(void **state)
{
	assert_int_equal(verify_as_phone(&mufasa_sha, "Circle of Life", false, NOW, NOW),
			 DIGEST_OK);
}

static void test_verify_wrong_password_rejected(void **state)
{
	assert_int_equal(verify_as_phone(&mufasa_md5, "Circle Of Life", true, NOW, NOW),
			 DIGEST_BAD);
	assert_int_equal(verify_as_phone(&mufasa_sha, "circle of life", true, NOW, NOW),
			 DIGEST_BAD);
	assert_int_equal(verify_as_phone(&mufasa_md5, "", false, NOW, NOW), DIGEST_BAD);
}

static void test_verify_expired_nonce_is_stale(void **state)
{
	assert_int_equal(verify_as_phone(&mufasa_md5, "Circle of Life", true, NOW - TTL_S - 1, NOW),
			 DIGEST_STALE);
	assert_int_equal(verify_as_phone(&mufasa_sha, "Circle of Life", true, NOW - 3600, NOW),
			 DIGEST_STALE);
}

static void test_verify_expired_nonce_wrong_password_rejected(void **state)
{
	/* Stale means "right password, ask again": a wrong one must not learn that much. */
	assert_int_equal(verify_as_phone(&mufasa_md5, "guess", true, NOW - TTL_S - 1, NOW),
			 DIGEST_BAD);
}

static void test_verify_nonce_at_ttl_still_valid(void **state)
{
	assert_int_equal(verify_as_phone(&mufasa_md5, "Circle of Life", true, NOW - TTL_S, NOW),
			 DIGEST_OK);
}

static void test_verify_foreign_nonce_rejected(void **state)
{
	struct digest_key ours, theirs;
	struct digest_response r;
	char nonce[64], ha1[65], resp[65];

	digest_key_init(&ours);
	digest_key_init(&theirs);
	digest_nonce_make(&theirs, NOW, nonce, sizeof(nonce));
	phone_response(&mufasa_md5, "Circle of Life", nonce, true, ha1, resp);
	r = response_of(&mufasa_md5, nonce, resp, true);
	assert_int_equal(digest_verify(&ours, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);

	/* The RFC's own nonce is not one of ours either. */
	const char *rfc_nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	phone_response(&mufasa_md5, "Circle of Life", rfc_nonce, true, ha1, resp);
	r = response_of(&mufasa_md5, rfc_nonce, resp, true);
	assert_int_equal(digest_verify(&ours, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
}

static void test_verify_nonce_with_forged_timestamp_rejected(void **state)
{
	struct digest_key key;
	struct digest_response r;
	char nonce[64], forged[80], ha1[65], resp[65];

	digest_key_init(&key);
	/* An old nonce whose time is rewritten to now, keeping its signature. */
	digest_nonce_make(&key, NOW - 3600, nonce, sizeof(nonce));
	snprintf(forged, sizeof(forged), "%llx%s", (unsigned long long)NOW, strchr(nonce, '.'));
	assert_int_equal(digest_nonce_check(&key, forged, NOW, TTL_S), EINVAL);
	phone_response(&mufasa_md5, "Circle of Life", forged, true, ha1, resp);
	r = response_of(&mufasa_md5, forged, resp, true);
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
}

static void test_verify_uppercase_hex_response_accepted(void **state)
{
	struct digest_key key;
	struct digest_response r;
	char nonce[64], ha1[65], resp[65];

	digest_key_init(&key);
	digest_nonce_make(&key, NOW, nonce, sizeof(nonce));
	for (int i = 0; i < 2; i++) {
		const struct creds *c = i ? &mufasa_sha : &mufasa_md5;
		phone_response(c, "Circle of Life", nonce, true, ha1, resp);
		for (char *p = resp; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		r = response_of(c, nonce, resp, true);
		assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_OK);
	}
}

static void test_verify_other_method_rejected(void **state)
{
	struct digest_key key;
	struct digest_response r;
	char nonce[64], ha1[65], resp[65];

	digest_key_init(&key);
	digest_nonce_make(&key, NOW, nonce, sizeof(nonce));
	phone_response(&mufasa_md5, "Circle of Life", nonce, true, ha1, resp);
	r = response_of(&mufasa_md5, nonce, resp, true);
	assert_int_equal(digest_verify(&key, &r, "INVITE", ha1, NOW, TTL_S), DIGEST_BAD);
}

static void test_verify_qop_without_nc_or_cnonce_rejected(void **state)
{
	struct digest_key key;
	struct digest_response r;
	char nonce[64], ha1[65], resp[65];

	digest_key_init(&key);
	digest_nonce_make(&key, NOW, nonce, sizeof(nonce));
	phone_response(&mufasa_md5, "Circle of Life", nonce, true, ha1, resp);
	r = response_of(&mufasa_md5, nonce, resp, true);
	r.nc = NULL;
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
	r = response_of(&mufasa_md5, nonce, resp, true);
	r.cnonce = NULL;
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
	r = response_of(&mufasa_md5, nonce, resp, true);
	r.qop = "auth-int";
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
}

static void test_verify_algorithm_mismatch_rejected(void **state)
{
	struct digest_key key;
	struct digest_response r;
	char nonce[64], ha1[65], resp[65];

	digest_key_init(&key);
	digest_nonce_make(&key, NOW, nonce, sizeof(nonce));
	phone_response(&mufasa_md5, "Circle of Life", nonce, true, ha1, resp);
	r = response_of(&mufasa_md5, nonce, resp, true);
	r.algorithm = "SHA-256"; /* an MD5 response claiming SHA-256 */
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
	r.algorithm = "SHA-512-256";
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
}

static void test_verify_missing_fields_rejected(void **state)
{
	struct digest_key key;
	struct digest_response r;
	char nonce[64], ha1[65], resp[65];

	digest_key_init(&key);
	digest_nonce_make(&key, NOW, nonce, sizeof(nonce));
	phone_response(&mufasa_md5, "Circle of Life", nonce, true, ha1, resp);
	r = response_of(&mufasa_md5, nonce, resp, true);
	r.response = NULL;
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
	r = response_of(&mufasa_md5, nonce, resp, true);
	r.uri = NULL;
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
	r = response_of(&mufasa_md5, nonce, resp, true);
	assert_int_equal(digest_verify(&key, &r, "REGISTER", "", NOW, TTL_S), DIGEST_BAD);
	r.response = "abc";
	assert_int_equal(digest_verify(&key, &r, "REGISTER", ha1, NOW, TTL_S), DIGEST_BAD);
}

static void test_nonce_check_results(void **state)
{
	struct digest_key key;
	char nonce[64];

	digest_key_init(&key);
	digest_nonce_make(&key, NOW, nonce, sizeof(nonce));
	assert_int_equal(digest_nonce_check(&key, nonce, NOW, TTL_S), 0);
	assert_int_equal(digest_nonce_check(&key, nonce, NOW + TTL_S, TTL_S), 0);
	assert_int_equal(digest_nonce_check(&key, nonce, NOW + TTL_S + 1, TTL_S), ETIMEDOUT);
	/* A nonce from the future (clock stepped back a lot) is not trusted as fresh. */
	assert_int_equal(digest_nonce_check(&key, nonce, NOW - 60, TTL_S), ETIMEDOUT);
	assert_int_equal(digest_nonce_check(&key, NULL, NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nonce_check(&key, "", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nonce_check(&key, "nodot", NOW, TTL_S), EINVAL);
	assert_int_equal(digest_nonce_check(&key, ".0123456789abcdef0123456789abcdef", NOW, TTL_S),
			 EINVAL);
	nonce[strlen(nonce) - 1] ^= 1;
	assert_int_equal(digest_nonce_check(&key, nonce, NOW, TTL_S), EINVAL);
}

static void test_challenge_names_realm_algorithm_and_qop(void **state)
{
	struct digest_key key;
	char buf[256], nonce[80];
	const char *p, *q;

	digest_key_init(&key);
	digest_challenge(&key, "acme.example", DIGEST_SHA256, false, NOW, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Digest realm=\"acme.example\""));
	assert_non_null(strstr(buf, "algorithm=SHA-256"));
	assert_non_null(strstr(buf, "qop=\"auth\""));
	assert_null(strstr(buf, "stale"));
	/* The nonce it carries is one of ours and fresh. */
	p = strstr(buf, "nonce=\"");
	assert_non_null(p);
	p += 7;
	q = strchr(p, '"');
	assert_non_null(q);
	snprintf(nonce, sizeof(nonce), "%.*s", (int)(q - p), p);
	assert_int_equal(digest_nonce_check(&key, nonce, NOW, TTL_S), 0);

	digest_challenge(&key, "acme.example", DIGEST_MD5, true, NOW, buf, sizeof(buf));
	assert_non_null(strstr(buf, "algorithm=MD5"));
	assert_non_null(strstr(buf, "stale=true"));
}

static void test_ua_md5_only_for_old_baresip(void **state)
{
	assert_true(digest_ua_md5_only("baresip v1.0.0 (x86_64/linux)"));
	assert_true(digest_ua_md5_only("baresip v0.6.6 (arm/linux)"));
	assert_false(digest_ua_md5_only("baresip v2.9.0 (x86_64/linux)"));
	assert_false(digest_ua_md5_only("Linphone/5.2.0"));
	assert_false(digest_ua_md5_only(""));
	assert_false(digest_ua_md5_only(NULL));
}

static struct digest_guard *guard_new(unsigned limit)
{
	struct digest_guard *g = NULL;

	assert_int_equal(digest_guard_create(64, limit, 60000, 600000, &g), 0);
	assert_non_null(g);
	return g;
}

static void test_guard_blocks_at_limit(void **state)
{
	struct digest_guard *g = guard_new(3);
	uint64_t t = 1000000;

	assert_false(digest_guard_blocked(g, "192.0.2.1", t));
	assert_false(digest_guard_fail(g, "192.0.2.1", t));
	assert_false(digest_guard_fail(g, "192.0.2.1", t + 1000));
	assert_false(digest_guard_blocked(g, "192.0.2.1", t + 1000));
	assert_true(digest_guard_fail(g, "192.0.2.1", t + 2000));
	assert_true(digest_guard_blocked(g, "192.0.2.1", t + 2000));
	assert_true(digest_guard_blocked(g, "192.0.2.1", t + 2000 + 599999));
	digest_guard_free(g);
}

static void test_guard_block_expires(void **state)
{
	struct digest_guard *g = guard_new(2);
	uint64_t t = 5000;

	digest_guard_fail(g, "192.0.2.7", t);
	assert_true(digest_guard_fail(g, "192.0.2.7", t));
	assert_true(digest_guard_blocked(g, "192.0.2.7", t + 599999));
	assert_false(digest_guard_blocked(g, "192.0.2.7", t + 600000));
	/* After the block the count starts again from zero. */
	assert_false(digest_guard_fail(g, "192.0.2.7", t + 600001));
	assert_false(digest_guard_blocked(g, "192.0.2.7", t + 600001));
	digest_guard_free(g);
}

static void test_guard_success_clears_failures(void **state)
{
	struct digest_guard *g = guard_new(3);

	digest_guard_fail(g, "192.0.2.2", 100);
	digest_guard_fail(g, "192.0.2.2", 200);
	digest_guard_ok(g, "192.0.2.2");
	assert_false(digest_guard_fail(g, "192.0.2.2", 300));
	assert_false(digest_guard_fail(g, "192.0.2.2", 400));
	assert_false(digest_guard_blocked(g, "192.0.2.2", 400));
	assert_true(digest_guard_fail(g, "192.0.2.2", 500));
	digest_guard_free(g);
}

static void test_guard_failures_outside_window_do_not_add_up(void **state)
{
	struct digest_guard *g = guard_new(3);

	digest_guard_fail(g, "192.0.2.3", 0 + 1);
	digest_guard_fail(g, "192.0.2.3", 30000);
	/* The window (60 s) from the first failure is over: counting starts again. */
	assert_false(digest_guard_fail(g, "192.0.2.3", 61002));
	assert_false(digest_guard_fail(g, "192.0.2.3", 62000));
	assert_false(digest_guard_blocked(g, "192.0.2.3", 62000));
	assert_true(digest_guard_fail(g, "192.0.2.3", 63000));
	digest_guard_free(g);
}

static void test_guard_addresses_counted_apart(void **state)
{
	struct digest_guard *g = guard_new(2);

	assert_false(digest_guard_fail(g, "192.0.2.4", 10));
	assert_false(digest_guard_fail(g, "192.0.2.5", 10));
	assert_true(digest_guard_fail(g, "192.0.2.4", 20));
	assert_true(digest_guard_blocked(g, "192.0.2.4", 30));
	assert_false(digest_guard_blocked(g, "192.0.2.5", 30));
	digest_guard_ok(g, "198.51.100.9"); /* unknown address: nothing happens */
	digest_guard_free(g);
}

/* An attacker with many addresses cannot clear a blocked address's block: whatever
 * other addresses fail, the blocked one stays blocked until its time is up. */
static void test_guard_block_survives_other_addresses(void **state)
{
	struct digest_guard *g = NULL;
	char addr[48];

	assert_int_equal(digest_guard_create(8, 2, 60000, 600000, &g), 0);
	digest_guard_fail(g, "192.0.2.66", 10);
	assert_true(digest_guard_fail(g, "192.0.2.66", 20));
	for (unsigned i = 0; i < 2000; i++) {
		snprintf(addr, sizeof(addr), "198.51.%u.%u", i / 250, i % 250);
		digest_guard_fail(g, addr, 100 + i);
		assert_true(digest_guard_blocked(g, "192.0.2.66", 100 + i));
	}
	assert_false(digest_guard_blocked(g, "192.0.2.66", 20 + 600000));
	digest_guard_free(g);
}

/* New addresses still get counted (and blocked) while the table is full of addresses
 * that are not blocked: the one heard from longest ago makes room. */
static void test_guard_evicts_quiet_unblocked_address(void **state)
{
	struct digest_guard *g = NULL;
	char addr[48];

	assert_int_equal(digest_guard_create(4, 2, 60000, 600000, &g), 0);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%u", i);
		assert_false(digest_guard_fail(g, addr, 10 + i));
	}
	assert_false(digest_guard_fail(g, "203.0.113.1", 100));
	assert_true(digest_guard_fail(g, "203.0.113.1", 101));
	assert_true(digest_guard_blocked(g, "203.0.113.1", 102));
	/* The oldest (198.51.100.0) was forgotten, the newest kept its count. */
	assert_false(digest_guard_fail(g, "198.51.100.0", 103));
	assert_true(digest_guard_fail(g, "198.51.100.3", 104));
	digest_guard_free(g);
}

/* When every slot holds a running block, a newcomer is not counted rather than any
 * block being cut short; once the blocks end it is counted again. */
static void test_guard_full_of_blocks_keeps_them(void **state)
{
	struct digest_guard *g = NULL;
	char addr[48];

	assert_int_equal(digest_guard_create(4, 1, 60000, 1000, &g), 0);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%u", i);
		assert_true(digest_guard_fail(g, addr, 10));
	}
	assert_false(digest_guard_fail(g, "203.0.113.1", 20));
	assert_false(digest_guard_blocked(g, "203.0.113.1", 20));
	for (unsigned i = 0; i < 4; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%u", i);
		assert_true(digest_guard_blocked(g, addr, 21));
	}
	assert_true(digest_guard_fail(g, "203.0.113.1", 1010));
	assert_true(digest_guard_blocked(g, "203.0.113.1", 1011));
	digest_guard_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_join_rfc2617_md5_example),
	    cmocka_unit_test(test_hash_join_rfc7616_md5_example),
	    cmocka_unit_test(test_hash_join_rfc7616_sha256_example),
	    cmocka_unit_test(test_alg_parse_names),
	    cmocka_unit_test(test_verify_md5_qop_auth_accepted),
	    cmocka_unit_test(test_verify_sha256_qop_auth_accepted),
	    cmocka_unit_test(test_verify_md5_without_qop_accepted),
	    cmocka_unit_test(test_verify_sha256_without_qop_accepted),
	    cmocka_unit_test(test_verify_wrong_password_rejected),
	    cmocka_unit_test(test_verify_expired_nonce_is_stale),
	    cmocka_unit_test(test_verify_expired_nonce_wrong_password_rejected),
	    cmocka_unit_test(test_verify_nonce_at_ttl_still_valid),
	    cmocka_unit_test(test_verify_foreign_nonce_rejected),
	    cmocka_unit_test(test_verify_nonce_with_forged_timestamp_rejected),
	    cmocka_unit_test(test_verify_uppercase_hex_response_accepted),
	    cmocka_unit_test(test_verify_other_method_rejected),
	    cmocka_unit_test(test_verify_qop_without_nc_or_cnonce_rejected),
	    cmocka_unit_test(test_verify_algorithm_mismatch_rejected),
	    cmocka_unit_test(test_verify_missing_fields_rejected),
	    cmocka_unit_test(test_nonce_check_results),
	    cmocka_unit_test(test_challenge_names_realm_algorithm_and_qop),
	    cmocka_unit_test(test_ua_md5_only_for_old_baresip),
	    cmocka_unit_test(test_guard_blocks_at_limit),
	    cmocka_unit_test(test_guard_block_expires),
	    cmocka_unit_test(test_guard_success_clears_failures),
	    cmocka_unit_test(test_guard_failures_outside_window_do_not_add_up),
	    cmocka_unit_test(test_guard_addresses_counted_apart),
	    cmocka_unit_test(test_guard_block_survives_other_addresses),
	    cmocka_unit_test(test_guard_evicts_quiet_unblocked_address),
	    cmocka_unit_test(test_guard_full_of_blocks_keeps_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
