/*
 * The API's commands on the engine thread: agent state and wrap-up, live views of
 * agents, queues and calls, dispositions and hang-ups of calls in progress, and the
 * Prometheus text of /metrics. Every command is scoped to the caller's tenant: an
 * object of another tenant is not found. Each is answered at once with api_reply; none
 * waits on I/O.
 */
#include "engine/engine_int.h"
#include "engine/flows_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

static struct eng_tenant *tenant_of(struct engine *e, const char *id)
{
	return eng__tenant_find(e, id);
}

static bool is_sup(uint32_t roles)
{
	return roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN);
}

static const char *iso(int64_t ms, char *buf, size_t size)
{
	return ms ? clock_iso8601(ms, buf, size) : NULL;
}

/* ---- agents ---- */

/* The call an agent is on now (ringing, talking or wrapping up), or NULL. */
static struct call *agent_call(const struct eng_user *u)
{
	if (u->cur)
		return u->cur;
	if (u->offer)
		return u->offer;
	return u->wrap_call;
}

json_t *eng__agent_json(struct eng_user *u)
{
	struct eng_tenant *t = u->t;
	struct acd_agent_info ai;
	struct call *c = agent_call(u);
	char since[32];
	json_t *j;

	if (u->agent == ACD_NONE || !t->acd || acd_agent_info(t->acd, u->agent, &ai))
		return NULL;
	j = json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:s?, s:b, s:i, s:f, s:f}", "username",
		      u->cu->username, "name", u->cu->name, "state", acd_state_name(ai.state),
		      "presence", acd_state_name(ai.presence), "reason",
		      ai.state == ACD_STATE_NOT_READY ? eng__reason_name(t, ai.reason) : NULL,
		      "since", iso(u->state_since, since, sizeof(since)), "registered",
		      u->ncontacts > 0, "answered_today", (int)ai.answered, "talk_s_today",
		      (double)ai.talk_ms / 1000.0, "aht_s_today",
		      ai.answered ? (double)ai.talk_ms / 1000.0 / ai.answered : 0.0);
	if (j) {
		json_t *call = u->cur && u->cur->answered_ms ? eng__call_json(u->cur) : NULL;

		json_object_set_new(j, "interaction",
				    c && c->ix_id[0] ? json_string(c->ix_id) : json_null());
		/* The call the agent talks on, as GET /calls shows it: a desktop opened during
		 * the call shows its controls. */
		json_object_set_new(j, "call", call ? call : json_null());
		json_object_set_new(j, "browser_phone", json_boolean(eng__phone_connected(u)));
	}
	return j;
}

static void agent_get(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, m->target);
	json_t *j = u ? eng__agent_json(u) : NULL;

	if (!j) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such agent");
		return;
	}
	api_reply(e->api, m->req, 200, j);
}

static void agent_state(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, m->target);
	const char *st = json_string_value(json_object_get(m->args, "state"));
	const char *reason = json_string_value(json_object_get(m->args, "reason"));
	enum acd_state to = !strcmp(st, "ready")       ? ACD_STATE_READY
			    : !strcmp(st, "not_ready") ? ACD_STATE_NOT_READY
						       : ACD_STATE_LOGGED_OUT;
	int err;

	if (!u || u->agent == ACD_NONE) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such agent");
		return;
	}
	err = eng__agent_set_state(u, to, reason);
	if (err == EINVAL) {
		api_reply(e->api, m->req, 400,
			  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field",
				    "message", "unknown reason code", "field", "reason"));
		return;
	}
	if (err) {
		api_reply_error(e->api, m->req, 409, "conflict", strerror(err));
		return;
	}
	log_info("engine", "tenant=%s event=api_agent_state agent=%s state=%s by=%s", t->ct->id,
		 u->cu->username, st, m->user);
	api_reply(e->api, m->req, 200, eng__agent_json(u));
}

static void wrapup_end(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, m->target);
	int err;

	if (!u || u->agent == ACD_NONE) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such agent");
		return;
	}
	err = eng__agent_feature(u, "*24");
	if (err) {
		api_reply_error(e->api, m->req, 409, "conflict", strerror(err));
		return;
	}
	api_reply(e->api, m->req, 200, eng__agent_json(u));
}

/* The agent's configured queues, each with whether it is logged into it. */
static json_t *agent_queues_json(struct eng_user *u)
{
	json_t *items = json_array();

	for (size_t i = 0; i < u->cu->nqueues; i++)
		json_array_append_new(items,
				      json_pack("{s:s, s:i, s:b}", "queue", u->cu->queues[i].queue,
						"penalty", (int)u->cu->queues[i].penalty, "member",
						i >= 64 || !(u->queues_off >> i & 1)));
	return items;
}

static void agent_queues(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, m->target);
	const char *queue = json_string_value(json_object_get(m->args, "queue"));
	int err = 0;

	if (!u || u->agent == ACD_NONE) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such agent");
		return;
	}
	if (queue)
		err = eng__agent_queue_member(u, queue,
					      json_is_true(json_object_get(m->args, "member")));
	if (err == ENOENT) {
		api_reply_error(e->api, m->req, 404, "not_found", "not one of the agent's queues");
		return;
	}
	if (err) {
		api_reply_error(e->api, m->req, 409, "conflict", strerror(err));
		return;
	}
	if (queue && e->api)
		api_event(e->api, t->ct->id, "agent.queues", u->cu->username,
			  json_pack("{s:s, s:o}", "agent", u->cu->username, "queues",
				    agent_queues_json(u)));
	api_reply(e->api, m->req, 200,
		  json_pack("{s:o, s:n}", "items", agent_queues_json(u), "next"));
}

