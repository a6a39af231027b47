/*
 * The actions an IVR session asks of the engine, one function each: prompts on the
 * caller's media session (TTS texts from the cache, or rendered by the worker first and
 * played once all are ready), digit detection, contact look-ups, HTTP dips, voicemail
 * recording, callbacks and transfers; and the workers' replies that complete them.
 * Everything here runs on the engine thread and never waits for a worker.
 */
#include "engine/flow_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "crm/crm.h"

/* ---- playing prompts ----------------------------------------------------------------- */

struct media_session *eng__ivr_media(struct eng_ivr *v)
{
	return v->c->a ? sip_leg_media(v->c->a) : NULL;
}

void eng__ivr_pending_free(struct eng_ivr *v)
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

	eng__ivr_synth(v, &ev);
}

/* Starts a play whose items are ready; a failure becomes a failed PLAY_DONE. */
static void play_now(struct eng_ivr *v, uint32_t id, const struct media_item *items, size_t n,
		     bool barge_in)
{
	struct media_session *ms = eng__ivr_media(v);
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
	p->asked_ms = clock_mono_ms();
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
		eng__ivr_pending_free(v);
		if (k)
			play_now(v, pl->id, fl->items, k, pl->barge_in);
		else
			play_failed(v, pl->id);
	}
}

void eng__ivr_play(struct eng_ivr *v, const struct ivr_act_play *pl)
{
	struct eng_flows *fl = v->fl;
	size_t n = pl->nitems < FLOW_MAX_ITEMS ? pl->nitems : FLOW_MAX_ITEMS;
	bool missing[FLOW_MAX_ITEMS];
	size_t nmissing = 0;

	eng__ivr_pending_free(v);
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
void eng__ivr_tts_ready(struct eng_flows *fl, const struct tts_done *d)
{
	struct eng_ivr *v = eng__ivr_find(fl, d->cookie >> COOKIE_SHIFT);
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
	log_info("engine", "tenant=%s call=%llu event=ivr_tts_ready items=%zu wait_ms=%llu",
		 tenant_id(v), call_id(v), p->n,
		 (unsigned long long)(clock_mono_ms() - p->asked_ms));
	for (size_t j = 0; j < p->n; j++) {
		if (p->failed[j])
			continue;
		fl->items[k] = p->items[j];
		if (p->items[j].kind == MEDIA_ITEM_FILE)
			fl->items[k].path = p->paths[j];
		k++;
	}
	/* media_play copies the paths: the waiting play is freed once it has started. */
	if (k)
		play_now(v, p->id, fl->items, k, p->barge_in);
	else
		play_failed(v, p->id);
	eng__ivr_pending_free(v);
	if (v->nsynth)
		eng__ivr_pump(v, false);
}

/* ---- the other actions ----------------------------------------------------------------- */

void eng__ivr_collect(struct eng_ivr *v)
{
	const struct media_params *mp = v->c->a ? sip_leg_params(v->c->a) : NULL;
	struct media_session *ms = eng__ivr_media(v);

	if (v->inband || !ms || !mp)
		return;
	/* The caller did not offer telephone-event: listen for tones in the audio. */
	if (!mp->dtmf_pt)
		media_inband_dtmf(ms, true);
	v->inband = true;
}

void eng__ivr_lookup(struct eng_ivr *v, const struct ivr_act_lookup *l)
{
	struct engine *e = v->c->e;
	struct ivr_event ev = {.type = IVR_EV_LOOKUP_DONE, .ok = false};
	int err = ENOTCONN;

	v->lookup_seq++;
	if (e->store)
		err = store_contact_lookup(e->store, tenant_id(v), l->number, 0, v->fl->events,
					   cookie_of(v, v->lookup_seq));
	if (err) {
		eng__ivr_extra(v, "error", "lookup: %s", strerror(err));
		eng__ivr_synth(v, &ev);
		return;
	}
	v->fl->lookups_out++;
}

/* Contact fields for the session: contact.<name>; custom fields too. */
void eng__ivr_contact_ready(struct eng_flows *fl, const struct store_msg *m)
{
	struct eng_ivr *v = eng__ivr_find(fl, m->cookie >> COOKIE_SHIFT);
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
		eng__ivr_pump(v, ivr_session_event(v->s, &ev, now) == 0);
	}
out:
	json_decref(custom);
	if (m->contact)
		crm_contact_free(m->contact);
}

