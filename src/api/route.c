/*
 * Routes: one table of method, path pattern, the roles allowed, and the handler. A
 * pattern's `*` matches one path segment, handed to the handler as its target. Every
 * route but login, health, metrics and the OpenAPI document needs a token; the token's
 * tenant scopes everything the handler does, so an object of another tenant is simply
 * not found (404, never 403: ids do not leak).
 */
#include "api/api_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"

#define ANY  (API_ROLE_AGENT | API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA)
#define SUP  (API_ROLE_SUPERVISOR | API_ROLE_ADMIN)
#define HIST (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA)

typedef void(route_h)(struct api_conn *conn, struct api_session *s, const char *target);

struct route {
	enum api_method method;
	const char *pattern;
	uint32_t roles; /* 0: no token needed */
	route_h *h;
};

/* ---- small handlers on the service thread ---- */

static void h_health(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__respond(conn, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_openapi(struct api_conn *conn, struct api_session *s, const char *target)
{
	size_t len;
	const char *doc = api__openapi(&len);

	api__respond_text(conn, 200, "application/json", doc, len);
}

static void h_login(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"tenant", "username", "password", NULL};
	struct api_job j;
	json_t *b = api__body(conn);
	const char *t, *u, *p;

	if (!b)
		return;
	/* Without a tenant: an operator of the service (the file's `operators`). */
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "tenant", false, &t) ||
	    !api__str(conn, b, "username", true, &u) || !api__str(conn, b, "password", true, &p)) {
		json_decref(b);
		return;
	}
	if (api__login_blocked(conn->a, conn->peer, t ? t : "*", u)) {
		json_decref(b);
		api__respond_error(conn, 429, "blocked", "too many failed logins; try again later",
				   NULL);
		return;
	}
	memset(&j, 0, sizeof(j));
	j.kind = JOB_LOGIN;
	j.args = b;
	api__job(conn, &j);
}

static void h_logout(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__session_drop(conn->a, s);
	api__respond(conn, 204, NULL);
}

json_t *api__roles_json(uint32_t roles)
{
	static const char *const names[] = {"agent", "supervisor", "admin", "qa", "operator"};
	json_t *a = json_array();

	for (int i = 0; i < 5; i++)
		if (roles & (1u << i))
			json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *str_array(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The session, and what a client needs to show the tenant's lists and times: the tenant's
 * time zone and language, the user's own name and language, the reason codes and the
 * dispositions (empty when the tenant keeps no list), and the chats' canned answers. */
static void h_me(struct api_conn *conn, struct api_session *s, const char *target)
{
	const struct cfg_tenant *t = cfg_tenant_find(conn->a->c.cfg, s->tenant);
	const struct cfg_user *u = t ? cfg_user_find(t, s->user) : NULL;

	api__respond(
	    conn, 200,
	    json_pack(
		"{s:s, s:s, s:o, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o}", "tenant", s->tenant,
		"username", s->user, "roles", api__roles_json(s->roles), "name", u ? u->name : NULL,
		"language", u ? u->language : NULL, "tenant_timezone", t ? t->timezone : NULL,
		"tenant_language", t ? t->language : NULL, "reason_codes",
		t ? str_array(t->reason_codes, t->nreason_codes) : json_array(), "dispositions",
		t ? str_array(t->dispositions, t->ndispositions) : json_array(), "chat_canned",
		t ? str_array(t->chat.canned, t->chat.ncanned) : json_array()));
}

/* GET /api/v1/tenants: the operator's choice. */
static void h_tenants(struct api_conn *conn, struct api_session *s, const char *target)
{
	const struct cfg *cfg = API_CFG(conn->a);
	json_t *items = json_array();

	for (size_t i = 0; i < cfg->ntenants; i++) {
		const struct cfg_tenant *t = &cfg->tenants[i];
		json_array_append_new(items, json_pack("{s:s, s:s, s:s}", "id", t->id, "name",
						       t->name ? t->name : t->id, "domain",
						       t->domain ? t->domain : t->id));
	}
	api__respond(conn, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* ---- the engine's live state and commands ---- */

static void h_metrics(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const struct api_session nobody = {.tenant = "", .user = "", .roles = 0};

	api__engine(conn, &nobody, API_OP_METRICS, NULL, NULL);
}

static void h_agent_me(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_AGENT_GET, s->user, NULL);
}

/* Non-secret values the audit log shows beside the field names. */
static const char *const audit_shown[] = {"state", "reason", "member", "queue", "mode",	 "user",
					  "flow",  "code",   "action", "list",	"agent", NULL};

static void state_cmd(struct api_conn *conn, struct api_session *s, const char *who, bool forced)
{
	static const char *const fields[] = {"state", "reason", NULL};
	static const char *const states[] = {"ready", "not_ready", "logged_out", NULL};
	const char *st, *reason;
	json_t *b = api__body(conn);
	size_t i;

	if (!b)
		return;
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "state", true, &st) ||
	    !api__str(conn, b, "reason", false, &reason)) {
		json_decref(b);
		return;
	}
	for (i = 0; states[i] && strcmp(states[i], st); i++)
		;
	if (!states[i]) {
		json_decref(b);
		api__respond_error(conn, 400, "invalid_field",
				   "state must be ready, not_ready or logged_out", "state");
		return;
	}
	if (reason && strcmp(st, "not_ready")) {
		json_decref(b);
		api__respond_error(conn, 400, "invalid_field", "a reason goes only with not_ready",
				   "reason");
		return;
	}
	if (forced) {
		/* Another's state (a supervisor's force): audited. */
		char detail[256];
		api__audit_detail(b, audit_shown, detail, sizeof(detail));
		api__engine_audit(conn, s, API_OP_AGENT_STATE, who, b, "agent", who, "state",
				  detail);
	} else {
		api__engine(conn, s, API_OP_AGENT_STATE, who, b);
	}
}

static void h_my_state(struct api_conn *conn, struct api_session *s, const char *target)
{
	state_cmd(conn, s, s->user, false);
}

static void h_agent_state(struct api_conn *conn, struct api_session *s, const char *target)
{
	state_cmd(conn, s, target, true);
}

static void h_wrapup_end(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_AGENT_WRAPUP_END, s->user, NULL);
}

