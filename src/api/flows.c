/*
 * IVR flows and business-hours calendars through the API: /api/v1/flows (with their
 * versions) and /api/v1/calendars. A body has the shape of the file's flow or calendar,
 * in JSON; the engine validates it with the IVR validator against what runs (errors name
 * the node path as the field: "nodes.menu.options.1"), renders its prompts off its
 * thread and answers once the change is live for new calls. The API then stores it with
 * an audit entry. Objects the file lists are refused with 409 owned_by_file naming its
 * line.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/yaml.h"

/* The flow's name in "/api/v1/flows/NAME/versions/..." (the route's last `*` is the
 * version). */
static bool path_name(const struct api_conn *conn, char *name, size_t size)
{
	const char *p = conn->path + strlen("/api/v1/flows/"), *end = strchr(p, '/');
	size_t n = end ? (size_t)(end - p) : strlen(p);

	if (!n || n >= size)
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	return true;
}

static bool version_arg(struct api_conn *conn, const char *target, json_t **args)
{
	char *end;
	long n = strtol(target, &end, 10);

	if (*end || n <= 0 || n > 1000000) {
		api__respond_error(conn, 404, "not_found", "no such version", NULL);
		return false;
	}
	*args = json_pack("{s:i}", "version", (int)n);
	return true;
}

/* 409 naming the file's line when the tenant's file lists flow (or calendar) `key`. */
static bool owned_by_file(struct api_conn *conn, bool flow, const char *key)
{
	const struct cfg_tenant *t = cfg_tenant_find(API_CFG(conn->a), conn->tenant);
	const struct cfg_named_node *n = !t	? NULL
					 : flow ? cfg_flow_find(t, key)
						: cfg_calendar_find(t, key);
	int line = 0, col = 0;
	char msg[256];

	if (!n)
		return false;
	cy_pos(n->node, &line, &col);
	snprintf(msg, sizeof(msg),
		 "%s %s is defined in the configuration file (line %d); change it there",
		 flow ? "flow" : "calendar", key, line);
	api__respond_error(conn, 409, "owned_by_file", msg, flow ? "name" : "id");
	return true;
}

/* POST (path_key NULL: the key is in the body) and PUT /{key}: the body without its key
 * goes to the engine as compact JSON. */
static void obj_write(struct api_conn *conn, struct api_session *s, bool flow, const char *path_key)
{
	const char *kname = flow ? "name" : "id";
	json_t *b = api__body(conn), *args;
	char key[64], q[16], msg[160];
	const char *k;
	char *text = NULL;

	if (!b)
		return;
	k = json_string_value(json_object_get(b, kname));
	if (json_object_get(b, kname) && !k) {
		api__respond_error(conn, 400, "invalid_field", "must be a string", kname);
		goto out;
	}
	if (!k)
		k = path_key;
	if (!k || !api__key_ok(k, false) || (path_key && strcmp(k, path_key))) {
		snprintf(msg, sizeof(msg), "%s %s", kname,
			 path_key ? "must be the one in the path"
				  : "is required: letters, digits, '-', '_' and '.', at most 63");
		api__respond_error(conn, 400, "invalid_field", msg, kname);
		goto out;
	}
	snprintf(key, sizeof(key), "%s", k);
	json_object_del(b, kname);
	if (owned_by_file(conn, flow, key))
		goto out;
	if (!(text = json_dumps(b, JSON_COMPACT))) {
		api__respond_error(conn, 503, "busy", "out of memory", NULL);
		goto out;
	}
	args = json_pack("{s:s, s:b}", "body", text, "create", !path_key);
	if (flow && api__query(conn, "publish", q, sizeof(q)))
		json_object_set_new(args, "publish", json_boolean(strcmp(q, "false")));
	api__engine(conn, s, flow ? API_OP_FLOW_PUT : API_OP_CALENDAR_PUT, key, args);
out:
	free(text);
	json_decref(b);
}

void api__h_flows(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_FLOWS_LIST, NULL, NULL);
}

void api__h_flow_get(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_FLOW_GET, target, NULL);
}

void api__h_flow_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	obj_write(conn, s, true, NULL);
}

void api__h_flow_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	obj_write(conn, s, true, target);
}

void api__h_flow_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	if (!owned_by_file(conn, true, target))
		api__engine(conn, s, API_OP_FLOW_DELETE, target, NULL);
}

void api__h_flow_versions(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_FLOW_VERSIONS, target, NULL);
}

/* GET .../versions/{n} and POST .../versions/{n}/publish. */
static void version_op(struct api_conn *conn, struct api_session *s, const char *target,
		       enum api_op op)
{
	char name[64];
	json_t *args;

	if (!path_name(conn, name, sizeof(name))) {
		api__respond_error(conn, 404, "not_found", "no such flow", NULL);
		return;
	}
	if (op == API_OP_FLOW_PUBLISH && owned_by_file(conn, true, name))
		return;
	if (version_arg(conn, target, &args))
		api__engine(conn, s, op, name, args);
}

void api__h_flow_version(struct api_conn *conn, struct api_session *s, const char *target)
{
	version_op(conn, s, target, API_OP_FLOW_VERSION_GET);
}

void api__h_flow_publish(struct api_conn *conn, struct api_session *s, const char *target)
{
	version_op(conn, s, target, API_OP_FLOW_PUBLISH);
}

void api__h_calendars(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_CALENDARS_LIST, NULL, NULL);
}

void api__h_calendar_get(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_CALENDAR_GET, target, NULL);
}

void api__h_calendar_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	obj_write(conn, s, false, NULL);
}

void api__h_calendar_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	obj_write(conn, s, false, target);
}

void api__h_calendar_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	if (!owned_by_file(conn, false, target))
		api__engine(conn, s, API_OP_CALENDAR_DELETE, target, NULL);
}
