/*
 * `centrala backup` and `centrala restore` (docs/operations.md, "Backup and restore").
 *
 * A backup directory holds:
 *   centrala.db        the SQLite store, copied online (backup.c)
 *   recordings/        every file below the configured recordings directory
 *   recordings.index   one JSON object per file: {"path", "bytes", "sha256"}
 *   backup.json        what the backup is (written last: a directory without it is
 *                      an unfinished backup and restore refuses it)
 * The database is copied first, then the recordings: every recording the copied
 * interactions name was finished or being written before the copy, so it is there.
 * PostgreSQL stores are backed up with pg_dump (the store is only checked for
 * reachability here, and the command to run is printed); their recordings are copied
 * the same way.
 */
#include "store/store_int.h"

#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/strmap.h"

static const char backup_usage[] = "usage: centrala backup --config FILE DIR\n";
static const char restore_usage[] = "usage: centrala restore --config FILE DIR [--force]\n";

#define MANIFEST "backup.json"
#define INDEX	 "recordings.index"
#define DB_FILE	 "centrala.db"

struct copy_ctx {
	const char *dir; /* the backup directory */
	FILE *index;
	struct strmap *seen; /* relative paths copied */
	long long files, bytes;
	int err;
	char failed[PATH_MAX];
};

static int load_cfg(const char *cmd, const char *path, struct cfg **out)
{
	struct cfg *cfg = NULL;
	int err;

	if ((err = cfg_load(path, &cfg))) {
		fprintf(stderr, "%s: %s: %s\n", cmd, path, strerror(err));
		return 1;
	}
	if (cfg_error_count(cfg)) {
		for (size_t k = 0; k < cfg_error_count(cfg); k++)
			fprintf(stderr, "%s\n", cfg_error_at(cfg, k));
		cfg_free(cfg);
		return 1;
	}
	*out = cfg;
	return 0;
}

/* Parses "--config FILE DIR [--force]" in any order. */
static int parse_args(int argc, char **argv, const char **config, const char **dir, bool *force)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			*config = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			*config = argv[i] + 9;
		else if (force && !strcmp(argv[i], "--force"))
			*force = true;
		else if (argv[i][0] != '-' && !*dir)
			*dir = argv[i];
		else
			return EINVAL;
	}
	return *config && *dir ? 0 : EINVAL;
}

static int copy_one(const char *path, const char *rel, void *arg)
{
	struct copy_ctx *c = arg;
	char dst[PATH_MAX], sha[65];
	long long n = 0;
	json_t *o;
	int err;

	if (snprintf(dst, sizeof(dst), "%s/recordings/%s", c->dir, rel) >= (int)sizeof(dst))
		return ENAMETOOLONG;
	if ((err = store_file_copy(path, dst, sha, &n))) {
		snprintf(c->failed, sizeof(c->failed), "%s", path);
		return err;
	}
	o = json_pack("{s:s, s:I, s:s}", "path", rel, "bytes", (json_int_t)n, "sha256", sha);
	if (!o || json_dumpf(o, c->index, JSON_COMPACT) || fputc('\n', c->index) == EOF)
		err = EIO;
	json_decref(o);
	if (!err && (err = strmap_put(c->seen, rel, c)))
		return err;
	c->files++;
	c->bytes += n;
	return err;
}

struct missing_ctx {
	const char *root;
	struct strmap *seen;
	long long missing;
};

static int check_recording(const char *tenant, const char *id, const char *path, void *arg)
{
	struct missing_ctx *m = arg;
	size_t n = strlen(m->root);

	if (!strncmp(path, m->root, n) && path[n] == '/' && strmap_get(m->seen, path + n + 1))
		return 0;
	if (m->missing++ < 10)
		fprintf(stderr,
			"backup: warning: tenant=%s interaction=%s: recording %s is not in %s\n",
			tenant, id, path, m->root);
	return 0;
}

static int write_manifest(const char *dir, json_t *m)
{
	char path[PATH_MAX], tmp[PATH_MAX];

	snprintf(path, sizeof(path), "%s/" MANIFEST, dir);
	snprintf(tmp, sizeof(tmp), "%s/" MANIFEST ".part", dir);
	if (json_dump_file(m, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) || rename(tmp, path))
		return EIO;
	return 0;
}

static bool dir_empty(const char *dir)
{
	char probe[PATH_MAX];
	struct stat st;

	snprintf(probe, sizeof(probe), "%s/" MANIFEST, dir);
	if (!stat(probe, &st))
		return false;
	snprintf(probe, sizeof(probe), "%s/" DB_FILE, dir);
	return stat(probe, &st) != 0;
}

