/*
 * The definitions of a tenant's flows and calendars (see flows_live.h): loaded at start
 * from the file and the store, changed by a reload of the file, and kept as JSON texts
 * with every flow's versions, from which flows_gen.c builds what calls run.
 */
#include "engine/flows_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "engine/flow_int.h"

char *eng__node_json(struct fy_node *n)
{
	char *s = n ? fy_emit_node_to_string(n, FYECF_MODE_JSON_ONELINE) : NULL, *out = NULL;
	json_t *j = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;

	free(s);
	if (j)
		out = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return out;
}

struct eng_flowdef *eng__flowdef(struct eng_tenant *t, const char *name)
{
	struct eng_live *l = t->live;

	for (size_t i = 0; l && name && i < l->nflows; i++)
		if (!strcmp(l->flows[i].name, name))
			return &l->flows[i];
	return NULL;
}

struct eng_caldef *eng__caldef(struct eng_tenant *t, const char *name)
{
	struct eng_live *l = t->live;

	for (size_t i = 0; l && name && i < l->ncals; i++)
		if (!strcmp(l->cals[i].name, name))
			return &l->cals[i];
	return NULL;
}

const struct eng_flow_ver *eng__flow_ver(const struct eng_flowdef *d, unsigned no)
{
	for (size_t i = 0; d && no && i < d->nv; i++)
		if (d->v[i].no == no)
			return &d->v[i];
	return NULL;
}

bool eng__flow_exists(struct eng_tenant *t, const char *name)
{
	const struct eng_flowdef *d = eng__flowdef(t, name);

	return d && d->published;
}

/* ---- definitions ---------------------------------------------------------------------------- */

static struct eng_flowdef *flowdef_add(struct eng_tenant *t, const char *name, bool file)
{
	struct eng_live *l = t->live;
	struct eng_flowdef *d;

