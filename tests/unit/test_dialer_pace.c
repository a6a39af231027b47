/* Pacing: preview, progressive, agentless and predictive decisions, the Wilson bound,
 * the fall back to progressive when the cap is at risk, and simulated campaigns over
 * many seeds: the abandonment cap holds and predictive beats progressive. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dialer/dialer.h"

static struct dialer_pacer *pacer(enum dialer_mode mode, uint32_t agents)
{
	struct dialer_pacer_params p = {.mode = mode, .lines = 0};
	struct dialer_pacer *out = NULL;

	assert_int_equal(dialer_pacer_new(&p, agents, 0, &out), 0);
	return out;
}

static void test_preview_never_dials_by_itself(void **state)
{
	struct dialer_pacer *p = pacer(DIALER_PREVIEW, 3);

	(void)state;
	for (uint32_t a = 0; a < 3; a++)
		dialer_pacer_agent(p, a, DIALER_AGENT_FREE, 0);
	assert_int_equal(dialer_pacer_want(p, 1000), 0);
	dialer_pacer_free(p);
}

static void test_progressive_dials_one_call_per_free_agent(void **state)
{
	struct dialer_pacer *p = pacer(DIALER_PROGRESSIVE, 5);

	(void)state;
	assert_int_equal(dialer_pacer_want(p, 0), 0);
	for (uint32_t a = 0; a < 3; a++)
		dialer_pacer_agent(p, a, DIALER_AGENT_FREE, 0);
	assert_int_equal(dialer_pacer_want(p, 0), 3);
	dialer_pacer_dialed(p, 0);
	dialer_pacer_dialed(p, 0);
	assert_int_equal(dialer_pacer_want(p, 0), 1);
	/* A person answered and waits: still counts against the free agents. */
	assert_int_equal(dialer_pacer_outcome(p, DIALER_R_PERSON, 5000, 5000), 0);
	assert_int_equal(dialer_pacer_want(p, 5000), 1);
	dialer_pacer_connected(p, 5000);
	dialer_pacer_agent(p, 0, DIALER_AGENT_TALK, 5000);
	assert_int_equal(dialer_pacer_want(p, 5000), 1);
	assert_int_equal(dialer_pacer_outcome(p, DIALER_R_BUSY, 0, 6000), 0);
	assert_int_equal(dialer_pacer_want(p, 6000), 2);
	assert_int_equal(dialer_pacer_outcome(p, DIALER_R_ABANDONED, 0, 6000), EINVAL);
	assert_int_equal(dialer_pacer_agent(p, 5, DIALER_AGENT_FREE, 0), EINVAL);
	dialer_pacer_free(p);
}

static void test_agentless_keeps_its_lines_busy(void **state)
{
	struct dialer_pacer_params pp = {.mode = DIALER_AGENTLESS, .lines = 4};
	struct dialer_pacer *p;

	(void)state;
	assert_int_equal(dialer_pacer_new(&pp, 0, 0, &p), 0);
	assert_int_equal(dialer_pacer_want(p, 0), 4);
	dialer_pacer_dialed(p, 0);
	dialer_pacer_outcome(p, DIALER_R_PERSON, 3000, 3000);
	assert_int_equal(dialer_pacer_want(p, 3000), 3);
	dialer_pacer_connected(p, 9000);
	assert_int_equal(dialer_pacer_want(p, 9000), 4);
	dialer_pacer_free(p);
}

static void test_changed_settings_keep_agents_and_calls(void **state)
{
	struct dialer_pacer_params pp = {.mode = DIALER_PROGRESSIVE};
	struct dialer_pacer *p = pacer(DIALER_PREVIEW, 4);

	(void)state;
	for (uint32_t a = 0; a < 3; a++)
		dialer_pacer_agent(p, a, DIALER_AGENT_FREE, 0);
	assert_int_equal(dialer_pacer_want(p, 0), 0);
	/* Preview made progressive: the agents free already are dialed for. */
	assert_int_equal(dialer_pacer_set_params(p, &pp), 0);
	assert_int_equal(dialer_pacer_mode(p), DIALER_PROGRESSIVE);
	assert_int_equal(dialer_pacer_want(p, 0), 3);
	dialer_pacer_dialed(p, 0);
	/* A ceiling of lines counts the call dialing. */
	pp.lines = 2;
	assert_int_equal(dialer_pacer_set_params(p, &pp), 0);
	assert_int_equal(dialer_pacer_want(p, 0), 1);
	pp.abandon_cap = 1.5;
	assert_int_equal(dialer_pacer_set_params(p, &pp), EINVAL);
	assert_int_equal(dialer_pacer_want(p, 0), 1);
	dialer_pacer_free(p);
}

