/*
 * Business-hours calendars: a timezone, weekly opening hours and holidays. Used by the
 * IVR's `hours` node and by the engine for queue hours. Loading parses the YAML and
 * reads the zone once (tz.c); asking whether a calendar is open is arithmetic on the
 * local wall-clock time, so a DST change day has the hours its wall clock shows.
 *
 * Ranges that pass midnight ("22:00-06:00") belong to the day they start on: the part
 * after midnight is kept apart ("spill") and applies to the next weekday unless that
 * day is a holiday without special hours.
 */
#include "ivr/ivr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/yaml.h"

#define CAL_MAX_RANGES 8

struct cal_range {
	uint16_t start, end; /* minutes of the day, end exclusive, end <= 1440 */
};

struct cal_day {
	struct cal_range r[CAL_MAX_RANGES];
	uint8_t n;
};

struct cal_holiday {
	int64_t from_day, to_day; /* days since the epoch; from_day < 0: yearly */
	int month, day;		  /* yearly holidays */
	bool has_hours;
	struct cal_day hours;
};

struct ivr_calendar {
	char *name;
	struct ivr_tz *tz;
	bool has_weekly;
	struct cal_day week[7];	 /* Monday first */
	struct cal_day spill[7]; /* after-midnight parts of the previous day's ranges */
	struct cal_holiday *hol;
	size_t nhol;
};

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const day_long[7] = {"monday", "tuesday",  "wednesday", "thursday",
					"friday", "saturday", "sunday"};

static int day_index(const char *s, size_t len)
{
	for (int i = 0; i < 7; i++) {
		if ((len == 3 && !strncmp(s, day_names[i], 3)) ||
		    (len == strlen(day_long[i]) && !strncmp(s, day_long[i], len)))
			return i;
	}
	return -1;
}

/* "mon-fri", "sat,sun", "daily" into a bit set of days. */
static int parse_days(const char *s, unsigned *out, char *bad, size_t badsize)
{
	unsigned set = 0;

	if (!strcmp(s, "daily") || !strcmp(s, "all") || !strcmp(s, "everyday")) {
		*out = 0x7f;
		return 0;
	}
	while (*s) {
		const char *e = s + strcspn(s, ",");
		const char *dash = memchr(s, '-', (size_t)(e - s));
		const char *a = s, *b;
		size_t alen, blen;
		int i, j;
		while (*a == ' ')
			a++;
		if (dash) {
			alen = (size_t)(dash - a);
			b = dash + 1;
		} else {
			alen = (size_t)(e - a);
			b = a;
		}
		while (alen && a[alen - 1] == ' ')
			alen--;
		while (*b == ' ')
			b++;
		blen = (size_t)(e - b);
		while (blen && b[blen - 1] == ' ')
			blen--;
		i = day_index(a, alen);
		j = day_index(b, blen);
		if (i < 0 || j < 0) {
			const char *w = i < 0 ? a : b;
			size_t wl = i < 0 ? alen : blen;
			snprintf(bad, badsize, "%.*s", (int)wl, w);
			return EINVAL;
		}
		for (int k = i;; k = (k + 1) % 7) {
			set |= 1u << k;
			if (k == j)
				break;
		}
		s = *e ? e + 1 : e;
	}
	if (!set)
		return EINVAL;
	*out = set;
	return 0;
}

static int parse_hhmm(const char *s, int *min, const char **end)
{
	int h = 0, m = 0, n = 0;

	while (*s == ' ')
		s++;
	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || n < 4)
		return EINVAL;
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return EINVAL;
	*min = h * 60 + m;
	*end = s + n;
	return 0;
}

static int day_add(struct cal_day *d, int start, int end)
{
	if (d->n == CAL_MAX_RANGES)
		return ENOSPC;
	d->r[d->n].start = (uint16_t)start;
	d->r[d->n].end = (uint16_t)end;
	d->n++;
	return 0;
}

