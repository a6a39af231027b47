/*
 * A tenant's `campaigns:` (DESIGN.md contract 8, docs/dialer.md): parsed and checked
 * with the core/yaml.h helpers, so that `centrala check` and the server report every
 * problem with FILE:LINE:COL and the key path, and nothing half-checked is applied.
 */
#include "dialer/dialer.h"

#include "core/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLEN 512

static const char *const keys[] = {"id",
				   "name",
				   "mode",
				   "queue",
				   "flow",
				   "trunk",
				   "caller_id",
				   "country",
				   "timezone",
				   "holidays",
				   "language",
				   "window",
				   "ring_time",
				   "max_attempts",
				   "max_per_day",
				   "retry",
				   "close",
				   "dispositions",
				   "abandon_cap",
				   "abandon_window",
				   "abandon_message",
				   "amd",
				   "lists",
				   "lines",
				   "script",
				   "preview_timeout",
				   "callback_grace",
				   "paused",
				   "inbound_first",
				   NULL};
static const char *const window_keys[] = {"from", "to", NULL};
static const char *const amd_keys[] = {"action", "message", NULL};
static const char *const list_keys[] = {"id", "priority", NULL};

struct env {
	struct cy *c;
	dialer_exists_h *exists;
	void *arg;
	int oom;
};

static char *dup_opt(struct env *e, struct fy_node *n, const char *path, const char *key)
{
	char *v = NULL;
	int rc = cy_get_dup(e->c, n, path, key, false, &v);

	if (rc == ENOMEM)
		e->oom = 1;
	return rc ? NULL : v;
}

static void ref(struct env *e, struct fy_node *n, const char *path, const char *key,
		enum dialer_ref kind, const char *what, const char *name)
{
	char p[PLEN];

	if (!name || !e->exists || e->exists(e->arg, kind, name))
		return;
	if (kind == DIALER_REF_QUEUE)
		cy_error(e->c, cy_get(n, key), cy_path(p, sizeof(p), path, key),
			 "unknown queue \"%s\": neither in the tenant's queues of the file nor "
			 "made through the API",
			 name);
	else
		cy_error(e->c, cy_get(n, key), cy_path(p, sizeof(p), path, key),
			 "unknown %s \"%s\"", what, name);
}

/* "08:00" -> minutes of the day; 24:00 is allowed as an end. */
static int clock_min(const char *s, uint16_t *out)
{
	unsigned h, m;
	char tail;

	if (!s || sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || m > 59 || h > 24 || (h == 24 && m))
		return EINVAL;
	*out = (uint16_t)(h * 60 + m);
	return 0;
}

static void parse_window(struct env *e, struct fy_node *n, const char *path, struct dialer_rules *r)
{
	const char *from = NULL, *to = NULL;
	char p[PLEN];

	if (!n || !cy_is_map(e->c, n, path))
		return;
	cy_check_keys(e->c, n, path, window_keys);
	if (!cy_get_str(e->c, n, path, "from", false, &from) && clock_min(from, &r->window_from))
		cy_error(e->c, cy_get(n, "from"), cy_path(p, sizeof(p), path, "from"),
			 "expected a time such as 08:00, got \"%s\"", from);
	if (!cy_get_str(e->c, n, path, "to", false, &to) && clock_min(to, &r->window_to))
		cy_error(e->c, cy_get(n, "to"), cy_path(p, sizeof(p), path, "to"),
			 "expected a time such as 21:00, got \"%s\"", to);
	if (r->window_from >= r->window_to)
		cy_error(e->c, n, path, "the window must end after it starts");
}

