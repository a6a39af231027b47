/*
 * The email channel's settings (src/core/config_email.c): a queue's mailbox, the
 * tenant's defaults it inherits, and the errors `centrala check` reports, each with its
 * key path and never with the password.
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

static void test_queue_inherits_tenant_defaults(void **state)
{
	struct cfg *c =
	    load("tenants:\n"
		 "  - id: acme\n"
		 "    email: {smtp: \"smtp://127.0.0.1:2525\", username: box, password: "
		 "s3cret,\n"
		 "            from: \"ACME <support@acme.example>\", signature: \"-- ACME\"}\n"
		 "    queues:\n"
		 "      - id: support\n"
		 "        email: {imap: \"imap://127.0.0.1:1143/INBOX\", poll: 5s}\n"
		 "      - id: sales\n"
		 "        email: {imap: \"imaps://mail.acme.example/Sales\", username: sales,\n"
		 "                from: sales@acme.example, acknowledge: false}\n"
		 "      - id: phone\n");
	const struct cfg_email *e;

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	e = c->tenants[0].queues[0].email;
	assert_non_null(e);
	assert_string_equal(e->imap, "imap://127.0.0.1:1143/INBOX");
	assert_string_equal(e->smtp, "smtp://127.0.0.1:2525");
	assert_string_equal(e->username, "box");
	assert_string_equal(e->password, "s3cret");
	assert_string_equal(e->from, "ACME <support@acme.example>");
	assert_string_equal(e->signature, "-- ACME");
	assert_int_equal(e->poll_ms, 5000);
	assert_int_equal(e->acknowledge, 1);
	e = c->tenants[0].queues[1].email;
	assert_string_equal(e->username, "sales");
	assert_string_equal(e->from, "sales@acme.example");
	assert_int_equal(e->poll_ms, 30000);
	assert_int_equal(e->acknowledge, 0);
	assert_null(c->tenants[0].queues[2].email);
	cfg_free(c);
}

static void test_errors_name_the_key_not_the_password(void **state)
{
	struct cfg *c =
	    load("tenants:\n"
		 "  - id: acme\n"
		 "    queues:\n"
		 "      - id: q1\n"
		 "        email: {imap: \"http://x/INBOX\", smtp: \"smtp:/x\", username: u,\n"
		 "                password: hunter2, from: \"no address\", poll: 10ms,\n"
		 "                folder: x}\n"
		 "      - id: q2\n"
		 "        email: {imap: \"imap://127.0.0.1/Other\"}\n"
		 "      - id: q3\n"
		 "        email: {imap: \"imap://127.0.0.1/INBOX\", smtp: \"smtp://h\", "
		 "username: u,\n"
		 "                password: p, from: a@b.example}\n"
		 "      - id: q4\n"
		 "        email: {imap: \"IMAP://127.0.0.1/INBOX\", smtp: \"smtp://h\", "
		 "username: u,\n"
		 "                password: p, from: a@b.example}\n");

	(void)state;
	assert_true(has_error(c, "tenants[0].queues[0].email.imap: expected imap://"));
	assert_true(has_error(c, "tenants[0].queues[0].email.smtp: expected smtp://"));
	assert_true(has_error(c, "tenants[0].queues[0].email.from: expected an address"));
	assert_true(has_error(c, "tenants[0].queues[0].email.poll: at least 1s"));
	assert_true(has_error(c, "folder"));
	assert_true(has_error(c, "tenants[0].queues[1].email: 9:17: missing \"smtp\""));
	assert_true(has_error(c, "tenants[0].queues[1].email: 9:17: missing \"password\""));
	assert_false(has_error(c, "tenants[0].queues[2]"));
	assert_true(has_error(c, "tenants[0].queues[3].email: 14:17: mailbox already polled "
				 "for queue \"q3\""));
	assert_false(has_error(c, "hunter2"));
	cfg_free(c);
}

static void test_email_must_be_a_mapping(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    email: yes\n"
			     "    queues: [{id: q, email: [1]}]\n");

	(void)state;
	assert_true(has_error(c, "tenants[0].email"));
	assert_true(has_error(c, "tenants[0].queues[0].email"));
	assert_null(c->tenants[0].email);
	assert_null(c->tenants[0].queues[0].email);
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_inherits_tenant_defaults),
	    cmocka_unit_test(test_errors_name_the_key_not_the_password),
	    cmocka_unit_test(test_email_must_be_a_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