/* "08:00-12:00, 13:00-17:00" into `today` and, for ranges past midnight, `next`. */
static int parse_ranges(const char *s, struct cal_day *today, struct cal_day *next)
{
	if (!strcmp(s, "closed"))
		return 0;
	if (!strcmp(s, "24h") || !strcmp(s, "open"))
		return day_add(today, 0, 1440);
	while (*s) {
		int a, b;
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		if (parse_hhmm(s, &a, &s) || *s++ != '-' || parse_hhmm(s, &b, &s))
			return EINVAL;
		while (*s == ' ')
			s++;
		if (*s && *s != ',')
			return EINVAL;
		if (a == 1440 || a == b)
			return EINVAL;
		if (b > a) {
			if (day_add(today, a, b))
				return EINVAL;
		} else {
			if (!next || day_add(today, a, 1440) || (b > 0 && day_add(next, 0, b)))
				return EINVAL;
		}
	}
	return 0;
}

static bool day_has(const struct cal_day *d, int minute)
{
	for (uint8_t i = 0; i < d->n; i++)
		if (minute >= d->r[i].start && minute < d->r[i].end)
			return true;
	return false;
}

static const char hours_hint[] = "expected hours such as \"08:00-18:00\", \"08:00-12:00, "
				 "13:00-17:00\", \"24h\" or \"closed\"";

static void load_weekly(struct cy *c, struct ivr_calendar *cal, struct fy_node *weekly,
			const char *path, int *errs)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!cy_is_map(c, weekly, path)) {
		(*errs)++;
		return;
	}
	cal->has_weekly = true;
	while ((p = cy_pairs(weekly, &it))) {
		struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		const char *ks = cy_text(k);
		char kp[512], bad[64];
		unsigned days = 0;
		struct cal_day today, next;

		cy_path(kp, sizeof(kp), path, ks ? ks : "?");
		if (!ks || parse_days(ks, &days, bad, sizeof(bad))) {
			cy_error(c, k, kp,
				 "unknown day \"%s\" (use mon..sun, ranges like mon-fri, "
				 "lists like sat,sun, or daily)",
				 ks ? bad : "?");
			(*errs)++;
			continue;
		}
		memset(&today, 0, sizeof(today));
		memset(&next, 0, sizeof(next));
		if (v && fy_node_is_sequence(v)) {
			void *it2 = NULL;
			struct fy_node *item;
			while ((item = cy_items(v, &it2))) {
				const char *s = cy_text(item);
				if (!s || parse_ranges(s, &today, &next)) {
					cy_error(c, item, kp, "%s, got \"%s\"", hours_hint,
						 s ? s : "(not a value)");
					(*errs)++;
				}
			}
		} else {
			const char *s = cy_text(v);
			if (!s || parse_ranges(s, &today, &next)) {
				cy_error(c, v, kp, "%s, got \"%s\"", hours_hint,
					 s ? s : "(not a value)");
				(*errs)++;
				continue;
			}
		}
		for (int d = 0; d < 7; d++) {
			if (!(days & (1u << d)))
				continue;
			cal->week[d] = today;
			for (uint8_t i = 0; i < next.n; i++)
				if (day_add(&cal->spill[(d + 1) % 7], next.r[i].start,
					    next.r[i].end)) {
					cy_error(c, v, kp, "too many ranges in one day");
					(*errs)++;
				}
		}
	}
}

/* "2026-12-25" (a date) or "12-25" (every year). */
static int parse_date(const char *s, struct cal_holiday *h, bool yearly_ok)
{
	int y, m, d, n = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && !s[n] && n == 10) {
		if (m < 1 || m > 12 || d < 1 || d > 31)
			return EINVAL;
		h->from_day = h->to_day = ivr__days_from_civil(y, m, d);
		return 0;
	}
	if (yearly_ok && sscanf(s, "%2d-%2d%n", &m, &d, &n) == 2 && !s[n] && n == 5) {
		if (m < 1 || m > 12 || d < 1 || d > 31)
			return EINVAL;
		h->from_day = h->to_day = -1;
		h->month = m;
		h->day = d;
		return 0;
	}
	return EINVAL;
}

