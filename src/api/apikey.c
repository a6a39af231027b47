/*
 * API keys for integrations: made by an admin (POST /api/v1/keys), shown once, kept in
 * the store only as their BLAKE2b hash (like session tokens), listed without secrets,
 * revoked by DELETE. A key is a bearer token that does not expire: auth.c falls back to
 * api__key_find when a token is no session.
 *
 * The cache. Every key of every tenant of the file is read from the store once, at start;
 * afterwards the cache lives on the service thread only and follows the store through the
 * replies of the jobs that change it: a worker writes the store and the audit log, then
 * its reply carries the change, applied on the service thread (struct api_resp.apply)
 * even when the client has gone. So no request ever waits on a store read to check a key.
 *
 * A revoked key with open WebSockets keeps its session until they have closed (they are
 * closed at once); the session is freed afterwards.
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

#define NBUCKETS  1024
#define KEY_NAME  64
#define KEY_PREFX "ck_"

struct api_key {
	char id[CRM_ID_SIZE];
	char name[KEY_NAME];
	char created_by[64];
	int64_t created_ms;
	struct api_session s;
	struct api_key *hnext; /* hash chain */
	struct api_key *next;  /* every key, in the order made (the list's order) */
};

struct api_keys {
	struct api_key *buckets[NBUCKETS];
	struct api_key *all, **tail;
	struct api_key *grave; /* revoked, waiting for their sockets to close */
};

static const char *const role_names[] = {"agent", "supervisor", "admin", "qa"};

static size_t bucket(const unsigned char h[32])
{
	return ((size_t)h[0] | (size_t)h[1] << 8) & (NBUCKETS - 1);
}

static uint32_t roles_parse(const char *text)
{
	uint32_t r = 0;

	for (int i = 0; text && i < 4; i++) {
		const char *p = strstr(text, role_names[i]);
		size_t n = strlen(role_names[i]);
		if (p && (p == text || p[-1] == ',') && (p[n] == ',' || !p[n]))
			r |= 1u << i;
	}
	return r;
}

static void roles_text(uint32_t roles, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (roles & (1u << i))
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? "," : "",
						role_names[i]);
}

static json_t *roles_json(uint32_t roles)
{
	json_t *a = json_array();

	for (int i = 0; i < 4; i++)
		if (roles & (1u << i))
			json_array_append_new(a, json_string(role_names[i]));
	return a;
}

static struct api_key *key_new(const char *tenant, const char *id, const char *name, uint32_t roles,
			       const unsigned char hash[32], const char *by, int64_t created_ms)
{
	struct api_key *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	snprintf(k->id, sizeof(k->id), "%s", id);
	snprintf(k->name, sizeof(k->name), "%s", name);
	snprintf(k->created_by, sizeof(k->created_by), "%s", by ? by : "");
	k->created_ms = created_ms;
	memcpy(k->s.hash, hash, 32);
	snprintf(k->s.tenant, sizeof(k->s.tenant), "%s", tenant);
	/* What the audit log and the logs name as the actor of the key's requests. */
	snprintf(k->s.user, sizeof(k->s.user), "key:%s", id);
	k->s.roles = roles;
	k->s.key = true;
	k->s.created_ms = k->s.used_ms = k->s.bucket_ms = created_ms;
	return k;
}

static void key_link(struct api_keys *ks, struct api_key *k, double tokens)
{
	size_t b = bucket(k->s.hash);

	k->s.tokens = tokens;
	k->s.bucket_ms = clock_wall_ms();
	k->hnext = ks->buckets[b];
	ks->buckets[b] = k;
	k->next = NULL;
	*ks->tail = k;
	ks->tail = &k->next;
}

static void key_free(struct api_key *k)
{
	sodium_memzero(k, sizeof(*k));
	free(k);
}

static void grave_sweep(struct api_keys *ks)
{
	for (struct api_key **pp = &ks->grave; *pp;) {
		struct api_key *k = *pp;
		if (k->s.nws) {
			pp = &k->next;
			continue;
		}
		*pp = k->next;
		key_free(k);
	}
}

struct load {
	struct api *a;
	int err;
};

static int load_row(const struct store_api_key *sk, void *arg)
{
	struct load *l = arg;
	unsigned char h[32];
	size_t n = 0;
	struct api_key *k;

	if (sodium_hex2bin(h, sizeof(h), sk->hash, strlen(sk->hash), NULL, &n, NULL) || n != 32) {
		log_error("api", "tenant=%s event=api_key_bad_hash key=%s", sk->tenant, sk->id);
		return 0;
	}
	if (!(k = key_new(sk->tenant, sk->id, sk->name, roles_parse(sk->roles), h, sk->created_by,
			  sk->created_ms)))
		return ENOMEM;
	key_link(l->a->keys, k, 4.0 * (l->a->c.rate_per_s ? l->a->c.rate_per_s : 1000));
	return 0;
}

