/*
 * The PostgreSQL back end (`postgresql://user@host:port/db`) through libpq. Statements
 * are prepared per connection (PQprepare) on first use and prepared again after a
 * reconnection. Queries run in single-row mode, so an export streams in constant
 * memory. Batches from the writer use libpq's pipeline mode: the whole transaction is
 * sent without waiting for each statement's answer, which is what makes thousands of
 * interactions per second possible over one connection; errors are collected at each
 * synchronisation point.
 */
#include "store/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Statements in flight before the writer stops to read their answers; keeps both
 * sides' socket buffers from filling up while the other waits. */
#define PIPELINE_DEPTH 256
/* The key of the advisory lock that serialises migrations between nodes. */
#define MIGRATION_LOCK "7412020501"

/* Parameters as text, the form PostgreSQL parses for any column type. libpq copies
 * them into its send buffer, so one array per connection serves every call. */
struct pgparams {
	const char **v;
	char (*num)[24];
	int cap;
};

struct pg {
	PGconn *conn;
	unsigned gen;		    /* bumped at each reconnection */
	unsigned prepared[Q_COUNT]; /* gen + 1 when prepared on this connection */
	PGresult *row;		    /* the current row of the running query */
	bool querying;
	bool pipeline;
	int pending; /* pipelined statements not yet synchronised */
	int batch_err;
	struct pgparams params;
	char err[512];
};

static int to_params(const struct store__param *p, int n, struct pgparams *pp)
{
	int i;

	if (n > pp->cap) {
		const char **v = realloc(pp->v, (size_t)n * sizeof(*v));
		char(*num)[24] = v ? realloc(pp->num, (size_t)n * sizeof(*num)) : NULL;

		if (v)
			pp->v = v;
		if (!num)
			return ENOMEM;
		pp->num = num;
		pp->cap = n;
	}
	for (i = 0; i < n; i++) {
		if (p[i].type == P_INT) {
			snprintf(pp->num[i], sizeof(pp->num[i]), "%" PRId64, p[i].i);
			pp->v[i] = pp->num[i];
		} else {
			pp->v[i] = p[i].type == P_TEXT ? p[i].s : NULL;
		}
	}
	return 0;
}

static void notice_ignore(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* "relation already exists, skipping" and the like */
}

static int set_err_conn(struct pg *c)
{
	char *nl;

	snprintf(c->err, sizeof(c->err), "%s", PQerrorMessage(c->conn));
	if ((nl = strchr(c->err, '\n')))
		*nl = '\0';
	return EAGAIN;
}

/* Maps a failed result to an errno and keeps its primary message (never the DETAIL
 * line, which may quote row values). */
static int set_err_res(struct pg *c, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!res || PQstatus(c->conn) == CONNECTION_BAD)
		return set_err_conn(c);
	snprintf(c->err, sizeof(c->err), "%s (%s)", msg ? msg : PQresStatus(PQresultStatus(res)),
		 state ? state : "-");
	if (!state)
		return EIO;
	if (!strcmp(state, "23505"))
		return EEXIST;
	if (!strncmp(state, "08", 2) || !strncmp(state, "53", 2) || !strncmp(state, "57P", 3) ||
	    !strcmp(state, "40001") || !strcmp(state, "40P01"))
		return EAGAIN;
	return EIO;
}

static int check(struct pg *c, PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int err = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		err = set_err_res(c, res);
	PQclear(res);
	return err;
}

static int pg_open(const char *target, unsigned busy_ms, void **out, char *err, size_t errlen)
{
	/* Keepalives and a TCP user timeout notice a server that vanished without closing
	 * the connection (a network cut), so the writer spools instead of waiting forever.
	 * These are defaults: the URL comes last and whatever it names wins. */
	static const char *const keys[] = {"connect_timeout",
					   "application_name",
					   "options",
					   "keepalives_idle",
					   "keepalives_interval",
					   "keepalives_count",
					   "tcp_user_timeout",
					   "dbname",
					   NULL};
	const char *vals[] = {"5",     "centrala", "-c client_min_messages=warning",
			      "10",    "5",	   "3",
			      "30000", target,	   NULL};
	struct pg *c = calloc(1, sizeof(*c));

	(void)busy_ms;
	if (!c)
		return ENOMEM;
	/* expand_dbname: the URL in dbname is read as a connection string. */
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		if (c->conn)
			set_err_conn(c);
		else
			snprintf(c->err, sizeof(c->err), "out of memory");
		snprintf(err, errlen, "%s", c->err);
		PQfinish(c->conn);
		free(c);
		return EAGAIN;
	}
	PQsetNoticeProcessor(c->conn, notice_ignore, NULL);
	*out = c;
	return 0;
}