/* POST /agents/me/phone {action}: the browser phone's call controls from REST (the
 * offer itself comes over the events socket, where the answer goes). */
static void h_my_phone(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"action", NULL};
	static const char *const actions[] = {"accept", "reject", "hangup", "hold", "resume", NULL};
	const char *action;
	json_t *b = api__body(conn);
	size_t i;

	if (!b)
		return;
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "action", true, &action)) {
		json_decref(b);
		return;
	}
	for (i = 0; actions[i] && strcmp(actions[i], action); i++)
		;
	if (!actions[i]) {
		json_decref(b);
		api__respond_error(conn, 400, "invalid_field",
				   "action must be accept, reject, hangup, hold or resume",
				   "action");
		return;
	}
	api__engine(conn, s, API_OP_PHONE, "", b);
}

static void h_my_queues(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_AGENT_QUEUES, s->user, NULL);
}

/* PUT /agents/me/queues/{queue} {member: true|false}: log into or out of a queue. */
static void h_my_queue(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"member", NULL};
	json_t *b = api__body(conn);

	if (!b)
		return;
	if (!api__fields(conn, b, fields))
		goto bad;
	if (!json_is_boolean(json_object_get(b, "member"))) {
		api__respond_error(conn, 400, "invalid_field", "member must be true or false",
				   "member");
		goto bad;
	}
	json_object_set_new(b, "queue", json_string(target));
	{
		char detail[256];
		api__audit_detail(b, audit_shown, detail, sizeof(detail));
		api__engine_audit(conn, s, API_OP_AGENT_QUEUES, s->user, b, "agent", s->user,
				  "queue", detail);
	}
	return;
bad:
	json_decref(b);
}

static void h_agents(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_AGENTS_LIST, NULL, NULL);
}

static void h_directory(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_DIRECTORY, NULL, NULL);
}

static void h_queues(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_QUEUES_LIST, NULL, NULL);
}

static void h_queue(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_QUEUE_GET, target, NULL);
}

static void h_campaigns(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_CAMPAIGNS_LIST, NULL, NULL);
}

static void h_campaign(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_CAMPAIGN_GET, target, NULL);
}

static void campaign_control(struct api_conn *conn, struct api_session *s, const char *target,
			     const char *action)
{
	api__engine_audit(conn, s, API_OP_CAMPAIGN_CONTROL, target,
			  json_pack("{s:s}", "action", action), "campaign", target, action, NULL);
}

static void h_campaign_start(struct api_conn *conn, struct api_session *s, const char *target)
{
	campaign_control(conn, s, target, "start");
}

static void h_campaign_pause(struct api_conn *conn, struct api_session *s, const char *target)
{
	campaign_control(conn, s, target, "pause");
}

static void h_campaign_stop(struct api_conn *conn, struct api_session *s, const char *target)
{
	campaign_control(conn, s, target, "stop");
}

static void preview(struct api_conn *conn, struct api_session *s, const char *target,
		    const char *action)
{
	json_t *args = json_pack("{s:s}", "action", action);

	/* Dialling or skipping the lead shown is audited; asking for it is not. */
	if (!strcmp(action, "next"))
		api__engine(conn, s, API_OP_CAMPAIGN_PREVIEW, target, args);
	else
		api__engine_audit(conn, s, API_OP_CAMPAIGN_PREVIEW, target, args, "campaign",
				  target, !strcmp(action, "dial") ? "preview/dial" : "preview/skip",
				  NULL);
}

static void h_preview_next(struct api_conn *conn, struct api_session *s, const char *target)
{
	preview(conn, s, target, "next");
}

static void h_preview_dial(struct api_conn *conn, struct api_session *s, const char *target)
{
	preview(conn, s, target, "dial");
}

static void h_preview_skip(struct api_conn *conn, struct api_session *s, const char *target)
{
	preview(conn, s, target, "skip");
}

