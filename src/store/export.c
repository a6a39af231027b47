/*
 * Exporting interactions (DESIGN.md contract 2): one JSON object per line, or CSV with
 * a header row, streamed from a cursor one row at a time so a year of calls exports in
 * the memory of one row. The rows are rendered by crm_interaction_json/csv, the same
 * functions the REST API uses.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>

#include "core/log.h"

struct export_ctx {
	FILE *out;
	enum store_export_format fmt;
	struct crm_buf buf;
};

static int export_row(const struct crm_interaction *ix, void *arg)
{
	struct export_ctx *x = arg;

	crm_buf_reset(&x->buf);
	if (x->fmt == STORE_EXPORT_CSV) {
		crm_interaction_csv(ix, &x->buf);
	} else {
		crm_interaction_json(ix, &x->buf);
		crm_buf_putc(&x->buf, '\n');
	}
	if (x->buf.err)
		return x->buf.err;
	if (fwrite(x->buf.p, 1, x->buf.len, x->out) != x->buf.len)
		return EIO;
	return 0;
}

int store_export_interactions(const char *url, const char *tenant, int64_t since_ms,
			      enum store_export_format fmt, FILE *out)
{
	struct export_ctx x = {.out = out, .fmt = fmt};
	struct store_ix_filter f = {.since_ms = since_ms};
	struct store_db *db;
	int err = store_db_open(url, &db);

	if (err)
		return err;
	if (fmt == STORE_EXPORT_CSV) {
		crm_interaction_csv_header(&x.buf);
		if (x.buf.err || fwrite(x.buf.p, 1, x.buf.len, out) != x.buf.len)
			err = x.buf.err ? x.buf.err : EIO;
	}
	if (!err)
		err = tenant ? store_db_interactions(db, tenant, &f, export_row, &x)
			     : store_db_interactions_all_tenants(db, &f, export_row, &x);
	if (!err && (fflush(out) || ferror(out)))
		err = EIO;
	if (err)
		log_error("store", "event=export_failed error=\"%s\"",
			  err == EIO && store_db_errmsg(db)[0] ? store_db_errmsg(db)
							       : "cannot write the output");
	crm_buf_free(&x.buf);
	store_db_close(db);
	return err;
}
