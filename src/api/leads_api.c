/*
 * Lead lists and do-not-call numbers through the API (docs/api.md, docs/dialer.md):
 * `POST /api/v1/lists/{id}/leads` and `POST /api/v1/dnc` take a CSV body (Content-Type
 * text/csv) and import it on a worker with the store's own import (the same checks and
 * messages as `centrala import`), `GET /api/v1/lists/{id}/leads` exports the list's
 * results as CSV, `GET /api/v1/lists` lists the tenant's lists with their counts. A body is bounded
 * by the API's body limit; larger lists go through the command line, which streams. `GET
 * /api/v1/dnc` lists a do-not-call list page by page and `DELETE /api/v1/dnc/{phone}` removes a
 * number from it (`?campaign=` for a campaign's list, else the tenant's).
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mq.h"
#include "crm/crm.h"
#include "store/store.h"

#define MAX_ERRORS   100
#define DNC_PAGE_MAX 1000

static bool csv_body(struct api_conn *conn, json_t **out)
{
	char ctype[128] = "";
	json_t *csv;

	if (lws_hdr_copy(conn->wsi, ctype, sizeof(ctype), WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0 ||
	    strncasecmp(ctype, "text/csv", 8)) {
		api__respond_error(conn, 415, "unsupported_media_type",
				   "the body must be CSV (Content-Type: text/csv)", NULL);
		return false;
	}
	csv = json_stringn(conn->body ? conn->body : "", conn->body_len);
	if (!csv) {
		api__respond_error(conn, 400, "invalid", "the CSV is not UTF-8 text", NULL);
		return false;
	}
	*out = json_pack("{so}", "csv", csv);
	if (!*out) {
		api__respond_error(conn, 500, "internal", "out of memory", NULL);
		return false;
	}
	return true;
}

/* Query parameters shared by both imports: skip_bad, country, map, sep. */
static bool import_args(struct api_conn *conn, json_t *args)
{
	static const char *const names[] = {"country", "map", "sep", "campaign"};
	char buf[256];
	const char *v;

	if ((v = api__query(conn, "skip_bad", buf, sizeof(buf)))) {
		if (strcmp(v, "true") && strcmp(v, "false")) {
			api__respond_error(conn, 400, "invalid", "skip_bad is true or false",
					   "skip_bad");
			return false;
		}
		json_object_set_new(args, "skip_bad", json_boolean(!strcmp(v, "true")));
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if ((v = api__query(conn, names[i], buf, sizeof(buf))))
			json_object_set_new(args, names[i], json_string(v));
	return true;
}

/* A CSV import (leads into a list, numbers into the do-not-call list) as a job. */
static void import(struct api_conn *conn, enum api_job_kind kind, const char *target)
{
	struct api_job j;
	json_t *args;

	if (!csv_body(conn, &args))
		return;
	if (!import_args(conn, args)) {
		json_decref(args);
		return;
	}
	api__job_init(&j, conn, kind, target, args);
	api__job(conn, &j);
}

/* A CSV field, quoted (RFC 4180) when it must be. */
static void csv_field(FILE *f, const char *v)
{
	if (!strpbrk(v, ",\"\r\n")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

/* One lead as JSON ({phone, name?, timezone?, priority?, fields?}): written as a CSV of
 * one row, so the import's own checks and messages apply. NULL after responding. */
static json_t *single_lead(struct api_conn *conn)
{
	static const char *const keys[] = {"phone", "name", "timezone", "priority", "fields", NULL};
	json_t *b = api__body(conn), *fields, *v, *out = NULL;
	const char *k, *names[] = {"phone", "name", "timezone"};
	char *text = NULL, num[32];
	size_t len = 0;
	FILE *f;

	if (!b || !api__fields(conn, b, keys))
		goto out;
	fields = json_object_get(b, "fields");
	if (!json_is_string(json_object_get(b, "phone"))) {
		api__respond_error(conn, 400, "invalid_field", "phone is required (a string)",
				   "phone");
		goto out;
	}
	for (int i = 1; i < 3; i++)
		if ((v = json_object_get(b, names[i])) && !json_is_string(v)) {
			api__respond_error(conn, 400, "invalid_field", "expected a string",
					   names[i]);
			goto out;
		}
	if ((v = json_object_get(b, "priority")) && !json_is_integer(v)) {
		api__respond_error(conn, 400, "invalid_field",
				   "priority must be a whole number from -1000 to 1000",
				   "priority");
		goto out;
	}
	if (fields && !json_is_object(fields)) {
		api__respond_error(conn, 400, "invalid_field",
				   "fields must be an object of strings", "fields");
		goto out;
	}
	json_object_foreach(fields, k, v) if (!json_is_string(v) || !api__key_ok(k, false) ||
					      !strcmp(k, "phone") || !strcmp(k, "name") ||
					      !strcmp(k, "timezone") || !strcmp(k, "priority"))
	{
		api__respond_error(conn, 400, "invalid_field",
				   "fields: names of letters, digits, '-', '_' and '.' (not phone, "
				   "name, timezone or priority), values strings",
				   "fields");
		goto out;
	}
	if (!(f = open_memstream(&text, &len))) {
		api__respond_error(conn, 500, "internal", "out of memory", NULL);
		goto out;
	}
	fputs("phone,name,timezone,priority", f);
	json_object_foreach(fields, k, v) fprintf(f, ",%s", k);
	fputc('\n', f);
	for (int i = 0; i < 3; i++) {
		if (i)
			fputc(',', f);
		csv_field(f, json_string_value(json_object_get(b, names[i])) ?: "");
	}
	snprintf(num, sizeof(num), ",%lld",
		 (long long)json_integer_value(json_object_get(b, "priority")));
	fputs(json_object_get(b, "priority") ? num : ",", f);
	json_object_foreach(fields, k, v)
	{
		fputc(',', f);
		csv_field(f, json_string_value(v));
	}
	fputc('\n', f);
	fclose(f);
	out = json_pack("{s:s, s:b}", "csv", text ? text : "", "single", 1);
	if (!out)
		api__respond_error(conn, 500, "internal", "out of memory", NULL);
out:
	free(text);
	json_decref(b);
	return out;
}

void api__h_list_leads_import(struct api_conn *conn, struct api_session *s, const char *target)
{
	char ctype[128] = "";
	struct api_job j;
	json_t *args;

	(void)s;
	if (lws_hdr_copy(conn->wsi, ctype, sizeof(ctype), WSI_TOKEN_HTTP_CONTENT_TYPE) > 0 &&
	    !strncasecmp(ctype, "application/json", 16)) {
		if (!(args = single_lead(conn)))
			return;
		if (!import_args(conn, args)) {
			json_decref(args);
			return;
		}
		api__job_init(&j, conn, JOB_LEADS_IMPORT, target, args);
		api__job(conn, &j);
		return;
	}
	import(conn, JOB_LEADS_IMPORT, target);
}

void api__h_dnc_import(struct api_conn *conn, struct api_session *s, const char *target)
{
	(void)s;
	import(conn, JOB_DNC_IMPORT, target);
}

void api__h_list_leads_export(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;

	(void)s;
	api__job_init(&j, conn, JOB_LEADS_EXPORT, target, NULL);
	api__job(conn, &j);
}

void api__h_lists(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;

	(void)s;
	api__job_init(&j, conn, JOB_LISTS, target, NULL);
	api__job(conn, &j);
}

/* GET /api/v1/dnc?campaign=C&limit=N&cursor=PHONE: the numbers after the cursor. */
void api__h_dnc_list(struct api_conn *conn, struct api_session *s, const char *target)
{
	char campaign[64] = "", cursor[40] = "", lim[16] = "";
	struct api_job j;
	long limit = 100;

	(void)s;
	api__query(conn, "campaign", campaign, sizeof(campaign));
	api__query(conn, "cursor", cursor, sizeof(cursor));
	if (api__query(conn, "limit", lim, sizeof(lim))) {
		char *end;
		limit = strtol(lim, &end, 10);
		if (*end || limit < 1 || limit > DNC_PAGE_MAX) {
			api__respond_error(conn, 400, "invalid_field",
					   "limit is a whole number from 1 to 1000", "limit");
			return;
		}
	}
	api__job_init(&j, conn, JOB_DNC_LIST, target,
		      json_pack("{s:s, s:s, s:I}", "campaign", campaign, "cursor", cursor, "limit",
				(json_int_t)limit));
	api__job(conn, &j);
}

/* DELETE /api/v1/dnc/{phone}?campaign=C: the number in any written form. */
void api__h_dnc_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	const struct cfg_tenant *t = cfg_tenant_find(API_CFG(conn->a), s->tenant);
	char campaign[64] = "", e164[CRM_E164_SIZE];
	struct api_job j;

	api__query(conn, "campaign", campaign, sizeof(campaign));
	if (crm_phone_e164(target, t && t->country && *t->country ? t->country : NULL, e164)) {
		api__respond_error(conn, 400, "invalid_field", "not a phone number", "phone");
		return;
	}
	api__job_init(&j, conn, JOB_DNC_DELETE, e164, json_pack("{s:s}", "campaign", campaign));
	api__job(conn, &j);
}

static const char *arg_str(const struct api_job *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j->args, key));

	return v && *v ? v : NULL;
}

