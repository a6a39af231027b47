/*
 * Interactions: the names of channels and directions, durations derived from the
 * timeline, and the one JSON and CSV form of an interaction (DESIGN.md contract 5).
 * The export and the REST API both render through crm_interaction_json, so a field
 * means the same thing everywhere.
 */
#include "crm/crm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const channel_names[CRM_CHANNEL_COUNT] = {"voice", "chat", "email", "sms",
							     "callback"};
static const char *const direction_names[CRM_DIR_COUNT] = {"inbound", "outbound", "internal"};

const char *crm_channel_name(enum crm_channel ch)
{
	return (unsigned)ch < CRM_CHANNEL_COUNT ? channel_names[ch] : "voice";
}

const char *crm_direction_name(enum crm_direction d)
{
	return (unsigned)d < CRM_DIR_COUNT ? direction_names[d] : "inbound";
}

int crm_channel_parse(const char *s, enum crm_channel *out)
{
	int i;

	for (i = 0; s && i < CRM_CHANNEL_COUNT; i++)
		if (!strcmp(s, channel_names[i])) {
			*out = (enum crm_channel)i;
			return 0;
		}
	return EINVAL;
}

int crm_direction_parse(const char *s, enum crm_direction *out)
{
	int i;

	for (i = 0; s && i < CRM_DIR_COUNT; i++)
		if (!strcmp(s, direction_names[i])) {
			*out = (enum crm_direction)i;
			return 0;
		}
	return EINVAL;
}

void crm_interaction_durations(struct crm_interaction *ix)
{
	int64_t held_at = 0, hold = 0, end;
	size_t i;

	if (ix->queued_ms) {
		end = ix->answered_ms ? ix->answered_ms : ix->ended_ms;
		if (end >= ix->queued_ms)
			ix->wait_ms = end - ix->queued_ms;
	}
	for (i = 0; i < ix->ntimeline; i++) {
		const struct crm_event *e = &ix->timeline[i];

		if (!e->event)
			continue;
		if (!strcmp(e->event, "held") && !held_at) {
			held_at = e->ts_ms;
		} else if (!strcmp(e->event, "unheld") && held_at) {
			hold += e->ts_ms > held_at ? e->ts_ms - held_at : 0;
			held_at = 0;
		}
	}
	if (held_at && ix->ended_ms > held_at)
		hold += ix->ended_ms - held_at;
	if (ix->ntimeline)
		ix->hold_ms = hold;
	if (ix->answered_ms && ix->ended_ms >= ix->answered_ms) {
		int64_t talk = ix->ended_ms - ix->answered_ms - ix->hold_ms;

		ix->talk_ms = talk > 0 ? talk : 0;
	}
}

/* ---- time ------------------------------------------------------------------------------------ */

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

char *crm_iso8601(int64_t epoch_ms, char out[25])
{
	int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000 : -((-epoch_ms + 86399999) / 86400000);
	int64_t ms = epoch_ms - days * 86400000, z = days + 719468, era, yy;
	unsigned doe, yoe, doy, mp, d, m, y;

	/* Days to the civil date (H. Hinnant's algorithm, proleptic Gregorian). */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = (unsigned)(yy + (m <= 2));
	put2(out, (y / 100) % 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, (unsigned)(ms / 3600000));
	out[13] = ':';
	put2(out + 14, (unsigned)(ms / 60000 % 60));
	out[16] = ':';
	put2(out + 17, (unsigned)(ms / 1000 % 60));
	out[19] = '.';
	out[20] = (char)('0' + ms % 1000 / 100);
	put2(out + 21, (unsigned)(ms % 100));
	out[23] = 'Z';
	out[24] = '\0';
	return out;
}

/* ---- rendering ---------------------------------------------------------------------- */

/* The columns, in order, of both the JSON objects and the CSV rows. */
enum field {
	F_ID,
	F_TENANT,
	F_CHANNEL,
	F_DIRECTION,
	F_CONTACT,
	F_FROM,
	F_TO,
	F_NUMBER,
	F_QUEUE,
	F_AGENT,
	F_CREATED,
	F_QUEUED,
	F_OFFERED,
	F_ANSWERED,
	F_ENDED,
	F_WAIT,
	F_TALK,
	F_HOLD,
	F_WRAPUP,
	F_ABANDONED,
	F_DISPOSITION,
	F_NOTES,
	F_RECORDING,
	F_CAMPAIGN,
	F_HANGUP_BY,
	F_TIMELINE,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "id",     "tenant",	   "channel",  "direction", "contact",	"from",	     "to",
    "number", "queue",	   "agent",    "created",   "queued",	"offered",   "answered",
    "ended",  "wait_s",	   "talk_s",   "hold_s",    "wrapup_s", "abandoned", "disposition",
    "notes",  "recording", "campaign", "hangup_by", "timeline",
};

