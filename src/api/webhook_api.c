/*
 * The webhook routes: list, create, read, replace, delete, and the delivery log. Reads of
 * the webhooks themselves come from the table in memory (webhook.c), so they cost no
 * query; writes go to a worker, which writes the store and the audit log and then the
 * table. A webhook of the configuration file is read-only here (409 naming the file):
 * the file stays its owner, so a restart never undoes a change made through the API.
 * A secret is shown once, in the answer that creates it; never again, never in a log.
 */
#include "api/api_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "store/store.h"

/* Responds 409 owned_by_file naming the webhook's line in the file. */
static void file_owned(struct api_conn *conn, const char *tenant, const char *id)
{
	const struct cfg_tenant *t = cfg_tenant_find(API_CFG(conn->a), tenant);
	char msg[200];
	int line = 0;

	for (size_t i = 0; t && i < t->nwebhooks; i++)
		if (t->webhooks[i].id && !strcmp(t->webhooks[i].id, id))
			line = t->webhooks[i].line;
	snprintf(msg, sizeof(msg),
		 "webhook %s is defined in the configuration file (line %d); change it there", id,
		 line);
	api__respond_error(conn, 409, "owned_by_file", msg, "id");
}

/* Checks a create or replace body; responds 400 and returns false when wrong. */
static bool hook_body(struct api_conn *conn, json_t *b, bool create)
{
	static const char *const create_fields[] = {"id", "url", "events", "secret", NULL};
	static const char *const put_fields[] = {"url", "events", "secret", NULL};
	const char *id = NULL, *url, *secret, *why;
	json_t *ev, *v;
	size_t i;
	char msg[160];

	if (!api__fields(conn, b, create ? create_fields : put_fields) ||
	    (create && !api__str(conn, b, "id", false, &id)) ||
	    !api__str(conn, b, "url", true, &url) || !api__str(conn, b, "secret", false, &secret))
		return false;
	if (id && (why = cfg_webhook_id_error(id))) {
		api__respond_error(conn, 400, "invalid_field", why, "id");
		return false;
	}
	if ((why = cfg_webhook_url_error(url)) ||
	    (!(API_CFG(conn->a) && API_CFG(conn->a)->http_webhooks.allow_private) &&
	     (why = cfg_webhook_target_error(url)))) {
		api__respond_error(conn, 400, "invalid_field", why, "url");
		return false;
	}
	if (secret && (why = cfg_webhook_secret_error(secret))) {
		api__respond_error(conn, 400, "invalid_field", why, "secret");
		return false;
	}
	ev = json_object_get(b, "events");
	if (!json_is_array(ev) || !json_array_size(ev) || json_array_size(ev) > 64) {
		api__respond_error(conn, 400, "invalid_field",
				   "events is a list of 1 to 64 event types (\"*\": all)",
				   "events");
		return false;
	}
	json_array_foreach(ev, i, v)
	{
		if (!cfg_webhook_event_known(json_string_value(v))) {
			snprintf(msg, sizeof(msg), "events[%zu]: unknown event type", i);
			api__respond_error(conn, 400, "invalid_field", msg, "events");
			return false;
		}
	}
	return true;
}

/* The webhook `id` of the caller's tenant exists and may be changed here; else responds
 * 404 or 409 and returns false. */
static bool hook_writable(struct api_conn *conn, struct api_session *s, const char *id,
			  bool for_write)
{
	bool from_file = false;
	json_t *j = api__webhook_json(conn->a, s->tenant, id, &from_file);

	if (!j) {
		api__respond_error(conn, 404, "not_found", "no such webhook", NULL);
		return false;
	}
	json_decref(j);
	if (for_write && from_file) {
		file_owned(conn, s->tenant, id);
		return false;
	}
	return true;
}

void api__h_webhooks(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__respond(
	    conn, 200,
	    json_pack("{s:o, s:n}", "items", api__webhooks_json(conn->a, s->tenant), "next"));
}

void api__h_webhook_get(struct api_conn *conn, struct api_session *s, const char *target)
{
	json_t *j = api__webhook_json(conn->a, s->tenant, target, NULL);

	if (!j)
		api__respond_error(conn, 404, "not_found", "no such webhook", NULL);
	else
		api__respond(conn, 200, j);
}

