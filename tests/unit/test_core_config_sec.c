/*
 * The encryption settings of the configuration (src/core/config_sec.c): sip.tls and
 * the tls: listener that needs it, srtp of tenants and trunks, and a tenant's
 * recording_encryption key (inline or from a file), each error with its key path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

#define KEY_HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static struct cfg *load(const char *text)
{
	struct cfg *c = NULL;

	assert_int_equal(cfg_load_string("t.yaml", text, &c), 0);
	return c;
}

static int has_error(const struct cfg *c, const char *needle)
{
	for (size_t i = 0; i < cfg_error_count(c); i++)
		if (strstr(cfg_error_at(c, i), needle))
			return 1;
	return 0;
}

static void test_tls_listener_needs_certificate(void **state)
{
	struct cfg *c = load("sip: {listen: [\"udp:127.0.0.1:5060\", \"tls:127.0.0.1:5061\"]}\n");

	assert_true(has_error(c, "sip.listen[1]: a tls: listener needs sip.tls"));
	cfg_free(c);
	c = load("sip: {listen: [\"tls:127.0.0.1:5061\", \"tls:127.0.0.1:5062\"],\n"
		 "      tls: {cert: c.pem, key: k.pem}}\n");
	assert_true(has_error(c, "sip.listen[1]: only one tls: listener is served"));
	cfg_free(c);
	c = load("sip: {listen: [\"udp:127.0.0.1:5060\", \"tls:127.0.0.1:5061\"],\n"
		 "      tls: {cert: c.pem, key: k.pem, ca: ca.pem}}\n");
	assert_int_equal(cfg_error_count(c), 0);
	assert_string_equal(c->sip_tls_cert, "c.pem");
	assert_string_equal(c->sip_tls_key, "k.pem");
	assert_string_equal(c->sip_tls_ca, "ca.pem");
	cfg_free(c);
	c = load("sip: {tls: {cert: c.pem}}\n");
	assert_true(has_error(c, "sip.tls"));
	cfg_free(c);
}

static void test_srtp_of_tenants_and_trunks(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: a\n"
			     "    trunks:\n"
			     "      - {id: t1, uri: \"sip:192.0.2.1\"}\n"
			     "      - {id: t2, uri: \"sip:192.0.2.2\", srtp: off}\n"
			     "  - id: b\n"
			     "    srtp: required\n");

	assert_int_equal(cfg_error_count(c), 0);
	assert_int_equal(c->tenants[0].srtp, CFG_SRTP_OPTIONAL);
	assert_int_equal(c->tenants[0].trunks[0].srtp, CFG_SRTP_DEFAULT);
	assert_int_equal(c->tenants[0].trunks[1].srtp, CFG_SRTP_OFF);
	assert_int_equal(c->tenants[1].srtp, CFG_SRTP_REQUIRED);
	cfg_free(c);
	c = load("tenants:\n"
		 "  - id: a\n"
		 "    srtp: always\n"
		 "    trunks:\n"
		 "      - {id: t1, uri: \"sip:192.0.2.1\", srtp: yes}\n");
	assert_true(has_error(c, "tenants[0].srtp: expected required, optional or off"));
	assert_true(has_error(c, "tenants[0].trunks[0].srtp: expected"));
	cfg_free(c);
}

static void test_recording_key_inline_or_file(void **state)
{
	char path[64], text[512];
	FILE *f;
	struct cfg *c = load("tenants:\n"
			     "  - id: a\n"
			     "    recording_encryption: {key: \"" KEY_HEX "\"}\n"
			     "  - id: b\n");

	assert_int_equal(cfg_error_count(c), 0);
	assert_true(c->tenants[0].rec_encrypt);
	assert_int_equal(c->tenants[0].rec_key[0], 0x00);
	assert_int_equal(c->tenants[0].rec_key[1], 0x11);
	assert_int_equal(c->tenants[0].rec_key[31], 0xff);
	assert_false(c->tenants[1].rec_encrypt);
	cfg_free(c);

	snprintf(path, sizeof(path), "/tmp/test-reckey-%d", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", KEY_HEX);
	fclose(f);
	snprintf(text, sizeof(text),
		 "tenants:\n  - id: a\n    recording_encryption: {key_file: \"%s\"}\n", path);
	c = load(text);
	assert_int_equal(cfg_error_count(c), 0);
	assert_true(c->tenants[0].rec_encrypt);
	assert_int_equal(c->tenants[0].rec_key[1], 0x11);
	cfg_free(c);
	unlink(path);
	c = load(text);
	assert_true(has_error(c, "tenants[0].recording_encryption.key_file: "));
	assert_false(c->tenants[0].rec_encrypt);
	cfg_free(c);
}

static void test_recording_key_errors(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: a\n"
			     "    recording_encryption: {key: \"abcd\"}\n"
			     "  - id: b\n"
			     "    recording_encryption: {key: \"" KEY_HEX "\", key_file: /x}\n"
			     "  - id: c\n"
			     "    recording_encryption: {}\n"
			     "  - id: d\n"
			     "    recording_encryption: {key: \"" KEY_HEX "\", cipher: aes}\n");

	assert_true(has_error(c, "tenants[0].recording_encryption.key: expected 64 hexadecimal"));
	assert_true(has_error(c, "tenants[1].recording_encryption: give key or key_file"));
	assert_true(has_error(c, "tenants[2].recording_encryption: expected key or key_file"));
	assert_true(has_error(c, "tenants[3].recording_encryption"));
	assert_false(c->tenants[0].rec_encrypt);
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls_listener_needs_certificate),
	    cmocka_unit_test(test_srtp_of_tenants_and_trunks),
	    cmocka_unit_test(test_recording_key_inline_or_file),
	    cmocka_unit_test(test_recording_key_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
