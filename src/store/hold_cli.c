/*
 * `centrala hold --config FILE --tenant ID INTERACTION... [--release]`: puts
 * interactions on legal hold (retention never deletes their recordings or bodies) or
 * releases them, each change in the audit log. Works on the store the configuration
 * names, with or without the server running.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

static const char usage[] =
    "usage: centrala hold --config FILE --tenant ID [--release] INTERACTION...\n";

static int found(const struct crm_interaction *ix, void *arg)
{
	*(int *)arg = 1;
	return 0;
}

int store_hold_cli(int argc, char **argv)
{
	const char *config = NULL, *tenant = NULL;
	struct cfg *cfg = NULL;
	struct store_db *db = NULL;
	bool release = false;
	int i, first = 0, err, status = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(argv[i], "--tenant") && i + 1 < argc)
			tenant = argv[++i];
		else if (!strcmp(argv[i], "--release"))
			release = true;
		else if (argv[i][0] == '-')
			break;
		else if (!first)
			first = i;
	}
	if (i < argc || !config || !tenant || !first) {
		fputs(usage, stderr);
		return 2;
	}
	if ((err = cfg_load(config, &cfg)) || cfg_error_count(cfg)) {
		fprintf(stderr, "hold: %s: %s\n", config,
			err ? strerror(err) : cfg_error_at(cfg, 0));
		goto out;
	}
	if ((err = store_db_open(cfg->store, &db))) {
		fprintf(stderr, "hold: %s: %s\n", cfg->store,
			db ? store_db_errmsg(db) : strerror(err));
		goto out;
	}
	status = 0;
	for (i = first; i < argc; i++) {
		struct store_audit a = {.tenant = tenant,
					.actor = "cli",
					.object = "interaction",
					.key = argv[i],
					.action = release ? "legal_hold_release" : "legal_hold"};
		int seen = 0;

		if (argv[i][0] == '-')
			continue;
		if ((err = store_db_interaction_get(db, tenant, argv[i], found, &seen)) || !seen) {
			fprintf(stderr, "hold: %s/%s: no such interaction\n", tenant, argv[i]);
			status = 1;
			continue;
		}
		if ((err = store_db_legal_hold(db, tenant, argv[i], !release)) ||
		    (err = store_db_audit_put(db, &a))) {
			fprintf(stderr, "hold: %s/%s: %s\n", tenant, argv[i], store_db_errmsg(db));
			status = 1;
			continue;
		}
		printf("%s/%s: %s\n", tenant, argv[i], release ? "released" : "on legal hold");
	}
out:
	store_db_close(db);
	cfg_free(cfg);
	return status;
}
