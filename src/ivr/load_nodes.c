/*
 * Loading the type-specific keys of each node type: one function per type and a table
 * of the keys each type accepts (anything else is an "unknown key" error). Links to
 * other nodes are only recorded here; validate.c resolves them once all nodes exist.
 */
#include "ivr/ivr_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml.h"

typedef int(load_h)(struct ivr_load *l, struct ivr_node *n);

static int set_link(struct ivr_link *k, const char *name, struct fy_node *src, const char *path)
{
	k->name = strdup(name);
	k->path = strdup(path);
	k->src = src;
	return k->name && k->path ? 0 : ENOMEM;
}

/* Reads a successor: returns 0, ENOENT when absent (error if required), EINVAL, ENOMEM. */
static int get_link(struct ivr_load *l, struct ivr_node *n, int slot, bool required)
{
	const char *key = ivr__slot_key[slot];
	struct fy_node *v = cy_get(n->src, key);
	char p[512];

	cy_path(p, sizeof(p), n->path, key);
	if (!v) {
		if (required)
			ivr__lerror(l, n->src, p, "missing required key");
		return ENOENT;
	}
	if (!cy_is_scalar(l->c, v, p) || !*cy_text(v)) {
		if (fy_node_is_scalar(v))
			ivr__lerror(l, v, p, "expected a node name");
		return EINVAL;
	}
	return set_link(&n->link[slot], cy_text(v), v, p);
}

static int get_prompt(struct ivr_load *l, struct ivr_node *n, const char *key,
		      struct ivr_prompt *out)
{
	struct fy_node *v = cy_get(n->src, key);
	char p[512];

	if (!v)
		return ENOENT;
	return ivr__load_prompt(l, v, cy_path(p, sizeof(p), n->path, key), out);
}

static int get_ms(struct ivr_load *l, struct ivr_node *n, const char *key, uint64_t min,
		  uint64_t max, uint32_t def, uint32_t *out)
{
	uint64_t ms;
	char p[512];
	int rc = cy_get_ms(l->c, n->src, n->path, key, false, &ms);

	*out = def;
	if (rc)
		return rc;
	if (ms < min || ms > max) {
		char a[32], b[32];
		snprintf(a, sizeof(a), min % 1000 ? "%llums" : "%llus",
			 (unsigned long long)(min % 1000 ? min : min / 1000));
		snprintf(b, sizeof(b), max % 60000 ? "%llus" : "%llum",
			 (unsigned long long)(max % 60000 ? max / 1000 : max / 60000));
		ivr__lerror(l, cy_get(n->src, key), cy_path(p, sizeof(p), n->path, key),
			    "duration out of range %s..%s", a, b);
		return EINVAL;
	}
	*out = (uint32_t)ms;
	return 0;
}

static int get_tpl(struct ivr_load *l, struct ivr_node *n, const char *key, bool required,
		   struct ivr_tpl *out)
{
	struct fy_node *v = cy_get(n->src, key);
	char p[512];

	cy_path(p, sizeof(p), n->path, key);
	if (!v) {
		if (required)
			ivr__lerror(l, n->src, p, "missing required key");
		return ENOENT;
	}
	return ivr__load_tpl(l, v, p, out);
}

static void check_ref(struct ivr_load *l, struct ivr_node *n, const char *key, enum ivr_ref kind,
		      const char *name)
{
	static const char *const what[] = {"queue", "user", "flow", "trunk"};
	char p[512];

	if (!l->env->exists || l->env->exists(l->env->arg, kind, name))
		return;
	ivr__lerror(l, cy_get(n->src, key), cy_path(p, sizeof(p), n->path, key),
		    "unknown %s \"%s\"", what[kind], name);
}

/* `key: name` naming a queue/user/trunk/flow, checked through env->exists. */
static int get_ref(struct ivr_load *l, struct ivr_node *n, const char *key, enum ivr_ref kind,
		   bool required, char **out)
{
	int rc = cy_get_dup(l->c, n->src, n->path, key, required, out);

	if (rc == 0)
		check_ref(l, n, key, kind, *out);
	return rc;
}