/* Tells the engine that leads or do-not-call numbers were stored, for the campaigns that
 * run (no reply: req 0). Any thread may push to the engine's queue. */
static void leads_added(struct api *a, const struct api_job *j, bool dnc, const char *campaign,
			json_t *phones)
{
	struct api_cmd m;

	memset(&m, 0, sizeof(m));
	m.op = API_OP_LEADS_ADDED;
	snprintf(m.tenant, sizeof(m.tenant), "%s", j->tenant);
	snprintf(m.target, sizeof(m.target), "%s", dnc ? "" : j->target);
	/* A few numbers go with the message: the campaigns block them at once, before the
	 * lists are read again. */
	m.args = dnc ? json_pack("{s:b, s:s, s:O?}", "dnc", 1, "campaign", campaign ? campaign : "",
				 "phones", phones)
		     : NULL;
	if (mq_push(a->c.cmds, &m, sizeof(m))) {
		json_decref(m.args);
		log_warn("api",
			 "tenant=%s event=leads_added_not_told note=\"running campaigns "
			 "read them when they read their lists again\"",
			 j->tenant);
	}
}

/* Tells the engine that a number left a do-not-call list: the running campaigns dial it
 * again (unless another of their lists has it) without a restart. */
static void dnc_removed(struct api *a, const struct api_job *j, const char *campaign)
{
	struct api_cmd m;

	memset(&m, 0, sizeof(m));
	m.op = API_OP_LEADS_ADDED;
	snprintf(m.tenant, sizeof(m.tenant), "%s", j->tenant);
	m.args =
	    json_pack("{s:s, s:s}", "dnc_removed", j->target, "campaign", campaign ? campaign : "");
	if (mq_push(a->c.cmds, &m, sizeof(m))) {
		json_decref(m.args);
		log_warn("api",
			 "tenant=%s event=dnc_removed_not_told note=\"running campaigns dial it "
			 "after a restart\"",
			 j->tenant);
	}
}