static void agents_list(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	json_t *items = json_array();

	for (size_t i = 0; i < t->nusers; i++) {
		json_t *j = eng__agent_json(t->users[i]);
		if (j)
			json_array_append_new(items, j);
	}
	api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* GET /api/v1/directory: whom an agent may transfer to, for the desktop's directory:
 * every user (name, agent state when an agent, whether a phone is registered), every
 * queue and every number of the tenant; nothing else about them. */
static void directory(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	json_t *items = json_array(), *numbers = eng__numbers_json(e, t), *n;
	struct acd_agent_info ai;
	size_t i;

	for (i = 0; i < t->nusers; i++) {
		struct eng_user *u = t->users[i];
		bool agent =
		    u->agent != ACD_NONE && t->acd && !acd_agent_info(t->acd, u->agent, &ai);

		json_array_append_new(
		    items,
		    json_pack("{s:s, s:s, s:s?, s:s?, s:b}", "kind", "user", "id", u->cu->username,
			      "name", u->cu->name, "state", agent ? acd_state_name(ai.state) : NULL,
			      "registered", u->ncontacts > 0 || eng__phone_connected(u)));
	}
	for (i = 0; i < t->nqueues; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s?}", "kind", "queue", "id",
						       t->queues[i]->cq->id, "name",
						       t->queues[i]->cq->name));
	json_array_foreach(numbers, i, n) json_array_append_new(
	    items, json_pack("{s:s, s:s}", "kind", "number", "id",
			     json_string_value(json_object_get(n, "number"))));
	json_decref(numbers);
	api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* ---- queues ---- */

static double or_null(double v)
{
	return v < 0 ? 0 : v;
}

json_t *eng__queue_json(struct eng_queue *q)
{
	struct acd_queue_stats st;
	json_t *j;

	if (acd_queue_stats(q->t->acd, q->id, clock_mono_ms(), &st))
		return NULL;
	j = json_pack(
	    "{s:s, s:i, s:i, s:f, s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:{s:I, s:I, s:I, s:I, s:I, "
	    "s:I}, s:f, s:i, s:f, s:f, s:f, s:f}",
	    "id", q->cq->id, "waiting", (int)st.waiting, "callbacks_waiting",
	    (int)st.callbacks_waiting, "longest_wait_s", (double)st.longest_wait_ms / 1000.0,
	    "agents", "ready", (int)st.agents[ACD_STATE_READY], "busy",
	    (int)(st.agents[ACD_STATE_BUSY] + st.agents[ACD_STATE_RESERVED]), "wrap_up",
	    (int)st.agents[ACD_STATE_WRAP_UP], "not_ready", (int)st.agents[ACD_STATE_NOT_READY],
	    "staffed", (int)st.staffed, "available", (int)st.available, "today", "offered",
	    (json_int_t)st.c.offered, "answered", (json_int_t)st.c.answered, "abandoned",
	    (json_int_t)st.c.abandoned, "abandoned_short", (json_int_t)st.c.abandoned_short,
	    "answered_in_sl", (json_int_t)st.c.answered_in_sl, "callbacks",
	    (json_int_t)st.c.callbacks, "service_level", or_null(st.service_level),
	    "service_level_target_pct", (int)st.service_level_pct, "service_level_s",
	    (double)st.service_level_ms / 1000.0, "asa_s", or_null(st.asa_ms) / 1000.0, "aht_s",
	    or_null(st.aht_ms) / 1000.0, "ewt_s", (double)st.ewt_ms / 1000.0);
	if (j) {
		json_object_set_new(j, "source", json_string(q->owner ? "api" : "file"));
		json_object_set_new(j, "config", eng__queue_config_json(q));
		json_object_set_new(j, "abandon_rate",
				    st.abandon_rate < 0 ? json_null() : json_real(st.abandon_rate));
		/* No agent who could ever answer: no estimate. */
		if (st.ewt_ms >= ACD_NEVER)
			json_object_set_new(j, "ewt_s", json_null());
	}
	return j;
}

static void queues_list(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	json_t *items = json_array();

	for (size_t i = 0; t->acd && i < t->nqueues; i++) {
		json_t *j = eng__queue_json(t->queues[i]);
		if (j)
			json_array_append_new(items, j);
	}
	api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static void queue_get(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_queue *q = eng__queue(e, t, m->target);
	json_t *j = q && t->acd ? eng__queue_json(q) : NULL;

	if (!j) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such queue");
		return;
	}
	api_reply(e->api, m->req, 200, j);
}

/* ---- calls ---- */

static const char *call_state_name(enum call_state s)
{
	static const char *const names[] = {"routing", "ivr",	  "queued", "ringing",
					    "talking", "feature", "ended"};
	return names[s];
}

json_t *eng__call_json(const struct call *c)
{
	char a1[32], a2[32];

	static const char *const kinds[] = {NULL, "monitor", "conference", "consult"};

	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:b, s:s?}",
			 "interaction", c->ix_id, "state", call_state_name(c->state), "from",
			 c->from, "to", c->to, "number", c->number[0] ? c->number : NULL, "queue",
			 c->queue[0] ? c->queue : NULL, "agent", eng__call_agent(c), "created",
			 iso(c->created_ms, a1, sizeof(a1)), "answered",
			 iso(c->answered_ms, a2, sizeof(a2)), "held", c->held_since != 0, "muted",
			 c->muted, "recording_paused", c->rec_paused, "third_party",
			 c->xleg ? kinds[c->xkind] : NULL);
}

