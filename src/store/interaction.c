/*
 * Interactions in the database: the upsert the writer runs for each submitted record,
 * and the streaming readers behind the export and the API. Timestamps not reached are
 * NULL in the table; the timeline is kept as the JSON array crm_timeline_json made.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/clock.h"

/* The 27 parameters of one row of Q_IX_UPSERT / Q_IX_UPSERT_GROUP. */
static void ix_params(const struct crm_interaction *ix, const char *timeline, int64_t now,
		      struct store__param *p)
{
	p[0] = store__text(ix->tenant);
	p[1] = store__text(ix->id);
	p[2] = store__text(crm_channel_name(ix->channel));
	p[3] = store__text(crm_direction_name(ix->direction));
	p[4] = store__text(ix->contact);
	p[5] = store__text(ix->from);
	p[6] = store__text(ix->to);
	p[7] = store__text(ix->number);
	p[8] = store__text(ix->queue);
	p[9] = store__text(ix->agent);
	p[10] = store__int(ix->created_ms);
	p[11] = store__int_or_null(ix->queued_ms);
	p[12] = store__int_or_null(ix->offered_ms);
	p[13] = store__int_or_null(ix->answered_ms);
	p[14] = store__int_or_null(ix->ended_ms);
	p[15] = store__int(ix->wait_ms);
	p[16] = store__int(ix->talk_ms);
	p[17] = store__int(ix->hold_ms);
	p[18] = store__int(ix->wrapup_ms);
	p[19] = store__int(ix->abandoned);
	p[20] = store__text(ix->disposition);
	p[21] = store__text(ix->notes);
	p[22] = store__text(ix->recording);
	p[23] = store__text(ix->campaign);
	p[24] = store__text(ix->hangup_by);
	p[25] = store__text(timeline);
	p[26] = store__int(now);
}

int store_db_interaction_put(struct store_db *db, const struct crm_interaction *ix)
{
	struct store__param p[27];
	struct crm_buf tl = {0};
	int err;

	STORE__TENANT(ix->tenant);
	if (!ix->id || !*ix->id)
		return EINVAL;
	if (!ix->timeline_json && crm_timeline_json(ix->timeline, ix->ntimeline, &tl))
		return ENOMEM;
	ix_params(ix, ix->timeline_json ? ix->timeline_json : tl.p, clock_wall_ms(), p);
	err = store__exec(db, Q_IX_UPSERT, p, 27);
	crm_buf_free(&tl);
	return err;
}

int store__interactions_put(struct store_db *db, const struct crm_interaction *ix, size_t n)
{
	static _Thread_local struct store__param p[STORE__IX_GROUP * 27];
	int64_t now = clock_wall_ms();
	size_t i;
	int err = 0;

	if (n != STORE__IX_GROUP) {
		for (i = 0; i < n && !err; i++)
			err = store_db_interaction_put(db, &ix[i]);
		return err;
	}
	for (i = 0; i < n; i++) {
		STORE__TENANT(ix[i].tenant);
		if (!ix[i].id || !ix[i].timeline_json)
			return EINVAL;
		ix_params(&ix[i], ix[i].timeline_json, now, &p[i * 27]);
	}
	return store__exec(db, Q_IX_UPSERT_GROUP, p, (int)(n * 27));
}

/* Reads the current row of a Q_IX_* query (columns as IX_COLS in sql.c). */
static void read_row(struct store_db *db, enum store__q q, struct crm_interaction *ix)
{
	memset(ix, 0, sizeof(*ix));
	ix->tenant = store__col_text(db, q, 0);
	ix->id = store__col_text(db, q, 1);
	if (crm_channel_parse(store__col_text(db, q, 2), &ix->channel))
		ix->channel = CRM_CHANNEL_VOICE;
	if (crm_direction_parse(store__col_text(db, q, 3), &ix->direction))
		ix->direction = CRM_DIR_INBOUND;
	ix->contact = store__col_text(db, q, 4);
	ix->from = store__col_text(db, q, 5);
	ix->to = store__col_text(db, q, 6);
	ix->number = store__col_text(db, q, 7);
	ix->queue = store__col_text(db, q, 8);
	ix->agent = store__col_text(db, q, 9);
	ix->created_ms = store__col_int(db, q, 10);
	ix->queued_ms = store__col_int(db, q, 11);
	ix->offered_ms = store__col_int(db, q, 12);
	ix->answered_ms = store__col_int(db, q, 13);
	ix->ended_ms = store__col_int(db, q, 14);
	ix->wait_ms = store__col_int(db, q, 15);
	ix->talk_ms = store__col_int(db, q, 16);
	ix->hold_ms = store__col_int(db, q, 17);
	ix->wrapup_ms = store__col_int(db, q, 18);
	ix->abandoned = store__col_int(db, q, 19) != 0;
	ix->disposition = store__col_text(db, q, 20);
	ix->notes = store__col_text(db, q, 21);
	ix->recording = store__col_text(db, q, 22);
	ix->campaign = store__col_text(db, q, 23);
	ix->hangup_by = store__col_text(db, q, 24);
	ix->timeline_json = store__col_text(db, q, 25);
}