int store_backup_cli(int argc, char **argv)
{
	const char *config = NULL, *dir = NULL, *src;
	struct copy_ctx c = {0};
	struct missing_ctx miss = {0};
	struct cfg *cfg = NULL;
	struct store_db *db = NULL;
	json_t *m = NULL;
	char path[PATH_MAX], err_text[512] = "", when[40];
	long long nix = -1;
	int schema = 0, err, status = 1;

	if (parse_args(argc, argv, &config, &dir, NULL)) {
		fputs(backup_usage, stderr);
		return 2;
	}
	if (load_cfg("backup", config, &cfg))
		return 1;
	c.dir = dir;
	snprintf(path, sizeof(path), "%s/", dir);
	store__mkdirs_for(path);
	if (!dir_empty(dir)) {
		fprintf(stderr,
			"backup: %s already holds a backup: give each backup its own "
			"directory\n",
			dir);
		goto out;
	}
	if ((src = store__sqlite_path(cfg->store))) {
		struct stat st;
		if (stat(src, &st)) {
			fprintf(stderr, "backup: %s: %s\n", src, strerror(errno));
			goto out;
		}
		snprintf(path, sizeof(path), "%s/" DB_FILE, dir);
		if ((err = store_sqlite_copy(src, path, err_text, sizeof(err_text)))) {
			fprintf(stderr, "backup: %s\n", err_text);
			goto out;
		}
		if ((err = store_sqlite_info(path, &schema, &nix))) {
			fprintf(stderr, "backup: %s: cannot read the copy: %s\n", path,
				strerror(err));
			goto out;
		}
	} else {
		/* PostgreSQL: its own tools make consistent dumps; check it is reachable. */
		if ((err = store__db_connect(cfg->store, 5000, &db)) ||
		    (err = store_db_version(db, &schema))) {
			fprintf(stderr, "backup: the PostgreSQL store is unreachable: %s\n",
				db ? store_db_errmsg(db) : strerror(err));
			goto out;
		}
		fprintf(stderr,
			"backup: the database is PostgreSQL (schema version %d): dump it with\n"
			"  pg_dump --format=custom --file=%s/centrala.pgdump 'DATABASE_URL'\n"
			"  (DATABASE_URL as `store:` in %s); only the recordings are copied here\n",
			schema, dir, config);
	}

	snprintf(path, sizeof(path), "%s/" INDEX, dir);
	if (!(c.index = fopen(path, "w")) || strmap_create(1024, &c.seen)) {
		fprintf(stderr, "backup: %s: %s\n", path, strerror(errno ? errno : ENOMEM));
		goto out;
	}
	if ((err = store_files_walk(cfg->recordings, copy_one, &c))) {
		fprintf(stderr, "backup: copying %s: %s\n",
			c.failed[0] ? c.failed : cfg->recordings, strerror(err));
		goto out;
	}
	if (fflush(c.index) || fsync(fileno(c.index))) {
		fprintf(stderr, "backup: %s/" INDEX ": %s\n", dir, strerror(errno));
		goto out;
	}
	if (src) {
		miss.root = cfg->recordings;
		miss.seen = c.seen;
		snprintf(path, sizeof(path), "%s/" DB_FILE, dir);
		store_sqlite_recordings(path, check_recording, &miss);
	}

	m = json_pack("{s:i, s:s, s:s, s:s, s:i, s:s?, s:I, s:s, s:I, s:I, s:I}", "format", 1,
		      "centrala", CENTRALA_VERSION, "created",
		      clock_iso8601(clock_wall_ms(), when, sizeof(when)), "backend",
		      src ? "sqlite" : "postgresql", "schema_version", schema, "database",
		      src ? DB_FILE : NULL, "interactions", (json_int_t)nix, "recordings_root",
		      cfg->recordings, "recordings", (json_int_t)c.files, "recording_bytes",
		      (json_int_t)c.bytes, "missing_recordings", (json_int_t)miss.missing);
	if (!m || write_manifest(dir, m)) {
		fprintf(stderr, "backup: %s/" MANIFEST ": cannot write\n", dir);
		goto out;
	}
	printf("backup: %s: %s schema %d, %lld interactions, %lld recordings (%lld bytes)%s\n", dir,
	       src ? "sqlite" : "postgresql (recordings only)", schema, nix < 0 ? 0 : nix, c.files,
	       c.bytes, miss.missing ? ", some recordings missing (see above)" : "");
	status = 0;
out:
	json_decref(m);
	if (c.index)
		fclose(c.index);
	strmap_free(c.seen);
	store_db_close(db);
	cfg_free(cfg);
	return status;
}

/* Puts the recordings of the index back below `root`, each checked against its size and
 * SHA-256 before it replaces anything. */
