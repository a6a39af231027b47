/*
 * Units typed by people on the command line and in scenario files: rates ("720/h",
 * "12/m", "0.2/s") and durations with decimals ("240s", "3.5m", "1h", "500ms").
 */
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int parse_number(const char *s, double *out, const char **rest)
{
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return EINVAL;
	*out = v;
	*rest = end;
	return 0;
}

int report_parse_rate(const char *s, double *per_s)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = {
	    {"", 3600},	     {"/h", 3600}, {"/hour", 3600}, {"/m", 60},	    {"/min", 60},
	    {"/minute", 60}, {"/s", 1},	   {"/sec", 1},	    {"/second", 1},
	};
	const char *rest;
	double v;

	if (parse_number(s, &v, &rest))
		return EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(rest, units[i].unit) == 0) {
			*per_s = v / units[i].seconds;
			return 0;
		}
	}
	return EINVAL;
}

int report_parse_seconds(const char *s, double *seconds)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = {
	    {"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600},
	};
	const char *rest;
	double v;

	if (parse_number(s, &v, &rest))
		return EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(rest, units[i].unit) == 0) {
			*seconds = v * units[i].seconds;
			return 0;
		}
	}
	return EINVAL;
}
