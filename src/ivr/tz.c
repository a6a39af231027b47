/*
 * Timezones without the TZ environment variable. setenv("TZ") + localtime_r is not
 * thread-safe and changes the whole process, so calendars read the zone's TZif file
 * (RFC 8536) from the system tz database once, when they are loaded, and compute local
 * time with plain arithmetic: a binary search in the transition table, and the file's
 * POSIX TZ footer rule ("CET-1CEST,M3.5.0,M10.5.0/3") for times after the last
 * transition (Debian ships "slim" files whose tables stop early). Lookups do no I/O
 * and no allocation.
 */
#include "ivr/ivr_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms). */
int64_t ivr__days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void ivr__civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int ivr__weekday(int64_t days)
{
	/* 1970-01-01 was a Thursday (4). */
	int64_t w = (days + 3) % 7;

	if (w < 0)
		w += 7;
	return (int)w + 1;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : md[m - 1];
}

/* ---- POSIX TZ strings ---- */

static const char *parse_name(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');
		return e ? e + 1 : NULL;
	}
	if (!isalpha((unsigned char)*s))
		return NULL;
	while (isalpha((unsigned char)*s))
		s++;
	return s;
}

/* [+-]hh[:mm[:ss]] into seconds; returns the end or NULL. */
static const char *parse_hms(const char *s, int32_t *out)
{
	int sign = 1;
	long h = 0, m = 0, sec = 0;
	char *e;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return NULL;
	h = strtol(s, &e, 10);
	s = e;
	if (*s == ':') {
		m = strtol(s + 1, &e, 10);
		s = e;
		if (*s == ':') {
			sec = strtol(s + 1, &e, 10);
			s = e;
		}
	}
	if (h > 167 || m > 59 || sec > 59)
		return NULL;
	*out = (int32_t)(sign * (h * 3600 + m * 60 + sec));
	return s;
}

static const char *parse_rule_date(const char *s, struct ivr_tz_rule_date *d)
{
	char *e;

	d->time_s = 7200;
	if (*s == 'M') {
		d->kind = 'M';
		d->month = (int)strtol(s + 1, &e, 10);
		if (*e != '.')
			return NULL;
		d->week = (int)strtol(e + 1, &e, 10);
		if (*e != '.')
			return NULL;
		d->day = (int)strtol(e + 1, &e, 10);
		if (d->month < 1 || d->month > 12 || d->week < 1 || d->week > 5 || d->day < 0 ||
		    d->day > 6)
			return NULL;
		s = e;
	} else if (*s == 'J') {
		d->kind = 'J';
		d->day = (int)strtol(s + 1, &e, 10);
		if (e == s + 1 || d->day < 1 || d->day > 365)
			return NULL;
		s = e;
	} else if (isdigit((unsigned char)*s)) {
		d->kind = 'D';
		d->day = (int)strtol(s, &e, 10);
		if (d->day > 365)
			return NULL;
		s = e;
	} else {
		return NULL;
	}
	if (*s == '/')
		s = parse_hms(s + 1, &d->time_s);
	return s;
}

int ivr__tz_parse_rule(struct ivr_tz *tz, const char *s)
{
	int32_t off;

	tz->has_rule = false;
	s = parse_name(s);
	if (!s || !(s = parse_hms(s, &off)))
		return EINVAL;
	tz->std_off = -off; /* POSIX offsets are west of UTC */
	tz->dst_off = tz->std_off;
	tz->rule_dst = false;
	if (*s == '\0') {
		tz->has_rule = true;
		return 0;
	}
	s = parse_name(s);
	if (!s)
		return EINVAL;
	tz->rule_dst = true;
	tz->dst_off = tz->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = parse_hms(s, &off)))
			return EINVAL;
		tz->dst_off = -off;
	}
	if (*s != ',')
		return EINVAL; /* no rule: the DST dates are unknown */
	if (!(s = parse_rule_date(s + 1, &tz->start)) || *s != ',')
		return EINVAL;
	if (!(s = parse_rule_date(s + 1, &tz->end)) || *s != '\0')
		return EINVAL;
	tz->has_rule = true;
	return 0;
}

/* Days since the epoch of the rule's date in `year`. */
static int64_t rule_day(const struct ivr_tz_rule_date *d, int year)
{
	int64_t jan1 = ivr__days_from_civil(year, 1, 1);

	if (d->kind == 'J') {
		/* 1..365, February 29 never counted. */
		int64_t day = d->day - 1;
		if (is_leap(year) && d->day >= 60)
			day++;
		return jan1 + day;
	}
	if (d->kind == 'D')
		return jan1 + d->day;
	{
		int64_t first = ivr__days_from_civil(year, d->month, 1);
		int wd = ivr__weekday(first) % 7; /* 0 = Sunday */
		int day = 1 + (d->day - wd + 7) % 7 + (d->week - 1) * 7;
		while (day > month_days(year, d->month))
			day -= 7;
		return first + day - 1;
	}
}

static int32_t rule_offset(const struct ivr_tz *tz, int64_t t)
{
	int y, m, d;
	int64_t start, end;

	if (!tz->rule_dst)
		return tz->std_off;
	ivr__civil_from_days((t + tz->std_off) / 86400 - ((t + tz->std_off) % 86400 < 0), &y, &m,
			     &d);
	/* The start is given in standard time, the end in daylight time. */
	start = rule_day(&tz->start, y) * 86400 + tz->start.time_s - tz->std_off;
	end = rule_day(&tz->end, y) * 86400 + tz->end.time_s - tz->dst_off;
	if (start < end)
		return t >= start && t < end ? tz->dst_off : tz->std_off;
	/* Southern hemisphere: daylight time spans the new year. */
	return t >= end && t < start ? tz->std_off : tz->dst_off;
}

