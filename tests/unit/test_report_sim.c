/* The simulator: agreement with Erlang C where its assumptions hold, reproducibility,
 * abandonment, overflow, shifts, scenario errors with positions, and the CLI. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "report/report.h"

static struct report_scenario *load(const char *text)
{
	struct report_scenario *s = NULL;
	char err[4096] = "";
	FILE *ef = fmemopen(err, sizeof(err) - 1, "w");
	int rc = report_scenario_load_string("test.yaml", text, ef, &s);

	fclose(ef);
	if (rc)
		fail_msg("scenario refused (%d): %s", rc, err);
	return s;
}

/* Loads a scenario expected to fail and returns its error text (static buffer). */
static const char *load_errors(const char *text)
{
	static char err[4096];
	struct report_scenario *s = NULL;
	FILE *ef;

	memset(err, 0, sizeof(err));
	ef = fmemopen(err, sizeof(err) - 1, "w");
	assert_int_equal(report_scenario_load_string("bad.yaml", text, ef, &s), EINVAL);
	fclose(ef);
	return err;
}

static struct report_sim_result *run(const char *text, uint64_t seed)
{
	struct report_scenario *s = load(text);
	struct report_sim_result *r = NULL;

	assert_int_equal(report_sim_run(s, true, seed, stderr, &r), 0);
	report_scenario_free(s);
	return r;
}

static const struct report_sim_figures *total(const struct report_sim_result *r, size_t q)
{
	return report_sim_figures(r, q, report_sim_nintervals(r));
}

static void test_simulation_matches_erlang_c(void **state)
{
	/* One FIFO queue, Poisson arrivals, exponential handle times, nobody gives up:
	 * 8 erlangs on 12 agents, about 160,000 calls. */
	static const char sc[] = "duration: 1000h\n"
				 "interval: 1000h\n"
				 "queues:\n"
				 "  - id: q\n"
				 "    skills: {s: 1}\n"
				 "    service_level: 20s\n"
				 "    arrivals: 160/h\n"
				 "    handle_time: {dist: exponential, mean: 180s}\n"
				 "agents:\n"
				 "  - {count: 12, skills: {s: 5}}\n";
	struct report_sim_result *r = run(sc, 7);
	const struct report_sim_figures *t = total(r, 0);
	double erl_sl = report_erlang_sl(8, 12, 180, 20);

	assert_true(t->offered > 150000);
	assert_int_equal(t->answered, t->offered);
	assert_int_equal(t->abandoned, 0);
	if (fabs(t->service_level - erl_sl) > 0.01)
		fail_msg("simulated SL %.4f, Erlang C %.4f", t->service_level, erl_sl);
	if (fabs(t->occupancy - 8.0 / 12) > 0.01)
		fail_msg("simulated occupancy %.4f, Erlang C %.4f", t->occupancy, 8.0 / 12);
	if (fabs(t->asa_s - report_erlang_asa(8, 12, 180)) > 1.0)
		fail_msg("simulated ASA %.3f s, Erlang C %.3f s", t->asa_s,
			 report_erlang_asa(8, 12, 180));
	report_sim_result_free(r);
	(void)state;
}

static const char small[] = "name: small\n"
			    "duration: 2h\n"
			    "interval: 30m\n"
			    "queues:\n"
			    "  - id: sales\n"
			    "    strategy: round-robin\n"
			    "    skills: {sales: 1}\n"
			    "    arrivals: [200, 400, 300, 100]\n"
			    "    handle_time: {dist: normal, mean: 200s, sd: 60s}\n"
			    "    patience: {dist: uniform, min: 30s, max: 300s}\n"
			    "    wrap_up: 10s\n"
			    "agents:\n"
			    "  - {count: 18, skills: {sales: 4}}\n";

static void test_same_seed_gives_the_same_day(void **state)
{
	struct report_sim_result *a = run(small, 5), *b = run(small, 5), *c = run(small, 6);

	assert_memory_equal(total(a, 0), total(b, 0), sizeof(struct report_sim_figures));
	assert_true(total(a, 0)->offered != total(c, 0)->offered ||
		    total(a, 0)->answered != total(c, 0)->answered);
	report_sim_result_free(a);
	report_sim_result_free(b);
	report_sim_result_free(c);
	(void)state;
}

