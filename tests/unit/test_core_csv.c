/* The streaming CSV reader: quoting, line ends, BOM, positions of errors, recovery on
 * the next line, and a long file read in constant memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/csv.h"

static struct csv *open_text(const char *text, FILE **f)
{
	struct csv *r = NULL;

	*f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(*f);
	assert_int_equal(csv_open(*f, ',', &r), 0);
	return r;
}

static void test_fields_quotes_and_line_ends(void **state)
{
	const char *text = "\xEF\xBB\xBFphone,name,note\r\n"
			   "+48601234567,\"Kowalski, Jan\",\"said \"\"call\r\nlater\"\"\"\n"
			   ",,\n"
			   "\n"
			   "1,2";
	FILE *f;
	struct csv *r = open_text(text, &f);
	char **v;
	size_t n;
	long line;

	(void)state;
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	assert_int_equal(n, 3);
	assert_int_equal(line, 1);
	assert_string_equal(v[0], "phone");
	assert_string_equal(v[2], "note");
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	assert_int_equal(line, 2);
	assert_string_equal(v[0], "+48601234567");
	assert_string_equal(v[1], "Kowalski, Jan");
	assert_string_equal(v[2], "said \"call\r\nlater\"");
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	assert_int_equal(line, 4);
	assert_int_equal(n, 3);
	assert_true(csv_blank(v, n));
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	assert_int_equal(n, 1);
	assert_true(csv_blank(v, n));
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	assert_int_equal(line, 6);
	assert_string_equal(v[1], "2");
	assert_int_equal(csv_next(r, &v, &n, &line), ENOENT);
	csv_close(r);
	fclose(f);
}

static void test_errors_say_where_and_reading_goes_on(void **state)
{
	const char *text = "a,b\n"
			   "x,y\"z\n"
			   "\"q\"w,2\n"
			   "ok,1\n"
			   "\"never closed,3\n";
	FILE *f;
	struct csv *r = open_text(text, &f);
	char **v;
	size_t n;
	long line, eline, ecol;

	(void)state;
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	assert_int_equal(csv_next(r, &v, &n, &line), EILSEQ);
	csv_error_pos(r, &eline, &ecol);
	assert_int_equal(eline, 2);
	assert_int_equal(ecol, 4);
	assert_int_equal(csv_next(r, &v, &n, &line), EILSEQ);
	csv_error_pos(r, &eline, &ecol);
	assert_int_equal(eline, 3);
	assert_int_equal(ecol, 4);
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	assert_string_equal(v[0], "ok");
	assert_int_equal(line, 4);
	assert_int_equal(csv_next(r, &v, &n, &line), EPROTO);
	csv_error_pos(r, &eline, &ecol);
	assert_int_equal(eline, 5);
	assert_int_equal(ecol, 1);
	assert_int_equal(csv_next(r, &v, &n, &line), ENOENT);
	csv_close(r);
	fclose(f);
}

static void test_a_long_file_streams(void **state)
{
	FILE *f = tmpfile();
	struct csv *r = NULL;
	char **v;
	size_t n;
	long line, rows = 0;

	(void)state;
	assert_non_null(f);
	fputs("phone,name\n", f);
	for (long i = 0; i < 200000; i++)
		fprintf(f, "+4860%07ld,\"Name %ld\"\n", i, i);
	rewind(f);
	assert_int_equal(csv_open(f, ',', &r), 0);
	assert_int_equal(csv_next(r, &v, &n, &line), 0);
	while (csv_next(r, &v, &n, &line) == 0) {
		assert_int_equal(n, 2);
		rows++;
	}
	assert_int_equal(rows, 200000);
	assert_int_equal(line, 200001);
	csv_close(r);
	fclose(f);
	assert_int_equal(csv_open(NULL, ',', &r), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields_quotes_and_line_ends),
	    cmocka_unit_test(test_errors_say_where_and_reading_goes_on),
	    cmocka_unit_test(test_a_long_file_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