static void calls_list(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	json_t *items = json_array();

	/* A supervisor's request, not an event: a walk of the call table is fine here. */
	for (size_t i = 0; i < e->calls_cap; i++)
		for (struct call *c = e->calls[i]; c; c = c->hnext)
			if (c->t == t && c->state != CALL_FEATURE && c->state != CALL_ENDED)
				json_array_append_new(items, eng__call_json(c));
	api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* The call of interaction `id` in tenant t, in progress or in wrap-up, or NULL. */
static struct call *call_by_ix(struct engine *e, struct eng_tenant *t, const char *id)
{
	for (size_t i = 0; i < t->nusers; i++) {
		struct call *c = t->users[i]->wrap_call;
		if (c && !strcmp(c->ix_id, id))
			return c;
		if ((c = t->users[i]->cur) && !strcmp(c->ix_id, id))
			return c;
	}
	for (size_t i = 0; i < e->calls_cap; i++)
		for (struct call *c = e->calls[i]; c; c = c->hnext)
			if (c->t == t && !strcmp(c->ix_id, id))
				return c;
	return NULL;
}

static bool may_touch(const struct api_cmd *m, const struct call *c)
{
	const char *agent = eng__call_agent(c);

	return is_sup(m->roles) || (agent && !strcmp(agent, m->user));
}

static void disposition(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct call *c = call_by_ix(e, t, m->target);
	const char *code = json_string_value(json_object_get(m->args, "code"));
	const char *notes = json_string_value(json_object_get(m->args, "notes"));
	int64_t cb_ms = 0;
	uint32_t who = UINT32_MAX;

	if (!code || !eng__disposition_known(t, code)) {
		api_reply(e->api, m->req, 400,
			  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field",
				    "message", "code is not one of the tenant's dispositions",
				    "field", "code"));
		return;
	}
	if (!c) {
		/* A campaign's attempt of the last day changes its lead too. */
		if (!eng__camp_dispose_after(e, t, m))
			api_reply(e->api, m->req, API_NOT_LIVE, NULL); /* the store has it */
		return;
	}
	if (!may_touch(m, c)) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such object");
		return;
	}
	if (eng__camp_disposition_args(e, c, m, code, &cb_ms, &who))
		return;
	c->camp_cb_ms = cb_ms;
	c->camp_cb_who = who;
	snprintf(c->disposition, sizeof(c->disposition), "%s", code);
	if (notes) {
		free(c->notes);
		c->notes = strdup(notes);
	}
	eng__timeline(c, "disposition", "code", code);
	log_info("engine", "tenant=%s call=%llu event=disposition code=%s by=%s", t->ct->id,
		 (unsigned long long)c->id, code, m->user);
	if (!c->att && c->camp)
		eng__camp_disposed_late(c, code, cb_ms, who);
	api_reply(e->api, m->req, 200, eng__call_json(c));
}

static void hangup(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct call *c = call_by_ix(e, t, m->target);

	if (!c || !may_touch(m, c) || c->state == CALL_ENDED || (!c->a && !c->b && !c->nforks)) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such call in progress");
		return;
	}
	log_info("engine", "tenant=%s call=%llu event=api_hangup by=%s", t->ct->id,
		 (unsigned long long)c->id, m->user);
	eng__timeline(c, "hangup_requested", "by", m->user);
	eng__call_hangup(c, 0,
			 is_sup(m->roles) &&
				 strcmp(eng__call_agent(c) ? eng__call_agent(c) : "", m->user)
			     ? "system"
			     : "agent");
	api_reply(e->api, m->req, 200, json_pack("{s:s}", "interaction", c->ix_id));
}

static void dial(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, m->user);
	const char *number = json_string_value(json_object_get(m->args, "number"));
	struct call *c = NULL;
	int err;

	if (!u) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such user");
		return;
	}
	err = eng__click_dial(u, number, &c);
	if (err == ENOENT) {
		api_reply_error(e->api, m->req, 409, "unreachable",
				t->ct->ntrunks ? "your phone is not registered"
					       : "the tenant has no trunk");
		return;
	}
	if (err == EPERM) {
		api_reply_error(e->api, m->req, 403, "refused",
				"the tenant's outbound rules refuse this number");
		return;
	}
	if (err) {
		api_reply_error(e->api, m->req, 503, "busy", strerror(err));
		return;
	}
	api_reply(e->api, m->req, 201, eng__call_json(c));
}

static void transfer(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct call *c = call_by_ix(e, t, m->target);
	const char *user = json_string_value(json_object_get(m->args, "user"));
	const char *queue = json_string_value(json_object_get(m->args, "queue"));
	const char *flow = json_string_value(json_object_get(m->args, "flow"));
	const char *number = json_string_value(json_object_get(m->args, "number"));
	struct eng_user *u = user ? strmap_get2(e->usernames, t->ct->id, user) : NULL;
	struct eng_queue *q = queue ? eng__queue(e, t, queue) : NULL;
	const char *field = user ? "user" : queue ? "queue" : flow ? "flow" : "number";

	if (!c || !may_touch(m, c) || c->state != CALL_BRIDGED || !c->a || !c->b) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such call in conversation");
		return;
	}
	if ((user && !u) || (queue && !q) || (flow && !eng__flow_exists(t, flow)) ||
	    (number && !t->ct->ntrunks)) {
		api_reply(e->api, m->req, 400,
			  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field",
				    "message", "no such target in this tenant", "field", field));
		return;
	}
	log_info("engine", "tenant=%s call=%llu event=api_transfer to=%s:%s by=%s", t->ct->id,
		 (unsigned long long)c->id, field,
		 user	 ? user
		 : queue ? queue
		 : flow	 ? flow
			 : number,
		 m->user);
	if (eng__transfer_blind(c, u, q, flow, number,
				m->user[0] ? strmap_get2(e->usernames, t->ct->id, m->user)
					   : NULL)) {
		api_reply_error(e->api, m->req, 409, "transfer_failed",
				"the target cannot be reached");
		return;
	}
	api_reply(e->api, m->req, 200, eng__call_json(c));
}

