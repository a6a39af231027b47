/*
 * Loading a flow: the top level (`start`, `lang`, `nodes`), the node table, flow sets,
 * and freeing. The type-specific keys are read in load_nodes.c and load_parts.c;
 * references, loops and reachability are checked in validate.c once every node is in.
 */
#include "ivr/ivr_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/yaml.h"

const char *const ivr__slot_key[IVR_SLOT_OPT] = {
    "next",	 "invalid", "no_input", "error",   "failed", "found",
    "not_found", "open",    "closed",	"holiday", "else",
};
const char ivr__option_keys[13] = "0123456789*#";

static const char *const type_names[IVR_NODE_COUNT] = {
    "play", "menu",  "collect",	 "set",	      "condition", "hours", "lookup",
    "http", "queue", "transfer", "voicemail", "callback",  "goto",  "hangup",
};

const char *ivr__node_type_name(enum ivr_node_type t)
{
	return t < IVR_NODE_COUNT ? type_names[t] : "?";
}

bool ivr__node_takes_input(const struct ivr_node *n)
{
	return n->type == IVR_NODE_MENU || n->type == IVR_NODE_COLLECT;
}

int ivr__node_find(const struct ivr_flow *f, const char *name)
{
	for (size_t i = 0; i < f->nnodes; i++)
		if (f->nodes[i].name && !strcmp(f->nodes[i].name, name))
			return (int)i;
	return -1;
}

void ivr__lerror(struct ivr_load *l, struct fy_node *n, const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cy_error(l->c, n, path, "%s", msg);
	l->errors++;
}

void ivr__lwarn(struct ivr_load *l, struct fy_node *n, const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cy_warn(l->c, n, path, "%s", msg);
}

int ivr__lang_add(struct ivr_load *l, const char *lang)
{
	char **v;

	for (size_t i = 0; i < l->nlangs; i++)
		if (!strcmp(l->langs[i], lang))
			return 0;
	v = realloc(l->langs, (l->nlangs + 1) * sizeof(*v));
	if (!v)
		return ENOMEM;
	l->langs = v;
	if (!(v[l->nlangs] = strdup(lang)))
		return ENOMEM;
	l->nlangs++;
	return 0;
}

static bool valid_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

