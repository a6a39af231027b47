/* Routing strategies of the ACD: which free agent each strategy offers a contact to. */
#include "test_acd_fixture.h"

/* Offers the contact and takes it out again, returning the agent it was offered to. */
static uint32_t offered_to(struct fx *f, uint32_t q)
{
	size_t before = fx_count(f, FX_OFFER);
	uint32_t c = fx_enqueue(f, q, -1), a;

	assert_int_equal(fx_count(f, FX_OFFER), before + 1);
	a = fx_last_offer_agent(f);
	assert_int_equal(acd_contact_remove(f->acd, c, f->now), 0);
	return a;
}

/* Makes agent a (alone ready among the others) handle one contact. */
static void handle_alone(struct fx *f, uint32_t q, uint32_t a, uint64_t talk_ms)
{
	fx_ready(f, a);
	fx_handle(f, q, talk_ms);
	assert_int_equal(fx_nth(f, FX_OFFER, -1)->of.agent, a);
}

static void test_longest_idle_picks_agent_idle_longest(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5), a2 = fx_agent(f, "s", 5);

	handle_alone(f, q, a0, 1000);
	assert_int_equal(acd_agent_set_state(f->acd, a0, ACD_STATE_NOT_READY, 0, f->now), 0);
	fx_advance(f, 1000);
	handle_alone(f, q, a1, 1000);
	assert_int_equal(acd_agent_set_state(f->acd, a1, ACD_STATE_NOT_READY, 0, f->now), 0);
	fx_advance(f, 1000);
	fx_ready(f, a2); /* no contact yet: idle since it became ready, the latest */
	fx_ready(f, a1);
	fx_ready(f, a0);
	assert_int_equal(offered_to(f, q), a0);
	assert_int_equal(acd_agent_set_state(f->acd, a0, ACD_STATE_NOT_READY, 0, f->now), 0);
	assert_int_equal(offered_to(f, q), a1);
	assert_int_equal(acd_agent_set_state(f->acd, a1, ACD_STATE_NOT_READY, 0, f->now), 0);
	assert_int_equal(offered_to(f, q), a2);
}

static void test_longest_idle_keeps_idle_time_across_a_break(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5);

	handle_alone(f, q, a0, 1000);
	assert_int_equal(acd_agent_set_state(f->acd, a0, ACD_STATE_NOT_READY, 3, f->now), 0);
	fx_advance(f, 1000);
	handle_alone(f, q, a1, 1000);
	fx_advance(f, 60000);
	fx_ready(f, a0); /* back from a break: still idle since its last contact */
	assert_int_equal(offered_to(f, q), a0);
}

static void test_longest_idle_counts_from_end_of_wrap_up(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a0, a1;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 10000;
	q = fx_queue_p(f, &p);
	a0 = fx_agent(f, "s", 5);
	a1 = fx_agent(f, "s", 5);
	handle_alone(f, q, a0, 1000); /* call ends at T, wrap-up until T+10s */
	fx_advance(f, 2000);
	handle_alone(f, q, a1, 1000); /* call ends at T+3s... */
	fx_advance(f, 1000);
	assert_int_equal(acd_agent_end_wrap_up(f->acd, a1, f->now), 0); /* ...idle from T+4s */
	fx_run(f, 20000);
	assert_int_equal(fx_state(f, a0), ACD_STATE_READY);
	assert_int_equal(offered_to(f, q), a1);
}

static void test_longest_idle_skips_wrap_up(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a0, a1;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 30000;
	q = fx_queue_p(f, &p);
	a0 = fx_agent(f, "s", 5);
	a1 = fx_agent(f, "s", 5);
	handle_alone(f, q, a0, 1000);
	assert_int_equal(fx_state(f, a0), ACD_STATE_WRAP_UP);
	fx_advance(f, 1000);
	handle_alone(f, q, a1, 1000);
	assert_int_equal(acd_agent_end_wrap_up(f->acd, a1, f->now), 0);
	/* a0 has been idle longer by the clock but is still in wrap-up. */
	assert_int_equal(offered_to(f, q), a1);
}

static void test_round_robin_rotates_with_memory(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_ROUND_ROBIN, NULL);
	uint32_t a[3];

	for (int i = 0; i < 3; i++) {
		a[i] = fx_agent_in(f, q, 0, (uint32_t)(i + 1));
		fx_ready(f, a[i]);
	}
	assert_int_equal(offered_to(f, q), a[0]);
	assert_int_equal(offered_to(f, q), a[1]);
	assert_int_equal(offered_to(f, q), a[2]);
	assert_int_equal(offered_to(f, q), a[0]);
}

