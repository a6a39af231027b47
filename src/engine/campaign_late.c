/*
 * What reaches a campaign's lead after its call is gone: a disposition given once the
 * wrap-up is over (the agent is ready again, or a supervisor corrects it), a callback of a
 * lead the campaign no longer holds (closed, old) or has not read yet, and a number taken
 * off a do-not-call list. The engine remembers the last answered attempts by interaction
 * (a ring of CAMP_RECENT, for CAMP_RECENT_MS); a lead it does not hold is read from the
 * store by the dialer's worker (no SQL on this thread) and taken into memory, then the
 * request goes on. A disposition reaches the lead only while the lead was not called
 * again after that attempt.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

void eng__camp_recent_put(const struct call *c, const struct eng_attempt *a)
{
	struct eng_campaign *cp = a->cp;
	struct eng_dialer *d = cp->d;
	struct camp_recent *r;

	if (!c->ix_id[0])
		return;
	if (!d->recent && !(d->recent = calloc(CAMP_RECENT, sizeof(*d->recent))))
		return;
	r = &d->recent[d->recent_next];
	d->recent_next = (d->recent_next + 1) % CAMP_RECENT;
	memset(r, 0, sizeof(*r));
	snprintf(r->ix, sizeof(r->ix), "%s", c->ix_id);
	r->t = cp->t;
	snprintf(r->campaign, sizeof(r->campaign), "%s", cp->cfg->id);
	snprintf(r->list, sizeof(r->list), "%s", cp->lcfg->lists[a->lead->list].id);
	snprintf(r->agent, sizeof(r->agent), "%s", c->agent);
	r->lead = a->lead->id;
	r->attempt = a->number;
	r->ended_ms = clock_wall_ms();
}

void eng__camp_recent_free(struct eng_dialer *d)
{
	free(d->recent);
	d->recent = NULL;
}

static const struct camp_recent *recent_find(struct eng_dialer *d, const struct eng_tenant *t,
					     const char *ix, int64_t now)
{
	for (size_t i = 0; d->recent && i < CAMP_RECENT; i++) {
		const struct camp_recent *r = &d->recent[i];
		if (r->t == t && r->ended_ms > now - CAMP_RECENT_MS && !strcmp(r->ix, ix))
			return r;
	}
	return NULL;
}

static void pend_free(struct camp_pend *p)
{
	if (!p)
		return;
	json_decref(p->m.args);
	free(p);
}

void eng__camp_pend_free(void *p)
{
	pend_free(p);
}

int eng__camp_fetch(struct eng_campaign *cp, uint16_t list, int64_t id, struct camp_pend *p)
{
	struct cw_req *r = calloc(1, sizeof(*r));
	int err;

	if (!r) {
		pend_free(p);
		return ENOMEM;
	}
	r->kind = CW_GET;
	r->cp = cp;
	r->list_idx = list;
	r->lead_id = id;
	r->pend = p;
	snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
	snprintf(r->list, sizeof(r->list), "%s", cp->lcfg->lists[list].id);
	if ((err = eng__camp_worker_send(cp->d, r))) {
		pend_free(p);
		return err;
	}
	cp->loads_out++;
	return 0;
}

/* The list index of list id `list` in cp's lists, or -1. */
static int list_index(const struct eng_campaign *cp, const char *list)
{
	for (size_t k = 0; k < cp->lcfg->nlists; k++)
		if (!strcmp(cp->lcfg->lists[k].id, list))
			return (int)k;
	return -1;
}

