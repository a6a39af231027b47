/*
 * The API's commands about flows and calendars, on the engine's thread. A write changes
 * the definitions, builds the tenant's generation from them (the IVR validator's errors
 * go back as 400 with the node path, and the change is undone), then hands it to a render
 * thread; the request is answered, and the store written, when it goes live. A draft
 * version (?publish=false) is validated the same way and stored without going live.
 */
#include "engine/campaign_int.h"
#include "engine/flows_live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static json_t *iso(int64_t ms)
{
	char ts[32];

	return json_string(clock_iso8601(ms, ts, sizeof(ts)));
}

static json_t *ver_json(const struct eng_flowdef *d, const struct eng_flow_ver *v, bool body)
{
	json_t *j = json_pack("{s:i, s:o, s:s, s:b}", "version", (int)v->no, "created",
			      iso(v->created_ms), "by", v->by, "published", v->no == d->published);

	if (body)
		json_object_set_new(j, "flow", json_loads(v->body, 0, NULL));
	return j;
}

static json_t *flow_json(const struct eng_flowdef *d, bool body)
{
	const struct eng_flow_ver *v = eng__flow_ver(d, d->published);
	json_t *j =
	    json_pack("{s:s, s:s, s:i, s:i}", "name", d->name, "source", d->file ? "file" : "api",
		      "version", (int)d->published, "latest", d->nv ? (int)d->v[d->nv - 1].no : 0);

	if (v)
		json_object_set_new(j, "updated", iso(v->created_ms));
	if (body && v)
		json_object_set_new(j, "flow", json_loads(v->body, 0, NULL));
	return j;
}

static json_t *cal_json(const struct eng_caldef *c, bool body)
{
	json_t *j = json_pack("{s:s, s:s, s:o}", "id", c->name, "source", c->file ? "file" : "api",
			      "updated", iso(c->updated_ms));

	if (body)
		json_object_set_new(j, "calendar", json_loads(c->body, 0, NULL));
	return j;
}

/* A build error ("flows.NAME.nodes.x: message") as the API's error; the field is the
 * path inside object `prefix` ("flows.NAME") when the error is about it. */
static void reply_invalid(struct engine *e, const struct api_cmd *m, int status, const char *code,
			  const char *prefix, const char *msg)
{
	size_t pl = strlen(prefix);
	char field[256] = "";
	const char *text = msg, *colon;

	if (!strncmp(msg, prefix, pl) && (msg[pl] == '.' || msg[pl] == ':') &&
	    (colon = strstr(msg + pl, ": "))) {
		if (msg[pl] == '.')
			snprintf(field, sizeof(field), "%.*s", (int)(colon - msg - pl - 1),
				 msg + pl + 1);
		text = colon + 2;
	}
	api_reply(e->api, m->req, status,
		  json_pack("{s:{s:s, s:s, s:s*}}", "error", "code", code, "message", text, "field",
			    field[0] ? field : NULL));
}

static void not_found(struct engine *e, const struct api_cmd *m, const char *what)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "no such %s", what);
	api_reply_error(e->api, m->req, 404, "not_found", msg);
}

static void owned(struct engine *e, const struct api_cmd *m, const char *what)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "the %s is defined in the configuration file; change it there",
		 what);
	api_reply(e->api, m->req, 409,
		  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "owned_by_file", "message", msg,
			    "field", "name"));
}