/* POST /campaigns/{id}/callbacks {list, lead, at, agent?}: checked for shape here, the
 * rest by the engine (engine/campaign_callback.c). */
static void h_campaign_callback(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"list", "lead", "at", "agent", NULL};
	json_t *b = api__body(conn);

	if (!b)
		return;
	if (!api__fields(conn, b, fields)) {
		json_decref(b);
		return;
	}
	if (!json_is_string(json_object_get(b, "list")) ||
	    !json_is_integer(json_object_get(b, "lead")) ||
	    !json_is_string(json_object_get(b, "at")) ||
	    (json_object_get(b, "agent") && !json_is_string(json_object_get(b, "agent")) &&
	     !json_is_null(json_object_get(b, "agent")))) {
		json_decref(b);
		api__respond_error(
		    conn, 400, "invalid_field",
		    "list (string), lead (the lead's id) and at (a time) are required; "
		    "agent is a username or null",
		    NULL);
		return;
	}
	{
		char detail[256];
		api__audit_detail(b, audit_shown, detail, sizeof(detail));
		api__engine_audit(conn, s, API_OP_CAMPAIGN_CALLBACK, target, b, "campaign", target,
				  "callback", detail);
	}
}

static void h_calls(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_CALLS_LIST, NULL, NULL);
}

static void h_hangup(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine_audit(conn, s, API_OP_CALL_HANGUP, target, NULL, "call", target, "hangup",
			  NULL);
}

/* A number to dial: digits with an optional leading +, at most 32. */
static bool dialable(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (i == 0 && s[i] == '+')))
			return false;
	return n > (s[0] == '+');
}

/* Checks that body b names exactly one of `fields` (strings), a `number` being
 * dialable; responds 400 naming what is wrong and returns false otherwise. */
static bool one_target(struct api_conn *conn, json_t *b, const char *const *fields)
{
	const char *v, *number = NULL;
	char msg[128];
	int n = 0;

	if (!api__fields(conn, b, fields))
		return false;
	for (size_t i = 0; fields[i]; i++) {
		if (!api__str(conn, b, fields[i], false, &v))
			return false;
		n += v != NULL;
		if (v && !strcmp(fields[i], "number"))
			number = v;
	}
	if (n != 1) {
		size_t off = (size_t)snprintf(msg, sizeof(msg), "give exactly one of:");
		for (size_t i = 0; fields[i] && off < sizeof(msg); i++)
			off += (size_t)snprintf(msg + off, sizeof(msg) - off, "%s %s", i ? "," : "",
						fields[i]);
		api__respond_error(conn, 400, "invalid_field", msg, fields[1] ? NULL : fields[0]);
		return false;
	}
	if (number && !dialable(number)) {
		api__respond_error(conn, 400, "invalid_field",
				   "number must be digits with an optional leading +", "number");
		return false;
	}
	return true;
}

static void h_dial(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"number", NULL};
	json_t *b = api__body(conn);
	char detail[256];

	if (b && one_target(conn, b, fields)) {
		/* The call's interaction is known once made: the answer's. */
		api__audit_detail(b, audit_shown, detail, sizeof(detail));
		api__engine_audit(conn, s, API_OP_CALL_DIAL, NULL, b, "call", NULL, "dial", detail);
	} else
		json_decref(b);
}

static void h_transfer(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"user", "queue", "flow", "number", NULL};
	json_t *b = api__body(conn);
	char detail[256];

	if (b && one_target(conn, b, fields)) {
		api__audit_detail(b, audit_shown, detail, sizeof(detail));
		api__engine_audit(conn, s, API_OP_CALL_TRANSFER, target, b, "call", target,
				  "transfer", detail);
	} else
		json_decref(b);
}

/* Call control: the action is the path after /calls/{id}/. */
static void h_control(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const with_party[] = {"user", "number", NULL};
	static const char *const with_digits[] = {"digits", NULL};
	static const char *const with_mode[] = {"mode", NULL};
	static const char *const nothing[] = {NULL};
	const char *action = conn->path + strlen("/api/v1/calls/") + strlen(target) + 1;
	const char *const *fields = nothing;
	const char *v;
	json_t *b;

	if (!strcmp(action, "conference") || !strcmp(action, "consult"))
		fields = with_party;
	else if (!strcmp(action, "dtmf"))
		fields = with_digits;
	else if (!strcmp(action, "monitor"))
		fields = with_mode;
	b = conn->body_len || fields != nothing ? api__body(conn) : json_object();
	if (!b)
		return;
	if (!api__fields(conn, b, fields))
		goto bad;
	if (fields == with_party) {
		const char *u, *n;
		if (!api__str(conn, b, "user", false, &u) ||
		    !api__str(conn, b, "number", false, &n))
			goto bad;
		if (!u == !n || (n && !dialable(n))) {
			api__respond_error(conn, 400, "invalid_field",
					   "give a user or a number (digits, optional leading +)",
					   NULL);
			goto bad;
		}
	} else if (fields == with_digits) {
		if (!api__str(conn, b, "digits", true, &v))
			goto bad;
		if (strlen(v) > 32 || strspn(v, "0123456789*#ABCD") != strlen(v)) {
			api__respond_error(conn, 400, "invalid_field",
					   "digits are 0-9, *, #, A-D, at most 32", "digits");
			goto bad;
		}
	} else if (fields == with_mode) {
		if (!api__str(conn, b, "mode", true, &v))
			goto bad;
		if (strcmp(v, "listen") && strcmp(v, "whisper") && strcmp(v, "barge")) {
			api__respond_error(conn, 400, "invalid_field",
					   "mode is listen, whisper or barge", "mode");
			goto bad;
		}
	}
	{
		/* Field names and the mode; never the digits (a card number, a PIN). */
		char detail[256];
		api__audit_detail(b, audit_shown, detail, sizeof(detail));
		json_object_set_new(b, "action", json_string(action));
		api__engine_audit(conn, s, API_OP_CALL_CONTROL, target, b, "call", target, action,
				  detail);
	}
	return;
bad:
	json_decref(b);
}

