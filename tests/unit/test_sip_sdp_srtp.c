/*
 * Tests of SRTP in SDP (SDES, RFC 4568; src/sip/sdp.c): which a=crypto line of an
 * RTP/SAVP offer we take and the key we read from it, offers we cannot take (no
 * supported suite, an MKI), our RTP/SAVP offer and answer read back, answers that
 * do not match our offer, and best-effort SRTP (an RTP/AVP offer with a key) with the
 * answers of a peer that takes the key and of one that does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sdp.h"

#define SDP_HEAD                                                                                   \
	"v=0\r\n"                                                                                  \
	"o=- 53655765 2353687637 IN IP4 192.0.2.10\r\n"                                            \
	"s=-\r\n"                                                                                  \
	"c=IN IP4 192.0.2.10\r\n"                                                                  \
	"t=0 0\r\n"

/* base64 of these 30 bytes. */
#define KEY_B64 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
static const uint8_t key_bin[MEDIA_SRTP_KEY_LEN] = "YS___semctl () {\t220;}\n}\nunles";

static int offer(const char *sdp, struct media_params *out, char *msg, size_t msgsize)
{
	struct sdp_prefs prefs;

	sdp_prefs_default(&prefs);
	return sdp_negotiate_offer(sdp, strlen(sdp), &prefs, out, msg, msgsize);
}

static void test_offer_savp_takes_key(void **state)
{
	/* What baresip sends with mediaenc=srtp-mand. */
	static const char sdp[] =
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0 101\r\n"
		     "a=rtpmap:101 telephone-event/8000\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n"
		     "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B64 "\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMU);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(p.srtp.tag, 1);
	assert_memory_equal(p.srtp.rx_key, key_bin, MEDIA_SRTP_KEY_LEN);
}

static void test_offer_savp_skips_unsupported_crypto(void **state)
{
	static const char sdp[] =
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\n"
		     "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY_B64 "\r\n"
		     "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "|2^20|1:4\r\n"
		     "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B64 "|2^31\r\n";
	struct media_params p;
	char msg[128];

	/* An unknown suite and a key with an MKI are passed over; a lifetime is fine. */
	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(p.srtp.tag, 3);
	assert_memory_equal(p.srtp.rx_key, key_bin, MEDIA_SRTP_KEY_LEN);
}

static void test_offer_savp_without_usable_crypto_enotsup(void **state)
{
	static const char *const bad[] = {
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\n",
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\na=crypto:1 F8_128_HMAC_SHA1_80 inline:" KEY_B64
		     "\r\n",
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
		     "c2hvcnQ=\r\n",
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
		     "!!!!\r\n",
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\na=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64
		     "\r\n",
	};
	struct media_params p;
	char msg[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(offer(bad[i], &p, msg, sizeof(msg)), ENOTSUP);
		assert_non_null(strstr(msg, "crypto"));
	}
}

static void test_offer_avp_is_plain(void **state)
{
	/* A key offered on RTP/AVP (best-effort SRTP) is not taken: the stream is plain. */
	static const char sdp[] =
	    SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_NONE);
}

static void test_answer_written_and_read_back(void **state)
{
	static const char sdp[] =
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\n"
		     "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n";
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_params in, back;
	struct media_srtp ours = {.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, .tag = 7};
	char buf[1024], msg[128];
	size_t n;

	sdp_prefs_default(&prefs);
	assert_int_equal(offer(sdp, &in, msg, sizeof(msg)), 0);
	for (size_t i = 0; i < MEDIA_SRTP_KEY_LEN; i++)
		in.srtp.tx_key[i] = ours.tx_key[i] = (uint8_t)(i * 7 + 1);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	n = sdp_write(buf, sizeof(buf), 1, 2, &addr, 30010, &prefs, &in, MEDIA_CODEC_NONE, in.dir);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "m=audio 30010 RTP/SAVP 0\r\n"));
	assert_non_null(strstr(buf, "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:"));
	/* The offerer reads our key as the one it receives with, and keeps its own. */
	memset(&back, 0, sizeof(back));
	for (size_t i = 0; i < MEDIA_SRTP_KEY_LEN; i++)
		ours.tx_key[i] = (uint8_t)(0xA0 + i);
	assert_int_equal(sdp_negotiate_answer_srtp(buf, n, &prefs, &ours, &back, msg, sizeof(msg)),
			 0);
	assert_int_equal(back.srtp.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_memory_equal(back.srtp.rx_key, in.srtp.tx_key, MEDIA_SRTP_KEY_LEN);
	assert_memory_equal(back.srtp.tx_key, ours.tx_key, MEDIA_SRTP_KEY_LEN);
}