bool ivr__valid_lang(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 2 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static void load_nodes(struct ivr_load *l, struct fy_node *nodes, const char *path)
{
	struct ivr_flow *f = l->f;
	struct fy_node_pair *p;
	void *it = NULL;
	size_t i = 0;

	f->nnodes = (size_t)fy_node_mapping_item_count(nodes);
	f->nodes = calloc(f->nnodes ? f->nnodes : 1, sizeof(*f->nodes));
	if (!f->nodes) {
		f->nnodes = 0;
		l->errors++;
		return;
	}
	/* Names first, so that a node can name any other in any order. */
	while ((p = cy_pairs(nodes, &it)) && i < f->nnodes) {
		struct fy_node *k = fy_node_pair_key(p);
		const char *name = cy_text(k);
		struct ivr_node *n = &f->nodes[i++];
		char np[512];

		for (int s = 0; s < IVR_SLOT_COUNT; s++)
			n->link[s].idx = -1;
		n->priority = -1;
		n->vip_priority = -1;
		n->src = fy_node_pair_value(p);
		n->name = strdup(name ? name : "?");
		n->path = strdup(cy_path(np, sizeof(np), path, name ? name : "?"));
		if (!n->name || !n->path) {
			l->errors++;
			continue;
		}
		if (!valid_name(name))
			ivr__lerror(l, k, np,
				    "node names use letters, digits, \"_\" and \"-\", got \"%s\"",
				    name ? name : "");
		for (size_t j = 0; j + 1 < i; j++)
			if (!strcmp(f->nodes[j].name, n->name))
				ivr__lerror(l, k, np, "node \"%s\" is defined twice", n->name);
	}
	for (i = 0; i < f->nnodes; i++) {
		struct ivr_node *n = &f->nodes[i];
		const char *type = NULL;
		char tp[512];
		int t;

		if (!n->path || !cy_is_map(l->c, n->src, n->path)) {
			if (n->path)
				l->errors++;
			n->type = IVR_NODE_HANGUP;
			continue;
		}
		if (cy_get_str(l->c, n->src, n->path, "type", true, &type)) {
			l->errors++;
			n->type = IVR_NODE_HANGUP;
			continue;
		}
		for (t = 0; t < IVR_NODE_COUNT; t++)
			if (!strcmp(type, type_names[t]))
				break;
		if (t == IVR_NODE_COUNT) {
			ivr__lerror(
			    l, cy_get(n->src, "type"), cy_path(tp, sizeof(tp), n->path, "type"),
			    "unknown node type \"%s\" (play, menu, collect, set, condition, "
			    "hours, lookup, http, queue, transfer, voicemail, callback, goto, "
			    "hangup)",
			    type);
			n->type = IVR_NODE_HANGUP;
			continue;
		}
		n->type = (enum ivr_node_type)t;
		if (ivr__load_node(l, n, n->src) == ENOMEM)
			l->errors++;
	}
}

int ivr_flow_load(struct cy *c, const struct cfg_named_node *def, const struct ivr_env *env,
		  struct ivr_flow **out)
{
	static const char *const keys[] = {"start", "nodes", "lang", "description", NULL};
	static const struct ivr_env no_env = {0};
	struct ivr_load l = {.c = c, .env = env ? env : &no_env, .errors0 = cy_error_count(c)};
	struct ivr_flow *f;
	const char *start = NULL, *lang = NULL;
	struct fy_node *nodes;
	char p[512];
	int rc = 0;

	f = calloc(1, sizeof(*f));
	if (!f)
		return ENOMEM;
	l.f = f;
	f->start = -1;
	f->src = def->node;
	f->name = strdup(def->name ? def->name : "");
	f->path = strdup(def->path);
	f->prompt_dir = strdup(l.env->prompt_dir ? l.env->prompt_dir : "prompts");
	if (!f->name || !f->path || !f->prompt_dir) {
		rc = ENOMEM;
		goto out;
	}
	if (!cy_is_map(c, def->node, def->path)) {
		rc = EINVAL;
		goto out;
	}
	cy_check_keys(c, def->node, def->path, keys);
	if (cy_get_str(c, def->node, def->path, "lang", false, &lang) == 0 &&
	    !ivr__valid_lang(lang))
		ivr__lerror(&l, cy_get(def->node, "lang"), cy_path(p, sizeof(p), def->path, "lang"),
			    "expected a language code such as pl, es, ru or en, got \"%s\"", lang);
	if (!lang || !ivr__valid_lang(lang))
		lang = l.env->language ? l.env->language : "en";
	f->lang = strdup(lang);
	if (!f->lang || ivr__lang_add(&l, lang)) {
		rc = ENOMEM;
		goto out;
	}
	rc = ivr__tz_load(l.env->timezone, &f->tz);
	if (rc == ENOMEM)
		goto out;
	if (rc) {
		/* The tenant's timezone is checked where the tenant is; fall back to UTC. */
		rc = ivr__tz_load("UTC", &f->tz);
		if (rc)
			goto out;
	}
	if (cy_get_str(c, def->node, def->path, "start", true, &start))
		l.errors++;
	f->start_path = strdup(cy_path(p, sizeof(p), def->path, "start"));
	nodes = cy_get(def->node, "nodes");
	cy_path(p, sizeof(p), def->path, "nodes");
	if (!nodes) {
		ivr__lerror(&l, def->node, p, "missing required key");
	} else if (!cy_is_map(c, nodes, p)) {
		l.errors++;
	} else {
		load_nodes(&l, nodes, p);
		/* Without a node, `start` would name nothing a call could enter. */
		if (!f->nnodes)
			ivr__lerror(&l, nodes, p, "a flow needs at least one node");
	}
	if (start && f->nnodes) {
		f->start = ivr__node_find(f, start);
		if (f->start < 0)
			ivr__lerror(&l, cy_get(def->node, "start"), f->start_path,
				    "unknown node \"%s\"", start);
	}
	/* Links are checked even when something else is wrong, so that one run of
	 * `centrala check` shows every error; loops and reachability need a sound flow. */
	if (f->nnodes)
		ivr__validate(&l);
	rc = l.errors || cy_error_count(c) > l.errors0 ? EINVAL : 0;
out:
	for (size_t i = 0; i < l.nlangs; i++)
		free(l.langs[i]);
	free(l.langs);
	if (rc) {
		ivr_flow_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void ivr__prompt_clear(struct ivr_prompt *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct ivr_part *pt = &p->parts[i];
		free(pt->path);
		free(pt->name);
		free(pt->text.text);
		free(pt->lang);
		free(pt->voice);
		free(pt->currency);
	}
	free(p->parts);
	p->parts = NULL;
	p->n = 0;
}

static void assigns_free(struct ivr_assign *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].value.text);
	}
	free(a);
}