/* Parses and checks a disposition body; NULL after responding 400. */
static json_t *disposition_body(struct api_conn *conn)
{
	static const char *const fields[] = {"code", "notes", "callback", NULL};
	const char *code, *notes;
	json_t *b = api__body(conn), *cb;

	if (!b)
		return NULL;
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "code", true, &code) ||
	    !api__str(conn, b, "notes", false, &notes)) {
		json_decref(b);
		return NULL;
	}
	/* callback: {at, agent?} as POST /campaigns/{id}/callbacks takes them; the engine
	 * reads the time in the lead's zone. */
	if ((cb = json_object_get(b, "callback"))) {
		json_t *at = json_object_get(cb, "at"), *agent = json_object_get(cb, "agent");
		const char *k;
		json_t *v;
		bool ok = json_is_object(cb) && json_is_string(at) &&
			  (!agent || json_is_string(agent) || json_is_null(agent));
		if (ok)
			json_object_foreach(cb, k, v)
			{
				(void)v;
				ok = ok && (!strcmp(k, "at") || !strcmp(k, "agent"));
			}
		if (!ok) {
			json_decref(b);
			api__respond_error(
			    conn, 400, "invalid_field",
			    "callback: {at, agent?}: at a time such as "
			    "2026-12-05T14:30 (the lead's zone) or 2026-12-05T13:30:00Z, "
			    "agent a username (omitted: the campaign)",
			    "callback");
			return NULL;
		}
		if (json_is_null(agent))
			json_object_del(cb, "agent");
	}
	if (strlen(code) > 31) {
		json_decref(b);
		api__respond_error(conn, 400, "invalid_field", "code is at most 31 bytes", "code");
		return NULL;
	}
	/* Whether the tenant has the code is the engine's to say (the file's and the
	 * API's dispositions). */
	return b;
}

static void h_disposition(struct api_conn *conn, struct api_session *s, const char *target)
{
	json_t *b = disposition_body(conn);

	/* On a call in progress the engine sets it (audited here); on one it no longer
	 * holds the store does (audited by the worker, api__disposition_stored). */
	if (b)
		api__engine_audit(conn, s, API_OP_DISPOSITION, target, b, "interaction", target,
				  "update", "disposition,notes");
}

void api__disposition_stored(struct api_conn *conn)
{
	struct api_job j;
	const char *id = strrchr(conn->path, '/'), *start;
	char target[64];
	json_t *b;

	/* /api/v1/interactions/{id}/disposition: the id is the segment before the last. */
	if (!id || !(b = disposition_body(conn)))
		return;
	for (start = id - 1; start > conn->path && *start != '/'; start--)
		;
	snprintf(target, sizeof(target), "%.*s", (int)(id - start - 1), start + 1);
	api__job_init(&j, conn, JOB_DISPOSITION, target, b);
	api__job(conn, &j);
}

/* ---- numbers ---- */

static void h_numbers(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_NUMBERS_LIST, NULL, NULL);
}

/* ---- history, on the workers ---- */

/* ?since= and ?until=: ISO 8601; false after responding 400. */
static bool time_arg(struct api_conn *conn, const char *name, json_t *args)
{
	char buf[64];
	int64_t ms;

	if (!api__query(conn, name, buf, sizeof(buf)))
		return true;
	if (clock_parse_iso8601(buf, &ms)) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s must be an ISO 8601 time", name);
		api__respond_error(conn, 400, "invalid_parameter", msg, name);
		return false;
	}
	json_object_set_new(args, name, json_integer(ms));
	return true;
}

