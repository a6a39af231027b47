/*
 * The API's workers: threads with a store connection each, for whatever may be slow
 * (Argon2id password checks, history queries, record updates). The service thread hands
 * them jobs through a locked list and hears back through api__post, so it never waits
 * on the database. A connection that fails is reopened on the next job.
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

#define MAX_WORKERS 8

struct api_workers {
	struct api *a;
	pthread_mutex_t lock; /* protects head, tail and stop */
	pthread_cond_t cond;
	struct api_job *head, *tail;
	bool stop;
	unsigned n;
	pthread_t threads[MAX_WORKERS];
	char dummy_hash[crypto_pwhash_STRBYTES]; /* for unknown users: same time as a miss */
};

static void reply_json(struct api *a, uint64_t req, int status, json_t *j)
{
	api_reply(a, req, status, j);
}

static void reply_buf(struct api *a, uint64_t req, int status, struct crm_buf *b)
{
	struct api_resp *r = calloc(1, sizeof(*r));

	if (!r || b->err) {
		free(r);
		crm_buf_free(b);
		api_reply_error(a, req, 500, "internal", "out of memory");
		return;
	}
	r->req = req;
	r->status = status;
	r->ctype = "application/json";
	r->body = b->p;
	r->len = b->len;
	b->p = NULL;
	api__post(a, r);
}

void api__audit(struct store_db *db, const struct api_job *j, const char *object, const char *key,
		const char *action, const char *detail)
{
	char actor[80];
	struct store_audit au = {.tenant = j->tenant,
				 .actor = actor,
				 .object = object,
				 .key = key,
				 .action = action,
				 .detail = detail};
	int err;

	snprintf(actor, sizeof(actor), "api:%s", j->user);
	if ((err = store_db_audit_put(db, &au)))
		log_error("api", "tenant=%s event=audit_failed object=%s key=%s err=%s", j->tenant,
			  object, key ? key : "-", strerror(err));
}

static int db_error(struct api *a, const struct api_job *j, struct store_db *db, int err)
{
	if (err == ENOENT)
		api_reply_error(a, j->req, 404, "not_found", "no such object");
	else if (err == EAGAIN)
		api_reply_error(a, j->req, 503, "store_unavailable", "the database is unreachable");
	else {
		log_error("api", "tenant=%s event=store_error err=%s msg=\"%s\"", j->tenant,
			  strerror(err), db ? store_db_errmsg(db) : "");
		api_reply_error(a, j->req, 500, "store_error", "the database refused the request");
	}
	return err;
}

/* ---- login ---- */

static void do_login(struct api_workers *w, struct store_db *db, const struct api_job *j)
{
	struct api *a = w->a;
	const char *tenant = json_string_value(json_object_get(j->args, "tenant"));
	const char *user = json_string_value(json_object_get(j->args, "username"));
	const char *pass = json_string_value(json_object_get(j->args, "password"));
	const struct cfg_tenant *ct = tenant ? cfg_tenant_find(API_CFG(a), tenant) : NULL;
	const struct cfg_user *cu = ct ? cfg_user_find(ct, user) : NULL;
	unsigned roles = cu ? cu->roles : 0;
	char opname[48];
	/* A user of the file, or one the API made (its roles from the store). */
	int err = cu ? 0 : ct ? store_db_user_roles(db, tenant, user, &roles) : ENOENT;
	struct api_resp *r;

	if (!tenant) {
		/* An operator: the file's Argon2id hash, no tenant. */
		const struct cfg_operator *op = cfg_operator_find(API_CFG(a), user);
		err = !op								? ENOENT
		      : crypto_pwhash_str_verify(op->password_hash, pass, strlen(pass)) ? EACCES
											: 0;
		roles = API_ROLE_OPERATOR | API_ROLE_ADMIN | API_ROLE_SUPERVISOR | API_ROLE_QA;
		snprintf(opname, sizeof(opname), "operator:%s", user);
		user = opname;
		tenant = "";
	} else if (!err)
		err = store_db_user_verify(db, tenant, user, pass);

	/* An unknown user costs the same as a wrong password: names do not leak. */
	if (err == ENOENT && !crypto_pwhash_str_verify(w->dummy_hash, pass, strlen(pass)))
		err = ENOENT;
	if (err == ENOENT || err == EACCES) {
		api_reply_error(a, j->req, 401, "invalid_credentials",
				"unknown tenant or user, or wrong password");
		return;
	}
	if (err) {
		db_error(a, j, db, err);
		return;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		return;
	}
	r->req = j->req;
	r->status = 200;
	r->ctype = "application/json";
	r->login = true;
	r->roles = roles ? roles : API_ROLE_AGENT;
	snprintf(r->tenant, sizeof(r->tenant), "%s", tenant);
	snprintf(r->user, sizeof(r->user), "%s", user);
	api__post(a, r);
}

