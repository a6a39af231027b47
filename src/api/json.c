/*
 * Request bodies: JSON objects parsed strictly. A syntax error is a 400 naming the byte
 * offset; an unknown field is a 400 naming its path; a field of the wrong type is a 400
 * naming the field. Nothing is applied from a body that fails any of these.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

json_t *api__body(struct api_conn *conn)
{
	json_error_t e;
	json_t *j;
	char msg[256];

	if (!conn->body_len) {
		api__respond_error(conn, 400, "invalid_json", "a JSON object body is required",
				   NULL);
		return NULL;
	}
	j = json_loadb(conn->body, conn->body_len, JSON_REJECT_DUPLICATES, &e);
	if (!j) {
		snprintf(msg, sizeof(msg), "malformed JSON at byte %d (line %d, column %d): %s",
			 e.position, e.line, e.column, e.text);
		api__respond(conn, 400,
			     json_pack("{s:{s:s, s:s, s:i}}", "error", "code", "invalid_json",
				       "message", msg, "offset", e.position));
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		api__respond_error(conn, 400, "invalid_json", "the body must be a JSON object",
				   NULL);
		return NULL;
	}
	return j;
}

bool api__fields(struct api_conn *conn, json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;
	char msg[160];

	json_object_foreach(obj, key, v)
	{
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = !strcmp(key, allowed[i]);
		if (!ok) {
			snprintf(msg, sizeof(msg), "unknown field \"%.100s\"", key);
			api__respond_error(conn, 400, "unknown_field", msg, key);
			return false;
		}
	}
	return true;
}

bool api__str(struct api_conn *conn, json_t *obj, const char *key, bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	char msg[160];

	if (!v || json_is_null(v)) {
		if (!required) {
			*out = NULL;
			return true;
		}
		snprintf(msg, sizeof(msg), "\"%s\" is required", key);
		api__respond_error(conn, 400, "invalid_field", msg, key);
		return false;
	}
	if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 512) {
		snprintf(msg, sizeof(msg), "\"%s\" must be a non-empty string of at most 512 bytes",
			 key);
		api__respond_error(conn, 400, "invalid_field", msg, key);
		return false;
	}
	*out = json_string_value(v);
	return true;
}