static void h_interactions(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const strs[] = {"queue",	  "agent",  "channel", "direction",
					   "disposition", "number", "contact", NULL};
	static const char *const known[] = {
	    "queue", "agent", "channel",   "direction", "disposition", "number", "contact",
	    "since", "until", "abandoned", "limit",	"cursor",      "token",	 NULL};
	struct api_job j;
	json_t *args = json_object();
	char buf[256];
	long limit = 50;

	/* Unknown parameters are refused like unknown fields. */
	for (const char *p = conn->query; *p;) {
		const char *eq = strchr(p, '='), *amp = strchr(p, '&');
		size_t n = eq && (!amp || eq < amp) ? (size_t)(eq - p)
			   : amp		    ? (size_t)(amp - p)
						    : strlen(p);
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = strlen(known[i]) == n && !strncmp(known[i], p, n);
		if (!ok) {
			snprintf(buf, sizeof(buf), "unknown parameter \"%.*s\"",
				 (int)(n > 64 ? 64 : n), p);
			json_decref(args);
			api__respond_error(conn, 400, "unknown_parameter", buf, NULL);
			return;
		}
		p = amp ? amp + 1 : p + strlen(p);
	}
	for (size_t i = 0; strs[i]; i++)
		if (api__query(conn, strs[i], buf, sizeof(buf)))
			json_object_set_new(args, strs[i], json_string(buf));
	if (!time_arg(conn, "since", args) || !time_arg(conn, "until", args)) {
		json_decref(args);
		return;
	}
	if (api__query(conn, "abandoned", buf, sizeof(buf))) {
		if (strcmp(buf, "true") && strcmp(buf, "false")) {
			json_decref(args);
			api__respond_error(conn, 400, "invalid_parameter",
					   "abandoned must be true or false", "abandoned");
			return;
		}
		json_object_set_new(args, "abandoned", json_boolean(!strcmp(buf, "true")));
	}
	if (api__query(conn, "limit", buf, sizeof(buf))) {
		char *end;
		limit = strtol(buf, &end, 10);
		if (*end || limit < 1 || limit > 500) {
			json_decref(args);
			api__respond_error(conn, 400, "invalid_parameter", "limit must be 1 to 500",
					   "limit");
			return;
		}
	}
	json_object_set_new(args, "limit", json_integer(limit));
	if (api__query(conn, "cursor", buf, sizeof(buf))) {
		unsigned char raw[128];
		size_t n = 0;
		char *dot;
		if (sodium_base642bin(raw, sizeof(raw) - 1, buf, strlen(buf), NULL, &n, NULL,
				      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
		    (raw[n] = '\0', !(dot = strchr((char *)raw, '.')))) {
			json_decref(args);
			api__respond_error(conn, 400, "invalid_parameter", "bad cursor", "cursor");
			return;
		}
		*dot = '\0';
		json_object_set_new(args, "after_ms", json_integer(strtoll((char *)raw, NULL, 10)));
		json_object_set_new(args, "after_id", json_string(dot + 1));
	}
	/* An agent sees its own interactions only. */
	if (!(s->roles & HIST))
		json_object_set_new(args, "agent", json_string(s->user));
	api__job_init(&j, conn, JOB_INTERACTIONS, NULL, args);
	api__job(conn, &j);
}

static void h_interaction(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;

	api__job_init(&j, conn, JOB_INTERACTION, target, NULL);
	api__job(conn, &j);
}

/* PUT and DELETE /api/v1/interactions/{id}/hold: legal hold (retention never deletes
 * the interaction's recording or bodies while it is set). */
static void hold(struct api_conn *conn, const char *target, bool on)
{
	struct api_job j;

	api__job_init(&j, conn, JOB_HOLD, target, json_pack("{s:b}", "hold", on));
	api__job(conn, &j);
}

static void h_hold_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	(void)s;
	hold(conn, target, true);
}

static void h_hold_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	(void)s;
	hold(conn, target, false);
}

static void h_agent_states(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	json_t *args = json_object();

	const struct cfg_tenant *ct = cfg_tenant_find(API_CFG(conn->a), s->tenant);

	if ((!(s->roles & SUP) && strcmp(target, s->user)) || !ct) {
		json_decref(args);
		api__respond_error(conn, 404, "not_found", "no such agent", NULL);
		return;
	}
	if (!time_arg(conn, "since", args) || !time_arg(conn, "until", args)) {
		json_decref(args);
		return;
	}
	json_object_set_new(args, "agent", json_string(target));
	/* A user the file does not list may be one the API made: the worker asks the store. */
	if (!cfg_user_find(ct, target))
		json_object_set_new(args, "api_user", json_true());
	api__job_init(&j, conn, JOB_AGENT_STATES, target, args);
	api__job(conn, &j);
}

