/*
 * Private structures of the report module: the parsed simulation scenario and the
 * simulation result, shared by scenario.c, sim.c and sim_out.c.
 */
#ifndef CENTRALA_REPORT_REPORT_INT_H
#define CENTRALA_REPORT_REPORT_INT_H

#include "dialer/dialer.h"
#include "report/report.h"

enum report_dist_kind {
	REPORT_DIST_NONE, /* patience only: never gives up */
	REPORT_DIST_EXPONENTIAL,
	REPORT_DIST_FIXED,
	REPORT_DIST_NORMAL,
	REPORT_DIST_LOGNORMAL,
	REPORT_DIST_UNIFORM,
};

/* A distribution of durations, in seconds. */
struct report_dist {
	enum report_dist_kind kind;
	double mean, sd, min, max;
};

struct report_sim_queue {
	char *id;
	struct acd_queue_params p; /* skills and add_queue hold scenario indexes */
	struct report_dist handle, patience;
	double *rates; /* contacts per second, one per interval; the last one repeats */
	size_t nrates;
};

struct report_sim_break {
	uint64_t at_ms, len_ms;
};

struct report_sim_group {
	char *name;
	uint32_t count;
	struct acd_skill_level *skills; /* skill = scenario skill index */
	size_t nskills;
	struct acd_membership *queues; /* queue = scenario queue index */
	size_t nqueues;
	int capacity[ACD_CH_COUNT];
	uint64_t start_ms, end_ms; /* shift; end UINT64_MAX: until the day drains */
	struct report_sim_break *breaks;
	size_t nbreaks;
};

struct report_scenario {
	char *file;
	char *name;
	uint64_t duration_ms, interval_ms, start_label_ms, answer_delay_ms;
	uint64_t seed;
	char **skills;
	size_t nskills;
	struct report_sim_queue *queues;
	size_t nqueues;
	struct report_sim_group *groups;
	size_t ngroups;
	bool is_campaign; /* `campaign:` instead of queues and agents (campaign.c) */
	struct dialer_sim_params campaign;
};

struct report_sim_result {
	char *file, *name;
	uint64_t seed, duration_ms, interval_ms, start_label_ms;
	size_t nqueues, nintervals;
	char **queue_ids;
	enum acd_strategy_id *strategies;
	enum acd_sl_formula *formulas;
	uint64_t *sl_ms;
	uint8_t *sl_pct;
	/* (nqueues + 1) x (nintervals + 1): the last row is all queues, the last column
	 * the total. */
	struct report_sim_figures *fig;
	uint64_t contacts, agents, end_ms;
	double cpu_s;
};

static inline struct report_sim_figures *report__fig(struct report_sim_result *r, size_t q,
						     size_t i)
{
	return &r->fig[q * (r->nintervals + 1) + i];
}

struct cy;
struct fy_node;
/* scenario.c: a distribution of durations at n (key path `path`). */
void report__parse_dist(struct cy *cy, struct fy_node *n, const char *path, bool patience,
			struct report_dist *d);
/* campaign.c: the `campaign:` section of a scenario. */
void report__parse_campaign(struct cy *cy, struct fy_node *n, struct report_scenario *s);
int report__campaign_cli(const struct report_scenario *s, bool use_seed, uint64_t seed,
			 uint32_t seeds, bool json);

void report__figures_finish(struct report_sim_figures *f, enum acd_sl_formula formula);

#endif
