/* Leads: priorities, callbacks, retry delays per result, attempts per lead and per day,
 * the calling window in each lead's local time (DST and holidays included), do-not-call
 * checked at dial time, and a randomised campaign over many seeds that checks every
 * dial against those rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dialer/dialer.h"

#define MIN  60000ll
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

/* 2026-03-02 00:00 UTC, a Monday. */
#define T0 1772409600000ll
/* Zone 4 moves from +1 h to +2 h at this instant (a DST change). */
#define DST_AT (T0 + 3 * DAY + 1 * HOUR)

static const int32_t offsets[] = {0, -5 * 3600, 9 * 3600, 5 * 3600 + 1800, 3600, -10 * 3600};

static int32_t offset(void *arg, uint16_t tz, int64_t ms)
{
	(void)arg;
	if (tz == 4)
		return ms >= DST_AT ? 7200 : 3600;
	return offsets[tz % 6];
}

static struct dialer_leads *leads(struct dialer_rules *r)
{
	struct dialer_leads *l = NULL;

	assert_int_equal(dialer_leads_new(r, &l), 0);
	return l;
}

static void add(struct dialer_leads *l, uint64_t id, const char *phone, int prio, uint16_t tz)
{
	struct dialer_lead in = {.id = id, .phone = phone, .priority = prio, .tz = tz};

	assert_int_equal(dialer_leads_add(l, &in), 0);
}

static uint64_t next_id(struct dialer_leads *l, int64_t now)
{
	struct dialer_pick p;

	if (dialer_leads_next(l, now, UINT32_MAX, &p))
		return 0;
	assert_int_equal(p.kind, DIALER_PICK_DIAL);
	return p.id;
}

static void test_priority_then_order_of_arrival(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	int64_t now = T0 + 10 * HOUR;

	(void)state;
	dialer_rules_default(&r);
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	add(l, 2, "+48221000002", 5, 0);
	add(l, 3, "+48221000003", 0, 0);
	add(l, 4, "+48221000004", 5, 0);
	assert_int_equal(dialer_leads_add(l, &(struct dialer_lead){.id = 4, .phone = "+1"}),
			 EEXIST);
	assert_int_equal(dialer_leads_add(l, &(struct dialer_lead){.id = 9, .phone = ""}), EINVAL);
	assert_int_equal(next_id(l, now), 2);
	assert_int_equal(next_id(l, now), 4);
	assert_int_equal(next_id(l, now), 1);
	assert_int_equal(next_id(l, now), 3);
	assert_int_equal(next_id(l, now), 0);
	assert_int_equal(dialer_leads_open(l), 4);
	dialer_leads_free(l);
}

