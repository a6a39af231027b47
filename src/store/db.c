/*
 * A store connection (struct store_db): picks the driver from the URL, applies the
 * migrations, and wraps the driver's statements with error text and nestable
 * transactions. Everything above this file speaks in named statements and parameters.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <limits.h>
#include <sys/stat.h>

#include "core/log.h"

bool store__tenant_missing(const char *tenant, const char *func)
{
	if (tenant && *tenant)
		return false;
	log_error("store", "event=unscoped_call func=%s error=\"store call without a tenant\"",
		  func);
	return true;
}

void store__mkdirs_for(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return;
	for (p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(buf, 0750); /* EEXIST is the usual answer */
		*p = '/';
	}
}

const char *store__sqlite_path(const char *url)
{
	if (!strncmp(url, "sqlite://", 9))
		return url + 9;
	if (!strncmp(url, "sqlite:", 7))
		return url + 7;
	return NULL;
}

static const struct store__driver *driver_for(const char *url, const char **target)
{
	if ((*target = store__sqlite_path(url)) && **target)
		return &store__sqlite_driver;
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		*target = url;
		return &store__pg_driver;
	}
	return NULL;
}

int store__set_err(struct store_db *db, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	return err;
}

int store__db_connect(const char *url, unsigned busy_timeout_ms, struct store_db **out)
{
	struct store_db *db;
	const char *target;
	const struct store__driver *drv;
	char err[512] = "";
	int e;

	if (!url || !(drv = driver_for(url, &target))) {
		log_error("store", "event=open_failed error=\"unknown store URL scheme (want "
				   "sqlite:PATH or postgresql://...)\"");
		return EINVAL;
	}
	if (!(db = calloc(1, sizeof(*db))) || !(db->url = strdup(url))) {
		free(db);
		return ENOMEM;
	}
	db->drv = drv;
	if ((e = drv->open(target, busy_timeout_ms ? busy_timeout_ms : 5000, &db->conn, err,
			   sizeof(err)))) {
		/* libpq's messages name the host and user, never the password. */
		log_error("store", "event=open_failed backend=%s error=\"%s\"", drv->name, err);
		free(db->url);
		free(db);
		return e;
	}
	*out = db;
	return 0;
}

int store_db_open_version(const char *url, int version, struct store_db **out)
{
	struct store_db *db;
	int err = store__db_connect(url, 0, &db);

	if (err)
		return err;
	if ((err = store__migrate(db, version))) {
		log_error("store", "event=migration_failed backend=%s error=\"%s\"", db->drv->name,
			  db->err);
		store_db_close(db);
		return err;
	}
	*out = db;
	return 0;
}

int store_db_open(const char *url, struct store_db **out)
{
	return store_db_open_version(url, store_schema_latest(), out);
}

void store_db_close(struct store_db *db)
{
	if (!db)
		return;
	db->drv->close(db->conn);
	free(db->url);
	free(db);
}

const char *store_db_errmsg(const struct store_db *db)
{
	return db->err;
}

const char *store_db_backend(const struct store_db *db)
{
	return db->drv->name;
}

int store__db_reconnect(struct store_db *db)
{
	int err = db->drv->reconnect(db->conn);

	db->tx_depth = 0;
	db->tx_failed = false;
	if (err)
		store__set_err(db, err, "reconnect: %s", db->drv->errmsg(db->conn));
	return err;
}

int store__exec(struct store_db *db, enum store__q id, const struct store__param *p, int n)
{
	int err = db->drv->run(db->conn, id, p, n);

	if (err)
		store__set_err(db, err, "%s", db->drv->errmsg(db->conn));
	return err;
}

int store__query(struct store_db *db, enum store__q id, const struct store__param *p, int n)
{
	int err = db->drv->query(db->conn, id, p, n);

	if (err)
		store__set_err(db, err, "%s", db->drv->errmsg(db->conn));
	return err;
}

bool store__row(struct store_db *db, enum store__q id, int *err)
{
	bool row = false;

	*err = db->drv->step(db->conn, id, &row);
	if (*err)
		store__set_err(db, *err, "%s", db->drv->errmsg(db->conn));
	return row;
}

const char *store__col_text(struct store_db *db, enum store__q id, int col)
{
	return db->drv->text(db->conn, id, col);
}

int64_t store__col_int(struct store_db *db, enum store__q id, int col)
{
	return db->drv->int64(db->conn, id, col);
}

void store__done(struct store_db *db, enum store__q id)
{
	db->drv->reset(db->conn, id);
}

int store__tx_begin(struct store_db *db)
{
	int err;

	if (db->tx_depth++ > 0)
		return 0;
	db->tx_failed = false;
	if ((err = db->drv->begin(db->conn, false))) {
		db->tx_depth = 0;
		store__set_err(db, err, "begin: %s", db->drv->errmsg(db->conn));
	}
	return err;
}

int store__tx_end(struct store_db *db, int err)
{
	if (err)
		db->tx_failed = true;
	if (db->tx_depth == 0 || --db->tx_depth > 0)
		return err;
	if (db->tx_failed) {
		db->drv->rollback(db->conn);
		return err ? err : EIO;
	}
	if ((err = db->drv->commit(db->conn))) {
		store__set_err(db, err, "commit: %s", db->drv->errmsg(db->conn));
		db->drv->rollback(db->conn);
	}
	return err;
}

int store__batch_begin(struct store_db *db)
{
	int err = db->drv->batch_begin(db->conn);

	if (err) {
		store__set_err(db, err, "begin: %s", db->drv->errmsg(db->conn));
		db->drv->batch_end(db->conn, false);
		return err;
	}
	db->tx_depth = 1;
	db->tx_failed = false;
	return 0;
}

int store__batch_end(struct store_db *db, bool commit)
{
	int err;

	commit = commit && !db->tx_failed;
	db->tx_depth = 0;
	err = db->drv->batch_end(db->conn, commit);
	if (err)
		store__set_err(db, err, "%s", db->drv->errmsg(db->conn));
	return commit ? err : (err ? err : EIO);
}

int store_db_begin(struct store_db *db)
{
	return store__tx_begin(db);
}

int store_db_commit(struct store_db *db)
{
	return store__tx_end(db, 0);
}

int store_db_rollback(struct store_db *db)
{
	return store__tx_end(db, ECANCELED) == ECANCELED ? 0 : EIO;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_db_schema(struct store_db *db, struct crm_buf *out)
{
	enum store__q q = db->drv == &store__sqlite_driver ? Q_SCHEMA_SQLITE : Q_SCHEMA_PG;
	char **lines = NULL, **nl;
	size_t n = 0, i;
	int err = store__query(db, q, NULL, 0);

	if (err)
		return err;
	while (store__row(db, q, &err)) {
		const char *t = store__col_text(db, q, 0), *c = store__col_text(db, q, 1);

		if (!(nl = realloc(lines, (n + 1) * sizeof(*lines))) ||
		    asprintf(&nl[n], "%s.%s", t ? t : "", c ? c : "") < 0) {
			if (nl)
				lines = nl;
			store__done(db, q);
			err = ENOMEM;
			break;
		}
		lines = nl;
		n++;
	}
	/* Sorted here: the two databases' collations order '_' differently. */
	if (!err) {
		qsort(lines, n, sizeof(*lines), cmp_str);
		for (i = 0; i < n; i++) {
			crm_buf_puts(out, lines[i]);
			crm_buf_putc(out, '\n');
		}
		err = out->err;
	}
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return err;
}
