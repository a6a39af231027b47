/*
 * Callbacks scheduled through the API: POST /campaigns/{id}/callbacks {list, lead, at,
 * agent?}. The lead (in the campaign's memory, else read from the store off this thread:
 * an old lead, a closed one, which the callback opens again) is called back at `at`, a local
 * time in the lead's own zone ("2026-12-05T14:30") or an instant with its offset, by
 * the agent named (the callback waits for that agent, who is dialed for first) or by
 * the campaign (anyone). The callback is written to the lead's row (its next time and
 * callback agent), so it stays one over a restart.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static void reply_error(struct engine *e, const struct api_cmd *m, int status, const char *code,
			const char *msg, const char *field)
{
	api_reply(e->api, m->req, status,
		  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", code, "message", msg, "field",
			    field ? field : ""));
}

/* True when s names its offset ("Z", "+02:00", "-0500" after the time). */
static bool zoned(const char *s)
{
	const char *t = strchr(s, 'T');

	if (!t)
		t = strchr(s, ' ');
	return t && (strchr(t, 'Z') || strchr(t, '+') || strchr(t, '-'));
}

int eng__camp_cb_parse(struct engine *e, struct eng_campaign *cp, uint16_t zone, json_t *cb,
		       const struct api_cmd *m, const char *prefix, int64_t *at, uint32_t *who)
{
	struct eng_tenant *t = cp->t;
	const char *at_s = json_string_value(json_object_get(cb, "at"));
	const char *agent = json_string_value(json_object_get(cb, "agent"));
	char fa[40], fg[40];
	int64_t when;
	uint32_t u = UINT32_MAX;

	snprintf(fa, sizeof(fa), "%sat", prefix);
	snprintf(fg, sizeof(fg), "%sagent", prefix);
	if (agent && *agent) {
		for (size_t i = 0; i < t->nusers && u == UINT32_MAX; i++)
			if (!t->users[i]->removed && t->users[i]->agent != ACD_NONE &&
			    !strcmp(t->users[i]->cu->username, agent))
				u = (uint32_t)i;
		if (u == UINT32_MAX) {
			reply_error(e, m, 400, "invalid_field", "no such agent in this tenant", fg);
			return EINVAL;
		}
	}
	/* An agent schedules callbacks for itself or for the campaign. */
	if (!(m->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_OPERATOR)) &&
	    u != UINT32_MAX && strcmp(agent, m->user)) {
		reply_error(e, m, 403, "forbidden",
			    "an agent schedules callbacks for itself or the campaign", fg);
		return EINVAL;
	}
	if (!at_s || clock_parse_iso8601(at_s, &when)) {
		reply_error(e, m, 400, "invalid_field",
			    "at: a time such as 2026-12-05T14:30 (in the lead's zone) or "
			    "2026-12-05T13:30:00Z",
			    fa);
		return EINVAL;
	}
	if (!zoned(at_s))
		when = eng__camp_local_to_utc(cp, zone, when);
	if (when < clock_wall_ms() - 60000) {
		reply_error(e, m, 400, "invalid_field", "at is in the past", fa);
		return EINVAL;
	}
	*at = when;
	*who = u;
	return 0;
}

void eng__camp_callback(struct engine *e, struct eng_campaign *cp, const struct api_cmd *m)
{
	eng__camp_callback_run(e, cp, m, false);
}

void eng__camp_callback_run(struct engine *e, struct eng_campaign *cp, const struct api_cmd *m,
			    bool fetched)
{
	struct eng_tenant *t = cp->t;
	const char *list = json_string_value(json_object_get(m->args, "list"));
	json_int_t id = json_integer_value(json_object_get(m->args, "lead"));
	uint32_t who = UINT32_MAX;
	struct dialer_lead_status st;
	struct eng_lead *l = NULL;
	int64_t at;
	char iso[32];
	size_t k;
	int err;

	for (k = 0; list && k < cp->lcfg->nlists; k++)
		if (!strcmp(cp->lcfg->lists[k].id, list))
			break;
	if (!list || k == cp->lcfg->nlists) {
		reply_error(e, m, 404, "not_found", "the campaign does not call this list", "list");
		return;
	}
	if (id <= 0 || id >= (1LL << 40)) {
		reply_error(e, m, 404, "not_found", "no such lead in the list", "lead");
		return;
	}
	l = eng__camp_lead_get(cp, (uint64_t)k << 40 | (uint64_t)id);
	if (!l && !fetched) {
		/* Not held (closed, or not read yet): read from the store, then again. */
		struct camp_pend *p = calloc(1, sizeof(*p));
		if (p) {
			p->kind = PEND_CALLBACK;
			p->m = *m;
			json_incref(p->m.args);
		}
		if (!p || eng__camp_fetch(cp, (uint16_t)k, (int64_t)id, p))
			api_reply_error(e->api, m->req, 503, "store_unavailable",
					"the lead could not be read; try again");
		return;
	}
	if (!l) {
		reply_error(e, m, 404, "not_found", "no such lead in the list", "lead");
		return;
	}
	if (eng__camp_cb_parse(e, cp, l->zone, m->args, m, "", &at, &who))
		return;
	if ((err = dialer_leads_callback(cp->leads, l->key, at, who, &st))) {
		if (err == EBUSY)
			reply_error(e, m, 409, "busy", "the lead is being called now", "lead");
		else
			reply_error(e, m, 404, "not_found", "no such lead in the list", "lead");
		return;
	}
	eng__camp_lead_write(cp, l, &st, NULL, NULL);
	cp->dirty = true;
	clock_iso8601(at, iso, sizeof(iso));
	log_info("dialer",
		 "tenant=%s campaign=%s event=callback_scheduled lead=%lld at=%s agent=%s by=%s",
		 t->ct->id, cp->cfg->id, (long long)l->id, iso,
		 who == UINT32_MAX ? "-" : t->users[who]->cu->username, m->user[0] ? m->user : "-");
	api_reply(e->api, m->req, 201,
		  json_pack("{s:s, s:s, s:I, s:s, s:s?, s:s?}", "campaign", cp->cfg->id, "list",
			    list, "lead", (json_int_t)l->id, "at", iso, "agent",
			    who == UINT32_MAX ? NULL : t->users[who]->cu->username, "timezone",
			    l->tz ? l->tz : NULL));
}
