/* Realtime counters of the ACD: offered/answered/abandoned, short abandons, service
 * level formulas, ASA, AHT, abandonment rate, EWT, agents by state. */
#include "test_acd_fixture.h"

#include <math.h>

static void assert_near(double got, double want)
{
	if (fabs(got - want) > 1e-9)
		fail_msg("got %.12g, want %.12g", got, want);
}

/* Enqueues, waits `wait_ms`, has agent a answer, talks `talk_ms`, ends. */
static void answer_after(struct fx *f, uint32_t q, uint32_t a, uint64_t wait_ms, uint64_t talk_ms)
{
	uint32_t c = fx_enqueue(f, q, -1);

	fx_advance(f, wait_ms);
	fx_ready(f, a);
	assert_int_equal(fx_last_offer_agent(f), a);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_NOT_READY, 0, f->now), 0);
	fx_advance(f, talk_ms);
	assert_int_equal(acd_contact_end(f->acd, c, f->now), 0);
}

static void test_counts_offered_answered_abandoned(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;
	struct acd_queue_stats s;

	answer_after(f, q, a, 5000, 60000);
	c = fx_enqueue(f, q, -1);
	fx_advance(f, 40000);
	assert_int_equal(acd_contact_abandon(f->acd, c, f->now), 0);
	s = fx_stats(f, q);
	assert_int_equal(s.c.offered, 2);
	assert_int_equal(s.c.answered, 1);
	assert_int_equal(s.c.abandoned, 1);
	assert_int_equal(s.c.abandoned_short, 0);
	assert_int_equal(s.c.wait_abandoned_ms, 40000);
	assert_int_equal(s.waiting, 0);
}

static void test_short_abandon_is_counted_apart(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t c1 = fx_enqueue(f, q, -1), c2 = fx_enqueue(f, q, -1);
	struct acd_queue_stats s;

	fx_advance(f, 5000);
	assert_int_equal(acd_contact_abandon(f->acd, c1, f->now), 0); /* at the threshold */
	fx_advance(f, 1);
	assert_int_equal(acd_contact_abandon(f->acd, c2, f->now), 0);
	s = fx_stats(f, q);
	assert_int_equal(s.c.abandoned, 2);
	assert_int_equal(s.c.abandoned_short, 1);
	assert_int_equal(s.c.abandoned_in_sl, 2);
}

static void test_removed_contact_is_not_an_abandon(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t c = fx_enqueue(f, q, -1);

	assert_int_equal(acd_contact_remove(f->acd, c, f->now), 0);
	assert_int_equal(fx_stats(f, q).c.abandoned, 0);
	assert_int_equal(fx_stats(f, q).c.removed, 1);
}

static void test_service_level_formulas(void **state)
{
	struct acd_queue_counters c = {
	    .answered = 80,
	    .answered_in_sl = 60,
	    .abandoned = 20,
	    .abandoned_in_sl = 10,
	    .abandoned_short = 5,
	};
	struct acd_queue_counters none = {0};

	assert_near(acd_service_level(&c, ACD_SL_ANSWERED), 60.0 / 80);
	assert_near(acd_service_level(&c, ACD_SL_WITH_ABANDONS), 70.0 / 100);
	assert_near(acd_service_level(&c, ACD_SL_ALL), 60.0 / 100);
	assert_near(acd_service_level(&c, ACD_SL_ALL_EXCL_SHORT), 60.0 / 95);
	assert_near(acd_service_level(&none, ACD_SL_ALL), -1);
	(void)state;
}

static void test_service_level_against_the_queue_target(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5);
	struct acd_queue_stats s;

	answer_after(f, q, a, 20000, 1000); /* within 20 s: counts */
	answer_after(f, q, a, 20001, 1000);
	s = fx_stats(f, q);
	assert_int_equal(s.c.answered_in_sl, 1);
	assert_near(s.service_level, 0.5);
	assert_int_equal(s.sl_formula, ACD_SL_ALL_EXCL_SHORT);
	assert_int_equal(s.service_level_pct, 80);
	assert_int_equal(s.service_level_ms, 20000);
}

static void test_asa_and_aht(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a;
	struct acd_queue_stats s;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 10000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	answer_after(f, q, a, 10000, 60000);
	fx_run(f, 10000);
	answer_after(f, q, a, 30000, 120000);
	fx_advance(f, 4000);
	assert_int_equal(acd_agent_end_wrap_up(f->acd, a, f->now), 0);
	s = fx_stats(f, q);
	assert_near(s.asa_ms, 20000);
	assert_int_equal(s.c.handled, 2);
	assert_int_equal(s.c.talk_ms, 180000);
	assert_int_equal(s.c.wrap_ms, 14000);
	assert_near(s.aht_ms, 97000);
	assert_int_equal(s.c.max_wait_answered_ms, 30000);
}