/* Applies a late disposition to lead l as attempt rec left it; answers m. */
static void dispose(struct engine *e, struct eng_campaign *cp, struct eng_lead *l,
		    const struct camp_recent *rec, const struct api_cmd *m)
{
	const char *code = json_string_value(json_object_get(m->args, "code"));
	json_t *cb = json_object_get(m->args, "callback");
	struct dialer_lead_status st;
	enum dialer_dispose d;
	enum eng_camp_dnc dnc = ENG_CAMP_DNC_NONE;
	int64_t now = clock_wall_ms(), at, cb_ms = 0;
	uint32_t who = UINT32_MAX;

	if (dialer_leads_status(cp->leads, l->key, &st) || st.attempts != rec->attempt) {
		/* Called again since: the new attempt is its own. The interaction keeps the
		 * disposition. */
		log_info("dialer",
			 "tenant=%s campaign=%s event=late_disposition_not_applied lead=%lld "
			 "interaction=%s why=\"called again since\"",
			 cp->t->ct->id, cp->cfg->id, (long long)l->id, rec->ix);
		api_reply(e->api, m->req, API_NOT_LIVE, NULL);
		return;
	}
	if (cb && eng__camp_cb_parse(e, cp, l->zone, cb, m, "callback.", &cb_ms, &who))
		return;
	if (eng__camp_disposition(cp->cfg, code, now, cb_ms, &d, &at, &dnc) ||
	    dialer_leads_dispose(cp->leads, l->key, d, at,
				 d == DIALER_DISPOSE_CALLBACK && cb_ms ? who : UINT32_MAX, &st)) {
		api_reply(e->api, m->req, API_NOT_LIVE, NULL);
		return;
	}
	eng__camp_dnc_apply(cp, l->phone, dnc);
	eng__camp_lead_write(cp, l, &st, dialer_result_name(DIALER_R_PERSON), code);
	log_info("dialer",
		 "tenant=%s campaign=%s event=disposed_after_wrap_up lead=%lld interaction=%s "
		 "code=%s state=%s by=%s",
		 cp->t->ct->id, cp->cfg->id, (long long)l->id, rec->ix, code,
		 eng__camp_lead_state_name(st.state), m->user[0] ? m->user : "-");
	cp->dirty = true;
	if (st.state == DIALER_LEAD_DONE)
		eng__camp_lead_forget(cp, l);
	api_reply(e->api, m->req, API_NOT_LIVE, NULL); /* the store writes the interaction's */
}

bool eng__camp_dispose_after(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_dialer *d = e->dialer;
	const char *code = json_string_value(json_object_get(m->args, "code"));
	const struct camp_recent *rec;
	struct eng_campaign *cp;
	struct eng_lead *l;
	enum dialer_dispose how;
	enum eng_camp_dnc dnc;
	int64_t at, now = clock_wall_ms();
	int k;

	if (!d || !code || !(rec = recent_find(d, t, m->target, now)))
		return false;
	/* Someone else's interaction: the store answers (404 for an agent). */
	if (!(m->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_OPERATOR)) &&
	    strcmp(rec->agent, m->user))
		return false;
	if (!(cp = eng__camp_find(e, t, rec->campaign)) || cp->removed || cp->lists_pending ||
	    (k = list_index(cp, rec->list)) < 0 ||
	    eng__camp_disposition(cp->cfg, code, now, 0, &how, &at, &dnc))
		return false; /* the lead as it was; the interaction takes the code */
	if (json_object_get(m->args, "callback") && how != DIALER_DISPOSE_CALLBACK) {
		api_reply(e->api, m->req, 400,
			  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field",
				    "message", "the campaign's code does not call back", "field",
				    "callback"));
		return true;
	}
	l = eng__camp_lead_get(cp, (uint64_t)k << 40 | (uint64_t)rec->lead);
	if (l) {
		dispose(e, cp, l, rec, m);
	} else {
		struct camp_pend *p = calloc(1, sizeof(*p));
		if (p) {
			p->kind = PEND_DISPOSE;
			p->m = *m;
			p->rec = *rec;
			json_incref(p->m.args);
		}
		if (!p || eng__camp_fetch(cp, (uint16_t)k, rec->lead, p))
			api_reply(e->api, m->req, API_NOT_LIVE, NULL);
	}
	return true;
}

/* A lead read alone came back: take it, then go on with what waited for it. */
static void got_lead(struct eng_campaign *cp, struct cw_rep *r)
{
	struct engine *e = cp->d->e;
	struct camp_pend *p = r->pend;
	struct eng_lead *l = NULL;

	if (!p)
		return;
	if (cp->removed || cp->lists_pending || r->list_idx >= cp->lcfg->nlists) {
		if (p->kind == PEND_CALLBACK)
			api_reply_error(e->api, p->m.req, 404, "not_found",
					"the campaign no longer calls this list");
		else
			api_reply(e->api, p->m.req, API_NOT_LIVE, NULL);
		pend_free(p);
		return;
	}
	if (r->err && r->err != ENOENT) {
		log_warn("dialer", "tenant=%s campaign=%s event=lead_read_failed err=%s",
			 cp->t->ct->id, cp->cfg->id, strerror(r->err));
		if (p->kind == PEND_CALLBACK)
			api_reply_error(e->api, p->m.req, 503, "store_unavailable",
					"the lead could not be read; try again");
		else
			api_reply(e->api, p->m.req, API_NOT_LIVE, NULL);
		pend_free(p);
		return;
	}
	if (!r->err && r->n == 1)
		l = eng__camp_take(cp, r->list_idx, &r->leads[0], false);
	if (l)
		log_info("dialer",
			 "tenant=%s campaign=%s event=lead_read list=%s lead=%lld state=%s",
			 cp->t->ct->id, cp->cfg->id, cp->lcfg->lists[r->list_idx].id,
			 (long long)l->id, r->leads[0].state);
	if (p->kind == PEND_CALLBACK)
		eng__camp_callback_run(e, cp, &p->m, true);
	else if (l)
		dispose(e, cp, l, &p->rec, &p->m);
	else
		api_reply(e->api, p->m.req, API_NOT_LIVE, NULL);
	pend_free(p);
}

