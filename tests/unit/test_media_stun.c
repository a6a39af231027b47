/*
 * Unit tests of the STUN parser and builder (src/media/stun.c) with the test vectors of
 * RFC 5769 (sample request, IPv4 and IPv6 responses, short-term credentials), written
 * here from the RFC's text: parsing, MESSAGE-INTEGRITY and FINGERPRINT checks, the
 * builder reproducing the RFC's MAC and CRC, and malformed messages refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static const char PWD[] = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 2.1: Sample Request (SOFTWARE "STUN test client", PRIORITY, ICE-CONTROLLED,
 * USERNAME "evtj:h6vY" padded with spaces, MESSAGE-INTEGRITY, FINGERPRINT). */
static const uint8_t REQ[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

/* RFC 5769 2.2: Sample IPv4 Response (SOFTWARE "test vector", XOR-MAPPED-ADDRESS
 * 192.0.2.1 port 32853, MESSAGE-INTEGRITY, FINGERPRINT). */
static const uint8_t RESP4[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* RFC 5769 2.3: Sample IPv6 Response, up to its XOR-MAPPED-ADDRESS (the address
 * 2001:db8:1234:5678:11:2233:4455:6677 port 32853); the length says where it ends. */
static const uint8_t RESP6[] = {
    0x01, 0x01, 0x00, 0x28, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
    0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76,
    0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01,
    0x13, 0xa9, 0xfa, 0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9};

static void key(struct media__stun_key *k, const char *pwd)
{
	media__stun_key_init(k, pwd, strlen(pwd));
}

static void test_rfc5769_request_parsed_and_verified(void **state)
{
	struct media__stun_msg m;
	struct media__stun_key k, wrong;

	(void)state;
	assert_true(media__stun_is(REQ, sizeof(REQ)));
	assert_int_equal(media__stun_parse(REQ, sizeof(REQ), &m), 0);
	assert_int_equal(m.type, MEDIA__STUN_BINDING_REQUEST);
	assert_memory_equal(m.txid, REQ + 8, 12);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "evtj:h6vY", 9);
	assert_true(m.has_priority);
	assert_int_equal(m.priority, 0x6e0001ffu);
	assert_true(m.controlled);
	assert_false(m.controlling);
	assert_true(m.tiebreaker == 0x932ff9b151263b36ull);
	assert_false(m.use_candidate);
	assert_int_equal(m.nunknown, 0);
	assert_int_equal(m.integrity_at, 76);
	assert_int_equal(m.fingerprint_at, 100);
	key(&k, PWD);
	assert_true(media__stun_check_integrity(REQ, &m, &k));
	assert_true(media__stun_check_fingerprint(REQ, &m));
	key(&wrong, "VOkJxbRl1RmTxUk/WvJxBT");
	assert_false(media__stun_check_integrity(REQ, &m, &wrong));
}

static void test_rfc5769_ipv4_response_parsed_and_verified(void **state)
{
	struct media__stun_msg m;
	struct media__stun_key k;

	(void)state;
	assert_int_equal(media__stun_parse(RESP4, sizeof(RESP4), &m), 0);
	assert_int_equal(m.type, MEDIA__STUN_BINDING_SUCCESS);
	assert_true(m.has_xaddr);
	assert_int_equal(m.xfamily, 1);
	assert_int_equal(ntohl(m.xaddr.sin_addr.s_addr), 0xc0000201u); /* 192.0.2.1 */
	assert_int_equal(ntohs(m.xaddr.sin_port), 32853);
	key(&k, PWD);
	assert_true(media__stun_check_integrity(RESP4, &m, &k));
	assert_true(media__stun_check_fingerprint(RESP4, &m));
}

static void test_rfc5769_ipv6_address_decoded(void **state)
{
	struct media__stun_msg m;
	struct in6_addr want;

	(void)state;
	assert_int_equal(media__stun_parse(RESP6, sizeof(RESP6), &m), 0);
	assert_int_equal(m.xfamily, 2);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &want), 1);
	assert_memory_equal(&m.xaddr6.sin6_addr, &want, 16);
	assert_int_equal(ntohs(m.xaddr6.sin6_port), 32853);
	assert_false(media__stun_check_fingerprint(RESP6, &m)); /* it has none */
}

