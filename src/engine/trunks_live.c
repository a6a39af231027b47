/*
 * A tenant's trunks while the server runs: the file's, and the ones made, changed and
 * removed through the API (stored as the API's, loaded again at start). Everything that
 * chooses or recognises a trunk reads t->ct (eng__trunk_choose, eng__trunk_of_source,
 * the checks of queues and flows), so the tenant's t->ct is a view: a copy of the
 * file's tenant whose trunk list is the file's trunks followed by the API's. Each change
 * makes a new view for the next call; earlier views and the fragments of changed or
 * removed trunks stay allocated until the engine stops, and a call's legs copy what they
 * took from a trunk (URI, credentials), so a call in progress on a trunk that changed or
 * went away goes on untouched.
 *
 * Registrations with the carrier (`register: true`) follow the view: a new trunk
 * registers, a changed one registers again with its new settings, a removed one
 * unregisters (trunk_reg.c on the SIP side).
 *
 * The file owns the trunks it lists: the API refuses them (409 naming the file), and a
 * reload that adds a trunk of the same id as the API's takes it over.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct eng_view {
	struct cfg_tenant *ct;
	struct eng_view *next;
};

/* A registration with a carrier, by trunk id. */
struct eng_reg {
	char id[64];
	const struct cfg_trunk *tk; /* the settings it registered with */
	struct sip_trunk_reg *reg;
	struct eng_reg *next;
};

struct eng_trunks {
	const struct cfg_tenant *file; /* the file's tenant, from the last start or reload */
	struct cfg **api;	       /* the API's trunks in force (tenants[0].trunks[0]) */
	size_t napi, capi;
	struct eng_view *views; /* every view made, the newest first; freed at the stop */
	struct eng_reg *regs;
};

static const struct cfg_trunk *api_trunk(const struct cfg *c)
{
	return &c->tenants[0].trunks[0];
}

static int api_find(const struct eng_trunks *s, const char *id)
{
	for (size_t i = 0; i < s->napi; i++)
		if (!strcmp(api_trunk(s->api[i])->id, id))
			return (int)i;
	return -1;
}

static bool same_strings(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* True when a registration made with a still holds for b. */
static bool reg_same(const struct cfg_trunk *a, const struct cfg_trunk *b)
{
	return a->register_ == b->register_ && a->register_expires_s == b->register_expires_s &&
	       same_strings(a->uri, b->uri) && same_strings(a->username, b->username) &&
	       same_strings(a->password, b->password);
}

/* Registers, registers again or unregisters so that the registrations match t->ct. */
static void regs_sync(struct engine *e, struct eng_tenant *t)
{
	struct eng_trunks *s = t->trunks;
	const struct cfg_tenant *ct = t->removed ? NULL : t->ct;

	/* Gone, no longer registering, or changed: unregistered. */
	for (struct eng_reg **p = &s->regs; *p;) {
		struct eng_reg *r = *p;
		const struct cfg_trunk *tk = ct ? cfg_trunk_find(ct, r->id) : NULL;
		if (tk && tk->register_ && reg_same(r->tk, tk)) {
			r->tk = tk;
			p = &r->next;
			continue;
		}
		log_info("engine", "tenant=%s event=trunk_unregister trunk=%s why=%s", t->ct->id,
			 r->id, tk ? "changed" : "removed");
		sip_trunk_unregister(r->reg);
		*p = r->next;
		free(r);
	}
	if (!ct || !e->sip)
		return;
	for (size_t i = 0; i < ct->ntrunks; i++) {
		const struct cfg_trunk *tk = &ct->trunks[i];
		struct eng_reg *r;
		bool have = false;
		if (!tk->register_)
			continue;
		for (r = s->regs; r && !have; r = r->next)
			have = !strcmp(r->id, tk->id);
		if (have)
			continue;
		if (!(r = calloc(1, sizeof(*r)))) {
			log_error("engine", "tenant=%s event=trunk_register_failed trunk=%s err=%s",
				  ct->id, tk->id, strerror(ENOMEM));
			continue;
		}
		snprintf(r->id, sizeof(r->id), "%s", tk->id);
		r->tk = tk;
		struct sip_trunk_reg_params p = {
		    .tenant = ct->id,
		    .trunk = tk->id,
		    .uri = tk->uri,
		    .user = tk->username,
		    .password = tk->password,
		    .expires_s = tk->register_expires_s,
		};
		int err = sip_trunk_register(e->sip, &p, &r->reg);
		if (err) {
			log_error("engine", "tenant=%s event=trunk_register_failed trunk=%s err=%s",
				  ct->id, tk->id, strerror(err));
			free(r);
			continue;
		}
		r->next = s->regs;
		s->regs = r;
	}
}

/* A new view of t: the file's tenant with its trunks, then the API's. 0 or ENOMEM (the
 * previous view stays). */
static int view_make(struct engine *e, struct eng_tenant *t)
{
	struct eng_trunks *s = t->trunks;
	const struct cfg_tenant *f = s->file;
	struct eng_view *v = calloc(1, sizeof(*v));
	struct cfg_tenant *ct = malloc(sizeof(*ct));
	struct cfg_trunk *tv = calloc(f->ntrunks + s->napi + 1, sizeof(*tv));

	if (!v || !ct || !tv) {
		free(v);
		free(ct);
		free(tv);
		return ENOMEM;
	}
	*ct = *f;
	if (f->ntrunks)
		memcpy(tv, f->trunks, f->ntrunks * sizeof(*tv));
	ct->ntrunks = f->ntrunks;
	for (size_t i = 0; i < s->napi; i++)
		tv[ct->ntrunks++] = *api_trunk(s->api[i]);
	ct->trunks = tv;
	v->ct = ct;
	v->next = s->views;
	s->views = v;
	t->ct = ct;
	regs_sync(e, t);
	return 0;
}

int eng__trunks_init(struct engine *e, struct eng_tenant *t)
{
	if (!(t->trunks = calloc(1, sizeof(*t->trunks))))
		return ENOMEM;
	t->trunks->file = t->ct;
	return view_make(e, t);
}

int eng__trunks_file(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *nt)
{
	struct eng_trunks *s = t->trunks;

	s->file = nt;
	/* The file takes over an API trunk of the same id. */
	for (size_t i = 0; i < s->napi;) {
		if (!cfg_trunk_find(nt, api_trunk(s->api[i])->id)) {
			i++;
			continue;
		}
		log_info("engine",
			 "tenant=%s event=api_object_replaced object=trunk key=%s by=file", nt->id,
			 api_trunk(s->api[i])->id);
		eng__keep_old_cfg(t, s->api[i]);
		s->api[i] = s->api[--s->napi];
	}
	return view_make(e, t);
}

void eng__trunks_retire(struct engine *e, struct eng_tenant *t)
{
	bool was = t->removed;

	if (!t->trunks)
		return;
	t->removed = true;
	regs_sync(e, t);
	t->removed = was;
}

void eng__trunks_stop(struct engine *e)
{
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_trunks *s = e->tenants[i].trunks;
		while (s && s->regs) {
			struct eng_reg *r = s->regs;
			s->regs = r->next;
			sip_trunk_unregister(r->reg);
			free(r);
		}
	}
}