static int each_row(struct store_db *db, enum store__q q, const struct store__param *p, int n,
		    store_interaction_h *h, void *arg, bool *found)
{
	struct crm_interaction ix;
	int err = store__query(db, q, p, n), stop = 0;

	if (err)
		return err;
	while (store__row(db, q, &err)) {
		*found = true;
		read_row(db, q, &ix);
		if ((stop = h(&ix, arg))) {
			store__done(db, q);
			return stop;
		}
	}
	return err;
}

static int list(struct store_db *db, enum store__q q, const char *tenant,
		const struct store_ix_filter *f, store_interaction_h *h, void *arg)
{
	static const struct store_ix_filter none;
	struct store__param p[6];
	bool found = false;

	if (!f)
		f = &none;
	p[0] = store__text(tenant);
	p[1] = store__int(f->since_ms);
	p[2] = store__int(f->until_ms);
	p[3] = store__text(f->queue);
	p[4] = store__text(f->agent);
	p[5] = store__int(f->limit ? (int64_t)f->limit : INT64_MAX);
	return each_row(db, q, p, 6, h, arg, &found);
}

int store_db_interactions(struct store_db *db, const char *tenant, const struct store_ix_filter *f,
			  store_interaction_h *h, void *arg)
{
	STORE__TENANT(tenant);
	return list(db, Q_IX_LIST, tenant, f, h, arg);
}

int store_db_interactions_search(struct store_db *db, const char *tenant,
				 const struct store_ix_search *q, store_interaction_h *h, void *arg)
{
	struct store__param p[14];
	bool found = false;

	STORE__TENANT(tenant);
	p[0] = store__text(tenant);
	p[1] = store__int(q->f.since_ms);
	p[2] = store__int(q->f.until_ms);
	p[3] = store__text(q->f.queue);
	p[4] = store__text(q->f.agent);
	p[5] = store__text(q->channel);
	p[6] = store__text(q->direction);
	p[7] = store__text(q->disposition);
	p[8] = store__int(q->abandoned);
	p[9] = store__text(q->number);
	p[10] = store__text(q->contact);
	p[11] = store__int(q->after_ms);
	p[12] = store__text(q->after_id ? q->after_id : "");
	p[13] = store__int(q->f.limit ? (int64_t)q->f.limit : INT64_MAX);
	return each_row(db, Q_IX_SEARCH, p, 14, h, arg, &found);
}

int store_db_interaction_set_disposition(struct store_db *db, const char *tenant, const char *id,
					 const char *code, const char *notes)
{
	struct store__param p[5];

	STORE__TENANT(tenant);
	p[0] = store__text(tenant);
	p[1] = store__text(id);
	p[2] = store__text(code);
	p[3] = store__text(notes);
	p[4] = store__int(clock_wall_ms());
	return store__exec(db, Q_IX_DISPOSITION, p, 5);
}

int store_db_interactions_all_tenants(struct store_db *db, const struct store_ix_filter *f,
				      store_interaction_h *h, void *arg)
{
	/* The one unscoped read: the operator's export across tenants. */
	return list(db, Q_IX_LIST_ALL, NULL, f, h, arg);
}

int store_db_interaction_get(struct store_db *db, const char *tenant, const char *id,
			     store_interaction_h *h, void *arg)
{
	struct store__param p[2];
	bool found = false;
	int err;

	STORE__TENANT(tenant);
	p[0] = store__text(tenant);
	p[1] = store__text(id);
	err = each_row(db, Q_IX_GET, p, 2, h, arg, &found);
	return err ? err : found ? 0 : ENOENT;
}