/* The builder's MESSAGE-INTEGRITY and FINGERPRINT over the RFC's own attributes give the
 * RFC's bytes. */
static void test_builder_reproduces_rfc5769_mac_and_crc(void **state)
{
	const uint8_t *vec[] = {REQ, RESP4};
	size_t lens[] = {sizeof(REQ), sizeof(RESP4)};
	struct media__stun_key k;

	(void)state;
	key(&k, PWD);
	for (int i = 0; i < 2; i++) {
		uint8_t buf[256];
		struct media__stun_w w;
		size_t len, before = lens[i] - 24 - 8;

		media__stun_begin(&w, buf, sizeof(buf), (uint16_t)(vec[i][0] << 8 | vec[i][1]),
				  vec[i] + 8);
		/* The attributes before MESSAGE-INTEGRITY, as the RFC pads them. */
		memcpy(buf + 20, vec[i] + 20, before - 20);
		w.len = before;
		media__stun_put_integrity(&w, &k);
		media__stun_put_fingerprint(&w);
		assert_int_equal(media__stun_finish(&w, &len), 0);
		assert_int_equal(len, lens[i]);
		assert_memory_equal(buf, vec[i], len);
	}
}

static void test_binding_response_built_and_read_back(void **state)
{
	uint8_t buf[128], txid[12];
	struct media__stun_w w;
	struct media__stun_msg m;
	struct media__stun_key k;
	struct sockaddr_in a;
	size_t len;

	(void)state;
	for (int i = 0; i < 12; i++)
		txid[i] = (uint8_t)(i * 17);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(0x7f000001);
	a.sin_port = htons(50002);
	key(&k, "local-ice-password-0123");
	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_SUCCESS, txid);
	media__stun_put_xaddr(&w, &a);
	media__stun_put_integrity(&w, &k);
	media__stun_put_fingerprint(&w);
	assert_int_equal(media__stun_finish(&w, &len), 0);
	assert_int_equal(len, 20 + 12 + 24 + 8);
	assert_true(media__stun_is(buf, len));
	assert_int_equal(media__stun_parse(buf, len, &m), 0);
	assert_int_equal(m.type, MEDIA__STUN_BINDING_SUCCESS);
	assert_memory_equal(m.txid, txid, 12);
	assert_true(m.has_xaddr);
	assert_int_equal(m.xaddr.sin_addr.s_addr, a.sin_addr.s_addr);
	assert_int_equal(m.xaddr.sin_port, a.sin_port);
	assert_true(media__stun_check_integrity(buf, &m, &k));
	assert_true(media__stun_check_fingerprint(buf, &m));
	/* One bit changed anywhere fails both checks. */
	buf[27] ^= 0x40; /* in the port */
	assert_int_equal(media__stun_parse(buf, len, &m), 0);
	assert_false(media__stun_check_integrity(buf, &m, &k));
	assert_false(media__stun_check_fingerprint(buf, &m));
}

static void test_ice_request_attributes_round_trip(void **state)
{
	uint8_t buf[256], txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	struct media__stun_w w;
	struct media__stun_msg m;
	struct media__stun_key k;
	size_t len;

	(void)state;
	key(&k, "pwd");
	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_REQUEST, txid);
	media__stun_put(&w, MEDIA__STUN_A_USERNAME, "abcd:efgh", 9);
	media__stun_put_u32(&w, MEDIA__STUN_A_PRIORITY, 1853817087u);
	media__stun_put(&w, MEDIA__STUN_A_USE_CANDIDATE, NULL, 0);
	media__stun_put_u64(&w, MEDIA__STUN_A_ICE_CONTROLLING, 0x0102030405060708ull);
	media__stun_put_integrity(&w, &k);
	media__stun_put_fingerprint(&w);
	assert_int_equal(media__stun_finish(&w, &len), 0);
	assert_int_equal(media__stun_parse(buf, len, &m), 0);
	assert_int_equal(m.username_len, 9);
	assert_memory_equal(m.username, "abcd:efgh", 9);
	/* Padding of the builder is zeros. */
	assert_int_equal(buf[20 + 4 + 9], 0);
	assert_int_equal(m.priority, 1853817087u);
	assert_true(m.use_candidate);
	assert_true(m.controlling);
	assert_true(m.tiebreaker == 0x0102030405060708ull);
	assert_true(media__stun_check_integrity(buf, &m, &k));
	assert_true(media__stun_check_fingerprint(buf, &m));
}

