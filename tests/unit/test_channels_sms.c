/*
 * The SMS channel's texts and PDUs (src/channels/sms_text.c, sms_pdu.c): GSM 7-bit or
 * UCS-2, concatenation both ways, receipts, numbers, and SMPP PDUs packed by libsmpp34
 * checked octet by octet against SMPP 3.4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "channels/sms.h"

static void test_gsm7_or_ucs2(void **state)
{
	struct sms_split s;
	size_t n = 0;

	(void)state;
	assert_true(sms_gsm7_fits("Hello @ 5\xe2\x82\xac {x}", &n));
	assert_int_equal(n, 17); /* euro, braces: two septets each */
	assert_int_equal(sms_split("Hello @", 1, 0, &s), 0);
	assert_int_equal(s.data_coding, SMS_DC_DEFAULT);
	assert_int_equal(s.count, 1);
	assert_false(s.udhi);
	assert_int_equal(s.part[0].len, 7);
	assert_int_equal(s.part[0].data[6], 0x00); /* '@' is septet 0 */
	/* Polish: ą is not in GSM 03.38 */
	assert_false(sms_gsm7_fits("Dzie\xc5\x84 dobry", NULL));
	assert_int_equal(sms_split("Dzie\xc5\x84 dobry", 1, 0, &s), 0);
	assert_int_equal(s.data_coding, SMS_DC_UCS2);
	assert_int_equal(s.part[0].len, 22);
	assert_int_equal(s.part[0].data[8], 0x01); /* U+0144 */
	assert_int_equal(s.part[0].data[9], 0x44);
	/* Spanish with ñ and é alone fits GSM; with á it does not */
	assert_true(sms_gsm7_fits("Espa\xc3\xb1"
				  "a, caf\xc3\xa9",
				  NULL));
	assert_false(sms_gsm7_fits("est\xc3\xa1", NULL));
	assert_int_equal(sms_split("", 1, 0, &s), EINVAL);
	assert_int_equal(sms_split("bad \xff", 1, 0, &s), EILSEQ);
	assert_int_equal(sms_split("surrogate \xed\xa0\x80", 1, 0, &s), EILSEQ);
	assert_int_equal(sms_split("overlong \xc0\xaf", 1, 0, &s), EILSEQ);
}

