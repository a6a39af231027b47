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
#include "engine/flow_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "crm/crm.h"
#include "engine/flows_live.h"

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

struct eng_ivr *eng__ivr_find(struct eng_flows *fl, uint64_t serial)
{
	for (struct eng_ivr *v = fl->sessions[serial & (FLOW_HASH - 1)]; v; v = v->hnext)
		if (v->serial == serial)
			return v;
	return NULL;
}

/* A message for a log value in double quotes: its own quotes escaped, truncated. */
const char *eng__ivr_quote(const char *msg, char *buf, size_t size)
{
	size_t o = 0;

	for (const char *p = msg; *p && o + 3 < size; p++) {
		if (*p == '"' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	buf[o] = '\0';
	return buf;
}

/* ---- the path log -------------------------------------------------------------------- */

void eng__ivr_synth(struct eng_ivr *v, const struct ivr_event *ev)
{
	if (v->nsynth < FLOW_MAX_SYNTH)
		v->synth[v->nsynth++] = *ev;
	else
		log_error("engine", "tenant=%s call=%llu event=ivr_event_dropped type=%d",
			  tenant_id(v), call_id(v), (int)ev->type);
}

/* Records an entry of the engine's own in the path (merged into the timeline by time). */
void eng__ivr_extra(struct eng_ivr *v, const char *kind, const char *fmt, ...)
{
	struct flow_extra *x;
	char q[256];
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
		 v->node_name ? v->node_name : "-", eng__ivr_quote(x->detail, q, sizeof(q)));
}

/* Logs the path entries added since the last call: one line each. */
static void log_path(struct eng_ivr *v)
{
	struct ivr_path_entry pe;
	size_t it = v->logged;
	char q[320];

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
				 pe.node, eng__ivr_quote(pe.detail, q, sizeof(q)), pe.status);
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
	char detail[160], q[330];
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	log_warn("engine", "tenant=%s call=%llu event=ivr_error flow=%s node=%s detail=\"%s\"",
		 tenant_id(v), call_id(v), v->flow_name ? v->flow_name : "-",
		 v->node_name ? v->node_name : "-", eng__ivr_quote(detail, q, sizeof(q)));
	o = path_json(clock_wall_ms(), "error", v->flow_name, v->node_name, detail, 0);
	if (o)
		json_array_append_new(v->c->timeline, o);
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
	eng__ivr_pending_free(v);
	su_timer_destroy(v->timer);
	session_del(v->fl, v);
	ivr_session_free(v->s);
	eng__gen_unref(v->gen);
	free(v);
}

/* The variables the flow collected stay on the call for the agent's screen pop. */
static void vars_keep(struct eng_ivr *v)
{
	struct call *c = v->c;
	struct ivr_kv kv;
	size_t it = 0;

	struct ivr_path_entry pe;

	if (!c->ivr_vars && !(c->ivr_vars = json_object()))
		return;
	while (ivr_session_var_next(v->s, &it, &kv))
		json_object_set_new(c->ivr_vars, kv.name, json_string(kv.value ? kv.value : ""));
	/* The nodes the caller went through ("flow.node"), a flow after another. */
	if (!c->ivr_path && !(c->ivr_path = json_array()))
		return;
	for (it = 0; ivr_path_next(v->s, &it, &pe);)
		if (pe.kind == IVR_PATH_NODE) {
			char fn[160];
			snprintf(fn, sizeof(fn), "%s.%s", pe.flow ? pe.flow : "",
				 pe.node ? pe.node : "");
			json_array_append_new(c->ivr_path, json_string(fn));
		}
}

/* Hands the call on as the last action asked (the path is already in the timeline and
 * c->ivr cleared, so nothing routes back here). */