void ivr__node_clear(struct ivr_node *n)
{
	for (int s = 0; s < IVR_SLOT_COUNT; s++) {
		free(n->link[s].name);
		free(n->link[s].path);
	}
	ivr__prompt_clear(&n->prompt);
	ivr__prompt_clear(&n->invalid_prompt);
	ivr__prompt_clear(&n->no_input_prompt);
	if (n->has_re)
		regfree(&n->re);
	free(n->var);
	assigns_free(n->assigns, n->nassigns);
	assigns_free(n->headers, n->nheaders);
	assigns_free(n->fields, n->nfields);
	assigns_free(n->map, n->nmap);
	free(n->lang);
	for (size_t i = 0; i < n->nskills; i++)
		free(n->skills[i].name);
	free(n->skills);
	for (size_t i = 0; i < n->ncases; i++) {
		ivr__expr_free(n->cases[i].expr);
		free(n->cases[i].text);
		free(n->cases[i].link.name);
		free(n->cases[i].link.path);
	}
	free(n->cases);
	ivr_calendar_free(n->own_cal);
	free(n->number.text);
	free(n->method);
	free(n->url.text);
	free(n->into);
	free(n->queue);
	free(n->user);
	free(n->trunk);
	free(n->flow);
	free(n->target);
	free(n->name);
	free(n->path);
}

void ivr_flow_free(struct ivr_flow *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nnodes; i++)
		ivr__node_clear(&f->nodes[i]);
	free(f->nodes);
	ivr__tz_free(f->tz);
	free(f->name);
	free(f->lang);
	free(f->prompt_dir);
	free(f->path);
	free(f->start_path);
	free(f);
}

const char *ivr_flow_name(const struct ivr_flow *f)
{
	return f->name;
}

const char *ivr_flow_language(const struct ivr_flow *f)
{
	return f->lang;
}

/* Walks every prompt part of every node: *iter encodes node, prompt and part. */
bool ivr_flow_static_tts(const struct ivr_flow *f, size_t *iter, const char **text,
			 const char **lang, const char **voice)
{
	for (;;) {
		size_t node = *iter / (3 * 1024), which = (*iter / 1024) % 3, part = *iter % 1024;
		const struct ivr_prompt *p;
		const struct ivr_part *pt;
		if (node >= f->nnodes)
			return false;
		p = which == 0	 ? &f->nodes[node].prompt
		    : which == 1 ? &f->nodes[node].invalid_prompt
				 : &f->nodes[node].no_input_prompt;
		if (part >= p->n || part >= 1024) {
			*iter = (node * 3 + which + 1) * 1024;
			continue;
		}
		(*iter)++;
		pt = &p->parts[part];
		if (pt->kind != IVR_PART_TTS || pt->text.dynamic)
			continue;
		*text = pt->text.text;
		*lang = pt->lang ? pt->lang : f->lang;
		*voice = pt->voice;
		return true;
	}
}

/* ---- flow sets ---- */

int ivr_flowset_alloc(struct ivr_flowset **out)
{
	struct ivr_flowset *s = calloc(1, sizeof(*s));

	if (!s)
		return ENOMEM;
	*out = s;
	return 0;
}

int ivr_flowset_add(struct ivr_flowset *set, struct ivr_flow *f)
{
	if (ivr_flowset_find(set, f->name))
		return EEXIST;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 8;
		struct ivr_flow **v = realloc(set->flows, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		set->flows = v;
		set->cap = cap;
	}
	set->flows[set->n++] = f;
	f->set = set;
	return 0;
}

const struct ivr_flow *ivr_flowset_find(const struct ivr_flowset *set, const char *name)
{
	if (!set || !name)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->flows[i]->name, name))
			return set->flows[i];
	return NULL;
}

const struct ivr_flow *ivr_flowset_at(const struct ivr_flowset *set, size_t i)
{
	return set && i < set->n ? set->flows[i] : NULL;
}

void ivr_flowset_free(struct ivr_flowset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		ivr_flow_free(set->flows[i]);
	free(set->flows);
	free(set);
}

int ivr_flowset_load(struct cy *c, const struct cfg_named_node *defs, size_t n,
		     const struct ivr_env *env, struct ivr_flowset **out)
{
	struct ivr_flowset *set = NULL;
	size_t errors0 = cy_error_count(c);
	int rc = ivr_flowset_alloc(&set);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct ivr_flow *f = NULL;
		rc = ivr_flow_load(c, &defs[i], env, &f);
		if (rc == ENOMEM)
			goto out;
		if (rc)
			continue;
		rc = ivr_flowset_add(set, f);
		if (rc) {
			if (rc == EEXIST)
				cy_error(c, defs[i].node, defs[i].path,
					 "flow \"%s\" is defined twice", f->name);
			ivr_flow_free(f);
			if (rc == ENOMEM)
				goto out;
		}
	}
	rc = 0;
	ivr__validate_set(c, set);
	if (cy_error_count(c) > errors0)
		rc = EINVAL;
out:
	if (rc) {
		ivr_flowset_free(set);
		return rc;
	}
	*out = set;
	return 0;
}
