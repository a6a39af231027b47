/*
 * `centrala export interactions`: reads the store URL from the configuration file and
 * writes the export to standard output. Kept apart from export.c so that users of the
 * export function do not pull in the configuration loader.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/yaml.h"

static const char usage[] =
    "usage: centrala export interactions --config FILE [--since TIME] [--format jsonl|csv]\n"
    "                                    [--tenant ID]\n"
    "  TIME: ISO 8601 (2025-11-23, 2025-11-23T10:00:00Z) or a duration back from now (24h)\n"
    "  Without --tenant, every tenant's interactions are exported.\n";

/* "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i past what it used. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int parse_since(const char *s, int64_t *out)
{
	uint64_t ms;

	if (!clock_parse_iso8601(s, out))
		return 0;
	if (!cy_parse_duration(s, &ms)) {
		*out = clock_wall_ms() - (int64_t)ms;
		return 0;
	}
	return EINVAL;
}

int store_export_cli(int argc, char **argv)
{
	const char *config = NULL, *since = NULL, *format = "jsonl", *tenant = NULL, *v;
	enum store_export_format fmt;
	struct cfg *cfg = NULL;
	int64_t since_ms = 0;
	int i, err, status = 1;

	if (argc >= 2 && !strcmp(argv[1], "leads"))
		return store_export_leads_cli(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "interactions")) {
		fputs(usage, stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--config")))
			config = v;
		else if ((v = opt_value(argc, argv, &i, "--since")))
			since = v;
		else if ((v = opt_value(argc, argv, &i, "--format")))
			format = v;
		else if ((v = opt_value(argc, argv, &i, "--tenant")))
			tenant = v;
		else {
			fprintf(stderr, "export: unknown or incomplete option \"%s\"\n%s", argv[i],
				usage);
			return 2;
		}
	}
	if (!config) {
		fprintf(stderr, "export: --config is required\n%s", usage);
		return 2;
	}
	if (!strcmp(format, "jsonl") || !strcmp(format, "json")) {
		fmt = STORE_EXPORT_JSONL;
	} else if (!strcmp(format, "csv")) {
		fmt = STORE_EXPORT_CSV;
	} else {
		fprintf(stderr, "export: --format: \"%s\" is not jsonl or csv\n", format);
		return 2;
	}
	if (since && parse_since(since, &since_ms)) {
		fprintf(stderr, "export: --since: \"%s\" is neither ISO 8601 nor a duration\n",
			since);
		return 2;
	}
	if ((err = cfg_load(config, &cfg))) {
		fprintf(stderr, "export: %s: %s\n", config, strerror(err));
		return 1;
	}
	if (cfg_error_count(cfg)) {
		for (size_t k = 0; k < cfg_error_count(cfg); k++)
			fprintf(stderr, "%s\n", cfg_error_at(cfg, k));
		goto out;
	}
	if (!cfg->store) {
		fprintf(stderr, "export: %s: no store configured\n", config);
		goto out;
	}
	if ((err = store_export_interactions(cfg->store, tenant, since_ms, fmt, stdout))) {
		fprintf(stderr, "export: failed: %s\n", strerror(err));
		goto out;
	}
	status = 0;
out:
	cfg_free(cfg);
	return status;
}
