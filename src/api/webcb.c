/*
 * The public route of web callbacks: POST /api/v1/public/callbacks, no token. A form on
 * the company's website, or the page centrala serves for it (/callback.html, for an
 * iframe), sends {tenant, queue, number, name?, language?, at?}; the engine checks it
 * (engine/webcb.c: the tenant's `web_callback:` rules, limits per address and number),
 * the request is stored, and the visitor gets 202 with the callback's id and time.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

bool api__rfc3339(const char *s, int64_t *out_ms)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, sec = 0, oh = 0, om = 0;
	int n = 0, sign = 0;
	int64_t ms = 0;
	const char *p;

	if (sscanf(s, "%4u-%2u-%2uT%2u:%2u%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
		return false;
	p = s + n;
	if (*p == ':') {
		if (p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
			return false;
		sec = (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
		p += 3;
		if (*p == '.') {
			int digits = 0;
			for (p++; *p >= '0' && *p <= '9'; p++, digits++)
				if (digits < 3)
					ms = ms * 10 + (*p - '0');
			if (!digits)
				return false;
			for (; digits < 3; digits++)
				ms *= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2u:%2u%n", &oh, &om, &n) != 2 || n != 5 || oh > 23 || om > 59)
			return false;
		p += 6;
	} else {
		return false; /* a time without its offset would be anybody's */
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    sec > 60 || y < 1970)
		return false;
	if (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
		return false;
	*out_ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (sec > 59 ? 59 : sec) -
		    sign * (int64_t)(oh * 3600 + om * 60)) *
		   1000) +
		  ms;
	return true;
}

void api__h_public_callback(struct api_conn *conn, struct api_session *unused, const char *target)
{
	static const char *const fields[] = {"tenant",	 "queue", "number", "name",
					     "language", "at",	  NULL};
	struct api_session s;
	json_t *b = api__body(conn);
	const char *tenant, *queue, *number, *name, *lang, *at;
	int64_t due = 0;

	if (!b)
		return;
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "tenant", true, &tenant) ||
	    !api__str(conn, b, "queue", true, &queue) ||
	    !api__str(conn, b, "number", true, &number) ||
	    !api__str(conn, b, "name", false, &name) ||
	    !api__str(conn, b, "language", false, &lang) || !api__str(conn, b, "at", false, &at)) {
		json_decref(b);
		return;
	}
	if (strlen(tenant) >= sizeof(s.tenant) || strlen(number) > 40 ||
	    (name && strlen(name) > 120) || (lang && strlen(lang) > 15)) {
		json_decref(b);
		api__respond_error(conn, 400, "invalid_field", "too long", NULL);
		return;
	}
	if (at && !api__rfc3339(at, &due)) {
		json_decref(b);
		api__respond_error(
		    conn, 400, "invalid_field",
		    "a date and time with its offset, e.g. 2026-12-04T15:30:00+01:00", "at");
		return;
	}
	memset(&s, 0, sizeof(s));
	snprintf(s.tenant, sizeof(s.tenant), "%s", tenant);
	snprintf(s.user, sizeof(s.user), "web");
	snprintf(conn->tenant, sizeof(conn->tenant), "%s", tenant);
	api__engine(conn, &s, API_OP_WEB_CALLBACK, NULL,
		    json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:s}", "queue", queue, "number", number,
			      "name", name, "language", lang, "due_ms", (json_int_t)due, "peer",
			      conn->peer));
	json_decref(b);
}
