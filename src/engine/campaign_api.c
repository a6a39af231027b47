/*
 * Campaigns in the API: the list and one campaign with its live figures (leads left,
 * calls dialing, answered, persons and machines, abandonment today and over the cap's
 * window, agents, dial ratio), start / pause / stop, and the campaign.stats event, sent
 * at most once a second for the campaigns whose figures changed.
 */
#include "engine/campaign_int.h"

#include <string.h>

#include "core/clock.h"

static double share(uint64_t k, uint64_t n)
{
	return n ? (double)k / (double)n : 0.0;
}

static json_t *counts_json(const struct camp_counts *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "dialed",
			 (json_int_t)c->dialed, "answered", (json_int_t)c->answered, "human",
			 (json_int_t)c->person, "machine", (json_int_t)c->machine, "fax",
			 (json_int_t)c->fax, "connected", (json_int_t)c->connected, "abandoned",
			 (json_int_t)c->abandoned, "failed", (json_int_t)c->failed, "abandoned_pct",
			 100.0 * share(c->abandoned, c->person));
}

json_t *eng__camp_json(struct eng_campaign *cp, bool detail)
{
	const struct dialer_campaign *cfg = cp->cfg;
	struct dialer_pacer_figures f;
	json_t *j;

	dialer_pacer_figures(cp->pacer, (uint64_t)clock_wall_ms(), &f);
	j = json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:o, s:o}", "id",
		      cfg->id, "name", cfg->name, "mode", dialer_mode_name(cfg->mode), "state",
		      eng__camp_state_name(cp->state), "queue", cfg->queue, "trunk", cfg->trunk,
		      "caller_id", cfg->caller_id, "leads_left",
		      (json_int_t)dialer_leads_open(cp->leads), "dialing_now",
		      (json_int_t)f.dialing, "waiting_now", (json_int_t)f.waiting, "today",
		      counts_json(&cp->today), "total", counts_json(&cp->total));
	if (!j)
		return NULL;
	json_object_set_new(
	    j, "abandoned_window",
	    json_pack("{s:I, s:I, s:f, s:f, s:f, s:f}", "human", (json_int_t)f.window_person,
		      "abandoned", (json_int_t)f.window_abandoned, "pct", 100.0 * f.window_rate,
		      "upper_pct", 100.0 * f.window_upper, "cap_pct",
		      100.0 * (cfg->pacer.abandon_cap > 0 ? cfg->pacer.abandon_cap : 0.03),
		      "window_s", (double)cfg->pacer.window_ms / 1000.0));
	json_object_set_new(j, "agents",
			    json_pack("{s:I, s:I, s:I, s:I}", "free", (json_int_t)f.agents_free,
				      "talking", (json_int_t)f.agents_talk, "wrap_up",
				      (json_int_t)f.agents_wrap, "away",
				      (json_int_t)f.agents_away));
	json_object_set_new(j, "dial_ratio", json_real(f.dial_ratio));
	if (cfg->mode == DIALER_PREVIEW)
		json_object_set_new(j, "preview_timeout_s",
				    json_real((double)cfg->preview_ms / 1000.0));
	json_object_set_new(j, "source", json_string(cp->api ? "api" : "file"));
	json_object_set_new(j, "at_risk", json_boolean(f.at_risk));
	if (detail) {
		json_t *lists = json_array();
		for (size_t i = 0; i < cp->lcfg->nlists; i++)
			json_array_append_new(lists, json_pack("{s:s, s:i, s:b}", "id",
							       cp->lcfg->lists[i].id, "priority",
							       (int)cp->lcfg->lists[i].priority,
							       "read_all", cp->exhausted[i]));
		json_object_set_new(j, "lists", lists);
		json_object_set_new(j, "estimates",
				    json_pack("{s:f, s:f, s:f, s:f, s:f}", "answer_rate",
					      f.est_answer, "ring_s", f.est_ring_s, "handle_s",
					      f.est_handle_s, "wrap_s", f.est_wrap_s, "target_pct",
					      100.0 * f.target));
		json_object_set_new(j, "active_attempts", json_integer((json_int_t)cp->active));
		if (cp->lists_pending)
			json_object_set_new(j, "lists_pending", json_true());
		if (cp->config)
			json_object_set_new(j, "config", json_deep_copy(cp->config));
	}
	return j;
}

void eng__camp_stats_tick(struct engine *e)
{
	struct eng_dialer *d = e->dialer;

	if (!d || !e->api)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct eng_campaign *cp = d->v[i];
		json_t *j;
		if (!cp->dirty || cp->removed)
			continue;
		cp->dirty = false;
		if ((j = eng__camp_json(cp, false)))
			api_event(e->api, cp->t->ct->id, "campaign.stats", NULL, j);
	}
}

void eng__camp_command(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_dialer *d = e->dialer;
	struct eng_campaign *cp;
	const char *action;

	if (m->op == API_OP_CAMPAIGNS_LIST) {
		/* An agent who is no supervisor or admin sees only the preview campaigns,
		 * whose leads it takes from its desktop. */
		bool all = m->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN);
		json_t *items = json_array();
		for (size_t i = 0; d && i < d->n; i++)
			if (d->v[i]->t == t && !d->v[i]->removed &&
			    (all || d->v[i]->cfg->mode == DIALER_PREVIEW))
				json_array_append_new(items, eng__camp_json(d->v[i], false));
		api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
		return;
	}
	if (!(cp = eng__camp_find(e, t, m->target))) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such campaign");
		return;
	}
	if (m->op == API_OP_CAMPAIGN_PREVIEW) {
		eng__camp_preview(e, cp, m);
		return;
	}
	if (m->op == API_OP_CAMPAIGN_CALLBACK) {
		eng__camp_callback(e, cp, m);
		return;
	}
	if (m->op == API_OP_CAMPAIGN_CONTROL) {
		action = json_string_value(json_object_get(m->args, "action"));
		if (!action || eng__camp_control(cp, action)) {
			api_reply_error(e->api, m->req, 400, "invalid_field",
					"action must be start, pause or stop");
			return;
		}
	}
	api_reply(e->api, m->req, 200, eng__camp_json(cp, true));
}