void eng__trunks_free(struct eng_tenant *t)
{
	struct eng_trunks *s = t->trunks;

	if (!s)
		return;
	for (size_t i = 0; i < s->napi; i++)
		cfg_free(s->api[i]);
	free(s->api);
	while (s->views) {
		struct eng_view *v = s->views;
		s->views = v->next;
		free(v->ct->trunks);
		free(v->ct);
		free(v);
	}
	free(s);
	t->trunks = NULL;
}

bool eng__trunk_in_file(const struct eng_tenant *t, const char *id)
{
	return cfg_trunk_find(t->trunks->file, id) != NULL;
}

int eng__trunk_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, bool *created,
		   const char **why)
{
	struct eng_trunks *s = t->trunks;
	const struct cfg_trunk *tk = api_trunk(owner);
	int i = api_find(s, tk->id);
	struct cfg *old = NULL;
	int err;

	if (eng__trunk_in_file(t, tk->id)) {
		*why = "the trunk is defined in the configuration file; change it there";
		return EEXIST;
	}
	if (i < 0 && s->napi == s->capi) {
		size_t cap = s->capi ? 2 * s->capi : 4;
		struct cfg **v = realloc(s->api, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		s->api = v;
		s->capi = cap;
	}
	if (i >= 0) {
		old = s->api[i];
		s->api[i] = owner;
	} else {
		s->api[s->napi++] = owner;
	}
	if ((err = view_make(e, t))) {
		if (old)
			s->api[i] = old;
		else
			s->napi--;
		return err;
	}
	/* The earlier settings may still be read by an older view: kept until the stop. */
	eng__keep_old_cfg(t, old);
	*created = i < 0;
	log_info("engine", "tenant=%s event=trunk_%s trunk=%s uri=%s register=%s", t->ct->id,
		 *created ? "added" : "changed", tk->id, tk->uri, tk->register_ ? "yes" : "no");
	return 0;
}

/* What uses trunk `id` in t (a queue's overflow, an outbound rule, a campaign), written
 * to why; false when nothing does. */
static bool trunk_used(struct engine *e, struct eng_tenant *t, const char *id, char *why,
		       size_t size)
{
	const struct cfg_outbound *o = &t->ct->outbound;
	struct fy_node *cn;
	void *it = NULL;

	for (size_t i = 0; i < t->nqueues; i++) {
		const struct cfg_target *tg = &t->queues[i]->cq->overflow;
		if (tg->kind == CFG_TARGET_NUMBER && tg->trunk && !strcmp(tg->trunk, id)) {
			snprintf(why, size, "queue %s overflows through it", t->queues[i]->cq->id);
			return true;
		}
	}
	if (o->trunk && !strcmp(o->trunk, id)) {
		snprintf(why, size, "outbound.trunk names it");
		return true;
	}
	for (size_t i = 0; i < o->nroutes; i++)
		if (o->routes[i].trunk && !strcmp(o->routes[i].trunk, id)) {
			snprintf(why, size, "outbound route %s uses it", o->routes[i].prefix);
			return true;
		}
	while (t->ct->campaigns && (cn = cy_items(t->ct->campaigns, &it))) {
		struct fy_node *tn = cy_get(cn, "trunk"), *idn = cy_get(cn, "id");
		const char *name = tn ? cy_text(tn) : NULL;
		if (name && !strcmp(name, id)) {
			snprintf(why, size, "campaign %s dials through it",
				 idn && cy_text(idn) ? cy_text(idn) : "?");
			return true;
		}
	}
	return eng__camp_uses(e, t, DIALER_REF_TRUNK, id, why, size);
}

int eng__trunk_delete(struct engine *e, struct eng_tenant *t, const char *id, char *why,
		      size_t size)
{
	struct eng_trunks *s = t->trunks;
	int i = api_find(s, id);
	struct cfg *old;
	int err;

	if (eng__trunk_in_file(t, id))
		return EEXIST;
	if (i < 0)
		return ENOENT;
	if (trunk_used(e, t, id, why, size))
		return EBUSY;
	old = s->api[i];
	s->api[i] = s->api[--s->napi];
	if ((err = view_make(e, t))) {
		s->api[s->napi++] = s->api[i];
		s->api[i] = old;
		return err;
	}
	eng__keep_old_cfg(t, old);
	log_info("engine", "tenant=%s event=trunk_removed trunk=%s", t->ct->id, id);
	return 0;
}

static const char *srtp_name(enum cfg_srtp m)
{
	return m == CFG_SRTP_OFF ? "off" : m == CFG_SRTP_OPTIONAL ? "optional" : "required";
}

json_t *eng__trunk_json(const struct eng_tenant *t, const struct cfg_trunk *tk)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:s, s:b}", "id", tk->id, "uri", tk->uri, "source",
		      eng__trunk_in_file(t, tk->id) ? "file" : "api", "register", tk->register_);

	if (!j)
		return NULL;
	/* The password is write-only: whether one is set is all that is said. */
	if (tk->username)
		json_object_set_new(j, "username", json_string(tk->username));
	json_object_set_new(j, "password_set", json_boolean(tk->password != NULL));
	if (tk->caller_id)
		json_object_set_new(j, "caller_id", json_string(tk->caller_id));
	if (tk->ninbound_from) {
		json_t *a = json_array();
		for (size_t i = 0; i < tk->ninbound_from; i++)
			json_array_append_new(a, json_string(tk->inbound_from[i]));
		json_object_set_new(j, "inbound_from", a);
	}
	if (tk->srtp != CFG_SRTP_DEFAULT)
		json_object_set_new(j, "srtp", json_string(srtp_name(tk->srtp)));
	if (tk->register_expires_s)
		json_object_set_new(j, "register_expires", json_integer(tk->register_expires_s));
	if (tk->register_) {
		bool up = false;
		for (const struct eng_reg *r = t->trunks->regs; r; r = r->next)
			if (!strcmp(r->id, tk->id))
				up = sip_trunk_registered(r->reg);
		json_object_set_new(j, "registered", json_boolean(up));
	}
	return j;
}

