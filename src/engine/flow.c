/*
 * IVR flows driven by calls. At start-up this file loads every tenant's flows (the pure
 * interpreter of src/ivr), makes the prompt sets and renders every fixed TTS text, so no
 * caller waits for synthesis, and starts the two workers flows need: text-to-speech
 * (src/tts) and HTTP data dips (src/dip). Their answers, and the answers to contact
 * look-ups from the store, come back on one message queue registered with the engine's
 * su_root, so the engine thread never blocks on any of them.
 *
 * Per call, a struct eng_ivr holds the interpreter's session and carries out what it
 * asks: prompts on the caller's media session (TTS texts from the cache, or rendered
 * first and played when ready), digit detection, timers, look-ups, dips, voicemail
 * recording, callbacks, and the hand-off that ends the flow (a queue, a transfer or a
 * hang-up). When the session ends, its path log goes into the call's timeline.
 *
 * Replies from workers find their session by a serial number in the request's cookie
 * (never by pointer), so a reply that arrives after the caller left is dropped.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "crm/crm.h"
#include "dip/dip.h"
#include "tts/tts.h"

#define FLOW_MAX_ITEMS	128  /* media items of one play */
#define FLOW_MAX_KV	96   /* headers or fields of one HTTP request */
#define FLOW_MAX_FIELDS 128  /* fields of a dip result or a contact passed to a session */
#define FLOW_HASH	1024 /* session buckets (a power of two) */
#define FLOW_MAX_SYNTH	8    /* events produced at once by the actions of one step */
#define FLOW_MAX_EXTRA	8    /* engine-side entries added to a call's path */
#define COOKIE_SHIFT	20   /* cookie = serial << 20 | what the reply is for */
#define COOKIE_LOW	((1u << COOKIE_SHIFT) - 1)
#define PLAY_QUEUE_BIT	0x80000000u /* media play ids with this bit are the queue code's */

/* What arrives on the flows' queue: three workers, three message types. */
union flow_msg {
	unsigned char raw[MQ_MSG_MAX];
	struct tts_done tts;
	struct dip_msg dip;
	struct store_msg store;
};
_Static_assert(sizeof(union flow_msg) == MQ_MSG_MAX, "a reply fits one queue message");
_Static_assert(sizeof(struct tts_done) != sizeof(struct dip_msg) &&
		   sizeof(struct tts_done) != sizeof(struct store_msg) &&
		   sizeof(struct dip_msg) != sizeof(struct store_msg),
	       "replies are told apart by their size");

struct eng_flows {
	struct engine *e;
	struct tts *tts;
	struct dip *dip;
	struct mq *events; /* tts_done, dip_msg and store_msg (contacts) */
	su_wait_t wait;
	int reg; /* su_root registration, -1: none */
	struct eng_ivr *sessions[FLOW_HASH];
	size_t nsessions;
	uint64_t next_serial;
	unsigned lookups_out; /* contact look-ups the store has not answered yet */
	/* Scratch for building one play on the engine thread. */
	struct media_item items[FLOW_MAX_ITEMS];
	char paths[FLOW_MAX_ITEMS][sizeof(((struct tts_done *)0)->path)];
};

/* A play waiting for some of its TTS items to be rendered. */
struct flow_play {
	uint32_t id;
	uint32_t gen;
	bool barge_in;
	size_t n, outstanding;
	struct media_item items[FLOW_MAX_ITEMS];
	char *paths[FLOW_MAX_ITEMS]; /* owned copies; NULL for a TTS item not (yet) rendered */
	bool failed[FLOW_MAX_ITEMS];
};

/* An entry the engine adds to the path (a hand-off or an action that failed). */
struct flow_extra {
	int64_t at_ms;
	const char *kind;
	char detail[120];
};

struct eng_ivr {
	struct call *c;
	struct eng_flows *fl;
	struct ivr_session *s;
	struct eng_ivr *hnext;
	uint64_t serial;
	su_timer_t *timer;
	bool started;			   /* the first actions were carried out */
	bool inband;			   /* in-band DTMF detection was turned on */
	size_t logged;			   /* path entries already logged */
	const char *flow_name, *node_name; /* of the last path entry */
	uint32_t play_tag;		   /* high bits of our media play ids */
	uint32_t http_id;		   /* the HTTP request in flight */
	uint32_t lookup_seq;		   /* the look-up in flight */
	uint32_t play_gen;
	struct flow_play *pending;
	struct media_mix *mix; /* voicemail being recorded */
	int64_t rec_start_ms, rec_end_ms;
	char rec_queue[64];
	struct ivr_event synth[FLOW_MAX_SYNTH]; /* events to feed once the actions are done */
	size_t nsynth;
	struct flow_extra extra[FLOW_MAX_EXTRA];
	size_t nextra;
};

static const char *const prompt_langs[] = {"pl", "es", "ru", "en"};

static bool flow_pump(struct eng_ivr *v, bool fresh);

/* ---- sessions by serial ------------------------------------------------------------ */

static void session_put(struct eng_flows *fl, struct eng_ivr *v)
{
	struct eng_ivr **b = &fl->sessions[v->serial & (FLOW_HASH - 1)];

	v->hnext = *b;
	*b = v;
	fl->nsessions++;
}

static void session_del(struct eng_flows *fl, struct eng_ivr *v)
{
	for (struct eng_ivr **p = &fl->sessions[v->serial & (FLOW_HASH - 1)]; *p; p = &(*p)->hnext)
		if (*p == v) {
			*p = v->hnext;
			fl->nsessions--;
			return;
		}
}

static struct eng_ivr *session_find(struct eng_flows *fl, uint64_t serial)
{
	for (struct eng_ivr *v = fl->sessions[serial & (FLOW_HASH - 1)]; v; v = v->hnext)
		if (v->serial == serial)
			return v;
	return NULL;
}

