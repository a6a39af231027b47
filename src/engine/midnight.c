/*
 * The tenant's local midnight, when the "today" queue counters are zeroed: found in the
 * tenant's timezone, DST-correct, with UTC for a tenant whose timezone cannot be read.
 */
#include "engine/engine_int.h"

#include "core/clock.h"

#define DAY_MS (24 * 3600 * 1000LL)

/* The first local midnight after `now` in the tenant's timezone (DST-correct: the
 * offset is taken at the candidate instant). */
int64_t eng__next_midnight(const struct ivr_calendar *tz, int64_t now)
{
	int64_t off = tz ? (int64_t)ivr_calendar_utc_offset(tz, now) * 1000 : 0;
	int64_t local_day = (now + off) / DAY_MS * DAY_MS + DAY_MS;
	int64_t at = local_day - off;

	if (tz)
		at = local_day - (int64_t)ivr_calendar_utc_offset(tz, at) * 1000;
	return at > now ? at : now + DAY_MS;
}

int64_t eng__tenant_next_midnight(const struct eng_tenant *t, int64_t now)
{
	return eng__next_midnight(t->tz, now);
}

/* A calendar with no hours, only to read the tenant's timezone offsets; the first
 * reset of the "today" counters is at its next local midnight. */
void eng__tz_open(struct eng_tenant *t)
{
	struct cy *cy = NULL;

	if (cy_load_string("timezone", "{}", &cy) || !cy_root(cy) ||
	    ivr_calendar_load(cy, cy_root(cy), "timezone", NULL, t->ct->timezone, &t->tz))
		t->tz = NULL;
	cy_free(cy);
	t->next_reset_ms = eng__tenant_next_midnight(t, clock_wall_ms());
}
