/*
 * The SQLite back end (`sqlite:PATH`), the embedded default: WAL journal so readers
 * never block the writer, synchronous=NORMAL (a commit survives the process being
 * killed; only an operating-system crash or power loss can undo the last commits), a
 * busy timeout for the moments two connections want the write lock, foreign keys on.
 * Statements are prepared once per connection with sqlite3_prepare_v2 and reused.
 */
#include "store/store_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sq {
	sqlite3 *db;
	sqlite3_stmt *st[Q_COUNT];
	char err[512];
};

static int sq_errno(struct sq *c, int rc)
{
	int ext = c->db ? sqlite3_extended_errcode(c->db) : rc;

	snprintf(c->err, sizeof(c->err), "%s", c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_PROTOCOL:
		return EAGAIN;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_CONSTRAINT:
		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE)
			return EEXIST;
		return EIO;
	default:
		return EIO;
	}
}

static int sq_open(const char *target, unsigned busy_ms, void **out, char *err, size_t errlen)
{
	struct sq *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return ENOMEM;
	store__mkdirs_for(target);
	rc = sqlite3_open_v2(
	    target, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(c->db, (int)busy_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db,
				  "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
				  "PRAGMA foreign_keys = ON;",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		int e = sq_errno(c, rc);

		snprintf(err, errlen, "%s: %s", target, c->err);
		sqlite3_close(c->db);
		free(c);
		return e == EIO ? EAGAIN : e;
	}
	*out = c;
	return 0;
}

static void sq_close(void *p)
{
	struct sq *c = p;
	int i;

	if (!c)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	free(c);
}

static int sq_reconnect(void *p)
{
	(void)p;
	return 0; /* a file does not go away; the next statement simply tries again */
}

static int sq_script(void *p, const char *sql)
{
	struct sq *c = p;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_errno(c, rc);
}

/* Rewrites $N parameters as ?N, SQLite's numbered form, outside string literals. */
static int sq_prepare(struct sq *c, enum store__q id)
{
	const char *s = store__sql_text(id);
	size_t n = strlen(s);
	char *sql = malloc(n + 1), *d = sql;
	bool quoted = false;
	int rc;

	if (!sql)
		return ENOMEM;
	for (; *s; s++) {
		if (*s == '\'')
			quoted = !quoted;
		*d++ = (!quoted && *s == '$' && s[1] >= '0' && s[1] <= '9') ? '?' : *s;
	}
	*d = '\0';
	rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : sq_errno(c, rc);
}

static int sq_bind(struct sq *c, enum store__q id, const struct store__param *p, int n)
{
	sqlite3_stmt *st;
	int i, rc = SQLITE_OK, err;

	if (!c->st[id] && (err = sq_prepare(c, id)))
		return err;
	st = c->st[id];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (i = 0; i < n && rc == SQLITE_OK; i++) {
		switch (p[i].type) {
		case P_NULL:
			rc = sqlite3_bind_null(st, i + 1);
			break;
		case P_INT:
			rc = sqlite3_bind_int64(st, i + 1, p[i].i);
			break;
		case P_TEXT:
			rc = sqlite3_bind_text(st, i + 1, p[i].s, -1, SQLITE_STATIC);
			break;
		}
	}
	return rc == SQLITE_OK ? 0 : sq_errno(c, rc);
}

static int sq_run(void *p, enum store__q id, const struct store__param *prm, int n)
{
	struct sq *c = p;
	int rc, err = sq_bind(c, id, prm, n);

	if (err)
		return err;
	while ((rc = sqlite3_step(c->st[id])) == SQLITE_ROW)
		;
	err = rc == SQLITE_DONE ? 0 : sq_errno(c, rc);
	sqlite3_reset(c->st[id]);
	/* Bound text belongs to the caller: drop the pointers now. */
	sqlite3_clear_bindings(c->st[id]);
	return err;
}

static int sq_query(void *p, enum store__q id, const struct store__param *prm, int n)
{
	return sq_bind(p, id, prm, n);
}

static int sq_step(void *p, enum store__q id, bool *row)
{
	struct sq *c = p;
	int rc = sqlite3_step(c->st[id]);

	if (rc == SQLITE_ROW) {
		*row = true;
		return 0;
	}
	*row = false;
	rc = rc == SQLITE_DONE ? 0 : sq_errno(c, rc);
	sqlite3_reset(c->st[id]);
	sqlite3_clear_bindings(c->st[id]);
	return rc;
}

static const char *sq_text(void *p, enum store__q id, int col)
{
	struct sq *c = p;

	return (const char *)sqlite3_column_text(c->st[id], col);
}

static int64_t sq_int64(void *p, enum store__q id, int col)
{
	struct sq *c = p;

	return sqlite3_column_int64(c->st[id], col);
}

static void sq_reset(void *p, enum store__q id)
{
	struct sq *c = p;

	if (c->st[id]) {
		sqlite3_reset(c->st[id]);
		sqlite3_clear_bindings(c->st[id]);
	}
}

static int sq_begin(void *p, bool exclusive)
{
	/* IMMEDIATE takes the write lock now rather than on the first write, so two
	 * writers never deadlock upgrading; it also serialises migrations. */
	(void)exclusive;
	return sq_script(p, "BEGIN IMMEDIATE");
}

static int sq_commit(void *p)
{
	return sq_script(p, "COMMIT");
}

static int sq_rollback(void *p)
{
	struct sq *c = p;

	/* Some errors (disk full, I/O) have rolled back already; that is not an error. */
	if (sqlite3_get_autocommit(c->db))
		return 0;
	return sq_script(p, "ROLLBACK");
}

static int sq_batch_begin(void *p)
{
	return sq_begin(p, false);
}

static int sq_batch_end(void *p, bool commit)
{
	int err = 0;

	if (commit && (err = sq_commit(p)) == 0)
		return 0;
	sq_rollback(p);
	return err;
}

static const char *sq_errmsg(void *p)
{
	return ((struct sq *)p)->err;
}

const struct store__driver store__sqlite_driver = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .reconnect = sq_reconnect,
    .script = sq_script,
    .run = sq_run,
    .query = sq_query,
    .step = sq_step,
    .text = sq_text,
    .int64 = sq_int64,
    .reset = sq_reset,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .batch_begin = sq_batch_begin,
    .batch_end = sq_batch_end,
    .errmsg = sq_errmsg,
};
