/*
 * The `say` grammar: numbers 0..999999 in Polish, Spanish, Russian and English composed
 * from prompt names with each language's plural forms and genders, every name a prompt
 * of the shipped sets, and the TTS text of dates, times and money.
 */
#include "test_ivr_fixture.h"

#include "ivr/ivr_int.h"

/* The names joined by spaces. */
static const char *said(const char *lang, long n, enum ivr_unit unit)
{
	static char buf[512];
	const char *names[32];
	size_t k = ivr_say_number(lang, n, unit, names, 32), o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < k; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "", names[i]);
	return buf;
}

static void test_polish_numbers(void **state)
{
	assert_string_equal(said("pl", 0, IVR_UNIT_NONE), "0");
	assert_string_equal(said("pl", 7, IVR_UNIT_NONE), "7");
	assert_string_equal(said("pl", 15, IVR_UNIT_NONE), "15");
	assert_string_equal(said("pl", 42, IVR_UNIT_NONE), "40 2");
	assert_string_equal(said("pl", 212, IVR_UNIT_NONE), "200 12");
	assert_string_equal(said("pl", 1000, IVR_UNIT_NONE), "1000-one");
	assert_string_equal(said("pl", 1001, IVR_UNIT_NONE), "1000-one 1");
	assert_string_equal(said("pl", 2000, IVR_UNIT_NONE), "2 1000-few");
	assert_string_equal(said("pl", 5000, IVR_UNIT_NONE), "5 1000-many");
	assert_string_equal(said("pl", 12000, IVR_UNIT_NONE), "12 1000-many");
	assert_string_equal(said("pl", 21000, IVR_UNIT_NONE), "20 1 1000-many");
	assert_string_equal(said("pl", 22000, IVR_UNIT_NONE), "20 2 1000-few");
	assert_string_equal(said("pl", 999999, IVR_UNIT_NONE), "900 90 9 1000-many 900 90 9");
}

static void test_polish_minutes_agree_with_the_number(void **state)
{
	assert_string_equal(said("pl", 1, IVR_UNIT_MINUTE), "1-feminine minute-one");
	assert_string_equal(said("pl", 2, IVR_UNIT_MINUTE), "2-feminine minute-few");
	assert_string_equal(said("pl", 5, IVR_UNIT_MINUTE), "5 minute-many");
	assert_string_equal(said("pl", 12, IVR_UNIT_MINUTE), "12 minute-many");
	assert_string_equal(said("pl", 21, IVR_UNIT_MINUTE), "20 1 minute-many");
	assert_string_equal(said("pl", 22, IVR_UNIT_MINUTE), "20 2-feminine minute-few");
	assert_string_equal(said("pl", 0, IVR_UNIT_SECOND), "0 second-many");
}

static void test_russian_numbers_and_minutes(void **state)
{
	assert_string_equal(said("ru", 1000, IVR_UNIT_NONE), "1000-one");
	assert_string_equal(said("ru", 2000, IVR_UNIT_NONE), "2-feminine 1000-few");
	assert_string_equal(said("ru", 11000, IVR_UNIT_NONE), "11 1000-many");
	assert_string_equal(said("ru", 21000, IVR_UNIT_NONE), "20 1-feminine 1000-one");
	assert_string_equal(said("ru", 345, IVR_UNIT_NONE), "300 40 5");
	assert_string_equal(said("ru", 1, IVR_UNIT_MINUTE), "1-feminine minute-one");
	assert_string_equal(said("ru", 21, IVR_UNIT_MINUTE), "20 1-feminine minute-one");
	assert_string_equal(said("ru", 11, IVR_UNIT_MINUTE), "11 minute-many");
	assert_string_equal(said("ru", 24, IVR_UNIT_MINUTE), "20 4 minute-few");
}

static void test_spanish_numbers_and_minutes(void **state)
{
	assert_string_equal(said("es", 1, IVR_UNIT_NONE), "1");
	assert_string_equal(said("es", 21, IVR_UNIT_NONE), "21");
	assert_string_equal(said("es", 31, IVR_UNIT_NONE), "30 and 1");
	assert_string_equal(said("es", 100, IVR_UNIT_NONE), "100");
	assert_string_equal(said("es", 101, IVR_UNIT_NONE), "100-plus 1");
	assert_string_equal(said("es", 500, IVR_UNIT_NONE), "500");
	assert_string_equal(said("es", 1000, IVR_UNIT_NONE), "1000");
	assert_string_equal(said("es", 21000, IVR_UNIT_NONE), "21-apocope 1000");
	assert_string_equal(said("es", 101000, IVR_UNIT_NONE), "100-plus 1-apocope 1000");
	assert_string_equal(said("es", 1, IVR_UNIT_MINUTE), "1-apocope minute-one");
	assert_string_equal(said("es", 21, IVR_UNIT_MINUTE), "21-apocope minute-many");
	assert_string_equal(said("es", 41, IVR_UNIT_MINUTE), "40 and 1-apocope minute-many");
}

static void test_english_numbers_and_minutes(void **state)
{
	assert_string_equal(said("en", 0, IVR_UNIT_NONE), "0");
	assert_string_equal(said("en", 13, IVR_UNIT_NONE), "13");
	assert_string_equal(said("en", 342517, IVR_UNIT_NONE),
			    "3 hundred 40 2 thousand 5 hundred 17");
	assert_string_equal(said("en", 1, IVR_UNIT_MINUTE), "1 minute-one");
	assert_string_equal(said("en", 2, IVR_UNIT_MINUTE), "2 minute-many");
}

