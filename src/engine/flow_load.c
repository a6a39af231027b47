/*
 * Loading IVR flows: for `centrala check` (calendars and flows of every tenant checked
 * against the configuration) and for the server (flows checked against the provisioned
 * queues and users, prompt sets made, and every fixed TTS text rendered into the cache
 * before a call is taken).
 */
#include "engine/flow_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static const char *const prompt_langs[] = {"pl", "es", "ru", "en"};

/* ---- loading ------------------------------------------------------------------------------ */

struct check_env {
	const struct cfg_tenant *ct;
	struct eng_tenant *t; /* NULL for `centrala check` */
};

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
		return cfg_trunk_find(ce->ct, name) != NULL;
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
	char buf[512];
	int err;

	env_of(cfg, &ce, (const struct ivr_calendar *const *)t->calendars, t->ncalendars, &env);
	err = ivr_flowset_load(cfg->cy, ct->flows, ct->nflows, &env, &t->flows);
	for (size_t i = e0; i < cy_error_count(cfg->cy); i++)
		log_error("engine", "tenant=%s event=flow_error msg=\"%s\"", ct->id,
			  eng__ivr_quote(cy_error_at(cfg->cy, i), buf, sizeof(buf)));
	for (size_t i = w0; i < cy_warning_count(cfg->cy); i++)
		log_warn("engine", "tenant=%s event=flow_warning msg=\"%s\"", ct->id,
			 eng__ivr_quote(cy_warning_at(cfg->cy, i), buf, sizeof(buf)));
	if (err)
		return err;
	for (size_t i = 0; i < ct->nflows; i++) {
		const struct ivr_flow *f = ivr_flowset_find(t->flows, ct->flows[i].name);
		if (f)
			render_static(fl, ct, f, rendered);
	}
	/* Queue overflow messages are spoken in the tenant's language: render them now. */
	for (size_t i = 0; i < ct->nqueues; i++) {
		const struct cfg_target *tg = &ct->queues[i].overflow;
		struct tts_params tp = {.text = tg->value, .lang = ct->language};
		char path[TTS_PATH_MAX];
		if (tg->kind != CFG_TARGET_MESSAGE || !tg->value)
			continue;
		if (tts_render_sync(fl->tts, &tp, path, sizeof(path)))
			log_warn("engine", "tenant=%s event=tts_failed queue=%s", ct->id,
				 ct->queues[i].id);
		else
			(*rendered)++;
	}
	return 0;
}

int eng__ivr_load(struct eng_flows *fl, unsigned *nflows, unsigned *rendered)
{
	struct engine *e = fl->e;
	int err = 0;

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
		int rc = load_tenant(fl, &e->tenants[i], rendered);
		if (rc && !err)
			err = rc;
		*nflows += (unsigned)e->tenants[i].ct->nflows;
	}
	return err;
}

int eng__flows_load_tenant(struct engine *e, struct eng_tenant *t)
{
	unsigned rendered = 0;
	int err;

	if (!e->flows)
		return 0;
	if ((err = load_tenant(e->flows, t, &rendered)))
		return err;
	log_info("engine", "tenant=%s event=flows_loaded flows=%zu tts_rendered=%u", t->ct->id,
		 t->ct->nflows, rendered);
	return 0;
}