#define DNC_TOLD_MAX 1000 /* numbers passed to the engine with an import */

/* Collects a do-not-call import's numbers, up to DNC_TOLD_MAX (then none: too many). */
static void dnc_number(const char *e164, void *arg)
{
	json_t **v = arg;

	if (!*v)
		return;
	if (json_array_size(*v) >= DNC_TOLD_MAX) {
		json_decref(*v);
		*v = NULL;
		return;
	}
	json_array_append_new(*v, json_string(e164));
}

/* The audit entry of an import or a removal (the numbers themselves are not listed). */
static void do_import(struct api *a, struct store_db *db, const struct api_job *j, bool dnc)
{
	const char *csv = arg_str(j, "csv"), *sep = arg_str(j, "sep");
	const struct cfg_tenant *t = cfg_tenant_find(a->c.cfg, j->tenant);
	struct store_import_opts o = {
	    .tenant = j->tenant,
	    .list = dnc ? NULL : j->target,
	    .campaign = dnc ? arg_str(j, "campaign") : NULL,
	    .country = arg_str(j, "country"),
	    .map = arg_str(j, "map"),
	    .sep = sep && (sep[0] == ';' || sep[0] == '\t') ? sep[0] : ',',
	    .skip_bad = json_is_true(json_object_get(j->args, "skip_bad")),
	    .name = "body",
	    .max_report = MAX_ERRORS,
	};
	struct store_import_result r = {0};
	json_t *phones = dnc ? json_array() : NULL;
	char *msgs = NULL;
	size_t msgs_len = 0;
	FILE *in, *err;
	json_t *body, *lines;
	int rc;

	if (!o.country && t && t->country && *t->country)
		o.country = t->country;
	/* fmemopen refuses a size of 0: an empty body reads as one blank line. */
	in = csv ? fmemopen((void *)csv, strlen(csv), "r") : fmemopen("\n", 1, "r");
	err = open_memstream(&msgs, &msgs_len);
	if (!in || !err) {
		if (in)
			fclose(in);
		if (err)
			fclose(err);
		free(msgs);
		json_decref(phones);
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		return;
	}
	o.err = err;
	if (dnc) {
		o.on_number = dnc_number;
		o.on_number_arg = &phones;
	}
	rc = dnc ? store_db_import_dnc(db, in, &o, &r) : store_db_import_leads(db, in, &o, &r);
	fclose(in);
	fclose(err);
	lines = json_array();
	for (char *save = NULL, *l = strtok_r(msgs, "\n", &save); l && lines;
	     l = strtok_r(NULL, "\n", &save))
		json_array_append_new(lines, json_string(l));
	free(msgs);
	if (rc == EIO || rc == ENOMEM) {
		json_decref(lines);
		json_decref(phones);
		log_error("api", "tenant=%s event=import_failed list=%s error=\"%s\"", j->tenant,
			  dnc ? "dnc" : j->target, store_db_errmsg(db));
		api_reply_error(a, j->req, 503, "store_unavailable", "the store failed; try again");
		return;
	}
	body = json_pack("{sI sI sI sI sI so}", "rows", (json_int_t)r.rows, "imported",
			 (json_int_t)r.imported, "bad", (json_int_t)r.bad, "duplicates_in_list",
			 (json_int_t)r.dup_list, "duplicates_in_other_lists",
			 (json_int_t)r.dup_other, "messages", lines ? lines : json_array());
	if (rc == EINVAL && body) {
		json_object_set_new(body, "error",
				    json_string(r.bad ? "bad_rows: nothing imported (skip_bad=true "
							"imports the good rows)"
						      : "bad_header"));
		json_object_set_new(body, "code", json_string(r.bad ? "bad_rows" : "invalid"));
	}
	if (!rc && r.imported)
		leads_added(a, j, dnc, o.campaign, phones);
	json_decref(phones);
	if (!rc) {
		char detail[128];
		snprintf(detail, sizeof(detail), "rows=%llu imported=%llu bad=%llu",
			 (unsigned long long)r.rows, (unsigned long long)r.imported,
			 (unsigned long long)r.bad);
		api__audit(db, j, dnc ? "dnc" : "lead_list",
			   dnc ? (o.campaign ? o.campaign : "tenant") : j->target, "import",
			   detail);
	}
	if (!rc)
		log_info("api", "tenant=%s event=%s list=%s rows=%llu imported=%llu bad=%llu by=%s",
			 j->tenant, dnc ? "dnc_imported" : "leads_imported",
			 dnc ? (o.campaign ? o.campaign : "tenant") : j->target,
			 (unsigned long long)r.rows, (unsigned long long)r.imported,
			 (unsigned long long)r.bad, j->user);
	if (json_is_true(json_object_get(j->args, "single")) && body) {
		/* One lead: 201 added, 409 when the list has the number, 400 naming what is
		 * wrong with it (the CSV's column is the field). */
		if (!rc && r.imported) {
			api_reply(a, j->req, 201, body);
		} else if (!rc) {
			json_decref(body);
			api_reply(a, j->req, 409,
				  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "duplicate",
					    "message", "the list has this number already", "field",
					    "phone"));
		} else {
			static const char *const cols[] = {"phone", "name", "timezone", "priority"};
			const char *m = json_string_value(json_array_get(lines, 0));
			unsigned line = 0, col = 0;
			char msg[256];
			const char *p = m ? strstr(m, ": ") : NULL;
			if (m)
				sscanf(m, "body:%u:%u", &line, &col);
			snprintf(msg, sizeof(msg), "%s", p ? p + 2 : "invalid lead");
			json_decref(body);
			api_reply(a, j->req, 400,
				  json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field",
					    "message", msg, "field",
					    col >= 1 && col <= 4 ? cols[col - 1] : "fields"));
		}
		return;
	}
	api_reply(a, j->req, rc ? 422 : 200, body);
}

