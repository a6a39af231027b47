/*
 * Contacts through the API: create, read with the contact's latest interactions,
 * update (the fields given; null clears one), delete (admin), merge a duplicate into
 * the contact (its interactions move, it is removed), and search by the start
 * of a name, by e-mail or by phone number in any written form (normalised to E.164
 * with the tenant's country), in keyset pages like the interactions. Bodies are checked
 * on the service thread (unknown fields, types, each phone and e-mail, with the path
 * of the field at fault) and applied on a worker, which also writes the audit entry.
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

#define HISTORY_DEFAULT 10
#define HISTORY_MAX	100

static const char *const contact_fields[] = {"first_name", "last_name", "company",     "phones",
					     "emails",	   "language",	"timezone",    "tags",
					     "custom",	   "vip",	"do_not_call", NULL};
static const char *const str_fields[] = {"first_name", "last_name", "company",
					 "language",   "timezone",  NULL};

static const char *tenant_country(const struct api *a, const char *tenant)
{
	const struct cfg_tenant *t = cfg_tenant_find(API_CFG(a), tenant);

	return t && t->country && *t->country ? t->country : NULL;
}

/*
 * Applies body `b` to contact c: each field present replaces the contact's (null
 * clears it). On a wrong field returns EINVAL with its path ("phones[1]") in `field`
 * and why in `msg`; ENOMEM when memory ran out.
 */
static int contact_apply(struct crm_contact *c, json_t *b, const char *country, char *field,
			 size_t fsize, char *msg, size_t msize)
{
	json_t *v;
	int err;

	for (size_t i = 0; str_fields[i]; i++) {
		char **dst = !strcmp(str_fields[i], "first_name")  ? &c->first_name
			     : !strcmp(str_fields[i], "last_name") ? &c->last_name
			     : !strcmp(str_fields[i], "company")   ? &c->company
			     : !strcmp(str_fields[i], "language")  ? &c->language
								   : &c->timezone;
		if (!(v = json_object_get(b, str_fields[i])))
			continue;
		if (!json_is_null(v) && (!json_is_string(v) || json_string_length(v) > 256)) {
			snprintf(field, fsize, "%s", str_fields[i]);
			snprintf(msg, msize, "%s must be a string of at most 256 bytes or null",
				 str_fields[i]);
			return EINVAL;
		}
		if ((err = crm_str_set(dst, json_is_null(v)	    ? NULL
					    : json_string_length(v) ? json_string_value(v)
								    : NULL)))
			return err;
	}
	for (size_t k = 0; k < 3; k++) {
		static const char *const names[] = {"phones", "emails", "tags"};
		char ***vec = k == 0 ? &c->phones : k == 1 ? &c->emails : &c->tags;
		size_t *n = k == 0 ? &c->nphones : k == 1 ? &c->nemails : &c->ntags;
		size_t i;
		json_t *e;

		if (!(v = json_object_get(b, names[k])))
			continue;
		if (!json_is_array(v) && !json_is_null(v)) {
			snprintf(field, fsize, "%s", names[k]);
			snprintf(msg, msize, "%s must be an array of strings", names[k]);
			return EINVAL;
		}
		if (json_array_size(v) > 32) {
			snprintf(field, fsize, "%s", names[k]);
			snprintf(msg, msize, "%s holds at most 32 entries", names[k]);
			return EINVAL;
		}
		for (i = 0; i < *n; i++)
			free((*vec)[i]);
		free(*vec);
		*vec = NULL;
		*n = 0;
		json_array_foreach(v, i, e)
		{
			const char *s = json_string_value(e);
			snprintf(field, fsize, "%s[%zu]", names[k], i);
			if (!s || !*s || strlen(s) > 256) {
				snprintf(msg, msize, "%s[%zu] must be a non-empty string", names[k],
					 i);
				return EINVAL;
			}
			err = k == 0   ? crm_contact_add_phone(c, s, country)
			      : k == 1 ? crm_contact_add_email(c, s)
				       : crm_contact_add_tag(c, s);
			if (err == EINVAL)
				snprintf(msg, msize,
					 k == 0 ? "%s[%zu] is not a phone number"
						: "%s[%zu] is not an e-mail address",
					 names[k], i);
			if (err)
				return err;
		}
		field[0] = '\0';
	}
	if ((v = json_object_get(b, "custom"))) {
		char *text = NULL;
		if (!json_is_object(v) && !json_is_null(v)) {
			snprintf(field, fsize, "custom");
			snprintf(msg, msize, "custom must be an object");
			return EINVAL;
		}
		if (json_is_object(v) &&
		    !(text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER)))
			return ENOMEM;
		err = crm_contact_set_custom(c, text);
		free(text);
		if (err)
			return err;
	}
	for (size_t k = 0; k < 2; k++) {
		const char *name = k ? "do_not_call" : "vip";
		if (!(v = json_object_get(b, name)))
			continue;
		if (!json_is_boolean(v)) {
			snprintf(field, fsize, "%s", name);
			snprintf(msg, msize, "%s must be true or false", name);
			return EINVAL;
		}
		*(k ? &c->dnc : &c->vip) = json_is_true(v);
	}
	return 0;
}