static void parse_retry(struct env *e, struct fy_node *n, const char *path, struct dialer_rules *r)
{
	void *it = NULL;
	struct fy_node_pair *pr;
	struct fy_node *k, *v;
	char p[PLEN];

	if (!n || !cy_is_map(e->c, n, path))
		return;
	while ((pr = fy_node_mapping_iterate(n, &it)) != NULL) {
		const char *name = cy_text(k = fy_node_pair_key(pr));
		enum dialer_result res;
		uint64_t ms;
		v = fy_node_pair_value(pr);
		cy_path(p, sizeof(p), path, name ? name : "?");
		if (!name || dialer_result_parse(name, &res) || res == DIALER_R_PERSON) {
			cy_error(e->c, k, p,
				 "unknown result (busy, no_answer, rejected, invalid, network, "
				 "machine, fax, abandoned)");
			continue;
		}
		if (!cy_node_ms(e->c, v, p, &ms))
			r->retry_ms[res] = ms;
	}
}

static void parse_close(struct env *e, struct fy_node *n, const char *path, struct dialer_rules *r)
{
	void *it = NULL;
	struct fy_node *item;
	size_t i = 0;
	char p[PLEN];

	if (!n || !cy_is_seq(e->c, n, path))
		return;
	memset(r->closes, 0, sizeof(r->closes));
	while ((item = cy_items(n, &it)) != NULL) {
		enum dialer_result res;
		cy_path_idx(p, sizeof(p), path, i++);
		if (!cy_is_scalar(e->c, item, p))
			continue;
		if (dialer_result_parse(cy_text(item), &res) || res == DIALER_R_PERSON)
			cy_error(e->c, item, p, "unknown result \"%s\"", cy_text(item));
		else
			r->closes[res] = true;
	}
}

static void parse_dispositions(struct env *e, struct fy_node *n, const char *path,
			       struct dialer_campaign *cp)
{
	void *it = NULL;
	struct fy_node_pair *pr;
	struct fy_node *k;
	char p[PLEN];
	int count;

	if (!n || !cy_is_map(e->c, n, path))
		return;
	count = fy_node_mapping_item_count(n);
	cp->dispositions = calloc(count > 0 ? (size_t)count : 1, sizeof(*cp->dispositions));
	if (!cp->dispositions) {
		e->oom = 1;
		return;
	}
	while ((pr = fy_node_mapping_iterate(n, &it)) != NULL) {
		const char *code = cy_text(k = fy_node_pair_key(pr)), *what;
		struct fy_node *v = fy_node_pair_value(pr);
		struct dialer_disposition *d = &cp->dispositions[cp->ndispositions];
		cy_path(p, sizeof(p), path, code ? code : "?");
		if (!code || !cy_is_scalar(e->c, v, p))
			continue;
		what = cy_text(v);
		if (!strcmp(what, "close")) {
			d->action = DIALER_DISP_CLOSE;
		} else if (!strcmp(what, "callback")) {
			d->action = DIALER_DISP_CALLBACK;
		} else if (!strcmp(what, "dnc")) {
			d->action = DIALER_DISP_DNC;
		} else if (!strcmp(what, "opt_out")) {
			d->action = DIALER_DISP_OPT_OUT;
		} else if (!cy_parse_duration(what, &d->retry_ms) && d->retry_ms) {
			d->action = DIALER_DISP_RETRY;
		} else {
			cy_error(
			    e->c, v, p,
			    "expected close, callback, dnc, opt_out or a retry delay such as 2h, "
			    "got "
			    "\"%s\"",
			    what);
			continue;
		}
		if (e->exists && !e->exists(e->arg, DIALER_REF_DISPOSITION, code))
			cy_error(e->c, k, p, "\"%s\" is not one of the tenant's dispositions",
				 code);
		d->code = strdup(code);
		if (!d->code) {
			e->oom = 1;
			return;
		}
		cp->ndispositions++;
	}
}

static void parse_lists(struct env *e, struct fy_node *n, const char *path,
			struct dialer_campaign *cp)
{
	void *it = NULL;
	struct fy_node *item;
	char p[PLEN];
	int count;

