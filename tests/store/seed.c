/*
 * store_seed: writes interactions and agent state spans read as JSON lines into a store,
 * through the store's own synchronous API (store_db_interaction_put,
 * store_db_agent_state_put), for tests that need a day of history the server did not
 * make itself (the reports' browser test). One object per line:
 *
 *   {"interaction": {"tenant", "id", "from", "to", "number", "queue", "agent", "created",
 *                    "queued", "offered", "answered", "ended", "wait_s", "talk_s",
 *                    "hold_s", "wrapup_s", "abandoned", "disposition", "hangup_by"}}
 *   {"state": {"tenant", "agent", "state", "reason", "start", "end"}}
 *
 * Times are ISO 8601 (null or absent: not reached; a state's "end" null: still open),
 * durations seconds. All lines go in one transaction: a bad line writes nothing and
 * names its line number.
 *
 *   store_seed STORE_URL FILE.jsonl
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "crm/crm.h"
#include "store/store.h"

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* An ISO 8601 field: 0 when absent or null, -1 when not a time. */
static int64_t when(json_t *o, const char *k)
{
	const char *s = str(o, k);
	int64_t ms;

	if (!s)
		return json_is_null(json_object_get(o, k)) || !json_object_get(o, k) ? 0 : -1;
	return clock_parse_iso8601(s, &ms) ? -1 : ms;
}

static int64_t secs(json_t *o, const char *k)
{
	return (int64_t)llround(json_number_value(json_object_get(o, k)) * 1000.0);
}

static int put_interaction(struct store_db *db, json_t *o)
{
	struct crm_interaction ix = {0};

	ix.tenant = str(o, "tenant");
	ix.id = str(o, "id");
	ix.channel = CRM_CHANNEL_VOICE;
	ix.direction = CRM_DIR_INBOUND;
	ix.from = str(o, "from");
	ix.to = str(o, "to");
	ix.number = str(o, "number");
	ix.queue = str(o, "queue");
	ix.agent = str(o, "agent");
	ix.created_ms = when(o, "created");
	ix.queued_ms = when(o, "queued");
	ix.offered_ms = when(o, "offered");
	ix.answered_ms = when(o, "answered");
	ix.ended_ms = when(o, "ended");
	ix.wait_ms = secs(o, "wait_s");
	ix.talk_ms = secs(o, "talk_s");
	ix.hold_ms = secs(o, "hold_s");
	ix.wrapup_ms = secs(o, "wrapup_s");
	ix.abandoned = json_is_true(json_object_get(o, "abandoned"));
	ix.disposition = str(o, "disposition");
	ix.hangup_by = str(o, "hangup_by");
	ix.timeline_json = "[]";
	if (!ix.tenant || !ix.id || ix.created_ms <= 0 || ix.queued_ms < 0 || ix.offered_ms < 0 ||
	    ix.answered_ms < 0 || ix.ended_ms < 0)
		return EINVAL;
	return store_db_interaction_put(db, &ix);
}

static int put_state(struct store_db *db, json_t *o)
{
	struct store_agent_state st = {0};

	st.tenant = str(o, "tenant");
	st.agent = str(o, "agent");
	st.state = str(o, "state");
	st.reason = str(o, "reason");
	st.start_ms = when(o, "start");
	st.end_ms = when(o, "end");
	if (!st.tenant || !st.agent || !st.state || st.start_ms <= 0 || st.end_ms < 0 ||
	    (st.end_ms && st.end_ms < st.start_ms))
		return EINVAL;
	return store_db_agent_state_put(db, &st);
}

int main(int argc, char **argv)
{
	struct store_db *db = NULL;
	char line[8192];
	long n = 0, ixs = 0, states = 0;
	int err;
	FILE *f;

	if (argc != 3) {
		fputs("usage: store_seed STORE_URL FILE.jsonl\n", stderr);
		return 2;
	}
	if (!(f = fopen(argv[2], "r"))) {
		fprintf(stderr, "store_seed: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if ((err = store_db_open(argv[1], &db))) {
		fprintf(stderr, "store_seed: cannot open the store: %s\n", strerror(err));
		fclose(f);
		return 1;
	}
	err = store_db_begin(db);
	while (!err && fgets(line, sizeof(line), f)) {
		json_t *o, *v;

		n++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (!(o = json_loads(line, 0, NULL)))
			err = EINVAL;
		else if ((v = json_object_get(o, "interaction")) && json_is_object(v))
			err = put_interaction(db, v), ixs++;
		else if ((v = json_object_get(o, "state")) && json_is_object(v))
			err = put_state(db, v), states++;
		else
			err = EINVAL;
		json_decref(o);
		if (err)
			fprintf(stderr, "store_seed: %s:%ld: %s %s\n", argv[2], n, strerror(err),
				store_db_errmsg(db));
	}
	if (!err)
		err = store_db_commit(db);
	else
		store_db_rollback(db);
	fclose(f);
	store_db_close(db);
	if (err)
		return 1;
	fprintf(stderr, "store_seed: %ld interactions, %ld state spans\n", ixs, states);
	return 0;
}
