/*
 * The SMS channel's public route: an HTTP gateway posts a customer's text to
 * POST /api/v1/public/sms/{tenant}/{queue} with no token, signed instead: header
 * X-Centrala-Signature is "sha256=" and the hex HMAC-SHA256 of the raw body with the
 * queue's shared secret. The engine holds the secret and checks it; this thread only
 * passes the raw body and the header on. Answers 202 once the text is taken.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#define SMS_WEBHOOK_MAX (64u << 10)

void api__h_public_sms(struct api_conn *conn, struct api_session *unused, const char *target)
{
	struct api_session s;
	char tenant[40], sig[160] = "", *slash;
	int n;

	(void)unused;
	(void)target; /* the queue alone: both parts are read from the path */
	target = conn->path + strlen("/api/v1/public/sms/");
	if (strncmp(conn->path, "/api/v1/public/sms/", strlen("/api/v1/public/sms/")) || !target ||
	    !(slash = strchr(target, '/')) || slash == target || !slash[1] ||
	    strchr(slash + 1, '/') || (size_t)(slash - target) >= sizeof(tenant)) {
		api__respond_error(conn, 404, "not_found", "expected /public/sms/TENANT/QUEUE",
				   NULL);
		return;
	}
	if (!conn->body || !conn->body_len || conn->body_len > SMS_WEBHOOK_MAX ||
	    memchr(conn->body, '\0', conn->body_len)) {
		api__respond_error(conn, 400, "invalid_body", "a JSON body of at most 64 KiB",
				   NULL);
		return;
	}
	/* No connection (the API's fuzz harness routes without one): no header. */
	n = conn->wsi
		? lws_hdr_custom_copy(conn->wsi, sig, sizeof(sig),
				      "x-centrala-signature:", (int)strlen("x-centrala-signature:"))
		: -1;
	if (n <= 0) {
		api__respond_error(conn, 401, "bad_signature",
				   "X-Centrala-Signature (sha256=HEX) is required", NULL);
		return;
	}
	snprintf(tenant, sizeof(tenant), "%.*s", (int)(slash - target), target);
	memset(&s, 0, sizeof(s));
	snprintf(s.tenant, sizeof(s.tenant), "%s", tenant);
	snprintf(s.user, sizeof(s.user), "sms-gateway");
	snprintf(conn->tenant, sizeof(conn->tenant), "%s", tenant);
	api__engine(conn, &s, API_OP_SMS_WEBHOOK, slash + 1,
		    json_pack("{s:s%, s:s}", "raw", conn->body, conn->body_len, "signature", sig));
}