	if (strlen(name) >= sizeof(d->name))
		return NULL;
	if (l->nflows == l->flows_cap) {
		size_t cap = l->flows_cap ? 2 * l->flows_cap : 8;
		struct eng_flowdef *v = realloc(l->flows, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->flows = v;
		l->flows_cap = cap;
	}
	d = &l->flows[l->nflows++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->file = file;
	d->next_no = 1;
	return d;
}

static void flowdef_clear(struct eng_flowdef *d)
{
	for (size_t i = 0; i < d->nv; i++)
		free(d->v[i].body);
	free(d->v);
}

static void flowdef_remove(struct eng_tenant *t, struct eng_flowdef *d)
{
	struct eng_live *l = t->live;
	size_t i = (size_t)(d - l->flows);

	flowdef_clear(d);
	memmove(&l->flows[i], &l->flows[i + 1], (l->nflows - i - 1) * sizeof(*d));
	l->nflows--;
}

/* Adds version `no` (0: the next number) made at `ms` by `by`; the body is copied. The
 * oldest unpublished version goes when there are LIVE_MAX_VERSIONS. 0 or ENOMEM. */
static int ver_add(struct eng_flowdef *d, unsigned no, int64_t ms, const char *by, const char *body)
{
	struct eng_flow_ver *v;
	char *copy = strdup(body);

	if (!copy)
		return ENOMEM;
	if (d->nv == LIVE_MAX_VERSIONS) {
		size_t drop = d->v[0].no == d->published ? 1 : 0;
		free(d->v[drop].body);
		memmove(&d->v[drop], &d->v[drop + 1], (d->nv - drop - 1) * sizeof(*v));
		d->nv--;
	}
	if (d->nv == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 4;
		struct eng_flow_ver *nv = realloc(d->v, cap * sizeof(*nv));
		if (!nv) {
			free(copy);
			return ENOMEM;
		}
		d->v = nv;
		d->cap = cap;
	}
	v = &d->v[d->nv++];
	v->no = no ? no : d->next_no;
	if (v->no >= d->next_no)
		d->next_no = v->no + 1;
	v->created_ms = ms;
	snprintf(v->by, sizeof(v->by), "%s", by);
	v->body = copy;
	return 0;
}

static void ver_drop_last(struct eng_flowdef *d)
{
	free(d->v[--d->nv].body);
	d->next_no--;
}

static struct eng_caldef *caldef_add(struct eng_tenant *t, const char *name, bool file,
				     const char *body)
{
	struct eng_live *l = t->live;
	struct eng_caldef *c;
	char *copy;

	if (strlen(name) >= sizeof(c->name) || !(copy = strdup(body)))
		return NULL;
	if (l->ncals == l->cals_cap) {
		size_t cap = l->cals_cap ? 2 * l->cals_cap : 8;
		struct eng_caldef *v = realloc(l->cals, cap * sizeof(*v));
		if (!v) {
			free(copy);
			return NULL;
		}
		l->cals = v;
		l->cals_cap = cap;
	}
	c = &l->cals[l->ncals++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->file = file;
	c->body = copy;
	c->updated_ms = clock_wall_ms();
	return c;
}

static void caldef_remove(struct eng_tenant *t, struct eng_caldef *c)
{
	struct eng_live *l = t->live;
	size_t i = (size_t)(c - l->cals);

	free(c->body);
	memmove(&l->cals[i], &l->cals[i + 1], (l->ncals - i - 1) * sizeof(*c));
	l->ncals--;
}

/* ---- the store's document of an API flow ------------------------------------------------- */

json_t *eng__flowdef_doc(const struct eng_flowdef *d)
{
	json_t *vs = json_array();

	for (size_t i = 0; i < d->nv; i++) {
		const struct eng_flow_ver *v = &d->v[i];
		json_array_append_new(vs, json_pack("{s:i, s:I, s:s, s:o}", "version", (int)v->no,
						    "created_ms", (json_int_t)v->created_ms, "by",
						    v->by, "flow", json_loads(v->body, 0, NULL)));
	}
	return json_pack("{s:i, s:i, s:o}", "published", (int)d->published, "next", (int)d->next_no,
			 "versions", vs);
}

int eng__flowdef_load_doc(struct eng_flowdef *d, const char *text)
{
	json_t *j = json_loads(text, 0, NULL), *vs = json_object_get(j, "versions"), *v;
	size_t i;
	int err = 0;

	if (!json_is_array(vs)) {
		json_decref(j);
		return EINVAL;
	}
	json_array_foreach(vs, i, v)
	{
		char *body = json_dumps(json_object_get(v, "flow"), JSON_COMPACT);
		const char *by = json_string_value(json_object_get(v, "by"));
		int no = (int)json_integer_value(json_object_get(v, "version"));
		if (!body || no <= 0)
			err = EINVAL;
		else
			err = ver_add(d, (unsigned)no,
				      json_integer_value(json_object_get(v, "created_ms")),
				      by ? by : "api", body);
		free(body);
		if (err)
			break;
	}
	d->published = (unsigned)json_integer_value(json_object_get(j, "published"));
	if (json_integer_value(json_object_get(j, "next")) > d->next_no)
		d->next_no = (unsigned)json_integer_value(json_object_get(j, "next"));
	if (!err && !eng__flow_ver(d, d->published))
		err = EINVAL;
	json_decref(j);
	return err;
}

/* ---- start and stop ------------------------------------------------------------------------ */

struct load_arg {
	struct eng_tenant *t;
	unsigned n, skipped;
};

static int load_flow(const char *key, const char *body, void *arg)
{
	struct load_arg *a = arg;
	struct eng_flowdef *d;

	if (eng__flowdef(a->t, key)) {
		log_info("engine", "tenant=%s event=api_object_replaced object=flow key=%s by=file",
			 a->t->ct->id, key);
		a->skipped++;
		return 0;
	}
	if (!(d = flowdef_add(a->t, key, false)))
		return ENOMEM;
	if (eng__flowdef_load_doc(d, body)) {
		log_warn("engine", "tenant=%s event=api_flow_skipped flow=%s why=\"unreadable\"",
			 a->t->ct->id, key);
		flowdef_remove(a->t, d);
		a->skipped++;
		return 0;
	}
	a->n++;
	return 0;
}

static int load_calendar(const char *key, const char *body, void *arg)
{
	struct load_arg *a = arg;

	if (eng__caldef(a->t, key)) {
		log_info("engine",
			 "tenant=%s event=api_object_replaced object=calendar key=%s by=file",
			 a->t->ct->id, key);
		a->skipped++;
		return 0;
	}
	if (!caldef_add(a->t, key, false, body))
		return ENOMEM;
	a->n++;
	return 0;
}

/* The file's flows and calendars of t, each flow as its version 1. */
static int load_file(struct eng_tenant *t, const struct cfg_tenant *ct)
{
	int64_t now = clock_wall_ms();

	for (size_t i = 0; i < ct->ncalendars; i++) {
		char *body = eng__node_json(ct->calendars[i].node);
		struct eng_caldef *c =
		    body ? caldef_add(t, ct->calendars[i].name, true, body) : NULL;
		free(body);
		if (!c)
			return ENOMEM;
	}
	for (size_t i = 0; i < ct->nflows; i++) {
		char *body = eng__node_json(ct->flows[i].node);
		struct eng_flowdef *d = body ? flowdef_add(t, ct->flows[i].name, true) : NULL;
		int err = d ? ver_add(d, 0, now, "file", body) : ENOMEM;
		free(body);
		if (err)
			return err;
		d->published = d->v[0].no;
	}
	return 0;
}

int eng__live_load(struct engine *e)
{
	struct store_db *db = NULL;
	int err = 0;

	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		if (!(t->live = calloc(1, sizeof(*t->live))) || (err = load_file(t, t->ct)))
			return err ? err : ENOMEM;
	}
	if (!e->cfg->store || store_db_open(e->cfg->store, &db)) {
		log_warn("engine", "event=api_objects_not_loaded object=flows");
		return 0;
	}
	for (size_t i = 0; i < e->ntenants && !err; i++) {
		struct load_arg f = {.t = &e->tenants[i]}, c = {.t = &e->tenants[i]};
		if ((err = store_db_objects_api(db, f.t->ct->id, "calendars", load_calendar, &c)) ||
		    (err = store_db_objects_api(db, f.t->ct->id, "flows", load_flow, &f)))
			break;
		if (f.n || c.n || f.skipped || c.skipped)
			log_info("engine",
				 "tenant=%s event=api_objects object=flows loaded=%u calendars=%u "
				 "skipped=%u",
				 f.t->ct->id, f.n, c.n, f.skipped + c.skipped);
	}
	store_db_close(db);
	return err == ENOMEM ? err : 0;
}

/* The API's definition a build error names ("flows.NAME..." or "calendars.NAME..."), to
 * leave out at start; false when the error is the file's. */
static bool drop_api_def(struct eng_tenant *t, const char *msg)
{
	char name[64] = "";
	struct eng_flowdef *d;
	struct eng_caldef *c;

	if (sscanf(msg, "flows.%63[^.:]", name) == 1 && (d = eng__flowdef(t, name)) && !d->file) {
		log_warn("engine", "tenant=%s event=api_flow_skipped flow=%s why=\"%s\"", t->ct->id,
			 name, msg);
		flowdef_remove(t, d);
		return true;
	}
	if (sscanf(msg, "calendars.%63[^.:]", name) == 1 && (c = eng__caldef(t, name)) &&
	    !c->file) {
		log_warn("engine", "tenant=%s event=api_calendar_skipped calendar=%s why=\"%s\"",
			 t->ct->id, name, msg);
		caldef_remove(t, c);
		return true;
	}
	return false;
}

/* Every tenant's first generation, rendered before calls come (blocking). An API flow or
 * calendar that no longer validates is left out and logged. */
int eng__flows_live(struct engine *e)
{
	uint64_t t0 = clock_mono_ms();
	unsigned nflows = 0, rendered = e->flows ? e->flows->start_rendered : 0;

	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		struct eng_flowgen *g = NULL;
		char msg[512];
		int err;

		while ((err = eng__gen_build(t, &g, msg, sizeof(msg))) == EINVAL &&
		       drop_api_def(t, msg))
			;
		if (err) {
			log_error("engine", "tenant=%s event=flow_error msg=\"%s\"", t->ct->id,
				  msg);
			return err;
		}
		eng__gen_install_sync(t, g);
		rendered += g->nrendered;
		for (size_t k = 0; k < t->live->nflows; k++)
			nflows += t->live->flows[k].published != 0;
	}
	log_info("engine", "event=flows_loaded flows=%u tts_rendered=%u ms=%llu", nflows, rendered,
		 (unsigned long long)(clock_mono_ms() - t0 + (e->flows ? e->flows->start_ms : 0)));
	return 0;
}

void eng__live_free(struct engine *e)
{
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_live *l = e->tenants[i].live;
		if (!l)
			continue;
		eng__gen_unref(l->cur);
		for (size_t k = 0; k < l->nflows; k++)
			flowdef_clear(&l->flows[k]);
		free(l->flows);
		for (size_t k = 0; k < l->ncals; k++)
			free(l->cals[k].body);
		free(l->cals);
		free(l);
		e->tenants[i].live = NULL;
	}
}

