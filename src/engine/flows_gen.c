/*
 * Generations of a tenant's flows (see flows_live.h): built from the definitions on the
 * engine's thread, their fixed TTS texts rendered on a thread of their own, then made
 * current; reference counted by the calls that run in them.
 */
#include "engine/flows_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "engine/flow_int.h"

/* ---- building ---------------------------------------------------------------------------- */

static bool ref_exists(void *arg, enum ivr_ref kind, const char *name)
{
	struct eng_tenant *t = arg;
	const struct eng_flowdef *d;

	switch (kind) {
	case IVR_REF_QUEUE:
		return eng__queue(t->e, t, name) != NULL;
	case IVR_REF_USER:
		return strmap_get2(t->e->usernames, t->ct->id, name) != NULL;
	case IVR_REF_FLOW:
		d = eng__flowdef(t, name);
		return d && d->published;
	case IVR_REF_TRUNK:
		return cfg_trunk_find(t->ct, name) != NULL;
	}
	return false;
}

static int add_doc(struct eng_flowgen *g, const char *name, const char *body, struct cy **out)
{
	struct cy **v = realloc(g->docs, (g->ndocs + 1) * sizeof(*v));
	int err;

	if (!v)
		return ENOMEM;
	g->docs = v;
	if ((err = cy_load_string(name, body, &g->docs[g->ndocs])))
		return err;
	*out = g->docs[g->ndocs++];
	return 0;
}

/* The first error of c as "message" with the field after `prefix` ("flows.NAME"). */
static void first_error(struct cy *c, char *msg, size_t msize)
{
	const char *e = cy_error_count(c) ? cy_error_at(c, 0) : "invalid";
	const char *p = strstr(e, "flows.");

	if (!p)
		p = strstr(e, "calendars.");
	snprintf(msg, msize, "%s", p ? p : e);
}

int eng__gen_build(struct eng_tenant *t, struct eng_flowgen **out, char *msg, size_t msize)
{
	struct eng_live *l = t->live;
	struct eng_flowgen *g = calloc(1, sizeof(*g));
	struct cfg_named_node *defs = NULL;
	struct cy *errs = NULL, *doc;
	struct ivr_env env;
	size_t nd = 0;
	int err = ENOMEM;

	msg[0] = '\0';
	if (!g || !(g->cals = calloc(l->ncals + 1, sizeof(*g->cals))) ||
	    !(defs = calloc(l->nflows + 1, sizeof(*defs))) ||
	    strmap_create(l->ncals + 1, &g->cal_by_name) || cy_load_string("flow", "{}", &errs))
		goto out;
	g->t = t;
	for (size_t i = 0; i < l->ncals; i++) {
		struct cfg_named_node def = {.name = l->cals[i].name};
		if ((err = add_doc(g, l->cals[i].name, l->cals[i].body, &doc)))
			goto out;
		def.node = cy_root(doc);
		snprintf(def.path, sizeof(def.path), "calendars.%s", l->cals[i].name);
		if (!def.node) {
			snprintf(msg, msize, "%s: not a calendar", def.path);
			err = EINVAL;
			goto out;
		}
		if ((err =
			 ivr_calendar_load_named(errs, &def, t->ct->timezone, &g->cals[g->ncals])))
			goto fail;
		g->ncals++;
		if ((err = strmap_put(g->cal_by_name, l->cals[i].name, g->cals[g->ncals - 1])))
			goto out;
	}
	for (size_t i = 0; i < l->nflows; i++) {
		const struct eng_flowdef *d = &l->flows[i];
		const struct eng_flow_ver *v = eng__flow_ver(d, d->published);
		if (!v)
			continue;
		if ((err = add_doc(g, d->name, v->body, &doc)))
			goto out;
		defs[nd].name = (char *)d->name;
		defs[nd].node = cy_root(doc);
		snprintf(defs[nd].path, sizeof(defs[nd].path), "flows.%s", d->name);
		if (!defs[nd].node) {
			snprintf(msg, msize, "flows.%s: not a flow", d->name);
			err = EINVAL;
			goto out;
		}
		nd++;
	}
	memset(&env, 0, sizeof(env));
	env.exists = ref_exists;
	env.arg = t;
	env.calendars = (const struct ivr_calendar *const *)g->cals;
	env.ncalendars = g->ncals;
	env.prompt_dir = t->e->cfg->prompts;
	env.language = t->ct->language;
	env.timezone = t->ct->timezone;
	if ((err = ivr_flowset_load(errs, defs, nd, &env, &g->set)))
		goto fail;
	err = 0;
	goto out;
fail:
	if (err != ENOMEM) {
		first_error(errs, msg, msize);
		err = EINVAL;
	}
out:
	cy_free(errs);
	free(defs);
	if (err) {
		if (!msg[0])
			snprintf(msg, msize, "%s", strerror(err));
		eng__gen_free(g);
		return err;
	}
	*out = g;
	return 0;
}

void eng__gen_free(struct eng_flowgen *g)
{
	if (!g)
		return;
	ivr_flowset_free(g->set);
	strmap_free(g->cal_by_name);
	for (size_t i = 0; i < g->ncals; i++)
		ivr_calendar_free(g->cals[i]);
	free(g->cals);
	for (size_t i = 0; i < g->ndocs; i++)
		cy_free(g->docs[i]);
	free(g->docs);
	json_decref(g->reply.body);
	free(g->reply.store_body);
	free(g);
}