static void test_retry_delay_per_result_and_max_attempts(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_lead_status st;
	int64_t now = T0 + 9 * HOUR;

	(void)state;
	dialer_rules_default(&r);
	r.max_attempts = 3;
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	assert_int_equal(next_id(l, now), 1);
	assert_int_equal(dialer_leads_result(l, 1, DIALER_R_BUSY, now, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_READY);
	assert_int_equal(st.next_ms, now + 10 * MIN);
	assert_int_equal(dialer_leads_wake(l), now + 10 * MIN);
	assert_int_equal(next_id(l, now + 10 * MIN - 1), 0);
	assert_int_equal(next_id(l, now + 10 * MIN), 1);
	assert_int_equal(dialer_leads_result(l, 1, DIALER_R_NO_ANSWER, now + 11 * MIN, &st), 0);
	assert_int_equal(st.next_ms, now + 71 * MIN);
	assert_int_equal(next_id(l, now + 70 * MIN), 0);
	assert_int_equal(next_id(l, now + 71 * MIN), 1);
	assert_int_equal(dialer_leads_result(l, 1, DIALER_R_BUSY, now + 72 * MIN, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_DONE);
	assert_int_equal(st.attempts, 3);
	assert_int_equal(dialer_leads_open(l), 0);
	assert_int_equal(dialer_leads_result(l, 1, DIALER_R_BUSY, now, NULL), EINVAL);
	assert_int_equal(dialer_leads_result(l, 7, DIALER_R_BUSY, now, NULL), ENOENT);
	/* An invalid number closes at once. */
	add(l, 2, "+48221000002", 0, 0);
	assert_int_equal(next_id(l, now), 2);
	assert_int_equal(dialer_leads_result(l, 2, DIALER_R_INVALID, now, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_DONE);
	dialer_leads_free(l);
}

static void test_window_in_the_leads_local_time(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;

	(void)state;
	dialer_rules_default(&r);
	r.utc_offset = offset;
	l = leads(&r);
	/* 06:00 UTC: 06:00 in London (tz 0), 15:00 in Tokyo (tz 2), 01:00 in New York. */
	add(l, 1, "+442000000001", 0, 0);
	add(l, 2, "+810300000001", 0, 2);
	add(l, 3, "+12120000001", 0, 1);
	assert_int_equal(next_id(l, T0 + 6 * HOUR), 2);
	assert_int_equal(next_id(l, T0 + 6 * HOUR), 0);
	/* London opens at 08:00 UTC, New York at 13:00 UTC. */
	assert_int_equal(dialer_leads_wake(l), T0 + 8 * HOUR);
	assert_int_equal(next_id(l, T0 + 8 * HOUR), 1);
	assert_int_equal(dialer_leads_wake(l), T0 + 13 * HOUR);
	assert_int_equal(next_id(l, T0 + 13 * HOUR - 1), 0);
	assert_int_equal(next_id(l, T0 + 13 * HOUR), 3);
	/* At 21:00 local the window is shut: Tokyo's lead tried again at 12:00 UTC
	   (21:00 there) waits for 08:00 tomorrow, 23:00 UTC. */
	dialer_leads_result(l, 2, DIALER_R_BUSY, T0 + 6 * HOUR, NULL);
	assert_int_equal(next_id(l, T0 + 12 * HOUR), 0);
	assert_int_equal(next_id(l, T0 + 23 * HOUR - 1), 0);
	assert_int_equal(next_id(l, T0 + 23 * HOUR), 2);
	dialer_leads_free(l);
}

static void test_dst_change_and_holidays_move_the_opening(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	int32_t hol = (int32_t)(T0 / DAY) + 4; /* Friday in the zone's local dates */

	(void)state;
	dialer_rules_default(&r);
	r.utc_offset = offset;
	r.holidays = &hol;
	r.nholidays = 1;
	l = leads(&r);
	/* Thursday 21:30 UTC = 23:30 local after the change (+2 h): Friday is a
	   holiday, so the next opening is Saturday 08:00 local = 06:00 UTC. */
	add(l, 1, "+48221000001", 0, 4);
	assert_int_equal(next_id(l, T0 + 3 * DAY + 21 * HOUR + 30 * MIN), 0);
	assert_int_equal(dialer_leads_wake(l), T0 + 5 * DAY + 6 * HOUR);
	assert_false(dialer_in_window(&r, 4, T0 + 4 * DAY + 10 * HOUR));
	assert_true(dialer_in_window(&r, 4, T0 + 5 * DAY + 6 * HOUR));
	/* Before the change the offset was +1 h: Tuesday 07:00 UTC is 08:00 local. */
	assert_true(dialer_in_window(&r, 4, T0 + 1 * DAY + 7 * HOUR));
	assert_false(dialer_in_window(&r, 4, T0 + 1 * DAY + 7 * HOUR - 1));
	dialer_leads_free(l);
}

static void test_dnc_is_checked_when_dialing(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_pick p;
	struct dialer_lead_status st;
	int64_t now = T0 + 10 * HOUR;

	(void)state;
	dialer_rules_default(&r);
	l = leads(&r);
	add(l, 1, "+48221000001", 1, 0);
	add(l, 2, "+48221000002", 0, 0);
	/* The number goes on the list after the lead was loaded. */
	assert_int_equal(dialer_dnc_add(l, "+48221000001"), 0);
	assert_true(dialer_dnc_has(l, "+48221000001"));
	assert_int_equal(dialer_leads_next(l, now, UINT32_MAX, &p), 0);
	assert_int_equal(p.kind, DIALER_PICK_DNC);
	assert_int_equal(p.id, 1);
	assert_int_equal(dialer_leads_status(l, 1, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_DONE);
	assert_int_equal(st.attempts, 0);
	assert_int_equal(next_id(l, now), 2);
	assert_int_equal(dialer_dnc_remove(l, "+48221000001"), 0);
	assert_false(dialer_dnc_has(l, "+48221000001"));
	assert_int_equal(dialer_dnc_remove(l, "+48221000001"), ENOENT);
	dialer_leads_free(l);
}

static void test_callbacks_come_first_and_go_to_their_agent(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_pick p;
	struct dialer_lead_status st;
	int64_t now = T0 + 10 * HOUR;

	(void)state;
	dialer_rules_default(&r);
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	add(l, 2, "+48221000002", 9, 0);
	add(l, 3, "+48221000003", 0, 0);
	assert_int_equal(next_id(l, now), 2);
	assert_int_equal(dialer_leads_result(l, 2, DIALER_R_PERSON, now + MIN, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_WAITING);
	/* The agent (7) agrees to call back in an hour. */
	assert_int_equal(dialer_leads_dispose(l, 2, DIALER_DISPOSE_CALLBACK, now + HOUR, 7, &st),
			 0);
	assert_int_equal(next_id(l, now + 2 * MIN), 1);
	assert_int_equal(dialer_leads_unpick(l, 1, now + 2 * MIN), 0);
	/* Due: other agents do not get it, agent 7 gets it before anything else. */
	assert_int_equal(next_id(l, now + HOUR), 1);
	assert_int_equal(dialer_leads_unpick(l, 1, now + HOUR), 0);
	assert_int_equal(dialer_leads_next(l, now + HOUR, 3, &p), 0);
	assert_int_equal(p.id, 1);
	assert_int_equal(dialer_leads_unpick(l, 1, now + HOUR), 0);
	assert_int_equal(dialer_leads_next(l, now + HOUR, 7, &p), 0);
	assert_int_equal(p.id, 2);
	assert_true(p.callback);
	assert_int_equal(p.agent, 7);
	assert_int_equal(p.attempt, 2);
	/* A campaign callback (any agent) beats priority. */
	assert_int_equal(dialer_leads_result(l, 2, DIALER_R_PERSON, now + HOUR, NULL), 0);
	assert_int_equal(
	    dialer_leads_dispose(l, 2, DIALER_DISPOSE_CALLBACK, now + 2 * HOUR, UINT32_MAX, NULL),
	    0);
	assert_int_equal(next_id(l, now + 2 * HOUR), 2);
	assert_int_equal(dialer_leads_dispose(l, 2, DIALER_DISPOSE_CLOSE, 0, 0, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_DONE);
	assert_int_equal(dialer_leads_remove(l, 2), 0);
	assert_int_equal(dialer_leads_remove(l, 2), ENOENT);
	assert_int_equal(next_id(l, now + 2 * HOUR), 1);
	assert_int_equal(dialer_leads_remove(l, 1), EBUSY);
	dialer_leads_free(l);
}

static void test_attempts_per_day(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;

	(void)state;
	dialer_rules_default(&r);
	r.max_attempts = 5;
	r.max_per_day = 2;
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	assert_int_equal(next_id(l, T0 + 9 * HOUR), 1);
	dialer_leads_result(l, 1, DIALER_R_BUSY, T0 + 9 * HOUR, NULL);
	assert_int_equal(next_id(l, T0 + 10 * HOUR), 1);
	dialer_leads_result(l, 1, DIALER_R_BUSY, T0 + 10 * HOUR, NULL);
	assert_int_equal(next_id(l, T0 + 11 * HOUR), 0);
	assert_int_equal(dialer_leads_wake(l), T0 + DAY + 8 * HOUR);
	assert_int_equal(next_id(l, T0 + DAY + 8 * HOUR), 1);
	dialer_leads_free(l);
}

static void test_zone_of_a_numbers_country(void **state)
{
	(void)state;
	assert_string_equal(dialer_zone_of_number("+48601234567"), "Europe/Warsaw");
	assert_string_equal(dialer_zone_of_number("+442079460018"), "Europe/London");
	assert_string_equal(dialer_zone_of_number("+34612345678"), "Europe/Madrid");
	assert_string_equal(dialer_zone_of_number("+34928123456"), "Atlantic/Canary");
	assert_string_equal(dialer_zone_of_number("+351213456789"), "Europe/Lisbon");
	assert_string_equal(dialer_zone_of_number("+351296123456"), "Atlantic/Azores");
	assert_string_equal(dialer_zone_of_number("+380441234567"), "Europe/Kyiv");
	/* Several zones, unknown, or not E.164: the caller decides. */
	assert_null(dialer_zone_of_number("+12025550143"));
	assert_null(dialer_zone_of_number("+74951234567"));
	assert_null(dialer_zone_of_number("+61212345678"));
	assert_null(dialer_zone_of_number("+999123"));
	assert_null(dialer_zone_of_number("48601234567"));
	assert_null(dialer_zone_of_number(NULL));
}

/* ---- randomised campaigns ---- */

struct seen {
	int64_t last_end;
	int64_t not_before;
	uint32_t attempts;
	int32_t day, day_attempts;
	uint16_t tz;
	uint32_t callbacks;
	bool dnc, done;
};

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) % n);
}

static void test_new_rules_apply_to_the_leads_held(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_lead_status st;
	int32_t today = (int32_t)(T0 / DAY);

	(void)state;
	dialer_rules_default(&r);
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	add(l, 2, "+48221000002", 0, 0);
	/* 07:00: before the window; both sleep until 08:00. */
	assert_int_equal(next_id(l, T0 + 7 * HOUR), 0);
	assert_int_equal(dialer_leads_wake(l), T0 + 8 * HOUR);
	/* The window now opens at 06:00: they are due at once, not at 08:00. */
	r.window_from = 6 * 60;
	assert_int_equal(dialer_leads_set_rules(l, &r), 0);
	assert_int_equal(next_id(l, T0 + 7 * HOUR), 1);
	/* A retry delay set before the change keeps its time. */
	assert_int_equal(dialer_leads_result(l, 1, DIALER_R_BUSY, T0 + 7 * HOUR, &st), 0);
	r.retry_ms[DIALER_R_BUSY] = 1 * MIN;
	/* Today becomes a holiday: lead 2 is not called today, lead 1 neither. */
	r.holidays = &today;
	r.nholidays = 1;
	assert_int_equal(dialer_leads_set_rules(l, &r), 0);
	assert_int_equal(next_id(l, T0 + 7 * HOUR + 1), 0);
	assert_int_equal(dialer_leads_wake(l), T0 + 7 * HOUR + 10 * MIN);
	assert_int_equal(next_id(l, T0 + 7 * HOUR + 10 * MIN), 0);
	assert_int_equal(dialer_leads_wake(l), T0 + DAY + 6 * HOUR);
	/* No longer a holiday: due again. */
	r.holidays = NULL;
	r.nholidays = 0;
	assert_int_equal(dialer_leads_set_rules(l, &r), 0);
	assert_int_equal(next_id(l, T0 + 8 * HOUR), 2);
	assert_int_equal(next_id(l, T0 + 8 * HOUR), 1);
	/* A bad window changes nothing. */
	r.window_from = 22 * 60;
	r.window_to = 21 * 60;
	assert_int_equal(dialer_leads_set_rules(l, &r), EINVAL);
	assert_int_equal(dialer_leads_open(l), 2);
	dialer_leads_free(l);
}

static void test_disposition_after_the_call_replaces_its_retry(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_lead_status st;
	int64_t now = T0 + 10 * HOUR;

	(void)state;
	dialer_rules_default(&r);
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	add(l, 2, "+48221000002", 0, 0);
	add(l, 3, "+48221000003", 0, 0);
	/* Each call reached a person and ended without a disposition: retried in an hour. */
	for (uint64_t id = 1; id <= 3; id++) {
		assert_int_equal(next_id(l, now), id);
		assert_int_equal(dialer_leads_result(l, id, DIALER_R_PERSON, now, &st), 0);
		assert_int_equal(st.state, DIALER_LEAD_WAITING);
		assert_int_equal(
		    dialer_leads_dispose(l, id, DIALER_DISPOSE_RETRY, now + HOUR, UINT32_MAX, &st),
		    0);
		assert_int_equal(st.state, DIALER_LEAD_READY);
	}
	/* In wrap-up the agent closes lead 1, asks a callback in 10 min for lead 2 and a
	 * retry tomorrow for lead 3. */
	assert_int_equal(dialer_leads_dispose(l, 1, DIALER_DISPOSE_CLOSE, 0, UINT32_MAX, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_DONE);
	assert_int_equal(
	    dialer_leads_dispose(l, 2, DIALER_DISPOSE_CALLBACK, now + 10 * MIN, UINT32_MAX, &st),
	    0);
	assert_int_equal(st.next_ms, now + 10 * MIN);
	assert_int_equal(
	    dialer_leads_dispose(l, 3, DIALER_DISPOSE_RETRY, now + DAY, UINT32_MAX, &st), 0);
	assert_int_equal(dialer_leads_open(l), 2);
	assert_int_equal(next_id(l, now + 10 * MIN - 1), 0);
	assert_int_equal(next_id(l, now + 10 * MIN), 2);
	assert_int_equal(next_id(l, now + HOUR), 0);
	assert_int_equal(next_id(l, now + DAY), 3);
	/* A second disposition corrects the first: lead 1, closed, is retried after all. */
	assert_int_equal(
	    dialer_leads_dispose(l, 1, DIALER_DISPOSE_RETRY, now + DAY, UINT32_MAX, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_READY);
	assert_int_equal(dialer_leads_dispose(l, 1, DIALER_DISPOSE_CLOSE, 0, UINT32_MAX, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_DONE);
	/* A lead picked again is the new attempt's: an old disposition does not touch it. */
	assert_int_equal(dialer_leads_result(l, 3, DIALER_R_BUSY, now + DAY, &st), 0);
	assert_int_equal(dialer_leads_dispose(l, 3, DIALER_DISPOSE_CLOSE, 0, UINT32_MAX, &st),
			 EINVAL);
	dialer_leads_free(l);
}

static void test_callbacks_scheduled_for_a_lead(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_lead_status st;
	struct dialer_pick p;
	int64_t now = T0 + 10 * HOUR;

	(void)state;
	dialer_rules_default(&r);
	r.max_attempts = 1;
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	add(l, 2, "+48221000002", 0, 0);
	add(l, 3, "+48221000003", 0, 0);
	/* Lead 1 used its only attempt on a busy line: closed, and opened again by an
	 * agreed callback. */
	assert_int_equal(next_id(l, now), 1);
	assert_int_equal(dialer_leads_result(l, 1, DIALER_R_BUSY, now, &st), 0);
	assert_int_equal(dialer_leads_open(l), 2);
	assert_int_equal(dialer_leads_callback(l, 1, now + 2 * HOUR, UINT32_MAX, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_READY);
	assert_int_equal(dialer_leads_open(l), 3);
	/* Lead 2 is dialing: not now. */
	assert_int_equal(next_id(l, now), 2);
	assert_int_equal(dialer_leads_callback(l, 2, now + HOUR, 7, &st), EBUSY);
	assert_int_equal(dialer_leads_callback(l, 9, now + HOUR, 7, &st), ENOENT);
	/* Lead 3, never called, is called back by agent 7 at 11:00: nobody else gets it. */
	assert_int_equal(dialer_leads_callback(l, 3, now + HOUR, 7, &st), 0);
	assert_true(st.callback);
	assert_int_equal(st.agent, 7);
	assert_int_equal(st.next_ms, now + HOUR);
	assert_int_equal(next_id(l, now), 0);
	assert_int_equal(next_id(l, now + HOUR), 0);
	assert_int_equal(dialer_leads_next(l, now + HOUR, 7, &p), 0);
	assert_int_equal(p.id, 3);
	assert_true(p.callback);
	/* A callback is made even after the attempts: the person asked for it. */
	assert_int_equal(dialer_leads_result(l, 3, DIALER_R_NO_ANSWER, now + HOUR, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_DONE);
	/* The closed lead 1's callback comes at its time. */
	assert_int_equal(next_id(l, now + 2 * HOUR), 1);
	dialer_leads_free(l);
}

static bool agent_7_present;

static bool present(void *arg, uint32_t agent)
{
	(void)arg;
	return agent == 7 && agent_7_present;
}

static void test_agent_callbacks_go_to_the_campaign_after_the_grace(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_lead_status st;
	struct dialer_pick p;
	uint64_t ids[4];
	int64_t now = T0 + 10 * HOUR;

	(void)state;
	dialer_rules_default(&r);
	l = leads(&r);
	add(l, 1, "+48221000001", 0, 0);
	add(l, 2, "+48221000002", 0, 0);
	assert_int_equal(dialer_leads_callback(l, 1, now + HOUR, 7, &st), 0);
	assert_int_equal(dialer_leads_callback(l, 2, now + HOUR, 8, &st), 0);
	/* Not due yet: nothing moves, whoever is away. */
	agent_7_present = false;
	assert_int_equal(dialer_leads_release(l, now, 15 * MIN, present, NULL, ids, 4), 0);
	/* Due, within the grace: they wait for their agents. */
	assert_int_equal(
	    dialer_leads_release(l, now + HOUR + 14 * MIN, 15 * MIN, present, NULL, ids, 4), 0);
	assert_int_equal(next_id(l, now + HOUR + 14 * MIN), 0);
	/* Past the grace: agent 7 logged in keeps its callback; agent 8's goes to anyone. */
	agent_7_present = true;
	assert_int_equal(
	    dialer_leads_release(l, now + HOUR + 15 * MIN, 15 * MIN, present, NULL, ids, 4), 1);
	assert_int_equal(ids[0], 2);
	assert_int_equal(dialer_leads_next(l, now + HOUR + 15 * MIN, UINT32_MAX, &p), 0);
	assert_int_equal(p.id, 2);
	assert_true(p.callback);
	assert_int_equal(p.agent, UINT32_MAX);
	assert_int_equal(next_id(l, now + HOUR + 15 * MIN), 0);
	/* Agent 7 logs out: its callback goes too. */
	agent_7_present = false;
	assert_int_equal(dialer_leads_release(l, now + 2 * HOUR, 15 * MIN, present, NULL, ids, 4),
			 1);
	assert_int_equal(ids[0], 1);
	assert_int_equal(next_id(l, now + 2 * HOUR), 1);
	dialer_leads_free(l);
}

static void test_a_closed_lead_read_back_takes_a_late_disposition(void **state)
{
	struct dialer_rules r;
	struct dialer_leads *l;
	struct dialer_lead_status st;

	(void)state;
	dialer_rules_default(&r);
	l = leads(&r);
	/* Read back from the store: closed, its last attempt a person's. */
	assert_int_equal(dialer_leads_add(l, &(struct dialer_lead){.id = 1,
								   .phone = "+48221000001",
								   .attempts = 3,
								   .done = true,
								   .person = true}),
			 0);
	/* Closed without a person: a disposition does not open it. */
	assert_int_equal(
	    dialer_leads_add(l,
			     &(struct dialer_lead){.id = 2, .phone = "+48221000002", .done = true}),
	    0);
	assert_int_equal(dialer_leads_open(l), 0);
	assert_int_equal(
	    dialer_leads_dispose(l, 2, DIALER_DISPOSE_CALLBACK, T0 + HOUR, UINT32_MAX, &st),
	    EINVAL);
	assert_int_equal(
	    dialer_leads_dispose(l, 1, DIALER_DISPOSE_CALLBACK, T0 + 11 * HOUR, 7, &st), 0);
	assert_int_equal(st.state, DIALER_LEAD_READY);
	assert_true(st.callback);
	assert_int_equal(st.agent, 7);
	assert_int_equal(dialer_leads_open(l), 1);
	assert_int_equal(next_id(l, T0 + 11 * HOUR), 0); /* agent 7's */
	dialer_leads_free(l);
}

static void test_random_campaigns_keep_every_rule(void **state)
{
	enum { N = 300 };
	static char phones[N][16];
	static struct seen s[N];
	uint64_t dials = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct dialer_rules r;
		struct dialer_leads *l;
		int32_t hol = (int32_t)(T0 / DAY) + 2;
		int64_t now = T0;

		rng = seed;
		dialer_rules_default(&r);
		r.utc_offset = offset;
		r.holidays = &hol;
		r.nholidays = 1;
		r.max_attempts = 4;
		r.max_per_day = 2;
		r.window_from = (uint16_t)(8 * 60 + rnd(60));
		r.window_to = (uint16_t)(r.window_from + 6 * 60 + rnd(6 * 60));
		l = leads(&r);
		memset(s, 0, sizeof(s));
		for (uint32_t i = 0; i < N; i++) {
			struct dialer_lead in = {.id = i + 1,
						 .phone = phones[i],
						 .priority = (int32_t)rnd(3),
						 .tz = (uint16_t)rnd(6)};
			snprintf(phones[i], sizeof(phones[i]), "+4822%07u", i);
			s[i].tz = in.tz;
			assert_int_equal(dialer_leads_add(l, &in), 0);
			if (rnd(10) == 0) {
				s[i].dnc = true;
				assert_int_equal(dialer_dnc_add(l, phones[i]), 0);
			}
		}
		while (now < T0 + 8 * DAY) {
			struct dialer_pick p;
			now += (int64_t)(1 + rnd(20)) * MIN;
			/* Numbers go on the DNC list during the campaign too. */
			if (rnd(20) == 0) {
				uint32_t i = rnd(N);
				s[i].dnc = true;
				dialer_dnc_add(l, phones[i]);
			}
			for (uint32_t k = 0; k < 10; k++) {
				struct seen *x;
				struct dialer_lead_status st;
				int32_t day, minute, off;
				if (dialer_leads_next(l, now, UINT32_MAX, &p))
					break;
				x = &s[p.id - 1];
				assert_false(x->done);
				if (p.kind == DIALER_PICK_DNC) {
					assert_true(x->dnc);
					x->done = true;
					continue;
				}
				dials++;
				assert_false(x->dnc);
				assert_true(now >= x->not_before);
				x->attempts++;
				assert_int_equal(p.attempt, x->attempts);
				/* An agreed callback is made even after the last attempt. */
				assert_true(x->attempts <= r.max_attempts + x->callbacks);
				/* The window in the lead's own zone, never on a holiday. */
				off = offset(NULL, x->tz, now);
				dialer_local(now, off, &day, &minute);
				assert_true(minute >= r.window_from && minute < r.window_to);
				assert_int_not_equal(day, hol);
				if (x->day != day) {
					x->day = day;
					x->day_attempts = 0;
				}
				assert_true(++x->day_attempts <= (int32_t)r.max_per_day);
				assert_int_equal(dialer_leads_status(l, p.id, &st), 0);
				assert_int_equal(st.state, DIALER_LEAD_DIALING);
				/* A random result after a ring of up to 30 s. */
				int64_t end = now + (int64_t)rnd(30000);
				enum dialer_result res = (enum dialer_result)rnd(DIALER_R_COUNT);
				assert_int_equal(dialer_leads_result(l, p.id, res, end, &st), 0);
				x->last_end = end;
				if (st.state == DIALER_LEAD_DONE) {
					x->done = true;
				} else if (st.state == DIALER_LEAD_WAITING) {
					uint32_t how = rnd(3);
					int64_t at = end + (int64_t)rnd(600) * MIN;
					assert_int_equal(
					    dialer_leads_dispose(l, p.id, (enum dialer_dispose)how,
								 at, UINT32_MAX, &st),
					    0);
					x->done = st.state == DIALER_LEAD_DONE;
					x->callbacks += how == DIALER_DISPOSE_CALLBACK;
					x->not_before = at;
				} else {
					x->not_before = end + (int64_t)r.retry_ms[res];
				}
			}
		}
		dialer_leads_free(l);
	}
	assert_true(dials > 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_priority_then_order_of_arrival),
	    cmocka_unit_test(test_retry_delay_per_result_and_max_attempts),
	    cmocka_unit_test(test_window_in_the_leads_local_time),
	    cmocka_unit_test(test_dst_change_and_holidays_move_the_opening),
	    cmocka_unit_test(test_dnc_is_checked_when_dialing),
	    cmocka_unit_test(test_callbacks_come_first_and_go_to_their_agent),
	    cmocka_unit_test(test_attempts_per_day),
	    cmocka_unit_test(test_zone_of_a_numbers_country),
	    cmocka_unit_test(test_new_rules_apply_to_the_leads_held),
	    cmocka_unit_test(test_disposition_after_the_call_replaces_its_retry),
	    cmocka_unit_test(test_callbacks_scheduled_for_a_lead),
	    cmocka_unit_test(test_agent_callbacks_go_to_the_campaign_after_the_grace),
	    cmocka_unit_test(test_a_closed_lead_read_back_takes_a_late_disposition),
	    cmocka_unit_test(test_random_campaigns_keep_every_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
