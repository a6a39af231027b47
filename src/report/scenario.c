/*
 * Simulation scenarios (docs/simulate.md): a YAML file read with the core/yaml.h
 * helpers, so every error says FILE:LINE:COL: key.path: message. All errors are
 * collected and printed together; a scenario with any error is refused.
 *
 * Queue and agent settings use the same names as the daemon's configuration
 * (strategy, skills, service_level, wrap_up, max_wait, relax, ...), so a queue can be
 * tried here before it goes live.
 */
#include "report/report_int.h"

#include "core/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct parse {
	struct cy *cy;
	struct report_scenario *s;
	int oom;
};

#define PATH_MAX_LEN 256

static void *grow(struct parse *ps, void *v, size_t n, size_t size)
{
	void *nv = realloc(v, (n + 1) * size);

	if (!nv) {
		ps->oom = 1;
		return NULL;
	}
	memset((char *)nv + n * size, 0, size);
	return nv;
}

static char *sdup(struct parse *ps, const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		ps->oom = 1;
	return d;
}

static int skill_index(struct parse *ps, const char *name, uint32_t *out)
{
	struct report_scenario *s = ps->s;
	char **nv;

	for (size_t i = 0; i < s->nskills; i++) {
		if (!strcmp(s->skills[i], name)) {
			*out = (uint32_t)i;
			return 0;
		}
	}
	nv = grow(ps, s->skills, s->nskills, sizeof(*nv));
	if (!nv)
		return ENOMEM;
	s->skills = nv;
	s->skills[s->nskills] = sdup(ps, name);
	if (!s->skills[s->nskills])
		return ENOMEM;
	*out = (uint32_t)s->nskills++;
	return 0;
}

static int queue_index(const struct report_scenario *s, const char *id, size_t n)
{
	for (size_t i = 0; id && i < n; i++)
		if (!strcmp(s->queues[i].id, id))
			return (int)i;
	return -1;
}

/* A duration with decimals (handle times, patience), in seconds. */
static int node_seconds(struct parse *ps, struct fy_node *n, const char *path, double *out)
{
	const char *t = cy_text(n);

	if (!t || report_parse_seconds(t, out)) {
		cy_error(ps->cy, n, path,
			 "expected a duration such as 240s, 3.5m or 1h, got \"%s\"",
			 t ? t : "(not a value)");
		return EINVAL;
	}
	return 0;
}

static int get_seconds(struct parse *ps, struct fy_node *map, const char *path, const char *key,
		       bool required, double *out)
{
	char p[PATH_MAX_LEN];
	struct fy_node *n = cy_get(map, key);

	cy_path(p, sizeof(p), path, key);
	if (!n) {
		if (required)
			cy_error(ps->cy, map, p, "missing required key");
		return ENOENT;
	}
	return node_seconds(ps, n, p, out);
}

static void parse_dist(struct parse *ps, struct fy_node *n, const char *path, bool patience,
		       struct report_dist *d)
{
	report__parse_dist(ps->cy, n, path, patience, d);
}