json_t *eng__trunks_json(const struct eng_tenant *t)
{
	json_t *items = json_array();

	for (size_t i = 0; i < t->ct->ntrunks; i++)
		json_array_append_new(items, eng__trunk_json(t, &t->ct->trunks[i]));
	return items;
}

/* ---- at start: the trunks the API made ---- */

static int load_one(const char *key, const char *body, void *arg)
{
	struct eng_api_load *l = arg;
	struct cfg *c = NULL;
	const char *why = NULL;
	bool created;
	int err;

	if (eng__api_load_in_file(l, key, eng__trunk_in_file(l->t, key)))
		return 0;
	if (!(err = cfg_load_fragment(l->t->ct->id, "trunks", body, &c)) && !cfg_error_count(c))
		err = eng__trunk_put(l->e, l->t, c, &created, &why);
	eng__api_load_put(l, key, c, err, why, NULL);
	return 0;
}

static int scan(struct store_db *db, struct eng_api_load *l)
{
	return store_db_objects_api(db, l->t->ct->id, "trunks", load_one, l);
}

int eng__trunks_load_api(struct engine *e)
{
	return eng__api_load_all(e, "trunk", "trunks", scan);
}

int eng__trunks_start(struct engine *e)
{
	for (size_t i = 0; i < e->ntenants; i++)
		if (e->tenants[i].trunks)
			regs_sync(e, &e->tenants[i]);
	return 0;
}
