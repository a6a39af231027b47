/* Log lines: the key=value format, and the JSON format for log shippers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

static int fds[2];

static int setup(void **state)
{
	(void)state;
	if (pipe(fds))
		return -1;
	log_setup(LOG_LEVEL_INFO, fds[1]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_setup(LOG_LEVEL_INFO, 2);
	log_set_format(LOG_FORMAT_KV);
	close(fds[0]);
	close(fds[1]);
	return 0;
}

static void read_line(char *buf, size_t size)
{
	ssize_t n = read(fds[0], buf, size - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(buf[n - 1], '\n');
}

static void test_kv_line_has_ts_level_mod_and_body(void **state)
{
	char line[4096];

	log_set_format(LOG_FORMAT_KV);
	log_info("engine", "tenant=acme call=42 event=answered");
	read_line(line, sizeof(line));
	assert_memory_equal(line, "ts=", 3);
	assert_non_null(
	    strstr(line, "Z level=info mod=engine tenant=acme call=42 event=answered\n"));
}

static void test_json_line_is_one_object_with_every_pair_as_string(void **state)
{
	char line[4096];
	json_error_t err;
	json_t *o;

	log_set_format(LOG_FORMAT_JSON);
	log_warn("engine", "tenant=acme call=42 event=sighup hint=\"say \\\"restart\\\" now\" "
			   "loose words empty=");
	read_line(line, sizeof(line));
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1); /* one line */
	o = json_loads(line, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(o, "mod")), "engine");
	assert_string_equal(json_string_value(json_object_get(o, "tenant")), "acme");
	assert_string_equal(json_string_value(json_object_get(o, "call")), "42");
	assert_string_equal(json_string_value(json_object_get(o, "hint")), "say \"restart\" now");
	assert_string_equal(json_string_value(json_object_get(o, "msg")), "loose words");
	assert_string_equal(json_string_value(json_object_get(o, "empty")), "");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "ts"))), 24);
	/* The keys keep the order of the line. */
	assert_string_equal(json_object_iter_key(json_object_iter(o)), "ts");
	json_decref(o);
}

static void test_json_survives_invalid_utf8(void **state)
{
	char line[4096];
	json_error_t err;
	json_t *o;

	log_set_format(LOG_FORMAT_JSON);
	log_info("sip", "event=invite from=\xff\xfe"
			"caller");
	read_line(line, sizeof(line));
	o = json_loads(line, 0, &err);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "from")), "??caller");
	json_decref(o);
}

static void test_format_names_parse(void **state)
{
	enum log_format f;

	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_int_equal(log_format_parse("kv", &f), 0);
	assert_int_equal(f, LOG_FORMAT_KV);
	assert_int_equal(log_format_parse("xml", &f), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kv_line_has_ts_level_mod_and_body, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_json_line_is_one_object_with_every_pair_as_string,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_survives_invalid_utf8, setup, teardown),
	    cmocka_unit_test(test_format_names_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