void report__parse_dist(struct cy *cy, struct fy_node *n, const char *path, bool patience,
			struct report_dist *d)
{
	struct parse one = {.cy = cy}, *ps = &one;
	static const char *const keys[] = {"dist", "mean", "sd", "min", "max", NULL};
	static const struct {
		const char *name;
		enum report_dist_kind kind;
	} kinds[] = {
	    {"exponential", REPORT_DIST_EXPONENTIAL}, {"fixed", REPORT_DIST_FIXED},
	    {"normal", REPORT_DIST_NORMAL},	      {"lognormal", REPORT_DIST_LOGNORMAL},
	    {"uniform", REPORT_DIST_UNIFORM},
	};
	const char *kind = NULL;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (fy_node_is_scalar(n)) {
		if (patience && !strcmp(cy_text(n), "none")) {
			d->kind = REPORT_DIST_NONE;
			return;
		}
		d->kind = REPORT_DIST_EXPONENTIAL;
		if (!node_seconds(ps, n, path, &d->mean) && !(d->mean > 0))
			cy_error(ps->cy, n, path, "the mean must be above zero");
		return;
	}
	if (!cy_is_map(ps->cy, n, path))
		return;
	cy_check_keys(ps->cy, n, path, keys);
	if (cy_get_str(ps->cy, n, path, "dist", true, &kind))
		return;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, kind))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0])) {
		char p[PATH_MAX_LEN];
		cy_error(ps->cy, cy_get(n, "dist"), cy_path(p, sizeof(p), path, "dist"),
			 "unknown distribution \"%s\" (exponential, fixed, normal, lognormal, "
			 "uniform)",
			 kind);
		return;
	}
	d->kind = kinds[i].kind;
	if (d->kind == REPORT_DIST_UNIFORM) {
		if (!get_seconds(ps, n, path, "min", true, &d->min) &&
		    !get_seconds(ps, n, path, "max", true, &d->max) && d->max < d->min)
			cy_error(ps->cy, n, path, "max is below min");
		d->mean = (d->min + d->max) / 2;
		return;
	}
	if (!get_seconds(ps, n, path, "mean", true, &d->mean) && !(d->mean > 0))
		cy_error(ps->cy, n, path, "the mean must be above zero");
	if (d->kind == REPORT_DIST_NORMAL || d->kind == REPORT_DIST_LOGNORMAL)
		get_seconds(ps, n, path, "sd", true, &d->sd);
}

static void parse_levels(struct parse *ps, struct fy_node *map, const char *path,
			 struct acd_skill_level *out, size_t max, size_t *n)
{
	struct fy_node_pair *pr;
	void *it = NULL;

	*n = 0;
	if (!cy_is_map(ps->cy, map, path))
		return;
	while ((pr = cy_pairs(map, &it))) {
		const char *name = cy_text(fy_node_pair_key(pr));
		char p[PATH_MAX_LEN];
		long level;
		uint32_t id;
		cy_path(p, sizeof(p), path, name ? name : "?");
		if (!name ||
		    cy_node_int(ps->cy, fy_node_pair_value(pr), p, 1, ACD_MAX_LEVEL, &level))
			continue;
		if (*n == max) {
			cy_error(ps->cy, fy_node_pair_key(pr), p, "at most %zu skills", max);
			return;
		}
		if (skill_index(ps, name, &id))
			return;
		out[*n].skill = id;
		out[*n].level = (uint8_t)level;
		(*n)++;
	}
}

static void parse_rates(struct parse *ps, struct fy_node *n, const char *path,
			struct report_sim_queue *q)
{
	struct fy_node *item;
	void *it = NULL;
	size_t i = 0;

	if (fy_node_is_scalar(n)) {
		q->rates = calloc(1, sizeof(double));
		if (!q->rates) {
			ps->oom = 1;
			return;
		}
		q->nrates = 1;
		if (report_parse_rate(cy_text(n), &q->rates[0]))
			cy_error(ps->cy, n, path,
				 "expected contacts per hour or a rate such as 720/h, got \"%s\"",
				 cy_text(n));
		return;
	}
	if (!cy_is_seq(ps->cy, n, path))
		return;
	q->nrates = (size_t)fy_node_sequence_item_count(n);
	if (!q->nrates) {
		cy_error(ps->cy, n, path, "expected at least one rate");
		return;
	}
	q->rates = calloc(q->nrates, sizeof(double));
	if (!q->rates) {
		ps->oom = 1;
		return;
	}
	while ((item = cy_items(n, &it))) {
		char p[PATH_MAX_LEN];
		cy_path_idx(p, sizeof(p), path, i);
		if (!cy_text(item) || report_parse_rate(cy_text(item), &q->rates[i]))
			cy_error(ps->cy, item, p,
				 "expected contacts per hour or a rate such as 720/h, got \"%s\"",
				 cy_text(item) ? cy_text(item) : "(not a value)");
		i++;
	}
}

static void parse_relax(struct parse *ps, struct fy_node *n, const char *path,
			struct report_sim_queue *q, size_t nqueues)
{
	static const char *const keys[] = {"after", "min_level", "max_penalty", "add_queue", NULL};
	struct fy_node *item;
	void *it = NULL;