static void end_query(struct pg *c)
{
	PGresult *res;

	PQclear(c->row);
	c->row = NULL;
	if (!c->querying)
		return;
	while ((res = PQgetResult(c->conn)))
		PQclear(res);
	c->querying = false;
}

static void pg_close(void *p)
{
	struct pg *c = p;

	if (!c)
		return;
	end_query(c);
	PQfinish(c->conn);
	free(c->params.v);
	free(c->params.num);
	free(c);
}

static int pg_reconnect(void *p)
{
	struct pg *c = p;

	end_query(c);
	if (c->pipeline)
		PQexitPipelineMode(c->conn);
	c->pipeline = false;
	c->pending = 0;
	PQreset(c->conn);
	if (PQstatus(c->conn) != CONNECTION_OK)
		return set_err_conn(c);
	c->gen++; /* the server forgot our prepared statements */
	return 0;
}

static int pg_script(void *p, const char *sql)
{
	struct pg *c = p;

	end_query(c);
	return check(c, PQexec(c->conn, sql));
}

/* Names carry the connection generation: after a failed pipeline we cannot know which
 * of its PREPAREs the server ran, so the next generation starts afresh. */
static const char *stmt_name(const struct pg *c, enum store__q id, char buf[24])
{
	snprintf(buf, 24, "q%d_%u", (int)id, c->gen);
	return buf;
}

static int prepare(struct pg *c, enum store__q id)
{
	char name[24];
	int err;

	if (c->prepared[id] == c->gen + 1)
		return 0;
	stmt_name(c, id, name);
	if (c->pipeline) {
		/* Its answer comes back in order with the others. */
		if (!PQsendPrepare(c->conn, name, store__sql_text(id), 0, NULL))
			return set_err_conn(c);
		c->pending++;
	} else if ((err = check(c, PQprepare(c->conn, name, store__sql_text(id), 0, NULL)))) {
		return err;
	}
	c->prepared[id] = c->gen + 1;
	return 0;
}

/* Reads answers up to the next synchronisation point; keeps the first error. */
static int drain_sync(struct pg *c)
{
	int nulls = 0;

	if (!PQpipelineSync(c->conn))
		return c->batch_err = set_err_conn(c);
	for (;;) {
		PGresult *res = PQgetResult(c->conn);
		ExecStatusType st;

		if (!res) {
			/* One NULL ends each statement's answers; a broken connection gives
			 * nothing more. */
			if (PQstatus(c->conn) == CONNECTION_BAD ||
			    ++nulls > 2 * PIPELINE_DEPTH + 8) {
				if (!c->batch_err)
					c->batch_err = set_err_conn(c);
				break;
			}
			continue;
		}
		nulls = 0;
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (st == PGRES_FATAL_ERROR && !c->batch_err)
			c->batch_err = set_err_res(c, res);
		else if (st == PGRES_COMMAND_OK && !c->batch_err &&
			 !strcmp(PQcmdStatus(res), "ROLLBACK"))
			c->batch_err = EIO; /* COMMIT of a transaction that had failed */
		PQclear(res);
	}
	c->pending = 0;
	return c->batch_err;
}

static int send_pipelined(struct pg *c, const char *name, const char *sql,
			  const struct pgparams *pp, int n)
{
	int ok = name ? PQsendQueryPrepared(c->conn, name, n, pp ? pp->v : NULL, NULL, NULL, 0)
		      : PQsendQueryParams(c->conn, sql, 0, NULL, NULL, NULL, NULL, 0);

	if (!ok)
		return c->batch_err = c->batch_err ? c->batch_err : set_err_conn(c);
	if (++c->pending >= PIPELINE_DEPTH)
		return drain_sync(c);
	return 0;
}

static int pg_run(void *p, enum store__q id, const struct store__param *prm, int n)
{
	struct pg *c = p;
	char name[24];
	int err;

	end_query(c);
	if ((err = to_params(prm, n, &c->params)))
		return err;
	if (c->pipeline) {
		if (c->batch_err)
			return c->batch_err;
		if ((err = prepare(c, id)))
			return err;
		return send_pipelined(c, stmt_name(c, id, name), NULL, &c->params, n);
	}
	if ((err = prepare(c, id)))
		return err;
	return check(
	    c, PQexecPrepared(c->conn, stmt_name(c, id, name), n, c->params.v, NULL, NULL, 0));
}

