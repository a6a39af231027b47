/*
 * The web chat's routes for the agent's side, beside the interactions' accept, reply and
 * close that chats share with email conversations (email_api.c): the agent is typing
 * (POST /api/v1/interactions/{id}/typing {on}) and the agent has read the visitor's
 * messages up to a number (POST /api/v1/interactions/{id}/read {seq}). Both are passed
 * to the visitor's page by the engine (engine/chat.c); and the chat handed to another
 * queue or to a named agent with its history (POST /api/v1/interactions/{id}/transfer
 * {queue?, agent?}); the same route hands an email conversation over (engine/mail.c).
 */
#include "api/api_int.h"

#include <string.h>

void api__h_chat_typing(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"on", NULL};
	json_t *b = api__body(conn);

	if (!b)
		return;
	if (!api__fields(conn, b, fields) || !json_is_boolean(json_object_get(b, "on"))) {
		if (!conn->resp)
			api__respond_error(conn, 400, "invalid_field", "on is true or false", "on");
		json_decref(b);
		return;
	}
	api__engine(conn, s, API_OP_CHAT_TYPING, target, b);
}

void api__h_chat_read(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"seq", NULL};
	json_t *b = api__body(conn), *seq;

	if (!b)
		return;
	seq = json_object_get(b, "seq");
	if (!api__fields(conn, b, fields) || !json_is_integer(seq) || json_integer_value(seq) < 0) {
		if (!conn->resp)
			api__respond_error(conn, 400, "invalid_field",
					   "seq is the number of the last message read", "seq");
		json_decref(b);
		return;
	}
	api__engine(conn, s, API_OP_CHAT_READ, target, b);
}

void api__h_chat_transfer(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"queue", "agent", NULL};
	const char *queue = NULL, *agent = NULL;
	json_t *b = api__body(conn);

	if (!b)
		return;
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "queue", false, &queue) ||
	    !api__str(conn, b, "agent", false, &agent)) {
		json_decref(b);
		return;
	}
	if (!queue && !agent) {
		api__respond_error(conn, 400, "invalid_field",
				   "queue or agent: where the conversation goes", "queue");
		json_decref(b);
		return;
	}
	api__engine(conn, s, API_OP_CHAT_TRANSFER, target, b);
}
