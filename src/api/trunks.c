/*
 * Trunks through the API: GET /trunks and /trunks/{id} for supervisors and admins (the
 * file's and the API's, never a password), POST /trunks, PUT and DELETE /trunks/{id} for
 * admins. A body has the provisioning field names (uri, username, password, caller_id,
 * inbound_from, srtp, register, register_expires) and is parsed by the configuration's
 * own parser; a trunk the file lists is refused with 409 naming its line. The engine
 * applies the change for the next call and answers (engine/trunks_cmd.c); the audit
 * entry names the fields written, never a value.
 */
#include "api/api_int.h"

#include "core/config.h"

static int trunk_line(const struct cfg_tenant *t, const char *key)
{
	const struct cfg_trunk *tk = t ? cfg_trunk_find(t, key) : NULL;

	return tk ? tk->line : 0;
}

static const struct api_obj_kind trunks = {
    "trunks", "id", "trunk", false, false, trunk_line, API_OP_TRUNK_PUT, API_OP_TRUNK_DELETE, NULL};

void api__h_trunks(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_TRUNKS_LIST, NULL, NULL);
}

void api__h_trunk_get(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_TRUNK_GET, target, NULL);
}

void api__h_trunk_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &trunks, NULL);
}

void api__h_trunk_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &trunks, target);
}

void api__h_trunk_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_delete(conn, s, &trunks, target);
}