static void test_round_robin_skips_busy_agents(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_ROUND_ROBIN, NULL);
	uint32_t a[3];

	for (int i = 0; i < 3; i++) {
		a[i] = fx_agent_in(f, q, 0, (uint32_t)(i + 1));
		fx_ready(f, a[i]);
	}
	assert_int_equal(offered_to(f, q), a[0]);
	assert_int_equal(acd_agent_set_state(f->acd, a[1], ACD_STATE_NOT_READY, 0, f->now), 0);
	assert_int_equal(offered_to(f, q), a[2]);
	assert_int_equal(offered_to(f, q), a[0]);
}

static void test_least_calls_picks_fewest_answered_today(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LEAST_CALLS, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5), a2 = fx_agent(f, "s", 5);

	handle_alone(f, q, a0, 1000);
	handle_alone(f, q, a0, 1000);
	assert_int_equal(acd_agent_set_state(f->acd, a0, ACD_STATE_NOT_READY, 0, f->now), 0);
	handle_alone(f, q, a1, 1000);
	assert_int_equal(acd_agent_set_state(f->acd, a1, ACD_STATE_NOT_READY, 0, f->now), 0);
	for (int i = 0; i < 3; i++)
		handle_alone(f, q, a2, 1000);
	fx_ready(f, a0);
	fx_ready(f, a1);
	assert_int_equal(offered_to(f, q), a1);
	/* After midnight everybody starts from zero again: ties go to the longest idle. */
	acd_stats_reset(f->acd, f->now);
	assert_int_equal(offered_to(f, q), a0);
}

static void test_least_talk_time_picks_least_talk_today(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LEAST_TALK_TIME, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5);

	handle_alone(f, q, a0, 50000);
	assert_int_equal(acd_agent_set_state(f->acd, a0, ACD_STATE_NOT_READY, 0, f->now), 0);
	handle_alone(f, q, a1, 30000);
	handle_alone(f, q, a1, 30000);
	fx_ready(f, a0);
	assert_int_equal(offered_to(f, q), a0); /* 50 s against 60 s */
}

static void test_ring_all_offers_every_free_agent_first_accept_wins(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_RING_ALL, "s");
	uint32_t a[3], c;

	for (int i = 0; i < 3; i++) {
		a[i] = fx_agent(f, "s", 5);
		fx_ready(f, a[i]);
	}
	fx_clear(f);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(fx_nth(f, FX_OFFER, i)->of.ring_all);
		assert_int_equal(fx_state(f, a[i]), ACD_STATE_RESERVED);
	}
	fx_clear(f);
	assert_int_equal(acd_offer_accept(f->acd, c, a[1], f->now), 0);
	assert_int_equal(fx_count(f, FX_CANCEL), 2);
	assert_int_equal(fx_nth(f, FX_CANCEL, 0)->why, ACD_CANCEL_ANSWERED_ELSEWHERE);
	assert_int_equal(fx_state(f, a[0]), ACD_STATE_READY);
	assert_int_equal(fx_state(f, a[1]), ACD_STATE_BUSY);
	assert_int_equal(fx_state(f, a[2]), ACD_STATE_READY);
	/* A late answer from a cancelled phone is refused. */
	assert_int_equal(acd_offer_accept(f->acd, c, a[0], f->now), ENOENT);
}

static void test_ring_all_rings_again_after_timeout_and_retry(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a[2];

	fx_qparams(f, &p, ACD_STRATEGY_RING_ALL, "s", 1);
	p.ring_timeout_ms = 15000;
	p.retry_ms = 5000;
	q = fx_queue_p(f, &p);
	for (int i = 0; i < 2; i++) {
		a[i] = fx_agent(f, "s", 5);
		fx_ready(f, a[i]);
	}
	fx_clear(f);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 2);
	fx_run(f, 15000);
	assert_int_equal(fx_count(f, FX_CANCEL), 2);
	assert_int_equal(fx_nth(f, FX_CANCEL, 0)->why, ACD_CANCEL_TIMEOUT);
	assert_int_equal(fx_count(f, FX_OFFER), 2); /* resting for retry_ms */
	fx_run(f, 5000);
	assert_int_equal(fx_count(f, FX_OFFER), 4);
}