/* The value kinds: how a field is rendered. */
enum kind { K_STR, K_TIME, K_SECONDS, K_BOOL, K_TIMELINE };

struct value {
	enum kind kind;
	const char *s;
	int64_t i;
};

static struct value field_value(const struct crm_interaction *ix, enum field f)
{
	struct value v = {K_STR, NULL, 0};

	switch (f) {
	case F_ID:
		v.s = ix->id;
		break;
	case F_TENANT:
		v.s = ix->tenant;
		break;
	case F_CHANNEL:
		v.s = crm_channel_name(ix->channel);
		break;
	case F_DIRECTION:
		v.s = crm_direction_name(ix->direction);
		break;
	case F_CONTACT:
		v.s = ix->contact;
		break;
	case F_FROM:
		v.s = ix->from;
		break;
	case F_TO:
		v.s = ix->to;
		break;
	case F_NUMBER:
		v.s = ix->number;
		break;
	case F_QUEUE:
		v.s = ix->queue;
		break;
	case F_AGENT:
		v.s = ix->agent;
		break;
	case F_CREATED:
		v = (struct value){K_TIME, NULL, ix->created_ms};
		break;
	case F_QUEUED:
		v = (struct value){K_TIME, NULL, ix->queued_ms};
		break;
	case F_OFFERED:
		v = (struct value){K_TIME, NULL, ix->offered_ms};
		break;
	case F_ANSWERED:
		v = (struct value){K_TIME, NULL, ix->answered_ms};
		break;
	case F_ENDED:
		v = (struct value){K_TIME, NULL, ix->ended_ms};
		break;
	case F_WAIT:
		v = (struct value){K_SECONDS, NULL, ix->wait_ms};
		break;
	case F_TALK:
		v = (struct value){K_SECONDS, NULL, ix->talk_ms};
		break;
	case F_HOLD:
		v = (struct value){K_SECONDS, NULL, ix->hold_ms};
		break;
	case F_WRAPUP:
		v = (struct value){K_SECONDS, NULL, ix->wrapup_ms};
		break;
	case F_ABANDONED:
		v = (struct value){K_BOOL, NULL, ix->abandoned};
		break;
	case F_DISPOSITION:
		v.s = ix->disposition;
		break;
	case F_NOTES:
		v.s = ix->notes;
		break;
	case F_RECORDING:
		v.s = ix->recording;
		break;
	case F_CAMPAIGN:
		v.s = ix->campaign;
		break;
	case F_HANGUP_BY:
		v.s = ix->hangup_by;
		break;
	case F_TIMELINE:
		v.kind = K_TIMELINE;
		break;
	case F_COUNT:
		break;
	}
	return v;
}

/* Seconds with millisecond precision and no trailing zeros: 12, 12.5, 0.125. */
static void put_seconds(struct crm_buf *b, int64_t ms)
{
	char frac[8];
	int n;

	if (ms < 0)
		ms = 0;
	if (ms % 1000 == 0) {
		crm_buf_printf(b, "%lld", (long long)(ms / 1000));
		return;
	}
	n = snprintf(frac, sizeof(frac), "%03d", (int)(ms % 1000));
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	crm_buf_printf(b, "%lld.%s", (long long)(ms / 1000), frac);
}

/* The same as a JSON number: an integer when whole, else a real that CRM_JSON_FLAGS
 * writes back as the same digits. */
static json_t *json_seconds(int64_t ms)
{
	if (ms < 0)
		ms = 0;
	if (ms % 1000 == 0)
		return json_integer(ms / 1000);
	return json_real((double)ms / 1000.0);
}

static json_t *json_time(int64_t ms)
{
	char ts[32];

	return ms ? json_string(crm_iso8601(ms, ts)) : json_null();
}

/* Appends a jansson value as text and frees it. */
static int put_json(struct crm_buf *out, json_t *j)
{
	char *text = j ? json_dumps(j, CRM_JSON_FLAGS) : NULL;

	json_decref(j);
	if (!text)
		return out->err = ENOMEM;
	crm_buf_puts(out, text);
	free(text);
	return out->err;
}

