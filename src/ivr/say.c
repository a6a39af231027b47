/*
 * Saying numbers, digits, dates, times and money. Numbers (0..999999) and digits are
 * composed from the recorded words of a language's prompt set (prompts/<lang>/), with
 * each language's grammar: Polish and Russian plural forms and feminine "jedna/dwie",
 * "одна/две"; Spanish "un/veintiún" before nouns, "cien/ciento", "y"; English
 * "three hundred forty two thousand". Dates, times and money become text in the
 * language, spoken through TTS, with the currency nouns in their right plural form.
 *
 * Prompt names used here are the contract with prompts/<lang>/prompts.tsv.
 */
#include "ivr/ivr_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const small[30] = {"0",  "1",  "2",	"3",  "4",  "5",  "6",	"7",  "8",  "9",
				      "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
				      "20", "21", "22", "23", "24", "25", "26", "27", "28", "29"};
static const char *const tens[10] = {NULL, NULL, "20", "30", "40", "50", "60", "70", "80", "90"};
static const char *const hundreds[10] = {NULL,	"100", "200", "300", "400",
					 "500", "600", "700", "800", "900"};

struct out {
	const char **v;
	size_t n, max;
	bool overflow;
};

static void add(struct out *o, const char *name)
{
	if (o->n < o->max)
		o->v[o->n++] = name;
	else
		o->overflow = true;
}

enum plural { PL_ONE, PL_FEW, PL_MANY };

/* Slavic plural categories (Polish rule when `pl`, Russian otherwise). */
static enum plural slavic_plural(long n, bool pl)
{
	long d = n % 10, h = n % 100;

	if (pl ? n == 1 : (d == 1 && h != 11))
		return PL_ONE;
	if (d >= 2 && d <= 4 && !(h >= 12 && h <= 14))
		return PL_FEW;
	return PL_MANY;
}

static const char *unit_name(enum ivr_unit u, enum plural p)
{
	static const char *const minute[3] = {"minute-one", "minute-few", "minute-many"};
	static const char *const second[3] = {"second-one", "second-few", "second-many"};

	return u == IVR_UNIT_MINUTE ? minute[p] : second[p];
}

/* ---- English ---- */

static void en_below_1000(struct out *o, long x)
{
	long h = x / 100, r = x % 100;

	if (h) {
		add(o, small[h]);
		add(o, "hundred");
	}
	if (r >= 20) {
		add(o, tens[r / 10]);
		if (r % 10)
			add(o, small[r % 10]);
	} else if (r) {
		add(o, small[r]);
	}
}

static void say_en(struct out *o, long n, enum ivr_unit unit)
{
	if (n == 0)
		add(o, "0");
	if (n >= 1000) {
		en_below_1000(o, n / 1000);
		add(o, "thousand");
	}
	en_below_1000(o, n % 1000);
	if (unit)
		add(o, unit_name(unit, n == 1 ? PL_ONE : PL_MANY));
}

/* ---- Spanish ---- */

static void es_below_100(struct out *o, long r, bool apocope)
{
	if (r < 30) {
		if (apocope && r == 1)
			add(o, "1-apocope"); /* un */
		else if (apocope && r == 21)
			add(o, "21-apocope"); /* veintiún */
		else if (r)
			add(o, small[r]);
		return;
	}
	add(o, tens[r / 10]);
	if (r % 10) {
		add(o, "and"); /* y */
		add(o, apocope && r % 10 == 1 ? "1-apocope" : small[r % 10]);
	}
}

static void es_below_1000(struct out *o, long x, bool apocope)
{
	long h = x / 100, r = x % 100;

	if (x == 100) {
		add(o, "100"); /* cien */
		return;
	}
	if (h)
		add(o, h == 1 ? "100-plus" : hundreds[h]); /* ciento, doscientos */
	es_below_100(o, r, apocope);
}

static void say_es(struct out *o, long n, enum ivr_unit unit)
{
	long th = n / 1000, rest = n % 1000;

	if (n == 0)
		add(o, "0");
	if (th == 1) {
		add(o, "1000"); /* mil */
	} else if (th) {
		es_below_1000(o, th, true);
		add(o, "1000");
	}
	/* "un minuto", "veintiún minutos": the short form before a (masculine) noun. */
	es_below_1000(o, rest, unit != IVR_UNIT_NONE);
	if (unit)
		add(o, unit_name(unit, n == 1 ? PL_ONE : PL_MANY));
}

/* ---- Polish and Russian ---- */