void api__h_webhook_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	json_t *b = api__body(conn);
	const char *id;
	bool from_file = false;
	json_t *old;

	if (!b)
		return;
	if (!hook_body(conn, b, true)) {
		json_decref(b);
		return;
	}
	id = json_string_value(json_object_get(b, "id"));
	if (id && (old = api__webhook_json(conn->a, s->tenant, id, &from_file))) {
		json_decref(old);
		if (from_file)
			file_owned(conn, s->tenant, id);
		else
			api__respond_error(conn, 409, "exists", "a webhook with this id exists",
					   "id");
		json_decref(b); /* after: id points into it */
		return;
	}
	api__job_init(&j, conn, JOB_WEBHOOK_CREATE, NULL, b);
	api__job(conn, &j);
}

void api__h_webhook_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	json_t *b;

	if (!hook_writable(conn, s, target, true) || !(b = api__body(conn)))
		return;
	if (!hook_body(conn, b, false)) {
		json_decref(b);
		return;
	}
	api__job_init(&j, conn, JOB_WEBHOOK_UPDATE, target, b);
	api__job(conn, &j);
}

void api__h_webhook_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;

	if (!hook_writable(conn, s, target, true))
		return;
	api__job_init(&j, conn, JOB_WEBHOOK_DELETE, target, NULL);
	api__job(conn, &j);
}

void api__h_webhook_deliveries(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	char buf[32];
	long limit = 50;

	if (!hook_writable(conn, s, target, false))
		return;
	if (api__query(conn, "limit", buf, sizeof(buf))) {
		char *end;
		limit = strtol(buf, &end, 10);
		if (*end || limit < 1 || limit > 500) {
			api__respond_error(conn, 400, "invalid_parameter", "limit must be 1 to 500",
					   "limit");
			return;
		}
	}
	api__job_init(&j, conn, JOB_WEBHOOK_DELIVERIES, target,
		      json_pack("{s:i}", "limit", (int)limit));
	api__job(conn, &j);
}

/* ---- on the workers ---- */

static void store_failed(struct api *a, const struct api_job *j, struct store_db *db, int err)
{
	if (err == EEXIST) {
		api_reply_error(a, j->req, 409, "exists", "a webhook with this id exists");
		return;
	}
	log_error("api", "tenant=%s event=store_error err=%s msg=\"%s\"", j->tenant, strerror(err),
		  store_db_errmsg(db));
	api_reply_error(a, j->req, err == EAGAIN ? 503 : 500, "store_error",
			"the database refused the request");
}

static void do_create(struct api *a, struct store_db *db, const struct api_job *j)
{
	const char *id = json_string_value(json_object_get(j->args, "id"));
	const char *url = json_string_value(json_object_get(j->args, "url"));
	const char *secret = json_string_value(json_object_get(j->args, "secret"));
	json_t *ev = json_object_get(j->args, "events"), *out;
	char idbuf[CRM_ID_SIZE], sec[64], *events;
	struct store_webhook w;
	int64_t now = clock_wall_ms();
	int err;

	if (!id) {
		crm_id_new(idbuf);
		id = idbuf;
	}
	if (!secret) {
		unsigned char raw[32];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2base64(sec, sizeof(sec), raw, sizeof(raw),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof(raw));
		secret = sec;
	}
	if (!(events = json_dumps(ev, JSON_COMPACT))) {
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		return;
	}
	memset(&w, 0, sizeof(w));
	w.tenant = j->tenant;
	w.id = id;
	w.url = url;
	w.events = events;
	w.secret = secret;
	w.created_ms = w.updated_ms = now;
	err = store_db_webhook_insert(db, &w);
	free(events);
	if (!err)
		err = api__webhook_set(a, j->tenant, id, url, ev, secret, now, now);
	if (err) {
		store_failed(a, j, db, err);
		goto out;
	}
	api__audit(db, j, "webhook", id, "create", "url,events,secret");
	log_info("api", "tenant=%s event=webhook_created webhook=%s by=%s", j->tenant, id, j->user);
	out = api__webhook_json(a, j->tenant, id, NULL);
	if (out)
		json_object_set_new(out, "secret", json_string(secret));
	api_reply(a, j->req, out ? 201 : 500, out);
out:
	sodium_memzero(sec, sizeof(sec));
}

