/*
 * The API's trunk commands on the engine's thread: list, get, put and delete, scoped to
 * the caller's tenant (another tenant's trunk is not found). A put that leaves the
 * password out keeps the one the trunk has: a password is written, never read back. The
 * stored body is the request's, with that kept password put back in, so that the next
 * start loads the trunk as it runs now.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const struct cfg_trunk *trunk_of(const struct eng_tenant *t, const char *id)
{
	return cfg_trunk_find(t->ct, id);
}

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
	struct cfg_trunk *tk = &c->tenants[0].trunks[0];
	const struct cfg_trunk *old = trunk_of(t, tk->id);
	const char *body = json_string_value(json_object_get(m->args, "body")), *why = NULL;
	char *stored = NULL;
	bool created = false;
	json_t *b = NULL;
	int err;

	m->obj = NULL;
	if (!tk->password && old && old->password && !eng__trunk_in_file(t, tk->id)) {
		/* Write-only: left out, the trunk keeps its password. */
		b = body ? json_loads(body, 0, NULL) : NULL;
		if (!b || !(tk->password = strdup(old->password)) ||
		    json_object_set_new(b, "password", json_string(old->password)) ||
		    !(stored = json_dumps(b, JSON_COMPACT))) {
			cfg_free(c);
			reply_error(e, m, 503, "busy", "out of memory", NULL);
			goto out;
		}
		body = stored;
	}
	if ((err = eng__trunk_put(e, t, c, &created, &why))) {
		cfg_free(c);
		reply_error(e, m, err == EEXIST ? 409 : 503,
			    err == EEXIST ? "owned_by_file" : "busy", why ? why : strerror(err),
			    "id");
		goto out;
	}
	api_reply_persist(e->api, m, created ? 201 : 200,
			  eng__trunk_json(t, trunk_of(t, m->target)), "trunks", m->target, body);
out:
	if (stored) {
		sodium_memzero(stored, strlen(stored));
		free(stored);
	}
	json_decref(b);
}

static void del(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	char why[160] = "";
	int err = eng__trunk_delete(e, t, m->target, why, sizeof(why));

	if (err == EEXIST)
		reply_error(e, m, 409, "owned_by_file",
			    "the trunk is defined in the configuration file; change it there",
			    "id");
	else if (err == EBUSY)
		reply_error(e, m, 409, "in_use", why, "id");
	else if (err == ENOENT)
		reply_error(e, m, 404, "not_found", "no such trunk", NULL);
	else if (err)
		reply_error(e, m, 503, "busy", strerror(err), NULL);
	else
		api_reply_persist(e->api, m, 204, NULL, "trunks", m->target, NULL);
}

bool eng__trunks_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m)
{
	const struct cfg_trunk *tk;

	switch (m->op) {
	case API_OP_TRUNKS_LIST:
		api_reply(e->api, m->req, 200,
			  json_pack("{s:o, s:n}", "items", eng__trunks_json(t), "next"));
		return true;
	case API_OP_TRUNK_GET:
		if (!(tk = trunk_of(t, m->target)))
			reply_error(e, m, 404, "not_found", "no such trunk", NULL);
		else
			api_reply(e->api, m->req, 200, eng__trunk_json(t, tk));
		return true;
	case API_OP_TRUNK_PUT:
		put(e, t, m);
		return true;
	case API_OP_TRUNK_DELETE:
		del(e, t, m);
		return true;
	default:
		return false;
	}
}
