/*
 * The session's bookkeeping: its variables (copied strings, a bounded number), the path
 * log, the per-step action and media-item buffers, and a small arena for the strings
 * those actions carry. A step is one call of start or event; what it returns lives
 * until the next step. The node logic itself is in exec.c.
 */
#include "ivr/ivr_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096

static struct ivr_arena *arena_block(size_t cap)
{
	struct ivr_arena *a = malloc(sizeof(*a) + cap);

	if (a) {
		a->next = NULL;
		a->used = 0;
		a->cap = cap;
	}
	return a;
}

void *ivr__salloc(struct ivr_session *s, size_t n)
{
	struct ivr_arena *a = s->arena;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!a || a->cap - a->used < n) {
		struct ivr_arena *b = arena_block(n > ARENA_BLOCK ? n : ARENA_BLOCK);
		if (!b)
			return NULL;
		b->next = a;
		s->arena = a = b;
	}
	p = a->data + a->used;
	a->used += n;
	return p;
}

char *ivr__sdup(struct ivr_session *s, const char *str)
{
	size_t n = str ? strlen(str) + 1 : 1;
	char *p = ivr__salloc(s, n);

	if (p)
		memcpy(p, str ? str : "", n);
	return p;
}

static void time_vars(struct ivr_session *s)
{
	static const char *const wd[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	struct ivr_local lt;

	ivr__local_time(s->flow->tz, s->now, &lt);
	snprintf(s->tvals[0], sizeof(s->tvals[0]), "%02d", lt.minute / 60);
	snprintf(s->tvals[1], sizeof(s->tvals[1]), "%02d", lt.minute % 60);
	snprintf(s->tvals[2], sizeof(s->tvals[2]), "%d", lt.weekday);
	snprintf(s->tvals[3], sizeof(s->tvals[3]), "%s", wd[lt.weekday - 1]);
	snprintf(s->tvals[4], sizeof(s->tvals[4]), "%04d-%02d-%02d", lt.year % 10000, lt.month,
		 lt.day);
	snprintf(s->tvals[5], sizeof(s->tvals[5]), "%02d:%02d", lt.minute / 60, lt.minute % 60);
}

void ivr__step_begin(struct ivr_session *s, int64_t now)
{
	struct ivr_arena *a = s->arena;

	/* Keep the newest block for the next step; free the rest. */
	if (a) {
		struct ivr_arena *b = a->next;
		while (b) {
			struct ivr_arena *nx = b->next;
			free(b);
			b = nx;
		}
		a->next = NULL;
		a->used = 0;
	}
	s->nacts = 0;
	s->nitems = 0;
	s->nkv = 0;
	s->now = now;
	s->pending = -1;
	time_vars(s);
}

struct ivr_action *ivr__act(struct ivr_session *s, enum ivr_action_type t)
{
	struct ivr_action *a;

	if (s->nacts == IVR_MAX_ACTIONS)
		return NULL;
	a = &s->acts[s->nacts++];
	memset(a, 0, sizeof(*a));
	a->type = t;
	return a;
}

struct ivr_item *ivr__item(struct ivr_session *s)
{
	struct ivr_item *it;

	if (s->nitems == IVR_MAX_ITEMS)
		return NULL;
	it = &s->items[s->nitems++];
	memset(it, 0, sizeof(*it));
	return it;
}

struct ivr_kv *ivr__kvs(struct ivr_session *s, size_t n)
{
	struct ivr_kv *kv;

	if (n > IVR_MAX_KV - s->nkv)
		return NULL;
	kv = &s->kv[s->nkv];
	s->nkv += n;
	return kv;
}

int ivr__var_set(struct ivr_session *s, const char *name, const char *value)
{
	size_t vlen = strlen(value);
	char *v;

	if (vlen > IVR_MAX_VALUE)
		vlen = IVR_MAX_VALUE;
	v = strndup(value, vlen);
	if (!v)
		return ENOMEM;
	for (size_t i = 0; i < s->nvars; i++)
		if (!strcmp(s->vars[i].name, name)) {
			free(s->vars[i].value);
			s->vars[i].value = v;
			return 0;
		}
	if (s->nvars == IVR_MAX_VARS) {
		free(v);
		return ENOSPC;
	}
	if (s->nvars == s->capvars) {
		size_t cap = s->capvars ? s->capvars * 2 : 16;
		struct ivr_var *nv = realloc(s->vars, cap * sizeof(*nv));
		if (!nv) {
			free(v);
			return ENOMEM;
		}
		s->vars = nv;
		s->capvars = cap;
	}
	s->vars[s->nvars].name = strdup(name);
	if (!s->vars[s->nvars].name) {
		free(v);
		return ENOMEM;
	}
	s->vars[s->nvars++].value = v;
	return 0;
}

const char *ivr__var_lookup(void *arg, const char *name)
{
	static const char *const tnames[IVR_TIME_VARS] = {"hour", "minute", "weekday",
							  "day",  "date",   "hhmm"};
	struct ivr_session *s = arg;

	if (!strncmp(name, "time.", 5)) {
		for (int i = 0; i < IVR_TIME_VARS; i++)
			if (!strcmp(name + 5, tnames[i]))
				return s->tvals[i];
		return NULL;
	}
	if (!strcmp(name, "lang"))
		return s->lang;
	for (size_t i = 0; i < s->nvars; i++)
		if (!strcmp(s->vars[i].name, name))
			return s->vars[i].value;
	return NULL;
}

void ivr__path(struct ivr_session *s, enum ivr_path_kind k, int status, const char *fmt, ...)
{
	struct ivr_path_rec *r;
	char buf[256];
	va_list ap;

	if (s->npath >= IVR_MAX_PATH_LOG)
		return;
	if (s->npath == IVR_MAX_PATH_LOG - 1) {
		/* Keep the last slot to say that the log was cut. */
		k = IVR_PATH_ERROR;
		status = 0;
		fmt = "path log truncated";
	}
	if (s->npath == s->cappath) {
		size_t cap = s->cappath ? s->cappath * 2 : 32;
		struct ivr_path_rec *v = realloc(s->path, cap * sizeof(*v));
		if (!v)
			return;
		s->path = v;
		s->cappath = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	r = &s->path[s->npath];
	r->detail = strdup(buf);
	if (!r->detail)
		return;
	r->at = s->now;
	r->kind = k;
	r->flow = s->flow->name;
	r->node = s->node >= 0 ? s->flow->nodes[s->node].name : "";
	r->status = status;
	s->npath++;
}

void ivr__session_clear(struct ivr_session *s)
{
	struct ivr_arena *a = s->arena;

	while (a) {
		struct ivr_arena *nx = a->next;
		free(a);
		a = nx;
	}
	for (size_t i = 0; i < s->nvars; i++) {
		free(s->vars[i].name);
		free(s->vars[i].value);
	}
	free(s->vars);
	for (size_t i = 0; i < s->npath; i++)
		free(s->path[i].detail);
	free(s->path);
}

void ivr_session_free(struct ivr_session *s)
{
	if (!s)
		return;
	ivr__session_clear(s);
	free(s);
}

size_t ivr_session_actions(const struct ivr_session *s, const struct ivr_action **out)
{
	*out = s->acts;
	return s->nacts;
}

int64_t ivr_session_wake_at(const struct ivr_session *s)
{
	return s->done ? 0 : s->wake_at;
}

bool ivr_session_done(const struct ivr_session *s)
{
	return s->done;
}

const char *ivr_session_language(const struct ivr_session *s)
{
	return s->lang;
}

const char *ivr_session_var(const struct ivr_session *s, const char *name)
{
	return ivr__var_lookup((void *)s, name);
}

bool ivr_session_var_next(const struct ivr_session *s, size_t *iter, struct ivr_kv *out)
{
	if (*iter >= s->nvars)
		return false;
	out->name = s->vars[*iter].name;
	out->value = s->vars[*iter].value;
	(*iter)++;
	return true;
}

bool ivr_path_next(const struct ivr_session *s, size_t *iter, struct ivr_path_entry *out)
{
	const struct ivr_path_rec *r;

	if (*iter >= s->npath)
		return false;
	r = &s->path[(*iter)++];
	out->at_ms = r->at;
	out->kind = r->kind;
	out->flow = r->flow;
	out->node = r->node;
	out->detail = r->detail;
	out->status = r->status;
	return true;
}

const char *ivr_path_kind_name(enum ivr_path_kind kind)
{
	static const char *const names[] = {"node", "digit", "timeout", "invalid", "lookup",
					    "http", "hours", "end",	"error"};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}