static uint64_t cookie_of(const struct eng_ivr *v, uint32_t low)
{
	return v->serial << COOKIE_SHIFT | (low & COOKIE_LOW);
}

static unsigned long long call_id(const struct eng_ivr *v)
{
	return (unsigned long long)v->c->id;
}

static const char *tenant_id(const struct eng_ivr *v)
{
	return v->c->t->ct->id;
}

/* ---- the path log -------------------------------------------------------------------- */

static void synth(struct eng_ivr *v, const struct ivr_event *ev)
{
	if (v->nsynth < FLOW_MAX_SYNTH)
		v->synth[v->nsynth++] = *ev;
	else
		log_error("engine", "tenant=%s call=%llu event=ivr_event_dropped type=%d",
			  tenant_id(v), call_id(v), (int)ev->type);
}

static void extra(struct eng_ivr *v, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an entry of the engine's own in the path (merged into the timeline by time). */
static void extra(struct eng_ivr *v, const char *kind, const char *fmt, ...)
{
	struct flow_extra *x;
	va_list ap;

	if (v->nextra == FLOW_MAX_EXTRA)
		return;
	x = &v->extra[v->nextra++];
	x->at_ms = clock_wall_ms();
	x->kind = kind;
	va_start(ap, fmt);
	vsnprintf(x->detail, sizeof(x->detail), fmt, ap);
	va_end(ap);
	log_info("engine", "tenant=%s call=%llu event=ivr_%s flow=%s node=%s detail=\"%s\"",
		 tenant_id(v), call_id(v), kind, v->flow_name ? v->flow_name : "-",
		 v->node_name ? v->node_name : "-", x->detail);
}

/* Logs the path entries added since the last call: one line each. */
static void log_path(struct eng_ivr *v)
{
	struct ivr_path_entry pe;
	size_t it = v->logged;

	while (ivr_path_next(v->s, &it, &pe)) {
		v->flow_name = pe.flow;
		v->node_name = pe.node;
		if (pe.kind == IVR_PATH_NODE)
			log_info("engine",
				 "tenant=%s call=%llu event=ivr_node flow=%s node=%s type=%s",
				 tenant_id(v), call_id(v), pe.flow, pe.node, pe.detail);
		else
			log_info("engine",
				 "tenant=%s call=%llu event=ivr_%s flow=%s node=%s detail=\"%s\" "
				 "status=%d",
				 tenant_id(v), call_id(v), ivr_path_kind_name(pe.kind), pe.flow,
				 pe.node, pe.detail, pe.status);
	}
	v->logged = it;
}

static json_t *path_json(int64_t at_ms, const char *kind, const char *flow, const char *node,
			 const char *detail, int status)
{
	char ts[32];
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "ts", json_string(clock_iso8601(at_ms, ts, sizeof(ts))));
	json_object_set_new(o, "event", json_string("ivr"));
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "flow", json_string(flow ? flow : ""));
	json_object_set_new(o, "node", json_string(node ? node : ""));
	json_object_set_new(o, "detail", json_string(detail ? detail : ""));
	json_object_set_new(o, "status", json_integer(status));
	return o;
}

/* Appends the session's path, and the engine's own entries in time order, to the call's
 * timeline. */
static void path_to_timeline(struct eng_ivr *v)
{
	struct ivr_path_entry pe;
	size_t it = 0, x = 0;
	bool have = ivr_path_next(v->s, &it, &pe);

	while (have || x < v->nextra) {
		json_t *o;
		if (have && (x == v->nextra || pe.at_ms <= v->extra[x].at_ms)) {
			o = path_json(pe.at_ms, ivr_path_kind_name(pe.kind), pe.flow, pe.node,
				      pe.detail, pe.status);
			have = ivr_path_next(v->s, &it, &pe);
		} else {
			o = path_json(v->extra[x].at_ms, v->extra[x].kind, v->flow_name,
				      v->node_name, v->extra[x].detail, 0);
			x++;
		}
		if (o)
			json_array_append_new(v->c->timeline, o);
	}
	v->nextra = 0;
}

/* An entry straight into the timeline, after the path (a hand-off that failed). */
static void timeline_error(struct eng_ivr *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void timeline_error(struct eng_ivr *v, const char *fmt, ...)
{
	char detail[160];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	log_warn("engine", "tenant=%s call=%llu event=ivr_error flow=%s node=%s detail=\"%s\"",
		 tenant_id(v), call_id(v), v->flow_name ? v->flow_name : "-",
		 v->node_name ? v->node_name : "-", detail);
	o = path_json(clock_wall_ms(), "error", v->flow_name, v->node_name, detail, 0);
	if (o)
		json_array_append_new(v->c->timeline, o);
}

/* ---- playing prompts ----------------------------------------------------------------- */

static struct media_session *caller_media(struct eng_ivr *v)
{
	return v->c->a ? sip_leg_media(v->c->a) : NULL;
}

static void pending_free(struct eng_ivr *v)
{
	struct flow_play *p = v->pending;

	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->paths[i]);
	free(p);
	v->pending = NULL;
}

static void play_failed(struct eng_ivr *v, uint32_t id)
{
	struct ivr_event ev = {.type = IVR_EV_PLAY_DONE, .id = id, .ok = false};

	synth(v, &ev);
}

/* Starts a play whose items are ready; a failure becomes a failed PLAY_DONE. */
static void play_now(struct eng_ivr *v, uint32_t id, const struct media_item *items, size_t n,
		     bool barge_in)
{
	struct media_session *ms = caller_media(v);
	struct media_play_req r = {
	    .items = items, .nitems = n, .barge_in = barge_in, .id = v->play_tag | (id & 0xffff)};
	int err = ms ? media_play(ms, &r) : ENOTCONN;

	if (err) {
		log_warn("engine", "tenant=%s call=%llu event=ivr_play_failed node=%s err=%s",
			 tenant_id(v), call_id(v), v->node_name ? v->node_name : "-",
			 strerror(err));
		play_failed(v, id);
	}
}