static void test_every_contact_is_accounted_for(void **state)
{
	struct report_sim_result *r = run(small, 1);
	const struct report_sim_figures *t = total(r, 0);
	uint64_t sum = 0;

	for (size_t i = 0; i < report_sim_nintervals(r); i++)
		sum += report_sim_figures(r, 0, i)->offered;
	assert_int_equal(report_sim_nintervals(r), 4);
	assert_int_equal(sum, t->offered);
	assert_int_equal(t->offered, report_sim_contacts(r));
	assert_int_equal(t->answered + t->abandoned + t->overflowed + t->unfinished, t->offered);
	assert_int_equal(t->handled, t->answered);
	/* About 500 calls in two hours (200 + 400 + 300 + 100 per hour, half an hour each). */
	assert_in_range(t->offered, 400, 600);
	/* AHT includes the 10 s of wrap-up. */
	assert_true(t->aht_s > 195 && t->aht_s < 225);
	assert_memory_equal(total(r, 1), t, sizeof(*t)); /* one queue: all = it */
	report_sim_result_free(r);
	(void)state;
}

static void test_understaffed_queue_loses_callers(void **state)
{
	static const char sc[] = "duration: 1h\n"
				 "queues:\n"
				 "  - id: q\n"
				 "    skills: {s: 1}\n"
				 "    short_abandon: 5s\n"
				 "    arrivals: 600/h\n"
				 "    handle_time: 300s\n"
				 "    patience: {dist: exponential, mean: 60s}\n"
				 "agents:\n"
				 "  - {count: 20, skills: {s: 5}}\n";
	struct report_sim_result *r = run(sc, 3);
	const struct report_sim_figures *t = total(r, 0);

	/* 50 erlangs offered to 20 agents: most callers give up. */
	assert_true(t->abandoned > t->offered / 3);
	assert_true(t->abandoned_short > 0);
	assert_true(t->service_level < 0.5);
	assert_true(t->occupancy > 0.95);
	report_sim_result_free(r);
	(void)state;
}

static void test_max_wait_overflows_in_simulation(void **state)
{
	static const char sc[] = "duration: 1h\n"
				 "queues:\n"
				 "  - id: q\n"
				 "    skills: {s: 1}\n"
				 "    max_wait: 30s\n"
				 "    arrivals: 600/h\n"
				 "    handle_time: 300s\n"
				 "agents:\n"
				 "  - {count: 20, skills: {s: 5}}\n";
	struct report_sim_result *r = run(sc, 3);
	const struct report_sim_figures *t = total(r, 0);

	assert_true(t->overflowed > 0);
	assert_int_equal(t->abandoned, 0);
	assert_int_equal(t->answered + t->overflowed, t->offered);
	report_sim_result_free(r);
	(void)state;
}

static void test_shifts_decide_who_answers(void **state)
{
	static const char sc[] = "duration: 2h\n"
				 "interval: 1h\n"
				 "start: \"08:00\"\n"
				 "queues:\n"
				 "  - id: q\n"
				 "    skills: {s: 1}\n"
				 "    arrivals: 60/h\n"
				 "    handle_time: 60s\n"
				 "    patience: 120s\n"
				 "agents:\n"
				 "  - {count: 5, skills: {s: 5}, shift: \"09:00-10:00\"}\n";
	struct report_sim_result *r = run(sc, 2);

	/* Nobody works the first hour: every caller then gives up; the second hour is
	 * well served. */
	assert_true(report_sim_figures(r, 0, 0)->answered < 10); /* the last minutes of hour one */
	assert_true(report_sim_figures(r, 0, 0)->abandoned > 30);
	assert_true(report_sim_figures(r, 0, 1)->service_level > 0.9);
	assert_true(report_sim_figures(r, 0, 0)->occupancy < 0); /* no agent time */
	report_sim_result_free(r);
	(void)state;
}

static void test_a_day_with_100_agents(void **state)
{
	static const char sc[] =
	    "duration: 8h\n"
	    "interval: 15m\n"
	    "queues:\n"
	    "  - id: a\n"
	    "    skills: {a: 1}\n"
	    "    arrivals: 700/h\n"
	    "    handle_time: {dist: lognormal, mean: 240s, sd: 120s}\n"
	    "    patience: 200s\n"
	    "    wrap_up: 10s\n"
	    "  - id: b\n"
	    "    strategy: best-skill\n"
	    "    skills: {b: 2}\n"
	    "    relax: [{after: 20s, min_level: 1}, {after: 40s, add_queue: a}]\n"
	    "    arrivals: 500/h\n"
	    "    handle_time: 300s\n"
	    "    patience: 200s\n"
	    "agents:\n"
	    "  - {count: 50, skills: {a: 5}, breaks: [{at: 4h, for: 30m}]}\n"
	    "  - {count: 40, skills: {b: 6}}\n"
	    "  - {count: 10, skills: {a: 3, b: 1}, queues: {b: 2}}\n";
	struct report_sim_result *r = run(sc, 11);

	assert_int_equal(report_sim_nqueues(r), 2);
	assert_string_equal(report_sim_queue_id(r, 1), "b");
	assert_int_equal(report_sim_nintervals(r), 32);
	assert_in_range(report_sim_contacts(r), 9000, 10200);
	assert_true(total(r, 2)->answered > 8000);
	report_sim_result_free(r);
	(void)state;
}