	if (!n || !cy_is_seq(e->c, n, path))
		return;
	count = fy_node_sequence_item_count(n);
	cp->lists = calloc(count > 0 ? (size_t)count : 1, sizeof(*cp->lists));
	if (!cp->lists) {
		e->oom = 1;
		return;
	}
	while ((item = cy_items(n, &it)) != NULL) {
		struct dialer_campaign_list *l = &cp->lists[cp->nlists];
		long prio = 0;
		const char *id = NULL;
		cy_path_idx(p, sizeof(p), path, cp->nlists);
		if (fy_node_is_scalar(item)) {
			id = cy_text(item);
		} else if (cy_is_map(e->c, item, p)) {
			cy_check_keys(e->c, item, p, list_keys);
			cy_get_str(e->c, item, p, "id", true, &id);
			cy_get_int(e->c, item, p, "priority", false, -1000, 1000, &prio);
		}
		if (!id)
			continue;
		for (const char *s = id; *s; s++)
			if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_') {
				cy_error(e->c, item, p, "a list id uses letters, digits, - and _");
				break;
			}
		for (size_t j = 0; j < cp->nlists; j++)
			if (!strcmp(cp->lists[j].id, id))
				cy_error(e->c, item, p, "list \"%s\" is listed twice", id);
		l->id = strdup(id);
		if (!l->id) {
			e->oom = 1;
			return;
		}
		l->priority = (int32_t)prio;
		cp->nlists++;
	}
}

static bool e164_valid(const char *s)
{
	size_t n = 0;

	if (!s || *s != '+')
		return false;
	for (s++; *s; s++, n++)
		if (!isdigit((unsigned char)*s))
			return false;
	return n >= 6 && n <= 15;
}

static void parse_one(struct env *e, struct fy_node *n, const char *path,
		      struct dialer_campaign *cp)
{
	struct cy *c = e->c;
	const char *str;
	struct fy_node *amd;
	long v;
	char p[PLEN];