static void tts_params_of(const struct ivr_item *it, struct tts_params *tp)
{
	memset(tp, 0, sizeof(*tp));
	tp->text = it->text;
	tp->lang = it->lang;
	tp->voice = it->voice;
	tp->rate = it->rate;
}

/* Keeps a play whose TTS items are not in the cache and asks for them to be rendered;
 * it starts when the last one arrives (tts_ready). */
static void play_later(struct eng_ivr *v, const struct ivr_act_play *pl, size_t n,
		       const bool *missing)
{
	struct eng_flows *fl = v->fl;
	struct flow_play *p = calloc(1, sizeof(*p));

	if (!p) {
		play_failed(v, pl->id);
		return;
	}
	p->id = pl->id;
	p->gen = ++v->play_gen;
	p->barge_in = pl->barge_in;
	p->n = n;
	v->pending = p;
	for (size_t i = 0; i < n; i++) {
		p->items[i] = fl->items[i];
		if (fl->items[i].kind == MEDIA_ITEM_FILE && !missing[i]) {
			p->paths[i] = strdup(fl->items[i].path);
			p->failed[i] = !p->paths[i];
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct tts_params tp;
		if (!missing[i])
			continue;
		tts_params_of(&pl->items[i], &tp);
		if (tts_request(fl->tts, &tp, cookie_of(v, (p->gen & 0xfff) << 8 | (uint32_t)i)))
			p->failed[i] = true;
		else
			p->outstanding++;
	}
	if (!p->outstanding) {
		/* Nothing could be asked for: play what there is. */
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (!p->failed[i] && (p->items[i].kind != MEDIA_ITEM_FILE || p->paths[i]))
				fl->items[k++] = p->items[i];
		pending_free(v);
		if (k)
			play_now(v, pl->id, fl->items, k, pl->barge_in);
		else
			play_failed(v, pl->id);
	}
}

static void act_play(struct eng_ivr *v, const struct ivr_act_play *pl)
{
	struct eng_flows *fl = v->fl;
	size_t n = pl->nitems < FLOW_MAX_ITEMS ? pl->nitems : FLOW_MAX_ITEMS;
	bool missing[FLOW_MAX_ITEMS];
	size_t nmissing = 0;

	pending_free(v);
	for (size_t i = 0; i < n; i++) {
		const struct ivr_item *it = &pl->items[i];
		struct media_item *mi = &fl->items[i];
		memset(mi, 0, sizeof(*mi));
		missing[i] = false;
		switch (it->kind) {
		case IVR_ITEM_FILE:
			mi->kind = MEDIA_ITEM_FILE;
			mi->path = it->path;
			break;
		case IVR_ITEM_SILENCE:
			mi->kind = MEDIA_ITEM_SILENCE;
			mi->duration_ms = it->duration_ms;
			break;
		case IVR_ITEM_TTS: {
			struct tts_params tp;
			tts_params_of(it, &tp);
			mi->kind = MEDIA_ITEM_FILE;
			mi->path = fl->paths[i];
			if (!fl->tts ||
			    tts_path_for(fl->tts, &tp, fl->paths[i], sizeof(fl->paths[i]))) {
				missing[i] = true;
				nmissing++;
			}
			break;
		}
		}
	}
	if (nmissing && fl->tts)
		play_later(v, pl, n, missing);
	else if (nmissing)
		play_failed(v, pl->id);
	else
		play_now(v, pl->id, fl->items, n, pl->barge_in);
}

/* A TTS render for a waiting play is done. */
static void tts_ready(struct eng_flows *fl, const struct tts_done *d)
{
	struct eng_ivr *v = session_find(fl, d->cookie >> COOKIE_SHIFT);
	uint32_t low = (uint32_t)(d->cookie & COOKIE_LOW);
	struct flow_play *p = v ? v->pending : NULL;
	size_t i = low & 0xff, k = 0;

	if (!p || (p->gen & 0xfff) != low >> 8 || i >= p->n || p->paths[i] || p->failed[i])
		return; /* the play was stopped or replaced meanwhile */
	if (d->status) {
		log_warn("engine", "tenant=%s call=%llu event=tts_failed err=%s", tenant_id(v),
			 call_id(v), strerror(d->status));
		p->failed[i] = true;
	} else if (!(p->paths[i] = strdup(d->path))) {
		p->failed[i] = true;
	}
	if (--p->outstanding)
		return;
	for (size_t j = 0; j < p->n; j++) {
		if (p->failed[j])
			continue;
		fl->items[k] = p->items[j];
		if (p->items[j].kind == MEDIA_ITEM_FILE)
			fl->items[k].path = p->paths[j];
		k++;
	}
	/* media_play copies the paths: the waiting play can go before it starts. */
	{
		uint32_t id = p->id;
		bool barge = p->barge_in;
		if (k)
			play_now(v, id, fl->items, k, barge);
		else
			play_failed(v, id);
		pending_free(v);
	}
	if (v->nsynth)
		flow_pump(v, false);
}

/* ---- the other actions ----------------------------------------------------------------- */

static void act_collect(struct eng_ivr *v)
{
	const struct media_params *mp = v->c->a ? sip_leg_params(v->c->a) : NULL;
	struct media_session *ms = caller_media(v);

	if (v->inband || !ms || !mp)
		return;
	/* The caller did not offer telephone-event: listen for tones in the audio. */
	if (!mp->dtmf_pt)
		media_inband_dtmf(ms, true);
	v->inband = true;
}

static void act_lookup(struct eng_ivr *v, const struct ivr_act_lookup *l)
{
	struct engine *e = v->c->e;
	struct ivr_event ev = {.type = IVR_EV_LOOKUP_DONE, .ok = false};
	int err = ENOTCONN;

	v->lookup_seq++;
	if (e->store)
		err = store_contact_lookup(e->store, tenant_id(v), l->number, 0, v->fl->events,
					   cookie_of(v, v->lookup_seq));
	if (err) {
		extra(v, "error", "lookup: %s", strerror(err));
		synth(v, &ev);
		return;
	}
	v->fl->lookups_out++;
}

/* Contact fields for the session: contact.<name>; custom fields too. */
static void contact_ready(struct eng_flows *fl, const struct store_msg *m)
{
	struct eng_ivr *v = session_find(fl, m->cookie >> COOKIE_SHIFT);
	struct ivr_kv f[FLOW_MAX_FIELDS];
	char nums[16][32];
	size_t n = 0, nn = 0;
	const struct crm_contact *k = m->contact;
	json_t *custom = NULL;
	struct ivr_event ev = {.type = IVR_EV_LOOKUP_DONE};

	if (fl->lookups_out)
		fl->lookups_out--;
	if (!v || (uint32_t)(m->cookie & COOKIE_LOW) != (v->lookup_seq & COOKIE_LOW))
		goto out;
	if (k) {
		const struct ivr_kv fixed[] = {
		    {"id", k->id},
		    {"first_name", k->first_name},
		    {"last_name", k->last_name},
		    {"company", k->company},
		    {"language", k->language},
		    {"timezone", k->timezone},
		    {"vip", k->vip ? "true" : "false"},
		    {"phone", k->nphones ? k->phones[0] : NULL},
		    {"email", k->nemails ? k->emails[0] : NULL},
		};
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			if (fixed[i].value)
				f[n++] = fixed[i];
		custom = k->custom_json ? json_loads(k->custom_json, 0, NULL) : NULL;
		if (json_is_object(custom)) {
			const char *key;
			json_t *val;
			json_object_foreach(custom, key, val)
			{
				const char *s = NULL;
				if (n == FLOW_MAX_FIELDS)
					break;
				if (json_is_string(val)) {
					s = json_string_value(val);
				} else if (nn < 16 &&
					   (json_is_number(val) || json_is_boolean(val))) {
					if (json_is_integer(val))
						snprintf(nums[nn], sizeof(nums[nn]), "%lld",
							 (long long)json_integer_value(val));
					else if (json_is_real(val))
						snprintf(nums[nn], sizeof(nums[nn]), "%g",
							 json_real_value(val));
					else
						snprintf(nums[nn], sizeof(nums[nn]), "%s",
							 json_is_true(val) ? "true" : "false");
					s = nums[nn++];
				}
				if (s) {
					f[n].name = key;
					f[n++].value = s;
				}
			}
		}
	}
	ev.ok = k != NULL;
	ev.fields = f;
	ev.nfields = n;
	log_info("engine", "tenant=%s call=%llu event=ivr_lookup_result found=%d err=%s",
		 tenant_id(v), call_id(v), k != NULL, m->err ? strerror(m->err) : "none");
	{
		int64_t now = clock_wall_ms();
		flow_pump(v, ivr_session_event(v->s, &ev, now) == 0);
	}
out:
	json_decref(custom);
	if (m->contact)
		crm_contact_free(m->contact);
}

static void act_http(struct eng_ivr *v, const struct ivr_act_http *h)
{
	struct dip_kv hk[FLOW_MAX_KV], fk[FLOW_MAX_KV];
	struct dip_request r = {
	    .cookie = cookie_of(v, h->id),
	    .method = h->method,
	    .url = h->url,
	    .headers = hk,
	    .nheaders = h->nheaders < FLOW_MAX_KV ? h->nheaders : FLOW_MAX_KV,
	    .fields = fk,
	    .nfields = h->nfields < FLOW_MAX_KV ? h->nfields : FLOW_MAX_KV,
	    .timeout_ms = h->timeout_ms,
	};
	int err = ENOTCONN;

	for (size_t i = 0; i < r.nheaders; i++) {
		hk[i].name = h->headers[i].name;
		hk[i].value = h->headers[i].value;
	}
	for (size_t i = 0; i < r.nfields; i++) {
		fk[i].name = h->fields[i].name;
		fk[i].value = h->fields[i].value;
	}
	v->http_id = h->id;
	if (v->fl->dip)
		err = dip_request(v->fl->dip, &r);
	if (err) {
		struct ivr_event ev = {.type = IVR_EV_HTTP_DONE,
				       .id = h->id,
				       .error = err == EINVAL ? "request refused" : strerror(err)};
		synth(v, &ev);
	}
}

static void dip_ready(struct eng_flows *fl, struct dip_result *r)
{
	struct eng_ivr *v = session_find(fl, r->cookie >> COOKIE_SHIFT);
	struct ivr_kv f[FLOW_MAX_FIELDS];
	size_t n = r->nfields < FLOW_MAX_FIELDS ? r->nfields : FLOW_MAX_FIELDS;
	struct ivr_event ev = {.type = IVR_EV_HTTP_DONE};

	if (!v || (uint32_t)(r->cookie & COOKIE_LOW) != (v->http_id & COOKIE_LOW))
		goto out;
	for (size_t i = 0; i < n; i++) {
		f[i].name = r->fields[i].name;
		f[i].value = r->fields[i].value;
	}
	ev.id = v->http_id;
	ev.ok = r->error == DIP_OK;
	ev.status = r->status;
	ev.error = r->message;
	ev.fields = f;
	ev.nfields = n;
	log_info("engine",
		 "tenant=%s call=%llu event=ivr_http_result status=%d result=%s elapsed_ms=%u",
		 tenant_id(v), call_id(v), r->status, dip_error_name(r->error), r->elapsed_ms);
	flow_pump(v, ivr_session_event(v->s, &ev, clock_wall_ms()) == 0);
out:
	dip_result_free(r);
}

static struct eng_queue *queue_or_default(struct eng_ivr *v, const char *id)
{
	struct eng_tenant *t = v->c->t;

	if (id)
		return eng__queue(v->c->e, t, id);
	return t->nqueues ? &t->queues[0] : NULL;
}

/* Voicemail: the caller's audio goes to a one-member mix whose recording is the message. */
static void act_record(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct call *c = v->c;
	struct engine *e = c->e;
	struct eng_queue *q = queue_or_default(v, r->queue);
	struct media_session *ms = caller_media(v);
	int64_t now = clock_wall_ms();
	int err = ms && e->media ? 0 : ENOTCONN;

	snprintf(v->rec_queue, sizeof(v->rec_queue), "%s", q ? q->cq->id : "");
	if (!err)
		err = eng__recording_path(e, c);
	if (!err)
		err = media_mix_create(e->media, c->recording, &v->mix);
	if (!err && (err = media_mix_join(v->mix, ms, MEDIA_MIX_FULL, NULL))) {
		media_mix_free(v->mix);
		v->mix = NULL;
	}
	if (err) {
		struct ivr_event ev = {.type = IVR_EV_RECORD_DONE, .ok = false};
		c->recording[0] = '\0';
		extra(v, "error", "voicemail: cannot record: %s", strerror(err));
		synth(v, &ev);
		return;
	}
	v->rec_start_ms = now;
	v->rec_end_ms = now + (r->max_ms ? r->max_ms : 60000);
	log_info("engine", "tenant=%s call=%llu event=voicemail_recording queue=%s path=%s",
		 tenant_id(v), call_id(v), v->rec_queue, c->recording);
}

/* Ends the voicemail recording; the call's interaction becomes the message, routed to
 * its queue. With `report`, the session hears that the message was stored. */
static void record_stop(struct eng_ivr *v, bool report)
{
	struct call *c = v->c;
	int64_t ms = clock_wall_ms() - v->rec_start_ms;
	struct ivr_event ev = {.type = IVR_EV_RECORD_DONE, .ok = true};

	if (!v->mix)
		return;
	media_mix_free(v->mix);
	v->mix = NULL;
	if (v->rec_queue[0])
		snprintf(c->queue, sizeof(c->queue), "%s", v->rec_queue);
	snprintf(c->disposition, sizeof(c->disposition), "voicemail");
	log_info("engine", "tenant=%s call=%llu event=voicemail queue=%s duration_ms=%lld path=%s",
		 tenant_id(v), call_id(v), v->rec_queue[0] ? v->rec_queue : "-", (long long)ms,
		 c->recording);
	ev.duration_ms = ms > 0 ? (uint32_t)ms : 0;
	if (report)
		synth(v, &ev);
}

static void act_callback(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct eng_queue *q = queue_or_default(v, r->queue);
	int err = q ? eng__queue_callback(v->c->t, q, r->number, r->priority) : ENOENT;

	if (err)
		extra(v, "error", "callback to %s: %s", r->number ? r->number : "?", strerror(err));
	else
		log_info("engine", "tenant=%s call=%llu event=ivr_callback queue=%s number=%s",
			 tenant_id(v), call_id(v), q->cq->id, r->number ? r->number : "");
}

/* Rings a user or dials a number for a `transfer` node. 0 or errno. */
static int transfer(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct call *c = v->c;

	if (r->user) {
		struct eng_user *u = strmap_get2(c->e->usernames, c->t->ct->id, r->user);
		return u ? eng__route_user(c, u) : ENOENT;
	}
	if (!r->number || !*r->number)
		return EINVAL;
	return eng__route_number(c, r->number, r->trunk);
}

/* A transfer whose outcome the flow waits for (it has a `failed` branch). The engine
 * reports it as connected once the target rings; a transfer that cannot start takes the
 * `failed` branch at once. */
static void act_transfer_wait(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct ivr_event ev = {.type = IVR_EV_TRANSFER_DONE};
	int err = transfer(v, r);

	ev.ok = err == 0;
	if (err) {
		v->c->state = CALL_IVR;
		extra(v, "error", "transfer to %s: %s", r->user ? r->user : r->number,
		      strerror(err));
	}
	synth(v, &ev);
}

/* ---- the session's life ------------------------------------------------------------------ */

static void timer_cb(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg);

static void arm(struct eng_ivr *v)
{
	int64_t wake = ivr_session_wake_at(v->s), now;

	if (v->mix && (!wake || v->rec_end_ms < wake))
		wake = v->rec_end_ms;
	if (!wake) {
		su_timer_reset(v->timer);
		return;
	}
	now = clock_wall_ms();
	su_timer_set_interval(v->timer, timer_cb, v, wake > now ? (su_duration_t)(wake - now) : 0);
}

static void session_free(struct eng_ivr *v)
{
	if (v->mix)
		media_mix_free(v->mix);
	pending_free(v);
	su_timer_destroy(v->timer);
	session_del(v->fl, v);
	ivr_session_free(v->s);
	free(v);
}

/* Hands the call on as the last action asked (the path is already in the timeline and
 * c->ivr cleared, so nothing routes back here). */
static void handoff(struct eng_ivr *v, const struct ivr_action *a)
{
	struct call *c = v->c;
	const struct ivr_act_route *r = &a->u.route;
	struct eng_queue *q;
	int err;

	switch (a->type) {
	case IVR_ACT_ENQUEUE:
		q = eng__queue(c->e, c->t, r->queue);
		err = q ? eng__queue_enter(c, q, r->priority, r->skills, r->nskills) : ENOENT;
		if (err) {
			timeline_error(v, "queue %s: %s", r->queue ? r->queue : "-", strerror(err));
			eng__call_hangup(c, 503, "system");
		}
		return;
	case IVR_ACT_TRANSFER:
		if ((err = transfer(v, r))) {
			timeline_error(v, "transfer to %s: %s", r->user ? r->user : r->number,
				       strerror(err));
			eng__call_hangup(c, 480, "system");
		}
		return;
	case IVR_ACT_HANGUP:
		eng__call_hangup(c, 0, "system");
		return;
	default:
		return;
	}
}

/* The session is over: its path goes to the timeline, the hand-off (if any) is done,
 * and everything is freed. */
static void flow_finish(struct eng_ivr *v, const struct ivr_action *last)
{
	struct call *c = v->c;

	log_path(v);
	path_to_timeline(v);
	if (c->ivr == v)
		c->ivr = NULL;
	if (last)
		handoff(v, last);
	session_free(v);
}

/*
 * Carries out the session's actions (when `fresh`), then feeds it the events those
 * actions produced at once (a play that could not start, a dip that was refused), and
 * so on; finally arms the timer. Returns false when the session ended (v is freed).
 */
static bool flow_pump(struct eng_ivr *v, bool fresh)
{
	for (;;) {
		if (fresh) {
			const struct ivr_action *acts, *last = NULL;
			size_t n = ivr_session_actions(v->s, &acts);
			for (size_t i = 0; i < n; i++) {
				const struct ivr_action *a = &acts[i];
				switch (a->type) {
				case IVR_ACT_PLAY:
					act_play(v, &a->u.play);
					break;
				case IVR_ACT_STOP_PLAY:
					pending_free(v);
					if (caller_media(v))
						media_play_stop(caller_media(v));
					break;
				case IVR_ACT_COLLECT:
					act_collect(v);
					break;
				case IVR_ACT_LOOKUP:
					act_lookup(v, &a->u.lookup);
					break;
				case IVR_ACT_HTTP:
					act_http(v, &a->u.http);
					break;
				case IVR_ACT_TRANSFER:
					if (a->u.route.wait_result)
						act_transfer_wait(v, &a->u.route);
					else
						last = a;
					break;
				case IVR_ACT_RECORD:
					act_record(v, &a->u.route);
					break;
				case IVR_ACT_CALLBACK:
					act_callback(v, &a->u.route);
					break;
				case IVR_ACT_ENQUEUE:
				case IVR_ACT_HANGUP:
					last = a;
					break;
				}
			}
			log_path(v);
			if (ivr_session_done(v->s)) {
				flow_finish(v, last);
				return false;
			}
		}
		if (!v->nsynth)
			break;
		{
			struct ivr_event ev = v->synth[0];
			memmove(v->synth, v->synth + 1, --v->nsynth * sizeof(v->synth[0]));
			fresh = ivr_session_event(v->s, &ev, clock_wall_ms()) == 0;
		}
	}
	arm(v);
	return true;
}

static void timer_cb(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct eng_ivr *v = arg;
	struct ivr_event ev = {.type = IVR_EV_TIMER};
	int64_t now = clock_wall_ms();

	if (!v->started) {
		v->started = true;
		flow_pump(v, true);
		return;
	}
	if (v->mix && now >= v->rec_end_ms) {
		record_stop(v, true);
		flow_pump(v, false);
		return;
	}
	flow_pump(v, ivr_session_event(v->s, &ev, now) == 0);
}

/* Runs the first actions if the timer that does it has not fired yet. False when the
 * session ended. */
static bool ensure_started(struct eng_ivr *v)
{
	if (v->started)
		return true;
	v->started = true;
	return flow_pump(v, true);
}

int eng__flow_enter(struct call *c, const char *name)
{
	struct engine *e = c->e;
	struct eng_flows *fl = e->flows;
	const struct ivr_flow *f = c->t->flows && name ? ivr_flowset_find(c->t->flows, name) : NULL;
	const struct ivr_kv vars[] = {{"caller", c->from}, {"called", c->number}};
	struct eng_ivr *v;
	int err;

	if (!fl || !f)
		return ENOENT;
	if (c->ivr)
		return EBUSY;
	v = calloc(1, sizeof(*v));
	if (!v)
		return ENOMEM;
	v->c = c;
	v->fl = fl;
	v->serial = ++fl->next_serial;
	v->play_tag = (uint32_t)(v->serial & 0x7fff) << 16;
	v->timer = su_timer_create(su_root_task(e->root), 0);
	if (!v->timer) {
		free(v);
		return ENOMEM;
	}
	if ((err = ivr_session_start(f, vars, 2, clock_wall_ms(), &v->s))) {
		su_timer_destroy(v->timer);
		free(v);
		return err;
	}
	session_put(fl, v);
	c->ivr = v;
	c->state = CALL_IVR;
	log_info("engine", "tenant=%s call=%llu event=ivr_start flow=%s lang=%s", c->t->ct->id,
		 (unsigned long long)c->id, name, ivr_session_language(v->s));
	/* The first actions run from the loop, once the caller of this function has finished
	 * with the call: a flow may hand the call on (or hang up) at once. */
	su_timer_set_interval(v->timer, timer_cb, v, 0);
	return 0;
}

void eng__flow_digit(struct call *c, char digit)
{
	struct eng_ivr *v = c->ivr;
	struct ivr_event ev = {.type = IVR_EV_DIGIT, .digit = digit};

	if (!v || !ensure_started(v))
		return;
	if (v->mix) {
		/* '#' ends a voicemail message; other keys are part of it. */
		if (digit == '#') {
			record_stop(v, true);
			flow_pump(v, false);
		}
		return;
	}
	flow_pump(v, ivr_session_event(v->s, &ev, clock_wall_ms()) == 0);
}

void eng__flow_play_done(struct call *c, uint32_t id)
{
	struct eng_ivr *v = c->ivr;
	struct ivr_event ev = {.type = IVR_EV_PLAY_DONE, .id = id & 0xffff, .ok = true};

	if (!v || (id & PLAY_QUEUE_BIT) || (id & 0x7fff0000u) != v->play_tag || !v->started)
		return;
	flow_pump(v, ivr_session_event(v->s, &ev, clock_wall_ms()) == 0);
}

void eng__flow_end(struct call *c)
{
	struct eng_ivr *v = c->ivr;
	struct ivr_event ev = {.type = IVR_EV_HANGUP};

	if (!v)
		return;
	/* A caller who hangs up while leaving a message has left it. */
	record_stop(v, false);
	ivr_session_event(v->s, &ev, clock_wall_ms());
	flow_finish(v, NULL);
}

/* ---- replies from the workers ------------------------------------------------------------ */

static void flow_message(struct eng_flows *fl, union flow_msg *m, size_t len)
{
	if (len == sizeof(struct tts_done) && m->tts.kind == TTS_MSG_DONE) {
		tts_ready(fl, &m->tts);
	} else if (len == sizeof(struct dip_msg) && m->dip.kind == DIP_MSG_RESULT) {
		dip_ready(fl, m->dip.result);
	} else if (len == sizeof(struct store_msg) && m->store.type == STORE_MSG_CONTACT) {
		contact_ready(fl, &m->store);
	}
}

static int flows_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct eng_flows *fl = (struct eng_flows *)arg;
	union flow_msg m;
	size_t len;

	mq_drain_fd(fl->events);
	while ((len = mq_pop(fl->events, m.raw)))
		flow_message(fl, &m, len);
	return 0;
}

