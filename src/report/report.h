/*
 * Reporting and capacity planning: Erlang C staffing (`centrala erlang`), the contact
 * center simulator that drives the real ACD library with virtual time
 * (`centrala simulate`), and helpers that turn ACD counters and agent state events into
 * interval reports (service level, ASA, AHT, occupancy per 15/30/60 minutes).
 *
 * Everything here is pure computation except the two *_cli entry points, which read
 * their arguments and files and print to stdout/stderr.
 */
#ifndef CENTRALA_REPORT_REPORT_H
#define CENTRALA_REPORT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acd/acd.h"

/* ---- Erlang C (DOMAIN.md) ---- */

/* Erlang B blocking for `a` erlangs on `n` servers, by the recursion
 * B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)); never overflows. */
double report_erlang_b(double a, unsigned n);
/* Probability of waiting, C(n, a); 1 when n <= a (the queue grows without bound). */
double report_erlang_c(double a, unsigned n);
/* Average speed of answer in the unit of aht: C aht / (n - a); INFINITY when n <= a. */
double report_erlang_asa(double a, unsigned n, double aht);
/* Share answered within t: 1 - C e^(-(n - a) t / aht); 0 when n <= a. */
double report_erlang_sl(double a, unsigned n, double aht, double t);
/* a / n, at most 1. */
double report_erlang_occupancy(double a, unsigned n);

struct report_erlang {
	unsigned agents;
	double traffic_erlangs;
	double p_wait;
	double asa_s; /* INFINITY when agents <= traffic */
	double service_level;
	double occupancy;
	unsigned scheduled; /* ceil(agents / (1 - shrinkage)); = agents without shrinkage */
};

/*
 * Staffing figures for `rate_per_s` contacts per second of `aht_s` seconds answered
 * within `within_s`. With agents = 0, finds the fewest agents whose service level
 * reaches `target` (0 < target < 1). shrinkage is 0 <= s < 1. Returns 0, EINVAL, or
 * ERANGE when more than 10 million agents would be needed.
 */
int report_erlang_solve(double rate_per_s, double aht_s, double within_s, unsigned agents,
			double target, double shrinkage, struct report_erlang *out);

/*
 * `centrala erlang --rate 720/h --aht 240s --answer-within 15s [--agents N]
 * [--target 0.8] [--shrinkage 0.3]`: prints one JSON object {"agents",
 * "traffic_erlangs", "p_wait", "asa_s", "service_level", "occupancy"} (plus
 * "scheduled" with --shrinkage) on stdout. argv[0] is "erlang". Returns the exit
 * status: 0, or 2 after a message on stderr for bad arguments.
 */
int report_erlang_cli(int argc, char **argv);

/* Parses a rate: "720/h", "12/m", "0.2/s" ("/hour", "/min", "/sec" too); a bare number
 * is per hour. Writes contacts per second. Returns 0 or EINVAL. */
int report_parse_rate(const char *s, double *per_s);
/* Parses a duration with decimals: "240s", "3.5m", "1h", "500ms"; a bare number is
 * seconds. Returns 0 or EINVAL. */
int report_parse_seconds(const char *s, double *seconds);

/* ---- interval reports ---- */

/* Start of the interval containing t: origin + k * len, len > 0. */
uint64_t report_interval_start(uint64_t origin_ms, uint64_t len_ms, uint64_t t_ms);

/* Counters of one interval: the difference of two snapshots taken at its ends (all
 * fields except max_wait_answered_ms, which is copied from `end`). */
void report_counters_diff(const struct acd_queue_counters *start,
			  const struct acd_queue_counters *end, struct acd_queue_counters *out);

/* Time an agent spent in each state, fed with the ACD's state events. */
struct report_agent_time {
	enum acd_state state;
	uint64_t since_ms;
	uint64_t ms[ACD_STATE_COUNT];
};

void report_agent_time_init(struct report_agent_time *t, enum acd_state st, uint64_t now_ms);
/* Accounts the time since the last change to the old state and moves to `to`. */
void report_agent_time_change(struct report_agent_time *t, enum acd_state to, uint64_t now_ms);
/* Occupancy: (reserved + busy + wrap-up) / (that + ready); -1 when never available. */
double report_occupancy(const struct report_agent_time *t);

/* ---- simulator ---- */

struct report_scenario;

/* Loads and checks a scenario (docs/simulate.md). Returns 0 with *out set, or EINVAL
 * after writing every error ("FILE:LINE:COL: key.path: message") to `err`, or ENOMEM.
 * `name` is used in messages when parsing text. */
int report_scenario_load_file(const char *path, FILE *err, struct report_scenario **out);
int report_scenario_load_string(const char *name, const char *text, FILE *err,
				struct report_scenario **out);
void report_scenario_free(struct report_scenario *s);

/* Figures of one queue over one interval (or a total). Contacts are counted in the
 * interval they arrived in. */
struct report_sim_figures {
	uint64_t offered, answered, abandoned, abandoned_short, overflowed, unfinished;
	uint64_t answered_in_sl, abandoned_in_sl;
	uint64_t wait_answered_ms, handled, handle_ms;
	double busy_ms, idle_ms; /* agents' time on this queue's contacts / free */
	double service_level;	 /* by the queue's formula, -1 when nothing to measure */
	double asa_s, aht_s;	 /* -1 when none */
	double occupancy;	 /* -1 when no agent time */
};

struct report_sim_result;

/* Runs the scenario with `seed` (the scenario's own seed when use_seed is false).
 * Returns 0, ENOMEM, or EINVAL when the ACD refuses the scenario (message on err). */
int report_sim_run(const struct report_scenario *s, bool use_seed, uint64_t seed, FILE *err,
		   struct report_sim_result **out);
void report_sim_result_free(struct report_sim_result *r);

size_t report_sim_nqueues(const struct report_sim_result *r);
size_t report_sim_nintervals(const struct report_sim_result *r);
const char *report_sim_queue_id(const struct report_sim_result *r, size_t q);
/* Figures of queue q in interval i; i == report_sim_nintervals() is the queue's total;
 * q == report_sim_nqueues() is all queues together. NULL when out of range. */
const struct report_sim_figures *report_sim_figures(const struct report_sim_result *r, size_t q,
						    size_t i);
/* Contacts simulated, and the virtual time reached (ms) when the run drained. */
uint64_t report_sim_contacts(const struct report_sim_result *r);

/* Prints the result as text tables or as one JSON document. */
void report_sim_print_text(const struct report_sim_result *r, FILE *f);
int report_sim_print_json(const struct report_sim_result *r, FILE *f);

/*
 * `centrala simulate SCENARIO.yaml [--seed N] [--format text|json]`. argv[0] is
 * "simulate". Returns the exit status: 0; 1 for an invalid scenario (errors on stderr
 * as FILE:LINE:COL: path: message); 2 for bad arguments.
 */
int report_simulate_cli(int argc, char **argv);

#endif