	cy_pos(n, &cp->line, &cp->col);
	dialer_rules_default(&cp->rules);
	cp->mode = DIALER_PROGRESSIVE;
	cp->ring_ms = 25000;
	cp->preview_ms = 30000;
	cp->callback_grace_ms = 15 * 60 * 1000;
	cp->pacer.abandon_cap = 0.03;
	cp->pacer.window_ms = 30ull * 24 * 3600 * 1000;
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, keys);
	if (cy_get_dup(c, n, path, "id", true, &cp->id) == 0) {
		for (const char *s = cp->id; *s; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
			      *s == '_')) {
				cy_error(c, cy_get(n, "id"), cy_path(p, sizeof(p), path, "id"),
					 "use lower-case letters, digits, - and _");
				break;
			}
	}
	cp->name = dup_opt(e, n, path, "name");
	if (!cy_get_str(c, n, path, "mode", false, &str) && dialer_mode_parse(str, &cp->mode))
		cy_error(c, cy_get(n, "mode"), cy_path(p, sizeof(p), path, "mode"),
			 "expected preview, progressive, predictive or agentless, got \"%s\"", str);
	cp->pacer.mode = cp->mode;
	cp->queue = dup_opt(e, n, path, "queue");
	cp->flow = dup_opt(e, n, path, "flow");
	cp->trunk = dup_opt(e, n, path, "trunk");
	cp->caller_id = dup_opt(e, n, path, "caller_id");
	cp->country = dup_opt(e, n, path, "country");
	cp->timezone = dup_opt(e, n, path, "timezone");
	cp->holidays = dup_opt(e, n, path, "holidays");
	cp->language = dup_opt(e, n, path, "language");
	cp->abandon_message = dup_opt(e, n, path, "abandon_message");
	cp->script = dup_opt(e, n, path, "script");
	if (cp->mode == DIALER_AGENTLESS) {
		if (!cp->flow)
			cy_error(c, n, cy_path(p, sizeof(p), path, "flow"),
				 "an agentless campaign needs the flow it runs on answer");
	} else if (!cp->queue) {
		cy_error(c, n, cy_path(p, sizeof(p), path, "queue"),
			 "missing required key (the queue whose agents take the calls)");
	}
	ref(e, n, path, "queue", DIALER_REF_QUEUE, "queue", cp->queue);
	ref(e, n, path, "flow", DIALER_REF_FLOW, "flow", cp->flow);
	ref(e, n, path, "trunk", DIALER_REF_TRUNK, "trunk", cp->trunk);
	ref(e, n, path, "holidays", DIALER_REF_CALENDAR, "calendar", cp->holidays);
	if (cp->caller_id && !e164_valid(cp->caller_id))
		cy_error(c, cy_get(n, "caller_id"), cy_path(p, sizeof(p), path, "caller_id"),
			 "expected a number in E.164 such as +48221234567");
	if (cp->country && (strlen(cp->country) != 2 || !isupper((unsigned char)cp->country[0]) ||
			    !isupper((unsigned char)cp->country[1])))
		cy_error(c, cy_get(n, "country"), cy_path(p, sizeof(p), path, "country"),
			 "expected an ISO 3166 country code such as PL");
	parse_window(e, cy_get(n, "window"), cy_path(p, sizeof(p), path, "window"), &cp->rules);
	if (!cy_get_ms(c, n, path, "ring_time", false, &cp->ring_ms) && cp->ring_ms < 15000)
		cy_error(c, cy_get(n, "ring_time"), cy_path(p, sizeof(p), path, "ring_time"),
			 "must be at least 15s (calls ring at least 15 s before giving up)");
	cy_get_ms(c, n, path, "preview_timeout", false, &cp->preview_ms);
	cy_get_ms(c, n, path, "callback_grace", false, &cp->callback_grace_ms);
	if (!cy_get_int(c, n, path, "max_attempts", false, 1, 100, &v))
		cp->rules.max_attempts = (uint32_t)v;
	if (!cy_get_int(c, n, path, "max_per_day", false, 1, 100, &v))
		cp->rules.max_per_day = (uint32_t)v;
	if (!cy_get_int(c, n, path, "lines", false, 1, 100000, &v))
		cp->pacer.lines = (uint32_t)v;
	if (cp->mode == DIALER_AGENTLESS && !cp->pacer.lines)
		cy_error(c, n, cy_path(p, sizeof(p), path, "lines"),
			 "an agentless campaign needs its number of lines");
	parse_retry(e, cy_get(n, "retry"), cy_path(p, sizeof(p), path, "retry"), &cp->rules);
	parse_close(e, cy_get(n, "close"), cy_path(p, sizeof(p), path, "close"), &cp->rules);
	if (!cy_get_str(c, n, path, "abandon_cap", false, &str) &&
	    (dialer_parse_share(str, &cp->pacer.abandon_cap) || !(cp->pacer.abandon_cap > 0)))
		cy_error(c, cy_get(n, "abandon_cap"), cy_path(p, sizeof(p), path, "abandon_cap"),
			 "expected a share above 0 such as 3%%, got \"%s\"", str);
	else if (cp->pacer.abandon_cap > 0.03)
		cy_warn(c, cy_get(n, "abandon_cap"), cy_path(p, sizeof(p), path, "abandon_cap"),
			"above 3%%, the limit in the United States and the United Kingdom");
	if (!cy_get_ms(c, n, path, "abandon_window", false, &cp->pacer.window_ms) &&
	    cp->pacer.window_ms < 3600000)
		cy_error(c, cy_get(n, "abandon_window"),
			 cy_path(p, sizeof(p), path, "abandon_window"), "must be at least 1h");
	if (cp->mode == DIALER_PREDICTIVE && !cp->abandon_message)
		cy_warn(c, n, cy_path(p, sizeof(p), path, "abandon_message"),
			"a predictive campaign should play a message naming the company when it "
			"abandons a call");
	amd = cy_get(n, "amd");
	if (amd && cy_is_map(c, amd, cy_path(p, sizeof(p), path, "amd"))) {
		char ap[PLEN];
		snprintf(ap, sizeof(ap), "%s", p);
		cy_check_keys(c, amd, ap, amd_keys);
		if (!cy_get_str(c, amd, ap, "action", false, &str)) {
			if (!strcmp(str, "connect"))
				cp->amd_action = DIALER_AMD_CONNECT;
			else if (!strcmp(str, "hangup"))
				cp->amd_action = DIALER_AMD_HANGUP;
			else if (!strcmp(str, "message"))
				cp->amd_action = DIALER_AMD_MESSAGE;
			else
				cy_error(c, cy_get(amd, "action"),
					 cy_path(p, sizeof(p), ap, "action"),
					 "expected connect, hangup or message, got \"%s\"", str);
		}
		cp->amd_message = dup_opt(e, amd, ap, "message");
		if (cp->amd_action == DIALER_AMD_MESSAGE && !cp->amd_message)
			cy_error(c, amd, cy_path(p, sizeof(p), ap, "message"),
				 "amd action message needs the message");
	}
	parse_lists(e, cy_get(n, "lists"), cy_path(p, sizeof(p), path, "lists"), cp);
	parse_dispositions(e, cy_get(n, "dispositions"),
			   cy_path(p, sizeof(p), path, "dispositions"), cp);
	cy_get_bool(c, n, path, "paused", false, &cp->paused);
	cp->inbound_first = true;
	cy_get_bool(c, n, path, "inbound_first", false, &cp->inbound_first);
}

