/*
 * Outbound campaigns in `centrala simulate`: a scenario with a `campaign:` section
 * (docs/simulate.md) runs the dialer's own pacer (src/dialer, the code the daemon paces
 * live campaigns with) through dialer_sim_run(), for one seed or many, and prints
 * abandonment, occupancy, talk + wrap minutes per agent-hour and calls per hour.
 */
#include "report/report_int.h"

#include "core/yaml.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLEN 256

static void share(struct cy *cy, struct fy_node *n, const char *key, double *out)
{
	const char *str;
	char p[PLEN];

	cy_path(p, sizeof(p), "campaign", key);
	if (!cy_get_str(cy, n, "campaign", key, false, &str) && dialer_parse_share(str, out))
		cy_error(cy, cy_get(n, key), p, "expected a share such as 20%% or 0.2, got \"%s\"",
			 str);
}

static void seconds(struct cy *cy, struct fy_node *n, const char *key, double *out)
{
	const char *str;
	char p[PLEN];

	cy_path(p, sizeof(p), "campaign", key);
	if (!cy_get_str(cy, n, "campaign", key, false, &str) && report_parse_seconds(str, out))
		cy_error(cy, cy_get(n, key), p,
			 "expected a duration such as 30s or 2.5s, got \"%s\"", str);
}

static void dist(struct cy *cy, struct fy_node *n, const char *key, struct dialer_dist *out)
{
	struct report_dist d;
	char p[PLEN];

	if (!cy_get(n, key))
		return;
	report__parse_dist(cy, cy_get(n, key), cy_path(p, sizeof(p), "campaign", key), false, &d);
	out->kind = d.kind == REPORT_DIST_FIXED	      ? DIALER_DIST_FIXED
		    : d.kind == REPORT_DIST_NORMAL    ? DIALER_DIST_NORMAL
		    : d.kind == REPORT_DIST_LOGNORMAL ? DIALER_DIST_LOGNORMAL
		    : d.kind == REPORT_DIST_UNIFORM   ? DIALER_DIST_UNIFORM
						      : DIALER_DIST_EXPONENTIAL;
	out->mean = d.mean;
	out->sd = d.sd;
	out->min = d.min;
	out->max = d.max;
}

