/* Monotonic and wall clocks, and ISO 8601 formatting for records and APIs. */
#include "core/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *clock_iso8601(int64_t epoch_ms, char *buf, size_t size)
{
	time_t sec = (time_t)(epoch_ms / 1000);
	int ms = (int)(epoch_ms % 1000);
	struct tm tm;

	if (ms < 0) {
		ms += 1000;
		sec -= 1;
	}
	gmtime_r(&sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return buf;
}

int clock_parse_iso8601(const char *s, int64_t *out)
{
	struct tm tm;
	int frac_ms = 0, off_min = 0, n = 0;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3)
		return EINVAL;
	p = s + n;
	if (*p == 'T' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &n) != 2)
			return EINVAL;
		p += 1 + n;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &tm.tm_sec, &n) != 1)
				return EINVAL;
			p += 1 + n;
		}
		if (*p == '.') {
			int digits = 0;
			for (p++; *p >= '0' && *p <= '9'; p++, digits++)
				if (digits < 3)
					frac_ms = frac_ms * 10 + (*p - '0');
			for (; digits < 3; digits++)
				frac_ms *= 10;
		}
		if (*p == 'Z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int hh, mm = 0, sign = *p == '-' ? -1 : 1;
			if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) == 2 ||
			    sscanf(p + 1, "%2d%2d%n", &hh, &mm, &n) == 2 ||
			    sscanf(p + 1, "%2d%n", &hh, &n) == 1)
				p += 1 + n;
			else
				return EINVAL;
			off_min = sign * (hh * 60 + mm);
		}
	}
	if (*p != '\0')
		return EINVAL;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = ((int64_t)timegm(&tm) - off_min * 60) * 1000 + frac_ms;
	return 0;
}