/* Checks a body on the service thread; false after responding 400. */
static bool body_ok(struct api_conn *conn, json_t *b, bool create)
{
	struct crm_contact *c;
	char field[64] = "", msg[160] = "";
	int err;

	if (!api__fields(conn, b, contact_fields))
		return false;
	if ((err = crm_contact_new(NULL, &c))) {
		api__respond_error(conn, 503, "busy", "out of memory", NULL);
		return false;
	}
	err = contact_apply(c, b, tenant_country(conn->a, conn->tenant), field, sizeof(field), msg,
			    sizeof(msg));
	if (!err && create && !c->first_name && !c->last_name && !c->company && !c->nphones &&
	    !c->nemails) {
		err = EINVAL;
		snprintf(msg, sizeof(msg),
			 "a contact needs a name, a company, a phone number or an e-mail address");
	}
	crm_contact_free(c);
	if (err == ENOMEM) {
		api__respond_error(conn, 503, "busy", "out of memory", NULL);
		return false;
	}
	if (err) {
		api__respond_error(conn, 400, "invalid_field", msg, field[0] ? field : NULL);
		return false;
	}
	return true;
}

void api__h_contact_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	json_t *b = api__body(conn);

	(void)s;
	if (!b)
		return;
	if (!body_ok(conn, b, true)) {
		json_decref(b);
		return;
	}
	api__job_init(&j, conn, JOB_CONTACT_CREATE, target, NULL);
	j.args = b;
	api__job(conn, &j);
}

void api__h_contact_update(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	json_t *b = api__body(conn);

	(void)s;
	if (!b)
		return;
	if (!body_ok(conn, b, false)) {
		json_decref(b);
		return;
	}
	api__job_init(&j, conn, JOB_CONTACT_PUT, target, NULL);
	j.args = b;
	api__job(conn, &j);
}

void api__h_contact_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;

	(void)s;
	api__job_init(&j, conn, JOB_CONTACT_DELETE, target, NULL);
	api__job(conn, &j);
}

/* POST /api/v1/contacts/{id}/merge {"from": ID}: the duplicate `from` goes into {id}. */
void api__h_contact_merge(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"from", NULL};
	struct api_job j;
	json_t *b = api__body(conn);
	const char *from;

	(void)s;
	if (!b)
		return;
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "from", true, &from))
		goto out;
	if (!*from || strlen(from) >= CRM_ID_SIZE || !strcmp(from, target)) {
		api__respond_error(conn, 400, "invalid_field",
				   "from must be the id of another contact", "from");
		goto out;
	}
	api__job_init(&j, conn, JOB_CONTACT_MERGE, target, NULL);
	j.args = b;
	api__job(conn, &j);
	return;
out:
	json_decref(b);
}