static void test_abandon_rate_excludes_callbacks(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t c1 = fx_enqueue(f, q, -1), c2 = fx_enqueue(f, q, -1);
	struct acd_queue_stats s;

	fx_enqueue(f, q, -1);
	fx_enqueue(f, q, -1);
	assert_int_equal(acd_contact_to_callback(f->acd, c2, f->now), 0);
	assert_int_equal(acd_contact_abandon(f->acd, c1, f->now), 0);
	assert_int_equal(acd_contact_abandon(f->acd, c2, f->now), 0); /* callback cancelled */
	s = fx_stats(f, q);
	assert_int_equal(s.c.abandoned, 1);
	assert_int_equal(s.c.callbacks, 1);
	assert_near(s.abandon_rate, 1.0 / 3);
	assert_int_equal(s.callbacks_waiting, 0);
	assert_int_equal(s.waiting, 2);
}

static void test_ewt_from_recent_handle_times_and_staffed_agents(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a0, a1;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.aht_hint_ms = 180000;
	q = fx_queue_p(f, &p);
	a0 = fx_agent(f, "s", 5);
	a1 = fx_agent(f, "s", 5);
	assert_int_equal(acd_queue_ewt(f->acd, q, f->now), ACD_NEVER); /* nobody staffed */
	fx_ready(f, a0);
	assert_int_equal(acd_queue_ewt(f->acd, q, f->now), 0); /* a0 is free */
	answer_after(f, q, a0, 0, 100000); /* handle 100 s; average 180 - 80/16 = 175 s */
	fx_ready(f, a0);
	fx_ready(f, a1);
	f->auto_accept = true;
	fx_enqueue(f, q, -1);
	fx_enqueue(f, q, -1);
	fx_enqueue(f, q, -1);
	fx_enqueue(f, q, -1);
	/* two waiting, two staffed: a new caller is 3rd, 3 x 175 s / 2 */
	assert_int_equal(acd_queue_ewt(f->acd, q, f->now), 262500);
	assert_int_equal(fx_stats(f, q).ewt_ms, 262500);
}

static void test_agents_by_state_and_staffed(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t busy = fx_agent(f, "s", 5), ready = fx_agent(f, "s", 5);
	uint32_t paused = fx_agent(f, "s", 5), away = fx_agent(f, "s", 5);
	struct acd_queue_stats s;

	fx_ready(f, busy);
	f->auto_accept = true;
	fx_enqueue(f, q, -1);
	fx_ready(f, ready);
	assert_int_equal(acd_agent_set_state(f->acd, paused, ACD_STATE_NOT_READY, 2, f->now), 0);
	s = fx_stats(f, q);
	assert_int_equal(s.agents[ACD_STATE_BUSY], 1);
	assert_int_equal(s.agents[ACD_STATE_READY], 1);
	assert_int_equal(s.agents[ACD_STATE_NOT_READY], 1);
	assert_int_equal(s.agents[ACD_STATE_LOGGED_OUT], 1);
	assert_int_equal(s.staffed, 2);
	assert_int_equal(s.available, 1);
	(void)away;
}

static void test_longest_wait_of_waiting_callers(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t first = fx_enqueue(f, q, -1);

	fx_advance(f, 5000);
	fx_enqueue(f, q, 90);
	fx_advance(f, 10000);
	assert_int_equal(fx_stats(f, q).longest_wait_ms, 15000);
	assert_int_equal(acd_contact_to_callback(f->acd, first, f->now), 0);
	assert_int_equal(fx_stats(f, q).longest_wait_ms, 10000); /* callbacks are not on hold */
}

static void test_stats_reset_zeroes_counters(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5);
	struct acd_agent_info in;

	answer_after(f, q, a, 1000, 1000);
	acd_stats_reset(f->acd, f->now);
	assert_int_equal(fx_stats(f, q).c.offered, 0);
	assert_int_equal(fx_stats(f, q).c.answered, 0);
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	assert_int_equal(in.answered, 0);
	assert_int_equal(in.talk_ms, 0);
}

static void test_sl_formula_names_round_trip(void **state)
{
	enum acd_sl_formula x;

	for (int i = 0; i < ACD_SL_COUNT; i++) {
		assert_int_equal(
		    acd_sl_formula_find(acd_sl_formula_name((enum acd_sl_formula)i), &x), 0);
		assert_int_equal(x, i);
	}
	assert_int_equal(acd_sl_formula_find("nope", &x), ENOENT);
	(void)state;
}

static void test_memory_is_accounted(void **state)
{
	struct fx *f = *state;
	size_t before = acd_memory(f->acd);

	fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	fx_agent(f, "s", 5);
	assert_true(acd_memory(f->acd) > before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, fx_setup, fx_teardown)
	    T(test_counts_offered_answered_abandoned),
	    T(test_short_abandon_is_counted_apart),
	    T(test_removed_contact_is_not_an_abandon),
	    T(test_service_level_formulas),
	    T(test_service_level_against_the_queue_target),
	    T(test_asa_and_aht),
	    T(test_abandon_rate_excludes_callbacks),
	    T(test_ewt_from_recent_handle_times_and_staffed_agents),
	    T(test_agents_by_state_and_staffed),
	    T(test_longest_wait_of_waiting_callers),
	    T(test_stats_reset_zeroes_counters),
	    T(test_sl_formula_names_round_trip),
	    T(test_memory_is_accounted),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