/* POST /api/v1/calls/{id}/{action}: hold, resume, mute, unmute, recording/pause, recording/resume,
 * dtmf, conference, consult, consult/complete, consult/cancel, monitor. */
static void control(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	static const char *const mode_names[] = {"barge", "listen", "whisper"};
	struct call *c = call_by_ix(e, t, m->target);
	const char *action = json_string_value(json_object_get(m->args, "action"));
	const char *user = json_string_value(json_object_get(m->args, "user"));
	const char *number = json_string_value(json_object_get(m->args, "number"));
	const char *mode = json_string_value(json_object_get(m->args, "mode"));
	struct eng_user *u = user ? strmap_get2(e->usernames, t->ct->id, user) : NULL;
	/* Who asks: a third party's number counts against that user's outbound caps. */
	struct eng_user *by = m->user[0] ? strmap_get2(e->usernames, t->ct->id, m->user) : NULL;
	bool monitor = !strcmp(action, "monitor");
	int err, md = 0;

	/* Monitoring is the supervisor's, on any agent's call; the rest the call's agent's. */
	if (!c || c->state != CALL_BRIDGED || (monitor ? !is_sup(m->roles) : !may_touch(m, c))) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such call in conversation");
		return;
	}
	if (user && !u) {
		api_reply(e->api, m->req, 400,
			  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field",
				    "message", "no such user in this tenant", "field", "user"));
		return;
	}
	for (md = 0; mode && md < 3 && strcmp(mode_names[md], mode); md++)
		;
	if (!strcmp(action, "hold") || !strcmp(action, "resume"))
		err = eng__call_hold(c, action[0] == 'h', true);
	else if (!strcmp(action, "mute") || !strcmp(action, "unmute"))
		err = eng__call_mute(c, action[0] == 'm');
	else if (!strcmp(action, "recording/pause") || !strcmp(action, "recording/resume"))
		err = eng__call_record_pause(c, !strcmp(action, "recording/pause"));
	else if (!strcmp(action, "dtmf"))
		err = eng__call_dtmf(c, json_string_value(json_object_get(m->args, "digits")));
	else if (!strcmp(action, "conference"))
		err = eng__call_extra(c, ENG_X_CONF, 0, u, number, by);
	else if (!strcmp(action, "consult"))
		err = eng__call_extra(c, ENG_X_CONSULT, 0, u, number, by);
	else if (!strcmp(action, "consult/complete"))
		err = eng__consult_complete(c);
	else if (!strcmp(action, "consult/cancel"))
		err = eng__consult_cancel(c);
	else if (monitor && c->xleg && c->xkind == ENG_X_MONITOR)
		err = eng__monitor_mode(c, md); /* a change of mode */
	else if (monitor) {
		struct eng_user *sup = strmap_get2(e->usernames, t->ct->id, m->user);
		err = sup ? eng__call_extra(c, ENG_X_MONITOR, md, sup, NULL, NULL) : ENOENT;
	} else
		err = ENOSYS;
	log_info("engine", "tenant=%s call=%llu event=api_control action=%s by=%s err=%d",
		 t->ct->id, (unsigned long long)c->id, action, m->user, err);
	if (err == EALREADY || err == EINVAL || err == EBUSY) {
		api_reply_error(e->api, m->req, 409, "conflict",
				err == EALREADY ? "already so"
				: err == EBUSY	? "a third party is already on the call"
						: "not possible in the call's state");
		return;
	}
	if (err == ENOENT) {
		api_reply_error(e->api, m->req, 409, "unreachable",
				"the party cannot be reached (no registered phone, or no trunk)");
		return;
	}
	if (err) {
		api_reply_error(e->api, m->req, 500, "internal", strerror(err));
		return;
	}
	api_reply(e->api, m->req, 200, eng__call_json(c));
}

/* ---- numbers ---- */

/* The reply to a failed put of an object made through the API: EEXIST 409 `exists` (its
 * error code), EADDRINUSE 409 conflict, EBUSY 409 in_use, EINVAL 400 invalid_field, any
 * other 503 busy; the message is why, else strerror(err). */
static void put_error_reply(struct engine *e, const struct api_cmd *m, int err, const char *exists,
			    const char *why, const char *field)
{
	int st = err == EEXIST || err == EADDRINUSE || err == EBUSY ? 409
		 : err == EINVAL				    ? 400
								    : 503;

	api_reply(e->api, m->req, st,
		  json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
			    err == EEXIST	? exists
			    : err == EADDRINUSE ? "conflict"
			    : err == EBUSY	? "in_use"
			    : err == EINVAL	? "invalid_field"
						: "busy",
			    "message", why ? why : strerror(err), "field", field ? field : ""));
}

