/*
 * The web chat's settings (src/core/config_chat.c): the tenant's `chat:` with its
 * defaults, the queues a visitor may choose (cfg_chat_queue), and the errors `centrala
 * check` reports with their place in the file.
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

static void test_absent_chat_takes_no_chats(void **state)
{
	struct cfg *c = load("tenants:\n  - id: acme\n    queues: [{id: support}]\n");

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	assert_false(c->tenants[0].chat.enabled);
	assert_false(cfg_chat_queue(&c->tenants[0], "support"));
	cfg_free(c);
}

static void test_defaults_and_every_queue_when_none_listed(void **state)
{
	struct cfg *c = load(
	    "tenants:\n  - id: acme\n    chat: {}\n    queues: [{id: support}, {id: sales}]\n");
	const struct cfg_chat *w;

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	w = &c->tenants[0].chat;
	assert_true(w->enabled);
	assert_int_equal(w->max_message, 2000);
	assert_int_equal(w->per_second, 5);
	assert_int_equal(w->sessions_per_address, 3);
	assert_int_equal(w->resume_ms, 120000);
	assert_true(cfg_chat_queue(&c->tenants[0], "support"));
	assert_true(cfg_chat_queue(&c->tenants[0], "sales"));
	assert_false(cfg_chat_queue(&c->tenants[0], "billing"));
	cfg_free(c);
}

static void test_listed_queues_only(void **state)
{
	struct cfg *c = load("tenants:\n  - id: acme\n"
			     "    chat: {queues: [sales], max_message: 500, per_second: 2,\n"
			     "           sessions_per_address: 10, resume: 5m,\n"
			     "           canned: [\"Dzień dobry!\", \"Do usłyszenia.\"]}\n"
			     "    queues: [{id: support}, {id: sales}]\n");
	const struct cfg_chat *w;

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	w = &c->tenants[0].chat;
	assert_int_equal(w->max_message, 500);
	assert_int_equal(w->per_second, 2);
	assert_int_equal(w->sessions_per_address, 10);
	assert_int_equal(w->resume_ms, 300000);
	assert_int_equal(w->ncanned, 2);
	assert_string_equal(w->canned[0], "Dzień dobry!");
	assert_string_equal(w->canned[1], "Do usłyszenia.");
	assert_true(cfg_chat_queue(&c->tenants[0], "sales"));
	assert_false(cfg_chat_queue(&c->tenants[0], "support"));
	cfg_free(c);
}

static void test_errors_name_their_place(void **state)
{
	struct cfg *c =
	    load("tenants:\n  - id: acme\n"
		 "    chat: {queues: [nope], max_message: 0, per_second: x, colour: red}\n"
		 "    queues: [{id: support}]\n");

	(void)state;
	assert_true(has_error(c, "chat.queues[0]: unknown queue \"nope\""));
	assert_true(has_error(c, "max_message"));
	assert_true(has_error(c, "per_second"));
	assert_true(has_error(c, "colour"));
	cfg_free(c);
	c = load("tenants:\n  - id: acme\n    chat: [support]\n");
	assert_true(cfg_error_count(c) > 0);
	assert_true(has_error(c, "chat"));
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_absent_chat_takes_no_chats),
	    cmocka_unit_test(test_defaults_and_every_queue_when_none_listed),
	    cmocka_unit_test(test_listed_queues_only),
	    cmocka_unit_test(test_errors_name_their_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