static int get_priority(struct ivr_load *l, struct ivr_node *n, const char *key, int *out)
{
	long v;
	int rc = cy_get_int(l->c, n->src, n->path, key, false, 0, 100, &v);

	if (rc == 0)
		*out = (int)v;
	return rc;
}

static int get_skills(struct ivr_load *l, struct ivr_node *n)
{
	struct fy_node *m = cy_get(n->src, "skills");
	struct fy_node_pair *pr;
	void *it = NULL;
	char p[512];

	if (!m)
		return 0;
	cy_path(p, sizeof(p), n->path, "skills");
	if (!cy_is_map(l->c, m, p))
		return EINVAL;
	n->skills = calloc((size_t)fy_node_mapping_item_count(m) + 1, sizeof(*n->skills));
	if (!n->skills)
		return ENOMEM;
	while ((pr = cy_pairs(m, &it))) {
		const char *name = cy_text(fy_node_pair_key(pr));
		char sp[512];
		long level;
		cy_path(sp, sizeof(sp), p, name ? name : "?");
		if (!name || cy_node_int(l->c, fy_node_pair_value(pr), sp, 1, 10, &level))
			continue;
		n->skills[n->nskills].level = (int)level;
		if (!(n->skills[n->nskills++].name = strdup(name)))
			return ENOMEM;
	}
	return 0;
}

/* A mapping of name -> template (set vars, http headers and params). */
static int get_assigns(struct ivr_load *l, struct ivr_node *n, const char *key, bool var_names,
		       struct ivr_assign **out, size_t *nout)
{
	struct fy_node *m = cy_get(n->src, key);
	struct fy_node_pair *pr;
	void *it = NULL;
	char p[512];

	if (!m)
		return ENOENT;
	cy_path(p, sizeof(p), n->path, key);
	if (!cy_is_map(l->c, m, p))
		return EINVAL;
	*out = calloc((size_t)fy_node_mapping_item_count(m) + 1, sizeof(**out));
	if (!*out)
		return ENOMEM;
	while ((pr = cy_pairs(m, &it))) {
		struct fy_node *k = fy_node_pair_key(pr);
		const char *name = cy_text(k);
		struct ivr_assign *a = &(*out)[*nout];
		char vp[512];
		cy_path(vp, sizeof(vp), p, name ? name : "?");
		if (!name || (var_names && !ivr__valid_var_name(name, strlen(name)))) {
			ivr__lerror(l, k, vp, "\"%s\" is not a variable name", name ? name : "");
			continue;
		}
		if (var_names && !strncmp(name, "time.", 5)) {
			ivr__lerror(l, k, vp, "time.* variables are read-only");
			continue;
		}
		if (ivr__load_tpl(l, fy_node_pair_value(pr), vp, &a->value))
			continue;
		if (!(a->name = strdup(name)))
			return ENOMEM;
		(*nout)++;
	}
	return 0;
}

static int load_retry_keys(struct ivr_load *l, struct ivr_node *n)
{
	long v;

	n->retries = 2;
	if (cy_get_int(l->c, n->src, n->path, "retries", false, 0, 10, &v) == 0)
		n->retries = (unsigned)v;
	get_ms(l, n, "timeout", 500, 120000, 5000, &n->timeout_ms);
	get_link(l, n, IVR_SLOT_INVALID, false);
	get_link(l, n, IVR_SLOT_NO_INPUT, false);
	if (get_prompt(l, n, "invalid_prompt", &n->invalid_prompt) == ENOMEM ||
	    get_prompt(l, n, "no_input_prompt", &n->no_input_prompt) == ENOMEM)
		return ENOMEM;
	/* By default an invalid entry is answered with the set's "invalid option". */
	if (!cy_get(n->src, "invalid_prompt")) {
		n->invalid_prompt.parts = calloc(1, sizeof(struct ivr_part));
		if (!n->invalid_prompt.parts ||
		    !(n->invalid_prompt.parts[0].name = strdup("invalid-option")))
			return ENOMEM;
		n->invalid_prompt.parts[0].kind = IVR_PART_PROMPT;
		n->invalid_prompt.n = 1;
	}
	return 0;
}

