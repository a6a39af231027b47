/*
 * Preview campaigns, the engine's side: an agent asks for the next lead (its callbacks
 * first, then the campaign's order), which is held for that agent for the campaign's
 * preview_timeout; the agent dials it or skips it (skipped or timed out, the lead goes
 * back unchanged: the attempt is not counted). A dialed lead's call leaves like any
 * campaign call; when the person answers, the agent who chose the lead is rung
 * directly, with no grace: the agent committed to the call.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

struct eng_preview {
	struct eng_campaign *cp;
	struct eng_user *u;
	struct eng_lead *lead;
	uint32_t attempt;
	int64_t expires_ms;
	su_timer_t *timer;
	struct eng_preview *next;
};

static uint32_t user_index(const struct eng_tenant *t, const struct eng_user *u)
{
	for (size_t i = 0; i < t->nusers; i++)
		if (t->users[i] == u)
			return (uint32_t)i;
	return UINT32_MAX;
}

static struct eng_preview **find(struct eng_campaign *cp, const struct eng_user *u)
{
	struct eng_preview **p = &cp->previews;

	for (; *p; p = &(*p)->next)
		if ((*p)->u == u)
			return p;
	return NULL;
}

static void release(struct eng_preview **p, bool unpick)
{
	struct eng_preview *v = *p;

	*p = v->next;
	if (unpick)
		dialer_leads_unpick(v->cp->leads, v->lead->key, clock_wall_ms());
	if (v->timer)
		su_timer_destroy(v->timer);
	free(v);
}

static void expired(su_root_magic_t *magic, su_timer_t *tm, su_timer_arg_t *arg)
{
	struct eng_preview *v = (struct eng_preview *)arg;
	struct eng_preview **p = find(v->cp, v->u);

	(void)magic;
	(void)tm;
	log_info("dialer", "tenant=%s campaign=%s event=preview_expired agent=%s lead=%lld",
		 v->cp->t->ct->id, v->cp->cfg->id, v->u->cu->username, (long long)v->lead->id);
	if (p)
		release(p, true);
}

void eng__camp_previews_free(struct eng_campaign *cp)
{
	while (cp->previews)
		release(&cp->previews, false);
}

void eng__camp_previews_release(struct eng_campaign *cp)
{
	while (cp->previews)
		release(&cp->previews, true);
}

static json_t *preview_json(const struct eng_preview *v)
{
	const struct eng_lead *l = v->lead;
	json_t *fields = l->fields ? json_loads(l->fields, 0, NULL) : NULL;
	int64_t left = v->expires_ms - clock_wall_ms();

	return json_pack("{s:s, s:{s:s, s:I, s:s, s:s?, s:o, s:I}, s:s?, s:f}", "campaign",
			 v->cp->cfg->id, "lead", "list", v->cp->lcfg->lists[l->list].id, "id",
			 (json_int_t)l->id, "phone", l->phone, "name", l->name, "fields",
			 fields ? fields : json_object(), "attempt", (json_int_t)v->attempt,
			 "script", v->cp->cfg->script, "expires_s",
			 left > 0 ? (double)left / 1000.0 : 0.0);
}

/* The next lead for agent u, held for it. 0, ENOENT (none may be called now), ENOMEM. */
static int next_lead(struct eng_campaign *cp, struct eng_user *u, struct eng_preview **out)
{
	int64_t now = clock_wall_ms();
	uint32_t idx = user_index(cp->t, u);
	struct dialer_pick pk;
	struct dialer_lead_status st;
	struct eng_preview *v;
	struct eng_lead *l;

	for (;;) {
		if (dialer_leads_next(cp->leads, now, idx, &pk))
			return ENOENT;
		if (!(l = eng__camp_lead_get(cp, pk.id))) {
			dialer_leads_remove(cp->leads, pk.id);
			continue;
		}
		if (pk.kind == DIALER_PICK_DIAL)
			break;
		if (!dialer_leads_status(cp->leads, pk.id, &st))
			eng__camp_lead_write(cp, l, &st, "dnc", NULL);
		eng__camp_lead_forget(cp, l);
	}
	if (!(v = calloc(1, sizeof(*v)))) {
		dialer_leads_unpick(cp->leads, pk.id, now);
		return ENOMEM;
	}
	v->cp = cp;
	v->u = u;
	v->lead = l;
	v->attempt = pk.attempt;
	v->expires_ms = now + (int64_t)cp->cfg->preview_ms;
	if ((v->timer = su_timer_create(su_root_task(cp->d->e->root), cp->cfg->preview_ms)))
		su_timer_set(v->timer, expired, v);
	v->next = cp->previews;
	cp->previews = v;
	*out = v;
	return 0;
}

void eng__camp_preview(struct engine *e, struct eng_campaign *cp, const struct api_cmd *m)
{
	struct eng_user *u = strmap_get2(e->usernames, cp->t->ct->id, m->user);
	const char *action = json_string_value(json_object_get(m->args, "action"));
	struct eng_preview **p, *v;
	int err;

	if (cp->cfg->mode != DIALER_PREVIEW) {
		api_reply_error(e->api, m->req, 409, "not_preview",
				"the campaign is not a preview campaign");
		return;
	}
	if (!u || u->agent == ACD_NONE) {
		api_reply_error(e->api, m->req, 403, "not_an_agent", "only an agent takes leads");
		return;
	}
	p = find(cp, u);
	if (!strcmp(action, "next")) {
		if (cp->state != CAMP_RUNNING) {
			api_reply_error(e->api, m->req, 409, "not_running",
					"the campaign is paused or stopped");
			return;
		}
		if (!p && (err = next_lead(cp, u, &v))) {
			api_reply_error(e->api, m->req, err == ENOENT ? 404 : 500,
					err == ENOENT ? "no_lead" : "internal",
					err == ENOENT ? "no lead may be called now"
						      : "out of memory");
			return;
		}
		v = p ? *p : v;
		log_info("dialer", "tenant=%s campaign=%s event=preview agent=%s lead=%lld",
			 cp->t->ct->id, cp->cfg->id, u->cu->username, (long long)v->lead->id);
		api_reply(e->api, m->req, 200, preview_json(v));
		return;
	}
	if (!p) {
		api_reply_error(e->api, m->req, 404, "not_found", "no lead held for this agent");
		return;
	}
	v = *p;
	if (!strcmp(action, "skip")) {
		log_info("dialer", "tenant=%s campaign=%s event=preview_skipped agent=%s lead=%lld",
			 cp->t->ct->id, cp->cfg->id, u->cu->username, (long long)v->lead->id);
		release(p, true);
		api_reply(e->api, m->req, 204, NULL);
		return;
	}
	{
		/* The call may end before this returns (a refused dial): the lead with it. */
		struct eng_lead *l = v->lead;
		json_int_t id = (json_int_t)l->id;
		uint32_t attempt = v->attempt;
		release(p, false);
		err = eng__camp_dial_for(cp, l, attempt, u);
		api_reply(e->api, m->req, 200,
			  json_pack("{s:s, s:I, s:b}", "campaign", cp->cfg->id, "lead", id,
				    "dialled", err == 0));
	}
}
