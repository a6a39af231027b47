/*
 * Calling windows in the lead's local time, holidays, and the names and SIP mapping of
 * results and modes.
 */
#include "dialer/dialer_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000ll

static const char *const result_names[DIALER_R_COUNT] = {
    [DIALER_R_BUSY] = "busy",		[DIALER_R_NO_ANSWER] = "no_answer",
    [DIALER_R_REJECTED] = "rejected",	[DIALER_R_INVALID] = "invalid",
    [DIALER_R_NETWORK] = "network",	[DIALER_R_PERSON] = "person",
    [DIALER_R_MACHINE] = "machine",	[DIALER_R_FAX] = "fax",
    [DIALER_R_ABANDONED] = "abandoned",
};

static const char *const mode_names[DIALER_MODE_COUNT] = {
    [DIALER_PREVIEW] = "preview",
    [DIALER_PROGRESSIVE] = "progressive",
    [DIALER_PREDICTIVE] = "predictive",
    [DIALER_AGENTLESS] = "agentless",
};

const char *dialer_result_name(enum dialer_result r)
{
	return r < DIALER_R_COUNT ? result_names[r] : NULL;
}

int dialer_result_parse(const char *s, enum dialer_result *out)
{
	for (int i = 0; s && i < DIALER_R_COUNT; i++) {
		if (!strcmp(s, result_names[i])) {
			*out = (enum dialer_result)i;
			return 0;
		}
	}
	return EINVAL;
}

const char *dialer_mode_name(enum dialer_mode m)
{
	return m < DIALER_MODE_COUNT ? mode_names[m] : NULL;
}

int dialer_mode_parse(const char *s, enum dialer_mode *out)
{
	for (int i = 0; s && i < DIALER_MODE_COUNT; i++) {
		if (!strcmp(s, mode_names[i])) {
			*out = (enum dialer_mode)i;
			return 0;
		}
	}
	return EINVAL;
}

enum dialer_result dialer_result_from_sip(int status, bool timed_out)
{
	if (status >= 200 && status < 300)
		return DIALER_R_PERSON;
	switch (status) {
	case 486:
	case 600:
		return DIALER_R_BUSY;
	case 480:
	case 408:
		return DIALER_R_NO_ANSWER;
	case 603:
		return DIALER_R_REJECTED;
	case 404:
	case 484:
		return DIALER_R_INVALID;
	case 0:
		return timed_out ? DIALER_R_NO_ANSWER : DIALER_R_NETWORK;
	default:
		return DIALER_R_NETWORK;
	}
}

int dialer_parse_share(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return EINVAL;
	v = strtod(s, &end);
	if (end == s || !(v >= 0))
		return EINVAL;
	if (!strcmp(end, "%") || (!*end && v > 1))
		v /= 100;
	else if (*end)
		return EINVAL;
	if (v > 1)
		return EINVAL;
	*out = v;
	return 0;
}

enum dialer_result dialer_result_from_amd(enum dialer_amd v)
{
	return v == DIALER_AMD_MACHINE ? DIALER_R_MACHINE : DIALER_R_PERSON;
}

void dialer_rules_default(struct dialer_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->max_attempts = 3;
	r->retry_ms[DIALER_R_BUSY] = 10 * 60 * 1000;
	r->retry_ms[DIALER_R_NO_ANSWER] = 60 * 60 * 1000;
	r->retry_ms[DIALER_R_REJECTED] = 4 * 60 * 60 * 1000;
	r->retry_ms[DIALER_R_NETWORK] = 15 * 60 * 1000;
	r->retry_ms[DIALER_R_MACHINE] = 2 * 60 * 60 * 1000;
	r->retry_ms[DIALER_R_PERSON] = 60 * 60 * 1000;
	r->retry_ms[DIALER_R_ABANDONED] = 72ull * 60 * 60 * 1000;
	r->closes[DIALER_R_INVALID] = true;
	r->closes[DIALER_R_FAX] = true;
	r->window_from = 8 * 60;
	r->window_to = 21 * 60;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void dialer_local(int64_t epoch_ms, int32_t offset_s, int32_t *day, int32_t *minute)
{
	int64_t local = epoch_ms + (int64_t)offset_s * 1000;
	int64_t d = floor_div(local, DAY_MS);

	*day = (int32_t)d;
	*minute = (int32_t)((local - d * DAY_MS) / 60000);
}

int32_t dialer__offset(const struct dialer_rules *r, uint16_t tz, int64_t epoch_ms)
{
	return r->utc_offset ? r->utc_offset(r->arg, tz, epoch_ms) : 0;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static bool is_holiday(const struct dialer_rules *r, int32_t day)
{
	return r->nholidays &&
	       bsearch(&day, r->holidays, r->nholidays, sizeof(*r->holidays), cmp_i32);
}

bool dialer__in_window(const struct dialer_rules *r, int32_t day, int32_t minute)
{
	return minute >= r->window_from && minute < r->window_to && !is_holiday(r, day);
}

bool dialer_in_window(const struct dialer_rules *r, uint16_t tz, int64_t epoch_ms)
{
	struct dialer_rules rr = *r;
	int32_t day, minute;

	if (!rr.window_from && !rr.window_to) {
		rr.window_from = 8 * 60;
		rr.window_to = 21 * 60;
	}
	dialer_local(epoch_ms, dialer__offset(r, tz, epoch_ms), &day, &minute);
	/* The caller's holiday list may be unsorted: search it linearly. */
	for (size_t i = 0; i < r->nholidays; i++)
		if (r->holidays[i] == day)
			return false;
	return minute >= rr.window_from && minute < rr.window_to;
}

int64_t dialer__next_open(const struct dialer_rules *r, uint16_t tz, int64_t epoch_ms,
			  bool next_day)
{
	int32_t off = dialer__offset(r, tz, epoch_ms), day, minute;

	dialer_local(epoch_ms, off, &day, &minute);
	if (next_day || minute >= r->window_from)
		day++;
	for (int i = 0; i < 400; i++, day++) {
		int64_t local, t;
		if (is_holiday(r, day))
			continue;
		local = (int64_t)day * DAY_MS + (int64_t)r->window_from * 60000;
		/* The offset at the opening may differ from now's (a DST change between):
		   take the offset at the first guess, then at the corrected instant. */
		t = local - (int64_t)dialer__offset(r, tz, local - (int64_t)off * 1000) * 1000;
		t = local - (int64_t)dialer__offset(r, tz, t) * 1000;
		if (t <= epoch_ms)
			continue;
		return t;
	}
	return DIALER_NEVER;
}