static void number_put(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	struct cfg *c = m->obj;
	const struct cfg_number *n = &c->tenants[0].numbers[0];
	bool existed = strmap_get2(e->numbers, t->ct->id, n->number) != NULL;
	const char *why = NULL, *field = NULL;
	int err;

	m->obj = NULL;
	err = eng__number_put(e, t, c, &why, &field);
	if (err) {
		cfg_free(c);
		put_error_reply(e, m, err, "conflict", why, field);
		return;
	}
	api_reply_persist(e->api, m, existed ? 200 : 201, eng__number_json(n, false), "numbers",
			  n->number, json_string_value(json_object_get(m->args, "body")));
}

/* The reply to removing an object made through the API (err from its delete: EEXIST the
 * file's, EBUSY in use with `why`, any other: not found). `object`: "queue" in the
 * messages; `objects`: the store's kind, "queues". */
static void delete_reply(struct engine *e, const struct api_cmd *m, int err, const char *why,
			 const char *object, const char *objects)
{
	char msg[96];

	if (err == EEXIST) {
		snprintf(msg, sizeof(msg),
			 "the %s is defined in the configuration file; change it there", object);
		api_reply_error(e->api, m->req, 409, "owned_by_file", msg);
	} else if (err == EBUSY) {
		api_reply_error(e->api, m->req, 409, "in_use", why);
	} else if (err) {
		snprintf(msg, sizeof(msg), "no such %s", object);
		api_reply_error(e->api, m->req, 404, "not_found", msg);
	} else {
		api_reply_persist(e->api, m, 204, NULL, objects, m->target, NULL);
	}
}

static void number_delete(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	delete_reply(e, m, eng__number_delete(e, t, m->target), NULL, "number", "numbers");
}

static void queue_put(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	struct cfg *c = m->obj;
	const char *why = NULL, *field = NULL;
	bool created = false;
	struct eng_queue *q;
	int err;

	m->obj = NULL;
	if ((err = eng__queue_put(e, t, c, &created, &why, &field))) {
		cfg_free(c);
		put_error_reply(e, m, err, "owned_by_file", why, field);
		return;
	}
	q = eng__queue(e, t, m->target);
	api_reply_persist(e->api, m, created ? 201 : 200, q ? eng__queue_json(q) : NULL, "queues",
			  m->target, json_string_value(json_object_get(m->args, "body")));
}

static void queue_delete(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	char why[128];
	int err = eng__queue_delete(e, t, m->target, why, sizeof(why));

	delete_reply(e, m, err, why, "queue", "queues");
}

static void users_list(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	json_t *items = json_array();

	for (size_t i = 0; i < t->nusers; i++)
		json_array_append_new(items, eng__user_json(t->users[i]));
	api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

static void user_get(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, m->target);

	if (!u)
		api_reply_error(e->api, m->req, 404, "not_found", "no such user");
	else
		api_reply(e->api, m->req, 200, eng__user_json(u));
}

static void user_put(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	struct cfg *c = m->obj;
	const char *why = NULL, *field = NULL;
	bool created = false;
	struct eng_user *u;
	int err;

	m->obj = NULL;
	if ((err = eng__user_put(e, t, c, &created, &why, &field))) {
		cfg_free(c);
		put_error_reply(e, m, err, "owned_by_file", why, field);
		return;
	}
	u = strmap_get2(e->usernames, t->ct->id, m->target);
	api_reply_persist(e->api, m, created ? 201 : 200, u ? eng__user_json(u) : NULL, "users",
			  m->target, json_string_value(json_object_get(m->args, "body")));
}

static void user_delete(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	char why[128];
	int err = eng__user_delete(e, t, m->target, why, sizeof(why));

	delete_reply(e, m, err, why, "user", "users");
}

static void codes(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	const char *kind = json_string_value(json_object_get(m->args, "kind"));
	struct eng_codes *l = kind ? eng__codes(t, kind) : NULL;
	const char *what = kind && !strcmp(kind, "dispositions") ? "disposition" : "reason code";
	bool created = false;
	int err;

	if (!l) {
		api_reply_error(e->api, m->req, 500, "internal", "unknown kind");
		return;
	}
	if (m->op == API_OP_CODES_LIST) {
		api_reply(e->api, m->req, 200,
			  json_pack("{s:o, s:n}", "items", eng__codes_json(l), "next"));
		return;
	}
	err = m->op == API_OP_CODE_PUT ? eng__code_put(t, l, m->target, &created)
				       : eng__code_delete(l, m->target);
	if (err == EEXIST)
		api_reply_error(e->api, m->req, 409, "owned_by_file",
				"the code is defined in the configuration file; change it there");
	else if (err == ENOENT)
		api_reply_error(e->api, m->req, 404, "not_found", "no such code");
	else if (err)
		api_reply_error(e->api, m->req, 503, "busy", strerror(err));
	if (err)
		return;
	log_info("engine", "tenant=%s event=%s_%s code=%s source=api", t->ct->id,
		 !strcmp(what, "disposition") ? "disposition" : "reason_code",
		 m->op == API_OP_CODE_PUT ? "added" : "removed", m->target);
	if (m->op == API_OP_CODE_PUT)
		api_reply_persist(e->api, m, created ? 201 : 200,
				  json_pack("{s:s, s:s}", "code", m->target, "source", "api"), kind,
				  m->target, json_string_value(json_object_get(m->args, "body")));
	else
		api_reply_persist(e->api, m, 204, NULL, kind, m->target, NULL);
}

/* ---- metrics ---- */

static void label(struct crm_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			crm_buf_putc(b, '\\');
		if (*s == '\n')
			crm_buf_puts(b, "\\n");
		else
			crm_buf_putc(b, *s);
	}
}