static void test_concatenation_limits(void **state)
{
	struct sms_split s;
	char text[1200];
	uint8_t *all = NULL;
	size_t len = 0, hl;
	struct sms_reasm *r = sms_reasm_new();
	char back[1200];

	(void)state;
	memset(text, 'a', 160);
	text[160] = '\0';
	assert_int_equal(sms_split(text, 7, 0, &s), 0);
	assert_int_equal(s.count, 1); /* 160 septets: one part */
	text[160] = 'b', text[161] = '\0';
	assert_int_equal(sms_split(text, 7, 0, &s), 0);
	assert_int_equal(s.count, 2);
	assert_true(s.udhi);
	assert_int_equal(s.part[0].len, 6 + 153);
	assert_int_equal(s.part[1].len, 6 + 8);
	assert_memory_equal(s.part[0].data, "\x05\x00\x03\x07\x02\x01", 6);
	assert_memory_equal(s.part[1].data, "\x05\x00\x03\x07\x02\x02", 6);
	/* An escape (euro) is never cut: 152 'a' then euro at septets 153-154 */
	memset(text, 'a', 152);
	strcpy(text + 152, "\xe2\x82\xac"
			   "bbbbbbbbbb");
	assert_int_equal(sms_split(text, 9, 0, &s), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.part[0].len, 6 + 152);
	assert_int_equal(s.part[1].data[6], 0x1B);
	assert_int_equal(s.part[1].data[7], 0x65);
	/* Too many parts */
	memset(text, 'x', 1000);
	text[1000] = '\0';
	assert_int_equal(sms_split(text, 1, 3, &s), EMSGSIZE);

	/* 300 Cyrillic characters: UCS-2, 67 a part -> 5 parts, reassembled in any order */
	for (int i = 0; i < 300; i++)
		memcpy(text + 2 * i, "\xd0\x96", 2); /* Ж */
	text[600] = '\0';
	assert_int_equal(sms_split(text, 200, 0, &s), 0);
	assert_int_equal(s.data_coding, SMS_DC_UCS2);
	assert_int_equal(s.count, 5);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(s.part[i].len, 6 + 134);
	assert_int_equal(s.part[4].len, 6 + (300 - 4 * 67) * 2);
	for (int k = 4; k >= 0; k--) {
		struct sms_concat c;
		int err;
		assert_int_equal(sms_udh_read(s.part[k].data, s.part[k].len, &c, &hl), 0);
		assert_int_equal(hl, 6);
		assert_int_equal(c.ref, 200);
		assert_int_equal(c.total, 5);
		assert_int_equal(c.seq, (unsigned)k + 1);
		err = sms_reasm_add(r, "+79161234567", &c, s.data_coding, s.part[k].data + hl,
				    s.part[k].len - hl, 1000, &all, &len);
		if (k == 2) /* a part delivered twice is harmless */
			err =
			    sms_reasm_add(r, "+79161234567", &c, s.data_coding, s.part[k].data + hl,
					  s.part[k].len - hl, 1000, &all, &len);
		assert_int_equal(err, k ? EAGAIN : 0);
	}
	/* Kept until taken: a part delivered again completes it again. */
	assert_int_equal(sms_reasm_pending(r), 1);
	assert_int_equal(sms_decode(SMS_DC_UCS2, all, len, back, sizeof(back)), 0);
	assert_string_equal(back, text);
	free(all);
	{
		struct sms_concat c = {200, 5, 1};
		assert_int_equal(sms_reasm_add(r, "+79161234567", &c, s.data_coding,
					       s.part[0].data + 6, s.part[0].len - 6, 1000, &all,
					       &len),
				 0);
		free(all);
		sms_reasm_done(r, "+79161234567", &c);
	}
	assert_int_equal(sms_reasm_pending(r), 0);

	/* A surrogate pair (emoji) is never cut: 66 units then the pair */
	for (int i = 0; i < 66; i++)
		memcpy(text + 2 * i, "\xd0\x96", 2);
	strcpy(text + 132, "\xf0\x9f\x98\x80"
			   "okok");
	assert_int_equal(sms_split(text, 3, 0, &s), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.part[0].len, 6 + 132);
	assert_int_equal(s.part[1].data[6], 0xD8);

	/* A lone part expires */
	{
		struct sms_concat c = {5, 2, 1};
		assert_int_equal(
		    sms_reasm_add(r, "+48601", &c, 0, (const uint8_t *)"ab", 2, 1000, &all, &len),
		    EAGAIN);
		c.seq = 3;
		assert_int_equal(
		    sms_reasm_add(r, "+48601", &c, 0, (const uint8_t *)"ab", 2, 1000, &all, &len),
		    EINVAL);
		assert_int_equal(sms_reasm_expire(r, 2000, 5000), 0);
		assert_int_equal(sms_reasm_expire(r, 7000, 5000), 1);
		assert_int_equal(sms_reasm_pending(r), 0);
	}
	sms_reasm_free(r);
}

static void test_decode(void **state)
{
	char out[64];
	static const uint8_t gsm[] = {0x00, 0x1B, 0x65, 0x41, 0x7D, 0x1B, 0x28};
	static const uint8_t ucs_bad[] = {0xDC, 0x00};
	struct sms_concat c;
	size_t hl;

	(void)state;
	assert_int_equal(sms_decode(SMS_DC_DEFAULT, gsm, sizeof(gsm), out, sizeof(out)), 0);
	assert_string_equal(out, "@\xe2\x82\xac"
				 "A\xc3\xb1{");
	assert_int_equal(sms_decode(SMS_DC_UCS2, ucs_bad, 2, out, sizeof(out)), EILSEQ);
	assert_int_equal(sms_decode(SMS_DC_UCS2, ucs_bad, 1, out, sizeof(out)), EILSEQ);
	assert_int_equal(sms_decode(SMS_DC_LATIN1, (const uint8_t *)"caf\xe9", 4, out, sizeof(out)),
			 0);
	assert_string_equal(out, "caf\xc3\xa9");
	assert_int_equal(sms_decode(0x04, (const uint8_t *)"x", 1, out, sizeof(out)), ENOTSUP);
	assert_int_equal(sms_decode(SMS_DC_IA5, (const uint8_t *)"toolongtext", 11, out, 5),
			 EMSGSIZE);
	/* 16-bit reference; a header longer than the message */
	assert_int_equal(
	    sms_udh_read((const uint8_t *)"\x06\x08\x04\x12\x34\x03\x02hi", 9, &c, &hl), 0);
	assert_int_equal(c.ref, 0x1234);
	assert_int_equal(c.total, 3);
	assert_int_equal(c.seq, 2);
	assert_int_equal(hl, 7);
	assert_int_equal(sms_udh_read((const uint8_t *)"\x09\x00\x03", 3, &c, &hl), EBADMSG);
	assert_int_equal(sms_udh_read((const uint8_t *)"\x05\x00\x03\x01\x02\x03", 6, &c, &hl),
			 EBADMSG); /* seq over total */
}