/* Leads closed for a number now off the do-not-call lists are open again. */
static void dnc_gone(struct eng_campaign *cp, struct cw_rep *r)
{
	if (cp->removed || cp->lists_pending || r->err || r->still ||
	    r->list_idx >= cp->lcfg->nlists) {
		if (r->err)
			log_warn("dialer", "tenant=%s campaign=%s event=dnc_check_failed err=%s",
				 cp->t->ct->id, cp->cfg->id, strerror(r->err));
		return;
	}
	dialer_dnc_remove(cp->leads, r->phone);
	for (size_t i = 0; i < r->n; i++) {
		struct dialer_lead_status st;
		struct eng_lead *l;
		/* Taken as ready: its stored "done" was the list's doing, not the lead's. */
		free(r->leads[i].state);
		r->leads[i].state = strdup("ready");
		r->leads[i].next_ms = 0;
		if (!r->leads[i].state ||
		    !(l = eng__camp_take(cp, r->list_idx, &r->leads[i], false)) ||
		    dialer_leads_status(cp->leads, l->key, &st))
			continue;
		eng__camp_lead_write(cp, l, &st, NULL, NULL);
		log_info("dialer",
			 "tenant=%s campaign=%s event=dnc_lead_reopened lead=%lld state=%s",
			 cp->t->ct->id, cp->cfg->id, (long long)l->id,
			 eng__camp_lead_state_name(st.state));
		if (st.state == DIALER_LEAD_DONE)
			eng__camp_lead_forget(cp, l);
	}
	cp->dirty = true;
}

void eng__camp_fetched(struct eng_campaign *cp, struct cw_rep *r)
{
	if (r->kind == CW_GET)
		got_lead(cp, r);
	else
		dnc_gone(cp, r);
	eng__camp_rep_free(r);
}

void eng__camp_dnc_gone(struct eng_campaign *cp, const char *phone)
{
	/* One request per list: each says whether the number is still listed. The first
	 * answer removes it from the set in memory; until then it is not dialed. */
	for (uint16_t i = 0; i < cp->lcfg->nlists; i++) {
		struct cw_req *r = calloc(1, sizeof(*r));
		if (!r)
			return;
		r->kind = CW_DNC_GONE;
		r->cp = cp;
		r->list_idx = i;
		snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
		snprintf(r->campaign, sizeof(r->campaign), "%s", cp->cfg->id);
		snprintf(r->list, sizeof(r->list), "%s", cp->lcfg->lists[i].id);
		snprintf(r->phone, sizeof(r->phone), "%s", phone);
		if (!eng__camp_worker_send(cp->d, r))
			cp->loads_out++;
	}
}

static void reply_400(struct engine *e, const struct api_cmd *m, const char *msg)
{
	api_reply(e->api, m->req, 400,
		  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field", "message", msg,
			    "field", "callback"));
}

int eng__camp_disposition_args(struct engine *e, struct call *c, const struct api_cmd *m,
			       const char *code, int64_t *cb_ms, uint32_t *who)
{
	json_t *cb = json_object_get(m->args, "callback");
	struct eng_campaign *cp = c->att ? c->att->cp : c->camp;
	struct eng_lead *l = c->att ? c->att->lead
			     : cp   ? eng__camp_lead_get(cp, c->camp_lead)
				    : NULL;
	enum dialer_dispose how;
	enum eng_camp_dnc dnc;
	int64_t at;

	*cb_ms = 0;
	*who = UINT32_MAX;
	if (!cb)
		return 0;
	if (!cp || !l || cp->removed) {
		reply_400(e, m, "a callback is for a campaign's call that reached a person");
		return EINVAL;
	}
	if (eng__camp_disposition(cp->cfg, code, clock_wall_ms(), 0, &how, &at, &dnc) ||
	    how != DIALER_DISPOSE_CALLBACK) {
		reply_400(e, m, "the campaign's code does not call back");
		return EINVAL;
	}
	return eng__camp_cb_parse(e, cp, l->zone, cb, m, "callback.", cb_ms, who);
}
