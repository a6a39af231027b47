/* Erlang C staffing, `centrala erlang`, units, and the interval report helpers. */
#include <errno.h>
#include <fcntl.h>
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

static void near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.12g, want %.12g (+- %g)", got, want, tol);
}

/* Runs report_erlang_cli with stdout and stderr captured into out/err. */
static int run_cli(char *out, size_t outsz, char *err, size_t errsz, int argc, ...)
{
	char *argv[16];
	char opath[] = "/tmp/centrala-test-out-XXXXXX", epath[] = "/tmp/centrala-test-err-XXXXXX";
	int ofd = mkstemp(opath), efd = mkstemp(epath), so = dup(1), se = dup(2), rc;
	va_list ap;
	ssize_t n;

	assert_true(ofd >= 0 && efd >= 0 && argc < 16);
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	dup2(ofd, 1);
	dup2(efd, 2);
	rc = report_erlang_cli(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	n = pread(ofd, out, outsz - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	n = pread(efd, err, errsz - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(ofd);
	close(efd);
	unlink(opath);
	unlink(epath);
	return rc;
}

static void test_erlang_b_small_values(void **state)
{
	near(report_erlang_b(1, 1), 0.5, 1e-12);
	near(report_erlang_b(2, 2), 0.4, 1e-12); /* (4/2) / (1 + 2 + 4/2) */
	near(report_erlang_b(3, 0), 1.0, 1e-12);
	(void)state;
}

static void test_erlang_c_matches_direct_formula(void **state)
{
	/* C(2, 1) = (1/2 * 2) / (1 + 1 + 1) = 1/3 */
	near(report_erlang_c(1, 2), 1.0 / 3, 1e-12);
	near(report_erlang_asa(1, 2, 180), 1.0 / 3 * 180, 1e-9);
	near(report_erlang_occupancy(1, 2), 0.5, 1e-12);
	(void)state;
}

static void test_staffing_720_per_hour_240s_within_20s_needs_54_agents(void **state)
{
	struct report_erlang r;

	assert_int_equal(report_erlang_solve(720.0 / 3600, 240, 20, 0, 0.8, 0, &r), 0);
	assert_int_equal(r.agents, 54);
	near(r.traffic_erlangs, 48, 1e-9);
	near(r.p_wait, 0.3013078994, 1e-9);
	near(r.asa_s, 12.05231598, 1e-7);
	near(r.service_level, 0.817247521, 1e-9);
	near(r.occupancy, 48.0 / 54, 1e-12);
	/* 53 agents fall short: 75.2 % */
	near(report_erlang_sl(48, 53, 240, 20), 0.7517682452, 1e-9);
	(void)state;
}

static void test_staffing_720_per_hour_within_15s_needs_55_agents(void **state)
{
	struct report_erlang r;

	assert_int_equal(report_erlang_solve(0.2, 240, 15, 0, 0.8, 0, &r), 0);
	assert_int_equal(r.agents, 55);
	near(r.service_level, 0.8458830922, 1e-9);
	near(r.asa_s, 8.184032104, 1e-7);
	(void)state;
}

static void test_staffing_100_calls_per_half_hour_needs_14_agents(void **state)
{
	/* The textbook example: 100 calls in 30 minutes, 180 s, 80/20 -> 14 agents, 88.8 %. */
	struct report_erlang r;

	assert_int_equal(report_erlang_solve(200.0 / 3600, 180, 20, 0, 0.8, 0.3, &r), 0);
	assert_int_equal(r.agents, 14);
	near(r.p_wait, 0.1741319336, 1e-9);
	near(r.service_level, 0.8883500192, 1e-9);
	assert_int_equal(r.scheduled, 20); /* 14 / 0.7 */
	(void)state;
}

static void test_large_traffic_does_not_overflow(void **state)
{
	struct report_erlang r;

	assert_int_equal(report_erlang_solve(200000.0 / 3600, 180, 20, 0, 0.8, 0, &r), 0);
	near(r.traffic_erlangs, 10000, 1e-6);
	assert_true(r.agents > 10000 && r.agents < 10200);
	assert_true(r.service_level >= 0.8 && isfinite(r.asa_s));
	assert_true(report_erlang_sl(10000, r.agents - 1, 180, 20) < 0.8);
	(void)state;
}

static void test_too_few_agents_is_unstable(void **state)
{
	struct report_erlang r;

	assert_int_equal(report_erlang_solve(0.2, 240, 20, 48, 0.8, 0, &r), 0);
	near(r.p_wait, 1, 0);
	assert_true(isinf(r.asa_s));
	near(r.service_level, 0, 0);
	near(r.occupancy, 1, 0);
	(void)state;
}

static void test_solve_rejects_bad_input(void **state)
{
	struct report_erlang r;

	assert_int_equal(report_erlang_solve(0, 240, 20, 0, 0.8, 0, &r), EINVAL);
	assert_int_equal(report_erlang_solve(0.2, -1, 20, 0, 0.8, 0, &r), EINVAL);
	assert_int_equal(report_erlang_solve(0.2, 240, 20, 0, 1.0, 0, &r), EINVAL);
	assert_int_equal(report_erlang_solve(0.2, 240, 20, 0, 0.8, 1.0, &r), EINVAL);
	(void)state;
}

static void test_rate_units(void **state)
{
	double r;

	assert_int_equal(report_parse_rate("720/h", &r), 0);
	near(r, 0.2, 1e-12);
	assert_int_equal(report_parse_rate("12/m", &r), 0);
	near(r, 0.2, 1e-12);
	assert_int_equal(report_parse_rate("0.2/s", &r), 0);
	near(r, 0.2, 1e-12);
	assert_int_equal(report_parse_rate("720", &r), 0);
	near(r, 0.2, 1e-12);
	assert_int_equal(report_parse_rate("720/d", &r), EINVAL);
	assert_int_equal(report_parse_rate("-5/h", &r), EINVAL);
	assert_int_equal(report_parse_rate("", &r), EINVAL);
	(void)state;
}

static void test_duration_units(void **state)
{
	double s;

	assert_int_equal(report_parse_seconds("240s", &s), 0);
	near(s, 240, 0);
	assert_int_equal(report_parse_seconds("3.5m", &s), 0);
	near(s, 210, 1e-9);
	assert_int_equal(report_parse_seconds("500ms", &s), 0);
	near(s, 0.5, 1e-12);
	assert_int_equal(report_parse_seconds("1h", &s), 0);
	near(s, 3600, 0);
	assert_int_equal(report_parse_seconds("15", &s), 0);
	near(s, 15, 0);
	assert_int_equal(report_parse_seconds("4 minutes", &s), EINVAL);
	(void)state;
}

static void test_erlang_cli_prints_one_json_object(void **state)
{
	char out[1024], err[1024];
	json_error_t je;
	json_t *j;

	assert_int_equal(run_cli(out, sizeof(out), err, sizeof(err), 7, "erlang", "--rate", "720/h",
				 "--aht", "240s", "--answer-within", "20s"),
			 0);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "agents")), 54);
	near(json_number_value(json_object_get(j, "traffic_erlangs")), 48, 1e-9);
	near(json_number_value(json_object_get(j, "p_wait")), 0.3013078994, 1e-9);
	near(json_number_value(json_object_get(j, "asa_s")), 12.05231598, 1e-7);
	near(json_number_value(json_object_get(j, "service_level")), 0.817247521, 1e-9);
	near(json_number_value(json_object_get(j, "occupancy")), 0.8888888889, 1e-9);
	assert_null(json_object_get(j, "scheduled"));
	assert_int_equal(json_object_size(j), 6);
	json_decref(j);
	assert_string_equal(err, "");
}

