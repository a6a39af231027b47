/*
 * `centrala migrate --config FILE`: brings the configured store's schema to this
 * build's version and says what it did. The server migrates at start too; the Debian
 * package runs this from its postinst so an upgrade's migrations run (and fail, if they
 * fail) while the administrator watches, not at the next start. A database newer than
 * this build is a downgrade and is refused with exit status 3.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

static const char usage[] = "usage: centrala migrate --config FILE\n";

int store_migrate_cli(int argc, char **argv)
{
	const char *config = NULL;
	struct cfg *cfg = NULL;
	struct store_db *db = NULL;
	int i, err, before = 0, after = 0, status = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else
			break;
	}
	if (i < argc || !config) {
		fputs(usage, stderr);
		return 2;
	}
	if ((err = cfg_load(config, &cfg)) || cfg_error_count(cfg)) {
		fprintf(stderr, "migrate: %s: %s\n", config,
			err ? strerror(err) : cfg_error_at(cfg, 0));
		goto out;
	}
	/* Version 0 applies nothing: it reads where the database stands first. */
	if ((err = store_db_open_version(cfg->store, 0, &db)))
		goto failed;
	err = store_db_version(db, &before);
	store_db_close(db);
	db = NULL;
	if (err || (err = store_db_open(cfg->store, &db)) || (err = store_db_version(db, &after)))
		goto failed;
	if (before == after)
		printf("migrate: %s: schema version %d, up to date\n", store_db_backend(db), after);
	else
		printf("migrate: %s: schema version %d -> %d\n", store_db_backend(db), before,
		       after);
	status = 0;
	goto out;
failed:
	if (err == ERANGE) {
		fprintf(
		    stderr,
		    "migrate: the database is newer than this build, which knows schema version "
		    "%d: a "
		    "downgrade is refused; install the newer centrala again, or restore the "
		    "backup taken before the upgrade (docs/operations.md, Upgrades)\n",
		    store_schema_latest());
		status = 3;
	} else {
		fprintf(stderr, "migrate: %s: %s\n", cfg->store,
			db ? store_db_errmsg(db) : strerror(err));
	}
out:
	store_db_close(db);
	cfg_free(cfg);
	return status;
}