int32_t ivr__tz_offset(const struct ivr_tz *tz, int64_t t)
{
	size_t lo = 0, hi;

	if (!tz)
		return 0;
	if (tz->ntrans == 0 || t < tz->trans[0]) {
		if (tz->ntrans == 0 && tz->has_rule)
			return rule_offset(tz, t);
		return tz->ntypes ? tz->type_off[0] : 0;
	}
	if (t >= tz->trans[tz->ntrans - 1] && tz->has_rule)
		return rule_offset(tz, t);
	hi = tz->ntrans;
	/* Last transition <= t. */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (tz->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->type_off[tz->trans_type[lo]];
}

void ivr__local_time(const struct ivr_tz *tz, int64_t epoch_ms, struct ivr_local *out)
{
	int64_t s = epoch_ms >= 0 ? epoch_ms / 1000 : -((-epoch_ms + 999) / 1000);
	int64_t l = s + ivr__tz_offset(tz, s);
	int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
	int64_t sod = l - days * 86400;

	ivr__civil_from_days(days, &out->year, &out->month, &out->day);
	out->weekday = ivr__weekday(days);
	out->minute = (int)(sod / 60);
	out->second = (int)(sod % 60);
}

/* ---- TZif files ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static int read_counts(const unsigned char *p, size_t len, struct tzif_counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return EINVAL;
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
	if (c->type == 0 || c->type > 256 || c->time > 100000 || c->chars > 65536 ||
	    c->leap > 10000 || c->isut > 256 || c->isstd > 256)
		return EINVAL;
	return 0;
}

static size_t block_size(const struct tzif_counts *c, size_t tsize)
{
	return c->time * tsize + c->time + c->type * 6 + c->chars + c->leap * (tsize + 4) +
	       c->isstd + c->isut;
}

static int parse_tzif(struct ivr_tz *tz, const unsigned char *p, size_t len)
{
	struct tzif_counts c;
	size_t tsize = 4, off;
	const unsigned char *b;
	int rc = read_counts(p, len, &c);

	if (rc)
		return rc;
	if (p[4] >= '2') {
		/* Skip the 32-bit block and use the 64-bit one. */
		size_t skip = 44 + block_size(&c, 4);
		if (skip >= len || (rc = read_counts(p + skip, len - skip, &c)))
			return EINVAL;
		p += skip;
		len -= skip;
		tsize = 8;
	}
	if (44 + block_size(&c, tsize) > len)
		return EINVAL;
	b = p + 44;
	tz->trans = calloc(c.time ? c.time : 1, sizeof(*tz->trans));
	tz->trans_type = calloc(c.time ? c.time : 1, 1);
	tz->type_off = calloc(c.type, sizeof(*tz->type_off));
	if (!tz->trans || !tz->trans_type || !tz->type_off)
		return ENOMEM;
	for (uint32_t i = 0; i < c.time; i++)
		tz->trans[i] = tsize == 8 ? be64(b + i * 8) : (int32_t)be32(b + i * 4);
	off = c.time * tsize;
	for (uint32_t i = 0; i < c.time; i++) {
		tz->trans_type[i] = b[off + i];
		if (tz->trans_type[i] >= c.type)
			return EINVAL;
	}
	off += c.time;
	for (uint32_t i = 0; i < c.type; i++)
		tz->type_off[i] = (int32_t)be32(b + off + i * 6);
	tz->ntrans = c.time;
	tz->ntypes = c.type;
	off = 44 + block_size(&c, tsize);
	/* The footer: "\nPOSIX-TZ\n" (version 2 and later). */
	if (tsize == 8 && off < len && p[off] == '\n') {
		const unsigned char *s = p + off + 1;
		const unsigned char *e = memchr(s, '\n', len - off - 1);
		if (e && e > s && e - s < 128) {
			char rule[128];
			memcpy(rule, s, (size_t)(e - s));
			rule[e - s] = '\0';
			if (ivr__tz_parse_rule(tz, rule))
				tz->has_rule = false;
		}
	}
	return 0;
}

static bool safe_zone_name(const char *name)
{
	if (!*name || name[0] == '/' || strstr(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p))
			return false;
	return true;
}

int ivr__tz_load(const char *name, struct ivr_tz **out)
{
	const char *dir = getenv("TZDIR");
	struct ivr_tz *tz = NULL;
	unsigned char *buf = NULL;
	char path[512];
	size_t len = 0;
	FILE *f = NULL;
	int rc = 0;

	if (!name || !*name)
		name = "UTC";
	tz = calloc(1, sizeof(*tz));
	if (!tz || !(tz->name = strdup(name))) {
		rc = ENOMEM;
		goto out;
	}
	if (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC")) {
		/* Always available, even without a tz database. */
		tz->has_rule = true;
		goto out;
	}
	if (!safe_zone_name(name)) {
		rc = ENOENT;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	f = fopen(path, "rb");
	if (!f) {
		rc = ENOENT;
		goto out;
	}
	buf = malloc(1 << 20);
	if (!buf) {
		rc = ENOMEM;
		goto out;
	}
	len = fread(buf, 1, 1 << 20, f);
	rc = parse_tzif(tz, buf, len);
out:
	if (f)
		fclose(f);
	free(buf);
	if (rc) {
		ivr__tz_free(tz);
		return rc;
	}
	*out = tz;
	return 0;
}

void ivr__tz_free(struct ivr_tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->trans_type);
	free(tz->type_off);
	free(tz);
}