static void handoff(struct eng_ivr *v, const struct ivr_action *a)
{
	struct call *c = v->c;
	const struct ivr_act_route *r = &a->u.route;
	struct eng_queue *q;
	const char *lang = ivr_session_language(v->s);
	int err;

	/* The caller's language (a menu may have changed it) is the queue's prompts'. */
	if (lang)
		snprintf(c->lang, sizeof(c->lang), "%s", lang);
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
		if ((err = eng__ivr_transfer(v, r))) {
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
	vars_keep(v);
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
bool eng__ivr_pump(struct eng_ivr *v, bool fresh)
{
	for (;;) {
		if (fresh) {
			const struct ivr_action *acts, *last = NULL;
			size_t n = ivr_session_actions(v->s, &acts);
			for (size_t i = 0; i < n; i++) {
				const struct ivr_action *a = &acts[i];
				switch (a->type) {
				case IVR_ACT_PLAY:
					eng__ivr_play(v, &a->u.play);
					break;
				case IVR_ACT_STOP_PLAY:
					eng__ivr_pending_free(v);
					if (eng__ivr_media(v))
						media_play_stop(eng__ivr_media(v));
					break;
				case IVR_ACT_COLLECT:
					eng__ivr_collect(v);
					break;
				case IVR_ACT_LOOKUP:
					eng__ivr_lookup(v, &a->u.lookup);
					break;
				case IVR_ACT_HTTP:
					eng__ivr_http(v, &a->u.http);
					break;
				case IVR_ACT_TRANSFER:
					if (a->u.route.wait_result)
						eng__ivr_transfer_wait(v, &a->u.route);
					else
						last = a;
					break;
				case IVR_ACT_RECORD:
					eng__ivr_record(v, &a->u.route);
					break;
				case IVR_ACT_CALLBACK:
					eng__ivr_callback(v, &a->u.route);
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

/* Runs the first actions if the timer that does it has not fired yet: the flow owns the
 * caller's audio from now on (music on hold of a queue that overflowed here stops).
 * False when the session ended. */
static bool ensure_started(struct eng_ivr *v)
{
	if (v->started)
		return true;
	if (eng__ivr_media(v))
		media_play_stop(eng__ivr_media(v));
	v->started = true;
	return eng__ivr_pump(v, true);
}

static void timer_cb(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct eng_ivr *v = arg;
	struct ivr_event ev = {.type = IVR_EV_TIMER};
	int64_t now = clock_wall_ms();

	if (!v->started) {
		ensure_started(v);
		return;
	}
	if (v->mix && now >= v->rec_end_ms) {
		eng__ivr_record_stop(v, true);
		eng__ivr_pump(v, false);
		return;
	}
	eng__ivr_pump(v, ivr_session_event(v->s, &ev, now) == 0);
}

int eng__flow_enter(struct call *c, const char *name)
{
	struct engine *e = c->e;
	struct eng_flows *fl = e->flows;
	struct eng_flowgen *g = c->t->live ? c->t->live->cur : NULL;
	const struct ivr_flow *f = g && name ? ivr_flowset_find(g->set, name) : NULL;
	/* {caller} is the number something vouches for when there is one (a trunk's
	 * P-Asserted-Identity), else the From user as written. */
	const struct ivr_kv vars[] = {{"caller", c->cli[0] ? c->cli : c->from},
				      {"called", c->number}};
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
	v->gen = g;
	eng__gen_ref(g);
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

int eng__tts_cached(struct engine *e, const char *text, const char *lang, char *path, size_t size)
{
	struct tts_params tp = {.text = text, .lang = lang};

	if (!e->flows || !e->flows->tts)
		return ENOENT;
	return tts_path_for(e->flows->tts, &tp, path, size);
}

bool eng__flow_transfer_result(struct call *c, bool connected)
{
	struct eng_ivr *v = c->ivr;
	struct ivr_event ev = {.type = IVR_EV_TRANSFER_DONE, .ok = connected};

	if (!v || !v->transfer_wait)
		return false;
	v->transfer_wait = false;
	if (!connected)
		c->state = CALL_IVR;
	eng__ivr_pump(v, ivr_session_event(v->s, &ev, clock_wall_ms()) == 0);
	return true;
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
			eng__ivr_record_stop(v, true);
			eng__ivr_pump(v, false);
		}
		return;
	}
	eng__ivr_pump(v, ivr_session_event(v->s, &ev, clock_wall_ms()) == 0);
}

void eng__flow_play_done(struct call *c, uint32_t id, bool ok)
{
	struct eng_ivr *v = c->ivr;
	struct ivr_event ev = {.type = IVR_EV_PLAY_DONE, .id = id & 0xffff, .ok = ok};

	if (!v || (id & PLAY_QUEUE_BIT) || (id & 0x7fff0000u) != v->play_tag || !v->started)
		return;
	eng__ivr_pump(v, ivr_session_event(v->s, &ev, clock_wall_ms()) == 0);
}

void eng__flow_end(struct call *c)
{
	struct eng_ivr *v = c->ivr;
	struct ivr_event ev = {.type = IVR_EV_HANGUP};

	if (!v)
		return;
	/* A caller who hangs up while leaving a message has left it. */
	eng__ivr_record_stop(v, false);
	ivr_session_event(v->s, &ev, clock_wall_ms());
	flow_finish(v, NULL);
}

/* ---- replies from the workers ------------------------------------------------------------ */

static void flow_message(struct eng_flows *fl, union flow_msg *m, size_t len)
{
	if (len == sizeof(struct tts_done) && m->tts.kind == TTS_MSG_DONE) {
		eng__ivr_tts_ready(fl, &m->tts);
	} else if (len == sizeof(struct dip_msg) && m->dip.kind == DIP_MSG_RESULT) {
		eng__ivr_dip_ready(fl, m->dip.result);
	} else if (len == sizeof(struct store_msg) && m->store.type == STORE_MSG_CONTACT) {
		eng__ivr_contact_ready(fl, &m->store);
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

void eng__flows_stop(struct engine *e)
{
	struct eng_flows *fl = e->flows;

	if (!fl)
		return;
	/* Calls still in a flow (normally none: calls end before this): close their path. */
	for (size_t b = 0; b < FLOW_HASH; b++)
		while (fl->sessions[b]) {
			struct eng_ivr *v = fl->sessions[b];
			eng__ivr_record_stop(v, false);
			eng__ivr_extra(v, "end", "shutdown");
			flow_finish(v, NULL);
		}
	/* Generations still rendering use the TTS worker: joined before it goes. */
	eng__gens_stop(e);
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
	eng__live_free(e);
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
	if ((err = eng__ivr_load(fl, &nflows, &rendered)))
		goto fail;
	/* Logged with the flows' own texts once they are live (eng__flows_live). */
	fl->start_rendered = rendered;
	fl->start_ms = clock_mono_ms() - t0;
	return 0;
fail:
	eng__flows_stop(e);
	return err;
}