static void slavic_below_1000(struct out *o, long x, bool feminine, bool pl, bool whole_one)
{
	long h = x / 100, r = x % 100, d = r % 10;

	if (h)
		add(o, hundreds[h]);
	if (r >= 20) {
		add(o, tens[r / 10]);
		r = d;
		if (!r)
			return;
	}
	if (!r)
		return;
	/* Polish says "jedna" only for exactly one ("dwadzieścia jeden minut"); Russian
	 * agrees the last word ("двадцать одна минута"). Both say "dwie"/"две". */
	if (feminine && r == 1 && (!pl || whole_one))
		add(o, "1-feminine");
	else if (feminine && r == 2)
		add(o, "2-feminine");
	else
		add(o, small[r]);
}

static void say_slavic(struct out *o, long n, enum ivr_unit unit, bool pl)
{
	static const char *const thousand[3] = {"1000-one", "1000-few", "1000-many"};
	long th = n / 1000, rest = n % 1000;

	if (n == 0)
		add(o, "0");
	if (th == 1) {
		add(o, thousand[PL_ONE]); /* tysiąc, тысяча */
	} else if (th) {
		/* тысяча is feminine in Russian (две тысячи); tysiąc masculine in Polish. */
		slavic_below_1000(o, th, !pl, pl, false);
		add(o, thousand[slavic_plural(th, pl)]);
	}
	/* minuta / минута and sekunda / секунда are feminine. */
	if (rest)
		slavic_below_1000(o, rest, unit != IVR_UNIT_NONE, pl, n == 1);
	if (unit)
		add(o, unit_name(unit, slavic_plural(n, pl)));
}

bool ivr_say_supported(const char *lang)
{
	return lang && (!strcmp(lang, "en") || !strcmp(lang, "es") || !strcmp(lang, "pl") ||
			!strcmp(lang, "ru"));
}

size_t ivr_say_number(const char *lang, long n, enum ivr_unit unit, const char **names, size_t max)
{
	struct out o = {.v = names, .max = max};

	if (!ivr_say_supported(lang) || n < 0 || n > 999999)
		return 0;
	if (!strcmp(lang, "en"))
		say_en(&o, n, unit);
	else if (!strcmp(lang, "es"))
		say_es(&o, n, unit);
	else
		say_slavic(&o, n, unit, !strcmp(lang, "pl"));
	return o.overflow ? 0 : o.n;
}

size_t ivr__say_digits(const char *value, const char **names, size_t max)
{
	size_t n = 0;

	for (const char *p = value; *p && n < max; p++)
		if (isdigit((unsigned char)*p))
			names[n++] = small[*p - '0'];
	return n;
}

char *ivr_prompt_path(char *buf, size_t size, const char *prompt_dir, const char *lang,
		      const char *name)
{
	snprintf(buf, size, "%s/%s/%s.wav", prompt_dir ? prompt_dir : "prompts", lang, name);
	return buf;
}