/* Frees what replies still in the queue own, without acting on them. */
static void drain_dropping(struct eng_flows *fl)
{
	union flow_msg m;
	size_t len;

	while ((len = mq_pop(fl->events, m.raw))) {
		if (len == sizeof(struct dip_msg) && m.dip.kind == DIP_MSG_RESULT) {
			dip_result_free(m.dip.result);
		} else if (len == sizeof(struct store_msg) && m.store.type == STORE_MSG_CONTACT) {
			if (fl->lookups_out)
				fl->lookups_out--;
			if (m.store.contact)
				crm_contact_free(m.store.contact);
		}
	}
}

/* ---- loading ------------------------------------------------------------------------------ */

struct check_env {
	const struct cfg_tenant *ct;
	struct eng_tenant *t; /* NULL for `centrala check` */
};

static bool trunk_exists(const struct cfg_tenant *ct, const char *name)
{
	for (size_t i = 0; i < ct->ntrunks; i++)
		if (!strcmp(ct->trunks[i].id, name))
			return true;
	return false;
}

static bool flow_ref_exists(void *arg, enum ivr_ref kind, const char *name)
{
	const struct check_env *ce = arg;
	struct eng_tenant *t = ce->t;

	switch (kind) {
	case IVR_REF_QUEUE:
		return t ? eng__queue(t->e, t, name) != NULL : cfg_queue_find(ce->ct, name) != NULL;
	case IVR_REF_USER:
		return t ? strmap_get2(t->e->usernames, ce->ct->id, name) != NULL
			 : cfg_user_find(ce->ct, name) != NULL;
	case IVR_REF_FLOW:
		return cfg_flow_find(ce->ct, name) != NULL;
	case IVR_REF_TRUNK:
		return trunk_exists(ce->ct, name);
	}
	return false;
}