/* Starts the tenant's new generation g, answering m with status and body once live. */
static void go_live(struct engine *e, struct eng_tenant *t, const struct api_cmd *m,
		    struct eng_flowgen *g, int status, json_t *body, const char *kind,
		    const char *store_body)
{
	struct live_reply r = {.req = m->req, .status = status, .body = body};

	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	snprintf(r.key, sizeof(r.key), "%s", m->target);
	snprintf(r.tenant, sizeof(r.tenant), "%s", m->tenant);
	snprintf(r.user, sizeof(r.user), "%s", m->user);
	if (store_body && !(r.store_body = strdup(store_body))) {
		json_decref(body);
		eng__gen_free(g);
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	if (eng__gen_start(t, g, &r)) {
		json_decref(r.body);
		free(r.store_body);
		api_reply_error(e->api, m->req, 503, "busy", "no thread to render the prompts");
	}
}

static char *doc_text(const struct eng_flowdef *d)
{
	json_t *j = eng__flowdef_doc(d);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return s;
}

/* ---- flows ---- */

static void flow_put(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	const char *body = json_string_value(json_object_get(m->args, "body"));
	bool create = json_is_true(json_object_get(m->args, "create"));
	bool publish = !json_is_false(json_object_get(m->args, "publish"));
	struct eng_flowdef *d = eng__flowdef(t, m->target);
	bool made = !d;
	unsigned old_pub;
	struct eng_flowgen *g = NULL;
	char by[64], msg[512], prefix[80], *doc;
	int err;

	if (d && d->file)
		return owned(e, m, "flow");
	if (d && create) {
		api_reply(e->api, m->req, 409,
			  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "exists", "message",
				    "a flow of that name exists: PUT a new version", "field",
				    "name"));
		return;
	}
	if (!body || (!d && !(d = eng__live_flowdef_add(t, m->target)))) {
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	snprintf(by, sizeof(by), "api:%s", m->user[0] ? m->user : "key");
	if (eng__live_ver_add(d, by, body)) {
		if (made)
			eng__live_flowdef_remove(t, d);
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	old_pub = d->published;
	d->published = d->v[d->nv - 1].no;
	err = eng__gen_build(t, &g, msg, sizeof(msg));
	if (err || !publish) {
		/* A draft is validated as if it were published, then put back. */
		eng__gen_free(g);
		g = NULL;
		d->published = old_pub;
	}
	if (err) {
		eng__live_ver_drop_last(d);
		if (made)
			eng__live_flowdef_remove(t, d);
		snprintf(prefix, sizeof(prefix), "flows.%s", m->target);
		reply_invalid(e, m, err == EINVAL ? 400 : 503,
			      err == EINVAL ? "invalid_field" : "busy", prefix, msg);
		return;
	}
	log_info("engine", "tenant=%s event=flow_version flow=%s version=%u by=%s published=%s",
		 t->ct->id, d->name, d->v[d->nv - 1].no, by, publish ? "yes" : "no");
	if (!(doc = doc_text(d))) {
		eng__gen_free(g);
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	if (g)
		go_live(e, t, m, g, made ? 201 : 200, flow_json(d, true), "flows", doc);
	else
		api_reply_persist(e->api, m, made ? 201 : 200, flow_json(d, true), "flows",
				  m->target, doc);
	free(doc);
}

static void flow_publish(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_flowdef *d = eng__flowdef(t, m->target);
	unsigned no = (unsigned)json_integer_value(json_object_get(m->args, "version"));
	struct eng_flowgen *g = NULL;
	char msg[512], prefix[80], *doc;
	unsigned old;
	int err;

	if (!d)
		return not_found(e, m, "flow");
	if (d->file)
		return owned(e, m, "flow");
	if (!eng__flow_ver(d, no))
		return not_found(e, m, "version");
	old = d->published;
	d->published = no;
	if ((err = eng__gen_build(t, &g, msg, sizeof(msg)))) {
		d->published = old;
		snprintf(prefix, sizeof(prefix), "flows.%s", m->target);
		reply_invalid(e, m, err == EINVAL ? 409 : 503, err == EINVAL ? "invalid" : "busy",
			      prefix, msg);
		return;
	}
	log_info("engine", "tenant=%s event=flow_published flow=%s version=%u was=%u", t->ct->id,
		 d->name, no, old);
	if (!(doc = doc_text(d))) {
		eng__gen_free(g);
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	go_live(e, t, m, g, 200, flow_json(d, true), "flows", doc);
	free(doc);
}

/* What routes to flow `name` other than a flow (a number, a queue's overflow), or NULL. */
static const char *flow_users(struct engine *e, struct eng_tenant *t, const char *name, char *buf,
			      size_t size)
{
	const struct cfg_number *n = eng__api_number_to(e, t, CFG_TARGET_FLOW, name);

	for (size_t i = 0; !n && i < t->ct->nnumbers; i++)
		if (t->ct->numbers[i].target.kind == CFG_TARGET_FLOW &&
		    !strcmp(t->ct->numbers[i].target.value, name))
			n = &t->ct->numbers[i];
	if (n) {
		snprintf(buf, size, "number %s routes to it", n->number);
		return buf;
	}
	for (size_t i = 0; i < t->nqueues; i++) {
		const struct cfg_target *tg = &t->queues[i]->cq->overflow;
		if (tg->kind == CFG_TARGET_FLOW && !strcmp(tg->value, name)) {
			snprintf(buf, size, "queue %s overflows to it", t->queues[i]->cq->id);
			return buf;
		}
	}
	return NULL;
}

/* Why the definitions without the one just taken out do not build: "flow X uses it". */
static void in_use(struct engine *e, const struct api_cmd *m, const char *msg)
{
	char flow[64] = "", text[160];

	if (sscanf(msg, "flows.%63[^.:]", flow) == 1)
		snprintf(text, sizeof(text), "flow %s uses it", flow);
	else
		snprintf(text, sizeof(text), "%s", msg);
	api_reply_error(e->api, m->req, 409, "in_use", text);
}

static void flow_delete(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_flowdef *d = eng__flowdef(t, m->target);
	struct eng_flowgen *g = NULL;
	char why[160], msg[512];
	unsigned pub;

	if (!d)
		return not_found(e, m, "flow");
	if (d->file)
		return owned(e, m, "flow");
	if (flow_users(e, t, m->target, why, sizeof(why)) ||
	    eng__camp_uses(e, t, DIALER_REF_FLOW, m->target, why, sizeof(why))) {
		api_reply_error(e->api, m->req, 409, "in_use", why);
		return;
	}
	/* Built without it first: another flow may go to it. */
	pub = d->published;
	d->published = 0;
	if (eng__gen_build(t, &g, msg, sizeof(msg))) {
		d->published = pub;
		in_use(e, m, msg);
		return;
	}
	eng__live_flowdef_remove(t, d);
	log_info("engine", "tenant=%s event=flow_removed flow=%s", t->ct->id, m->target);
	go_live(e, t, m, g, 204, NULL, "flows", NULL);
}

static void flow_read(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_live *l = t->live;
	const struct eng_flowdef *d = eng__flowdef(t, m->target);
	json_t *items;

	switch (m->op) {
	case API_OP_FLOWS_LIST:
		items = json_array();
		for (size_t i = 0; l && i < l->nflows; i++)
			json_array_append_new(items, flow_json(&l->flows[i], false));
		api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
		return;
	case API_OP_FLOW_GET:
		if (!d)
			return not_found(e, m, "flow");
		api_reply(e->api, m->req, 200, flow_json(d, true));
		return;
	case API_OP_FLOW_VERSIONS:
		if (!d)
			return not_found(e, m, "flow");
		items = json_array();
		for (size_t i = d->nv; i-- > 0;)
			json_array_append_new(items, ver_json(d, &d->v[i], false));
		api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
		return;
	default: {
		unsigned no = (unsigned)json_integer_value(json_object_get(m->args, "version"));
		const struct eng_flow_ver *v = eng__flow_ver(d, no);
		if (!d)
			return not_found(e, m, "flow");
		if (!v)
			return not_found(e, m, "version");
		api_reply(e->api, m->req, 200, ver_json(d, v, true));
	}
	}
}

/* ---- calendars ---- */

static void calendar_put(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	const char *body = json_string_value(json_object_get(m->args, "body"));
	bool create = json_is_true(json_object_get(m->args, "create"));
	struct eng_caldef *c = eng__caldef(t, m->target);
	bool made = !c;
	struct eng_flowgen *g = NULL;
	char *old = NULL, msg[512], prefix[80];
	int64_t old_ms = 0;
	int err;

	if (c && c->file)
		return owned(e, m, "calendar");
	if (c && create) {
		api_reply(e->api, m->req, 409,
			  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "exists", "message",
				    "a calendar of that id exists: PUT it", "field", "id"));
		return;
	}
	if (!body) {
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	if (c) {
		char *copy = strdup(body);
		if (!copy) {
			api_reply_error(e->api, m->req, 503, "busy", "out of memory");
			return;
		}
		old = c->body;
		old_ms = c->updated_ms;
		c->body = copy;
		c->updated_ms = clock_wall_ms();
	} else if (!(c = eng__live_caldef_add(t, m->target, body))) {
		api_reply_error(e->api, m->req, 503, "busy", "out of memory");
		return;
	}
	if ((err = eng__gen_build(t, &g, msg, sizeof(msg)))) {
		if (made) {
			eng__live_caldef_remove(t, c);
		} else {
			free(c->body);
			c->body = old;
			c->updated_ms = old_ms;
		}
		snprintf(prefix, sizeof(prefix), "calendars.%s", m->target);
		reply_invalid(e, m, err == EINVAL ? 400 : 503,
			      err == EINVAL ? "invalid_field" : "busy", prefix, msg);
		return;
	}
	free(old);
	log_info("engine", "tenant=%s event=calendar_%s calendar=%s source=api", t->ct->id,
		 made ? "added" : "changed", m->target);
	go_live(e, t, m, g, made ? 201 : 200, cal_json(c, true), "calendars", c->body);
}

static void calendar_delete(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_caldef *c = eng__caldef(t, m->target);
	struct eng_flowgen *g = NULL;
	char msg[512], name[64];
	const char *q;
	int err;

	if (!c)
		return not_found(e, m, "calendar");
	if (c->file)
		return owned(e, m, "calendar");
	if ((q = eng__calendar_queue(t, c->name))) {
		snprintf(msg, sizeof(msg), "queue %s uses it (hours)", q);
		api_reply_error(e->api, m->req, 409, "in_use", msg);
		return;
	}
	if (eng__camp_uses(e, t, DIALER_REF_CALENDAR, c->name, msg, sizeof(msg))) {
		api_reply_error(e->api, m->req, 409, "in_use", msg);
		return;
	}
	/* Renamed out of the way, the flows are built without it. */
	snprintf(name, sizeof(name), "%s", c->name);
	c->name[0] = '\x01';
	c->name[1] = '\0';
	err = eng__gen_build(t, &g, msg, sizeof(msg));
	snprintf(c->name, sizeof(c->name), "%s", name);
	if (err) {
		in_use(e, m, msg);
		return;
	}
	/* The build above still held it under its other name: build again without it. */
	eng__gen_free(g);
	g = NULL;
	eng__live_caldef_remove(t, c);
	if ((err = eng__gen_build(t, &g, msg, sizeof(msg)))) {
		api_reply_error(e->api, m->req, 503, "busy", msg);
		return;
	}
	log_info("engine", "tenant=%s event=calendar_removed calendar=%s", t->ct->id, m->target);
	go_live(e, t, m, g, 204, NULL, "calendars", NULL);
}

static void calendar_read(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	struct eng_live *l = t->live;
	const struct eng_caldef *c = eng__caldef(t, m->target);
	json_t *items;

	if (m->op == API_OP_CALENDAR_GET) {
		if (!c)
			return not_found(e, m, "calendar");
		api_reply(e->api, m->req, 200, cal_json(c, true));
		return;
	}
	items = json_array();
	for (size_t i = 0; l && i < l->ncals; i++)
		json_array_append_new(items, cal_json(&l->cals[i], false));
	api_reply(e->api, m->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

bool eng__live_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	if (!t->live && (m->op >= API_OP_FLOWS_LIST && m->op <= API_OP_CALENDAR_DELETE)) {
		api_reply_error(e->api, m->req, 503, "busy", "flows are not running");
		return true;
	}
	switch (m->op) {
	case API_OP_FLOWS_LIST:
	case API_OP_FLOW_GET:
	case API_OP_FLOW_VERSIONS:
	case API_OP_FLOW_VERSION_GET:
		flow_read(e, t, m);
		return true;
	case API_OP_FLOW_PUT:
		flow_put(e, t, m);
		return true;
	case API_OP_FLOW_DELETE:
		flow_delete(e, t, m);
		return true;
	case API_OP_FLOW_PUBLISH:
		flow_publish(e, t, m);
		return true;
	case API_OP_CALENDARS_LIST:
	case API_OP_CALENDAR_GET:
		calendar_read(e, t, m);
		return true;
	case API_OP_CALENDAR_PUT:
		calendar_put(e, t, m);
		return true;
	case API_OP_CALENDAR_DELETE:
		calendar_delete(e, t, m);
		return true;
	default:
		return false;
	}
}