/* Refuses query parameters outside `known`; false after responding 400. */
static bool params_known(struct api_conn *conn, const char *const *known)
{
	char msg[128];

	for (const char *p = conn->query; *p;) {
		const char *eq = strchr(p, '='), *amp = strchr(p, '&');
		size_t n = eq && (!amp || eq < amp) ? (size_t)(eq - p)
			   : amp		    ? (size_t)(amp - p)
						    : strlen(p);
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = strlen(known[i]) == n && !strncmp(known[i], p, n);
		if (!ok) {
			snprintf(msg, sizeof(msg), "unknown parameter \"%.*s\"",
				 (int)(n > 64 ? 64 : n), p);
			api__respond_error(conn, 400, "unknown_parameter", msg, NULL);
			return false;
		}
		p = amp ? amp + 1 : p + strlen(p);
	}
	return true;
}

/* An integer parameter within [lo, hi] or its default; false after responding 400. */
static bool int_param(struct api_conn *conn, const char *name, long lo, long hi, long *v)
{
	char buf[32], msg[96], *end;
	long n;

	if (!api__query(conn, name, buf, sizeof(buf)))
		return true;
	n = strtol(buf, &end, 10);
	if (!*buf || *end || n < lo || n > hi) {
		snprintf(msg, sizeof(msg), "%s must be %ld to %ld", name, lo, hi);
		api__respond_error(conn, 400, "invalid_parameter", msg, name);
		return false;
	}
	*v = n;
	return true;
}

void api__h_contact_get(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const known[] = {"history", "token", NULL};
	struct api_job j;
	long history = HISTORY_DEFAULT;

	(void)s;
	if (!params_known(conn, known) || !int_param(conn, "history", 0, HISTORY_MAX, &history))
		return;
	api__job_init(&j, conn, JOB_CONTACT_GET, target, NULL);
	j.args = json_pack("{s:i}", "history", (json_int_t)history);
	api__job(conn, &j);
}

