/*
 * `centrala erlang`: staffing from the command line (DESIGN.md contract 2). Prints one
 * JSON object on stdout; bad arguments get one clear message on stderr and exit 2.
 */
#include "report/report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm/crm.h"

static const char usage[] =
    "usage: centrala erlang --rate RATE --aht DURATION [--answer-within DURATION]\n"
    "                       [--agents N] [--target SHARE] [--shrinkage SHARE]\n"
    "  --rate           contacts arriving: 720/h, 12/m, 0.2/s (a bare number is per hour)\n"
    "  --aht            average handle time: 240s, 4m, 3.5m\n"
    "  --answer-within  service level time T (default 20s)\n"
    "  --agents         figures for this many agents; without it, the fewest agents\n"
    "                   whose service level reaches the target\n"
    "  --target         service level target, 0.8 or 80% (default 0.8)\n"
    "  --shrinkage      share of paid time not on the phones, 0.3 or 30%: adds\n"
    "                   \"scheduled\" = agents / (1 - shrinkage), rounded up\n"
    "Prints {\"agents\", \"traffic_erlangs\", \"p_wait\", \"asa_s\", \"service_level\",\n"
    "\"occupancy\"}: P(wait) and service level are shares (0..1), ASA is in seconds.\n";

static int bad(const char *opt, const char *what, const char *got)
{
	fprintf(stderr, "centrala erlang: %s: expected %s, got \"%s\"\n", opt, what, got);
	return 2;
}

/* A share: "0.8" or "80%"; `max_one` excludes 1 itself. */
static int parse_share(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return EINVAL;
	if (*end == '%' && end[1] == '\0')
		v /= 100.0;
	else if (*end)
		return EINVAL;
	*out = v;
	return 0;
}

/* A figure to 10 significant digits, as the output has always had them: a whole one
 * written as an integer ("48", not "48.0"), an infinite one (no finite wait) as null. */
static json_t *figure(double v)
{
	char text[32];

	if (!isfinite(v))
		return json_null();
	snprintf(text, sizeof(text), "%.10g", v);
	v = strtod(text, NULL);
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

int report_erlang_cli(int argc, char **argv)
{
	const char *rate_s = NULL, *aht_s = NULL, *within_s = NULL, *agents_s = NULL;
	const char *target_s = NULL, *shrink_s = NULL;
	double rate, aht, within = 20, target = 0.8, shrink = 0;
	unsigned long agents = 0;
	struct report_erlang r;
	json_t *out;
	char *text;
	int i, err;

	for (i = 1; i < argc; i++) {
		static const struct {
			const char *name;
			size_t off;
		} opts[] = {{"--rate", 0},   {"--aht", 1},    {"--answer-within", 2},
			    {"--agents", 3}, {"--target", 4}, {"--shrinkage", 5}};
		const char **slots[] = {&rate_s,   &aht_s,    &within_s,
					&agents_s, &target_s, &shrink_s};
		const char *arg = argv[i], *val = NULL, *eq;
		size_t k, n;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		eq = strchr(arg, '=');
		n = eq ? (size_t)(eq - arg) : strlen(arg);
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (strlen(opts[k].name) == n && !strncmp(arg, opts[k].name, n))
				break;
		if (k == sizeof(opts) / sizeof(opts[0])) {
			fprintf(stderr, "centrala erlang: unknown argument \"%s\"\n%s", arg, usage);
			return 2;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(stderr, "centrala erlang: %s needs a value\n", opts[k].name);
			return 2;
		}
		*slots[opts[k].off] = val;
	}
	if (!rate_s || !aht_s) {
		fprintf(stderr, "centrala erlang: --rate and --aht are required\n%s", usage);
		return 2;
	}
	if (report_parse_rate(rate_s, &rate) || !(rate > 0))
		return bad("--rate", "a rate above zero such as 720/h, 12/m or 0.2/s", rate_s);
	if (report_parse_seconds(aht_s, &aht) || !(aht > 0))
		return bad("--aht", "a duration above zero such as 240s or 4m", aht_s);
	if (within_s && report_parse_seconds(within_s, &within))
		return bad("--answer-within", "a duration such as 20s", within_s);
	if (agents_s) {
		char *end;
		errno = 0;
		agents = strtoul(agents_s, &end, 10);
		if (errno || *end || end == agents_s || agents < 1 || agents > 10000000 ||
		    *agents_s == '-')
			return bad("--agents", "a whole number from 1 to 10000000", agents_s);
	}
	if (target_s && (parse_share(target_s, &target) || !(target > 0 && target < 1)))
		return bad("--target", "a share between 0 and 1 (exclusive) such as 0.8 or 80%",
			   target_s);
	if (shrink_s && (parse_share(shrink_s, &shrink) || !(shrink >= 0 && shrink < 1)))
		return bad("--shrinkage", "a share from 0 to below 1 such as 0.3 or 30%", shrink_s);
	err = report_erlang_solve(rate, aht, within, (unsigned)agents, target, shrink, &r);
	if (err == ERANGE) {
		fprintf(stderr, "centrala erlang: more than 10000000 agents would be needed\n");
		return 2;
	}
	if (err) {
		fprintf(stderr, "centrala erlang: invalid arguments\n");
		return 2;
	}
	out = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "agents", (json_int_t)r.agents,
			"traffic_erlangs", figure(r.traffic_erlangs), "p_wait", figure(r.p_wait),
			"asa_s", figure(r.asa_s), "service_level", figure(r.service_level),
			"occupancy", figure(r.occupancy));
	if (out && shrink_s)
		json_object_set_new(out, "scheduled", json_integer(r.scheduled));
	text = out ? json_dumps(out, CRM_JSON_FLAGS) : NULL;
	json_decref(out);
	if (!text) {
		fprintf(stderr, "centrala erlang: out of memory\n");
		return 2;
	}
	puts(text);
	free(text);
	if (agents && (double)agents <= r.traffic_erlangs)
		fprintf(stderr,
			"centrala erlang: %lu agents cannot carry %.4g erlangs: the queue grows "
			"without bound\n",
			agents, r.traffic_erlangs);
	return 0;
}