static void test_scenario_errors_point_at_line_and_column(void **state)
{
	const char *e =
	    load_errors("duration: 1h\n"
			"queues:\n"
			"  - id: q\n"
			"    strategy: fastest\n"
			"    arrivals: lots\n"
			"    handle_time: {dist: gamma, mean: 3m}\n"
			"    relax: [{after: 30s, add_queue: nowhere}]\n"
			"agents:\n"
			"  - {count: 2, skills: {s: 11}, queues: {x: 1}, colour: red}\n");

	assert_non_null(
	    strstr(e, "bad.yaml:4:15: queues[0].strategy: unknown strategy \"fastest\""));
	assert_non_null(strstr(e, "bad.yaml:5:15: queues[0].arrivals: expected contacts per hour"));
	assert_non_null(strstr(e, "queues[0].handle_time.dist: unknown distribution \"gamma\""));
	assert_non_null(strstr(e, "queues[0].relax[0].add_queue: unknown queue \"nowhere\""));
	assert_non_null(strstr(e, "agents[0].skills.s: 11 is out of range 1..10"));
	assert_non_null(strstr(e, "agents[0].queues.x: unknown queue \"x\""));
	assert_non_null(strstr(e, "agents[0].colour: unknown key"));
	(void)state;
}

static void test_scenario_requires_its_sections(void **state)
{
	const char *e = load_errors("name: empty\n");

	assert_non_null(strstr(e, "duration: missing required key"));
	assert_non_null(strstr(e, "queues: missing required key"));
	assert_non_null(strstr(e, "agents: missing required key"));
	e = load_errors("duration: 1h\nqueues:\n  - {id: q, arrivals: 10}\nagents: []\n");
	assert_non_null(strstr(e, "queues[0].handle_time: missing required key"));
	e = load_errors("duration: [1h\n");
	assert_non_null(strstr(e, "bad.yaml:"));
	(void)state;
}