static void test_receipt_and_numbers(void **state)
{
	static const char rc[] = "id:0A1B2C sub:001 dlvrd:001 submit date:2612041030 done "
				 "date:2612041031 stat:DELIVRD err:000 text:Dzien dobry";
	struct sms_receipt r;
	char n[24];

	(void)state;
	assert_int_equal(sms_receipt_parse(rc, strlen(rc), &r), 0);
	assert_string_equal(r.id, "0A1B2C");
	assert_string_equal(r.stat, "DELIVRD");
	assert_string_equal(r.err, "000");
	assert_int_equal(sms_receipt_parse("hello", 5, &r), EBADMSG);
	assert_int_equal(sms_e164("48601234567", n, sizeof(n)), 0);
	assert_string_equal(n, "+48601234567");
	assert_int_equal(sms_e164("+48 601-234-567", n, sizeof(n)), 0);
	assert_string_equal(n, "+48601234567");
	assert_int_equal(sms_e164("0034911234567", n, sizeof(n)), 0);
	assert_string_equal(n, "+34911234567");
	assert_int_equal(sms_e164("ACME", n, sizeof(n)), EINVAL);
	assert_int_equal(sms_e164("123", n, sizeof(n)), EINVAL);
}

static void test_pdus(void **state)
{
	uint8_t buf[512];
	struct smpp_header h;
	struct smpp_bind b = {"centrala", "secret", "CC"};
	struct smpp_addr src = {"ACME", 5, 0}, dst = {"48601234567", 1, 1};
	struct sms_split s;
	int len;

	(void)state;
	len = smpp_pdu_bind_transceiver(buf, sizeof(buf), 1, &b);
	/* header 16 + "centrala\0" 9 + "secret\0" 7 + "CC\0" 3 + version, ton, npi + "\0" */
	assert_int_equal(len, 16 + 9 + 7 + 3 + 3 + 1);
	assert_int_equal(smpp_header_read(buf, (size_t)len, &h), 0);
	assert_int_equal(h.length, (uint32_t)len);
	assert_int_equal(h.id, 0x00000009);
	assert_int_equal(h.seq, 1);
	assert_memory_equal(buf + 16, "centrala\0secret\0CC\0\x34", 20);
	b.password = "muchtoolongpassword";
	assert_int_equal(smpp_pdu_bind_transceiver(buf, sizeof(buf), 1, &b), -1);

	len = smpp_pdu_enquire_link(buf, sizeof(buf), 7);
	assert_int_equal(len, 16);
	assert_memory_equal(buf, "\x00\x00\x00\x10\x00\x00\x00\x15\x00\x00\x00\x00\x00\x00\x00\x07",
			    16);
	len = smpp_pdu_response(buf, sizeof(buf), 0x80000005, 0, 9);
	assert_int_equal(len, 17); /* deliver_sm_resp: an empty message_id */
	assert_int_equal(buf[16], 0);

	assert_int_equal(sms_split("Dzie\xc5\x84 dobry", 1, 0, &s), 0);
	len = smpp_pdu_submit_sm(buf, sizeof(buf), 3, &src, &dst, &s, 0, true);
	assert_true(len > 0);
	assert_int_equal(smpp_header_read(buf, (size_t)len, &h), 0);
	assert_int_equal(h.id, 0x00000004);
	/* service_type "", ton 5, npi 0, "ACME", ton 1, npi 1, "48601234567" */
	assert_memory_equal(buf + 16,
			    "\0\x05\x00"
			    "ACME\0\x01\x01"
			    "48601234567\0",
			    22);
	/* esm_class, protocol_id, priority, schedule "", validity "", registered_delivery,
	 * replace, data_coding, default id, sm_length */
	assert_memory_equal(buf + 38, "\x00\x00\x00\x00\x00\x01\x00\x08\x00\x16", 10);
	assert_int_equal(len, 48 + 22);

	/* A deliver_sm as an SMSC writes it (receipt, TLVs receipted_message_id and
	 * message_state), read back */
	{
		static const uint8_t dlv[] = {
		    0,	 0,   0,    0,	  0,   0,   0,	 5,   0,   0,	 0,    0,   0,	 0,   0,
		    42,	 0,   1,    1,	  '4', '8', '6', '0', '1', 0,	 0,    0,   'A', 'C', 'M',
		    'E', 0,   0x04, 0,	  0,   0,   0,	 0,   0,   0,	 0,    20,  'i', 'd', ':',
		    'X', '1', ' ',  's',  't', 'a', 't', ':', 'D', 'E',	 'L',  'I', 'V', 'R', 'D',
		    ' ', ' ', 0x00, 0x1E, 0,   3,   'X', '1', 0,   0x04, 0x27, 0,   1,	 2};
		uint8_t pdu[sizeof(dlv)];
		struct smpp_deliver d;
		char err[256];

		memcpy(pdu, dlv, sizeof(dlv));
		pdu[3] = sizeof(dlv);
		if (smpp_parse_deliver_sm(pdu, sizeof(pdu), &d, err, sizeof(err)))
			fail_msg("%s", err);
		assert_string_equal(d.from, "48601");
		assert_string_equal(d.to, "ACME");
		assert_true(d.receipt);
		assert_int_equal(d.sm_len, 20);
		assert_string_equal(d.receipted_id, "X1");
		assert_int_equal(d.message_state, 2);
		pdu[3] = sizeof(dlv) - 3; /* a TLV cut short */
		assert_int_equal(smpp_parse_deliver_sm(pdu, sizeof(dlv) - 3, &d, err, sizeof(err)),
				 EBADMSG);
	}
	assert_int_equal(smpp_header_read((const uint8_t *)"\x00\x00\x00\x05 garbage....", 16, &h),
			 EBADMSG);
	assert_int_equal(smpp_header_read((const uint8_t *)"\x00\x00", 2, &h), EAGAIN);
}

