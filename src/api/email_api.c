/*
 * The email channel's routes: an agent takes an offered email conversation
 * (POST /api/v1/interactions/{id}/accept), answers it (.../reply: the text, whether the
 * customer's last message is quoted, attachments) and closes it (.../close), which frees
 * the agent's email capacity. Bodies are checked here; the conversation is the engine's,
 * and a reply is answered once the SMTP server took it (by the email worker).
 */
#include "api/api_int.h"

#include <string.h>

/* Attachments of one reply, decoded, at most (the request body's limit holds first). */
#define REPLY_ATTACH_MAX (10u << 20)
#define REPLY_ATTACH_N	 10
#define REPLY_BODY_MAX	 (256u << 10)

static bool attachments_ok(struct api_conn *conn, json_t *atts)
{
	static const char *const fields[] = {"name", "type", "content", NULL};
	size_t i, total = 0;
	json_t *a;

	if (!json_is_array(atts) || json_array_size(atts) > REPLY_ATTACH_N) {
		api__respond_error(conn, 400, "invalid_field", "at most 10 attachments, as a list",
				   "attachments");
		return false;
	}
	json_array_foreach(atts, i, a)
	{
		const char *name, *type, *content;
		size_t len;

		if (!json_is_object(a) || !api__fields(conn, a, fields) ||
		    !api__str(conn, a, "name", true, &name) ||
		    !api__str(conn, a, "type", false, &type) ||
		    !api__str(conn, a, "content", true, &content))
			return false;
		if (!*name || strlen(name) > 200 || strpbrk(name, "/\\\r\n\"")) {
			api__respond_error(conn, 400, "invalid_field",
					   "a file name of 1 to 200 bytes without / \\ \" or "
					   "line ends",
					   "attachments");
			return false;
		}
		if (type && (strlen(type) > 100 || !strchr(type, '/') || strpbrk(type, " \r\n;"))) {
			api__respond_error(conn, 400, "invalid_field", "type is \"type/subtype\"",
					   "attachments");
			return false;
		}
		len = strlen(content) / 4 * 3;
		total += len;
		if (total > REPLY_ATTACH_MAX) {
			api__respond_error(conn, 413, "too_large",
					   "attachments are at most 10 MiB together",
					   "attachments");
			return false;
		}
		if (strspn(content, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789+/=") != strlen(content)) {
			api__respond_error(conn, 400, "invalid_field", "content is base64",
					   "attachments");
			return false;
		}
	}
	return true;
}

void api__h_email_reply(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"body", "quote", "attachments", NULL};
	const char *body;
	json_t *b = api__body(conn), *q, *atts;

	if (!b)
		return;
	if (!api__fields(conn, b, fields))
		goto bad;
	/* Not api__str: that caps strings at 512 bytes, a reply may be much longer. */
	if (!(body = json_string_value(json_object_get(b, "body"))) || !*body) {
		api__respond_error(conn, 400, "invalid_field", "\"body\" is a non-empty string",
				   "body");
		goto bad;
	}
	if (strlen(body) > REPLY_BODY_MAX) {
		api__respond_error(conn, 413, "too_large", "body is at most 256 KiB", "body");
		goto bad;
	}
	if ((q = json_object_get(b, "quote")) && !json_is_boolean(q)) {
		api__respond_error(conn, 400, "invalid_field", "quote is true or false", "quote");
		goto bad;
	}
	if ((atts = json_object_get(b, "attachments")) && !attachments_ok(conn, atts))
		goto bad;
	api__engine(conn, s, API_OP_EMAIL_REPLY, target, b);
	return;
bad:
	json_decref(b);
}

void api__h_email_accept(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_EMAIL_ACCEPT, target, NULL);
}

void api__h_email_close(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__engine(conn, s, API_OP_EMAIL_CLOSE, target, NULL);
}