static int load_play(struct ivr_load *l, struct ivr_node *n)
{
	static const char *const short_keys[] = {"file", "tts", "say", "silence"};
	bool has_short = false;
	int rc = 0;

	for (int i = 0; i < 4; i++)
		has_short |= cy_get(n->src, short_keys[i]) != NULL;
	if (has_short && cy_get(n->src, "prompt")) {
		ivr__lerror(l, n->src, n->path,
			    "use either prompt: or file/tts/say/silence, not both");
		return EINVAL;
	}
	if (has_short)
		rc = ivr__load_short_part(l, n->src, n->path, &n->prompt);
	else if (get_prompt(l, n, "prompt", &n->prompt) == ENOENT)
		ivr__lerror(l, n->src, n->path,
			    "a play node needs prompt:, file:, tts:, say: or silence:");
	if (cy_get(n->src, "barge_in"))
		cy_get_bool(l->c, n->src, n->path, "barge_in", false, &n->barge_in);
	get_link(l, n, IVR_SLOT_NEXT, false);
	return rc;
}

static int load_menu(struct ivr_load *l, struct ivr_node *n)
{
	struct fy_node *opts = cy_get(n->src, "options");
	struct fy_node_pair *pr;
	void *it = NULL;
	char p[512], op[520];
	int rc;

	if (get_prompt(l, n, "prompt", &n->prompt) == ENOENT)
		ivr__lerror(l, n->src, cy_path(p, sizeof(p), n->path, "prompt"),
			    "missing required key");
	n->barge_in = true;
	if ((rc = load_retry_keys(l, n)))
		return rc;
	cy_path(p, sizeof(p), n->path, "options");
	if (!opts) {
		ivr__lerror(l, n->src, p, "missing required key");
		return EINVAL;
	}
	if (!cy_is_map(l->c, opts, p))
		return EINVAL;
	if (fy_node_mapping_item_count(opts) == 0)
		ivr__lerror(l, opts, p, "a menu needs at least one option");
	while ((pr = cy_pairs(opts, &it))) {
		struct fy_node *k = fy_node_pair_key(pr), *v = fy_node_pair_value(pr);
		const char *key = cy_text(k), *target = cy_text(v);
		const char *at = key && strlen(key) == 1 ? strchr(ivr__option_keys, key[0]) : NULL;
		if (!at || !key[0]) {
			ivr__lerror(l, k, p, "option keys are one digit 0-9, * or #, got \"%s\"",
				    key ? key : "");
			continue;
		}
		if (!target || !*target) {
			ivr__lerror(l, v, p, "option \"%s\" needs a node name", key);
			continue;
		}
		/* The option's own path ("options.1"): an error then names the key at fault. */
		if (set_link(&n->link[IVR_SLOT_OPT + (at - ivr__option_keys)], target, v,
			     cy_path(op, sizeof(op), p, key)))
			return ENOMEM;
	}
	return 0;
}

