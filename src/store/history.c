/*
 * The two append-mostly histories besides interactions: agent state spans (for
 * occupancy, adherence and the supervisor's "what did this agent do today") and the
 * audit log of configuration changes. Both are keyed so that writing a record twice
 * (a spool replayed after a crash) leaves one row. Writing an agent's span also ends
 * any earlier span of that agent still open, at the new span's start: one agent is in
 * one state at a time, and a span whose end a crash kept from being written must not
 * stay open for ever.
 */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"

int store_db_agent_state_put(struct store_db *db, const struct store_agent_state *st)
{
	struct store__param p[6];
	int err;

	STORE__TENANT(st->tenant);
	if (!st->agent || !st->state || !st->start_ms || (st->end_ms && st->end_ms < st->start_ms))
		return EINVAL;
	p[0] = store__text(st->tenant);
	p[1] = store__text(st->agent);
	p[2] = store__int(st->start_ms);
	p[3] = store__text(st->state);
	p[4] = store__text(st->reason);
	p[5] = store__int_or_null(st->end_ms);
	if ((err = store__tx_begin(db)))
		return err;
	err = store__exec(db, Q_STATE_CLOSE_EARLIER, p, 3);
	if (!err)
		err = store__exec(db, Q_STATE_UPSERT, p, 6);
	return store__tx_end(db, err);
}

int store_db_audit_put(struct store_db *db, const struct store_audit *a)
{
	struct store__param p[8];
	char id[CRM_ID_SIZE];

	STORE__TENANT(a->tenant);
	if (!a->object || !a->key || !a->action)
		return EINVAL;
	if (!a->id)
		crm_id_new(id);
	p[0] = store__text(a->tenant);
	p[1] = store__text(a->id ? a->id : id);
	p[2] = store__int(a->ts_ms ? a->ts_ms : clock_wall_ms());
	p[3] = store__text(a->actor ? a->actor : "system");
	p[4] = store__text(a->object);
	p[5] = store__text(a->key);
	p[6] = store__text(a->action);
	p[7] = store__text(a->detail);
	return store__exec(db, Q_AUDIT_INSERT, p, 8);
}

/* Hands the rows of state query q to h; with `only_open_at`, only spans still open at
 * that time (end 0 or after it). */
static int state_rows(struct store_db *db, enum store__q q, const struct store__param *p,
		      int64_t only_open_at, store_agent_state_h *h, void *arg)
{
	struct store_agent_state st;
	int err, stop;

	if ((err = store__query(db, q, p, 3)))
		return err;
	while (store__row(db, q, &err)) {
		st.tenant = store__col_text(db, q, 0);
		st.agent = store__col_text(db, q, 1);
		st.state = store__col_text(db, q, 2);
		st.reason = store__col_text(db, q, 3);
		st.start_ms = store__col_int(db, q, 4);
		st.end_ms = store__col_int(db, q, 5);
		if (only_open_at && st.end_ms && st.end_ms <= only_open_at)
			continue;
		if ((stop = h(&st, arg))) {
			store__done(db, q);
			return stop;
		}
	}
	return err;
}

int store_db_agent_states(struct store_db *db, const char *tenant, const char *agent,
			  int64_t since_ms, store_agent_state_h *h, void *arg)
{
	struct store__param p[3] = {store__text(tenant), store__text(agent), store__int(since_ms)};
	int err;

	STORE__TENANT(tenant);
	if (agent && since_ms > 0 && (err = state_rows(db, Q_STATE_AT, p, since_ms, h, arg)))
		return err;
	return state_rows(db, Q_STATE_LIST, p, 0, h, arg);
}

static int audit_rows(struct store_db *db, enum store__q q, struct store__param *p, int n,
		      store_audit_h *h, void *arg)
{
	struct store_audit a;
	int err, stop;

	if ((err = store__query(db, q, p, n)))
		return err;
	while (store__row(db, q, &err)) {
		a.tenant = store__col_text(db, q, 0);
		a.id = store__col_text(db, q, 1);
		a.ts_ms = store__col_int(db, q, 2);
		a.actor = store__col_text(db, q, 3);
		a.object = store__col_text(db, q, 4);
		a.key = store__col_text(db, q, 5);
		a.action = store__col_text(db, q, 6);
		a.detail = store__col_text(db, q, 7);
		if ((stop = h(&a, arg))) {
			store__done(db, q);
			return stop;
		}
	}
	return err;
}

int store_db_audit_log(struct store_db *db, const char *tenant, int64_t since_ms, store_audit_h *h,
		       void *arg)
{
	struct store__param p[2] = {store__text(tenant), store__int(since_ms)};

	STORE__TENANT(tenant);
	return audit_rows(db, Q_AUDIT_LIST, p, 2, h, arg);
}

int store_db_audit_page(struct store_db *db, const char *tenant, int64_t since_ms,
			const char *after_id, size_t limit, store_audit_h *h, void *arg)
{
	struct store__param p[4] = {store__text(tenant), store__int(since_ms),
				    store__text(after_id ? after_id : ""),
				    store__int((int64_t)limit)};

	STORE__TENANT(tenant);
	return audit_rows(db, Q_AUDIT_PAGE, p, 4, h, arg);
}
