/*
 * How long the SIP stack sleeps before its next timer. sofia-sip's event loop
 * (su_root_step) asks su_duration() for the milliseconds left until the earliest timer,
 * and sofia-sip 1.12.11 drops the fraction of a millisecond: a timer 0.6 ms away gives a
 * timeout of 0, so the loop polls with a zero timeout again and again until the timer is
 * due. Every timer therefore ends with a busy wait of up to a millisecond. nta, the
 * transaction layer, runs one timer for all its transactions and sets it to the next
 * transaction's deadline, so the 32-s clean-up of a burst of transactions (timers J and K
 * after 4,000 phones register, or after a run of calls) fired it thousands of times and
 * spun before each: 94,000 zero-timeout epoll_wait calls and about a second of CPU for
 * 4,000 registrations (docs/performance.md). No tag of nta or su changes this.
 *
 * The fix belongs in su_duration itself, so it is made there: this file defines it, and
 * the program's definition takes the place of the library's for every call the library
 * makes to it (ELF symbol interposition; sofia-sip calls it through its PLT). Ours rounds
 * a difference up to the next whole millisecond instead of dropping the fraction: the
 * loop then sleeps until the timer is due and fires it at most a millisecond late, the
 * usual slack of any timer, instead of spinning. The library's other callers measure
 * elapsed time (su_root_sleep, nta's load limit and its check of a request's age, a
 * tport debug line) and are indifferent to a millisecond more.
 * sip_stack_timers_round_up() checks through the library's own timer code that the
 * interposition is in effect, so a sofia-sip built without it is noticed at start-up.
 */
#include "sip/sip_int.h"

#include <stdint.h>

#include <sofia-sip/su_time.h>

su_duration_t su_duration(su_time_t const t1, su_time_t const t2)
{
	int64_t us = ((int64_t)t1.tv_sec - (int64_t)t2.tv_sec) * 1000000 +
		     ((int64_t)t1.tv_usec - (int64_t)t2.tv_usec);
	/* Towards +infinity: a positive remainder is a whole millisecond more; a negative
	 * one (a time already past) is cut towards zero. */
	int64_t ms = us > 0 ? (us + 999) / 1000 : us / 1000;

	if (ms > SU_DURATION_MAX)
		return SU_DURATION_MAX;
	if (ms < -SU_DURATION_MAX)
		return -SU_DURATION_MAX;
	return (su_duration_t)ms;
}

static void probe_fired(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	*(bool *)arg = true;
}

bool sip_stack_timers_round_up(void)
{
	su_root_t *root = su_root_create(NULL);
	su_timer_t *t = NULL;
	su_duration_t tout = SU_WAIT_FOREVER;
	su_time_t now = su_now(), when = now;
	bool fired = false, ok = false;

	if (!root || !(t = su_timer_create(su_root_task(root), 0)))
		goto out;
	/* A timer 0.3 ms after a fixed "now": the library's expiry must leave it set and
	 * ask for a wait of 1 ms (truncating, it asks for 0). */
	when.tv_usec += 300;
	if (when.tv_usec >= 1000000) {
		when.tv_sec++;
		when.tv_usec -= 1000000;
	}
	if (su_timer_set_at(t, probe_fired, (su_timer_arg_t *)&fired, when))
		goto out;
	su_timer_expire(su_task_timers(su_root_task(root)), &tout, now);
	ok = !fired && tout == 1;
out:
	if (t)
		su_timer_destroy(t);
	if (root)
		su_root_destroy(root);
	return ok;
}