static int run_simulate_cli(char *out, size_t outsz, int argc, char **argv)
{
	char path[] = "/tmp/centrala-test-sim-XXXXXX";
	int fd = mkstemp(path), so = dup(1), se = dup(2), rc;
	ssize_t n;

	assert_true(fd >= 0);
	fflush(stdout);
	fflush(stderr);
	dup2(fd, 1);
	dup2(fd, 2);
	rc = report_simulate_cli(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	n = pread(fd, out, outsz - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void test_simulate_cli_prints_json(void **state)
{
	static char out[1 << 20];
	char *argv[] = {
	    "simulate", "examples/simulate/support-day.yaml", "--seed", "3", "--format", "json",
	    NULL};
	json_error_t je;
	json_t *j, *qs;

	assert_int_equal(run_simulate_cli(out, sizeof(out), 6, argv), 0);
	j = json_loads(out, 0, &je);
	if (!j)
		fail_msg("not JSON: %s", je.text);
	assert_int_equal(json_integer_value(json_object_get(j, "seed")), 3);
	qs = json_object_get(j, "queues");
	assert_true(json_array_size(qs) >= 2);
	assert_int_equal(json_array_size(json_object_get(json_array_get(qs, 0), "intervals")), 16);
	assert_non_null(
	    json_object_get(json_object_get(json_object_get(j, "all"), "total"), "service_level"));
	json_decref(j);
	(void)state;
}

static void test_simulate_cli_text_and_errors(void **state)
{
	static char out[1 << 20];
	char *ok[] = {"simulate", "examples/simulate/support-day.yaml", NULL};
	char *bad_format[] = {"simulate", "x.yaml", "--format", "xml", NULL};
	char *missing[] = {"simulate", "/nonexistent/day.yaml", NULL};
	char *none[] = {"simulate", NULL};

	assert_int_equal(run_simulate_cli(out, sizeof(out), 2, ok), 0);
	assert_non_null(strstr(out, "queue support (longest-idle)"));
	assert_non_null(strstr(out, "08:00-08:30"));
	assert_int_equal(run_simulate_cli(out, sizeof(out), 4, bad_format), 2);
	assert_non_null(strstr(out, "--format: expected text or json"));
	assert_int_equal(run_simulate_cli(out, sizeof(out), 2, missing), 1);
	assert_non_null(strstr(out, "/nonexistent/day.yaml"));
	assert_int_equal(run_simulate_cli(out, sizeof(out), 1, none), 2);
	(void)state;
}

/* A `campaign:` scenario runs the dialer's pacer: seeds in order, figures per run and
   their mean, and the predictive campaign of the benchmark meets its goal. */
static void test_simulate_cli_runs_a_campaign(void **state)
{
	static char out[1 << 20];
	char *argv[] = {"simulate", "examples/simulate/campaign-predictive.yaml",
			"--seed",   "11",
			"--seeds",  "3",
			"--format", "json",
			NULL};
	char *text[] = {"simulate", "examples/simulate/campaign-predictive.yaml", NULL};
	char *contact_seeds[] = {"simulate", "examples/simulate/support-day.yaml", "--seeds", "2",
				 NULL};
	json_error_t je;
	json_t *j, *runs;

	assert_int_equal(run_simulate_cli(out, sizeof(out), 8, argv), 0);
	j = json_loads(out, 0, &je);
	if (!j)
		fail_msg("not JSON: %s", je.text);
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "predictive");
	assert_int_equal(json_integer_value(json_object_get(j, "agents")), 25);
	runs = json_object_get(j, "runs");
	assert_int_equal(json_array_size(runs), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *r = json_array_get(runs, i);
		double ab = json_real_value(json_object_get(r, "abandon_rate"));
		double work = json_real_value(json_object_get(r, "work_min_per_agent_hour"));
		assert_int_equal(json_integer_value(json_object_get(r, "seed")), 11 + (int)i);
		assert_true(ab > 0 && ab <= 0.03);
		assert_true(work >= 50);
		assert_int_equal(json_integer_value(json_object_get(r, "connected")) +
				     json_integer_value(json_object_get(r, "abandoned")),
				 json_integer_value(json_object_get(r, "person")));
	}
	assert_non_null(json_object_get(json_object_get(j, "mean"), "occupancy"));
	json_decref(j);
	assert_int_equal(run_simulate_cli(out, sizeof(out), 2, text), 0);
	assert_non_null(strstr(out, "Campaign Renewals, predictive: predictive, 25 agents"));
	assert_int_equal(run_simulate_cli(out, sizeof(out), 4, contact_seeds), 2);
	assert_non_null(strstr(out, "only for campaign scenarios"));
	(void)state;
}

static void test_campaign_scenario_errors_point_at_line_and_column(void **state)
{
	const char *e = load_errors("duration: 1h\n"
				    "campaign:\n"
				    "  mode: preview\n"
				    "  agents: 0\n"
				    "  answer_rate: 120%\n"
				    "  ring_timeout: 5s\n"
				    "  amd: {action: message}\n"
				    "  colour: red\n");

	assert_non_null(strstr(e, "bad.yaml:8:3: campaign.colour: unknown key"));
	assert_non_null(strstr(e, "bad.yaml:3:9: campaign.mode: expected progressive, "
				  "predictive or agentless"));
	assert_non_null(strstr(e, "bad.yaml:4:11: campaign.agents: 0 is out of range"));
	assert_non_null(strstr(e, "bad.yaml:5:16: campaign.answer_rate: expected a share"));
	assert_non_null(strstr(e, "bad.yaml:6:17: campaign.ring_timeout: must be at least 15s"));
	assert_non_null(strstr(e, "campaign.amd.action: the simulator knows hangup"));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simulation_matches_erlang_c),
	    cmocka_unit_test(test_same_seed_gives_the_same_day),
	    cmocka_unit_test(test_every_contact_is_accounted_for),
	    cmocka_unit_test(test_understaffed_queue_loses_callers),
	    cmocka_unit_test(test_max_wait_overflows_in_simulation),
	    cmocka_unit_test(test_shifts_decide_who_answers),
	    cmocka_unit_test(test_a_day_with_100_agents),
	    cmocka_unit_test(test_scenario_errors_point_at_line_and_column),
	    cmocka_unit_test(test_scenario_requires_its_sections),
	    cmocka_unit_test(test_simulate_cli_prints_json),
	    cmocka_unit_test(test_simulate_cli_text_and_errors),
	    cmocka_unit_test(test_simulate_cli_runs_a_campaign),
	    cmocka_unit_test(test_campaign_scenario_errors_point_at_line_and_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