static int load_collect(struct ivr_load *l, struct ivr_node *n)
{
	const char *s;
	long v;
	int rc;
	char p[512];

	if (get_prompt(l, n, "prompt", &n->prompt) == ENOMEM)
		return ENOMEM;
	n->barge_in = true;
	if (cy_get(n->src, "barge_in"))
		cy_get_bool(l->c, n->src, n->path, "barge_in", false, &n->barge_in);
	if ((rc = load_retry_keys(l, n)))
		return rc;
	if (cy_get_str(l->c, n->src, n->path, "var", true, &s) == 0) {
		if (!ivr__valid_var_name(s, strlen(s)) || !strncmp(s, "time.", 5))
			ivr__lerror(l, cy_get(n->src, "var"), cy_path(p, sizeof(p), n->path, "var"),
				    "\"%s\" is not a variable name", s);
		else if (!(n->var = strdup(s)))
			return ENOMEM;
	}
	n->min = 1;
	n->max = 16;
	if (cy_get_int(l->c, n->src, n->path, "min", false, 1, IVR_MAX_DIGITS, &v) == 0)
		n->min = (unsigned)v;
	if (cy_get_int(l->c, n->src, n->path, "max", false, 1, IVR_MAX_DIGITS, &v) == 0)
		n->max = (unsigned)v;
	if (n->max < n->min)
		ivr__lerror(l, cy_get(n->src, "max") ? cy_get(n->src, "max") : n->src,
			    cy_path(p, sizeof(p), n->path, "max"), "max is less than min (%u)",
			    n->min);
	n->terminator = '#';
	if (cy_get_str(l->c, n->src, n->path, "terminator", false, &s) == 0) {
		if (!*s || !strcmp(s, "none"))
			n->terminator = 0;
		else if (!strcmp(s, "#") || !strcmp(s, "*"))
			n->terminator = s[0];
		else
			ivr__lerror(l, cy_get(n->src, "terminator"),
				    cy_path(p, sizeof(p), n->path, "terminator"),
				    "expected \"#\", \"*\" or none, got \"%s\"", s);
	}
	get_ms(l, n, "inter_digit", 500, 60000, 3000, &n->inter_ms);
	if (cy_get_str(l->c, n->src, n->path, "pattern", false, &s) == 0) {
		char *re = malloc(strlen(s) + 5);
		int e;
		if (!re)
			return ENOMEM;
		sprintf(re, "^(%s)$", s);
		e = regcomp(&n->re, re, REG_EXTENDED | REG_NOSUB);
		free(re);
		if (e) {
			char msg[128];
			regerror(e, &n->re, msg, sizeof(msg));
			ivr__lerror(l, cy_get(n->src, "pattern"),
				    cy_path(p, sizeof(p), n->path, "pattern"),
				    "not a regular expression: %s", msg);
		} else {
			n->has_re = true;
		}
	}
	cy_get_bool(l->c, n->src, n->path, "luhn", false, &n->luhn);
	get_link(l, n, IVR_SLOT_NEXT, true);
	return 0;
}

static int load_set(struct ivr_load *l, struct ivr_node *n)
{
	const char *s;
	char p[512];
	int rc = get_assigns(l, n, "vars", true, &n->assigns, &n->nassigns);

	if (rc == ENOMEM)
		return rc;
	if (cy_get_str(l->c, n->src, n->path, "lang", false, &s) == 0) {
		if (!ivr__valid_lang(s))
			ivr__lerror(
			    l, cy_get(n->src, "lang"), cy_path(p, sizeof(p), n->path, "lang"),
			    "expected a language code such as pl, es, ru or en, got \"%s\"", s);
		else if (!(n->lang = strdup(s)) || ivr__lang_add(l, s))
			return ENOMEM;
	}
	get_priority(l, n, "priority", &n->priority);
	if (get_skills(l, n) == ENOMEM)
		return ENOMEM;
	if (!n->nassigns && !n->lang && n->priority < 0 && !n->nskills)
		ivr__lerror(l, n->src, n->path, "a set node needs vars, lang, priority or skills");
	get_link(l, n, IVR_SLOT_NEXT, true);
	return 0;
}

static int add_case(struct ivr_load *l, struct ivr_node *n, struct fy_node *cond,
		    struct fy_node *target, const char *cpath, const char *tpath)
{
	struct ivr_case *k = &n->cases[n->ncases];
	const char *text = cy_text(cond), *t = cy_text(target);
	char err[256];

	if (!text) {
		ivr__lerror(l, cond, cpath, "expected a condition such as caller startswith '+48'");
		return EINVAL;
	}
	if (!t || !*t) {
		ivr__lerror(l, target, tpath, "expected a node name");
		return EINVAL;
	}
	if (ivr__expr_parse(text, &k->expr, err, sizeof(err))) {
		ivr__lerror(l, cond, cpath, "%s", err);
		return EINVAL;
	}
	n->ncases++;
	if (!(k->text = strdup(text)))
		return ENOMEM;
	return set_link(&k->link, t, target, tpath);
}