void report__parse_campaign(struct cy *cy, struct fy_node *n, struct report_scenario *s)
{
	static const char *const keys[] = {
	    "mode",	   "agents",	  "answer_rate",    "machine_rate",
	    "handle_time", "wrap_up",	  "ring_time",	    "ring_timeout",
	    "amd",	   "abandon_cap", "abandon_window", "lines",
	    "max_ratio",   NULL};
	static const char *const amd_keys[] = {"action", "decision", NULL};
	struct dialer_sim_params *c = &s->campaign;
	const char *str;
	struct fy_node *amd;
	long v;
	char p[PLEN];

	s->is_campaign = true;
	*c = (struct dialer_sim_params){
	    .pacer = {.mode = DIALER_PREDICTIVE, .abandon_cap = 0.03},
	    .person_rate = 0.2,
	    .machine_rate = 0.1,
	    .ring = {.kind = DIALER_DIST_LOGNORMAL, .mean = 12, .sd = 6},
	    .ring_timeout_s = 25,
	    .handle = {.kind = DIALER_DIST_EXPONENTIAL, .mean = 180},
	    .wrap_s = 30,
	    .amd = true,
	    .amd_s = 2.5,
	};
	if (!cy_is_map(cy, n, "campaign"))
		return;
	cy_check_keys(cy, n, "campaign", keys);
	if (!cy_get_str(cy, n, "campaign", "mode", false, &str) &&
	    (dialer_mode_parse(str, &c->pacer.mode) || c->pacer.mode == DIALER_PREVIEW))
		cy_error(cy, cy_get(n, "mode"), "campaign.mode",
			 "expected progressive, predictive or agentless, got \"%s\"", str);
	if (!cy_get_int(cy, n, "campaign", "agents", true, 1, 100000, &v))
		c->agents = (uint32_t)v;
	if (!cy_get_int(cy, n, "campaign", "lines", false, 0, 100000, &v))
		c->pacer.lines = (uint32_t)v;
	if (c->pacer.mode == DIALER_AGENTLESS && !c->pacer.lines)
		cy_error(cy, n, "campaign.lines", "an agentless campaign needs its lines");
	share(cy, n, "answer_rate", &c->person_rate);
	share(cy, n, "machine_rate", &c->machine_rate);
	if (c->person_rate + c->machine_rate > 1)
		cy_error(cy, n, "campaign",
			 "answer_rate and machine_rate add up to more than 100%%");
	share(cy, n, "abandon_cap", &c->pacer.abandon_cap);
	if (!(c->pacer.abandon_cap > 0) || c->pacer.abandon_cap >= 1)
		cy_error(cy, cy_get(n, "abandon_cap"), "campaign.abandon_cap",
			 "must be above 0%% and below 100%%");
	cy_get_ms(cy, n, "campaign", "abandon_window", false, &c->pacer.window_ms);
	dist(cy, n, "handle_time", &c->handle);
	dist(cy, n, "ring_time", &c->ring);
	seconds(cy, n, "wrap_up", &c->wrap_s);
	seconds(cy, n, "ring_timeout", &c->ring_timeout_s);
	if (c->ring_timeout_s < 15)
		cy_error(cy, cy_get(n, "ring_timeout"), "campaign.ring_timeout",
			 "must be at least 15s (calls ring at least 15 s before giving up)");
	if (!cy_get_str(cy, n, "campaign", "max_ratio", false, &str)) {
		char *end;
		c->pacer.max_ratio = strtod(str, &end);
		if (*end || !(c->pacer.max_ratio >= 1))
			cy_error(cy, cy_get(n, "max_ratio"), "campaign.max_ratio",
				 "expected a number of at least 1, got \"%s\"", str);
	}
	amd = cy_get(n, "amd");
	if (amd && fy_node_is_scalar(amd) && !strcmp(cy_text(amd), "none")) {
		c->amd = false;
	} else if (amd && cy_is_map(cy, amd, "campaign.amd")) {
		cy_check_keys(cy, amd, "campaign.amd", amd_keys);
		if (!cy_get_str(cy, amd, "campaign.amd", "action", false, &str) &&
		    strcmp(str, "hangup"))
			cy_error(cy, cy_get(amd, "action"), "campaign.amd.action",
				 "the simulator knows hangup (or amd: none), got \"%s\"", str);
		if (!cy_get_str(cy, amd, "campaign.amd", "decision", false, &str) &&
		    report_parse_seconds(str, &c->amd_s))
			cy_error(cy, cy_get(amd, "decision"),
				 cy_path(p, sizeof(p), "campaign.amd", "decision"),
				 "expected a duration such as 2.5s, got \"%s\"", str);
	}
}

struct acc {
	double sum, min, max;
};

static void acc_add(struct acc *a, double v, bool first)
{
	a->sum += v;
	if (first || v < a->min)
		a->min = v;
	if (first || v > a->max)
		a->max = v;
}

static json_t *json_run(uint64_t seed, const struct dialer_sim_result *r)
{
	return json_pack("{sI sI sI sI sI sI sI sf sf sf sf sf sf}", "seed", (json_int_t)seed,
			 "dialed", (json_int_t)r->dialed, "person", (json_int_t)r->person,
			 "machine", (json_int_t)r->machine, "no_answer", (json_int_t)r->no_answer,
			 "connected", (json_int_t)r->connected, "abandoned",
			 (json_int_t)r->abandoned, "abandon_rate", r->abandon_rate, "abandon_upper",
			 r->abandon_upper, "occupancy", r->occupancy, "work_min_per_agent_hour",
			 r->work_min_per_agent_hour, "calls_per_hour", r->calls_per_hour,
			 "connects_per_hour", r->connects_per_hour);
}