static void test_out_of_range_or_unknown_language_says_nothing(void **state)
{
	const char *names[4];

	assert_string_equal(said("pl", 1000000, IVR_UNIT_NONE), "");
	assert_string_equal(said("pl", -1, IVR_UNIT_NONE), "");
	assert_string_equal(said("de", 5, IVR_UNIT_NONE), "");
	assert_int_equal(ivr_say_number("pl", 999999, IVR_UNIT_NONE, names, 4), 0);
	assert_false(ivr_say_supported("de"));
	assert_true(ivr_say_supported("ru"));
}

static void test_every_name_is_in_the_shipped_prompt_set(void **state)
{
	static const char *const langs[] = {"pl", "es", "ru", "en"};
	const char *names[32], *seen[128];

	for (int l = 0; l < 4; l++) {
		size_t nseen = 0;
		for (long n = 0; n <= 999999; n += n < 2000 ? 1 : 997)
			for (int u = 0; u <= 2; u++) {
				size_t k = ivr_say_number(langs[l], n, (enum ivr_unit)u, names, 32);
				assert_true(k > 0);
				for (size_t i = 0; i < k; i++) {
					size_t j;
					for (j = 0; j < nseen && strcmp(seen[j], names[i]); j++)
						;
					if (j == nseen && nseen < 128)
						seen[nseen++] = names[i];
				}
			}
		for (size_t j = 0; j < nseen; j++)
			if (!ivr__prompt_known("prompts", langs[l], seen[j])) {
				print_message("%s: %s missing\n", langs[l], seen[j]);
				fail();
			}
	}
}

static void test_prompt_path(void **state)
{
	char buf[64];

	assert_string_equal(ivr_prompt_path(buf, sizeof(buf), "prompts", "pl", "goodbye"),
			    "prompts/pl/goodbye.wav");
}

static const char *text(const char *lang, enum ivr_say_kind k, const char *v, const char *cur)
{
	static char buf[256];

	if (ivr__say_text(lang, k, v, cur, buf, sizeof(buf)))
		return "(error)";
	return buf;
}

static void test_money_is_said_with_the_right_plural(void **state)
{
	assert_string_equal(text("pl", IVR_SAY_MONEY, "12.50", "PLN"), "12 złotych 50 groszy");
	assert_string_equal(text("pl", IVR_SAY_MONEY, "1", "PLN"), "1 złoty");
	assert_string_equal(text("pl", IVR_SAY_MONEY, "2,02", "PLN"), "2 złote 2 grosze");
	assert_string_equal(text("pl", IVR_SAY_MONEY, "22.5", "EUR"), "22 euro 50 centów");
	assert_string_equal(text("ru", IVR_SAY_MONEY, "21", "RUB"), "21 рубль");
	assert_string_equal(text("ru", IVR_SAY_MONEY, "3.11", "RUB"), "3 рубля 11 копеек");
	assert_string_equal(text("es", IVR_SAY_MONEY, "3.01", "EUR"), "3 euros con 1 céntimo");
	assert_string_equal(text("en", IVR_SAY_MONEY, "1.05", "USD"), "1 dollar and 5 cents");
	assert_string_equal(text("en", IVR_SAY_MONEY, "-4", "USD"), "minus 4 dollars");
	assert_string_equal(text("en", IVR_SAY_MONEY, "abc", "USD"), "(error)");
	assert_string_equal(text("en", IVR_SAY_MONEY, "5", "XYZ"), "(error)");
}

static void test_dates_and_times_in_each_language(void **state)
{
	assert_string_equal(text("pl", IVR_SAY_DATE, "2026-11-23", NULL), "23 listopada 2026");
	assert_string_equal(text("es", IVR_SAY_DATE, "2026-11-23", NULL),
			    "23 de noviembre de 2026");
	assert_string_equal(text("ru", IVR_SAY_DATE, "2026-11-23", NULL), "23 ноября 2026 года");
	assert_string_equal(text("en", IVR_SAY_DATE, "2026-11-23", NULL), "November 23, 2026");
	assert_string_equal(text("en", IVR_SAY_TIME, "14:05", NULL), "2:05 PM");
	assert_string_equal(text("pl", IVR_SAY_TIME, "14:05", NULL), "godzina 14:05");
	assert_string_equal(text("en", IVR_SAY_DATE, "23.11.2026", NULL), "(error)");
}

static void test_luhn(void **state)
{
	assert_true(ivr__luhn_ok("4111111111111111"));
	assert_true(ivr__luhn_ok("79927398713"));
	assert_false(ivr__luhn_ok("79927398710"));
	assert_false(ivr__luhn_ok("4111x11111111111"));
	assert_false(ivr__luhn_ok("0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_polish_numbers),
	    cmocka_unit_test(test_polish_minutes_agree_with_the_number),
	    cmocka_unit_test(test_russian_numbers_and_minutes),
	    cmocka_unit_test(test_spanish_numbers_and_minutes),
	    cmocka_unit_test(test_english_numbers_and_minutes),
	    cmocka_unit_test(test_out_of_range_or_unknown_language_says_nothing),
	    cmocka_unit_test(test_every_name_is_in_the_shipped_prompt_set),
	    cmocka_unit_test(test_prompt_path),
	    cmocka_unit_test(test_money_is_said_with_the_right_plural),
	    cmocka_unit_test(test_dates_and_times_in_each_language),
	    cmocka_unit_test(test_luhn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
