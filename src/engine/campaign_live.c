/*
 * Campaigns made, changed and removed while the server runs: through the API (POST,
 * PUT, DELETE /campaigns, stored as the API's and started again at the next start) and
 * by SIGHUP for the file's. A body has the file's field names and is checked by the
 * dialer's own parser, here against what runs (the tenant's queues, trunks, flows,
 * calendars and dispositions, the file's and the API's). The file owns the campaigns it
 * lists: the API refuses them (409), and a reload that lists a campaign the API made
 * takes it over.
 *
 * A change applies to the running campaign (campaign.c, eng__camp_change): its leads,
 * their attempts and its figures stay. A removed campaign dials no more; its calls in
 * progress finish and write their leads' state.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/yaml.h"
#include "engine/flows_live.h"

/* References checked against what runs in t (the file's objects and the API's). */
static bool exists_live(void *arg, enum dialer_ref kind, const char *name)
{
	struct eng_tenant *t = arg;
	int i;

	switch (kind) {
	case DIALER_REF_QUEUE:
		return eng__queue(t->e, t, name) != NULL;
	case DIALER_REF_FLOW:
		return eng__flow_exists(t, name);
	case DIALER_REF_TRUNK:
		return cfg_trunk_find(t->ct, name) != NULL;
	case DIALER_REF_CALENDAR:
		return eng__calendar_defined(t, name);
	case DIALER_REF_DISPOSITION: {
		/* A tenant without a list of dispositions takes any code. */
		bool any = false;
		for (size_t k = 0; k < t->dispositions.n; k++)
			any |= !t->dispositions.v[k].removed;
		i = eng__code_find(&t->dispositions, name);
		return !any || (i >= 0 && !t->dispositions.v[i].removed);
	}
	}
	return false;
}

bool eng__camp_uses(struct engine *e, struct eng_tenant *t, enum dialer_ref kind, const char *name,
		    char *why, size_t size)
{
	struct eng_dialer *d = e->dialer;

	for (size_t i = 0; d && i < d->n; i++) {
		const struct eng_campaign *cp = d->v[i];
		const struct dialer_campaign *c = cp->cfg;
		const char *ref = kind == DIALER_REF_QUEUE	? c->queue
				  : kind == DIALER_REF_TRUNK	? c->trunk
				  : kind == DIALER_REF_FLOW	? c->flow
				  : kind == DIALER_REF_CALENDAR ? c->holidays
								: NULL;
		if (cp->t != t || cp->removed || !ref || strcmp(ref, name))
			continue;
		snprintf(why, size, "campaign %s %s", c->id,
			 kind == DIALER_REF_QUEUE   ? "dials for its agents"
			 : kind == DIALER_REF_TRUNK ? "dials through it"
			 : kind == DIALER_REF_FLOW  ? "runs it on answer"
						    : "takes its holidays");
		return true;
	}
	return false;
}

/* The first error recorded in cy from index `from` as a message and a field ("queue",
 * "window.from") of campaign path `path`. */
static void first_error(struct cy *cy, size_t from, const char *path, char *msg, size_t msize,
			char *field, size_t fsize)
{
	const char *e = cy_error_at(cy, from), *p = e ? strstr(e, path) : NULL;
	size_t pl = strlen(path);

	field[0] = '\0';
	if (!e) {
		snprintf(msg, msize, "invalid campaign");
		return;
	}
	if (p && p[pl] == '.') {
		size_t i = 0;
		for (p += pl + 1; *p && *p != ':' && i + 1 < fsize; p++)
			field[i++] = *p;
		field[i] = '\0';
		p = strstr(p, ": ");
		snprintf(msg, msize, "%s", p ? p + 2 : e);
		return;
	}
	snprintf(msg, msize, "%s", p && p[pl] == ':' ? p + pl + 2 : e);
}

/* Parses the API's fragment c (tenants[0].campaigns[0]) against what runs in t. 0 with
 * *out (one campaign), EINVAL with msg and field, ENOMEM. */
static int parse_fragment(struct eng_tenant *t, struct cfg *c, struct dialer_campaign **out,
			  char *msg, size_t msize, char *field, size_t fsize)
{
	static const char path[] = "tenants[0].campaigns";
	size_t before = cy_error_count(c->cy), n = 0;
	struct dialer_campaign *v = NULL;
	int err;

	err = dialer_campaigns_parse(c->cy, c->tenants[0].campaigns, path, exists_live, t, &v, &n);
	if (err == EINVAL || (!err && n != 1)) {
		if (!err)
			dialer_campaigns_free(v, n);
		first_error(c->cy, before, "tenants[0].campaigns[0]", msg, msize, field, fsize);
		return EINVAL;
	}
	if (err)
		return err;
	*out = v;
	return 0;
}