static void env_of(const struct cfg *cfg, const struct check_env *ce,
		   const struct ivr_calendar *const *cals, size_t ncals, struct ivr_env *env)
{
	memset(env, 0, sizeof(*env));
	env->exists = flow_ref_exists;
	env->arg = (void *)ce;
	env->calendars = cals;
	env->ncalendars = ncals;
	env->prompt_dir = cfg->prompts;
	env->language = ce->ct->language;
	env->timezone = ce->ct->timezone;
}

size_t eng__flows_check(struct cfg *cfg)
{
	size_t before = cy_error_count(cfg->cy);

	for (size_t i = 0; i < cfg->ntenants; i++) {
		const struct cfg_tenant *ct = &cfg->tenants[i];
		struct check_env ce = {.ct = ct};
		struct ivr_calendar **cals = calloc(ct->ncalendars + 1, sizeof(*cals));
		struct ivr_flowset *set = NULL;
		struct ivr_env env;
		size_t ncals = 0;

		if (!cals) {
			cy_error(cfg->cy, NULL, "tenants", "out of memory");
			break;
		}
		for (size_t j = 0; j < ct->ncalendars; j++)
			if (!ivr_calendar_load_named(cfg->cy, &ct->calendars[j], ct->timezone,
						     &cals[ncals]))
				ncals++;
		env_of(cfg, &ce, (const struct ivr_calendar *const *)cals, ncals, &env);
		if (ct->nflows && !ivr_flowset_load(cfg->cy, ct->flows, ct->nflows, &env, &set))
			ivr_flowset_free(set);
		for (size_t j = 0; j < ncals; j++)
			ivr_calendar_free(cals[j]);
		free(cals);
	}
	return cy_error_count(cfg->cy) - before;
}