static void h_audit(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	json_t *args = json_object();

	char buf[64];
	long limit = 100;

	if (!time_arg(conn, "since", args)) {
		json_decref(args);
		return;
	}
	if (api__query(conn, "limit", buf, sizeof(buf))) {
		char *end;
		limit = strtol(buf, &end, 10);
		if (*end || limit < 1 || limit > 1000) {
			json_decref(args);
			api__respond_error(conn, 400, "invalid_parameter",
					   "limit must be 1 to 1000", "limit");
			return;
		}
	}
	json_object_set_new(args, "limit", json_integer(limit));
	/* The cursor is the last entry's id of the page before: sortable, letters and digits. */
	if (api__query(conn, "cursor", buf, sizeof(buf))) {
		if (!*buf ||
		    strspn(buf, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") !=
			strlen(buf)) {
			json_decref(args);
			api__respond_error(conn, 400, "invalid_parameter", "bad cursor", "cursor");
			return;
		}
		json_object_set_new(args, "cursor", json_string(buf));
	}
	api__job_init(&j, conn, JOB_AUDIT, NULL, args);
	api__job(conn, &j);
}

static const struct route routes[] = {
    {M_GET, "/healthz", 0, h_health},
    {M_GET, "/metrics", 0, h_metrics},
    {M_GET, "/api/v1/openapi.json", 0, h_openapi},
    {M_POST, "/api/v1/login", 0, h_login},
    {M_POST, "/api/v1/public/callbacks", 0, api__h_public_callback},
    {M_POST, "/api/v1/public/sms/*/*", 0, api__h_public_sms},
    {M_POST, "/api/v1/logout", ANY, h_logout},
    {M_GET, "/api/v1/me", ANY, h_me},
    {M_GET, "/api/v1/tenants", API_ROLE_OPERATOR, h_tenants},
    {M_GET, "/api/v1/agents/me", API_ROLE_AGENT | SUP, h_agent_me},
    {M_PUT, "/api/v1/agents/me/state", API_ROLE_AGENT | SUP, h_my_state},
    {M_POST, "/api/v1/agents/me/wrapup/end", API_ROLE_AGENT | SUP, h_wrapup_end},
    {M_POST, "/api/v1/agents/me/phone", API_ROLE_AGENT | SUP, h_my_phone},
    {M_GET, "/api/v1/agents/me/queues", API_ROLE_AGENT | SUP, h_my_queues},
    {M_PUT, "/api/v1/agents/me/queues/*", API_ROLE_AGENT | SUP, h_my_queue},
    {M_GET, "/api/v1/agents", SUP, h_agents},
    {M_GET, "/api/v1/directory", API_ROLE_AGENT | SUP, h_directory},
    {M_PUT, "/api/v1/agents/*/state", SUP, h_agent_state},
    {M_GET, "/api/v1/agents/*/states", ANY, h_agent_states},
    {M_GET, "/api/v1/queues", API_ROLE_AGENT | SUP, h_queues},
    {M_GET, "/api/v1/queues/*", API_ROLE_AGENT | SUP, h_queue},
    {M_POST, "/api/v1/queues", API_ROLE_ADMIN, api__h_queue_create},
    {M_PUT, "/api/v1/queues/*", API_ROLE_ADMIN, api__h_queue_put},
    {M_DELETE, "/api/v1/queues/*", API_ROLE_ADMIN, api__h_queue_delete},
    {M_GET, "/api/v1/calls", SUP, h_calls},
    {M_POST, "/api/v1/calls", API_ROLE_AGENT | SUP, h_dial},
    {M_POST, "/api/v1/calls/*/hangup", API_ROLE_AGENT | SUP, h_hangup},
    {M_POST, "/api/v1/calls/*/transfer", API_ROLE_AGENT | SUP, h_transfer},
    {M_POST, "/api/v1/calls/*/hold", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/resume", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/mute", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/unmute", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/recording/pause", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/recording/resume", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/dtmf", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/conference", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/consult", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/consult/complete", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/consult/cancel", API_ROLE_AGENT | SUP, h_control},
    {M_POST, "/api/v1/calls/*/monitor", SUP, h_control},
    {M_GET, "/api/v1/interactions", ANY, h_interactions},
    {M_GET, "/api/v1/interactions/*", ANY, h_interaction},
    {M_PUT, "/api/v1/interactions/*/disposition", API_ROLE_AGENT | SUP, h_disposition},
    {M_PUT, "/api/v1/interactions/*/hold", API_ROLE_ADMIN, h_hold_put},
    {M_DELETE, "/api/v1/interactions/*/hold", API_ROLE_ADMIN, h_hold_delete},
    {M_POST, "/api/v1/interactions/*/accept", API_ROLE_AGENT, api__h_email_accept},
    {M_POST, "/api/v1/interactions/*/reply", API_ROLE_AGENT | SUP, api__h_email_reply},
    {M_POST, "/api/v1/interactions/*/close", API_ROLE_AGENT | SUP, api__h_email_close},
    {M_POST, "/api/v1/interactions/*/typing", API_ROLE_AGENT | SUP, api__h_chat_typing},
    {M_POST, "/api/v1/interactions/*/read", API_ROLE_AGENT | SUP, api__h_chat_read},
    {M_POST, "/api/v1/interactions/*/transfer", API_ROLE_AGENT | SUP, api__h_chat_transfer},
    {M_GET, "/api/v1/audit", API_ROLE_ADMIN, h_audit},
    {M_GET, "/api/v1/users", SUP, api__h_users},
    {M_POST, "/api/v1/users", API_ROLE_ADMIN, api__h_user_create},
    {M_GET, "/api/v1/users/*", SUP, api__h_user_get},
    {M_PUT, "/api/v1/users/*", API_ROLE_ADMIN, api__h_user_put},
    {M_DELETE, "/api/v1/users/*", API_ROLE_ADMIN, api__h_user_delete},
    {M_GET, "/api/v1/reason-codes", ANY, api__h_codes},
    {M_POST, "/api/v1/reason-codes", API_ROLE_ADMIN, api__h_code_create},
    {M_PUT, "/api/v1/reason-codes/*", API_ROLE_ADMIN, api__h_code_put},
    {M_DELETE, "/api/v1/reason-codes/*", API_ROLE_ADMIN, api__h_code_delete},
    {M_GET, "/api/v1/dispositions", ANY, api__h_codes},
    {M_POST, "/api/v1/dispositions", API_ROLE_ADMIN, api__h_code_create},
    {M_PUT, "/api/v1/dispositions/*", API_ROLE_ADMIN, api__h_code_put},
    {M_DELETE, "/api/v1/dispositions/*", API_ROLE_ADMIN, api__h_code_delete},
    {M_GET, "/api/v1/numbers", SUP, h_numbers},
    {M_POST, "/api/v1/numbers", API_ROLE_ADMIN, api__h_number_create},
    {M_PUT, "/api/v1/numbers/*", API_ROLE_ADMIN, api__h_number_put},
    {M_DELETE, "/api/v1/numbers/*", API_ROLE_ADMIN, api__h_number_delete},
    {M_GET, "/api/v1/trunks", SUP, api__h_trunks},
    {M_POST, "/api/v1/trunks", API_ROLE_ADMIN, api__h_trunk_create},
    {M_GET, "/api/v1/trunks/*", SUP, api__h_trunk_get},
    {M_PUT, "/api/v1/trunks/*", API_ROLE_ADMIN, api__h_trunk_put},
    {M_DELETE, "/api/v1/trunks/*", API_ROLE_ADMIN, api__h_trunk_delete},
    {M_GET, "/api/v1/contacts", ANY, api__h_contacts},
    {M_POST, "/api/v1/contacts", API_ROLE_AGENT | SUP, api__h_contact_create},
    {M_GET, "/api/v1/contacts/*", ANY, api__h_contact_get},
    {M_PUT, "/api/v1/contacts/*", API_ROLE_AGENT | SUP, api__h_contact_update},
    {M_DELETE, "/api/v1/contacts/*", API_ROLE_ADMIN, api__h_contact_delete},
    {M_POST, "/api/v1/contacts/*/merge", API_ROLE_AGENT | SUP, api__h_contact_merge},
    {M_GET, "/api/v1/interactions/*/recording", ANY, api__h_recording},
    {M_GET, "/api/v1/interactions/*/recording/segments", ANY, api__h_recording_segments},
    {M_GET, "/api/v1/webhooks", API_ROLE_ADMIN, api__h_webhooks},
    {M_POST, "/api/v1/webhooks", API_ROLE_ADMIN, api__h_webhook_create},
    {M_GET, "/api/v1/webhooks/*", API_ROLE_ADMIN, api__h_webhook_get},
    {M_PUT, "/api/v1/webhooks/*", API_ROLE_ADMIN, api__h_webhook_put},
    {M_DELETE, "/api/v1/webhooks/*", API_ROLE_ADMIN, api__h_webhook_delete},
    {M_GET, "/api/v1/webhooks/*/deliveries", API_ROLE_ADMIN, api__h_webhook_deliveries},
    {M_GET, "/api/v1/keys", API_ROLE_ADMIN, api__h_keys},
    {M_POST, "/api/v1/keys", API_ROLE_ADMIN, api__h_key_create},
    {M_DELETE, "/api/v1/keys/*", API_ROLE_ADMIN, api__h_key_delete},
    {M_GET, "/api/v1/lists", SUP, api__h_lists},
    {M_POST, "/api/v1/lists/*/leads", API_ROLE_ADMIN, api__h_list_leads_import},
    {M_GET, "/api/v1/lists/*/leads", SUP, api__h_list_leads_export},
    {M_POST, "/api/v1/dnc", SUP, api__h_dnc_import},
    {M_GET, "/api/v1/dnc", SUP, api__h_dnc_list},
    {M_DELETE, "/api/v1/dnc/*", SUP, api__h_dnc_delete},
    {M_GET, "/api/v1/flows", SUP, api__h_flows},
    {M_POST, "/api/v1/flows", API_ROLE_ADMIN, api__h_flow_create},
    {M_GET, "/api/v1/flows/*", SUP, api__h_flow_get},
    {M_PUT, "/api/v1/flows/*", API_ROLE_ADMIN, api__h_flow_put},
    {M_DELETE, "/api/v1/flows/*", API_ROLE_ADMIN, api__h_flow_delete},
    {M_GET, "/api/v1/flows/*/versions", SUP, api__h_flow_versions},
    {M_GET, "/api/v1/flows/*/versions/*", SUP, api__h_flow_version},
    {M_POST, "/api/v1/flows/*/versions/*/publish", API_ROLE_ADMIN, api__h_flow_publish},
    {M_GET, "/api/v1/calendars", SUP, api__h_calendars},
    {M_POST, "/api/v1/calendars", API_ROLE_ADMIN, api__h_calendar_create},
    {M_GET, "/api/v1/calendars/*", SUP, api__h_calendar_get},
    {M_PUT, "/api/v1/calendars/*", API_ROLE_ADMIN, api__h_calendar_put},
    {M_DELETE, "/api/v1/calendars/*", API_ROLE_ADMIN, api__h_calendar_delete},
    {M_GET, "/api/v1/campaigns", API_ROLE_AGENT | SUP, h_campaigns},
    {M_POST, "/api/v1/campaigns", API_ROLE_ADMIN, api__h_campaign_create},
    {M_GET, "/api/v1/campaigns/*", SUP, h_campaign},
    {M_PUT, "/api/v1/campaigns/*", API_ROLE_ADMIN, api__h_campaign_put},
    {M_DELETE, "/api/v1/campaigns/*", API_ROLE_ADMIN, api__h_campaign_delete},
    {M_POST, "/api/v1/campaigns/*/start", SUP, h_campaign_start},
    {M_POST, "/api/v1/campaigns/*/pause", SUP, h_campaign_pause},
    {M_POST, "/api/v1/campaigns/*/stop", SUP, h_campaign_stop},
    {M_POST, "/api/v1/campaigns/*/callbacks", API_ROLE_AGENT | SUP, h_campaign_callback},
    {M_POST, "/api/v1/campaigns/*/preview", API_ROLE_AGENT | SUP, h_preview_next},
    {M_POST, "/api/v1/campaigns/*/preview/dial", API_ROLE_AGENT | SUP, h_preview_dial},
    {M_POST, "/api/v1/campaigns/*/preview/skip", API_ROLE_AGENT | SUP, h_preview_skip},
};

/* Matches path against pattern; writes the `*` segment to target. */
static bool match(const char *pattern, const char *path, char *target, size_t tsize)
{
	target[0] = '\0';
	while (*pattern && *path) {
		if (*pattern == '*') {
			const char *end = strchr(path, '/');
			size_t n = end ? (size_t)(end - path) : strlen(path);
			if (!n || n >= tsize)
				return false;
			memcpy(target, path, n);
			target[n] = '\0';
			path += n;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	return !*pattern && !*path;
}

/* The operator's tenant for this request (?tenant=): *s becomes a copy scoped to it.
 * False after responding (no tenant where one is needed, or no such tenant). */
static bool operator_scope(struct api_conn *conn, const struct route *r, struct api_session **s,
			   struct api_session *scoped)
{
	char t[40];

	if (r->h == h_logout)
		return true; /* drops the session itself, whatever tenant is named */
	if (!api__query(conn, "tenant", t, sizeof(t))) {
		if (r->h == h_me || r->h == h_logout || r->h == h_tenants)
			return true;
		api__respond_error(conn, 400, "tenant_required",
				   "an operator names the tenant of each request (?tenant=ID)",
				   "tenant");
		return false;
	}
	if (!cfg_tenant_find(API_CFG(conn->a), t)) {
		api__respond_error(conn, 404, "not_found", "no such tenant", "tenant");
		return false;
	}
	*scoped = **s;
	scoped->ws = NULL;
	scoped->next = NULL;
	snprintf(scoped->tenant, sizeof(scoped->tenant), "%s", t);
	*s = scoped;
	return true;
}

void api__route(struct api_conn *conn)
{
	struct api_session scoped;
	char target[64];
	bool path_known = false;
	struct api_session *s;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (!match(r->pattern, conn->path, target, sizeof(target)))
			continue;
		/* "/agents/me" is a route of its own, never an agent called "me". */
		if (!strcmp(target, "me") && strstr(r->pattern, "/agents/*"))
			continue;
		path_known = true;
		if (r->method != conn->method)
			continue;
		if (!r->roles) {
			r->h(conn, NULL, target);
			return;
		}
		if (!(s = api__session(conn->a, conn))) {
			api__respond_error(conn, 401, "unauthorized",
					   "a valid token is required (Authorization: Bearer)",
					   NULL);
			return;
		}
		if (!api__rate_ok(conn->a, s)) {
			api__respond_error(conn, 429, "rate_limited", "too many requests", NULL);
			return;
		}
		/* An operator works in the tenant the request names, as that tenant's
		 * admin, supervisor and qa; nothing else ever crosses tenants. */
		if ((s->roles & API_ROLE_OPERATOR) && !operator_scope(conn, r, &s, &scoped))
			return;
		snprintf(conn->tenant, sizeof(conn->tenant), "%s", s->tenant);
		snprintf(conn->user, sizeof(conn->user), "%s", s->user);
		conn->roles = s->roles;
		if (!(s->roles & r->roles)) {
			api__respond_error(conn, 403, "forbidden", "your role does not allow this",
					   NULL);
			return;
		}
		r->h(conn, s, target);
		return;
	}
	if (path_known)
		api__respond_error(conn, 405, "method_not_allowed", "method not allowed", NULL);
	else
		api__respond_error(conn, 404, "not_found", "no such resource", NULL);
}