/* ---- SIGHUP -------------------------------------------------------------------------------- */

void eng__live_reload_calendars(struct eng_tenant *t, const struct cfg_tenant *nt, unsigned *added,
				unsigned *changed)
{
	struct eng_live *l = t->live;
	unsigned before = *added + *changed;
	int64_t now = clock_wall_ms();

	if (!l)
		return;
	for (size_t i = 0; i < nt->ncalendars; i++) {
		char *body = eng__node_json(nt->calendars[i].node);
		struct eng_caldef *c = eng__caldef(t, nt->calendars[i].name);
		if (!body)
			continue;
		if (!c) {
			if (caldef_add(t, nt->calendars[i].name, true, body))
				(*added)++;
		} else if (!c->file || strcmp(c->body, body)) {
			free(c->body);
			c->body = body;
			body = NULL;
			c->file = true;
			c->updated_ms = now;
			(*changed)++;
		}
		free(body);
	}
	if (*added + *changed != before)
		l->reload_changed = true;
}

void eng__live_reload(struct eng_tenant *t, const struct cfg_tenant *nt, unsigned *added,
		      unsigned *changed, unsigned *removed)
{
	struct eng_live *l = t->live;
	struct eng_flowgen *g = NULL;
	struct live_reply none = {0};
	unsigned before = *added + *changed + *removed;
	int64_t now = clock_wall_ms();
	const char *q;
	char msg[512];

	if (!l)
		return;
	for (size_t i = 0; i < l->ncals;)
		if (l->cals[i].file && !cfg_calendar_find(nt, l->cals[i].name)) {
			if ((q = eng__calendar_queue(t, l->cals[i].name))) {
				log_warn("engine",
					 "tenant=%s event=reload_kept object=calendar key=%s "
					 "why=\"queue %s uses it (hours)\"",
					 t->ct->id, l->cals[i].name, q);
				i++;
				continue;
			}
			caldef_remove(t, &l->cals[i]);
			(*removed)++;
		} else {
			i++;
		}
	for (size_t i = 0; i < nt->nflows; i++) {
		char *body = eng__node_json(nt->flows[i].node);
		struct eng_flowdef *d = eng__flowdef(t, nt->flows[i].name);
		const struct eng_flow_ver *v = eng__flow_ver(d, d ? d->published : 0);
		bool add = !d;
		if (!body)
			continue;
		if (!d && !(d = flowdef_add(t, nt->flows[i].name, true))) {
			free(body);
			continue;
		}
		if (add || !d->file || !v || strcmp(v->body, body)) {
			if (!ver_add(d, 0, now, "file", body)) {
				d->published = d->v[d->nv - 1].no;
				d->file = true;
				if (add)
					(*added)++;
				else
					(*changed)++;
				log_info("engine",
					 "tenant=%s event=flow_version flow=%s version=%u by=file",
					 t->ct->id, d->name, d->published);
			}
		}
		free(body);
	}
	for (size_t i = 0; i < l->nflows;)
		if (l->flows[i].file && !cfg_flow_find(nt, l->flows[i].name)) {
			flowdef_remove(t, &l->flows[i]);
			(*removed)++;
		} else {
			i++;
		}
	if (*added + *changed + *removed == before && !l->reload_changed)
		return;
	l->reload_changed = false;
	if (eng__gen_build(t, &g, msg, sizeof(msg)))
		log_error("engine",
			  "tenant=%s event=reload_flows_failed msg=\"%s\" note=\"calls keep the "
			  "flows that run now\"",
			  t->ct->id, msg);
	else if (eng__gen_start(t, g, &none))
		log_error("engine", "tenant=%s event=reload_flows_failed note=\"no thread\"",
			  t->ct->id);
}