/* ---- interactions ---- */

struct page {
	struct crm_buf b;
	size_t n, limit;
	int64_t last_ms;
	char last_id[CRM_ID_SIZE];
	bool more;
};

static int page_row(const struct crm_interaction *ix, void *arg)
{
	struct page *p = arg;

	if (p->n == p->limit) {
		p->more = true;
		return 1;
	}
	if (p->n++)
		crm_buf_putc(&p->b, ',');
	crm_interaction_json(ix, &p->b);
	p->last_ms = ix->created_ms;
	snprintf(p->last_id, sizeof(p->last_id), "%s", ix->id);
	return 0;
}

static const char *arg_str(const struct api_job *j, const char *k)
{
	return json_string_value(json_object_get(j->args, k));
}

static void do_interactions(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct store_ix_search q;
	struct page p;
	json_t *ab = json_object_get(j->args, "abandoned");
	int err;

	memset(&q, 0, sizeof(q));
	memset(&p, 0, sizeof(p));
	q.f.since_ms = json_integer_value(json_object_get(j->args, "since"));
	q.f.until_ms = json_integer_value(json_object_get(j->args, "until"));
	q.f.queue = arg_str(j, "queue");
	q.f.agent = arg_str(j, "agent");
	q.channel = arg_str(j, "channel");
	q.direction = arg_str(j, "direction");
	q.disposition = arg_str(j, "disposition");
	q.abandoned = ab ? (json_is_true(ab) ? 1 : 0) : -1;
	q.number = arg_str(j, "number");
	q.contact = arg_str(j, "contact");
	q.after_ms = json_integer_value(json_object_get(j->args, "after_ms"));
	q.after_id = arg_str(j, "after_id");
	p.limit = (size_t)json_integer_value(json_object_get(j->args, "limit"));
	q.f.limit = p.limit + 1; /* one more tells whether a next page exists */
	/* The page is written as text, not built with jansson like the other answers: each
	 * row is appended as the query yields it, in crm_interaction_json's text (the one
	 * the export writes, contract 5), which a json_t would have to parse back first.
	 * Only this wrapper and the cursor (an escaped string) are written here. */
	crm_buf_puts(&p.b, "{\"items\":[");
	err = store_db_interactions_search(db, j->tenant, &q, page_row, &p);
	if (err && err != 1) {
		crm_buf_free(&p.b);
		db_error(a, j, db, err);
		return;
	}
	crm_buf_puts(&p.b, "],\"next\":");
	if (p.more) {
		char cur[96], enc[160];
		snprintf(cur, sizeof(cur), "%lld.%s", (long long)p.last_ms, p.last_id);
		sodium_bin2base64(enc, sizeof(enc), (const unsigned char *)cur, strlen(cur),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		crm_buf_json_str(&p.b, enc);
	} else {
		crm_buf_puts(&p.b, "null");
	}
	crm_buf_putc(&p.b, '}');
	reply_buf(a, j->req, 200, &p.b);
}

struct one {
	struct crm_buf b;
	const char *only_agent; /* an agent sees only its own */
	bool found;
	bool chat;	 /* a web chat: its messages are read from their rows */
	char *disp_json; /* for updates: the record as stored */
};

static int one_row(const struct crm_interaction *ix, void *arg)
{
	struct one *o = arg;

	if (o->only_agent && (!ix->agent || strcmp(ix->agent, o->only_agent)))
		return 0;
	o->found = true;
	o->chat = ix->channel == CRM_CHANNEL_CHAT;
	crm_interaction_json(ix, &o->b);
	return 0;
}

static int chat_row(void *arg, const struct store_chat_message *m)
{
	char ts[25];

	crm_iso8601(m->ts_ms, ts);
	return json_array_append_new(arg,
				     json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s?}", "seq",
					       (json_int_t)m->seq, "ts", ts, "from", m->author,
					       "agent", m->agent, "text", m->text, "cid", m->cid))
		   ? ENOMEM
		   : 0;
}