static void do_update(struct api *a, struct store_db *db, const struct api_job *j)
{
	const char *url = json_string_value(json_object_get(j->args, "url"));
	const char *secret = json_string_value(json_object_get(j->args, "secret"));
	json_t *ev = json_object_get(j->args, "events");
	char *events = json_dumps(ev, JSON_COMPACT);
	struct store_webhook w;
	int64_t now = clock_wall_ms();
	int err;

	if (!events) {
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		return;
	}
	memset(&w, 0, sizeof(w));
	w.tenant = j->tenant;
	w.id = j->target;
	w.url = url;
	w.events = events;
	w.secret = secret;
	w.updated_ms = now;
	err = store_db_webhook_update(db, &w);
	free(events);
	if (!err)
		err = api__webhook_set(a, j->tenant, j->target, url, ev, secret, 0, now);
	if (err == EINVAL) {
		/* Deleted since the request was checked: nothing to keep a secret of. */
		api_reply_error(a, j->req, 404, "not_found", "no such webhook");
		return;
	}
	if (err) {
		store_failed(a, j, db, err);
		return;
	}
	api__audit(db, j, "webhook", j->target, "update",
		   secret ? "url,events,secret" : "url,events");
	log_info("api", "tenant=%s event=webhook_updated webhook=%s by=%s", j->tenant, j->target,
		 j->user);
	api_reply(a, j->req, 200, api__webhook_json(a, j->tenant, j->target, NULL));
}

static void do_delete(struct api *a, struct store_db *db, const struct api_job *j)
{
	int err = store_db_webhook_delete(db, j->tenant, j->target);

	if (err) {
		store_failed(a, j, db, err);
		return;
	}
	api__webhook_remove(a, j->tenant, j->target);
	api__audit(db, j, "webhook", j->target, "delete", NULL);
	log_info("api", "tenant=%s event=webhook_deleted webhook=%s by=%s", j->tenant, j->target,
		 j->user);
	api_reply(a, j->req, 204, NULL);
}

static int delivery_row(const struct store_delivery *d, void *arg)
{
	json_t *items = arg;
	char c[32], u[32], n[32];
	bool pending = d->state && !strcmp(d->state, "pending");

	json_array_append_new(
	    items, json_pack("{s:s, s:I, s:s, s:s, s:i, s:o, s:s?, s:s?, s:s, s:s}", "id", d->id,
			     "seq", (json_int_t)d->event_seq, "type", d->event_type, "state",
			     d->state, "attempts", (int)d->attempts, "last_status",
			     d->last_status ? json_integer(d->last_status) : json_null(),
			     "last_error", d->last_error, "next_attempt",
			     pending ? clock_iso8601(d->next_ms, n, sizeof(n)) : NULL, "created",
			     clock_iso8601(d->created_ms, c, sizeof(c)), "updated",
			     clock_iso8601(d->updated_ms, u, sizeof(u))));
	return 0;
}

static void do_deliveries(struct api *a, struct store_db *db, const struct api_job *j)
{
	json_t *items = json_array();
	size_t limit = (size_t)json_integer_value(json_object_get(j->args, "limit"));
	int err = store_db_deliveries(db, j->tenant, j->target, limit, delivery_row, items);

	if (err) {
		json_decref(items);
		store_failed(a, j, db, err);
		return;
	}
	api_reply(a, j->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

bool api__ext_job(struct api *a, struct store_db *db, const struct api_job *j)
{
	switch (j->kind) {
	case JOB_WEBHOOK_CREATE:
		do_create(a, db, j);
		return true;
	case JOB_WEBHOOK_UPDATE:
		do_update(a, db, j);
		return true;
	case JOB_WEBHOOK_DELETE:
		do_delete(a, db, j);
		return true;
	case JOB_WEBHOOK_DELIVERIES:
		do_deliveries(a, db, j);
		return true;
	default:
		return api__key_job(a, db, j);
	}
}