static void do_export(struct api *a, struct store_db *db, const struct api_job *j)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f) {
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		return;
	}
	rc = store_db_export_leads(db, j->tenant, j->target, f);
	fclose(f);
	if (rc)
		api_reply_error(a, j->req, 503, "store_unavailable", "the store failed; try again");
	else
		api_reply_text(a, j->req, 200, "text/csv; charset=utf-8", text, len);
	free(text);
}

#define PAGE_FULL (-1) /* from dnc_row: the page is full and one more number exists */

struct dnc_page {
	size_t limit;
	json_t *items;
	char last[40];
	bool more;
};

static int dnc_row(const char *phone, void *arg)
{
	struct dnc_page *pg = arg;

	if (json_array_size(pg->items) == pg->limit) {
		pg->more = true;
		return PAGE_FULL;
	}
	json_array_append_new(pg->items, json_pack("{s:s}", "phone", phone));
	snprintf(pg->last, sizeof(pg->last), "%s", phone);
	return 0;
}

/* A page: the numbers after the cursor (the last number of the page before), in order. */
static void do_dnc_list(struct api *a, struct store_db *db, const struct api_job *j)
{
	const char *campaign = arg_str(j, "campaign"), *cursor = arg_str(j, "cursor");
	struct dnc_page pg = {
	    .limit = (size_t)json_integer_value(json_object_get(j->args, "limit")),
	    .items = json_array(),
	};
	int rc;

	if (!pg.items) {
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		return;
	}
	rc = store_db_dnc_list_after(db, j->tenant, campaign ? campaign : "", cursor ? cursor : "",
				     dnc_row, &pg);
	if (rc && rc != PAGE_FULL) {
		json_decref(pg.items);
		api_reply_error(a, j->req, 503, "store_unavailable", "the store failed; try again");
		return;
	}
	api_reply(a, j->req, 200,
		  json_pack("{s:o, s:s?}", "items", pg.items, "next", pg.more ? pg.last : NULL));
}