/* A chat's `messages`, every one written so far (rows of their own: the interaction's
 * timeline is written at the chat's changes of state, its messages one by one). */
static int add_chat_messages(struct store_db *db, const struct api_job *j, struct one *o,
			     json_t **out)
{
	json_t *ix = json_loadb(o->b.p, o->b.len, 0, NULL), *msgs = json_array();
	int err;

	if (!ix || !msgs) {
		json_decref(ix);
		json_decref(msgs);
		return ENOMEM;
	}
	err = store_db_chat_messages(db, j->tenant, j->target, chat_row, msgs);
	if (err) {
		json_decref(ix);
		json_decref(msgs);
		return err;
	}
	json_object_set_new(ix, "messages", msgs);
	*out = ix;
	return 0;
}

static bool sees_all(uint32_t roles)
{
	return roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA);
}

static void do_interaction(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct one o;
	int err;

	memset(&o, 0, sizeof(o));
	o.only_agent = sees_all(j->roles) ? NULL : j->user;
	err = store_db_interaction_get(db, j->tenant, j->target, one_row, &o);
	if (!err && !o.found)
		err = ENOENT;
	if (!err && o.chat) {
		json_t *ix = NULL;
		if (!(err = add_chat_messages(db, j, &o, &ix))) {
			crm_buf_free(&o.b);
			reply_json(a, j->req, 200, ix);
			return;
		}
	}
	if (err) {
		crm_buf_free(&o.b);
		db_error(a, j, db, err);
		return;
	}
	reply_buf(a, j->req, 200, &o.b);
}

/* A disposition on an interaction the engine no longer holds: read, change, write
 * back, audit. */
struct disp {
	const struct api_job *j;
	struct store_db *db;
	int err;
	bool found;
	struct crm_buf b;
};

static int disp_row(const struct crm_interaction *ix, void *arg)
{
	struct disp *d = arg;
	struct crm_interaction copy = *ix;

	if (!sees_all(d->j->roles) && (!ix->agent || strcmp(ix->agent, d->j->user)))
		return 0;
	d->found = true;
	copy.disposition = arg_str(d->j, "code");
	if (json_object_get(d->j->args, "notes"))
		copy.notes = arg_str(d->j, "notes");
	crm_interaction_json(&copy, &d->b);
	return 0;
}

static void do_disposition(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct disp d;
	int err;

	memset(&d, 0, sizeof(d));
	d.j = j;
	d.db = db;
	err = store_db_interaction_get(db, j->tenant, j->target, disp_row, &d);
	if (!err && !d.found)
		err = ENOENT;
	if (err) {
		crm_buf_free(&d.b);
		db_error(a, j, db, err);
		return;
	}
	err = store_db_interaction_set_disposition(db, j->tenant, j->target, arg_str(j, "code"),
						   arg_str(j, "notes"));
	if (!err)
		api__audit(db, j, "interaction", j->target, "update", "disposition,notes");
	if (err) {
		crm_buf_free(&d.b);
		db_error(a, j, db, err);
		return;
	}
	reply_buf(a, j->req, 200, &d.b);
}