static int restore_recordings(const char *dir, const char *root, bool force, long long *files,
			      long long *bytes)
{
	char path[PATH_MAX], src[PATH_MAX], dst[PATH_MAX], sha[65];
	json_error_t jerr;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, err = 0;

	snprintf(path, sizeof(path), "%s/" INDEX, dir);
	if (!(f = fopen(path, "r"))) {
		fprintf(stderr, "restore: %s: %s\n", path, strerror(errno));
		return errno;
	}
	while (getline(&line, &cap, f) > 0) {
		json_t *o = json_loads(line, 0, &jerr);
		const char *rel = NULL, *want = NULL;
		json_int_t size = -1;
		long long n = 0;
		struct stat st;

		lineno++;
		if (!o ||
		    json_unpack(o, "{s:s, s:I, s:s}", "path", &rel, "bytes", &size, "sha256",
				&want) ||
		    strstr(rel, "..") || rel[0] == '/') {
			fprintf(stderr, "restore: %s:%d: not an index line\n", path, lineno);
			json_decref(o);
			err = EINVAL;
			break;
		}
		snprintf(src, sizeof(src), "%s/recordings/%s", dir, rel);
		snprintf(dst, sizeof(dst), "%s/%s", root, rel);
		if ((err = store_file_copy(src, NULL, sha, &n)) || n != size || strcmp(sha, want)) {
			fprintf(stderr, "restore: %s: %s\n", src,
				err ? strerror(err) : "differs from the index (damaged backup)");
			json_decref(o);
			err = err ? err : EIO;
			break;
		}
		if (!force && !stat(dst, &st)) {
			char have[65];
			long long hn = 0;
			if (store_file_copy(dst, NULL, have, &hn) || strcmp(have, want)) {
				fprintf(stderr,
					"restore: %s exists with other content (--force replaces "
					"it)\n",
					dst);
				json_decref(o);
				err = EEXIST;
				break;
			}
		}
		if ((err = store_file_copy(src, dst, sha, &n))) {
			fprintf(stderr, "restore: %s: %s\n", dst, strerror(err));
			json_decref(o);
			break;
		}
		(*files)++;
		*bytes += n;
		json_decref(o);
	}
	free(line);
	fclose(f);
	return err;
}

int store_restore_cli(int argc, char **argv)
{
	const char *config = NULL, *dir = NULL, *dst, *backend = NULL, *old_root = NULL;
	struct cfg *cfg = NULL;
	struct store_db *db = NULL;
	json_t *m = NULL;
	json_error_t jerr;
	char path[PATH_MAX], err_text[512] = "";
	bool force = false;
	int format = 0, schema = 0, have = 0, err, status = 1;
	long long nix = 0, files = 0, bytes = 0, rebased = 0;
	struct stat st;

	if (parse_args(argc, argv, &config, &dir, &force)) {
		fputs(restore_usage, stderr);
		return 2;
	}
	if (load_cfg("restore", config, &cfg))
		return 1;
	snprintf(path, sizeof(path), "%s/" MANIFEST, dir);
	if (!(m = json_load_file(path, 0, &jerr)) ||
	    json_unpack(m, "{s:i, s:s, s:i, s:s}", "format", &format, "backend", &backend,
			"schema_version", &schema, "recordings_root", &old_root)) {
		fprintf(stderr, "restore: %s: %s (not a finished backup)\n", path,
			m ? "missing fields" : jerr.text);
		goto out;
	}
	if (format != 1) {
		fprintf(stderr, "restore: %s: backup format %d is not known to this version\n",
			path, format);
		goto out;
	}
	if (schema > store_schema_latest()) {
		fprintf(stderr,
			"restore: the backup's schema version %d is newer than this build's %d: "
			"restore it with the centrala version that made it (%s)\n",
			schema, store_schema_latest(),
			json_string_value(json_object_get(m, "centrala")));
		goto out;
	}
	dst = store__sqlite_path(cfg->store);
	if (strcmp(backend, "sqlite")) {
		fprintf(stderr,
			"restore: the backup's database is PostgreSQL: restore it with\n"
			"  pg_restore --clean --if-exists --dbname='DATABASE_URL' centrala.pgdump\n"
			"restoring the recordings only\n");
	} else if (!dst) {
		fprintf(stderr,
			"restore: the backup is a SQLite store but %s configures %s: load "
			"it into PostgreSQL by hand\n",
			config, cfg->store);
		goto out;
	} else {
		if (!force && !stat(dst, &st)) {
			fprintf(stderr,
				"restore: %s exists: stop the server and move it away, or pass "
				"--force to replace it\n",
				dst);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/" DB_FILE, dir);
		if ((err = store_sqlite_copy(path, dst, err_text, sizeof(err_text)))) {
			fprintf(stderr, "restore: %s\n", err_text);
			goto out;
		}
		/* The interactions name recordings under the old directory: point them at the
		 * configured one. */
		if (strcmp(old_root, cfg->recordings) &&
		    (err = store_sqlite_rebase_recordings(dst, old_root, cfg->recordings,
							  &rebased))) {
			fprintf(stderr, "restore: rewriting recording paths in %s: %s\n", dst,
				strerror(err));
			goto out;
		}
		/* Forward migrations, as the server would apply at start. */
		if ((err = store_db_open(cfg->store, &db)) || (err = store_db_version(db, &have))) {
			fprintf(stderr, "restore: %s: %s\n", dst,
				db ? store_db_errmsg(db) : strerror(err));
			goto out;
		}
		store_sqlite_info(dst, &have, &nix);
	}
	if ((err = restore_recordings(dir, cfg->recordings, force, &files, &bytes)))
		goto out;
	printf("restore: %s: schema %d (now %d), %lld interactions (%lld recording paths "
	       "rewritten to %s), %lld recordings (%lld bytes)\n",
	       dir, schema, have, nix, rebased, cfg->recordings, files, bytes);
	status = 0;
out:
	store_db_close(db);
	json_decref(m);
	cfg_free(cfg);
	return status;
}