int report__campaign_cli(const struct report_scenario *s, bool use_seed, uint64_t seed,
			 uint32_t seeds, bool json)
{
	struct dialer_sim_params p = s->campaign;
	struct acc ab = {0}, up = {0}, occ = {0}, work = {0}, cph = {0};
	uint64_t first = use_seed ? seed : s->seed;
	json_t *runs = NULL;
	int rc;

	p.duration_ms = s->duration_ms;
	if (!seeds)
		seeds = 1;
	if (json) {
		runs = json_array();
		if (!runs)
			return 1;
	} else {
		printf("Campaign%s%s: %s, %u agents, %.1f h, answer rate %.0f%%, machines %.0f%%, "
		       "cap %.1f%%\n\n%6s %8s %7s %7s %9s %8s %8s %10s %10s %9s\n",
		       s->name[0] ? " " : "", s->name, dialer_mode_name(p.pacer.mode), p.agents,
		       (double)p.duration_ms / 3600000.0, 100 * p.person_rate, 100 * p.machine_rate,
		       100 * p.pacer.abandon_cap, "seed", "dialed", "person", "abandon", "abandon%",
		       "upper%", "occup%", "work/ag-h", "calls/h", "connect/h");
	}
	for (uint32_t i = 0; i < seeds; i++) {
		struct dialer_sim_result r;
		p.seed = first + i;
		rc = dialer_sim_run(&p, &r);
		if (rc) {
			fprintf(stderr, "centrala simulate: %s: %s\n", s->file, strerror(rc));
			json_decref(runs);
			return 1;
		}
		acc_add(&ab, r.abandon_rate, !i);
		acc_add(&up, r.abandon_upper, !i);
		acc_add(&occ, r.occupancy, !i);
		acc_add(&work, r.work_min_per_agent_hour, !i);
		acc_add(&cph, r.calls_per_hour, !i);
		if (json) {
			json_array_append_new(runs, json_run(p.seed, &r));
		} else {
			printf("%6llu %8llu %7llu %7llu %9.2f %8.2f %8.1f %10.1f %10.0f %9.0f\n",
			       (unsigned long long)p.seed, (unsigned long long)r.dialed,
			       (unsigned long long)r.person, (unsigned long long)r.abandoned,
			       100 * r.abandon_rate, 100 * r.abandon_upper, 100 * r.occupancy,
			       r.work_min_per_agent_hour, r.calls_per_hour, r.connects_per_hour);
		}
	}
	if (json) {
		json_t *o = json_pack(
		    "{ss ss sI sf so s{sf sf sf sf sf} sf sf sf}", "name", s->name, "mode",
		    dialer_mode_name(p.pacer.mode), "agents", (json_int_t)p.agents, "hours",
		    (double)p.duration_ms / 3600000.0, "runs", runs, "mean", "abandon_rate",
		    ab.sum / seeds, "abandon_upper", up.sum / seeds, "occupancy", occ.sum / seeds,
		    "work_min_per_agent_hour", work.sum / seeds, "calls_per_hour", cph.sum / seeds,
		    "max_abandon_rate", ab.max, "max_abandon_upper", up.max,
		    "min_work_min_per_agent_hour", work.min);
		rc = !o || json_dumpf(o, stdout, JSON_INDENT(2)) ? 1 : 0;
		putchar('\n');
		json_decref(o);
		return rc;
	} else if (seeds > 1) {
		printf("%6s %8s %7s %7s %9.2f %8.2f %8.1f %10.1f %10.0f\n", "mean", "", "", "",
		       100 * ab.sum / seeds, 100 * up.sum / seeds, 100 * occ.sum / seeds,
		       work.sum / seeds, cph.sum / seeds);
		printf("%6s %8s %7s %7s %9.2f %8.2f %8.1f %10.1f %10.0f\n", "worst", "", "", "",
		       100 * ab.max, 100 * up.max, 100 * occ.min, work.min, cph.min);
	}
	return 0;
}