	if (!cy_is_seq(ps->cy, n, path))
		return;
	while ((item = cy_items(n, &it))) {
		struct acd_relax_step *r;
		char p[PATH_MAX_LEN];
		const char *add = NULL;
		long v;
		cy_path_idx(p, sizeof(p), path, q->p.nrelax);
		if (q->p.nrelax == ACD_MAX_RELAX) {
			cy_error(ps->cy, item, p, "at most %d relaxation steps", ACD_MAX_RELAX);
			return;
		}
		r = &q->p.relax[q->p.nrelax++];
		if (!cy_is_map(ps->cy, item, p))
			continue;
		cy_check_keys(ps->cy, item, p, keys);
		if (!cy_get_ms(ps->cy, item, p, "after", true, &r->after_ms) && !r->after_ms)
			cy_error(ps->cy, item, p, "after must be above zero");
		if (q->p.nrelax > 1 && r->after_ms &&
		    r->after_ms <= q->p.relax[q->p.nrelax - 2].after_ms)
			cy_error(ps->cy, item, p, "steps must come in increasing `after` order");
		if (!cy_get_int(ps->cy, item, p, "min_level", false, 1, ACD_MAX_LEVEL, &v))
			r->min_level = (uint8_t)v;
		if (!cy_get_int(ps->cy, item, p, "max_penalty", false, 0, 10000, &v))
			r->max_penalty = (int16_t)v;
		if (!cy_get_str(ps->cy, item, p, "add_queue", false, &add)) {
			int x = queue_index(ps->s, add, nqueues);
			char p2[PATH_MAX_LEN];
			if (x < 0 || (size_t)x == (size_t)(q - ps->s->queues))
				cy_error(ps->cy, cy_get(item, "add_queue"),
					 cy_path(p2, sizeof(p2), p, "add_queue"),
					 x < 0 ? "unknown queue \"%s\""
					       : "a queue cannot add itself (%s)",
					 add);
			else
				r->add_queue = (uint32_t)x;
		}
	}
}

static void parse_queue(struct parse *ps, struct fy_node *n, const char *path,
			struct report_sim_queue *q, size_t nqueues)
{
	static const char *const keys[] = {
	    "id",	   "strategy",	    "channel",	    "skills",	"service_level", "target",
	    "sl_formula",  "wrap_up",	    "ring_timeout", "max_wait", "max_len",	 "priority",
	    "max_penalty", "short_abandon", "relax",	    "arrivals", "handle_time",	 "patience",
	    NULL};
	struct cy *cy = ps->cy;
	const char *str;
	char p[PATH_MAX_LEN];
	long v;