/* ---- legal hold ---- */

static int hold_row(const struct crm_interaction *ix, void *arg)
{
	(void)ix;
	*(bool *)arg = true;
	return 0;
}

static void do_hold(struct api *a, struct store_db *db, const struct api_job *j)
{
	bool on = json_is_true(json_object_get(j->args, "hold")), found = false;
	char actor[80];
	struct store_audit au = {.tenant = j->tenant,
				 .actor = actor,
				 .object = "interaction",
				 .key = j->target,
				 .action = on ? "hold" : "release",
				 .detail = on ? "legal_hold=1" : "legal_hold=0"};
	int err = store_db_interaction_get(db, j->tenant, j->target, hold_row, &found);

	if (!err && !found)
		err = ENOENT;
	if (!err)
		err = store_db_legal_hold(db, j->tenant, j->target, on);
	snprintf(actor, sizeof(actor), "api:%s", j->user);
	if (!err && (err = store_db_audit_put(db, &au)))
		log_error("api", "tenant=%s event=audit_failed object=interaction key=%s err=%s",
			  j->tenant, j->target, strerror(err));
	if (err) {
		db_error(a, j, db, err);
		return;
	}
	log_info("api", "tenant=%s event=legal_hold interaction=%s hold=%d by=%s", j->tenant,
		 j->target, on, j->user);
	reply_json(a, j->req, 200, json_pack("{s:s, s:b}", "id", j->target, "legal_hold", on));
}

/* ---- agent state history and the audit log ---- */

struct spans {
	json_t *items;
	int64_t until_ms; /* 0: no bound */
};

static int state_row(const struct store_agent_state *st, void *arg)
{
	struct spans *sp = arg;
	json_t *items = sp->items;
	char a1[32], a2[32];

	if (sp->until_ms && st->start_ms >= sp->until_ms)
		return 1; /* by start time: the rest start later still */

	json_array_append_new(
	    items,
	    json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "agent", st->agent, "state", st->state,
		      "reason", st->reason, "start", clock_iso8601(st->start_ms, a1, sizeof(a1)),
		      "end", st->end_ms ? clock_iso8601(st->end_ms, a2, sizeof(a2)) : NULL));
	return json_array_size(items) >= 10000;
}

struct audit_page {
	json_t *items;
	size_t limit; /* the page's size: a row beyond it only says there is a next page */
	bool more;
};

static int audit_row(const struct store_audit *au, void *arg)
{
	struct audit_page *pg = arg;
	json_t *items = pg->items;
	char t[32];

	if (json_array_size(items) >= pg->limit) {
		pg->more = true;
		return 1;
	}
	json_array_append_new(items,
			      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?}", "id", au->id,
					"time", clock_iso8601(au->ts_ms, t, sizeof(t)), "actor",
					au->actor, "object", au->object, "key", au->key, "action",
					au->action, "detail", au->detail));
	return 0;
}