bool ivr__luhn_ok(const char *digits)
{
	size_t len = strlen(digits);
	int sum = 0;

	if (len < 2)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = digits[len - 1 - i] - '0';
		if (d < 0 || d > 9)
			return false;
		if (i % 2 == 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

/* ---- text for TTS: dates, times, money ---- */

static int lang_index(const char *lang)
{
	if (!lang)
		return 3;
	if (!strcmp(lang, "pl"))
		return 0;
	if (!strcmp(lang, "es"))
		return 1;
	if (!strcmp(lang, "ru"))
		return 2;
	return 3; /* English for every other language */
}

static const char *const months[4][12] = {
    {"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
     "października", "listopada", "grudnia"},
    {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
     "octubre", "noviembre", "diciembre"},
    {"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
     "октября", "ноября", "декабря"},
    {"January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"},
};

/* Currency nouns [language][currency][one, few, many] for the main and minor unit. */
struct money_words {
	const char *code;
	const char *main[4][3];
	const char *minor[4][3];
};

static const struct money_words money[] = {
    {"PLN",
     {{"złoty", "złote", "złotych"},
      {"esloti", "eslotis", "eslotis"},
      {"злотый", "злотых", "злотых"},
      {"zloty", "zlotys", "zlotys"}},
     {{"grosz", "grosze", "groszy"},
      {"grosz", "groszy", "groszy"},
      {"грош", "гроша", "грошей"},
      {"grosz", "groszy", "groszy"}}},
    {"EUR",
     {{"euro", "euro", "euro"},
      {"euro", "euros", "euros"},
      {"евро", "евро", "евро"},
      {"euro", "euros", "euros"}},
     {{"cent", "centy", "centów"},
      {"céntimo", "céntimos", "céntimos"},
      {"цент", "цента", "центов"},
      {"cent", "cents", "cents"}}},
    {"USD",
     {{"dolar", "dolary", "dolarów"},
      {"dólar", "dólares", "dólares"},
      {"доллар", "доллара", "долларов"},
      {"dollar", "dollars", "dollars"}},
     {{"cent", "centy", "centów"},
      {"centavo", "centavos", "centavos"},
      {"цент", "цента", "центов"},
      {"cent", "cents", "cents"}}},
    {"RUB",
     {{"rubel", "ruble", "rubli"},
      {"rublo", "rublos", "rublos"},
      {"рубль", "рубля", "рублей"},
      {"ruble", "rubles", "rubles"}},
     {{"kopiejka", "kopiejki", "kopiejek"},
      {"kopek", "kopeks", "kopeks"},
      {"копейка", "копейки", "копеек"},
      {"kopeck", "kopecks", "kopecks"}}},
};

static enum plural plural_for(int li, long n)
{
	if (li == 0 || li == 2)
		return slavic_plural(n, li == 0);
	return n == 1 ? PL_ONE : PL_MANY;
}

static int say_money(int li, const char *value, const char *currency, char *buf, size_t size)
{
	const struct money_words *w = NULL;
	long units = 0, minor = 0;
	char *end;
	int neg = 0;

	for (size_t i = 0; i < sizeof(money) / sizeof(money[0]); i++)
		if (currency && !strcasecmp(currency, money[i].code))
			w = &money[i];
	if (!w)
		return EINVAL;
	while (*value == ' ')
		value++;
	if (*value == '-') {
		neg = 1;
		value++;
	}
	if (!isdigit((unsigned char)*value))
		return EINVAL;
	units = strtol(value, &end, 10);
	if (*end == '.' || *end == ',') {
		const char *f = end + 1;
		if (!isdigit((unsigned char)f[0]))
			return EINVAL;
		minor = (f[0] - '0') * 10;
		if (isdigit((unsigned char)f[1]))
			minor += f[1] - '0';
		end = (char *)f + 1 + (isdigit((unsigned char)f[1]) ? 1 : 0);
	}
	if (*end || units > 999999999)
		return EINVAL;
	{
		const char *mw = w->main[li][plural_for(li, units)];
		const char *nw = w->minor[li][plural_for(li, minor)];
		const char *minus = neg ? (li == 0   ? "minus "
					   : li == 1 ? "menos "
					   : li == 2 ? "минус "
						     : "minus ")
					: "";
		const char *joiner = li == 1 ? " con " : li == 3 ? " and " : " ";
		if (minor)
			snprintf(buf, size, "%s%ld %s%s%ld %s", minus, units, mw, joiner, minor,
				 nw);
		else
			snprintf(buf, size, "%s%ld %s", minus, units, mw);
	}
	return 0;
}

int ivr__say_text(const char *lang, enum ivr_say_kind kind, const char *value, const char *currency,
		  char *buf, size_t size)
{
	int li = lang_index(lang);
	int y, m, d, hh, mm, n = 0;

	switch (kind) {
	case IVR_SAY_DATE:
		if (sscanf(value, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || m < 1 ||
		    m > 12 || d < 1 || d > 31)
			return EINVAL;
		if (li == 0)
			snprintf(buf, size, "%d %s %d", d, months[0][m - 1], y);
		else if (li == 1)
			snprintf(buf, size, "%d de %s de %d", d, months[1][m - 1], y);
		else if (li == 2)
			snprintf(buf, size, "%d %s %d года", d, months[2][m - 1], y);
		else
			snprintf(buf, size, "%s %d, %d", months[3][m - 1], d, y);
		return 0;
	case IVR_SAY_TIME:
		if (sscanf(value, "%2d:%2d%n", &hh, &mm, &n) != 2 || hh > 23 || mm > 59)
			return EINVAL;
		if (li == 0)
			snprintf(buf, size, "godzina %d:%02d", hh, mm);
		else if (li == 1)
			snprintf(buf, size, "las %d:%02d", hh, mm);
		else if (li == 2)
			snprintf(buf, size, "%d:%02d", hh, mm);
		else
			snprintf(buf, size, "%d:%02d %s", hh % 12 ? hh % 12 : 12, mm,
				 hh < 12 ? "AM" : "PM");
		return 0;
	case IVR_SAY_MONEY:
		return say_money(li, value, currency, buf, size);
	default:
		return EINVAL;
	}
}
