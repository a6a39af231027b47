/*
 * Phone numbers to E.164. Contacts are found by the caller's number, which arrives in
 * whatever form the carrier or a person typed: with "+" or "00", with the national
 * trunk prefix, with spaces and parentheses. Everything is reduced to "+<cc><nsn>" so
 * one index lookup finds the contact. The table knows the national conventions of the
 * countries our operators serve; other countries work in international form.
 */
#include "crm/crm.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DIGITS_MAX 20

struct country {
	char iso[3];
	const char *cc;	     /* country calling code */
	const char *trunk;   /* national trunk prefix, "" when none */
	bool trunk_optional; /* national numbers are also written without it */
	const char *intl[2]; /* international call prefixes */
	unsigned nsn_min;    /* national significant number length */
	unsigned nsn_max;
};

static const struct country countries[] = {
    {"PL", "48", "", false, {"00", NULL}, 9, 9},   {"ES", "34", "", false, {"00", NULL}, 9, 9},
    {"RU", "7", "8", true, {"810", "00"}, 10, 10}, {"KZ", "7", "8", true, {"810", "00"}, 10, 10},
    {"US", "1", "1", true, {"011", NULL}, 10, 10}, {"CA", "1", "1", true, {"011", NULL}, 10, 10},
    {"GB", "44", "0", false, {"00", NULL}, 9, 10}, {"DE", "49", "0", false, {"00", NULL}, 5, 13},
    {"FR", "33", "0", false, {"00", NULL}, 9, 9},  {"IT", "39", "", false, {"00", NULL}, 6, 11},
    {"NL", "31", "0", false, {"00", NULL}, 9, 9},  {"BE", "32", "0", false, {"00", NULL}, 8, 9},
    {"AT", "43", "0", false, {"00", NULL}, 4, 13}, {"CH", "41", "0", false, {"00", NULL}, 9, 9},
    {"CZ", "420", "", false, {"00", NULL}, 9, 9},  {"PT", "351", "", false, {"00", NULL}, 9, 9},
    {"IE", "353", "0", false, {"00", NULL}, 7, 9}, {"SE", "46", "0", false, {"00", NULL}, 7, 9},
    {"UA", "380", "0", false, {"00", NULL}, 9, 9}, {"MX", "52", "", false, {"00", NULL}, 10, 10},
};

static const struct country *country_find(const char *iso)
{
	size_t i;

	if (!iso)
		return NULL;
	for (i = 0; i < sizeof(countries) / sizeof(countries[0]); i++)
		if (!strcasecmp(countries[i].iso, iso))
			return &countries[i];
	return NULL;
}

int crm_country_calling_code(const char *country)
{
	const struct country *c = country_find(country);

	return c ? atoi(c->cc) : 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return prefix && *prefix && !strncmp(s, prefix, strlen(prefix));
}

/* Collects the digits of `raw`; *plus tells whether it began with "+". */
static int collect_digits(const char *raw, char digits[DIGITS_MAX + 1], bool *plus)
{
	const unsigned char *p = (const unsigned char *)raw;
	size_t n = 0;

	*plus = false;
	while (isspace(*p))
		p++;
	if (!strncasecmp((const char *)p, "tel:", 4))
		p += 4;
	for (; *p; p++) {
		if (isdigit(*p)) {
			if (n == DIGITS_MAX)
				return EINVAL;
			digits[n++] = (char)*p;
		} else if (*p == '+' && n == 0 && !*plus) {
			*plus = true;
		} else if (*plus && *p == '(' && p[1] == '0' && p[2] == ')') {
			p += 2; /* "+49 (0)30 ...": the trunk prefix shown for national callers */
		} else if (*p == 0xc2 && p[1] == 0xa0) {
			p++; /* a no-break space, as pasted from documents */
		} else if (!strchr(" \t-./()", *p)) {
			return EINVAL;
		}
	}
	digits[n] = '\0';
	return n ? 0 : EINVAL;
}

int crm_phone_e164(const char *raw, const char *country, char out[CRM_E164_SIZE])
{
	const struct country *c = country_find(country);
	char digits[DIGITS_MAX + 1], intl[DIGITS_MAX + 8];
	const char *d = digits;
	bool plus;
	size_t len, i;

	if (!raw || collect_digits(raw, digits, &plus))
		return EINVAL;
	intl[0] = '\0';
	if (plus) {
		snprintf(intl, sizeof(intl), "%s", d);
	} else if (c) {
		for (i = 0; i < 2 && !intl[0]; i++)
			if (starts_with(d, c->intl[i]))
				snprintf(intl, sizeof(intl), "%s", d + strlen(c->intl[i]));
		len = strlen(d);
		if (!intl[0] && starts_with(d, c->trunk) && len - strlen(c->trunk) >= c->nsn_min &&
		    len - strlen(c->trunk) <= c->nsn_max)
			snprintf(intl, sizeof(intl), "%s%s", c->cc, d + strlen(c->trunk));
		else if (!intl[0] && (!*c->trunk || c->trunk_optional) && len >= c->nsn_min &&
			 len <= c->nsn_max)
			snprintf(intl, sizeof(intl), "%s%s", c->cc, d);
		else if (!intl[0] && c->nsn_min == c->nsn_max && starts_with(d, c->cc) &&
			 len == strlen(c->cc) + c->nsn_max)
			snprintf(intl, sizeof(intl), "%s", d); /* international without "+" */
	} else if (starts_with(d, "00")) {
		snprintf(intl, sizeof(intl), "%s", d + 2);
	}
	len = strlen(intl);
	/* E.164: at most 15 digits, and no country code begins with 0. */
	if (len < 7 || len > 15 || intl[0] == '0')
		return EINVAL;
	out[0] = '+';
	memcpy(out + 1, intl, len + 1);
	return 0;
}