static void test_linear_uses_fixed_order(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LINEAR, NULL);
	uint32_t a3 = fx_agent_in(f, q, 0, 3), a1 = fx_agent_in(f, q, 0, 1);
	uint32_t a2 = fx_agent_in(f, q, 0, 2);

	fx_ready(f, a3);
	fx_ready(f, a2);
	fx_ready(f, a1);
	assert_int_equal(offered_to(f, q), a1);
	assert_int_equal(offered_to(f, q), a1); /* no rotation */
	fx_handle(f, q, 1000);			/* a1 takes one, a1 is first again after */
	assert_int_equal(offered_to(f, q), a1);
	assert_int_equal(acd_agent_set_state(f->acd, a1, ACD_STATE_NOT_READY, 0, f->now), 0);
	assert_int_equal(offered_to(f, q), a2);
}

static void test_random_spreads_over_free_agents(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_RANDOM, "s");
	uint32_t a[4];
	int hits[4] = {0};

	for (int i = 0; i < 4; i++) {
		a[i] = fx_agent(f, "s", 5);
		fx_ready(f, a[i]);
	}
	for (int n = 0; n < 400; n++) {
		uint32_t x = offered_to(f, q);
		for (int i = 0; i < 4; i++)
			hits[i] += x == a[i];
	}
	for (int i = 0; i < 4; i++)
		assert_in_range(hits[i], 60, 140);
}

static void test_weighted_random_prefers_proficient_agents(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_WEIGHTED_RANDOM, "s");
	uint32_t lo = fx_agent(f, "s", 1), hi = fx_agent(f, "s", 9);
	int nhi = 0;

	fx_ready(f, lo);
	fx_ready(f, hi);
	for (int n = 0; n < 1000; n++)
		nhi += offered_to(f, q) == hi;
	assert_in_range(nhi, 850, 950); /* 9 to 1 */
}

static void test_best_skill_picks_highest_level_ties_by_longest_idle(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_BEST_SKILL, "s");
	uint32_t a3 = fx_agent(f, "s", 3), a7 = fx_agent(f, "s", 7), b7 = fx_agent(f, "s", 7);

	fx_ready(f, a3);	      /* idles longest, but is the least proficient */
	handle_alone(f, q, a7, 1000); /* a7's last contact ended... */
	fx_advance(f, 1000);
	fx_ready(f, b7); /* ...before b7 logged in */
	assert_int_equal(offered_to(f, q), a7);
	assert_int_equal(acd_agent_set_state(f->acd, a7, ACD_STATE_NOT_READY, 0, f->now), 0);
	assert_int_equal(offered_to(f, q), b7);
	assert_int_equal(acd_agent_set_state(f->acd, b7, ACD_STATE_NOT_READY, 0, f->now), 0);
	assert_int_equal(offered_to(f, q), a3);
}

static void test_strategy_names_round_trip(void **state)
{
	enum acd_strategy_id id;

	for (int i = 0; i < ACD_STRATEGY_COUNT; i++) {
		const char *name = acd_strategy_name((enum acd_strategy_id)i);
		assert_non_null(name);
		assert_int_equal(acd_strategy_find(name, &id), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(acd_strategy_find("fewest-calls", &id), ENOENT);
	assert_int_equal(acd_strategy_find("ring-all", &id), 0);
	assert_int_equal(id, ACD_STRATEGY_RING_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, fx_setup, fx_teardown)
	    T(test_longest_idle_picks_agent_idle_longest),
	    T(test_longest_idle_keeps_idle_time_across_a_break),
	    T(test_longest_idle_counts_from_end_of_wrap_up),
	    T(test_longest_idle_skips_wrap_up),
	    T(test_round_robin_rotates_with_memory),
	    T(test_round_robin_skips_busy_agents),
	    T(test_least_calls_picks_fewest_answered_today),
	    T(test_least_talk_time_picks_least_talk_today),
	    T(test_ring_all_offers_every_free_agent_first_accept_wins),
	    T(test_ring_all_rings_again_after_timeout_and_retry),
	    T(test_linear_uses_fixed_order),
	    T(test_random_spreads_over_free_agents),
	    T(test_weighted_random_prefers_proficient_agents),
	    T(test_best_skill_picks_highest_level_ties_by_longest_idle),
	    T(test_strategy_names_round_trip),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