int dialer_campaigns_parse(struct cy *c, struct fy_node *n, const char *path,
			   dialer_exists_h *exists, void *arg, struct dialer_campaign **out,
			   size_t *count)
{
	struct env e = {.c = c, .exists = exists, .arg = arg};
	struct dialer_campaign *v;
	size_t errors = cy_error_count(c), k = 0;
	struct fy_node *item;
	void *it = NULL;
	char p[PLEN];
	int total;

	if (!n) {
		*out = NULL;
		*count = 0;
		return 0;
	}
	if (!cy_is_seq(c, n, path))
		return EINVAL;
	total = fy_node_sequence_item_count(n);
	v = calloc(total > 0 ? (size_t)total : 1, sizeof(*v));
	if (!v)
		return ENOMEM;
	while ((item = cy_items(n, &it)) != NULL && !e.oom) {
		cy_path_idx(p, sizeof(p), path, k);
		parse_one(&e, item, p, &v[k]);
		for (size_t j = 0; j < k; j++)
			if (v[k].id && v[j].id && !strcmp(v[k].id, v[j].id))
				cy_error(c, cy_get(item, "id"), p, "duplicate campaign id \"%s\"",
					 v[k].id);
		k++;
	}
	if (e.oom || cy_error_count(c) > errors) {
		dialer_campaigns_free(v, k);
		return e.oom ? ENOMEM : EINVAL;
	}
	*out = v;
	*count = k;
	return 0;
}

void dialer_campaigns_free(struct dialer_campaign *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		struct dialer_campaign *cp = &v[i];
		free(cp->id);
		free(cp->name);
		free(cp->queue);
		free(cp->flow);
		free(cp->trunk);
		free(cp->caller_id);
		free(cp->country);
		free(cp->timezone);
		free(cp->holidays);
		free(cp->language);
		free(cp->abandon_message);
		free(cp->script);
		free(cp->amd_message);
		for (size_t j = 0; j < cp->nlists; j++)
			free(cp->lists[j].id);
		free(cp->lists);
		for (size_t j = 0; j < cp->ndispositions; j++)
			free(cp->dispositions[j].code);
		free(cp->dispositions);
	}
	free(v);
}
