/*
 * `centrala simulate SCENARIO.yaml [--seed N] [--format text|json]`: loads a scenario,
 * runs it through the ACD with virtual time and prints the figures.
 */
#include "report/report_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: centrala simulate SCENARIO.yaml [--seed N] [--seeds N] [--format text|json]\n"
    "  Runs a day of the contact center described by SCENARIO.yaml (docs/simulate.md)\n"
    "  through the real routing code with virtual time, and prints per queue and per\n"
    "  interval: offered, answered, abandoned, overflowed, service level, ASA, AHT and\n"
    "  occupancy. A scenario with `campaign:` runs an outbound campaign through the\n"
    "  dialer's pacing and prints abandonment, occupancy, talk + wrap minutes per\n"
    "  agent-hour and calls per hour.\n"
    "  --seed N       random seed (default: the scenario's `seed`, else 1)\n"
    "  --seeds N      campaigns: run N seeds from the first one, with mean and worst\n"
    "  --format FMT   text (default) or json\n";

int report_simulate_cli(int argc, char **argv)
{
	const char *path = NULL, *format = "text", *seed_s = NULL, *seeds_s = NULL;
	struct report_scenario *s = NULL;
	struct report_sim_result *r = NULL;
	unsigned long long seed = 0, seeds = 1;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "--seeds") || !strncmp(a, "--seeds=", 8))
			slot = &seeds_s;
		else if (!strcmp(a, "--seed") || !strncmp(a, "--seed=", 7))
			slot = &seed_s;
		else if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9))
			slot = &format;
		if (slot) {
			const char *eq = strchr(a, '=');
			if (eq) {
				*slot = eq + 1;
			} else if (i + 1 < argc) {
				*slot = argv[++i];
			} else {
				fprintf(stderr, "centrala simulate: %s needs a value\n", a);
				return 2;
			}
			continue;
		}
		if (a[0] == '-' || path) {
			fprintf(stderr, "centrala simulate: unexpected argument \"%s\"\n%s", a,
				usage);
			return 2;
		}
		path = a;
	}
	if (!path) {
		fprintf(stderr, "centrala simulate: a scenario file is required\n%s", usage);
		return 2;
	}
	if (strcmp(format, "text") && strcmp(format, "json")) {
		fprintf(stderr, "centrala simulate: --format: expected text or json, got \"%s\"\n",
			format);
		return 2;
	}
	if (seed_s) {
		char *end;
		errno = 0;
		seed = strtoull(seed_s, &end, 10);
		if (errno || *end || end == seed_s || *seed_s == '-') {
			fprintf(stderr,
				"centrala simulate: --seed: expected a whole number, got \"%s\"\n",
				seed_s);
			return 2;
		}
	}
	if (seeds_s) {
		char *end;
		errno = 0;
		seeds = strtoull(seeds_s, &end, 10);
		if (errno || *end || end == seeds_s || !seeds || seeds > 100000) {
			fprintf(stderr,
				"centrala simulate: --seeds: expected 1 to 100000, got \"%s\"\n",
				seeds_s);
			return 2;
		}
	}
	rc = report_scenario_load_file(path, stderr, &s);
	if (rc == EINVAL)
		return 1;
	if (rc) {
		fprintf(stderr, "centrala simulate: %s: %s\n", path, strerror(rc));
		return 1;
	}
	if (s->is_campaign) {
		rc = report__campaign_cli(s, seed_s != NULL, seed, (uint32_t)seeds,
					  !strcmp(format, "json"));
		report_scenario_free(s);
		return rc;
	}
	if (seeds_s) {
		fprintf(stderr, "centrala simulate: --seeds: only for campaign scenarios\n");
		report_scenario_free(s);
		return 2;
	}
	rc = report_sim_run(s, seed_s != NULL, seed, stderr, &r);
	report_scenario_free(s);
	if (rc) {
		if (rc != EINVAL)
			fprintf(stderr, "centrala simulate: %s: %s\n", path, strerror(rc));
		return 1;
	}
	if (!strcmp(format, "json"))
		rc = report_sim_print_json(r, stdout);
	else
		report_sim_print_text(r, stdout);
	report_sim_result_free(r);
	return rc ? 1 : 0;
}
