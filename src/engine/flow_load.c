/*
 * Loading IVR flows: for `centrala check` (calendars and flows of every tenant checked
 * against the configuration) and for the server (prompt sets made, queue messages
 * rendered, and the flows' definitions read; flows_live.c makes them live).
 */
#include "engine/flow_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "engine/flows_live.h"

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

/* Renders the tenant's queue overflow messages (spoken in its language) before calls. */
static void render_overflow(struct eng_flows *fl, struct eng_tenant *t, unsigned *rendered)
{
	const struct cfg_tenant *ct = t->ct;

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
}

int eng__ivr_load(struct eng_flows *fl, unsigned *nflows, unsigned *rendered)
{
	struct engine *e = fl->e;

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
		render_overflow(fl, &e->tenants[i], rendered);
		*nflows += (unsigned)e->tenants[i].ct->nflows;
	}
	/* The definitions now; they go live (eng__flows_live) once the queues and users the
	 * API made are loaded, since flows may name them. */
	return eng__live_load(e);
}

int eng__flows_load_tenant(struct engine *e, struct eng_tenant *t)
{
	unsigned rendered = 0;
	int err;

	if (!e->flows)
		return 0;
	render_overflow(e->flows, t, &rendered);
	if ((err = eng__live_tenant_add(t)))
		return err;
	log_info("engine", "tenant=%s event=flows_loading flows=%zu tts_rendered=%u", t->ct->id,
		 t->ct->nflows, rendered);
	return 0;
}