/* ---- the API's commands ---- */

static void reply_error(struct engine *e, const struct api_cmd *m, int status, const char *code,
			const char *msg, const char *field)
{
	api_reply(e->api, m->req, status,
		  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message", msg, "field",
			    field ? field : ""));
}

static void put(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	struct cfg *c = m->obj;
	const char *body = json_string_value(json_object_get(m->args, "body"));
	struct dialer_campaign *v = NULL;
	struct eng_campaign *cp = eng__camp_find(e, t, m->target);
	struct eng_dialer *d;
	char msg[256], field[64];
	bool created = !cp;
	json_t *config = body ? json_loads(body, 0, NULL) : NULL;
	int err;

	if (cp && !cp->api) {
		json_decref(config);
		reply_error(e, m, 409, "owned_by_file",
			    "the campaign is defined in the configuration file; change it there",
			    "id");
		return;
	}
	if (!config ||
	    (err = parse_fragment(t, c, &v, msg, sizeof(msg), field, sizeof(field))) == ENOMEM) {
		json_decref(config);
		reply_error(e, m, 503, "busy", "out of memory", NULL);
		return;
	}
	if (err) {
		json_decref(config);
		reply_error(e, m, 400, "invalid_field", msg, field[0] ? field : NULL);
		return;
	}
	if ((err = eng__dialer_ensure(e, &d))) {
		dialer_campaigns_free(v, 1);
		json_decref(config);
		reply_error(e, m, 503, "busy", strerror(err), NULL);
		return;
	}
	if ((err = eng__camp_keep(d, v, 1))) { /* v freed */
		json_decref(config);
		reply_error(e, m, 503, "busy", strerror(err), NULL);
		return;
	}
	err = cp ? eng__camp_change(cp, v, config) : eng__camp_add(e, t, v, true, config, &cp);
	if (err) {
		reply_error(
		    e, m, err == EINVAL ? 400 : 503, err == EINVAL ? "invalid_field" : "busy",
		    err == EINVAL ? "the campaign's rules were refused" : strerror(err), NULL);
		return;
	}
	api_reply_persist(e->api, m, created ? 201 : 200, eng__camp_json(cp, true), "campaigns",
			  m->target, body);
}

static void del(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_campaign *cp = eng__camp_find(e, t, m->target);

	if (!cp) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such campaign");
		return;
	}
	if (!cp->api) {
		reply_error(e, m, 409, "owned_by_file",
			    "the campaign is defined in the configuration file; change it there",
			    "id");
		return;
	}
	eng__camp_remove(cp);
	api_reply_persist(e->api, m, 204, NULL, "campaigns", m->target, NULL);
}

/* Leads added to a list, or numbers to a do-not-call list, through the API: the running
 * campaigns of t that read that list read on from their cursor (a list they had read to
 * its end included); do-not-call numbers are read again. */
static void leads_added(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_dialer *d = e->dialer;
	const char *campaign = json_string_value(json_object_get(m->args, "campaign"));
	const char *gone = json_string_value(json_object_get(m->args, "dnc_removed"));
	bool dnc = json_is_true(json_object_get(m->args, "dnc"));

	for (size_t i = 0; d && i < d->n; i++) {
		struct eng_campaign *cp = d->v[i];
		if (cp->t != t || cp->removed)
			continue;
		if (gone) {
			if (!campaign || !*campaign || !strcmp(campaign, cp->cfg->id))
				eng__camp_dnc_gone(cp, gone);
			continue;
		}
		if (dnc) {
			json_t *phones = json_object_get(m->args, "phones"), *v;
			size_t k;
			if (campaign && *campaign && strcmp(campaign, cp->cfg->id))
				continue;
			/* The numbers the import names are blocked now; the lists are read
			 * again for an import too large to name them. */
			json_array_foreach(phones, k, v)
			{
				if (json_is_string(v))
					dialer_dnc_add(cp->leads, json_string_value(v));
			}
			if (json_array_size(phones))
				log_info("dialer",
					 "tenant=%s campaign=%s event=dnc_added numbers=%zu",
					 t->ct->id, cp->cfg->id, json_array_size(phones));
			eng__camp_dnc_reload(cp);
			continue;
		}
		for (size_t k = 0; k < cp->lcfg->nlists; k++)
			if (!strcmp(cp->lcfg->lists[k].id, m->target) && cp->exhausted[k]) {
				cp->exhausted[k] = false;
				log_info(
				    "dialer",
				    "tenant=%s campaign=%s event=list_grew list=%s note=\"read "
				    "on from its last lead\"",
				    t->ct->id, cp->cfg->id, m->target);
			}
	}
}