void api__h_contacts(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const known[] = {"q",      "phone", "email", "limit",
					    "cursor", "token", NULL};
	struct api_job j;
	json_t *args = json_object();
	char buf[512], e164[CRM_E164_SIZE];
	long limit = 50;
	int by = 0;

	(void)s;
	if (!params_known(conn, known) || !int_param(conn, "limit", 1, 500, &limit))
		goto fail;
	json_object_set_new(args, "limit", json_integer(limit));
	if (api__query(conn, "q", buf, sizeof(buf))) {
		struct crm_buf f = {0};
		bool ok = !crm_name_fold(buf, &f) && f.len && f.len <= 128;
		crm_buf_free(&f);
		if (!ok) {
			api__respond_error(conn, 400, "invalid_parameter",
					   "q must be 1 to 128 bytes of text", "q");
			goto fail;
		}
		json_object_set_new(args, "q", json_string(buf));
		by++;
	}
	if (api__query(conn, "phone", buf, sizeof(buf))) {
		if (crm_phone_e164(buf, tenant_country(conn->a, conn->tenant), e164)) {
			api__respond_error(conn, 400, "invalid_parameter",
					   "phone is not a phone number", "phone");
			goto fail;
		}
		json_object_set_new(args, "phone", json_string(e164));
		by++;
	}
	if (api__query(conn, "email", buf, sizeof(buf))) {
		struct crm_buf f = {0};
		bool ok = !crm_name_fold(buf, &f) && strchr(buf, '@');
		crm_buf_free(&f);
		if (!ok) {
			api__respond_error(conn, 400, "invalid_parameter",
					   "email is not an e-mail address", "email");
			goto fail;
		}
		json_object_set_new(args, "email", json_string(buf));
		by++;
	}
	if (by > 1) {
		api__respond_error(conn, 400, "invalid_parameter",
				   "give at most one of q, phone and email", NULL);
		goto fail;
	}
	if (api__query(conn, "cursor", buf, sizeof(buf))) {
		unsigned char raw[64];
		size_t n = 0;
		if (sodium_base642bin(raw, sizeof(raw) - 1, buf, strlen(buf), NULL, &n, NULL,
				      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
		    !n || n >= CRM_ID_SIZE) {
			api__respond_error(conn, 400, "invalid_parameter", "bad cursor", "cursor");
			goto fail;
		}
		raw[n] = '\0';
		json_object_set_new(args, "after", json_string((char *)raw));
	}
	api__job_init(&j, conn, JOB_CONTACT_FIND, target, NULL);
	j.args = args;
	api__job(conn, &j);
	return;
fail:
	json_decref(args);
}

/* ---- on the workers ---- */

static json_t *contact_json(const struct crm_contact *c)
{
	json_t *j = crm_contact_to_json(c);
	char t[32];

	if (j) {
		json_object_set_new(j, "created",
				    json_string(clock_iso8601(c->created_ms, t, sizeof(t))));
		json_object_set_new(j, "updated",
				    json_string(clock_iso8601(c->updated_ms, t, sizeof(t))));
	}
	return j;
}

static void store_error(struct api *a, const struct api_job *j, struct store_db *db, int err)
{
	if (err == ENOENT)
		api_reply_error(a, j->req, 404, "not_found", "no such contact");
	else if (err == EAGAIN)
		api_reply_error(a, j->req, 503, "store_unavailable", "the database is unreachable");
	else if (err == ENOMEM)
		api_reply_error(a, j->req, 503, "busy", "out of memory");
	else {
		log_error("api", "tenant=%s event=store_error err=%s msg=\"%s\"", j->tenant,
			  strerror(err), store_db_errmsg(db));
		api_reply_error(a, j->req, 500, "store_error", "the database refused the request");
	}
}

/* The field names of a body, comma-separated, for the audit entry (never values). */
static void fields_of(json_t *b, char *out, size_t size)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	out[0] = '\0';
	json_object_foreach(b, k, v)
	{
		int w = snprintf(out + n, size - n, "%s%s", n ? "," : "", k);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
}

static void do_put(struct api *a, struct store_db *db, const struct api_job *j, bool create)
{
	struct crm_contact *c = NULL;
	char field[64], msg[160], detail[256];
	int err;

	if (create)
		err = crm_contact_new(NULL, &c);
	else
		err = store_db_contact_get(db, j->tenant, j->target, &c);
	if (!err)
		err = contact_apply(c, j->args, tenant_country(a, j->tenant), field, sizeof(field),
				    msg, sizeof(msg));
	if (err == EINVAL) { /* checked on the service thread: only a changed config */
		api_reply(a, j->req, 400, api__error_json("invalid_field", msg, field));
		goto out;
	}
	if (err) {
		store_error(a, j, db, err);
		goto out;
	}
	c->updated_ms = clock_wall_ms();
	if (create)
		c->created_ms = c->updated_ms;
	if ((err = store_db_contact_put(db, j->tenant, c))) {
		store_error(a, j, db, err);
		goto out;
	}
	fields_of(j->args, detail, sizeof(detail));
	api__audit(db, j, "contact", c->id, create ? "create" : "update", detail);
	api_reply(a, j->req, create ? 201 : 200, contact_json(c));
out:
	crm_contact_free(c);
}

static void do_delete(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct crm_contact *c = NULL;
	int err = store_db_contact_get(db, j->tenant, j->target, &c);

	if (!err)
		err = store_db_contact_delete(db, j->tenant, j->target);
	crm_contact_free(c);
	if (err) {
		store_error(a, j, db, err);
		return;
	}
	api__audit(db, j, "contact", j->target, "delete", NULL);
	api_reply(a, j->req, 204, NULL);
}

static void do_merge(struct api *a, struct store_db *db, const struct api_job *j)
{
	const char *from = json_string_value(json_object_get(j->args, "from"));
	struct crm_contact *c = NULL;
	char detail[96];
	int64_t moved = 0;
	json_t *o;
	int err = store_db_contact_merge(db, j->tenant, j->target, from, &c, &moved);

	if (err == E2BIG) {
		api_reply(a, j->req, 409,
			  api__error_json("too_many",
					  "the two contacts hold more than 32 phone numbers, "
					  "e-mail addresses or tags of one kind between them",
					  "from"));
		return;
	}
	if (err) {
		store_error(a, j, db, err);
		return;
	}
	/* Both sides are on the record: the kept one merged, the other one removed. */
	snprintf(detail, sizeof(detail), "from %s, %lld interactions", from, (long long)moved);
	api__audit(db, j, "contact", j->target, "merge", detail);
	snprintf(detail, sizeof(detail), "into %s", j->target);
	api__audit(db, j, "contact", from, "delete", detail);
	log_info("api", "tenant=%s event=contact_merged contact=%s from=%s interactions=%lld",
		 j->tenant, j->target, from, (long long)moved);
	if ((o = contact_json(c))) {
		json_object_set_new(o, "moved", json_integer(moved));
		api_reply(a, j->req, 200, o);
	} else {
		api_reply_error(a, j->req, 503, "busy", "out of memory");
	}
	crm_contact_free(c);
}

static int history_row(const struct crm_interaction *ix, void *arg)
{
	json_t *items = arg;

	return json_array_append_new(items, crm_interaction_to_json(ix)) ? ENOMEM : 0;
}

static bool sees_all(uint32_t roles)
{
	return roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA);
}

