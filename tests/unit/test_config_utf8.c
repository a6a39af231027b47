/* Configuration text that is not UTF-8: refused with the position of the first bad byte,
 * before libfyaml sees it (a `%` directive followed by invalid UTF-8 used to make its
 * scanner loop for ever). Every test is bounded by an alarm: a hang fails the run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/yaml.h"

/* Writes `len` bytes to a fresh temporary file; returns its path (malloc'd). */
static char *write_tmp(const char *bytes, size_t len)
{
	char *path = strdup("/tmp/test_config_utf8.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Loads `len` bytes from a file; returns the context (never NULL). */
static struct cy *load_bytes(const char *bytes, size_t len, char **path_out)
{
	char *path = write_tmp(bytes, len);
	struct cy *c = NULL;

	alarm(10);
	assert_int_equal(cy_load_file(path, &c), 0);
	alarm(0);
	assert_non_null(c);
	*path_out = path;
	return c;
}

static void expect_one_error(struct cy *c, const char *path, const char *where, const char *what)
{
	char want[512];

	assert_int_equal(cy_error_count(c), 1);
	assert_null(cy_root(c));
	snprintf(want, sizeof(want), "%s:%s: ", path, where);
	if (strncmp(cy_error_at(c, 0), want, strlen(want)) || !strstr(cy_error_at(c, 0), what))
		fail_msg("error \"%s\" does not start with \"%s\" and name \"%s\"",
			 cy_error_at(c, 0), want, what);
}

static void test_percent_then_invalid_utf8_fails_at_the_bad_byte(void **state)
{
	static const char text[] = "sip: {listen: [\"udp:127.0.0.1:5060\"]}\n%\xff\xfe bad\n";
	char *path;
	struct cy *c = load_bytes(text, sizeof(text) - 1, &path);

	expect_one_error(c, path, "2:2", "invalid UTF-8 (byte 0xff)");
	cy_free(c);
	unlink(path);
	free(path);
}

static void test_percent_first_then_invalid_utf8_fails(void **state)
{
	static const char text[] = "%\xc3\x28\n";
	char *path;
	struct cy *c = load_bytes(text, sizeof(text) - 1, &path);

	expect_one_error(c, path, "1:2", "invalid UTF-8 (byte 0xc3)");
	cy_free(c);
	unlink(path);
	free(path);
}

static void test_invalid_utf8_in_a_value_is_refused(void **state)
{
	/* libfyaml would take this into the value silently. */
	static const char text[] = "log: info\nsip: {user_agent: \"caf\xe9\"}\n";
	char *path;
	struct cy *c = load_bytes(text, sizeof(text) - 1, &path);

	expect_one_error(c, path, "2:23", "byte 0xe9");
	cy_free(c);
	unlink(path);
	free(path);
}

static void test_overlong_surrogate_and_out_of_range_forms_are_refused(void **state)
{
	static const char *const bad[] = {
	    "a: \xc0\xaf\n",	     /* overlong '/' */
	    "a: \xe0\x80\xaf\n",     /* overlong, three bytes */
	    "a: \xed\xa0\x80\n",     /* UTF-16 surrogate U+D800 */
	    "a: \xf4\x90\x80\x80\n", /* above U+10FFFF */
	    "a: \xe2\x82\n",	     /* truncated before the line end */
	    "a: \xe2\x82",	     /* truncated at the end of the file */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path;
		struct cy *c = load_bytes(bad[i], strlen(bad[i]), &path);
		expect_one_error(c, path, "1:4", "invalid UTF-8");
		cy_free(c);
		unlink(path);
		free(path);
	}
}

static void test_nul_byte_is_refused(void **state)
{
	static const char text[] = "a: 1\nb: x\0y\n";
	char *path;
	struct cy *c = load_bytes(text, sizeof(text) - 1, &path);

	expect_one_error(c, path, "2:5", "invalid NUL byte");
	cy_free(c);
	unlink(path);
	free(path);
}

static void test_column_counts_characters_not_bytes(void **state)
{
	/* "zażółć" is 6 characters in 10 bytes: the bad byte is at column 18, not 22. */
	static const char text[] = "greeting: za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 \xff\n";
	char *path;
	struct cy *c = load_bytes(text, sizeof(text) - 1, &path);

	expect_one_error(c, path, "1:18", "byte 0xff");
	cy_free(c);
	unlink(path);
	free(path);
}

static void test_valid_utf8_with_bom_loads(void **state)
{
	static const char text[] =
	    "\xef\xbb\xbfgreeting: \"Dzie\xc5\x84 dobry \xf0\x9f\x93\x9e\"\n";
	char *path;
	struct cy *c = load_bytes(text, sizeof(text) - 1, &path);

	assert_int_equal(cy_error_count(c), 0);
	assert_non_null(cy_root(c));
	assert_string_equal(cy_text(cy_get(cy_root(c), "greeting")),
			    "Dzie\xc5\x84 dobry \xf0\x9f\x93\x9e");
	cy_free(c);
	unlink(path);
	free(path);
}

static void test_string_source_is_checked_too(void **state)
{
	struct cy *c = NULL;

	alarm(10);
	assert_int_equal(cy_load_string("inline.yaml", "a: 1\n%\xff\n", &c), 0);
	alarm(0);
	expect_one_error(c, "inline.yaml", "2:2", "invalid UTF-8 (byte 0xff)");
	cy_free(c);
}

static void test_config_loader_reports_the_bad_byte(void **state)
{
	static const char text[] = "sip: {listen: [\"udp:127.0.0.1:5060\"]}\n%\xff\n";
	char *path = write_tmp(text, sizeof(text) - 1);
	struct cfg *cfg = NULL;
	char want[256];

	alarm(10);
	assert_int_equal(cfg_load(path, &cfg), 0);
	alarm(0);
	snprintf(want, sizeof(want), "%s:2:2: invalid UTF-8", path);
	assert_true(cfg_error_count(cfg) >= 1);
	if (strncmp(cfg_error_at(cfg, 0), want, strlen(want)))
		fail_msg("first error \"%s\", want \"%s...\"", cfg_error_at(cfg, 0), want);
	cfg_free(cfg);
	unlink(path);
	free(path);
}

static void test_missing_file_is_an_error_not_a_failure(void **state)
{
	struct cy *c = NULL;

	assert_int_equal(cy_load_file("/nonexistent/centrala.yaml", &c), 0);
	assert_int_equal(cy_error_count(c), 1);
	assert_non_null(strstr(cy_error_at(c, 0), "cannot read: No such file"));
	cy_free(c);
}

static void test_directory_is_an_error(void **state)
{
	struct cy *c = NULL;

	alarm(10);
	assert_int_equal(cy_load_file("/tmp", &c), 0);
	alarm(0);
	assert_int_equal(cy_error_count(c), 1);
	assert_null(cy_root(c));
	cy_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_percent_then_invalid_utf8_fails_at_the_bad_byte),
	    cmocka_unit_test(test_percent_first_then_invalid_utf8_fails),
	    cmocka_unit_test(test_invalid_utf8_in_a_value_is_refused),
	    cmocka_unit_test(test_overlong_surrogate_and_out_of_range_forms_are_refused),
	    cmocka_unit_test(test_nul_byte_is_refused),
	    cmocka_unit_test(test_column_counts_characters_not_bytes),
	    cmocka_unit_test(test_valid_utf8_with_bom_loads),
	    cmocka_unit_test(test_string_source_is_checked_too),
	    cmocka_unit_test(test_config_loader_reports_the_bad_byte),
	    cmocka_unit_test(test_missing_file_is_an_error_not_a_failure),
	    cmocka_unit_test(test_directory_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