static void test_erlang_cli_with_agents_and_shrinkage(void **state)
{
	char out[1024], err[1024];
	json_error_t je;
	json_t *j;

	assert_int_equal(run_cli(out, sizeof(out), err, sizeof(err), 12, "erlang", "--rate=12/m",
				 "--aht", "4m", "--answer-within", "15s", "--agents", "56",
				 "--target", "90%", "--shrinkage", "0.3"),
			 0);
	j = json_loads(out, 0, &je);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "agents")), 56);
	assert_int_equal(json_integer_value(json_object_get(j, "scheduled")), 80);
	json_decref(j);
}

static void test_erlang_cli_bad_arguments_exit_2(void **state)
{
	char out[1024], err[1024];

	assert_int_equal(run_cli(out, sizeof(out), err, sizeof(err), 5, "erlang", "--rate", "lots",
				 "--aht", "240s"),
			 2);
	assert_non_null(strstr(err, "--rate: expected a rate"));
	assert_string_equal(out, "");
	assert_int_equal(
	    run_cli(out, sizeof(out), err, sizeof(err), 3, "erlang", "--rate", "720/h"), 2);
	assert_non_null(strstr(err, "--aht are required"));
	assert_int_equal(run_cli(out, sizeof(out), err, sizeof(err), 6, "erlang", "--rate", "720/h",
				 "--aht", "240s", "--agnets"),
			 2);
	assert_non_null(strstr(err, "unknown argument \"--agnets\""));
	assert_int_equal(run_cli(out, sizeof(out), err, sizeof(err), 7, "erlang", "--rate", "720/h",
				 "--aht", "240s", "--target", "1.5"),
			 2);
	assert_non_null(strstr(err, "--target"));
	assert_int_equal(run_cli(out, sizeof(out), err, sizeof(err), 7, "erlang", "--rate", "720/h",
				 "--aht", "240s", "--agents", "0"),
			 2);
}