static void test_http_signature(void **state)
{
	char hex[65];
	struct sms_http_in in;
	char why[128];
	static const char body[] = "{\"from\":\"+48601234567\",\"to\":\"+48221234567\","
				   "\"text\":\"Dzie\xc5\x84 dobry\",\"id\":\"p-1\"}";

	(void)state;
	/* RFC 4231 test case 2 */
	sms_http_sign("Jefe", (const uint8_t *)"what do ya want for nothing?", 28, hex);
	assert_string_equal(hex,
			    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_true(
	    sms_http_verify("Jefe", (const uint8_t *)"what do ya want for nothing?", 28,
			    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b9"
			    "64ec3843"));
	assert_false(
	    sms_http_verify("Jefe", (const uint8_t *)"what do ya want for nothing!", 28, hex));
	assert_false(sms_http_verify("Jefe", (const uint8_t *)"x", 1, "short"));
	assert_int_equal(sms_http_parse(body, strlen(body), &in, why, sizeof(why)), 0);
	assert_string_equal(in.from, "+48601234567");
	assert_string_equal(in.text, "Dzie\xc5\x84 dobry");
	assert_string_equal(in.id, "p-1");
	assert_int_equal(sms_http_parse("{\"from\":1}", 10, &in, why, sizeof(why)), EINVAL);
	assert_int_equal(sms_http_parse("nope", 4, &in, why, sizeof(why)), EINVAL);
}

#define N_ALL ((size_t)-1)

static enum sms_keyword kw(const char *text)
{
	return sms_keyword_match(text, sms_keywords_stop_default, N_ALL, sms_keywords_start_default,
				 N_ALL);
}

static void test_keyword_fold(void **state)
{
	char out[SMS_KEYWORD_MAX];

	(void)state;
	assert_int_equal(sms_keyword_fold("  St\xc3\x93P!\r\n", out, sizeof(out)), 0);
	assert_string_equal(out, "stop");
	/* Polish letters without their marks; the middle space stays. */
	assert_int_equal(
	    sms_keyword_fold("\xc5\x81\xc3\xb3\xc5\xba\xc4\x85 \xc5\xbb", out, sizeof(out)), 0);
	assert_string_equal(out, "loza z");
	/* Cyrillic to lower case, Ё as Е. */
	assert_int_equal(sms_keyword_fold("\xd0\x81\xd0\xb6", out, sizeof(out)), 0);
	assert_string_equal(out, "\xd0\xb5\xd0\xb6");
	/* A combining acute accent (NFD) and a zero-width space are dropped. */
	assert_int_equal(sms_keyword_fold("BAJA\xcc\x81\xe2\x80\x8b", out, sizeof(out)), 0);
	assert_string_equal(out, "baja");
	/* Only blanks and marks: empty. */
	assert_int_equal(sms_keyword_fold(" \xc2\xa0.! ", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Not UTF-8: an overlong form, a lone continuation byte, a surrogate. */
	assert_int_equal(sms_keyword_fold("\xc0\xaf", out, sizeof(out)), EILSEQ);
	assert_int_equal(sms_keyword_fold("ST\x80OP", out, sizeof(out)), EILSEQ);
	assert_int_equal(sms_keyword_fold("\xed\xa0\x80", out, sizeof(out)), EILSEQ);
	assert_int_equal(sms_keyword_fold("stop", out, 4), ENOSPC);
}

static void test_keyword_match(void **state)
{
	const char *const mine[] = {"Koniec", "d\xc3\xa9sabonner"};
	const char *const back[] = {"wr\xc3\xb3\xc4\x87"};

	(void)state;
	assert_int_equal(kw("STOP"), SMS_KEYWORD_STOP);
	assert_int_equal(kw(" stop. "), SMS_KEYWORD_STOP);
	assert_int_equal(kw("Unsubscribe"), SMS_KEYWORD_STOP);
	assert_int_equal(kw("nie"), SMS_KEYWORD_STOP);
	assert_int_equal(kw("Wypisz!"), SMS_KEYWORD_STOP);
	assert_int_equal(kw("b\xc3\xa1ja"), SMS_KEYWORD_STOP); /* accent ignored */
	assert_int_equal(kw("\xd1\x81\xd1\x82\xd0\xbe\xd0\xbf"), SMS_KEYWORD_STOP); /* стоп */
	assert_int_equal(kw("\xd0\x9e\xd1\x82\xd0\xbf\xd0\xb8\xd1\x81\xd0\xb0\xd1\x82\xd1\x8c"
			    "\xd1\x81\xd1\x8f"),
			 SMS_KEYWORD_STOP); /* Отписаться */
	assert_int_equal(kw("start"), SMS_KEYWORD_START);
	assert_int_equal(kw("UNSTOP"), SMS_KEYWORD_START);
	assert_int_equal(kw("Alta"), SMS_KEYWORD_START);
	assert_int_equal(kw("\xd1\x81\xd1\x82\xd0\xb0\xd1\x80\xd1\x82"), SMS_KEYWORD_START);
	/* The whole text only. */
	assert_int_equal(kw("please stop"), SMS_KEYWORD_NONE);
	assert_int_equal(kw("STOP sending"), SMS_KEYWORD_NONE);
	assert_int_equal(kw("stopp"), SMS_KEYWORD_NONE);
	assert_int_equal(kw(""), SMS_KEYWORD_NONE);
	assert_int_equal(kw("ST\xff"), SMS_KEYWORD_NONE);
	/* A text longer than any keyword. */
	assert_int_equal(kw("stop stop stop stop stop stop stop stop stop stop stop stop stop "
			    "stop"),
			 SMS_KEYWORD_NONE);
	/* A tenant's own words replace the defaults, written in any case and accents. */
	assert_int_equal(sms_keyword_match("KONIEC", mine, 2, back, 1), SMS_KEYWORD_STOP);
	assert_int_equal(sms_keyword_match("desabonner", mine, 2, back, 1), SMS_KEYWORD_STOP);
	assert_int_equal(sms_keyword_match("WR\xc3\x93\xc4\x86", mine, 2, back, 1),
			 SMS_KEYWORD_START);
	assert_int_equal(sms_keyword_match("STOP", mine, 2, back, 1), SMS_KEYWORD_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gsm7_or_ucs2), cmocka_unit_test(test_concatenation_limits),
	    cmocka_unit_test(test_decode),	 cmocka_unit_test(test_receipt_and_numbers),
	    cmocka_unit_test(test_pdus),	 cmocka_unit_test(test_http_signature),
	    cmocka_unit_test(test_keyword_fold), cmocka_unit_test(test_keyword_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
