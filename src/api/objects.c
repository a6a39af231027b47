/*
 * Configuration objects written through the API: numbers, queues, users, reason codes
 * and dispositions. A body uses the
 * provisioning field names and is parsed by the configuration's own parser (the same
 * checks and messages as `centrala check`, the field named in the error); the object
 * the file lists is refused with 409 owned_by_file naming its line. References to what
 * runs (a queue's calendar, a number's queue) are the engine's to check; it answers,
 * and the API stores the object as the API's with an audit entry before replying.
 */
#include "api/api_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

/* A key as a path segment can carry it: letters, digits, '-', '_', '.', '+'. */
bool api__key_ok(const char *k, bool digits_only)
{
	size_t n = k ? strlen(k) : 0;

	if (!n || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		bool digit = c >= '0' && c <= '9';
		if (digits_only ? !(digit || (c == '+' && i == 0))
				: !(digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				    c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int number_line(const struct cfg_tenant *t, const char *key)
{
	for (size_t i = 0; t && i < t->nnumbers; i++)
		if (!strcmp(t->numbers[i].number, key))
			return t->numbers[i].line;
	return 0;
}

static int queue_line(const struct cfg_tenant *t, const char *key)
{
	const struct cfg_queue *q = t ? cfg_queue_find(t, key) : NULL;

	return q ? q->line : 0;
}

static int user_line(const struct cfg_tenant *t, const char *key)
{
	const struct cfg_user *u = t ? cfg_user_find(t, key) : NULL;

	return u ? u->line : 0;
}

static const struct api_obj_kind numbers = {
    "numbers", "number",    "number",	       true,
    false,     number_line, API_OP_NUMBER_PUT, API_OP_NUMBER_DELETE,
    NULL};
static const struct api_obj_kind queues = {
    "queues", "id", "queue", false, false, queue_line, API_OP_QUEUE_PUT, API_OP_QUEUE_DELETE, NULL};
static const struct api_obj_kind users = {
    "users", "username", "user", false, true, user_line, API_OP_USER_PUT, API_OP_USER_DELETE, NULL};

bool api__owned_by_file(struct api_conn *conn, const struct api_obj_kind *k, const char *key)
{
	const struct cfg_tenant *t = cfg_tenant_find(API_CFG(conn->a), conn->tenant);
	int line = k->file_line(t, key);
	char msg[256];

	if (!line)
		return false;
	snprintf(msg, sizeof(msg),
		 "%s %s is defined in the configuration file (line %d); change it there", k->noun,
		 key, line);
	api__respond_error(conn, 409, "owned_by_file", msg, k->key);
	return true;
}

static const char *domain_of(struct api_conn *conn)
{
	const struct cfg_tenant *t = cfg_tenant_find(API_CFG(conn->a), conn->tenant);

	return t && t->domain ? t->domain : conn->tenant;
}

void api__obj_write(struct api_conn *conn, struct api_session *s, const struct api_obj_kind *k,
		    const char *path_key)
{
	json_t *b = api__body(conn);
	struct cfg *c = NULL;
	char *text = NULL, msg[256];
	const char *key;

	if (!b)
		return;
	if (path_key && !json_object_get(b, k->key))
		json_object_set_new(b, k->key, json_string(path_key));
	key = json_string_value(json_object_get(b, k->key));
	if (!key || !api__key_ok(key, k->digits) || (path_key && strcmp(key, path_key))) {
		snprintf(msg, sizeof(msg), "%s %s %s", k->key,
			 path_key ? "must be the one in the path:" : "is required:",
			 k->digits ? "digits with an optional leading +"
				   : "letters, digits, '-', '_' and '.', at most 63");
		api__respond_error(conn, 400, "invalid_field", msg, k->key);
		goto out;
	}
	if (api__owned_by_file(conn, k, key))
		goto out;
	/* Compact JSON has no raw newline: it stays one YAML flow node. */
	if (!(text = json_dumps(b, JSON_COMPACT)) ||
	    cfg_load_fragment_in(conn->tenant, k->realm ? domain_of(conn) : NULL, k->section, text,
				 &c)) {
		api__respond_error(conn, 503, "busy", "out of memory", NULL);
		goto out;
	}
	if (k->check && !cfg_error_count(c))
		k->check(c);
	if (cfg_error_count(c)) {
		/* "api:3:5: tenants[0].queues[0].overflow.queue: ..." → field and message. */
		char mark[40], field[64] = "";
		const char *e = cfg_error_at(c, 0), *p;
		size_t ml = (size_t)snprintf(mark, sizeof(mark), "%s[0]", k->section);
		p = strstr(e, mark);
		if (p && p[ml] == '.')
			sscanf(p + ml + 1, "%63[^:]", field);
		snprintf(msg, sizeof(msg), "%s", p ? (p[ml] == '.' ? p + ml + 1 : p + ml + 2) : e);
		api__respond_error(conn, 400, "invalid_field", msg, field[0] ? field : NULL);
		cfg_free(c);
		goto out;
	}
	api__engine_obj(conn, s, k->put, key, json_pack("{s:s}", "body", text), c);
out:
	if (text) /* it may hold a password */
		sodium_memzero(text, strlen(text));
	free(text);
	json_decref(b);
}

void api__obj_delete(struct api_conn *conn, struct api_session *s, const struct api_obj_kind *k,
		     const char *key)
{
	if (!api__owned_by_file(conn, k, key))
		api__engine(conn, s, k->del, key, NULL);
}

void api__h_number_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &numbers, NULL);
}

void api__h_number_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &numbers, target);
}