static void test_wilson_upper_bound(void **state)
{
	(void)state;
	assert_true(dialer_wilson_upper(0, 0) == 1.0);
	/* 0 of 100: about z^2 / (n + z^2) = 2.6%. */
	assert_true(fabs(dialer_wilson_upper(0, 100) - 0.0264) < 0.001);
	/* 30 of 1000: 3% observed, the bound is above it. */
	assert_true(dialer_wilson_upper(30, 1000) > 0.03);
	assert_true(dialer_wilson_upper(30, 1000) < 0.041);
	assert_true(dialer_wilson_upper(10, 10) == 1.0);
}

/* Feeds n persons of whom k were abandoned, one a second from t. */
static uint64_t feed(struct dialer_pacer *p, uint64_t t, uint32_t n, uint32_t k)
{
	for (uint32_t i = 0; i < n; i++, t += 1000) {
		dialer_pacer_dialed(p, t);
		dialer_pacer_outcome(p, DIALER_R_PERSON, 8000, t);
		if (i < k)
			dialer_pacer_abandoned(p, t);
		else
			dialer_pacer_connected(p, t);
	}
	return t;
}

static void test_predictive_starts_progressive_then_dials_ahead(void **state)
{
	struct dialer_pacer_params pp = {.mode = DIALER_PREDICTIVE, .prior_answer = 0.2};
	struct dialer_pacer *p;
	struct dialer_pacer_figures f;
	uint64_t t;

	(void)state;
	assert_int_equal(dialer_pacer_new(&pp, 20, 0, &p), 0);
	for (uint32_t a = 0; a < 10; a++)
		dialer_pacer_agent(p, a, DIALER_AGENT_FREE, 0);
	/* Nothing is known about abandonment yet: the bound is 1, progressive. */
	assert_int_equal(dialer_pacer_want(p, 0), 10);
	dialer_pacer_figures(p, 0, &f);
	assert_true(f.at_risk);
	/* 400 persons served without an abandon, each after four unanswered calls: the
	   bound is well under 3% and the answer rate one in five. */
	t = 1000;
	for (uint32_t i = 0; i < 400; i++) {
		for (uint32_t j = 0; j < 4; j++) {
			dialer_pacer_dialed(p, t);
			dialer_pacer_outcome(p, DIALER_R_NO_ANSWER, 0, t);
		}
		t = feed(p, t, 1, 0);
	}
	dialer_pacer_figures(p, t, &f);
	assert_false(f.at_risk);
	assert_true(f.window_upper < 0.03);
	assert_true(fabs(f.est_answer - 0.2) < 0.05);
	/* Ten free agents and a one-in-five answer rate: well more than ten calls. */
	assert_true(dialer_pacer_want(p, t) > 20);
	dialer_pacer_free(p);
}

static void test_predictive_falls_back_to_progressive_at_risk(void **state)
{
	struct dialer_pacer_params pp = {.mode = DIALER_PREDICTIVE, .prior_answer = 0.2};
	struct dialer_pacer *p;
	struct dialer_pacer_figures f;
	uint64_t t;

	(void)state;
	assert_int_equal(dialer_pacer_new(&pp, 10, 0, &p), 0);
	for (uint32_t a = 0; a < 10; a++)
		dialer_pacer_agent(p, a, DIALER_AGENT_FREE, 0);
	/* 4% abandoned over the window: the bound is over the cap. */
	t = feed(p, 1000, 1000, 40);
	for (uint32_t i = 0; i < 4000; i++) {
		dialer_pacer_dialed(p, t);
		dialer_pacer_outcome(p, DIALER_R_NO_ANSWER, 0, t);
	}
	assert_int_equal(dialer_pacer_want(p, t), 10);
	dialer_pacer_figures(p, t, &f);
	assert_true(f.at_risk);
	assert_true(f.window_upper > 0.03);
	/* The window moves on: a month later the abandons are forgotten. */
	t += 31ull * 24 * 3600 * 1000;
	dialer_pacer_figures(p, t, &f);
	assert_int_equal(f.window_abandoned, 0);
	dialer_pacer_free(p);
}