static void test_offer_written_savp(void **state)
{
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_srtp k = {.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, .tag = 1};
	struct media_params p;
	char buf[1024], msg[128];
	size_t n;

	memcpy(k.tx_key, key_bin, sizeof(k.tx_key));
	sdp_prefs_default(&prefs);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	n = sdp_write_srtp(buf, sizeof(buf), 1, 1, &addr, 30002, &prefs, NULL, MEDIA_CODEC_NONE,
			   MEDIA_DIR_SENDRECV, &k);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "m=audio 30002 RTP/SAVP 0 8 9 111 101 110\r\n"));
	assert_non_null(strstr(buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n"));
	assert_int_equal(sdp_negotiate_offer(buf, n, &prefs, &p, msg, sizeof(msg)), 0);
	assert_memory_equal(p.srtp.rx_key, key_bin, MEDIA_SRTP_KEY_LEN);
}

static void test_answer_must_match_offer(void **state)
{
	static const char plain[] = SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n";
	static const char other_tag[] =
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\n"
		     "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n";
	static const char other_suite[] =
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B64 "\r\n";
	struct media_srtp ours = {.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, .tag = 1};
	struct media_srtp none = {0};
	struct sdp_prefs prefs;
	struct media_params p;
	char msg[128];

	sdp_prefs_default(&prefs);
	assert_int_equal(
	    sdp_negotiate_answer_srtp(plain, strlen(plain), &prefs, &ours, &p, msg, sizeof(msg)),
	    ENOTSUP);
	assert_int_equal(sdp_negotiate_answer_srtp(other_tag, strlen(other_tag), &prefs, &ours, &p,
						   msg, sizeof(msg)),
			 ENOTSUP);
	assert_int_equal(sdp_negotiate_answer_srtp(other_suite, strlen(other_suite), &prefs, &ours,
						   &p, msg, sizeof(msg)),
			 ENOTSUP);
	/* SRTP where we offered plain RTP. */
	assert_int_equal(sdp_negotiate_answer_srtp(other_tag, strlen(other_tag), &prefs, &none, &p,
						   msg, sizeof(msg)),
			 ENOTSUP);
	assert_int_equal(
	    sdp_negotiate_answer_srtp(plain, strlen(plain), &prefs, &none, &p, msg, sizeof(msg)),
	    0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_NONE);
}

static void test_best_effort_offer_written(void **state)
{
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_srtp k = {.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, .tag = 1};
	struct media_params p;
	char buf[1024], msg[128];
	size_t n;

	memcpy(k.tx_key, key_bin, sizeof(k.tx_key));
	sdp_prefs_default(&prefs);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	n = sdp_write_best_effort(buf, sizeof(buf), 1, 1, &addr, 30004, &prefs, NULL,
				  MEDIA_CODEC_NONE, MEDIA_DIR_SENDRECV, &k);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "m=audio 30004 RTP/AVP 0 8 9 111 101 110\r\n"));
	assert_null(strstr(buf, "SAVP"));
	assert_non_null(strstr(buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n"));
	/* A plain answerer reads it as plain RTP... */
	assert_int_equal(sdp_negotiate_offer(buf, n, &prefs, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_NONE);
	/* ...one that reads best-effort offers takes the key. */
	assert_int_equal(sdp_negotiate_best_effort(buf, n, &prefs, NULL, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_memory_equal(p.srtp.rx_key, key_bin, MEDIA_SRTP_KEY_LEN);
	/* Without a key it is a plain offer. */
	n = sdp_write_best_effort(buf, sizeof(buf), 1, 1, &addr, 30004, &prefs, NULL,
				  MEDIA_CODEC_NONE, MEDIA_DIR_SENDRECV, NULL);
	assert_true(n > 0);
	assert_null(strstr(buf, "a=crypto"));
}

static void test_best_effort_answers(void **state)
{
	static const char plain[] = SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n";
	static const char avp_key[] =
	    SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n";
	static const char savp_key[] =
	    SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_B64 "\r\n";
	static const char avp_other_suite[] =
	    SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n"
		     "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" KEY_B64 "\r\n";
	static const char savp_no_key[] = SDP_HEAD "m=audio 6000 RTP/SAVP 0\r\n";
	struct media_srtp ours = {.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, .tag = 1};
	struct sdp_prefs prefs;
	struct media_params p;
	char msg[128];

	for (size_t i = 0; i < MEDIA_SRTP_KEY_LEN; i++)
		ours.tx_key[i] = (uint8_t)(0x30 + i);
	sdp_prefs_default(&prefs);
	/* A plain peer: plain RTP, no error. */
	assert_int_equal(
	    sdp_negotiate_best_effort(plain, strlen(plain), &prefs, &ours, &p, msg, sizeof(msg)),
	    0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_NONE);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMU);
	/* A peer that takes the key, in our profile or in RTP/SAVP: SRTP with both keys. */
	assert_int_equal(sdp_negotiate_best_effort(avp_key, strlen(avp_key), &prefs, &ours, &p, msg,
						   sizeof(msg)),
			 0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_memory_equal(p.srtp.rx_key, key_bin, MEDIA_SRTP_KEY_LEN);
	assert_memory_equal(p.srtp.tx_key, ours.tx_key, MEDIA_SRTP_KEY_LEN);
	memset(&p, 0, sizeof(p));
	assert_int_equal(sdp_negotiate_best_effort(savp_key, strlen(savp_key), &prefs, &ours, &p,
						   msg, sizeof(msg)),
			 0);
	assert_int_equal(p.srtp.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_memory_equal(p.srtp.tx_key, ours.tx_key, MEDIA_SRTP_KEY_LEN);
	/* A key we did not offer, or RTP/SAVP without one: refused, never read as plain. */
	assert_int_equal(sdp_negotiate_best_effort(avp_other_suite, strlen(avp_other_suite), &prefs,
						   &ours, &p, msg, sizeof(msg)),
			 ENOTSUP);
	assert_string_equal(msg, "no supported SRTP crypto suite");
	assert_int_equal(sdp_negotiate_best_effort(savp_no_key, strlen(savp_no_key), &prefs, &ours,
						   &p, msg, sizeof(msg)),
			 ENOTSUP);
	/* The strict reader still refuses a plain answer to an SRTP offer. */
	assert_int_equal(sdp_negotiate_answer_srtp(avp_key, strlen(avp_key), &prefs, &ours, &p, msg,
						   sizeof(msg)),
			 ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offer_savp_takes_key),
	    cmocka_unit_test(test_offer_savp_skips_unsupported_crypto),
	    cmocka_unit_test(test_offer_savp_without_usable_crypto_enotsup),
	    cmocka_unit_test(test_offer_avp_is_plain),
	    cmocka_unit_test(test_answer_written_and_read_back),
	    cmocka_unit_test(test_offer_written_savp),
	    cmocka_unit_test(test_answer_must_match_offer),
	    cmocka_unit_test(test_best_effort_offer_written),
	    cmocka_unit_test(test_best_effort_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