static int load_condition(struct ivr_load *l, struct ivr_node *n)
{
	struct fy_node *cases = cy_get(n->src, "cases"), *cond = cy_get(n->src, "if");
	char p[512], tp[512];
	int rc = 0;

	if (!!cases == !!cond) {
		ivr__lerror(l, n->src, n->path,
			    "a condition has either if/then/else or cases/else");
		return EINVAL;
	}
	if (cond) {
		n->cases = calloc(1, sizeof(*n->cases));
		if (!n->cases)
			return ENOMEM;
		cy_path(tp, sizeof(tp), n->path, "then");
		if (!cy_get(n->src, "then"))
			ivr__lerror(l, n->src, tp, "missing required key");
		else
			rc = add_case(l, n, cond, cy_get(n->src, "then"),
				      cy_path(p, sizeof(p), n->path, "if"), tp);
	} else {
		void *it = NULL;
		struct fy_node *item;
		size_t i = 0;
		cy_path(p, sizeof(p), n->path, "cases");
		if (!cy_is_seq(l->c, cases, p))
			return EINVAL;
		n->cases =
		    calloc((size_t)fy_node_sequence_item_count(cases) + 1, sizeof(*n->cases));
		if (!n->cases)
			return ENOMEM;
		while ((item = cy_items(cases, &it))) {
			static const char *const keys[] = {"if", "next", NULL};
			char ip[512], cp[512];
			cy_path_idx(ip, sizeof(ip), p, i++);
			if (!cy_is_map(l->c, item, ip))
				continue;
			cy_check_keys(l->c, item, ip, keys);
			if (!cy_get(item, "if") || !cy_get(item, "next")) {
				ivr__lerror(l, item, ip, "each case has if: and next:");
				continue;
			}
			rc = add_case(l, n, cy_get(item, "if"), cy_get(item, "next"),
				      cy_path(cp, sizeof(cp), ip, "if"),
				      cy_path(tp, sizeof(tp), ip, "next"));
			if (rc == ENOMEM)
				return rc;
		}
	}
	get_link(l, n, IVR_SLOT_ELSE, true);
	return rc == ENOMEM ? rc : 0;
}

static int load_hours(struct ivr_load *l, struct ivr_node *n)
{
	struct fy_node *cal = cy_get(n->src, "calendar");
	char p[512];
	int rc;

	cy_path(p, sizeof(p), n->path, "calendar");
	if (!cal) {
		ivr__lerror(l, n->src, p, "missing required key");
	} else if (fy_node_is_mapping(cal)) {
		rc = ivr_calendar_load(l->c, cal, p, NULL, l->env->timezone, &n->own_cal);
		if (rc == ENOMEM)
			return rc;
		n->cal = n->own_cal;
	} else if (cy_is_scalar(l->c, cal, p)) {
		const char *name = cy_text(cal);
		for (size_t i = 0; i < l->env->ncalendars; i++) {
			const char *cn = ivr_calendar_name(l->env->calendars[i]);
			if (cn && !strcmp(cn, name))
				n->cal = l->env->calendars[i];
		}
		if (!n->cal)
			ivr__lerror(l, cal, p, "unknown calendar \"%s\"", name);
	}
	get_link(l, n, IVR_SLOT_OPEN, true);
	get_link(l, n, IVR_SLOT_CLOSED, true);
	get_link(l, n, IVR_SLOT_HOLIDAY, false);
	return 0;
}

static int load_lookup(struct ivr_load *l, struct ivr_node *n)
{
	if (get_tpl(l, n, "number", false, &n->number) == ENOMEM)
		return ENOMEM;
	get_ms(l, n, "timeout", 100, 30000, 3000, &n->timeout_ms);
	get_priority(l, n, "vip_priority", &n->vip_priority);
	get_link(l, n, IVR_SLOT_FOUND, false);
	get_link(l, n, IVR_SLOT_NOT_FOUND, false);
	get_link(l, n, IVR_SLOT_ERROR, false);
	get_link(l, n, IVR_SLOT_NEXT, false);
	if (!cy_get(n->src, "next") && (!cy_get(n->src, "found") || !cy_get(n->src, "not_found")))
		ivr__lerror(l, n->src, n->path,
			    "a lookup needs next:, or both found: and not_found:");
	return 0;
}

