/*
 * Shared helpers of the IVR tests: loading a flow from YAML text, a fake clock, and a
 * fake engine that feeds a session digits, play ends, timers and results and looks at
 * the actions it asks for. Included by tests/unit/test_ivr*.c only.
 */
#ifndef CENTRALA_TEST_IVR_FIXTURE_H
#define CENTRALA_TEST_IVR_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/yaml.h"
#include "ivr/ivr.h"

struct fx {
	struct cy *cy;
	struct ivr_flow *flow;
	struct ivr_flowset *set;
	struct ivr_session *s;
	int64_t now;
	uint32_t play_id;
	uint32_t http_id;
	int rc;
};

static inline bool fx_exists(void *arg, enum ivr_ref kind, const char *name)
{
	static const char *const known[] = {"sales", "support", "billing", "alice", "pstn",
					    "main",  "other",	"vip",	   NULL};

	for (int i = 0; known[i]; i++)
		if (!strcmp(known[i], name))
			return true;
	return false;
}

static inline int64_t fx_time(const char *iso)
{
	int64_t t = 0;

	assert_int_equal(clock_parse_iso8601(iso, &t), 0);
	return t;
}

static inline void fx_print_messages(struct cy *cy)
{
	for (size_t i = 0; i < cy_error_count(cy); i++)
		print_message("error: %s\n", cy_error_at(cy, i));
	for (size_t i = 0; i < cy_warning_count(cy); i++)
		print_message("warning: %s\n", cy_warning_at(cy, i));
}

static inline struct ivr_env fx_env(void)
{
	struct ivr_env env = {.exists = fx_exists,
			      .prompt_dir = "prompts",
			      .language = "pl",
			      .timezone = "Europe/Warsaw",
			      .no_file_checks = true};
	return env;
}

/* Loads the flow written at the root of `yaml` (as "flows.main"); the test fails on an
 * error. */
static inline void fx_load_env(struct fx *f, const char *yaml, const struct ivr_env *env)
{
	struct cfg_named_node def = {.name = "main"};
	int rc;

	memset(f, 0, sizeof(*f));
	f->now = fx_time("2026-11-23T10:00:00Z"); /* a Monday, 11:00 in Warsaw */
	assert_int_equal(cy_load_string("flow.yaml", yaml, &f->cy), 0);
	def.node = cy_root(f->cy);
	snprintf(def.path, sizeof(def.path), "flows.main");
	rc = ivr_flow_load(f->cy, &def, env, &f->flow);
	if (rc)
		fx_print_messages(f->cy);
	assert_int_equal(rc, 0);
}

static inline void fx_load(struct fx *f, const char *yaml)
{
	struct ivr_env env = fx_env();

	fx_load_env(f, yaml, &env);
}

static inline void fx_done(struct fx *f)
{
	ivr_session_free(f->s);
	if (f->set)
		ivr_flowset_free(f->set);
	else
		ivr_flow_free(f->flow);
	cy_free(f->cy);
}

static inline const struct ivr_action *fx_find(struct fx *f, enum ivr_action_type t)
{
	const struct ivr_action *a;
	size_t n = ivr_session_actions(f->s, &a);

	for (size_t i = 0; i < n; i++)
		if (a[i].type == t)
			return &a[i];
	return NULL;
}

static inline size_t fx_nacts(struct fx *f)
{
	const struct ivr_action *a;

	return ivr_session_actions(f->s, &a);
}

/* Remembers the ids of a PLAY or HTTP action of the last step. */
static inline void fx_note(struct fx *f)
{
	const struct ivr_action *p = fx_find(f, IVR_ACT_PLAY), *h = fx_find(f, IVR_ACT_HTTP);

	if (p)
		f->play_id = p->u.play.id;
	if (h)
		f->http_id = h->u.http.id;
}

static inline void fx_start_vars(struct fx *f, const struct ivr_kv *vars, size_t n)
{
	assert_int_equal(ivr_session_start(f->flow, vars, n, f->now, &f->s), 0);
	fx_note(f);
}

static inline void fx_start(struct fx *f)
{
	const struct ivr_kv vars[] = {{"caller", "+48601234567"}, {"called", "100"}};

	fx_start_vars(f, vars, 2);
}

static inline int fx_event(struct fx *f, const struct ivr_event *ev)
{
	f->rc = ivr_session_event(f->s, ev, f->now);
	fx_note(f);
	return f->rc;
}

static inline int fx_digit(struct fx *f, char d)
{
	struct ivr_event ev = {.type = IVR_EV_DIGIT, .digit = d};

	return fx_event(f, &ev);
}

static inline void fx_digits(struct fx *f, const char *ds)
{
	for (; *ds; ds++)
		fx_digit(f, *ds);
}

static inline int fx_play_done(struct fx *f)
{
	struct ivr_event ev = {.type = IVR_EV_PLAY_DONE, .id = f->play_id, .ok = true};

	f->now += 1000;
	return fx_event(f, &ev);
}

/* Advances the fake clock to the session's wake-up time and fires the timer. */
static inline int fx_timer(struct fx *f)
{
	struct ivr_event ev = {.type = IVR_EV_TIMER};
	int64_t at = ivr_session_wake_at(f->s);

	assert_true(at > 0);
	f->now = at;
	return fx_event(f, &ev);
}

static inline const struct ivr_item *fx_play_items(struct fx *f, size_t *n)
{
	const struct ivr_action *p = fx_find(f, IVR_ACT_PLAY);

	assert_non_null(p);
	*n = p->u.play.nitems;
	return p->u.play.items;
}

/* The path log as one line: "kind:node:detail kind:node:detail ...". */
static inline const char *fx_path(struct fx *f)
{
	static char buf[4096];
	struct ivr_path_entry e;
	size_t it = 0, o = 0;

	buf[0] = '\0';
	while (ivr_path_next(f->s, &it, &e) && o < sizeof(buf) - 200)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s:%s:%s", o ? " " : "",
				      ivr_path_kind_name(e.kind), e.node, e.detail);
	return buf;
}

static inline void fx_expect_path_contains(struct fx *f, const char *want)
{
	const char *p = fx_path(f);

	if (!strstr(p, want))
		print_message("path: %s\nwanted: %s\n", p, want);
	assert_non_null(strstr(p, want));
}

#endif