static void do_list(struct api *a, struct store_db *db, const struct api_job *j)
{
	json_t *items = json_array();
	int64_t since = json_integer_value(json_object_get(j->args, "since"));
	int err;

	if (j->kind == JOB_AGENT_STATES) {
		struct spans sp = {items, json_integer_value(json_object_get(j->args, "until"))};
		unsigned roles;
		if (json_is_true(json_object_get(j->args, "api_user")) &&
		    store_db_user_roles(db, j->tenant, arg_str(j, "agent"), &roles)) {
			json_decref(items);
			api_reply_error(a, j->req, 404, "not_found", "no such agent");
			return;
		}
		err = store_db_agent_states(db, j->tenant, arg_str(j, "agent"), since, state_row,
					    &sp);
	} else {
		struct audit_page pg = {
		    items, (size_t)json_integer_value(json_object_get(j->args, "limit")), false};
		const char *after = arg_str(j, "cursor");
		json_t *last;

		err = store_db_audit_page(db, j->tenant, since, after ? after : "", pg.limit + 1,
					  audit_row, &pg);
		if (!err || err == 1) {
			last = pg.more ? json_array_get(items, json_array_size(items) - 1) : NULL;
			reply_json(a, j->req, 200,
				   json_pack("{s:o, s:s?}", "items", items, "next",
					     last ? json_string_value(json_object_get(last, "id"))
						  : NULL));
			return;
		}
	}
	if (err && err != 1) {
		json_decref(items);
		db_error(a, j, db, err);
		return;
	}
	reply_json(a, j->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* ---- configuration objects made through the API ---- */

/* "fields=a,b,c": the names of the fields the body set (never their values: a body
 * may hold a password). */
static void field_names(const char *body, char *out, size_t size)
{
	json_t *b = body ? json_loads(body, 0, NULL) : NULL;
	const char *k;
	json_t *v;
	size_t off = (size_t)snprintf(out, size, "fields=");

	json_object_foreach(b, k, v)
	{
		int n = snprintf(out + off, size - off, "%s%s", off > 7 ? "," : "", k);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
	}
	json_decref(b);
}

/* A user: its password hashed here, its body stored without any secret. */
static int user_save(struct api *a, struct store_db *db, const char *tenant, const char *key,
		     const char *body)
{
	const struct cfg_tenant *ct = cfg_tenant_find(API_CFG(a), tenant);
	struct cfg *c = NULL;
	json_t *b, *sip;
	char *clean;
	int err;

	if (!body)
		return store_db_user_delete_api(db, tenant, key);
	if (!(b = json_loads(body, 0, NULL)))
		return EINVAL;
	if ((err = cfg_load_fragment_in(tenant, ct && ct->domain ? ct->domain : tenant, "users",
					body, &c)) ||
	    cfg_error_count(c)) {
		json_decref(b);
		cfg_free(c);
		return err ? err : EINVAL;
	}
	json_object_del(b, "password");
	if ((sip = json_object_get(b, "sip")))
		json_object_del(sip, "password");
	clean = json_dumps(b, JSON_COMPACT);
	err = clean ? store_db_user_put_api(db, tenant, &c->tenants[0].users[0], clean,
					    a->c.argon_opslimit)
		    : ENOMEM;
	free(clean);
	json_decref(b);
	cfg_free(c);
	return err;
}

/* A web callback the engine took (engine/webcb.c): kept until its interaction is
 * written. */
static int webcb_save(struct store_db *db, const char *tenant, const char *id, const char *body)
{
	json_t *b = body ? json_loads(body, 0, NULL) : NULL;
	const char *queue = json_string_value(json_object_get(b, "queue"));
	int err = queue
		      ? store_db_web_callback_put(db, tenant, id, queue, body,
						  json_integer_value(json_object_get(b, "due_ms")))
		      : EINVAL;

	json_decref(b);
	return err;
}

static void do_object_save(struct api *a, struct store_db *db, const struct api_job *j)
{
	char fields[512];

	struct api_resp *r = j->resp;
	struct store_audit au = {.tenant = j->tenant, .key = r->key};
	char actor[80], object[24];
	int err;

	/* The audit names objects in the singular, as provisioning does ("number"). */
	snprintf(object, sizeof(object), "%.*s", (int)strlen(r->kind) - 1, r->kind);
	au.object = object;
	if (!strcmp(r->kind, "users"))
		err = user_save(a, db, j->tenant, r->key, r->store_body);
	else if (!strcmp(r->kind, "web_callbacks"))
		err = webcb_save(db, j->tenant, r->key, r->store_body);
	else
		err = r->store_body
			  ? store_db_object_put(db, j->tenant, r->kind, r->key, r->store_body)
			  : store_db_object_delete(db, j->tenant, r->kind, r->key);
	snprintf(actor, sizeof(actor), "api:%s", j->user);
	au.actor = actor;
	au.action =
	    r->store_body ? (r->status == 201 || r->status == 202 ? "create" : "update") : "delete";
	field_names(r->store_body, fields, sizeof(fields));
	au.detail = r->store_body ? fields : NULL;
	if (!err)
		err = store_db_audit_put(db, &au);
	if (err) {
		log_error("api",
			  "tenant=%s event=object_not_stored object=%s key=%s err=%s "
			  "msg=\"%s\" note=\"applied until restart\"",
			  j->tenant, r->kind, r->key, strerror(err), store_db_errmsg(db));
		free(r->body);
		free(r->store_body);
		free(r);
		api_reply_error(a, j->req, 503, "store_unavailable",
				"applied, but the database refused it: it lasts until a restart");
		return;
	}
	if (r->store_body)
		sodium_memzero(r->store_body, strlen(r->store_body));
	free(r->store_body);
	r->store_body = NULL;
	api__post(a, r);
}

/* The audit entry of a command the engine carried out (api__engine_audit), then its
 * answer. The change is live already: when the store refuses the entry, the log says so
 * and the client still hears what happened. */
static void do_audit_write(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct api_resp *r = j->resp;
	json_t *body = NULL;
	struct store_audit au = {.tenant = j->tenant,
				 .object = arg_str(j, "object"),
				 .key = arg_str(j, "key"),
				 .action = arg_str(j, "action"),
				 .detail = arg_str(j, "detail")};
	char actor[80];
	int err;

	if (!au.key && r->body && (body = json_loads(r->body, 0, NULL)))
		au.key = json_string_value(json_object_get(body, "interaction"));
	if (!au.key)
		au.key = "";
	snprintf(actor, sizeof(actor), "api:%s", j->user);
	au.actor = actor;
	if ((err = store_db_audit_put(db, &au)))
		log_error("api", "tenant=%s event=audit_failed object=%s key=%s action=%s err=%s",
			  j->tenant, au.object, au.key, au.action, strerror(err));
	json_decref(body);
	api__post(a, r);
}

/* ---- the pool ---- */

static void run(struct api_workers *w, struct store_db **db, const struct api_job *j)
{
	struct api *a = w->a;
	int err;

	if (!*db && (err = store_db_open(a->c.store_url, db))) {
		*db = NULL;
		if (j->kind == JOB_CHAT_START) {
			/* A chat starts all the same, without its CRM contact. */
			api__chat_start_job(a, NULL, j);
			return;
		}
		if (j->resp) {
			free(j->resp->body);
			free(j->resp->store_body);
			free(j->resp);
		}
		db_error(a, j, NULL, err == EAGAIN ? EAGAIN : err);
		return;
	}
	switch (j->kind) {
	case JOB_LOGIN:
		do_login(w, *db, j);
		break;
	case JOB_INTERACTIONS:
		do_interactions(a, *db, j);
		break;
	case JOB_INTERACTION:
		do_interaction(a, *db, j);
		break;
	case JOB_DISPOSITION:
		do_disposition(a, *db, j);
		break;
	case JOB_AGENT_STATES:
	case JOB_AUDIT:
		do_list(a, *db, j);
		break;
	case JOB_OBJECT_SAVE:
		do_object_save(a, *db, j);
		break;
	case JOB_AUDIT_WRITE:
		do_audit_write(a, *db, j);
		break;
	case JOB_CONTACT_GET:
	case JOB_CONTACT_FIND:
	case JOB_CONTACT_PUT:
	case JOB_CONTACT_CREATE:
	case JOB_CONTACT_DELETE:
	case JOB_CONTACT_MERGE:
		api__contacts_run(a, *db, j);
		break;
	case JOB_RECORDING:
		api__recording_run(a, *db, j);
		break;
	case JOB_HOLD:
		do_hold(a, *db, j);
		break;
	case JOB_CHAT_START:
		api__chat_start_job(a, *db, j);
		break;
	default:
		if (!api__ext_job(a, *db, j))
			api_reply_error(a, j->req, 501, "not_implemented", "not implemented");
		break;
	}
}

static void *worker(void *arg)
{
	struct api_workers *w = arg;
	struct store_db *db = NULL;

	pthread_setname_np(pthread_self(), "api-worker");

	for (;;) {
		struct api_job *j;
		pthread_mutex_lock(&w->lock);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop && !w->head) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		j = w->head;
		w->head = j->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);
		run(w, &db, j);
		if (j->args) {
			json_t *pw = json_object_get(j->args, "password");
			if (pw)
				json_string_set(pw, "");
		}
		json_decref(j->args);
		free(j);
	}
	store_db_close(db);
	return NULL;
}