static int load_http(struct ivr_load *l, struct ivr_node *n)
{
	const char *s;
	char p[512];
	int rc;

	n->method = strdup("GET");
	if (!n->method)
		return ENOMEM;
	if (cy_get_str(l->c, n->src, n->path, "method", false, &s) == 0) {
		if (strcasecmp(s, "GET") && strcasecmp(s, "POST")) {
			ivr__lerror(l, cy_get(n->src, "method"),
				    cy_path(p, sizeof(p), n->path, "method"),
				    "expected GET or POST, got \"%s\"", s);
		} else {
			free(n->method);
			if (!(n->method = strdup(strcasecmp(s, "GET") ? "POST" : "GET")))
				return ENOMEM;
		}
	}
	rc = get_tpl(l, n, "url", true, &n->url);
	if (rc == ENOMEM)
		return rc;
	if (rc == 0 && strncmp(n->url.text, "http://", 7) && strncmp(n->url.text, "https://", 8) &&
	    n->url.text[0] != '{')
		ivr__lerror(l, cy_get(n->src, "url"), cy_path(p, sizeof(p), n->path, "url"),
			    "expected an http:// or https:// URL, got \"%s\"", n->url.text);
	if (get_assigns(l, n, "headers", false, &n->headers, &n->nheaders) == ENOMEM ||
	    get_assigns(l, n, "params", false, &n->fields, &n->nfields) == ENOMEM)
		return ENOMEM;
	get_ms(l, n, "timeout", 100, 60000, 5000, &n->timeout_ms);
	if (cy_get_str(l->c, n->src, n->path, "into", false, &s) == 0) {
		if (!ivr__valid_var_name(s, strlen(s)))
			ivr__lerror(l, cy_get(n->src, "into"),
				    cy_path(p, sizeof(p), n->path, "into"),
				    "\"%s\" is not a variable name", s);
		else if (!(n->into = strdup(s)))
			return ENOMEM;
	}
	if (!n->into && !(n->into = strdup(n->name)))
		return ENOMEM;
	if (get_assigns(l, n, "map", true, &n->map, &n->nmap) == ENOMEM)
		return ENOMEM;
	get_link(l, n, IVR_SLOT_NEXT, true);
	get_link(l, n, IVR_SLOT_ERROR, false);
	return 0;
}

static int load_queue(struct ivr_load *l, struct ivr_node *n)
{
	if (get_ref(l, n, "queue", IVR_REF_QUEUE, true, &n->queue) == ENOMEM)
		return ENOMEM;
	get_priority(l, n, "priority", &n->priority);
	if (get_skills(l, n) == ENOMEM || get_prompt(l, n, "prompt", &n->prompt) == ENOMEM)
		return ENOMEM;
	return 0;
}

static int load_transfer(struct ivr_load *l, struct ivr_node *n)
{
	bool user = cy_get(n->src, "user"), number = cy_get(n->src, "number");

	if (user == number) {
		ivr__lerror(l, n->src, n->path, "a transfer goes to either user: or number:");
		return EINVAL;
	}
	if (user && get_ref(l, n, "user", IVR_REF_USER, true, &n->user) == ENOMEM)
		return ENOMEM;
	if (number && get_tpl(l, n, "number", true, &n->number) == ENOMEM)
		return ENOMEM;
	if (get_ref(l, n, "trunk", IVR_REF_TRUNK, false, &n->trunk) == ENOMEM ||
	    get_prompt(l, n, "prompt", &n->prompt) == ENOMEM)
		return ENOMEM;
	get_link(l, n, IVR_SLOT_FAILED, false);
	return 0;
}

static int load_voicemail(struct ivr_load *l, struct ivr_node *n)
{
	n->beep = true;
	cy_get_bool(l->c, n->src, n->path, "beep", false, &n->beep);
	get_ms(l, n, "max", 1000, 600000, 60000, &n->max_ms);
	if (get_ref(l, n, "queue", IVR_REF_QUEUE, false, &n->queue) == ENOMEM ||
	    get_prompt(l, n, "prompt", &n->prompt) == ENOMEM)
		return ENOMEM;
	get_priority(l, n, "priority", &n->priority);
	get_link(l, n, IVR_SLOT_NEXT, false);
	return 0;
}