static const char date_hint[] = "expected a date such as 2026-12-25 (or 12-25 for every year)";

static void load_holiday(struct cy *c, struct fy_node *item, const char *path,
			 struct cal_holiday *h, int *errs)
{
	static const char *const keys[] = {"date", "from", "to", "hours", "name", NULL};
	const char *s;

	memset(h, 0, sizeof(*h));
	if (fy_node_is_scalar(item)) {
		s = cy_text(item);
		if (parse_date(s, h, true)) {
			cy_error(c, item, path, "%s, got \"%s\"", date_hint, s);
			(*errs)++;
		}
		return;
	}
	if (!cy_is_map(c, item, path)) {
		(*errs)++;
		return;
	}
	cy_check_keys(c, item, path, keys);
	if (cy_get_str(c, item, path, "date", false, &s) == 0) {
		if (parse_date(s, h, true)) {
			cy_error(c, cy_get(item, "date"), path, "%s, got \"%s\"", date_hint, s);
			(*errs)++;
		}
	} else if (cy_get_str(c, item, path, "from", true, &s) == 0) {
		struct cal_holiday to;
		const char *t = NULL;
		if (parse_date(s, h, false)) {
			cy_error(c, cy_get(item, "from"), path, "%s, got \"%s\"", date_hint, s);
			(*errs)++;
		} else if (cy_get_str(c, item, path, "to", true, &t) != 0 ||
			   parse_date(t, &to, false) || to.from_day < h->from_day) {
			cy_error(c, cy_get(item, "to") ? cy_get(item, "to") : item, path,
				 "expected `to:` a date on or after `from:`");
			(*errs)++;
		} else {
			h->to_day = to.from_day;
		}
	} else {
		(*errs)++;
	}
	if (cy_get_str(c, item, path, "hours", false, &s) == 0) {
		h->has_hours = true;
		if (parse_ranges(s, &h->hours, NULL)) {
			cy_error(c, cy_get(item, "hours"), path,
				 "%s (a holiday's hours cannot pass midnight), got \"%s\"",
				 hours_hint, s);
			(*errs)++;
		}
	}
}

int ivr_calendar_load(struct cy *c, struct fy_node *n, const char *path, const char *name,
		      const char *default_tz, struct ivr_calendar **out)
{
	static const char *const keys[] = {"timezone", "weekly", "holidays", "name", NULL};
	struct ivr_calendar *cal = NULL;
	const char *tzname = default_tz;
	size_t errors0 = cy_error_count(c);
	struct fy_node *hol;
	char p[512];
	int errs = 0, rc = 0;

	if (!cy_is_map(c, n, path))
		return EINVAL;
	cy_check_keys(c, n, path, keys);
	cal = calloc(1, sizeof(*cal));
	if (!cal || (name && !(cal->name = strdup(name)))) {
		rc = ENOMEM;
		goto out;
	}
	if (cy_get_str(c, n, path, "timezone", false, &tzname) == EINVAL)
		errs++;
	rc = ivr__tz_load(tzname, &cal->tz);
	if (rc == ENOMEM)
		goto out;
	if (rc) {
		cy_error(c, cy_get(n, "timezone") ? cy_get(n, "timezone") : n,
			 cy_path(p, sizeof(p), path, "timezone"),
			 "unknown timezone \"%s\" (not in the tz database)", tzname ? tzname : "");
		errs++;
		rc = 0;
	}
	if (cy_get(n, "weekly"))
		load_weekly(c, cal, cy_get(n, "weekly"), cy_path(p, sizeof(p), path, "weekly"),
			    &errs);
	hol = cy_get(n, "holidays");
	if (hol) {
		cy_path(p, sizeof(p), path, "holidays");
		if (!cy_is_seq(c, hol, p)) {
			errs++;
		} else {
			size_t cnt = (size_t)fy_node_sequence_item_count(hol), i = 0;
			void *it = NULL;
			struct fy_node *item;
			cal->hol = calloc(cnt ? cnt : 1, sizeof(*cal->hol));
			if (!cal->hol) {
				rc = ENOMEM;
				goto out;
			}
			while ((item = cy_items(hol, &it))) {
				char ip[512];
				load_holiday(c, item, cy_path_idx(ip, sizeof(ip), p, i),
					     &cal->hol[i], &errs);
				i++;
			}
			cal->nhol = i;
		}
	}
	/* Every problem was recorded in `c`, including unknown keys. */
	if (errs || cy_error_count(c) > errors0)
		rc = EINVAL;
out:
	if (rc) {
		ivr_calendar_free(cal);
		return rc;
	}
	*out = cal;
	return 0;
}