void api__h_number_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_delete(conn, s, &numbers, target);
}

void api__h_queue_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &queues, NULL);
}

void api__h_queue_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &queues, target);
}

void api__h_queue_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_delete(conn, s, &queues, target);
}

void api__h_users(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_USERS_LIST, NULL, NULL);
}

void api__h_user_get(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_USER_GET, target, NULL);
}

void api__h_user_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &users, NULL);
}

void api__h_user_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &users, target);
}

void api__h_user_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_delete(conn, s, &users, target);
}

/* ---- reason codes and dispositions: lists of strings in the file ---- */

/* "reason_codes" or "dispositions", from the path. */
static const char *codes_kind(const struct api_conn *conn)
{
	return strncmp(conn->path, "/api/v1/reason-codes", 20) ? "dispositions" : "reason_codes";
}

void api__h_codes(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_CODES_LIST, NULL, json_pack("{s:s}", "kind", codes_kind(conn)));
}

static bool code_listed(const struct cfg_tenant *t, const char *kind, const char *code)
{
	char *const *v = !t ? NULL : *kind == 'r' ? t->reason_codes : t->dispositions;
	size_t n = !t ? 0 : *kind == 'r' ? t->nreason_codes : t->ndispositions;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], code))
			return true;
	return false;
}

/* POST {code} and PUT /{code} (no body needed): parsed as the file's list item. */
static void code_write(struct api_conn *conn, struct api_session *s, const char *path_code)
{
	static const char *const fields[] = {"code", NULL};
	const char *kind = codes_kind(conn), *code = path_code;
	json_t *b = conn->body_len || !path_code ? api__body(conn) : json_object(), *item;
	struct cfg *c = NULL;
	char *text = NULL;

	if (!b)
		return;
	if (!api__fields(conn, b, fields))
		goto out;
	if (json_object_get(b, "code"))
		code = json_string_value(json_object_get(b, "code"));
	if (!code || !api__key_ok(code, false) || strlen(code) > 31 ||
	    (path_code && strcmp(code, path_code))) {
		api__respond_error(conn, 400, "invalid_field",
				   path_code
				       ? "code must be the one in the path"
				       : "code is required: letters, digits, '-', '_' and '.', "
					 "at most 31",
				   "code");
		goto out;
	}
	if (code_listed(cfg_tenant_find(API_CFG(conn->a), conn->tenant), kind, code)) {
		api__respond_error(conn, 409, "owned_by_file",
				   "the code is defined in the configuration file; change it there",
				   "code");
		goto out;
	}
	/* The configuration's parser reads it as an item of the tenant's list. */
	item = json_string(code);
	text = item ? json_dumps(item, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	json_decref(item);
	if (!text || cfg_load_fragment(conn->tenant, kind, text, &c)) {
		api__respond_error(conn, 503, "busy", "out of memory", NULL);
		goto out;
	}
	if (cfg_error_count(c)) {
		api__respond_error(conn, 400, "invalid_field", cfg_error_at(c, 0), "code");
		goto out;
	}
	api__engine(conn, s, API_OP_CODE_PUT, code,
		    json_pack("{s:s, s:s}", "kind", kind, "body", text));
out:
	cfg_free(c);
	free(text);
	json_decref(b);
}

void api__h_code_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	code_write(conn, s, NULL);
}

void api__h_code_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	code_write(conn, s, target);
}

void api__h_code_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	const char *kind = codes_kind(conn);

	if (code_listed(cfg_tenant_find(API_CFG(conn->a), conn->tenant), kind, target)) {
		api__respond_error(conn, 409, "owned_by_file",
				   "the code is defined in the configuration file; change it there",
				   "code");
		return;
	}
	api__engine(conn, s, API_OP_CODE_DELETE, target, json_pack("{s:s}", "kind", kind));
}