static int load_callback(struct ivr_load *l, struct ivr_node *n)
{
	if (get_tpl(l, n, "number", false, &n->number) == ENOMEM ||
	    get_ref(l, n, "queue", IVR_REF_QUEUE, false, &n->queue) == ENOMEM ||
	    get_skills(l, n) == ENOMEM || get_prompt(l, n, "prompt", &n->prompt) == ENOMEM)
		return ENOMEM;
	get_priority(l, n, "priority", &n->priority);
	get_link(l, n, IVR_SLOT_NEXT, false);
	return 0;
}

static int load_goto(struct ivr_load *l, struct ivr_node *n)
{
	if (get_ref(l, n, "flow", IVR_REF_FLOW, true, &n->flow) == ENOMEM ||
	    cy_get_dup(l->c, n->src, n->path, "node", false, &n->target) == ENOMEM)
		return ENOMEM;
	return 0;
}

static int load_hangup(struct ivr_load *l, struct ivr_node *n)
{
	return get_prompt(l, n, "prompt", &n->prompt) == ENOMEM ? ENOMEM : 0;
}

#define COMMON "type", "description"
static const char *const k_play[] = {COMMON,  "prompt",	  "file",     "tts",  "say",
				     "value", "currency", "unit",     "lang", "voice",
				     "rate",  "silence",  "barge_in", "next", NULL};
static const char *const k_menu[] = {
    COMMON,    "prompt",   "options",	     "timeout",		"retries",
    "invalid", "no_input", "invalid_prompt", "no_input_prompt", NULL};
static const char *const k_collect[] = {
    COMMON,	      "prompt",		 "var",	     "min",  "max",  "terminator", "timeout",
    "inter_digit",    "retries",	 "pattern",  "luhn", "next", "invalid",	   "no_input",
    "invalid_prompt", "no_input_prompt", "barge_in", NULL};
static const char *const k_set[] = {COMMON, "vars", "lang", "priority", "skills", "next", NULL};
static const char *const k_condition[] = {COMMON, "if", "then", "else", "cases", NULL};
static const char *const k_hours[] = {COMMON, "calendar", "open", "closed", "holiday", NULL};
static const char *const k_lookup[] = {
    COMMON, "number", "timeout", "vip_priority", "found", "not_found", "error", "next", NULL};
static const char *const k_http[] = {COMMON, "method", "url",  "headers", "params", "timeout",
				     "into", "map",    "next", "error",	  NULL};
static const char *const k_queue[] = {COMMON, "queue", "priority", "skills", "prompt", NULL};
static const char *const k_transfer[] = {COMMON,   "user",   "number", "trunk",
					 "prompt", "failed", NULL};
static const char *const k_voicemail[] = {COMMON,  "prompt",   "beep", "max",
					  "queue", "priority", "next", NULL};
static const char *const k_callback[] = {COMMON,   "number", "queue", "priority",
					 "skills", "prompt", "next",  NULL};
static const char *const k_goto[] = {COMMON, "flow", "node", NULL};
static const char *const k_hangup[] = {COMMON, "prompt", NULL};

static const struct {
	const char *const *keys;
	load_h *load;
} types[IVR_NODE_COUNT] = {
    [IVR_NODE_PLAY] = {k_play, load_play},
    [IVR_NODE_MENU] = {k_menu, load_menu},
    [IVR_NODE_COLLECT] = {k_collect, load_collect},
    [IVR_NODE_SET] = {k_set, load_set},
    [IVR_NODE_CONDITION] = {k_condition, load_condition},
    [IVR_NODE_HOURS] = {k_hours, load_hours},
    [IVR_NODE_LOOKUP] = {k_lookup, load_lookup},
    [IVR_NODE_HTTP] = {k_http, load_http},
    [IVR_NODE_QUEUE] = {k_queue, load_queue},
    [IVR_NODE_TRANSFER] = {k_transfer, load_transfer},
    [IVR_NODE_VOICEMAIL] = {k_voicemail, load_voicemail},
    [IVR_NODE_CALLBACK] = {k_callback, load_callback},
    [IVR_NODE_GOTO] = {k_goto, load_goto},
    [IVR_NODE_HANGUP] = {k_hangup, load_hangup},
};

int ivr__load_node(struct ivr_load *l, struct ivr_node *node, struct fy_node *map)
{
	cy_check_keys(l->c, map, node->path, types[node->type].keys);
	return types[node->type].load(l, node);
}