static void test_error_responses_built(void **state)
{
	uint8_t buf[128], txid[12] = {0};
	uint16_t unknown[2] = {htons(0x0031), htons(0x0044)};
	struct media__stun_w w;
	struct media__stun_msg m;
	size_t len;

	(void)state;
	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_ERROR, txid);
	media__stun_put_error(&w, 420, "Unknown Attribute");
	media__stun_put(&w, MEDIA__STUN_A_UNKNOWN_ATTRIBUTES, unknown, sizeof(unknown));
	media__stun_put_fingerprint(&w);
	assert_int_equal(media__stun_finish(&w, &len), 0);
	assert_int_equal(media__stun_parse(buf, len, &m), 0);
	assert_int_equal(m.type, MEDIA__STUN_BINDING_ERROR);
	assert_int_equal(m.error_code, 420);
	assert_int_equal(buf[20 + 4 + 2], 4);
	assert_int_equal(buf[20 + 4 + 3], 20);
	assert_memory_equal(buf + 24 + 4, "Unknown Attribute", 17);
	assert_true(media__stun_check_fingerprint(buf, &m));

	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_ERROR, txid);
	media__stun_put_error(&w, 487, "Role Conflict");
	assert_int_equal(media__stun_finish(&w, &len), 0);
	assert_int_equal(media__stun_parse(buf, len, &m), 0);
	assert_int_equal(m.error_code, 487);
}

static void test_builder_overflow_enospc(void **state)
{
	uint8_t buf[40], txid[12] = {0};
	struct media__stun_w w;
	size_t len = 7;

	(void)state;
	memset(buf, 0xAA, sizeof(buf));
	media__stun_begin(&w, buf, 32, MEDIA__STUN_BINDING_REQUEST, txid);
	media__stun_put(&w, MEDIA__STUN_A_USERNAME, "abcdefgh", 8); /* 12 bytes: fits */
	media__stun_put_u32(&w, MEDIA__STUN_A_PRIORITY, 1);	    /* 8 more: does not */
	assert_int_equal(media__stun_finish(&w, &len), ENOSPC);
	assert_int_equal(len, 7);
	assert_int_equal(buf[32], 0xAA);
	media__stun_begin(&w, buf, 10, MEDIA__STUN_BINDING_REQUEST, txid);
	assert_int_equal(media__stun_finish(&w, &len), ENOSPC);
}

static void test_unknown_required_attribute_reported(void **state)
{
	uint8_t buf[64], txid[12] = {0};
	struct media__stun_w w;
	struct media__stun_msg m;
	size_t len;

	(void)state;
	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_REQUEST, txid);
	media__stun_put_u32(&w, 0x0031, 5);		    /* comprehension-required, unknown */
	media__stun_put_u32(&w, MEDIA__STUN_A_SOFTWARE, 5); /* optional */
	media__stun_put_u32(&w, 0xC001, 5);		    /* optional, unknown */
	assert_int_equal(media__stun_finish(&w, &len), 0);
	assert_int_equal(media__stun_parse(buf, len, &m), 0);
	assert_int_equal(m.nunknown, 1);
	assert_int_equal(m.unknown[0], 0x0031);
}