/* Renders a flow's fixed TTS texts into the cache (blocking, before calls are taken). */
static void render_static(struct eng_flows *fl, const struct cfg_tenant *ct,
			  const struct ivr_flow *f, unsigned *count)
{
	const char *text, *lang, *voice;
	size_t it = 0;

	while (ivr_flow_static_tts(f, &it, &text, &lang, &voice)) {
		struct tts_params tp = {.text = text, .lang = lang, .voice = voice};
		char path[sizeof(((struct tts_done *)0)->path)];
		int err = tts_render_sync(fl->tts, &tp, path, sizeof(path));
		if (err) {
			log_warn("engine", "tenant=%s event=tts_failed flow=%s lang=%s err=%s",
				 ct->id, ivr_flow_name(f), lang ? lang : "-", strerror(err));
			continue;
		}
		(*count)++;
		if (fl->e->media)
			media_prompt_preload(fl->e->media, path);
	}
}

static void make_prompts(struct eng_flows *fl, const char *lang)
{
	const struct cfg *cfg = fl->e->cfg;
	unsigned made = 0;
	int err = tts_prompts_make(fl->tts, cfg->prompts, lang, &made);

	if (err && err != ENOENT)
		log_warn("engine", "event=prompts_failed dir=%s lang=%s err=%s", cfg->prompts, lang,
			 strerror(err));
	else if (!err)
		log_info("engine", "event=prompts dir=%s lang=%s made=%u", cfg->prompts, lang,
			 made);
}