static void proc_figures(double *cpu_s, double *rss_bytes)
{
	FILE *f = fopen("/proc/self/stat", "r");
	unsigned long ut = 0, st = 0;
	long rss = 0;

	*cpu_s = *rss_bytes = 0;
	if (!f)
		return;
	if (fscanf(f,
		   "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d "
		   "%*d %*d %*u %*u %ld",
		   &ut, &st, &rss) == 3) {
		*cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
		*rss_bytes = (double)rss * (double)sysconf(_SC_PAGESIZE);
	}
	fclose(f);
}

/* Each queue's service-level target and the service level's parts as counters since
 * the queue was made (by its formula), so that Prometheus computes the level over any
 * window: increase(within) / increase(counted). And the agents with a registered
 * phone, per tenant. */
static void queue_sl_metrics(struct engine *e, struct crm_buf *b)
{
	static const char *const names[] = {"centrala_queue_service_level_target",
					    "centrala_queue_answered_in_target_total",
					    "centrala_queue_offered_total"};

	crm_buf_puts(b, "# HELP centrala_queue_service_level_target The queue's service-level "
			"target (0..1).\n"
			"# TYPE centrala_queue_service_level_target gauge\n"
			"# HELP centrala_queue_answered_in_target_total Contacts answered (and, by "
			"the queue's formula, abandoned) within the target time.\n"
			"# TYPE centrala_queue_answered_in_target_total counter\n"
			"# HELP centrala_queue_offered_total Contacts the queue's service level "
			"counts.\n"
			"# TYPE centrala_queue_offered_total counter\n");
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		for (size_t k = 0; t->acd && k < t->nqueues; k++) {
			struct acd_queue_stats st;
			uint64_t within, counted;
			if (acd_queue_stats(t->acd, t->queues[k]->id, clock_mono_ms(), &st))
				continue;
			acd_service_level_parts(&st.total, st.sl_formula, &within, &counted);
			for (int n = 0; n < 3; n++) {
				crm_buf_printf(b, "%s{tenant=\"", names[n]);
				label(b, t->ct->id);
				crm_buf_puts(b, "\",queue=\"");
				label(b, t->queues[k]->cq->id);
				if (n == 0)
					crm_buf_printf(b, "\"} %g\n", st.service_level_pct / 100.0);
				else
					crm_buf_printf(
					    b, "\"} %llu\n",
					    (unsigned long long)(n == 1 ? within : counted));
			}
		}
	}
	crm_buf_puts(b, "# HELP centrala_agents_registered Agents with at least one registered "
			"SIP phone.\n# TYPE centrala_agents_registered gauge\n");
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		unsigned n = 0;
		for (size_t k = 0; k < t->nusers; k++)
			n += t->users[k]->agent != ACD_NONE && t->users[k]->ncontacts > 0;
		crm_buf_puts(b, "centrala_agents_registered{tenant=\"");
		label(b, t->ct->id);
		crm_buf_printf(b, "\"} %u\n", n);
	}
}