int api__keys_load(struct api *a)
{
	const struct cfg *cfg = API_CFG(a);
	struct store_db *db = NULL;
	struct load l = {a, 0};
	size_t n = 0;

	if (!(a->keys = calloc(1, sizeof(*a->keys))))
		return ENOMEM;
	a->keys->tail = &a->keys->all;
	if (!cfg || !a->c.store_url)
		return 0;
	if (store_db_open(a->c.store_url, &db)) {
		log_error("api", "event=api_keys_not_loaded msg=\"cannot open the store\"");
		return 0;
	}
	for (size_t i = 0; !l.err && i < cfg->ntenants; i++)
		if (cfg->tenants[i].id)
			l.err = store_db_api_keys(db, cfg->tenants[i].id, load_row, &l);
	if (l.err)
		log_error("api", "event=api_keys_not_loaded err=%s msg=\"%s\"", strerror(l.err),
			  store_db_errmsg(db));
	store_db_close(db);
	for (struct api_key *k = a->keys->all; k; k = k->next)
		n++;
	log_info("api", "event=api_keys_loaded keys=%zu", n);
	return l.err == ENOMEM ? ENOMEM : 0;
}

void api__keys_free(struct api *a)
{
	struct api_keys *ks = a->keys;

	if (!ks)
		return;
	while (ks->all) {
		struct api_key *k = ks->all;
		ks->all = k->next;
		key_free(k);
	}
	while (ks->grave) {
		struct api_key *k = ks->grave;
		ks->grave = k->next;
		key_free(k);
	}
	free(ks);
	a->keys = NULL;
}

struct api_session *api__key_find(struct api *a, const unsigned char h[32])
{
	struct api_key *k;

	if (!a->keys)
		return NULL;
	for (k = a->keys->buckets[bucket(h)]; k; k = k->hnext)
		if (!sodium_memcmp(k->s.hash, h, 32)) {
			k->s.used_ms = clock_wall_ms();
			return &k->s;
		}
	return NULL;
}

static struct api_key *key_by_id(struct api_keys *ks, const char *tenant, const char *id)
{
	for (struct api_key *k = ks->all; k; k = k->next)
		if (!strcmp(k->id, id) && !strcmp(k->s.tenant, tenant))
			return k;
	return NULL;
}

static json_t *key_json(const struct api_key *k)
{
	char c[32];

	return json_pack("{s:s, s:s, s:o, s:s, s:s}", "id", k->id, "name", k->name, "roles",
			 roles_json(k->s.roles), "created",
			 clock_iso8601(k->created_ms, c, sizeof(c)), "created_by", k->created_by);
}

/* ---- routes, on the service thread ---- */

void api__h_keys(struct api_conn *conn, struct api_session *s, const char *target)
{
	json_t *items = json_array();

	for (struct api_key *k = conn->a->keys->all; k; k = k->next)
		if (!strcmp(k->s.tenant, s->tenant))
			json_array_append_new(items, key_json(k));
	api__respond(conn, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

void api__h_key_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	static const char *const fields[] = {"name", "roles", NULL};
	struct api_job j;
	json_t *b = api__body(conn), *roles, *v;
	const char *name;
	uint32_t bits = 0;
	size_t i;

	if (!b)
		return;
	if (!api__fields(conn, b, fields) || !api__str(conn, b, "name", true, &name))
		goto bad;
	if (!*name || strlen(name) >= KEY_NAME) {
		api__respond_error(conn, 400, "invalid_field", "name is 1 to 63 bytes", "name");
		goto bad;
	}
	roles = json_object_get(b, "roles");
	if (!json_is_array(roles) || !json_array_size(roles)) {
		api__respond_error(conn, 400, "invalid_field",
				   "roles is a list of agent, supervisor, admin, qa", "roles");
		goto bad;
	}
	json_array_foreach(roles, i, v)
	{
		const char *r = json_string_value(v);
		int k;
		for (k = 0; r && k < 4 && strcmp(r, role_names[k]); k++)
			;
		if (!r || k == 4) {
			api__respond_error(conn, 400, "invalid_field",
					   "roles is a list of agent, supervisor, admin, qa",
					   "roles");
			goto bad;
		}
		bits |= 1u << k;
	}
	json_object_set_new(b, "role_bits", json_integer(bits));
	api__job_init(&j, conn, JOB_KEY_CREATE, NULL, b);
	api__job(conn, &j);
	return;
bad:
	json_decref(b);
}

void api__h_key_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;

	if (!key_by_id(conn->a->keys, s->tenant, target)) {
		api__respond_error(conn, 404, "not_found", "no such key", NULL);
		return;
	}
	api__job_init(&j, conn, JOB_KEY_DELETE, target, NULL);
	api__job(conn, &j);
}

/* ---- applied on the service thread when a worker's reply arrives ---- */

static void key_added(struct api *a, void *arg)
{
	struct api_keys *ks = a->keys;
	struct api_key *k = arg;

	grave_sweep(ks);
	key_link(ks, k, 4.0 * (a->c.rate_per_s ? a->c.rate_per_s : 1000));
}

struct key_gone {
	char tenant[40];
	char id[64];
};