/* Loads one tenant's flows into t->flows, logging every problem. 0 or EINVAL/ENOMEM. */
static int load_tenant(struct eng_flows *fl, struct eng_tenant *t, unsigned *rendered)
{
	struct cfg *cfg = fl->e->cfg;
	const struct cfg_tenant *ct = t->ct;
	struct check_env ce = {.ct = ct, .t = t};
	size_t e0 = cy_error_count(cfg->cy), w0 = cy_warning_count(cfg->cy);
	struct ivr_env env;
	int err;

	env_of(cfg, &ce, (const struct ivr_calendar *const *)t->calendars, t->ncalendars, &env);
	err = ivr_flowset_load(cfg->cy, ct->flows, ct->nflows, &env, &t->flows);
	for (size_t i = e0; i < cy_error_count(cfg->cy); i++)
		log_error("engine", "tenant=%s event=flow_error msg=\"%s\"", ct->id,
			  cy_error_at(cfg->cy, i));
	for (size_t i = w0; i < cy_warning_count(cfg->cy); i++)
		log_warn("engine", "tenant=%s event=flow_warning msg=\"%s\"", ct->id,
			 cy_warning_at(cfg->cy, i));
	if (err)
		return err;
	for (size_t i = 0; i < ct->nflows; i++) {
		const struct ivr_flow *f = ivr_flowset_find(t->flows, ct->flows[i].name);
		if (f)
			render_static(fl, ct, f, rendered);
	}
	return 0;
}

