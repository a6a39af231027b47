/*
 * The record of a call: its timeline of events, its recording's path, and the finished
 * interaction (DESIGN.md contract 5 fields) written when the call ends.
 */
#include "engine/engine_int.h"

#include <errno.h>
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

int eng__recording_path(struct engine *e, struct call *c)
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
	snprintf(c->recording, sizeof(c->recording), "%s/call-%llu-%lld.wav", dir,
		 (unsigned long long)c->id, (long long)c->created_ms);
	return 0;
}

static json_t *iso_or_null(int64_t ms)
{
	char ts[32];

	return ms ? json_string(clock_iso8601(ms, ts, sizeof(ts))) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

void eng__interaction_write(struct engine *e, struct call *c)
{
	json_t *o = json_object();
	char id[64];
	double wait_s = 0, talk_s = 0;

	if (!o)
		return;
	if (c->answered_ms) {
		int64_t from = c->queued_ms ? c->queued_ms : c->created_ms;
		wait_s = c->queued_ms ? (double)(c->answered_ms - from) / 1000.0 : 0;
		talk_s = (double)(c->ended_ms - c->answered_ms) / 1000.0;
	} else if (c->queued_ms) {
		wait_s = (double)(c->ended_ms - c->queued_ms) / 1000.0;
	}
	snprintf(id, sizeof(id), "%s-%llu-%lld", c->t ? c->t->ct->id : "none",
		 (unsigned long long)c->id, (long long)c->created_ms);
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "tenant", str_or_null(c->t ? c->t->ct->id : NULL));
	json_object_set_new(o, "channel", json_string("voice"));
	json_object_set_new(o, "direction", json_string("inbound"));
	json_object_set_new(o, "from", str_or_null(c->from));
	json_object_set_new(o, "to", str_or_null(c->to));
	json_object_set_new(o, "number", str_or_null(c->number));
	json_object_set_new(o, "queue", str_or_null(c->queue));
	json_object_set_new(o, "agent", str_or_null(c->agent));
	json_object_set_new(o, "created", iso_or_null(c->created_ms));
	json_object_set_new(o, "queued", iso_or_null(c->queued_ms));
	json_object_set_new(o, "offered", iso_or_null(c->offered_ms));
	json_object_set_new(o, "answered", iso_or_null(c->answered_ms));
	json_object_set_new(o, "ended", iso_or_null(c->ended_ms));
	json_object_set_new(o, "wait_s", json_real(wait_s));
	json_object_set_new(o, "talk_s", json_real(talk_s));
	json_object_set_new(o, "abandoned",
			    json_boolean(c->queued_ms && !c->answered_ms && c->hangup_by &&
					 !strcmp(c->hangup_by, "caller")));
	json_object_set_new(o, "disposition", str_or_null(c->disposition));
	json_object_set_new(o, "recording", str_or_null(c->recording));
	json_object_set_new(o, "hangup_by", str_or_null(c->hangup_by));
	json_object_set_new(o, "timeline", json_incref(c->timeline));
	if (e->interactions) {
		char *line = json_dumps(o, JSON_COMPACT);
		if (line) {
			fprintf(e->interactions, "%s\n", line);
			fflush(e->interactions);
			free(line);
		}
	}
	log_info("engine",
		 "tenant=%s call=%llu event=interaction from=%s number=%s agent=%s "
		 "answered=%d talk_s=%.1f",
		 c->t ? c->t->ct->id : "-", (unsigned long long)c->id, c->from, c->number,
		 c->agent[0] ? c->agent : "-", c->answered_ms != 0, talk_s);
	json_decref(o);
}