static void do_get(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct crm_contact *c = NULL;
	struct store_ix_search q;
	json_t *o = NULL, *items = json_array();
	int err = store_db_contact_get(db, j->tenant, j->target, &c);

	memset(&q, 0, sizeof(q));
	q.contact = j->target;
	q.abandoned = -1;
	/* An agent sees the contact, and of its history the calls it handled itself. */
	q.f.agent = sees_all(j->roles) ? NULL : j->user;
	q.f.limit = (size_t)json_integer_value(json_object_get(j->args, "history"));
	if (!err && q.f.limit)
		err = store_db_interactions_search(db, j->tenant, &q, history_row, items);
	if (!err && !(o = contact_json(c)))
		err = ENOMEM;
	if (err) {
		json_decref(items);
		store_error(a, j, db, err);
		goto out;
	}
	json_object_set_new(o, "interactions", items);
	api_reply(a, j->req, 200, o);
out:
	crm_contact_free(c);
}

struct find {
	json_t *items;
	size_t limit;
	char last[CRM_ID_SIZE + 1];
	bool more;
};

static int find_row(const struct crm_contact *c, void *arg)
{
	struct find *f = arg;
	json_t *o;

	if (json_array_size(f->items) == f->limit) {
		f->more = true;
		return 1;
	}
	if (!(o = contact_json(c)))
		return ENOMEM;
	json_array_append_new(f->items, o);
	snprintf(f->last, sizeof(f->last), "%s", c->id);
	return 0;
}

static void do_find(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct find f = {.items = json_array()};
	enum store_contact_by by = STORE_CONTACT_ALL;
	const char *value = NULL;
	char enc[64];
	int err;

	f.limit = (size_t)json_integer_value(json_object_get(j->args, "limit"));
	if ((value = json_string_value(json_object_get(j->args, "q"))))
		by = STORE_CONTACT_NAME;
	else if ((value = json_string_value(json_object_get(j->args, "phone"))))
		by = STORE_CONTACT_PHONE;
	else if ((value = json_string_value(json_object_get(j->args, "email"))))
		by = STORE_CONTACT_EMAIL;
	err = store_db_contacts_search(db, j->tenant, by, value,
				       json_string_value(json_object_get(j->args, "after")),
				       f.limit + 1, find_row, &f);
	if (err && err != 1) {
		json_decref(f.items);
		store_error(a, j, db, err == EINVAL ? EIO : err);
		return;
	}
	if (f.more)
		sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)f.last, strlen(f.last),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	api_reply(a, j->req, 200,
		  json_pack("{s:o, s:s?}", "items", f.items, "next", f.more ? enc : NULL));
}

void api__contacts_run(struct api *a, struct store_db *db, const struct api_job *j)
{
	switch (j->kind) {
	case JOB_CONTACT_CREATE:
		do_put(a, db, j, true);
		break;
	case JOB_CONTACT_PUT:
		do_put(a, db, j, false);
		break;
	case JOB_CONTACT_DELETE:
		do_delete(a, db, j);
		break;
	case JOB_CONTACT_MERGE:
		do_merge(a, db, j);
		break;
	case JOB_CONTACT_GET:
		do_get(a, db, j);
		break;
	default:
		do_find(a, db, j);
		break;
	}
}
