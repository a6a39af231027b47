/*
 * The record of a call: its timeline of events, its recording's path, and the finished
 * interaction (DESIGN.md contract 5 fields) written when the call ends.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

void eng__timeline(struct call *c, const char *event, const char *key, const char *value)
{
	char ts[32];
	json_t *ev = json_object();

	if (!ev)
		return;
	json_object_set_new(ev, "ts", json_string(clock_iso8601(clock_wall_ms(), ts, sizeof(ts))));
	json_object_set_new(ev, "event", json_string(event));
	if (key && value)
		json_object_set_new(ev, key, json_string(value));
	json_array_append_new(c->timeline, ev);
}

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) && errno != EEXIST) {
			*p = '/';
			return errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0750) && errno != EEXIST)
		return errno;
	return 0;
}

int eng__recording_path(struct engine *e, struct call *c, char *path, size_t size)
{
	char dir[512];
	time_t now = time(NULL);
	struct tm tm;
	int err;

	gmtime_r(&now, &tm);
	snprintf(dir, sizeof(dir), "%s/%s/%04d-%02d-%02d", e->cfg->recordings, c->t->ct->id,
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	/* One directory a day per tenant: create it only when the day changes. */
	if (strcmp(dir, e->last_rec_dir)) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s", dir);
		if ((err = mkdirs(tmp))) {
			log_error("engine", "event=recording_dir_failed dir=%s err=%s", dir,
				  strerror(err));
			return err;
		}
		snprintf(e->last_rec_dir, sizeof(e->last_rec_dir), "%s", dir);
	}
	/* A call bridged again (after a transfer) records a new segment, "-2", "-3", ...
	 * Recordings encrypted at rest end in ".wav.enc" (the media engine seals those). */
	if (c->rec_segments++)
		snprintf(path, size, "%s/call-%llu-%lld-%u.wav%s", dir, (unsigned long long)c->id,
			 (long long)c->created_ms, c->rec_segments,
			 c->t->ct->rec_encrypt ? ".enc" : "");
	else
		snprintf(path, size, "%s/call-%llu-%lld.wav%s", dir, (unsigned long long)c->id,
			 (long long)c->created_ms, c->t->ct->rec_encrypt ? ".enc" : "");
	return 0;
}

void eng__interaction_write(struct engine *e, struct call *c)
{
	struct crm_interaction ix;
	char id[CRM_ID_SIZE], *timeline = json_dumps(c->timeline, JSON_COMPACT);
	bool again = c->ix_written;
	int err;

	memset(&ix, 0, sizeof(ix));
	/* The same id when written again (wrap-up over): the store replaces the record. */
	if (!c->ix_id[0])
		crm_id_new(c->ix_id);
	c->ix_written = true;
	memcpy(id, c->ix_id, sizeof(id));
	ix.tenant = c->t->ct->id;
	ix.id = id;
	ix.channel = c->web_callback ? CRM_CHANNEL_CALLBACK : CRM_CHANNEL_VOICE;
	ix.direction = c->outbound    ? CRM_DIR_OUTBOUND
		       : c->number[0] ? CRM_DIR_INBOUND
				      : CRM_DIR_INTERNAL;
	ix.from = c->from;
	ix.contact = c->contact_id[0] ? c->contact_id : NULL;
	ix.to = c->to;
	ix.number = c->number[0] ? c->number : NULL;
	ix.queue = c->queue[0] ? c->queue : NULL;
	ix.agent = c->agent[0] ? c->agent : NULL;
	ix.created_ms = c->created_ms;
	ix.queued_ms = c->queued_ms;
	ix.offered_ms = c->offered_ms;
	ix.answered_ms = c->answered_ms;
	ix.ended_ms = c->ended_ms;
	ix.abandoned = c->camp_abandoned || (c->queued_ms && !c->answered_ms && c->hangup_by &&
					     !strcmp(c->hangup_by, "caller"));
	ix.disposition = c->disposition[0] ? c->disposition : NULL;
	ix.notes = c->notes;
	ix.recording = c->recording[0] ? c->recording : NULL;
	ix.hangup_by = c->hangup_by;
	ix.timeline_json = timeline;
	ix.hold_ms = c->hold_ms;
	ix.wrapup_ms = c->wrapup_ms;
	crm_interaction_durations(&ix);
	if (!again) /* counted once, when the call ends */
		c->t->calls_result[ix.answered_ms ? 0 : ix.abandoned ? 1 : 2]++;
	if (!again && c->web_callback)
		eng__webcb_done(c->t, c->ix_id);
	/* The store copies the record; it is acknowledged on the store queue once committed. */
	err = store_interaction_submit(e->store, &ix, e->store_events, c->id);
	if (err)
		log_error("engine", "tenant=%s call=%llu event=store_submit_failed err=%s",
			  ix.tenant, (unsigned long long)c->id, strerror(err));
	if (again)
		log_info(
		    "engine",
		    "tenant=%s call=%llu event=interaction_wrapped id=%s agent=%s wrapup_ms=%lld",
		    ix.tenant, (unsigned long long)c->id, id, c->agent[0] ? c->agent : "-",
		    (long long)ix.wrapup_ms);
	else
		log_info("engine",
			 "tenant=%s call=%llu event=interaction id=%s from=%s number=%s agent=%s "
			 "answered=%d talk_ms=%lld hangup_by=%s",
			 ix.tenant, (unsigned long long)c->id, id, c->from, c->number,
			 c->agent[0] ? c->agent : "-", c->answered_ms != 0, (long long)ix.talk_ms,
			 c->hangup_by ? c->hangup_by : "-");
	free(timeline);
}