static void test_attributes_after_integrity_ignored(void **state)
{
	uint8_t buf[128], txid[12] = {0};
	struct media__stun_w w;
	struct media__stun_msg m;
	struct media__stun_key k;
	size_t len;

	(void)state;
	key(&k, "pwd");
	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_REQUEST, txid);
	media__stun_put(&w, MEDIA__STUN_A_USERNAME, "a:b", 3);
	media__stun_put_integrity(&w, &k);
	media__stun_put(&w, MEDIA__STUN_A_USE_CANDIDATE, NULL, 0);
	media__stun_put(&w, MEDIA__STUN_A_USERNAME, "x:y", 3);
	assert_int_equal(media__stun_finish(&w, &len), 0);
	assert_int_equal(media__stun_parse(buf, len, &m), 0);
	assert_false(m.use_candidate);
	assert_memory_equal(m.username, "a:b", 3);
	/* The MAC covers up to itself only, whatever follows. */
	assert_true(media__stun_check_integrity(buf, &m, &k));
}

static void test_malformed_messages_refused(void **state)
{
	uint8_t b[sizeof(REQ) + 8];
	struct media__stun_msg m;

	(void)state;
	memset(&m, 0x5A, sizeof(m));
	/* Short, truncated, and a trailing byte. */
	assert_int_equal(media__stun_parse(REQ, 19, &m), EINVAL);
	assert_int_equal(media__stun_parse(REQ, sizeof(REQ) - 4, &m), EINVAL);
	memcpy(b, REQ, sizeof(REQ));
	b[sizeof(REQ)] = 0;
	assert_int_equal(media__stun_parse(b, sizeof(REQ) + 1, &m), EINVAL);
	/* Bad magic cookie; the two top bits set (RTP's first byte is 0x80). */
	memcpy(b, REQ, sizeof(REQ));
	b[4] = 0x22;
	assert_int_equal(media__stun_parse(b, sizeof(REQ), &m), EINVAL);
	memcpy(b, REQ, sizeof(REQ));
	b[0] = 0x80;
	assert_false(media__stun_is(b, sizeof(REQ)));
	assert_int_equal(media__stun_parse(b, sizeof(REQ), &m), EINVAL);
	/* An attribute whose length runs past the end. */
	memcpy(b, REQ, sizeof(REQ));
	b[22] = 0x01;
	assert_int_equal(media__stun_parse(b, sizeof(REQ), &m), EINVAL);
	/* PRIORITY of the wrong size (5 bytes, padded to 8: the lengths still add up). */
	memcpy(b, REQ, 48);
	b[3] = 0x58 + 4;
	b[43] = 5;
	memcpy(b + 44, REQ + 44, 4);
	memset(b + 48, 0, 4);
	memcpy(b + 52, REQ + 48, sizeof(REQ) - 48);
	assert_int_equal(media__stun_parse(b, sizeof(REQ) + 4, &m), EINVAL);
	/* FINGERPRINT not last: an attribute after it. */
	memcpy(b, REQ, sizeof(REQ));
	b[3] = 0x58 + 4;
	memcpy(b + sizeof(REQ), "\x80\x22\x00\x00", 4);
	assert_int_equal(media__stun_parse(b, sizeof(REQ) + 4, &m), EINVAL);
	/* Nothing was written on failure. */
	assert_int_equal(m.type, 0x5A5A);
}

static void test_crc32_check_value(void **state)
{
	(void)state;
	/* The CRC-32 catalogue's check value. */
	assert_int_equal(media__stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc5769_request_parsed_and_verified),
	    cmocka_unit_test(test_rfc5769_ipv4_response_parsed_and_verified),
	    cmocka_unit_test(test_rfc5769_ipv6_address_decoded),
	    cmocka_unit_test(test_builder_reproduces_rfc5769_mac_and_crc),
	    cmocka_unit_test(test_binding_response_built_and_read_back),
	    cmocka_unit_test(test_ice_request_attributes_round_trip),
	    cmocka_unit_test(test_error_responses_built),
	    cmocka_unit_test(test_builder_overflow_enospc),
	    cmocka_unit_test(test_unknown_required_attribute_reported),
	    cmocka_unit_test(test_attributes_after_integrity_ignored),
	    cmocka_unit_test(test_malformed_messages_refused),
	    cmocka_unit_test(test_crc32_check_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