static void key_removed(struct api *a, void *arg)
{
	struct api_keys *ks = a->keys;
	struct key_gone *g = arg;
	struct api_key *k = key_by_id(ks, g->tenant, g->id), **pp;

	free(g);
	grave_sweep(ks);
	if (!k)
		return;
	for (pp = &ks->buckets[bucket(k->s.hash)]; *pp; pp = &(*pp)->hnext)
		if (*pp == k) {
			*pp = k->hnext;
			break;
		}
	for (pp = &ks->all; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	if (ks->tail == &k->next)
		ks->tail = pp;
	if (k->s.nws) {
		k->s.revoked = true;
		api__ws_kill_session(a, &k->s);
		k->next = ks->grave;
		ks->grave = k;
		return;
	}
	key_free(k);
}

/* ---- on the workers ---- */

static void reply_apply(struct api *a, uint64_t req, int status, json_t *body,
			void (*apply)(struct api *, void *), void *arg)
{
	struct api_resp *r = calloc(1, sizeof(*r));
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	json_decref(body);
	if (!r || (body && !text)) {
		/* The store has the change; the cache learns it at the next start. */
		free(r);
		free(text);
		free(arg);
		api_reply_error(a, req, 500, "internal", "out of memory");
		return;
	}
	r->req = req;
	r->status = status;
	r->ctype = "application/json";
	r->body = text;
	r->len = text ? strlen(text) : 0;
	r->apply = apply;
	r->arg = arg;
	api__post(a, r);
}

static void store_failed(struct api *a, const struct api_job *j, struct store_db *db, int err)
{
	log_error("api", "tenant=%s event=store_error err=%s msg=\"%s\"", j->tenant, strerror(err),
		  store_db_errmsg(db));
	api_reply_error(a, j->req, err == EAGAIN ? 503 : 500, "store_error",
			"the database refused the request");
}

static void do_create(struct api *a, struct store_db *db, const struct api_job *j)
{
	const char *name = json_string_value(json_object_get(j->args, "name"));
	uint32_t roles = (uint32_t)json_integer_value(json_object_get(j->args, "role_bits"));
	unsigned char raw[32], h[32];
	char tok[64], hex[65], rtext[64], id[CRM_ID_SIZE], by[64];
	struct store_api_key sk;
	struct api_key *k;
	json_t *body;
	int64_t now = clock_wall_ms();
	int err;

	randombytes_buf(raw, sizeof(raw));
	memcpy(tok, KEY_PREFX, sizeof(KEY_PREFX) - 1);
	sodium_bin2base64(tok + sizeof(KEY_PREFX) - 1, sizeof(tok) - sizeof(KEY_PREFX) + 1, raw,
			  sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	/* The same hash as a session token's (auth.c), so one lookup serves both. */
	crypto_generichash(h, sizeof(h), (const unsigned char *)tok, strlen(tok), NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	crm_id_new(id);
	roles_text(roles, rtext, sizeof(rtext));
	snprintf(by, sizeof(by), "api:%s", j->user);
	memset(&sk, 0, sizeof(sk));
	sk.tenant = j->tenant;
	sk.id = id;
	sk.name = name;
	sk.hash = hex;
	sk.roles = rtext;
	sk.created_by = by;
	sk.created_ms = now;
	if ((err = store_db_api_key_insert(db, &sk))) {
		store_failed(a, j, db, err);
		goto out;
	}
	api__audit(db, j, "api_key", id, "create", "name,roles");
	log_info("api", "tenant=%s event=api_key_created key=%s name=\"%s\" by=%s", j->tenant, id,
		 name, j->user);
	if (!(k = key_new(j->tenant, id, name, roles, h, by, now))) {
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		goto out;
	}
	body = key_json(k);
	json_object_set_new(body, "key", json_string(tok));
	reply_apply(a, j->req, 201, body, key_added, k);
out:
	sodium_memzero(tok, sizeof(tok));
}

static void do_delete(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct key_gone *g;
	int err = store_db_api_key_delete(db, j->tenant, j->target);

	if (err) {
		store_failed(a, j, db, err);
		return;
	}
	api__audit(db, j, "api_key", j->target, "delete", NULL);
	log_info("api", "tenant=%s event=api_key_revoked key=%s by=%s", j->tenant, j->target,
		 j->user);
	if (!(g = calloc(1, sizeof(*g)))) {
		api_reply_error(a, j->req, 500, "internal", "out of memory");
		return;
	}
	snprintf(g->tenant, sizeof(g->tenant), "%s", j->tenant);
	snprintf(g->id, sizeof(g->id), "%s", j->target);
	reply_apply(a, j->req, 204, NULL, key_removed, g);
}

bool api__key_job(struct api *a, struct store_db *db, const struct api_job *j)
{
	switch (j->kind) {
	case JOB_KEY_CREATE:
		do_create(a, db, j);
		return true;
	case JOB_KEY_DELETE:
		do_delete(a, db, j);
		return true;
	default:
		return api__leads_job(a, db, j);
	}
}
