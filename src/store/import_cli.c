/*
 * `centrala import leads|dnc` and `centrala export leads` (docs/dialer.md): lead lists
 * and do-not-call numbers from CSV into the store the configuration names, with or
 * without the server running, and a list's results back out as CSV.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

static const char usage[] =
    "usage: centrala import leads --config FILE --tenant T --list ID [--country CC]\n"
    "           [--map phone=COL,name=COL,timezone=COL,priority=COL] [--sep ,|;|tab]\n"
    "           [--skip-bad] FILE.csv\n"
    "       centrala import dnc --config FILE --tenant T [--campaign C] [--country CC]\n"
    "           [--map phone=COL] [--sep ,|;|tab] [--skip-bad] FILE.csv\n"
    "  FILE.csv has a header row; `phone` is required (normalised to E.164 with the\n"
    "  country: --country, else the tenant's), `name`, `timezone` and `priority` are\n"
    "  optional and every other column becomes a lead field. A bad row is reported as\n"
    "  FILE:LINE:COL; by default one bad row imports nothing, --skip-bad imports the rest.\n"
    "  FILE.csv may be - for standard input.\n";

static const char export_usage[] =
    "usage: centrala export leads --config FILE --tenant T --list ID\n";

/* Opens the configuration and the store; prints why not. */
static int open_store(const char *cmd, const char *config, const char *tenant, struct cfg **cfg,
		      const struct cfg_tenant **t, struct store_db **db)
{
	int err;

	if ((err = cfg_load(config, cfg)) || cfg_error_count(*cfg)) {
		fprintf(stderr, "%s: %s: %s\n", cmd, config,
			err ? strerror(err) : cfg_error_at(*cfg, 0));
		return 1;
	}
	if (!(*t = cfg_tenant_find(*cfg, tenant))) {
		fprintf(stderr, "%s: %s: no tenant \"%s\"\n", cmd, config, tenant);
		return 1;
	}
	if ((err = store_db_open((*cfg)->store, db))) {
		fprintf(stderr, "%s: %s: %s\n", cmd, (*cfg)->store,
			*db ? store_db_errmsg(*db) : strerror(err));
		return 1;
	}
	return 0;
}

int store_import_cli(int argc, char **argv)
{
	const char *config = NULL, *file = NULL, *sep = NULL, *what = argc > 1 ? argv[1] : "";
	struct store_import_opts o = {.err = stderr, .max_report = 1000};
	struct store_import_result r = {0};
	struct cfg *cfg = NULL;
	const struct cfg_tenant *t;
	struct store_db *db = NULL;
	FILE *in = NULL;
	bool dnc = !strcmp(what, "dnc");
	int i, err, status = 1;

	if (!dnc && strcmp(what, "leads")) {
		fputs(usage, stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		const char **slot = NULL;
		if (!strcmp(argv[i], "--config"))
			slot = &config;
		else if (!strcmp(argv[i], "--tenant"))
			slot = &o.tenant;
		else if (!strcmp(argv[i], "--list") && !dnc)
			slot = &o.list;
		else if (!strcmp(argv[i], "--campaign") && dnc)
			slot = &o.campaign;
		else if (!strcmp(argv[i], "--country"))
			slot = &o.country;
		else if (!strcmp(argv[i], "--map"))
			slot = &o.map;
		else if (!strcmp(argv[i], "--sep"))
			slot = &sep;
		else if (!strcmp(argv[i], "--skip-bad"))
			o.skip_bad = true;
		else if (argv[i][0] == '-' && argv[i][1])
			break;
		else if (file)
			break;
		else
			file = argv[i];
		if (slot) {
			if (i + 1 >= argc)
				break;
			*slot = argv[++i];
		}
	}
	if (i < argc || !config || !o.tenant || !file || (!dnc && !o.list)) {
		fputs(usage, stderr);
		return 2;
	}
	if (sep) {
		if (!strcmp(sep, ",") || !strcmp(sep, ";"))
			o.sep = sep[0];
		else if (!strcmp(sep, "tab") || !strcmp(sep, "\t"))
			o.sep = '\t';
		else {
			fprintf(stderr, "import: --sep: expected , ; or tab, got \"%s\"\n", sep);
			return 2;
		}
	}
	if (open_store("import", config, o.tenant, &cfg, &t, &db))
		goto out;
	if (!o.country)
		o.country = t->country;
	o.name = file;
	in = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!in) {
		fprintf(stderr, "import: %s: %s\n", file, strerror(errno));
		goto out;
	}
	err = dnc ? store_db_import_dnc(db, in, &o, &r) : store_db_import_leads(db, in, &o, &r);
	if (err == EINVAL && r.bad) {
		fprintf(stderr,
			"%s: %llu bad row%s of %llu: nothing imported (fix them, or --skip-bad to "
			"import the rest)\n",
			file, (unsigned long long)r.bad, r.bad == 1 ? "" : "s",
			(unsigned long long)r.rows);
	} else if (err == EINVAL) {
		/* a bad header, already told */
	} else if (err) {
		fprintf(stderr, "import: %s: %s\n", file,
			err == EIO ? store_db_errmsg(db) : strerror(err));
	} else {
		printf("%s: %llu imported into %s %s%s%s", file, (unsigned long long)r.imported,
		       dnc ? "the do-not-call list of" : "list", dnc ? "" : o.list,
		       dnc ? (o.campaign && *o.campaign ? "campaign " : "tenant ") : "",
		       dnc ? (o.campaign && *o.campaign ? o.campaign : o.tenant) : "");
		printf(" (%llu rows", (unsigned long long)r.rows);
		if (r.bad)
			printf(", %llu bad skipped", (unsigned long long)r.bad);
		if (r.dup_list)
			printf(", %llu already in the list", (unsigned long long)r.dup_list);
		if (r.dup_other)
			printf(", %llu also in other lists", (unsigned long long)r.dup_other);
		printf(")\n");
		status = 0;
	}
out:
	if (in && in != stdin)
		fclose(in);
	store_db_close(db);
	cfg_free(cfg);
	return status;
}

int store_export_leads_cli(int argc, char **argv)
{
	const char *config = NULL, *tenant = NULL, *list = NULL;
	struct cfg *cfg = NULL;
	const struct cfg_tenant *t;
	struct store_db *db = NULL;
	int i, err, status = 1;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--config"))
			config = argv[i + 1];
		else if (!strcmp(argv[i], "--tenant"))
			tenant = argv[i + 1];
		else if (!strcmp(argv[i], "--list"))
			list = argv[i + 1];
		else
			break;
	}
	if (i != argc || !config || !tenant || !list) {
		fputs(export_usage, stderr);
		return 2;
	}
	if (open_store("export", config, tenant, &cfg, &t, &db))
		goto out;
	if ((err = store_db_export_leads(db, tenant, list, stdout)))
		fprintf(stderr, "export: %s\n", err == EIO ? store_db_errmsg(db) : strerror(err));
	else
		status = 0;
out:
	store_db_close(db);
	cfg_free(cfg);
	return status;
}