	acd_queue_params_default(&q->p);
	q->p.ring_timeout_ms = 15000;
	cy_check_keys(cy, n, path, keys);
	if (!cy_get_str(cy, n, path, "strategy", false, &str) &&
	    acd_strategy_find(str, &q->p.strategy)) {
		char names[256] = "";
		for (int i = 0; i < ACD_STRATEGY_COUNT; i++) {
			strcat(names, i ? ", " : "");
			strcat(names, acd_strategy_name((enum acd_strategy_id)i));
		}
		cy_error(cy, cy_get(n, "strategy"), cy_path(p, sizeof(p), path, "strategy"),
			 "unknown strategy \"%s\" (%s)", str, names);
	}
	if (!cy_get_str(cy, n, path, "channel", false, &str) &&
	    acd_channel_find(str, &q->p.channel))
		cy_error(cy, cy_get(n, "channel"), cy_path(p, sizeof(p), path, "channel"),
			 "unknown channel \"%s\" (voice, chat, email, sms, callback)", str);
	if (cy_get(n, "skills"))
		parse_levels(ps, cy_get(n, "skills"), cy_path(p, sizeof(p), path, "skills"),
			     q->p.skills, ACD_MAX_QUEUE_SKILLS, &q->p.nskills);
	cy_get_ms(cy, n, path, "service_level", false, &q->p.service_level_ms);
	if (!cy_get_str(cy, n, path, "target", false, &str)) {
		char *end;
		double t = strtod(str, &end);
		if (end == str || (*end && strcmp(end, "%")) || !(t > 0) ||
		    (*end ? t > 100 : (t > 1 && t > 100)))
			cy_error(cy, cy_get(n, "target"), cy_path(p, sizeof(p), path, "target"),
				 "expected a percentage such as 80%% or 80, got \"%s\"", str);
		else
			q->p.service_level_pct = (uint8_t)lround(!*end && t <= 1 ? t * 100 : t);
	}
	if (!cy_get_str(cy, n, path, "sl_formula", false, &str) &&
	    acd_sl_formula_find(str, &q->p.sl_formula))
		cy_error(cy, cy_get(n, "sl_formula"), cy_path(p, sizeof(p), path, "sl_formula"),
			 "unknown formula \"%s\" (all_excl_short, answered, with_abandons, all)",
			 str);
	cy_get_ms(cy, n, path, "wrap_up", false, &q->p.wrap_up_ms);
	if (!cy_get_ms(cy, n, path, "ring_timeout", false, &q->p.ring_timeout_ms) &&
	    !q->p.ring_timeout_ms)
		cy_error(cy, n, path, "ring_timeout must be above zero");
	cy_get_ms(cy, n, path, "max_wait", false, &q->p.max_wait_ms);
	cy_get_ms(cy, n, path, "short_abandon", false, &q->p.short_abandon_ms);
	if (!cy_get_int(cy, n, path, "max_len", false, 0, 10000000, &v))
		q->p.max_len = (uint32_t)v;
	if (!cy_get_int(cy, n, path, "priority", false, 0, ACD_MAX_PRIORITY, &v))
		q->p.priority = (uint8_t)v;
	if (!cy_get_int(cy, n, path, "max_penalty", false, 0, 10000, &v))
		q->p.max_penalty = (int)v;
	if (cy_get(n, "relax"))
		parse_relax(ps, cy_get(n, "relax"), cy_path(p, sizeof(p), path, "relax"), q,
			    nqueues);
	if (cy_get(n, "arrivals"))
		parse_rates(ps, cy_get(n, "arrivals"), cy_path(p, sizeof(p), path, "arrivals"), q);
	else
		cy_error(cy, n, cy_path(p, sizeof(p), path, "arrivals"), "missing required key");
	if (cy_get(n, "handle_time"))
		parse_dist(ps, cy_get(n, "handle_time"), cy_path(p, sizeof(p), path, "handle_time"),
			   false, &q->handle);
	else
		cy_error(cy, n, cy_path(p, sizeof(p), path, "handle_time"), "missing required key");
	if (cy_get(n, "patience"))
		parse_dist(ps, cy_get(n, "patience"), cy_path(p, sizeof(p), path, "patience"), true,
			   &q->patience);
}

/* A time of day "08:30" (is_clock set), or a duration "8h30m" from the day's start. */
static int clock_ms(const char *s, uint64_t *out, bool *is_clock)
{
	unsigned h, m;
	char tail;

	*is_clock = false;
	if (sscanf(s, "%u:%u%c", &h, &m, &tail) == 2 && h <= 48 && m < 60) {
		*out = ((uint64_t)h * 60 + m) * 60000;
		*is_clock = true;
		return 0;
	}
	return cy_parse_duration(s, out);
}

/* A shift boundary: a time of day counts from the scenario's `start` clock. */
static int shift_ms(const struct report_scenario *s, const char *t, uint64_t *out)
{
	bool is_clock;

	if (clock_ms(t, out, &is_clock))
		return EINVAL;
	if (is_clock) {
		if (*out < s->start_label_ms)
			return ERANGE;
		*out -= s->start_label_ms;
	}
	return 0;
}

static void shift_bound(struct parse *ps, struct fy_node *n, const char *path, const char *t,
			uint64_t *out)
{
	int rc = shift_ms(ps->s, t, out);

	if (rc == ERANGE)
		cy_error(ps->cy, n, path, "%s is before the scenario's start", t);
	else if (rc)
		cy_error(ps->cy, n, path,
			 "expected START-END such as 08:00-16:00 or 0h-8h, got \"%s\"", t);
}