json_t *crm_timeline_to_json(const struct crm_event *ev, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++) {
		const struct crm_event *e = &ev[i];
		const char *const keys[] = {"agent",  "queue",	"node", "digits",
					    "result", "target", "by"};
		const char *const vals[] = {e->agent,  e->queue,  e->node, e->digits,
					    e->result, e->target, e->by};
		json_t *o = json_pack("{s:o, s:o}", "ts", json_time(e->ts_ms), "event",
				      crm_json_string(e->event ? e->event : ""));

		for (size_t k = 0; o && k < sizeof(keys) / sizeof(keys[0]); k++)
			if (vals[k] && json_object_set_new(o, keys[k], crm_json_string(vals[k]))) {
				json_decref(o);
				o = NULL;
			}
		if (!o || json_array_append_new(a, o)) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

int crm_timeline_json(const struct crm_event *ev, size_t n, struct crm_buf *out)
{
	return put_json(out, crm_timeline_to_json(ev, n));
}

static json_t *timeline_value(const struct crm_interaction *ix)
{
	json_t *t;

	if (!ix->timeline_json)
		return crm_timeline_to_json(ix->timeline, ix->ntimeline);
	t = json_loads(ix->timeline_json, JSON_DECODE_ANY, NULL);
	if (!t) /* damaged text reads as no timeline rather than invalid JSON */
		t = json_array();
	return t;
}

json_t *crm_interaction_to_json(const struct crm_interaction *ix)
{
	json_t *o = json_object();
	int f;

	for (f = 0; o && f < F_COUNT; f++) {
		struct value v = field_value(ix, (enum field)f);
		json_t *j = NULL;

		switch (v.kind) {
		case K_STR:
			j = crm_json_string(v.s);
			break;
		case K_TIME:
			j = json_time(v.i);
			break;
		case K_SECONDS:
			j = json_seconds(v.i);
			break;
		case K_BOOL:
			j = json_boolean(v.i);
			break;
		case K_TIMELINE:
			j = timeline_value(ix);
			break;
		}
		if (json_object_set_new(o, field_names[f], j)) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

int crm_interaction_json(const struct crm_interaction *ix, struct crm_buf *out)
{
	json_t *o;
	char *text;
	size_t n;

	if (!ix->timeline_json)
		return put_json(out, crm_interaction_to_json(ix));
	/* A record read back carries its timeline as the JSON text the engine wrote with
	 * jansson: it goes in as it is (the export streams millions of rows; parsing each
	 * timeline only to write it again costs three quarters of the time). */
	{
		struct crm_interaction copy = *ix;
		copy.timeline_json = "[]";
		o = crm_interaction_to_json(&copy);
	}
	if (o)
		json_object_del(o, "timeline");
	text = o ? json_dumps(o, CRM_JSON_FLAGS) : NULL;
	json_decref(o);
	if (!text || (n = strlen(text)) < 2)
		goto oom;
	crm_buf_put(out, text, n - 1); /* without its closing brace */
	crm_buf_puts(out, ",\"timeline\":");
	crm_buf_puts(out, ix->timeline_json);
	crm_buf_putc(out, '}');
	free(text);
	return out->err;
oom:
	free(text);
	return out->err = ENOMEM;
}

/* The CSV's timeline column: the stored text as it is, or the timeline written. */
static void put_timeline(const struct crm_interaction *ix, struct crm_buf *b)
{
	if (ix->timeline_json)
		crm_buf_puts(b, ix->timeline_json);
	else
		crm_timeline_json(ix->timeline, ix->ntimeline, b);
}

int crm_interaction_csv_header(struct crm_buf *out)
{
	int f;

	for (f = 0; f < F_COUNT; f++) {
		if (f)
			crm_buf_putc(out, ',');
		crm_buf_puts(out, field_names[f]);
	}
	crm_buf_puts(out, "\r\n");
	return out->err;
}

int crm_interaction_csv(const struct crm_interaction *ix, struct crm_buf *out)
{
	struct crm_buf tmp = {0};
	char ts[32];
	int f;

	for (f = 0; f < F_COUNT; f++) {
		struct value v = field_value(ix, (enum field)f);

		if (f)
			crm_buf_putc(out, ',');
		switch (v.kind) {
		case K_STR:
			crm_buf_csv_field(out, v.s);
			break;
		case K_TIME:
			if (v.i)
				crm_buf_puts(out, crm_iso8601(v.i, ts));
			break;
		case K_SECONDS:
			put_seconds(out, v.i);
			break;
		case K_BOOL:
			crm_buf_puts(out, v.i ? "true" : "false");
			break;
		case K_TIMELINE:
			put_timeline(ix, &tmp);
			if (tmp.err)
				out->err = tmp.err;
			crm_buf_csv_field(out, tmp.p ? tmp.p : "[]");
			break;
		}
	}
	crm_buf_puts(out, "\r\n");
	crm_buf_free(&tmp);
	return out->err;
}