int ivr_calendar_load_named(struct cy *c, const struct cfg_named_node *def, const char *default_tz,
			    struct ivr_calendar **out)
{
	return ivr_calendar_load(c, def->node, def->path, def->name, default_tz, out);
}

void ivr_calendar_free(struct ivr_calendar *cal)
{
	if (!cal)
		return;
	ivr__tz_free(cal->tz);
	free(cal->hol);
	free(cal->name);
	free(cal);
}

const char *ivr_calendar_name(const struct ivr_calendar *cal)
{
	return cal->name;
}

static const struct cal_holiday *holiday_on(const struct ivr_calendar *cal, int64_t day, int month,
					    int mday)
{
	for (size_t i = 0; i < cal->nhol; i++) {
		const struct cal_holiday *h = &cal->hol[i];
		if (h->from_day < 0 ? (h->month == month && h->day == mday)
				    : (day >= h->from_day && day <= h->to_day))
			return h;
	}
	return NULL;
}

size_t ivr_calendar_holidays(const struct ivr_calendar *cal, int64_t from_day, int64_t to_day,
			     int32_t *out, size_t max)
{
	size_t n = 0;

	for (int64_t day = from_day; cal && cal->nhol && day <= to_day && n < max; day++) {
		int y, m, d;
		ivr__civil_from_days(day, &y, &m, &d);
		if (holiday_on(cal, day, m, d))
			out[n++] = (int32_t)day;
	}
	return n;
}

enum ivr_hours_state ivr_calendar_state(const struct ivr_calendar *cal, int64_t epoch_ms)
{
	struct ivr_local lt;
	const struct cal_holiday *h;
	int64_t day;

	ivr__local_time(cal->tz, epoch_ms, &lt);
	day = ivr__days_from_civil(lt.year, lt.month, lt.day);
	h = holiday_on(cal, day, lt.month, lt.day);
	if (h)
		return h->has_hours && day_has(&h->hours, lt.minute) ? IVR_HOURS_OPEN
								     : IVR_HOURS_HOLIDAY;
	if (!cal->has_weekly)
		return IVR_HOURS_OPEN;
	if (day_has(&cal->week[lt.weekday - 1], lt.minute) ||
	    day_has(&cal->spill[lt.weekday - 1], lt.minute))
		return IVR_HOURS_OPEN;
	return IVR_HOURS_CLOSED;
}

bool ivr_calendar_is_open(const struct ivr_calendar *cal, int64_t epoch_ms)
{
	return ivr_calendar_state(cal, epoch_ms) == IVR_HOURS_OPEN;
}

int64_t ivr_calendar_next_change(const struct ivr_calendar *cal, int64_t epoch_ms,
				 int64_t horizon_ms)
{
	enum ivr_hours_state now = ivr_calendar_state(cal, epoch_ms);
	int64_t t = (epoch_ms / 60000 + 1) * 60000;

	/* Every range boundary falls on a whole minute of local time, and every zone's
	 * offset is a whole number of minutes, so stepping by minutes finds each change. */
	for (; t < epoch_ms + horizon_ms; t += 60000)
		if (ivr_calendar_state(cal, t) != now)
			return t;
	return 0;
}

int32_t ivr_calendar_utc_offset(const struct ivr_calendar *cal, int64_t epoch_ms)
{
	return ivr__tz_offset(cal->tz, epoch_ms / 1000);
}