static void parse_shift(struct parse *ps, struct fy_node *n, const char *path,
			struct report_sim_group *g)
{
	const char *t = cy_text(n);

	if (t) {
		char buf[64];
		char *dash;
		snprintf(buf, sizeof(buf), "%s", t);
		dash = strchr(buf, '-');
		if (!dash) {
			cy_error(ps->cy, n, path,
				 "expected START-END such as 08:00-16:00 or 0h-8h, got \"%s\"", t);
			return;
		}
		*dash = '\0';
		shift_bound(ps, n, path, buf, &g->start_ms);
		shift_bound(ps, n, path, dash + 1, &g->end_ms);
	} else if (cy_is_map(ps->cy, n, path)) {
		static const char *const keys[] = {"start", "end", NULL};
		const char *v;
		cy_check_keys(ps->cy, n, path, keys);
		if (!cy_get_str(ps->cy, n, path, "start", false, &v))
			shift_bound(ps, cy_get(n, "start"), path, v, &g->start_ms);
		if (!cy_get_str(ps->cy, n, path, "end", false, &v))
			shift_bound(ps, cy_get(n, "end"), path, v, &g->end_ms);
	}
	if (g->end_ms <= g->start_ms)
		cy_error(ps->cy, n, path, "the shift ends before it starts");
}

static void parse_group(struct parse *ps, struct fy_node *n, const char *path,
			struct report_sim_group *g)
{
	static const char *const keys[] = {"name",  "count",  "skills",	  "queues",
					   "shift", "breaks", "capacity", NULL};
	struct report_scenario *s = ps->s;
	struct cy *cy = ps->cy;
	struct fy_node *x;
	char p[PATH_MAX_LEN];
	long v;

	cy_check_keys(cy, n, path, keys);
	g->count = 1;
	g->end_ms = UINT64_MAX;
	for (int c = 0; c < ACD_CH_COUNT; c++)
		g->capacity[c] = -1;
	if (cy_get_dup(cy, n, path, "name", false, &g->name) == ENOENT)
		g->name = sdup(ps, "agent");
	if (!cy_get_int(cy, n, path, "count", false, 1, 100000, &v))
		g->count = (uint32_t)v;
	if ((x = cy_get(n, "skills"))) {
		size_t cnt = fy_node_is_mapping(x) ? (size_t)fy_node_mapping_item_count(x) : 0;
		g->skills = calloc(cnt ? cnt : 1, sizeof(*g->skills));
		if (!g->skills) {
			ps->oom = 1;
			return;
		}
		parse_levels(ps, x, cy_path(p, sizeof(p), path, "skills"), g->skills, cnt,
			     &g->nskills);
	}
	if ((x = cy_get(n, "queues")) && cy_is_map(cy, x, cy_path(p, sizeof(p), path, "queues"))) {
		struct fy_node_pair *pr;
		void *it = NULL;
		size_t cnt = (size_t)fy_node_mapping_item_count(x);
		g->queues = calloc(cnt ? cnt : 1, sizeof(*g->queues));
		if (!g->queues) {
			ps->oom = 1;
			return;
		}
		while ((pr = cy_pairs(x, &it))) {
			const char *qid = cy_text(fy_node_pair_key(pr));
			char p2[PATH_MAX_LEN];
			int qi = queue_index(s, qid, s->nqueues);
			cy_path(p2, sizeof(p2), p, qid ? qid : "?");
			if (qi < 0) {
				cy_error(cy, fy_node_pair_key(pr), p2, "unknown queue \"%s\"",
					 qid ? qid : "?");
				continue;
			}
			if (cy_node_int(cy, fy_node_pair_value(pr), p2, 0, 10000, &v))
				continue;
			g->queues[g->nqueues].queue = (uint32_t)qi;
			g->queues[g->nqueues].penalty = (int)v;
			g->nqueues++;
		}
	}
	if ((x = cy_get(n, "shift")))
		parse_shift(ps, x, cy_path(p, sizeof(p), path, "shift"), g);
	if ((x = cy_get(n, "breaks")) && cy_is_seq(cy, x, cy_path(p, sizeof(p), path, "breaks"))) {
		static const char *const bkeys[] = {"at", "for", NULL};
		struct fy_node *item;
		void *it = NULL;
		size_t cnt = (size_t)fy_node_sequence_item_count(x), i = 0;
		g->breaks = calloc(cnt ? cnt : 1, sizeof(*g->breaks));
		if (!g->breaks) {
			ps->oom = 1;
			return;
		}
		while ((item = cy_items(x, &it))) {
			char p2[PATH_MAX_LEN];
			cy_path_idx(p2, sizeof(p2), p, i++);
			if (!cy_is_map(cy, item, p2))
				continue;
			cy_check_keys(cy, item, p2, bkeys);
			if (cy_get_ms(cy, item, p2, "at", true, &g->breaks[g->nbreaks].at_ms) ||
			    cy_get_ms(cy, item, p2, "for", true, &g->breaks[g->nbreaks].len_ms))
				continue;
			g->nbreaks++;
		}
	}
	if ((x = cy_get(n, "capacity")) &&
	    cy_is_map(cy, x, cy_path(p, sizeof(p), path, "capacity"))) {
		struct fy_node_pair *pr;
		void *it = NULL;
		while ((pr = cy_pairs(x, &it))) {
			const char *ch = cy_text(fy_node_pair_key(pr));
			enum acd_channel c;
			char p2[PATH_MAX_LEN];
			cy_path(p2, sizeof(p2), p, ch ? ch : "?");
			if (acd_channel_find(ch, &c)) {
				cy_error(cy, fy_node_pair_key(pr), p2, "unknown channel \"%s\"",
					 ch ? ch : "?");
				continue;
			}
			if (!cy_node_int(cy, fy_node_pair_value(pr), p2, 0, 255, &v))
				g->capacity[c] = (int)v;
		}
	}
}