static void metrics(struct engine *e, const struct api_cmd *m)
{
	static const char *const results[] = {"answered", "abandoned", "unanswered"};
	struct crm_buf b = {0};
	struct store_stats ss;
	struct media_stats ms;
	struct api_stats as;
	double cpu, rss;
	char *hooks;

	memset(&ss, 0, sizeof(ss));
	memset(&ms, 0, sizeof(ms));
	if (e->store)
		store_stats(e->store, &ss);
	if (e->media)
		media_stats_get(e->media, &ms);
	api_stats(e->api, &as);
	proc_figures(&cpu, &rss);
	/* Counted at the scrape, from the call table: no counter to keep right on every
	 * call's start, end and a reload's new tenants. */
	{
		size_t *per = calloc(e->ntenants ? e->ntenants : 1, sizeof(*per));
		for (size_t i = 0; per && i < e->calls_cap; i++)
			for (const struct call *c = e->calls[i]; c; c = c->hnext)
				if (c->t >= e->tenants && c->t < e->tenants + e->ntenants)
					per[c->t - e->tenants]++;
		crm_buf_puts(&b, "# HELP centrala_calls_active Calls in progress.\n"
				 "# TYPE centrala_calls_active gauge\n");
		for (size_t i = 0; i < e->ntenants; i++) {
			crm_buf_puts(&b, "centrala_calls_active{tenant=\"");
			label(&b, e->tenants[i].ct->id);
			crm_buf_printf(&b, "\"} %zu\n", per ? per[i] : 0);
		}
		free(per);
		crm_buf_puts(&b, "# HELP centrala_ws_clients Events WebSockets open.\n"
				 "# TYPE centrala_ws_clients gauge\n");
		for (size_t i = 0; i < e->ntenants; i++) {
			crm_buf_puts(&b, "centrala_ws_clients{tenant=\"");
			label(&b, e->tenants[i].ct->id);
			crm_buf_printf(&b, "\"} %u\n",
				       api_ws_clients_of(e->api, e->tenants[i].ct->id));
		}
	}
	crm_buf_puts(&b, "# HELP centrala_calls_total Calls ended, by result.\n"
			 "# TYPE centrala_calls_total counter\n");
	for (size_t i = 0; i < e->ntenants; i++)
		for (int r = 0; r < 3; r++) {
			crm_buf_puts(&b, "centrala_calls_total{tenant=\"");
			label(&b, e->tenants[i].ct->id);
			crm_buf_printf(&b, "\",result=\"%s\"} %llu\n", results[r],
				       (unsigned long long)e->tenants[i].calls_result[r]);
		}
	crm_buf_puts(&b, "# HELP centrala_queue_waiting Contacts waiting in a queue.\n"
			 "# TYPE centrala_queue_waiting gauge\n"
			 "# HELP centrala_queue_longest_wait_seconds The longest wait now.\n"
			 "# TYPE centrala_queue_longest_wait_seconds gauge\n"
			 "# HELP centrala_service_level Today's service level (0..1).\n"
			 "# TYPE centrala_service_level gauge\n");
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		for (size_t k = 0; t->acd && k < t->nqueues; k++) {
			struct acd_queue_stats st;
			if (acd_queue_stats(t->acd, t->queues[k]->id, clock_mono_ms(), &st))
				continue;
			static const char *const names[] = {"centrala_queue_waiting",
							    "centrala_queue_longest_wait_seconds",
							    "centrala_service_level"};
			double v[3] = {st.waiting, (double)st.longest_wait_ms / 1000.0,
				       or_null(st.service_level)};
			for (int n = 0; n < 3; n++) {
				crm_buf_printf(&b, "%s{tenant=\"", names[n]);
				label(&b, t->ct->id);
				crm_buf_puts(&b, "\",queue=\"");
				label(&b, t->queues[k]->cq->id);
				crm_buf_printf(&b, "\"} %g\n", v[n]);
			}
		}
	}
	queue_sl_metrics(e, &b);
	crm_buf_puts(&b, "# HELP centrala_agents Agents by state.\n# TYPE centrala_agents gauge\n");
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		unsigned by[ACD_STATE_COUNT] = {0};
		for (size_t k = 0; k < t->nusers; k++) {
			struct acd_agent_info ai;
			if (t->users[k]->agent != ACD_NONE && t->acd &&
			    !acd_agent_info(t->acd, t->users[k]->agent, &ai))
				by[ai.state]++;
		}
		for (int s = 0; s < ACD_STATE_COUNT; s++) {
			crm_buf_puts(&b, "centrala_agents{tenant=\"");
			label(&b, t->ct->id);
			crm_buf_printf(&b, "\",state=\"%s\"} %u\n",
				       acd_state_name((enum acd_state)s), by[s]);
		}
	}
	crm_buf_puts(&b, "# HELP centrala_callers_remembered Caller numbers whose last agent is "
			 "kept for sticky queues.\n"
			 "# TYPE centrala_callers_remembered gauge\n");
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		crm_buf_puts(&b, "centrala_callers_remembered{tenant=\"");
		label(&b, t->ct->id);
		crm_buf_printf(&b, "\"} %zu\n", t->last_agent ? strmap_count(t->last_agent) : 0);
	}
	crm_buf_printf(
	    &b,
	    /* Process-wide by nature: the media workers count packets per socket and never
	     * know a call's tenant (docs/api.md, Metrics). */
	    "# HELP centrala_rtp_packets_total RTP packets of all tenants' calls.\n"
	    "# TYPE centrala_rtp_packets_total counter\n"
	    "centrala_rtp_packets_total{direction=\"in\"} %llu\n"
	    "centrala_rtp_packets_total{direction=\"out\"} %llu\n"
	    "# TYPE centrala_rtp_lost_total counter\ncentrala_rtp_lost_total %llu\n"
	    "# TYPE centrala_recordings_open gauge\ncentrala_recordings_open %llu\n"
	    "# TYPE centrala_store_backlog gauge\ncentrala_store_backlog %llu\n"
	    "# TYPE centrala_store_spool_backlog gauge\ncentrala_store_spool_backlog %llu\n"
	    "# TYPE centrala_store_up gauge\ncentrala_store_up %d\n"
	    "# TYPE centrala_store_failed_total counter\ncentrala_store_failed_total %llu\n"
	    "# HELP centrala_store_records_total Records (calls, agent states, ...) committed.\n"
	    "# TYPE centrala_store_records_total counter\ncentrala_store_records_total %llu\n"
	    "# HELP centrala_store_transactions_total Transactions the store writer committed.\n"
	    "# TYPE centrala_store_transactions_total counter\n"
	    "centrala_store_transactions_total %llu\n"
	    "# TYPE centrala_api_sessions gauge\ncentrala_api_sessions %u\n"
	    "# TYPE centrala_api_requests_total counter\ncentrala_api_requests_total %llu\n"
	    "# TYPE centrala_events_total counter\ncentrala_events_total %llu\n"
	    "# TYPE centrala_events_dropped_total counter\ncentrala_events_dropped_total %llu\n"
	    "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n"
	    "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %.0f\n",
	    (unsigned long long)ms.packets_in, (unsigned long long)ms.packets_out,
	    (unsigned long long)ms.late_or_lost, (unsigned long long)ms.recordings,
	    (unsigned long long)ss.queue_len, (unsigned long long)ss.spool_backlog, ss.db_up,
	    (unsigned long long)ss.failed, (unsigned long long)ss.committed,
	    (unsigned long long)ss.batches, as.sessions, (unsigned long long)as.requests,
	    (unsigned long long)as.events,
	    (unsigned long long)(as.events_dropped + as.ws_dropped_slow), cpu, rss);
	crm_buf_printf(
	    &b,
	    "# TYPE centrala_srtp_packets_total counter\n"
	    "centrala_srtp_packets_total{direction=\"in\"} %llu\n"
	    "centrala_srtp_packets_total{direction=\"out\"} %llu\n"
	    "# TYPE centrala_srtp_failures_total counter\ncentrala_srtp_failures_total %llu\n",
	    (unsigned long long)ms.srtp_in, (unsigned long long)ms.srtp_out,
	    (unsigned long long)ms.srtp_failed);
	{
		char media_text[4096]; /* the ICE, DTLS, SRTP and RTCP counters (media.h) */
		size_t n = media_stats_prometheus(&ms, media_text, sizeof(media_text));

		crm_buf_printf(&b, "%.*s", (int)n, media_text);
	}
	crm_buf_puts(&b, "# HELP centrala_browser_phones Browser phones with their media up.\n"
			 "# TYPE centrala_browser_phones gauge\n");
	for (size_t i = 0; i < e->ntenants; i++) {
		crm_buf_puts(&b, "centrala_browser_phones{tenant=\"");
		label(&b, e->tenants[i].ct->id);
		crm_buf_printf(&b, "\"} %u\n", eng__phones_count(e, &e->tenants[i]));
	}
	hooks = api_webhook_metrics(e->api);
	crm_buf_puts(&b, hooks ? hooks : "");
	free(hooks);
	if (b.err || !hooks) {
		crm_buf_free(&b);
		api_reply_error(e->api, m->req, 500, "internal", "out of memory");
		return;
	}
	api_reply_text(e->api, m->req, 200, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len);
	crm_buf_free(&b);
}

