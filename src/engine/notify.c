/*
 * Events for the API (the desktop's screen pop, wallboards, CRM webhooks): built on the
 * engine thread from the state it owns and handed to the API, which numbers and fans
 * them out. Queue figures go out at most once a second per queue, and only for queues
 * that changed: a one-second timer walks the list of queues marked since the last tick.
 */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

const char *eng__call_agent(const struct call *c)
{
	if (c->agent[0])
		return c->agent;
	if (c->target_user)
		return c->target_user->cu->username;
	return NULL;
}

void eng__ev_agent_state(struct eng_user *u, enum acd_state from, enum acd_state to,
			 const char *reason)
{
	struct engine *e = u->t->e;

	if (!e->api)
		return;
	api_event(e->api, u->t->ct->id, "agent.state", u->cu->username,
		  json_pack("{s:s, s:s, s:s, s:s?}", "agent", u->cu->username, "from",
			    acd_state_name(from), "state", acd_state_name(to), "reason", reason));
	/* The agent's queues count their agents by state: their figures changed. */
	for (size_t i = 0; i < u->cu->nqueues; i++) {
		struct eng_queue *q = eng__queue(e, u->t, u->cu->queues[i].queue);
		if (q)
			eng__queue_dirty(q);
	}
}

/* The variables a flow collected, for the screen pop. */
static json_t *ivr_json(const struct call *c)
{
	json_t *vars = json_object();

	if (c->ivr_vars)
		json_object_update(vars, c->ivr_vars);
	return vars;
}

void eng__ev_contact(struct call *c, const char *type, struct eng_user *u)
{
	eng__ev_contact_with(c, type, u, NULL);
}

void eng__ev_contact_with(struct call *c, const char *type, struct eng_user *u, json_t *extra)
{
	struct engine *e = c->e;
	const char *agent = u ? u->cu->username : eng__call_agent(c);
	json_t *d;
	int64_t now = clock_wall_ms();

	if (!e->api) {
		json_decref(extra);
		return;
	}
	d = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?}", "interaction", c->ix_id, "from", c->from,
		      "to", c->to, "number", c->number[0] ? c->number : NULL, "queue",
		      c->queue[0] ? c->queue : NULL, "agent", agent);
	if (!d) {
		json_decref(extra);
		return;
	}
	if (extra) {
		json_object_update(d, extra);
		json_decref(extra);
	}
	if (c->queued_ms)
		json_object_set_new(
		    d, "wait_s",
		    json_real((double)((c->answered_ms ? c->answered_ms : now) - c->queued_ms) /
			      1000.0));
	if (!strcmp(type, "contact.offered") || !strcmp(type, "contact.answered") ||
	    !strcmp(type, "contact.updated")) {
		json_t *contact = NULL;
		if (c->contact_json)
			contact = json_loads(c->contact_json, 0, NULL);
		if (!contact && c->contact_id[0])
			contact = json_pack("{s:s}", "id", c->contact_id);
		if (contact && c->contact_history) {
			json_t *h = json_loads(c->contact_history, 0, NULL);
			json_object_set_new(contact, "history", h ? h : json_array());
		}
		json_object_set_new(d, "contact", contact ? contact : json_null());
		json_object_set_new(d, "ivr", ivr_json(c));
		json_object_set_new(d, "ivr_path",
				    c->ivr_path ? json_deep_copy(c->ivr_path) : json_array());
		json_object_set_new(d, "language", c->lang[0] ? json_string(c->lang) : json_null());
		/* A campaign's call: the lead, its fields and the script. */
		if (c->att)
			json_object_set_new(d, "lead", eng__camp_lead_json(c));
	}
	if (!strcmp(type, "contact.ended")) {
		json_object_set_new(d, "hangup_by",
				    c->hangup_by ? json_string(c->hangup_by) : json_null());
		json_object_set_new(d, "answered", json_boolean(c->answered_ms != 0));
		json_object_set_new(d, "disposition",
				    c->disposition[0] ? json_string(c->disposition) : json_null());
	}
	api_event(e->api, c->t->ct->id, type, agent, d);
	if (c->q)
		eng__queue_dirty(c->q);
}

void eng__queue_dirty(struct eng_queue *q)
{
	struct engine *e = q->t->e;

	if (!e->api || q->dirty)
		return;
	q->dirty = true;
	q->dirty_next = e->dirty_queues;
	e->dirty_queues = q;
}

void eng__queue_stats_tick(struct engine *e)
{
	struct eng_queue *q = e->dirty_queues, *later = NULL;
	uint64_t now = clock_mono_ms();

	e->dirty_queues = NULL;
	while (q) {
		struct eng_queue *next = q->dirty_next;
		json_t *j;
		/* A tick that ran late is followed by one that comes early: the queue waits
		 * for the tick after, so that its figures never go out twice in a second (50
		 * ms spared for the timer's own rounding, which must not cost a whole tick). */
		if (q->stats_mono_ms && now - q->stats_mono_ms < 950) {
			q->dirty_next = later;
			later = q;
			q = next;
			continue;
		}
		j = q->t->acd ? eng__queue_json(q) : NULL;
		q->dirty = false;
		q->dirty_next = NULL;
		q->stats_mono_ms = now;
		if (j)
			api_event(e->api, q->t->ct->id, "queue.stats", NULL, j);
		q = next;
	}
	e->dirty_queues = later;
}