/* A tenant a reload added: the file's flows and calendars, rendered on a thread of their
 * own (the tenant's calls find no flow until then). The API's definitions of a tenant
 * removed and added again come back at the next start. 0 or errno. */
int eng__live_tenant_add(struct eng_tenant *t)
{
	struct live_reply none = {0};
	struct eng_flowgen *g = NULL;
	char msg[512];
	int err;

	if (!(t->live = calloc(1, sizeof(*t->live))))
		return ENOMEM;
	if ((err = load_file(t, t->ct)))
		return err;
	if ((err = eng__gen_build(t, &g, msg, sizeof(msg)))) {
		log_error("engine", "tenant=%s event=flow_error msg=\"%s\"", t->ct->id, msg);
		return err;
	}
	return eng__gen_start(t, g, &none);
}

/* ---- for flows_api.c ---- */

struct eng_flowdef *eng__live_flowdef_add(struct eng_tenant *t, const char *name)
{
	return flowdef_add(t, name, false);
}

void eng__live_flowdef_remove(struct eng_tenant *t, struct eng_flowdef *d)
{
	flowdef_remove(t, d);
}

int eng__live_ver_add(struct eng_flowdef *d, const char *by, const char *body)
{
	return ver_add(d, 0, clock_wall_ms(), by, body);
}

void eng__live_ver_drop_last(struct eng_flowdef *d)
{
	ver_drop_last(d);
}

struct eng_caldef *eng__live_caldef_add(struct eng_tenant *t, const char *name, const char *body)
{
	return caldef_add(t, name, false, body);
}

void eng__live_caldef_remove(struct eng_tenant *t, struct eng_caldef *c)
{
	caldef_remove(t, c);
}