/* ---- dispatch ---- */

void eng__cti_command(struct engine *e, struct api_cmd *m)
{
	struct eng_tenant *t =
	    m->op == API_OP_METRICS || m->op == API_OP_RELOAD || m->op == API_OP_FLOWS_READY
		? NULL
		: tenant_of(e, m->tenant);

	if (m->op == API_OP_METRICS) {
		metrics(e, m);
		goto out;
	}
	if (m->op == API_OP_RELOAD) {
		eng__reload_apply(e, m->obj);
		m->obj = NULL;
		goto out;
	}
	if (m->op == API_OP_FLOWS_READY) {
		eng__gens_ready(e);
		goto out;
	}
	if (!t) {
		api_reply_error(e->api, m->req, 404, "not_found", "no such tenant");
		goto out;
	}
	switch (m->op) {
	case API_OP_AGENT_GET:
		agent_get(e, t, m);
		break;
	case API_OP_AGENT_STATE:
		agent_state(e, t, m);
		break;
	case API_OP_AGENT_WRAPUP_END:
		wrapup_end(e, t, m);
		break;
	case API_OP_AGENTS_LIST:
		agents_list(e, t, m);
		break;
	case API_OP_DIRECTORY:
		directory(e, t, m);
		break;
	case API_OP_QUEUES_LIST:
		queues_list(e, t, m);
		break;
	case API_OP_QUEUE_GET:
		queue_get(e, t, m);
		break;
	case API_OP_CALLS_LIST:
		calls_list(e, t, m);
		break;
	case API_OP_DISPOSITION:
		disposition(e, t, m);
		break;
	case API_OP_CALL_HANGUP:
		hangup(e, t, m);
		break;
	case API_OP_CALL_DIAL:
		dial(e, t, m);
		break;
	case API_OP_CALL_TRANSFER:
		transfer(e, t, m);
		break;
	case API_OP_CALL_CONTROL:
		control(e, t, m);
		break;
	case API_OP_AGENT_QUEUES:
		agent_queues(e, t, m);
		break;
	case API_OP_NUMBERS_LIST:
		api_reply(e->api, m->req, 200,
			  json_pack("{s:o, s:n}", "items", eng__numbers_json(e, t), "next"));
		break;
	case API_OP_NUMBER_PUT:
		number_put(e, t, m);
		break;
	case API_OP_NUMBER_DELETE:
		number_delete(e, t, m);
		break;
	case API_OP_QUEUE_PUT:
		queue_put(e, t, m);
		break;
	case API_OP_QUEUE_DELETE:
		queue_delete(e, t, m);
		break;
	case API_OP_USERS_LIST:
		users_list(e, t, m);
		break;
	case API_OP_USER_GET:
		user_get(e, t, m);
		break;
	case API_OP_USER_PUT:
		user_put(e, t, m);
		break;
	case API_OP_USER_DELETE:
		user_delete(e, t, m);
		break;
	case API_OP_CODES_LIST:
	case API_OP_CODE_PUT:
	case API_OP_CODE_DELETE:
		codes(e, t, m);
		break;
	case API_OP_CAMPAIGNS_LIST:
	case API_OP_CAMPAIGN_GET:
	case API_OP_CAMPAIGN_CONTROL:
	case API_OP_CAMPAIGN_PREVIEW:
	case API_OP_CAMPAIGN_CALLBACK:
		eng__camp_command(e, t, m);
		break;
	case API_OP_WEB_CALLBACK:
		eng__webcb_command(e, t, m);
		break;
	case API_OP_PHONE:
		eng__phone_command(e, t, m);
		break;
	case API_OP_CAMPAIGN_PUT:
	case API_OP_CAMPAIGN_DELETE:
	case API_OP_LEADS_ADDED:
		eng__camp_live_command(e, t, m);
		break;
	default:
		if (!eng__trunks_command(e, t, m) && !eng__live_command(e, t, m) &&
		    !eng__sms_command(e, t, m) && !eng__chat_command(e, t, m) &&
		    !eng__mail_command(e, t, m))
			api_reply_error(e->api, m->req, 501, "not_implemented", "unknown command");
		break;
	}
out:
	json_decref(m->args);
	m->args = NULL;
	cfg_free(m->obj);
	m->obj = NULL;
}
