/*
 * Tests of the SIP stack's timer waits (src/sip/timewait.c): our su_duration rounds a
 * remainder up to whole milliseconds and cuts a past time towards zero, and sofia-sip's
 * own timer code, reached through a root of its own, asks for a 1-ms wait (not a
 * zero-timeout poll) for a timer 0.3 ms away and fires it once it is due. Times are
 * passed in: no sleeps, no clocks read by the assertions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include <sofia-sip/su_time.h>
#include <sofia-sip/su_wait.h>

#include "sip/sip.h"

static su_time_t at(unsigned long sec, unsigned long usec)
{
	su_time_t t = {sec, usec};

	return t;
}

static void test_duration_rounds_remainder_up(void **state)
{
	(void)state;
	assert_int_equal(su_duration(at(100, 300), at(100, 0)), 1);
	assert_int_equal(su_duration(at(100, 1000), at(100, 0)), 1);
	assert_int_equal(su_duration(at(100, 1001), at(100, 0)), 2);
	assert_int_equal(su_duration(at(100, 0), at(100, 0)), 0);
	/* Across a second: 0.2 ms, and 1.9 ms. */
	assert_int_equal(su_duration(at(101, 100), at(100, 999900)), 1);
	assert_int_equal(su_duration(at(101, 1500), at(100, 999600)), 2);
	assert_int_equal(su_duration(at(132, 0), at(100, 0)), 32000);
}

static void test_duration_past_cut_towards_zero(void **state)
{
	(void)state;
	assert_int_equal(su_duration(at(100, 0), at(100, 300)), 0);
	assert_int_equal(su_duration(at(100, 0), at(100, 1500)), -1);
	assert_int_equal(su_duration(at(100, 999900), at(101, 100)), 0);
	assert_int_equal(su_duration(at(100, 0), at(132, 0)), -32000);
}

static void test_duration_clamped(void **state)
{
	(void)state;
	assert_int_equal(su_duration(at(4000000000ul, 0), at(0, 0)), SU_DURATION_MAX);
	assert_int_equal(su_duration(at(0, 0), at(4000000000ul, 0)), -SU_DURATION_MAX);
}

static void on_timer(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)magic;
	(void)t;
	(*(int *)arg)++;
}

static void test_stack_waits_for_timer_then_fires_it(void **state)
{
	su_root_t *root = su_root_create(NULL);
	su_timer_t *t;
	su_duration_t tout = SU_WAIT_FOREVER;
	int fired = 0;

	(void)state;
	assert_non_null(root);
	t = su_timer_create(su_root_task(root), 0);
	assert_non_null(t);
	assert_int_equal(su_timer_set_at(t, on_timer, (su_timer_arg_t *)&fired, at(100, 300)), 0);
	/* 0.3 ms before it is due: wait 1 ms (sofia-sip's own rounding says 0: a spin). */
	assert_int_equal(su_timer_expire(su_task_timers(su_root_task(root)), &tout, at(100, 0)), 0);
	assert_int_equal(fired, 0);
	assert_int_equal(tout, 1);
	/* Due: it fires, once. */
	tout = SU_WAIT_FOREVER;
	assert_int_equal(su_timer_expire(su_task_timers(su_root_task(root)), &tout, at(100, 300)),
			 1);
	assert_int_equal(fired, 1);
	assert_int_equal(tout, SU_WAIT_FOREVER);
	su_timer_destroy(t);
	su_root_destroy(root);
}

static void test_stack_timers_round_up_reports_true(void **state)
{
	(void)state;
	assert_true(sip_stack_timers_round_up());
}

static int setup(void **state)
{
	(void)state;
	return su_init();
}

static int teardown(void **state)
{
	(void)state;
	su_deinit();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_rounds_remainder_up),
	    cmocka_unit_test(test_duration_past_cut_towards_zero),
	    cmocka_unit_test(test_duration_clamped),
	    cmocka_unit_test(test_stack_waits_for_timer_then_fires_it),
	    cmocka_unit_test(test_stack_timers_round_up_reports_true),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
