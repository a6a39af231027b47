/*
 * The SMS channel's settings (src/core/config_sms.c): a queue's number, the tenant's
 * connection it inherits (SMPP or an HTTP gateway), and the errors `centrala check`
 * reports, each with its key path and never with a password or secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/config.h"

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

static void test_queue_inherits_tenant_connection(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    sms: {smpp: \"smpp://smsc.example:2775\", system_id: acme, "
			     "password: pw12,\n"
			     "          enquire_link: 15s}\n"
			     "    queues:\n"
			     "      - {id: support, sms: {number: \"+48221234567\"}}\n"
			     "      - {id: sales, sms: {number: \"7070\", receipts: false}}\n"
			     "      - {id: web, sms: {number: ACME, gateway: http,\n"
			     "          url: \"https://gw.example/send\", secret: s3cret}}\n"
			     "      - {id: phone}\n");
	const struct cfg_sms *s;

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	s = c->tenants[0].queues[0].sms;
	assert_non_null(s);
	assert_string_equal(s->number, "+48221234567");
	assert_string_equal(s->gateway, "smpp");
	assert_string_equal(s->smpp_host, "smsc.example");
	assert_int_equal(s->smpp_port, 2775);
	assert_string_equal(s->system_id, "acme");
	assert_string_equal(s->password, "pw12");
	assert_int_equal(s->enquire_ms, 15000);
	assert_int_equal(s->reconnect_max_ms, 60000);
	assert_int_equal(s->receipts, 1);
	assert_int_equal(c->tenants[0].queues[1].sms->receipts, 0);
	s = c->tenants[0].queues[2].sms;
	assert_string_equal(s->gateway, "http");
	assert_string_equal(s->url, "https://gw.example/send");
	assert_string_equal(s->secret, "s3cret");
	assert_null(c->tenants[0].queues[3].sms);
	cfg_free(c);
}

static void test_errors_name_the_key_not_the_secret(void **state)
{
	struct cfg *c =
	    load("tenants:\n"
		 "  - id: acme\n"
		 "    queues:\n"
		 "      - {id: a, sms: {number: \"+0123\", smpp: \"http://x\", system_id: "
		 "a,\n"
		 "          password: verylongpassword, enquire_link: 10ms, colour: red}}\n"
		 "      - {id: b, sms: {number: \"+48221234567\", gateway: http,\n"
		 "          url: \"ftp://x\"}}\n"
		 "      - {id: c, sms: {number: \"+48221234567\", gateway: carrier-pigeon}}\n"
		 "      - {id: d, sms: {smpp: \"smpp://h:1\"}}\n");

	(void)state;
	assert_true(has_error(c, "queues[0].sms.colour: unknown key"));
	assert_true(has_error(c, "queues[0].sms.number: expected an E.164 number"));
	assert_true(has_error(c, "queues[0].sms.smpp: expected smpp://HOST:PORT"));
	assert_true(has_error(c, "queues[0].sms.password: at most 8 characters"));
	assert_true(has_error(c, "queues[0].sms.enquire_link: at least 1s"));
	assert_true(has_error(c, "queues[1].sms.url: expected http://"));
	assert_true(has_error(c, "queues[1].sms: 6:23: missing \"secret\""));
	assert_true(has_error(c, "queues[2].sms.gateway: expected smpp or http"));
	assert_false(has_error(c, "queues[2].sms: 8:23: missing \"url\""));
	assert_true(has_error(c, "queues[3].sms: 9:23: missing \"number\""));
	assert_true(has_error(c, "queues[3].sms: 9:23: missing \"system_id\""));
	for (size_t i = 0; i < cfg_error_count(c); i++)
		assert_null(strstr(cfg_error_at(c, i), "verylongpassword"));
	cfg_free(c);
}

static void test_number_taken_twice(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    sms: {smpp: \"smpp://h:2775\", system_id: acme}\n"
			     "    queues:\n"
			     "      - {id: a, sms: {number: \"+48221234567\"}}\n"
			     "      - {id: b, sms: {number: \"+48221234567\"}}\n");

	(void)state;
	assert_true(has_error(c, "number already taken by queue \"a\""));
	cfg_free(c);
}

static void test_opt_out(void **state)
{
	struct cfg *c =
	    load("tenants:\n"
		 "  - id: acme\n"
		 "    sms: {smpp: \"smpp://smsc.example:2775\", system_id: acme,\n"
		 "          opt_out: {stop: [STOP, Koniec], dialer: true,\n"
		 "                    reply_stop: \"Bye\"}}\n"
		 "    queues:\n"
		 "      - {id: support, sms: {number: \"+48221234567\"}}\n"
		 "      - {id: sales, sms: {number: \"7070\", opt_out: {enabled: false,\n"
		 "          start: [Wracam]}}}\n"
		 "      - {id: web, sms: {number: \"7071\", opt_out: {dialer: false}}}\n");
	const struct cfg_sms *s;

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	s = c->tenants[0].queues[0].sms;
	assert_int_equal(s->opt_out, 1);
	assert_int_equal(s->opt_out_dialer, 1);
	assert_int_equal(s->nstop_words, 2);
	assert_string_equal(s->stop_words[1], "Koniec");
	assert_null(s->start_words); /* the defaults */
	assert_string_equal(s->reply_stop, "Bye");
	assert_null(s->reply_start);
	s = c->tenants[0].queues[1].sms;
	assert_int_equal(s->opt_out, 0);
	assert_int_equal(s->nstop_words, 2);
	assert_int_equal(s->nstart_words, 1);
	assert_string_equal(s->start_words[0], "Wracam");
	assert_int_equal(c->tenants[0].queues[2].sms->opt_out_dialer, 0);
	cfg_free(c);

	c = load("tenants:\n"
		 "  - id: acme\n"
		 "    sms: {url: \"https://gw.example/send\", secret: s3cret,\n"
		 "          opt_out: {stop: [], start: STOP, dialer: maybe, colour: red}}\n"
		 "    queues:\n"
		 "      - {id: support, sms: {number: \"+48221234567\"}}\n");
	assert_true(has_error(c, "tenants[0].sms.opt_out.stop"));
	assert_true(has_error(c, "tenants[0].sms.opt_out.start"));
	assert_true(has_error(c, "tenants[0].sms.opt_out.dialer"));
	assert_true(has_error(c, "colour"));
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_inherits_tenant_connection),
	    cmocka_unit_test(test_errors_name_the_key_not_the_secret),
	    cmocka_unit_test(test_number_taken_twice),
	    cmocka_unit_test(test_opt_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
