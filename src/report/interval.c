/*
 * Interval reports from realtime data: which interval a time falls in, the counters of
 * an interval as the difference of two snapshots of the ACD's running counters, and the
 * time an agent spends in each state (occupancy) accumulated from state events.
 */
#include "report/report.h"

#include <string.h>

uint64_t report_interval_start(uint64_t origin_ms, uint64_t len_ms, uint64_t t_ms)
{
	if (!len_ms || t_ms < origin_ms)
		return origin_ms;
	return origin_ms + (t_ms - origin_ms) / len_ms * len_ms;
}

void report_counters_diff(const struct acd_queue_counters *start,
			  const struct acd_queue_counters *end, struct acd_queue_counters *out)
{
	const uint64_t *a = (const uint64_t *)start, *b = (const uint64_t *)end;
	uint64_t *o = (uint64_t *)out;

	/* The struct is made of uint64_t counters only. */
	_Static_assert(sizeof(struct acd_queue_counters) % sizeof(uint64_t) == 0, "layout");
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = b[i] - a[i];
	out->max_wait_answered_ms = end->max_wait_answered_ms;
}

void report_agent_time_init(struct report_agent_time *t, enum acd_state st, uint64_t now_ms)
{
	memset(t, 0, sizeof(*t));
	t->state = st;
	t->since_ms = now_ms;
}

void report_agent_time_change(struct report_agent_time *t, enum acd_state to, uint64_t now_ms)
{
	if (now_ms > t->since_ms)
		t->ms[t->state] += now_ms - t->since_ms;
	t->state = to;
	t->since_ms = now_ms;
}

double report_occupancy(const struct report_agent_time *t)
{
	double busy =
	    (double)(t->ms[ACD_STATE_RESERVED] + t->ms[ACD_STATE_BUSY] + t->ms[ACD_STATE_WRAP_UP]);
	double all = busy + (double)t->ms[ACD_STATE_READY];

	return all > 0 ? busy / all : -1.0;
}