static struct dialer_sim_params campaign(enum dialer_mode mode, uint32_t agents, double person,
					 uint64_t seed)
{
	struct dialer_sim_params s = {
	    .pacer = {.mode = mode, .abandon_cap = 0.03},
	    .agents = agents,
	    .duration_ms = 8ull * 3600 * 1000,
	    .seed = seed,
	    .person_rate = person,
	    .machine_rate = 0.1,
	    .ring = {.kind = DIALER_DIST_LOGNORMAL, .mean = 12, .sd = 6},
	    .ring_timeout_s = 25,
	    .handle = {.kind = DIALER_DIST_EXPONENTIAL, .mean = 180},
	    .wrap_s = 30,
	    .amd = true,
	    .amd_s = 2.5,
	};
	return s;
}

/* The cap: over many seeds and several sizes and answer rates, the campaign's
   abandonment rate stays under 3%, and so does its upper 95% bound except on the
   rare day where chance (5% by definition) puts it over. */
static void test_cap_holds_over_many_seeds(void **state)
{
	static const uint32_t agents[] = {5, 10, 25, 50};
	static const double person[] = {0.1, 0.2, 0.3};
	uint32_t runs = 0, over_bound = 0;

	(void)state;
	for (size_t a = 0; a < sizeof(agents) / sizeof(*agents); a++) {
		for (size_t q = 0; q < sizeof(person) / sizeof(*person); q++) {
			for (uint64_t seed = 1; seed <= 12; seed++) {
				struct dialer_sim_params s =
				    campaign(DIALER_PREDICTIVE, agents[a], person[q], seed);
				struct dialer_sim_result r;
				assert_int_equal(dialer_sim_run(&s, &r), 0);
				if (r.abandon_rate > 0.03)
					fail_msg("agents=%u person=%.2f seed=%llu: %.2f%% "
						 "abandoned",
						 agents[a], person[q], (unsigned long long)seed,
						 100 * r.abandon_rate);
				over_bound += r.abandon_upper > 0.03;
				runs++;
			}
		}
	}
	assert_true(over_bound * 20 <= runs);
}

static void test_predictive_beats_progressive_and_progressive_never_abandons(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct dialer_sim_params s = campaign(DIALER_PROGRESSIVE, 25, 0.2, seed);
		struct dialer_sim_result prog, pred;
		assert_int_equal(dialer_sim_run(&s, &prog), 0);
		s.pacer.mode = DIALER_PREDICTIVE;
		assert_int_equal(dialer_sim_run(&s, &pred), 0);
		assert_int_equal(prog.abandoned, 0);
		assert_true(pred.work_min_per_agent_hour > prog.work_min_per_agent_hour + 5);
		assert_true(pred.connected + pred.abandoned == pred.person);
	}
}

static void test_simulation_is_reproducible(void **state)
{
	struct dialer_sim_params s = campaign(DIALER_PREDICTIVE, 10, 0.2, 7);
	struct dialer_sim_result a, b;

	(void)state;
	assert_int_equal(dialer_sim_run(&s, &a), 0);
	assert_int_equal(dialer_sim_run(&s, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	s.person_rate = 0.95;
	assert_int_equal(dialer_sim_run(&s, &a), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_preview_never_dials_by_itself),
	    cmocka_unit_test(test_progressive_dials_one_call_per_free_agent),
	    cmocka_unit_test(test_agentless_keeps_its_lines_busy),
	    cmocka_unit_test(test_changed_settings_keep_agents_and_calls),
	    cmocka_unit_test(test_wilson_upper_bound),
	    cmocka_unit_test(test_predictive_starts_progressive_then_dials_ahead),
	    cmocka_unit_test(test_predictive_falls_back_to_progressive_at_risk),
	    cmocka_unit_test(test_cap_holds_over_many_seeds),
	    cmocka_unit_test(test_predictive_beats_progressive_and_progressive_never_abandons),
	    cmocka_unit_test(test_simulation_is_reproducible),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