int api__workers_start(struct api *a)
{
	struct api_workers *w = calloc(1, sizeof(*w));
	unsigned n = a->c.workers ? a->c.workers : 2;
	unsigned long long ops =
	    a->c.argon_opslimit ? a->c.argon_opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;

	if (!w)
		return ENOMEM;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	w->a = a;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (crypto_pwhash_str(w->dummy_hash, "centrala", 8, ops,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE)) {
		free(w);
		return ENOMEM;
	}
	for (w->n = 0; w->n < n; w->n++)
		if (pthread_create(&w->threads[w->n], NULL, worker, w))
			break;
	if (!w->n) {
		free(w);
		return ENOMEM;
	}
	a->w = w;
	return 0;
}

void api__workers_stop(struct api *a)
{
	struct api_workers *w = a->w;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (unsigned i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
	while (w->head) {
		struct api_job *j = w->head;
		w->head = j->next;
		json_decref(j->args);
		if (j->resp) {
			free(j->resp->body);
			free(j->resp->store_body);
			free(j->resp);
		}
		free(j);
	}
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
	a->w = NULL;
}

static void enqueue(struct api_workers *w, struct api_job *j)
{
	pthread_mutex_lock(&w->lock);
	if (w->tail)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void api__job_pending(struct api *a, const struct api_job *src)
{
	struct api_job *j = malloc(sizeof(*j));

	if (!j) {
		api_reply_error(a, src->req, 503, "busy", "out of memory");
		json_decref(src->args);
		return;
	}
	*j = *src;
	j->next = NULL;
	enqueue(a->w, j);
}

void api__job_init(struct api_job *j, const struct api_conn *conn, enum api_job_kind kind,
		   const char *target, json_t *args)
{
	memset(j, 0, sizeof(*j));
	j->kind = kind;
	j->roles = conn->roles;
	snprintf(j->tenant, sizeof(j->tenant), "%s", conn->tenant);
	snprintf(j->user, sizeof(j->user), "%s", conn->user);
	snprintf(j->target, sizeof(j->target), "%s", target ? target : "");
	j->args = args;
}

void api__job(struct api_conn *conn, const struct api_job *src)
{
	struct api *a = conn->a;
	struct api_workers *w = a->w;
	struct api_job *j = malloc(sizeof(*j));

	if (!j) {
		json_decref(src->args);
		api__respond_error(conn, 503, "busy", "out of memory", NULL);
		return;
	}
	*j = *src;
	j->next = NULL;
	if (api__pending_add(a, conn, &j->req)) {
		json_decref(j->args);
		free(j);
		api__respond_error(conn, 503, "busy", "too many requests in progress", NULL);
		return;
	}
	/* A shift logging in at once queues for the Argon2id checks: a login may wait
	 * longer than a command for the engine before it is given up. */
	if (j->kind == JOB_LOGIN)
		conn->deadline_ms = clock_mono_ms() + 30000;
	enqueue(w, j);
}