void eng__ivr_http(struct eng_ivr *v, const struct ivr_act_http *h)
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
		eng__ivr_synth(v, &ev);
	}
}

void eng__ivr_dip_ready(struct eng_flows *fl, struct dip_result *r)
{
	struct eng_ivr *v = eng__ivr_find(fl, r->cookie >> COOKIE_SHIFT);
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
	eng__ivr_pump(v, ivr_session_event(v->s, &ev, clock_wall_ms()) == 0);
out:
	dip_result_free(r);
}

static struct eng_queue *queue_or_default(struct eng_ivr *v, const char *id)
{
	struct eng_tenant *t = v->c->t;

	if (id)
		return eng__queue(v->c->e, t, id);
	return t->nqueues ? t->queues[0] : NULL;
}

/* Voicemail: the caller's audio goes to a one-member mix whose recording is the message. */
void eng__ivr_record(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct call *c = v->c;
	struct engine *e = c->e;
	struct eng_queue *q = queue_or_default(v, r->queue);
	struct media_session *ms = eng__ivr_media(v);
	int64_t now = clock_wall_ms();
	int err = ms && e->media ? 0 : ENOTCONN;

	snprintf(v->rec_queue, sizeof(v->rec_queue), "%s", q ? q->cq->id : "");
	if (!err)
		err = eng__recording_path(e, c, c->recording, sizeof(c->recording));
	if (!err)
		err = media_mix_create(e->media, c->recording, &v->mix);
	if (!err && (err = media_mix_join(v->mix, ms, MEDIA_MIX_FULL, NULL))) {
		media_mix_free(v->mix);
		v->mix = NULL;
	}
	if (err) {
		struct ivr_event ev = {.type = IVR_EV_RECORD_DONE, .ok = false};
		c->recording[0] = '\0';
		eng__ivr_extra(v, "error", "voicemail: cannot record: %s", strerror(err));
		eng__ivr_synth(v, &ev);
		return;
	}
	v->rec_start_ms = now;
	v->rec_end_ms = now + (r->max_ms ? r->max_ms : 60000);
	log_info("engine", "tenant=%s call=%llu event=voicemail_recording queue=%s path=%s",
		 tenant_id(v), call_id(v), v->rec_queue, c->recording);
}

/* Ends the voicemail recording; the call's interaction becomes the message, routed to
 * its queue. With `report`, the session hears that the message was stored. */
void eng__ivr_record_stop(struct eng_ivr *v, bool report)
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
		eng__ivr_synth(v, &ev);
}

void eng__ivr_callback(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct eng_queue *q = queue_or_default(v, r->queue);
	int err = q ? eng__queue_callback(v->c, q, r->number, r->priority) : ENOENT;

	if (err)
		eng__ivr_extra(v, "error", "callback to %s: %s", r->number ? r->number : "?",
			       strerror(err));
	else
		log_info("engine", "tenant=%s call=%llu event=ivr_callback queue=%s number=%s",
			 tenant_id(v), call_id(v), q->cq->id, r->number ? r->number : "");
}

/* Rings a user or dials a number for a `transfer` node. 0 or errno. */
int eng__ivr_transfer(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct call *c = v->c;

	if (r->user) {
		struct eng_user *u = strmap_get2(c->e->usernames, c->t->ct->id, r->user);
		return u ? eng__route_user(c, u) : ENOENT;
	}
	if (!r->number || !*r->number)
		return EINVAL;
	return eng__dial_out(c, r->number, r->trunk, ENG_VIA_FLOW, NULL);
}

/* A transfer whose outcome the flow waits for (it has a `failed` branch): call.c reports
 * it through eng__flow_transfer_result() when the target answers or every leg failed; a
 * transfer that cannot start takes the `failed` branch at once. */
void eng__ivr_transfer_wait(struct eng_ivr *v, const struct ivr_act_route *r)
{
	struct ivr_event ev = {.type = IVR_EV_TRANSFER_DONE};
	int err = eng__ivr_transfer(v, r);

	if (!err) {
		v->transfer_wait = true;
		return;
	}
	v->c->state = CALL_IVR;
	eng__ivr_extra(v, "error", "transfer to %s: %s", r->user ? r->user : r->number,
		       strerror(err));
	eng__ivr_synth(v, &ev);
}