const struct ivr_calendar *eng__gen_calendar(const struct eng_flowgen *g, const char *name)
{
	return g && g->cal_by_name && name ? strmap_get(g->cal_by_name, name) : NULL;
}

void eng__gen_ref(struct eng_flowgen *g)
{
	g->refs++;
}

void eng__gen_unref(struct eng_flowgen *g)
{
	if (g && !--g->refs) {
		log_info("engine", "tenant=%s event=flows_generation_freed seq=%llu", g->t->ct->id,
			 (unsigned long long)g->seq);
		eng__gen_free(g);
	}
}

/* ---- rendering ----------------------------------------------------------------------------- */

/* Renders every fixed TTS text of g's flows; blocks (a render thread, or start-up). */
static unsigned render(struct engine *e, struct eng_flowgen *g, bool preload)
{
	const struct ivr_flow *f;
	unsigned n = 0;

	if (!e->flows || !e->flows->tts)
		return 0;
	/* Only g is read here: the definitions may change meanwhile on the engine's thread. */
	for (size_t i = 0; (f = ivr_flowset_at(g->set, i)); i++) {
		const char *text, *lang, *voice;
		size_t it = 0;
		while (f && ivr_flow_static_tts(f, &it, &text, &lang, &voice)) {
			struct tts_params tp = {.text = text, .lang = lang, .voice = voice};
			char path[TTS_PATH_MAX];
			if (tts_render_sync(e->flows->tts, &tp, path, sizeof(path))) {
				log_warn("engine", "event=tts_failed flow=%s lang=%s",
					 ivr_flow_name(f), lang ? lang : "-");
				continue;
			}
			n++;
			if (preload && e->media)
				media_prompt_preload(e->media, path);
		}
	}
	return n;
}

static void install(struct eng_tenant *t, struct eng_flowgen *g)
{
	struct eng_live *l = t->live;
	struct eng_flowgen *old = l->cur;

	l->cur = g;
	l->live_seq = g->seq;
	g->refs++;
	/* The queues' hours point into the calendars of the generation that is current. */
	eng__queues_hours_resolve(t);
	/* So do the campaigns' days off. */
	eng__camp_holidays_resolve(t->e, t);
	log_info("engine", "tenant=%s event=flows_live seq=%llu tts_rendered=%u", t->ct->id,
		 (unsigned long long)g->seq, g->nrendered);
	eng__gen_unref(old);
}

void eng__gen_install_sync(struct eng_tenant *t, struct eng_flowgen *g)
{
	g->seq = ++t->live->seq;
	g->nrendered = render(t->e, g, true);
	install(t, g);
}

struct render_arg {
	struct engine *e;
	struct eng_flowgen *g;
};

static void *render_main(void *arg)
{
	struct render_arg *r = arg;
	struct api_cmd m;

	pthread_setname_np(pthread_self(), "flow-render");

	r->g->nrendered = render(r->e, r->g, false);
	atomic_store(&r->g->rendered, true);
	memset(&m, 0, sizeof(m));
	m.op = API_OP_FLOWS_READY;
	if (!r->e->api_cmds || mq_push(r->e->api_cmds, &m, sizeof(m)))
		log_warn("engine", "event=flows_ready_lost note=\"applied with the next change\"");
	free(r);
	return NULL;
}

int eng__gen_start(struct eng_tenant *t, struct eng_flowgen *g, struct live_reply *reply)
{
	struct engine *e = t->e;
	struct render_arg *r = malloc(sizeof(*r));

	g->seq = ++t->live->seq;
	g->reply = *reply;
	memset(reply, 0, sizeof(*reply));
	if (!r) {
		eng__gen_free(g);
		return ENOMEM;
	}
	r->e = e;
	r->g = g;
	if (pthread_create(&g->th, NULL, render_main, r)) {
		free(r);
		eng__gen_free(g);
		return EAGAIN;
	}
	g->thread = true;
	g->next = e->rendering;
	e->rendering = g;
	return 0;
}

static void answer(struct engine *e, struct live_reply *r, bool live)
{
	struct api_cmd m;

	if (!r->req || !e->api)
		return;
	memset(&m, 0, sizeof(m));
	m.req = r->req;
	snprintf(m.tenant, sizeof(m.tenant), "%s", r->tenant);
	snprintf(m.user, sizeof(m.user), "%s", r->user);
	if (!live)
		log_info("engine", "event=flows_superseded note=\"a later change is live\"");
	api_reply_persist(e->api, &m, r->status, r->body, r->kind, r->key, r->store_body);
	r->body = NULL;
}

void eng__gens_ready(struct engine *e)
{
	struct eng_flowgen **p = &e->rendering;

	while (*p) {
		struct eng_flowgen *g = *p;
		if (!atomic_load(&g->rendered)) {
			p = &g->next;
			continue;
		}
		*p = g->next;
		pthread_join(g->th, NULL);
		g->thread = false;
		if (g->seq > g->t->live->live_seq) {
			answer(e, &g->reply, true);
			install(g->t, g);
		} else {
			/* A later change went live first: it has this one's change too. */
			answer(e, &g->reply, false);
			eng__gen_free(g);
		}
	}
}

void eng__gens_stop(struct engine *e)
{
	while (e->rendering) {
		struct eng_flowgen *g = e->rendering;
		e->rendering = g->next;
		if (g->thread)
			pthread_join(g->th, NULL);
		if (g->reply.req && e->api)
			api_reply_error(e->api, g->reply.req, 503, "busy",
					"the server is stopping");
		eng__gen_free(g);
	}
}