static void parse_top(struct parse *ps, struct fy_node *root)
{
	static const char *const keys[] = {
	    "name",	    "duration", "interval", "seed",	"start",
	    "answer_delay", "queues",	"agents",   "campaign", NULL};
	struct report_scenario *s = ps->s;
	struct cy *cy = ps->cy;
	struct fy_node *qs, *as, *item;
	const char *str;
	void *it;
	long v;
	size_t i, n;
	bool is_clock;

	if (!cy_is_map(cy, root, ""))
		return;
	cy_check_keys(cy, root, "", keys);
	if (cy_get_dup(cy, root, "", "name", false, &s->name) == ENOENT)
		s->name = sdup(ps, "");
	if (!cy_get_ms(cy, root, "", "duration", true, &s->duration_ms) && !s->duration_ms)
		cy_error(cy, cy_get(root, "duration"), "duration", "must be above zero");
	s->interval_ms = 30 * 60000;
	if (!cy_get_ms(cy, root, "", "interval", false, &s->interval_ms) && !s->interval_ms)
		cy_error(cy, cy_get(root, "interval"), "interval", "must be above zero");
	s->seed = 1;
	if (!cy_get_int(cy, root, "", "seed", false, 0, 0x7fffffffffffffffL, &v))
		s->seed = (uint64_t)v;
	if (!cy_get_str(cy, root, "", "start", false, &str) &&
	    clock_ms(str, &s->start_label_ms, &is_clock))
		cy_error(cy, cy_get(root, "start"), "start",
			 "expected a clock time such as 08:00, got \"%s\"", str);
	cy_get_ms(cy, root, "", "answer_delay", false, &s->answer_delay_ms);
	if (cy_get(root, "campaign")) {
		/* An outbound campaign on the dialer (campaign.c), not queues. */
		report__parse_campaign(cy, cy_get(root, "campaign"), s);
		return;
	}

	qs = cy_get(root, "queues");
	if (!qs) {
		cy_error(cy, root, "queues", "missing required key");
	} else if (cy_is_seq(cy, qs, "queues")) {
		/* First the ids, so that relaxation steps may name any queue. */
		n = (size_t)fy_node_sequence_item_count(qs);
		s->queues = calloc(n ? n : 1, sizeof(*s->queues));
		if (!s->queues) {
			ps->oom = 1;
			return;
		}
		it = NULL;
		for (i = 0; (item = cy_items(qs, &it)); i++) {
			char p[PATH_MAX_LEN];
			cy_path_idx(p, sizeof(p), "queues", i);
			if (!cy_is_map(cy, item, p) ||
			    cy_get_dup(cy, item, p, "id", true, &s->queues[i].id))
				s->queues[i].id = sdup(ps, "");
			else if (queue_index(s, s->queues[i].id, i) >= 0)
				cy_error(cy, cy_get(item, "id"), p, "duplicate queue id \"%s\"",
					 s->queues[i].id);
		}
		s->nqueues = n;
		if (!n)
			cy_error(cy, qs, "queues", "expected at least one queue");
		it = NULL;
		for (i = 0; (item = cy_items(qs, &it)); i++) {
			char p[PATH_MAX_LEN];
			cy_path_idx(p, sizeof(p), "queues", i);
			if (fy_node_is_mapping(item))
				parse_queue(ps, item, p, &s->queues[i], n);
		}
	}
	as = cy_get(root, "agents");
	if (!as) {
		cy_error(cy, root, "agents", "missing required key");
	} else if (cy_is_seq(cy, as, "agents")) {
		n = (size_t)fy_node_sequence_item_count(as);
		s->groups = calloc(n ? n : 1, sizeof(*s->groups));
		if (!s->groups) {
			ps->oom = 1;
			return;
		}
		it = NULL;
		for (i = 0; (item = cy_items(as, &it)); i++) {
			char p[PATH_MAX_LEN];
			cy_path_idx(p, sizeof(p), "agents", i);
			s->ngroups++;
			if (cy_is_map(cy, item, p))
				parse_group(ps, item, p, &s->groups[i]);
			else
				s->groups[i].name = sdup(ps, "agent");
		}
	}
}