static void test_interval_start(void **state)
{
	assert_int_equal(report_interval_start(0, 900000, 1799999), 900000);
	assert_int_equal(report_interval_start(1000, 1800000, 1800999), 1000);
	assert_int_equal(report_interval_start(1000, 1800000, 1801000), 1801000);
	(void)state;
}

static void test_counters_diff_gives_the_interval(void **state)
{
	struct acd_queue_counters a = {.offered = 10, .answered = 8, .max_wait_answered_ms = 9},
				  b = {.offered = 25, .answered = 20, .max_wait_answered_ms = 30},
				  d;

	report_counters_diff(&a, &b, &d);
	assert_int_equal(d.offered, 15);
	assert_int_equal(d.answered, 12);
	assert_int_equal(d.max_wait_answered_ms, 30);
	(void)state;
}

static void test_agent_time_gives_occupancy(void **state)
{
	struct report_agent_time t;

	report_agent_time_init(&t, ACD_STATE_READY, 0);
	assert_true(report_occupancy(&t) < 0);
	report_agent_time_change(&t, ACD_STATE_BUSY, 1000);
	report_agent_time_change(&t, ACD_STATE_WRAP_UP, 3000);
	report_agent_time_change(&t, ACD_STATE_NOT_READY, 4000);
	report_agent_time_change(&t, ACD_STATE_READY, 9000);
	assert_int_equal(t.ms[ACD_STATE_READY], 1000);
	assert_int_equal(t.ms[ACD_STATE_NOT_READY], 5000);
	near(report_occupancy(&t), 3000.0 / 4000, 1e-12);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_erlang_b_small_values),
	    cmocka_unit_test(test_erlang_c_matches_direct_formula),
	    cmocka_unit_test(test_staffing_720_per_hour_240s_within_20s_needs_54_agents),
	    cmocka_unit_test(test_staffing_720_per_hour_within_15s_needs_55_agents),
	    cmocka_unit_test(test_staffing_100_calls_per_half_hour_needs_14_agents),
	    cmocka_unit_test(test_large_traffic_does_not_overflow),
	    cmocka_unit_test(test_too_few_agents_is_unstable),
	    cmocka_unit_test(test_solve_rejects_bad_input),
	    cmocka_unit_test(test_rate_units),
	    cmocka_unit_test(test_duration_units),
	    cmocka_unit_test(test_erlang_cli_prints_one_json_object),
	    cmocka_unit_test(test_erlang_cli_with_agents_and_shrinkage),
	    cmocka_unit_test(test_erlang_cli_bad_arguments_exit_2),
	    cmocka_unit_test(test_interval_start),
	    cmocka_unit_test(test_counters_diff_gives_the_interval),
	    cmocka_unit_test(test_agent_time_gives_occupancy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
