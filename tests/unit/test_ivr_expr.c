/*
 * Condition expressions and text templates: comparisons (numeric and text), prefixes,
 * ranges, lists, and/or/not with parentheses, truthiness, parse errors with the
 * character where they are, and interpolation with escapes, missing variables and
 * truncation that never splits a UTF-8 character.
 */
#include "test_ivr_fixture.h"

#include "ivr/ivr_int.h"

static const struct ivr_kv vars[] = {
    {"caller", "+48601234567"},
    {"balance", "150.5"},
    {"tier", "gold"},
    {"vip", "true"},
    {"zero", "0"},
    {"empty", ""},
    {"contact.first_name", "Łucja"},
};

static const char *lookup(void *arg, const char *name)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!strcmp(vars[i].name, name))
			return vars[i].value;
	return NULL;
}

static bool eval(const char *text)
{
	struct ivr_expr *e = NULL;
	char err[128];
	bool v;

	if (ivr__expr_parse(text, &e, err, sizeof(err))) {
		print_message("%s: %s\n", text, err);
		fail();
	}
	v = ivr__expr_eval(e, lookup, NULL);
	ivr__expr_free(e);
	return v;
}

static const char *parse_error(const char *text)
{
	static char err[128];
	struct ivr_expr *e = NULL;

	if (ivr__expr_parse(text, &e, err, sizeof(err)) == 0) {
		ivr__expr_free(e);
		return "(parsed)";
	}
	assert_null(e);
	return err;
}

static void test_equality_is_numeric_when_both_sides_are_numbers(void **state)
{
	assert_true(eval("balance == 150.50"));
	assert_true(eval("balance > 99"));
	assert_false(eval("balance < 99"));
	assert_true(eval("tier == 'gold'"));
	assert_true(eval("tier != \"silver\""));
	assert_true(eval("'10' > '9'"));
	assert_true(eval("tier < 'silver'")); /* text order */
	assert_true(eval("vip == true"));
}

static void test_prefix_suffix_contains(void **state)
{
	assert_true(eval("caller startswith '+48'"));
	assert_false(eval("caller startswith '+34'"));
	assert_true(eval("caller endswith '567'"));
	assert_true(eval("caller contains '6012'"));
}

static void test_ranges_and_lists(void **state)
{
	assert_true(eval("balance in 100..200"));
	assert_true(eval("balance in 150.5..150.5"));
	assert_false(eval("balance in 0..100"));
	assert_false(eval("tier in 0..100"));
	assert_true(eval("tier in ['silver', 'gold']"));
	assert_false(eval("tier in ['silver']"));
	assert_true(eval("balance in [1, 150.5]"));
}

static void test_and_or_not_and_parentheses(void **state)
{
	assert_true(eval("vip and tier == 'gold'"));
	assert_true(eval("zero or vip"));
	assert_false(eval("zero or empty or missing"));
	assert_true(eval("not zero"));
	assert_false(eval("not (vip and tier == 'gold')"));
	/* and binds tighter than or */
	assert_true(eval("vip or zero and empty"));
	assert_false(eval("(vip or zero) and empty"));
}

static void test_truthiness(void **state)
{
	assert_true(eval("vip"));
	assert_false(eval("zero"));
	assert_false(eval("empty"));
	assert_false(eval("missing"));
	assert_true(eval("'x'"));
	assert_false(eval("false"));
}

static void test_parse_errors_name_the_character(void **state)
{
	assert_string_equal(parse_error(""), "empty condition");
	assert_string_equal(parse_error("caller =="),
			    "expected a value (a variable, a number or 'text') at character 10");
	assert_string_equal(parse_error("a = 1"), "unknown operator \"=\" (use == or !=) at "
						  "character 3");
	assert_string_equal(parse_error("(a == 1"), "unclosed \"(\" at character 1");
	assert_string_equal(parse_error("a == 'x"), "unclosed string at character 6");
	assert_string_equal(parse_error("a == 1 b"),
			    "unexpected \"b\" (expected and, or, or the end) at character 8");
	assert_string_equal(parse_error("a in 1"), "expected \"..\" of a range such as 1..10 or "
						   "a list [a, b] at character 7");
	assert_string_equal(parse_error("a in [1, 2"), "expected \",\" or \"]\" at character 11");
	assert_string_equal(parse_error("'żółw' == 1 $"), "unexpected \"$\" at character 13");
	assert_string_equal(parse_error("żółw"), "unexpected \"ż\" at character 1");
	assert_string_equal(parse_error("and"),
			    "expected a value (a variable, a number or 'text') at character 1");
}

static const char *expand(const char *tpl, size_t size)
{
	static char buf[256];

	ivr__tpl_expand(tpl, lookup, NULL, buf, size);
	return buf;
}

static void test_template_expansion(void **state)
{
	assert_string_equal(expand("Dzień dobry, {contact.first_name}!", 256),
			    "Dzień dobry, Łucja!");
	assert_string_equal(expand("{{literal}} {tier}", 256), "{literal} gold");
	assert_string_equal(expand("[{missing}]", 256), "[]");
	/* "Ł" is two bytes: a buffer that ends inside it drops it whole. */
	assert_string_equal(expand("{contact.first_name}", 2), "");
	assert_string_equal(expand("{contact.first_name}", 4), "Łu");
}

static void test_template_check(void **state)
{
	char err[128];
	bool dyn = true;

	assert_int_equal(ivr__tpl_check("plain text", &dyn, err, sizeof(err)), 0);
	assert_false(dyn);
	assert_int_equal(ivr__tpl_check("{a.b_c}", &dyn, err, sizeof(err)), 0);
	assert_true(dyn);
	assert_int_equal(ivr__tpl_check("ź {x", &dyn, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "unclosed \"{\" at character 3");
	assert_int_equal(ivr__tpl_check("a } b", &dyn, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "unmatched \"}\" at character 3 (write \"}}\" for a brace)");
	assert_int_equal(ivr__tpl_check("{}", &dyn, err, sizeof(err)), EINVAL);
	assert_int_equal(ivr__tpl_check("{a..b}", &dyn, err, sizeof(err)), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equality_is_numeric_when_both_sides_are_numbers),
	    cmocka_unit_test(test_prefix_suffix_contains),
	    cmocka_unit_test(test_ranges_and_lists),
	    cmocka_unit_test(test_and_or_not_and_parentheses),
	    cmocka_unit_test(test_truthiness),
	    cmocka_unit_test(test_parse_errors_name_the_character),
	    cmocka_unit_test(test_template_expansion),
	    cmocka_unit_test(test_template_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