void report_scenario_free(struct report_scenario *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nskills; i++)
		free(s->skills[i]);
	for (i = 0; i < s->nqueues; i++) {
		free(s->queues[i].id);
		free(s->queues[i].rates);
	}
	for (i = 0; i < s->ngroups; i++) {
		free(s->groups[i].name);
		free(s->groups[i].skills);
		free(s->groups[i].queues);
		free(s->groups[i].breaks);
	}
	free(s->skills);
	free(s->queues);
	free(s->groups);
	free(s->name);
	free(s->file);
	free(s);
}

static int load(struct cy *cy, FILE *err, struct report_scenario **out)
{
	struct parse ps = {.cy = cy};
	int rc = 0;

	ps.s = calloc(1, sizeof(*ps.s));
	if (!ps.s)
		return ENOMEM;
	ps.s->file = strdup(cy_file(cy));
	if (!ps.s->file)
		ps.oom = 1;
	if (cy_root(cy) && !ps.oom)
		parse_top(&ps, cy_root(cy));
	if (ps.oom) {
		rc = ENOMEM;
	} else if (cy_error_count(cy)) {
		for (size_t i = 0; err && i < cy_error_count(cy); i++)
			fprintf(err, "%s\n", cy_error_at(cy, i));
		rc = EINVAL;
	}
	if (rc)
		report_scenario_free(ps.s);
	else
		*out = ps.s;
	return rc;
}

int report_scenario_load_file(const char *path, FILE *err, struct report_scenario **out)
{
	struct cy *cy = NULL;
	int rc = cy_load_file(path, &cy);

	if (!rc)
		rc = load(cy, err, out);
	cy_free(cy);
	return rc;
}

int report_scenario_load_string(const char *name, const char *text, FILE *err,
				struct report_scenario **out)
{
	struct cy *cy = NULL;
	int rc = cy_load_string(name, text, &cy);

	if (!rc)
		rc = load(cy, err, out);
	cy_free(cy);
	return rc;
}