static void do_dnc_delete(struct api *a, struct store_db *db, const struct api_job *j)
{
	const char *campaign = arg_str(j, "campaign");

	if (store_db_dnc_delete(db, j->tenant, campaign ? campaign : "", j->target)) {
		api_reply_error(a, j->req, 503, "store_unavailable", "the store failed; try again");
		return;
	}
	log_info("api", "tenant=%s event=dnc_removed list=%s phone=%s by=%s", j->tenant,
		 campaign ? campaign : "tenant", j->target, j->user);
	{
		char detail[128];
		snprintf(detail, sizeof(detail), "phone=%s", j->target);
		api__audit(db, j, "dnc", campaign ? campaign : "tenant", "delete", detail);
	}
	dnc_removed(a, j, campaign);
	api_reply(a, j->req, 204, NULL);
}

static int list_row(const struct store_lead_list *l, void *arg)
{
	char c[40], u[40];
	json_t *o = json_pack("{s:s, s:s?, s:s, s:s, s:I, s:I}", "id", l->id, "country", l->country,
			      "created", clock_iso8601(l->created_ms, c, sizeof(c)), "updated",
			      clock_iso8601(l->updated_ms, u, sizeof(u)), "leads",
			      (json_int_t)l->leads, "open", (json_int_t)l->open);

	return o && !json_array_append_new(arg, o) ? 0 : ENOMEM;
}

static void do_lists(struct api *a, struct store_db *db, const struct api_job *j)
{
	json_t *items = json_array();
	int rc = items ? store_db_lead_lists(db, j->tenant, list_row, items) : ENOMEM;

	if (rc) {
		json_decref(items);
		if (rc == ENOMEM)
			api_reply_error(a, j->req, 500, "internal", "out of memory");
		else
			api_reply_error(a, j->req, 503, "store_unavailable",
					"the store failed; try again");
		return;
	}
	api_reply(a, j->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

bool api__leads_job(struct api *a, struct store_db *db, const struct api_job *j)
{
	switch (j->kind) {
	case JOB_LEADS_IMPORT:
		do_import(a, db, j, false);
		return true;
	case JOB_DNC_IMPORT:
		do_import(a, db, j, true);
		return true;
	case JOB_LEADS_EXPORT:
		do_export(a, db, j);
		return true;
	case JOB_DNC_LIST:
		do_dnc_list(a, db, j);
		return true;
	case JOB_DNC_DELETE:
		do_dnc_delete(a, db, j);
		return true;
	case JOB_LISTS:
		do_lists(a, db, j);
		return true;
	default:
		return false;
	}
}