void eng__flows_stop(struct engine *e)
{
	struct eng_flows *fl = e->flows;

	if (!fl)
		return;
	/* Calls still in a flow (normally none: calls end before this): close their path. */
	for (size_t b = 0; b < FLOW_HASH; b++)
		while (fl->sessions[b]) {
			struct eng_ivr *v = fl->sessions[b];
			record_stop(v, false);
			extra(v, "end", "shutdown");
			flow_finish(v, NULL);
		}
	/* After these, the TTS and dip workers send nothing more. */
	if (fl->tts)
		tts_destroy(fl->tts);
	if (fl->dip)
		dip_destroy(fl->dip);
	if (fl->events) {
		/* The store answers every look-up, even when shutting down: wait for those
		 * still out (briefly) so that it never writes into a freed queue. */
		for (int i = 0; i < 300 && fl->lookups_out; i++) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			drain_dropping(fl);
			if (fl->lookups_out)
				nanosleep(&ts, NULL);
		}
		drain_dropping(fl);
		if (fl->reg >= 0)
			su_root_deregister(e->root, fl->reg);
		if (fl->lookups_out)
			log_error("engine", "event=flows_stop lookups_unanswered=%u",
				  fl->lookups_out);
		else
			mq_free(fl->events);
	}
	for (size_t i = 0; i < e->ntenants; i++) {
		ivr_flowset_free(e->tenants[i].flows);
		e->tenants[i].flows = NULL;
	}
	free(fl);
	e->flows = NULL;
}

int eng__flows_start(struct engine *e)
{
	struct cfg *cfg = e->cfg;
	struct eng_flows *fl;
	unsigned rendered = 0, nflows = 0;
	uint64_t t0 = clock_mono_ms();
	int err;

	if (!e->root)
		return EINVAL;
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return ENOMEM;
	fl->e = e;
	fl->reg = -1;
	e->flows = fl;
	if ((err = mq_alloc(&fl->events, 4096)))
		goto fail;
	su_wait_create(&fl->wait, mq_fd(fl->events), SU_WAIT_IN);
	fl->reg = su_root_register(e->root, &fl->wait, flows_ready, fl, 0);
	if (fl->reg < 0) {
		err = EIO;
		goto fail;
	}
	if ((err = tts_create(cfg->tts_cache, fl->events, &fl->tts))) {
		log_error("engine", "event=tts_failed cache=%s err=%s", cfg->tts_cache,
			  strerror(err));
		goto fail;
	}
	if ((err = dip_create(fl->events, NULL, &fl->dip))) {
		log_error("engine", "event=dip_failed err=%s", strerror(err));
		goto fail;
	}
	/* Prompt sets first: flows are checked against the files they make. */
	for (size_t i = 0; i < sizeof(prompt_langs) / sizeof(prompt_langs[0]); i++)
		make_prompts(fl, prompt_langs[i]);
	for (size_t i = 0; i < e->ntenants; i++) {
		const char *lang = e->tenants[i].ct->language;
		bool known = !lang;
		for (size_t j = 0; !known && j < sizeof(prompt_langs) / sizeof(prompt_langs[0]);
		     j++)
			known = !strcmp(lang, prompt_langs[j]);
		if (!known)
			make_prompts(fl, lang);
	}
	for (size_t i = 0; i < e->ntenants; i++) {
		int rc = load_tenant(fl, &e->tenants[i], &rendered);
		if (rc && !err)
			err = rc;
		nflows += (unsigned)e->tenants[i].ct->nflows;
	}
	if (err)
		goto fail;
	log_info("engine", "event=flows_loaded flows=%u tts_rendered=%u ms=%llu", nflows, rendered,
		 (unsigned long long)(clock_mono_ms() - t0));
	return 0;
fail:
	eng__flows_stop(e);
	return err;
}