void eng__camp_live_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	if (m->op == API_OP_LEADS_ADDED) {
		leads_added(e, t, m);
		return;
	}
	if (m->op == API_OP_CAMPAIGN_PUT)
		put(e, t, m);
	else
		del(e, t, m);
}

/* ---- the file's campaigns: at start and at each reload ---- */

int eng__camp_file_apply(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *nt,
			 struct cy *cy, unsigned *added, unsigned *changed, unsigned *removed)
{
	struct dialer_campaign *v = NULL;
	struct eng_dialer *d = e->dialer;
	size_t n = 0, k = 0;
	struct fy_node *item;
	void *it = NULL;
	int err;

	if (nt->campaigns) {
		char path[80];
		snprintf(path, sizeof(path), "tenants[%s].campaigns", nt->id);
		/* Checked already with the rest of the file: this parse only builds them. */
		if ((err = dialer_campaigns_parse(cy, nt->campaigns, path, NULL, NULL, &v, &n)))
			return err;
		if (!n) {
			dialer_campaigns_free(v, n);
			v = NULL;
		} else if ((err = eng__dialer_ensure(e, &d)) || (err = eng__camp_keep(d, v, n))) {
			if (!e->dialer)
				dialer_campaigns_free(v, n);
			return err;
		}
	}
	while (nt->campaigns && k < n && (item = cy_items(nt->campaigns, &it))) {
		const struct dialer_campaign *cfg = &v[k++];
		struct eng_campaign *cp = eng__camp_find(e, t, cfg->id);
		char *text = eng__node_json(item);
		json_t *config = text ? json_loads(text, 0, NULL) : NULL;

		free(text);
		if (!cp) {
			if (!eng__camp_add(e, t, cfg, false, config, NULL) && added)
				(*added)++;
			continue;
		}
		if (!cp->api && config && cp->config && json_equal(cp->config, config)) {
			json_decref(config);
			continue;
		}
		if (cp->api)
			log_info(
			    "engine",
			    "tenant=%s event=api_object_replaced object=campaign key=%s by=file",
			    t->ct->id, cfg->id);
		if (eng__camp_change(cp, cfg, config)) {
			log_warn(
			    "engine",
			    "tenant=%s event=reload_kept object=campaign key=%s why=\"its rules "
			    "were refused\"",
			    t->ct->id, cfg->id);
			continue;
		}
		cp->api = false;
		if (changed)
			(*changed)++;
	}
	/* The file's campaigns it no longer lists stop. */
	for (size_t i = 0; d && i < d->n; i++) {
		struct eng_campaign *cp = d->v[i];
		bool listed = false;
		if (cp->t != t || cp->removed || cp->api)
			continue;
		for (size_t j = 0; j < n && !listed; j++)
			listed = !strcmp(v[j].id, cp->cfg->id);
		if (listed)
			continue;
		eng__camp_remove(cp);
		if (removed)
			(*removed)++;
	}
	return 0;
}

void eng__camp_tenant_gone(struct engine *e, struct eng_tenant *t)
{
	struct eng_dialer *d = e->dialer;

	for (size_t i = 0; d && i < d->n; i++)
		if (d->v[i]->t == t && !d->v[i]->removed)
			eng__camp_remove(d->v[i]);
}

/* ---- at start: the campaigns the API made ---- */

static int load_one(const char *key, const char *body, void *arg)
{
	struct eng_api_load *l = arg;
	struct eng_campaign *cp = eng__camp_find(l->e, l->t, key);
	struct dialer_campaign *v = NULL;
	struct eng_dialer *d;
	struct cfg *c = NULL;
	char msg[256], field[64];
	const char *why = NULL;
	bool ok = false;
	int err;

	if (eng__api_load_in_file(l, key, cp && !cp->api))
		return 0;
	if (!(err = cfg_load_fragment(l->t->ct->id, "campaigns", body, &c)) &&
	    !cfg_error_count(c)) {
		err = parse_fragment(l->t, c, &v, msg, sizeof(msg), field, sizeof(field));
		if (err == EINVAL) {
			why = msg;
		} else if (!err && (err = eng__dialer_ensure(l->e, &d))) {
			dialer_campaigns_free(v, 1);
		} else if (!err && !(err = eng__camp_keep(d, v, 1))) {
			err = eng__camp_add(l->e, l->t, v, true, json_loads(body, 0, NULL), NULL);
			ok = !err;
		}
	}
	eng__api_load_put(l, key, c, err, why, NULL);
	if (ok) /* parsed into the campaign: the fragment is not kept */
		cfg_free(c);
	return 0;
}

static int scan(struct store_db *db, struct eng_api_load *l)
{
	return store_db_objects_api(db, l->t->ct->id, "campaigns", load_one, l);
}

int eng__campaigns_load_api(struct engine *e)
{
	return eng__api_load_all(e, "campaign", "campaigns", scan);
}