static int pg_query(void *p, enum store__q id, const struct store__param *prm, int n)
{
	struct pg *c = p;
	char name[24];
	int err;

	end_query(c);
	if (c->pipeline)
		return EINVAL; /* batches only write */
	if ((err = to_params(prm, n, &c->params)) || (err = prepare(c, id)))
		return err;
	if (!PQsendQueryPrepared(c->conn, stmt_name(c, id, name), n, c->params.v, NULL, NULL, 0))
		return set_err_conn(c);
	c->querying = true;
	PQsetSingleRowMode(c->conn);
	return 0;
}

static int pg_step(void *p, enum store__q id, bool *row)
{
	struct pg *c = p;
	PGresult *res;
	int err = 0;

	(void)id;
	PQclear(c->row);
	c->row = NULL;
	*row = false;
	if (!c->querying)
		return 0;
	res = PQgetResult(c->conn);
	switch (res ? PQresultStatus(res) : PGRES_FATAL_ERROR) {
	case PGRES_SINGLE_TUPLE:
		c->row = res;
		*row = true;
		return 0;
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		break;
	default:
		err = set_err_res(c, res);
		break;
	}
	PQclear(res);
	end_query(c);
	return err;
}

static const char *pg_text(void *p, enum store__q id, int col)
{
	struct pg *c = p;

	(void)id;
	if (!c->row || PQgetisnull(c->row, 0, col))
		return NULL;
	return PQgetvalue(c->row, 0, col);
}

static int64_t pgd_int64(void *p, enum store__q id, int col)
{
	const char *s = pg_text(p, id, col);

	return s ? strtoll(s, NULL, 10) : 0;
}

static void pg_reset(void *p, enum store__q id)
{
	(void)id;
	end_query(p);
}

static int pg_begin(void *p, bool exclusive)
{
	struct pg *c = p;
	int err;

	end_query(c);
	err = check(c, PQexec(c->conn, "BEGIN"));
	if (!err && exclusive)
		err = check(c, PQexec(c->conn, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")"));
	return err;
}

static int pg_commit(void *p)
{
	struct pg *c = p;
	PGresult *res;
	int err;

	end_query(c);
	res = PQexec(c->conn, "COMMIT");
	/* COMMIT of a failed transaction answers "ROLLBACK" without an error. */
	if (res && PQresultStatus(res) == PGRES_COMMAND_OK &&
	    !strcmp(PQcmdStatus(res), "ROLLBACK")) {
		snprintf(c->err, sizeof(c->err), "transaction rolled back");
		PQclear(res);
		return EIO;
	}
	err = check(c, res);
	return err;
}

static int pg_rollback(void *p)
{
	struct pg *c = p;

	end_query(c);
	if (PQstatus(c->conn) == CONNECTION_BAD)
		return 0; /* the server rolled it back when the connection went */
	return check(c, PQexec(c->conn, "ROLLBACK"));
}

static int pg_batch_begin(void *p)
{
	struct pg *c = p;

	end_query(c);
	if (!PQenterPipelineMode(c->conn))
		return set_err_conn(c);
	c->pipeline = true;
	c->pending = 0;
	c->batch_err = 0;
	return send_pipelined(c, NULL, "BEGIN", NULL, 0);
}

static int pg_batch_end(void *p, bool commit)
{
	struct pg *c = p;
	int err;

	if (!c->batch_err)
		send_pipelined(c, NULL, commit ? "COMMIT" : "ROLLBACK", NULL, 0);
	err = drain_sync(c);
	PQexitPipelineMode(c->conn);
	c->pipeline = false;
	if (err && PQstatus(c->conn) == CONNECTION_OK &&
	    PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		check(c, PQexec(c->conn, "ROLLBACK"));
	if (err) {
		/* Statements prepared inside a failed pipeline may not exist. */
		c->gen++;
	}
	return commit ? err : 0;
}

static const char *pg_errmsg(void *p)
{
	return ((struct pg *)p)->err;
}

const struct store__driver store__pg_driver = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .reconnect = pg_reconnect,
    .script = pg_script,
    .run = pg_run,
    .query = pg_query,
    .step = pg_step,
    .text = pg_text,
    .int64 = pgd_int64,
    .reset = pg_reset,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .batch_begin = pg_batch_begin,
    .batch_end = pg_batch_end,
    .errmsg = pg_errmsg,
};
