/*
 * Declarative provisioning: the configuration's `tenants:` section made true in the
 * database, as an idempotent upsert in one transaction.
 *
 * Three passes. First the whole section is checked (keys present and unique), so a
 * mistake anywhere rejects the file before anything is written. Then passwords are
 * settled outside the transaction, because Argon2id is slow on purpose: a password
 * whose stored hash still verifies (with today's cost) keeps that hash, so applying
 * the same file twice hashes nothing and changes nothing. Last, one transaction writes
 * every tenant, user and object whose row differs, deletes what a `prune: true` tenant
 * no longer lists, and writes an audit entry per change (field names only, never
 * secret values). Any database error rolls all of it back; the report says where.
 */
#include "store/store_int.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"

struct prov {
	struct store_db *db;
	const struct cfg *cfg;
	struct store_provision_report *rep;
	const char *actor;
	unsigned long long ops;
	size_t mem;
	char ***hash; /* [tenant][user]: the hash to store (NULL: none) */
	int64_t now;
};

static int perr(struct prov *p, int err, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int perr(struct prov *p, int err, int line, int col, const char *fmt, ...)
{
	char *e = p->rep->error;
	size_t size = sizeof(p->rep->error), n = 0;
	const char *file = p->cfg->cy ? cy_file(p->cfg->cy) : NULL;
	va_list ap;

	if (e[0])
		return err; /* the first error is the one that explains */
	if (file && line > 0)
		n = (size_t)snprintf(e, size, "%s:%d:%d: ", file, line, col);
	if (n < size) {
		va_start(ap, fmt);
		vsnprintf(e + n, size - n, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* ---- pass 1: checks -------------------------------------------------------------------- */

/* The first index j < i with the same key, or -1. */
#define DUP_BEFORE(arr, i, field)                                                                  \
	({                                                                                         \
		long _d = -1;                                                                      \
		for (size_t _j = 0; _j < (i); _j++)                                                \
			if (str_eq((arr)[_j].field, (arr)[i].field)) {                             \
				_d = (long)_j;                                                     \
				break;                                                             \
			}                                                                          \
		_d;                                                                                \
	})

#define CHECK_KEYS(p, ti, t, arr, n, field, what)                                                  \
	for (size_t _i = 0; _i < (n); _i++) {                                                      \
		if (!nonempty((arr)[_i].field))                                                    \
			return perr(p, EINVAL, (arr)[_i].line, (arr)[_i].col,                      \
				    "tenants[%zu]." what "[%zu]." #field ": missing", ti, _i);     \
		if (DUP_BEFORE(arr, _i, field) >= 0)                                               \
			return perr(p, EINVAL, (arr)[_i].line, (arr)[_i].col,                      \
				    "tenants[%zu]." what "[%zu]." #field ": duplicate \"%s\"", ti, \
				    _i, (arr)[_i].field);                                          \
	}

static int check_strv(struct prov *p, size_t ti, const struct cfg_tenant *t, char **v, size_t n,
		      const char *what)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!nonempty(v[i]))
			return perr(p, EINVAL, t->line, t->col, "tenants[%zu].%s[%zu]: empty", ti,
				    what, i);
		for (j = 0; j < i; j++)
			if (!strcmp(v[i], v[j]))
				return perr(p, EINVAL, t->line, t->col,
					    "tenants[%zu].%s[%zu]: duplicate \"%s\"", ti, what, i,
					    v[i]);
	}
	return 0;
}

static const char *domain_of(const struct cfg_tenant *t)
{
	return nonempty(t->domain) ? t->domain : t->id;
}

static int check(struct prov *p)
{
	const struct cfg *cfg = p->cfg;
	size_t ti, i, j;
	int err;

	for (ti = 0; ti < cfg->ntenants; ti++) {
		const struct cfg_tenant *t = &cfg->tenants[ti];

		if (!nonempty(t->id))
			return perr(p, EINVAL, t->line, t->col, "tenants[%zu].id: missing", ti);
		for (j = 0; j < ti; j++) {
			if (!strcmp(cfg->tenants[j].id, t->id))
				return perr(p, EINVAL, t->line, t->col,
					    "tenants[%zu].id: duplicate tenant \"%s\"", ti, t->id);
			if (!strcmp(domain_of(&cfg->tenants[j]), domain_of(t)))
				return perr(p, EINVAL, t->line, t->col,
					    "tenants[%zu].domain: \"%s\" is also tenants[%zu]'s",
					    ti, domain_of(t), j);
		}
		CHECK_KEYS(p, ti, t, t->users, t->nusers, username, "users");
		for (i = 0; i < t->nusers; i++)
			for (j = 0; t->users[i].sip_user && j < i; j++)
				if (str_eq(t->users[j].sip_user, t->users[i].sip_user))
					return perr(p, EINVAL, t->users[i].line, t->users[i].col,
						    "tenants[%zu].users[%zu].sip.user: duplicate "
						    "\"%s\"",
						    ti, i, t->users[i].sip_user);
		CHECK_KEYS(p, ti, t, t->queues, t->nqueues, id, "queues");
		CHECK_KEYS(p, ti, t, t->numbers, t->nnumbers, number, "numbers");
		CHECK_KEYS(p, ti, t, t->trunks, t->ntrunks, id, "trunks");
		for (i = 0; i < t->nflows + t->ncalendars; i++) {
			bool flow = i < t->nflows;
			const struct cfg_named_node *n =
			    flow ? &t->flows[i] : &t->calendars[i - t->nflows];
			const struct cfg_named_node *arr = flow ? t->flows : t->calendars;
			size_t k = flow ? i : i - t->nflows;

			if (!nonempty(n->name))
				return perr(p, EINVAL, t->line, t->col,
					    "tenants[%zu].%s: empty name", ti,
					    flow ? "flows" : "calendars");
			for (j = 0; j < k; j++)
				if (!strcmp(arr[j].name, n->name))
					return perr(p, EINVAL, t->line, t->col,
						    "tenants[%zu].%s.%s: duplicate", ti,
						    flow ? "flows" : "calendars", n->name);
		}
		if ((err =
			 check_strv(p, ti, t, t->reason_codes, t->nreason_codes, "reason_codes")) ||
		    (err = check_strv(p, ti, t, t->dispositions, t->ndispositions, "dispositions")))
			return err;
	}
	return 0;
}

/* ---- pass 2: passwords ---------------------------------------------------------------- */

static int stored_hash(struct prov *p, const char *tenant, const char *user, char **out)
{
	struct store__param prm[2] = {store__text(tenant), store__text(user)};
	int err = store__query(p->db, Q_USER_HASH, prm, 2);

	*out = NULL;
	if (err)
		return err;
	while (store__row(p->db, Q_USER_HASH, &err)) {
		const char *h = store__col_text(p->db, Q_USER_HASH, 0);

		free(*out);
		*out = h ? strdup(h) : NULL;
	}
	return err;
}

static int settle_password(struct prov *p, const struct cfg_tenant *t, const struct cfg_user *u,
			   char **out)
{
	char *old = NULL, fresh[crypto_pwhash_STRBYTES];
	int err = stored_hash(p, t->id, u->username, &old);

	if (err)
		return err;
	if (!u->password ||
	    (old && crypto_pwhash_str_verify(old, u->password, strlen(u->password)) == 0 &&
	     crypto_pwhash_str_needs_rehash(old, p->ops, p->mem) == 0)) {
		*out = old; /* no password in the file, or the stored hash still fits it */
		return 0;
	}
	free(old);
	if (crypto_pwhash_str(fresh, u->password, strlen(u->password), p->ops, p->mem))
		return ENOMEM; /* libsodium's only failure: it could not get the memory */
	p->rep->hashed++;
	*out = strdup(fresh);
	sodium_memzero(fresh, sizeof(fresh));
	return *out ? 0 : ENOMEM;
}

static int settle_passwords(struct prov *p)
{
	size_t ti, ui;
	int err = 0;

	if (!(p->hash = calloc(p->cfg->ntenants + 1, sizeof(*p->hash))))
		return ENOMEM;
	for (ti = 0; ti < p->cfg->ntenants && !err; ti++) {
		const struct cfg_tenant *t = &p->cfg->tenants[ti];

		if (!(p->hash[ti] = calloc(t->nusers + 1, sizeof(**p->hash))))
			return ENOMEM;
		for (ui = 0; ui < t->nusers && !err; ui++)
			if ((err = settle_password(p, t, &t->users[ui], &p->hash[ti][ui])))
				perr(p, err, t->users[ui].line, t->users[ui].col,
				     "tenants[%zu].users[%zu].password: %s", ti, ui,
				     err == ENOMEM ? "out of memory" : store_db_errmsg(p->db));
	}
	return err;
}

static void free_hashes(struct prov *p)
{
	size_t ti, ui;

	for (ti = 0; p->hash && ti < p->cfg->ntenants; ti++) {
		for (ui = 0; p->hash[ti] && ui < p->cfg->tenants[ti].nusers; ui++)
			free(p->hash[ti][ui]);
		free(p->hash[ti]);
	}
	free(p->hash);
}

/* ---- pass 3: writing --------------------------------------------------------------------- */

static int audit(struct prov *p, const char *tenant, const char *object, const char *key,
		 const char *action, const char *detail)
{
	struct store_audit a = {.tenant = tenant,
				.ts_ms = p->now,
				.actor = p->actor,
				.object = object,
				.key = key,
				.action = action,
				.detail = detail};

	log_info("store", "tenant=%s event=provisioned object=%s key=%s action=%s%s%s", tenant,
		 object, key, action, detail ? " fields=" : "", detail ? detail : "");
	return store_db_audit_put(p->db, &a);
}

/* Names the top-level fields that differ between two JSON objects ("ring_timeout,
 * wrap_up"); values are never copied, so a changed password shows as "password". */
static void changed_fields(const char *old, const char *new, char *out, size_t size)
{
	json_t *a = json_loads(old, 0, NULL), *b = json_loads(new, 0, NULL);
	const char *k;
	json_t *v;
	size_t len = 0;

	snprintf(out, size, "body");
	if (json_is_object(a) && json_is_object(b)) {
		out[0] = '\0';
		json_object_foreach(b, k,
				    v) if (!json_equal(v, json_object_get(a, k)) && len < size)
		    len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "", k);
		json_object_foreach(a, k, v) if (!json_object_get(b, k) && len < size) len +=
		    (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "", k);
	}
	json_decref(a);
	json_decref(b);
}

static const char *const obj_names[OBJ_COUNT] = {
    "queue", "number", "trunk", "flow", "calendar", "reason_code", "disposition", "campaign"};

static int sync_obj(struct prov *p, const char *tenant, enum store__obj obj, const char *key,
		    long pos, const char *body)
{
	enum store__q get = Q_OBJ(obj, OBJ_OP_GET);
	struct store__param prm[5] = {store__text(tenant), store__text(key), store__int(pos),
				      store__text(body), store__int(p->now)};
	char *old = NULL, fields[200];
	long old_pos = -1;
	bool found = false;
	int err = store__query(p->db, get, prm, 2);

	if (err)
		return err;
	while (store__row(p->db, get, &err)) {
		const char *b = store__col_text(p->db, get, 0);

		found = true;
		free(old);
		old = strdup(b ? b : "");
		old_pos = (long)store__col_int(p->db, get, 1);
	}
	if (err || (found && !old)) {
		free(old);
		return err ? err : ENOMEM;
	}
	if (found && !strcmp(old, body) && old_pos == pos) {
		p->rep->unchanged++;
		free(old);
		return 0;
	}
	if (found)
		changed_fields(old, body, fields, sizeof(fields));
	free(old);
	err = store__exec(p->db, Q_OBJ(obj, OBJ_OP_UPSERT), prm, 5);
	if (!err)
		err = audit(p, tenant, obj_names[obj], key, found ? "update" : "create",
			    found ? (fields[0] ? fields : "position") : NULL);
	if (!err) {
		if (found)
			p->rep->updated++;
		else
			p->rep->created++;
	}
	return err;
}

/* Deletes the rows of a table whose key `keep` does not recognise. */
static bool listed(const struct cfg_tenant *t, int o, const char *k);

/* Deletes the tenant's stored objects of kind o (OBJ_*, or OBJ_USERS) that its
 * configuration no longer lists. */
static int prune(struct prov *p, const char *tenant, enum store__q keys_q, enum store__q del_q,
		 const char *object, int o, const struct cfg_tenant *t)
{
	struct store__param prm[2] = {store__text(tenant), store__text(NULL)};
	char **gone = NULL, **ng;
	size_t n = 0, i;
	int err = store__query(p->db, keys_q, prm, 1);

	if (err)
		return err;
	while (store__row(p->db, keys_q, &err)) {
		const char *k = store__col_text(p->db, keys_q, 0);

		if (!k || listed(t, o, k))
			continue;
		if (!(ng = realloc(gone, (n + 1) * sizeof(*gone))) || !(ng[n] = strdup(k))) {
			gone = ng ? ng : gone;
			store__done(p->db, keys_q);
			err = ENOMEM;
			break;
		}
		gone = ng;
		n++;
	}
	for (i = 0; i < n && !err; i++) {
		prm[1] = store__text(gone[i]);
		err = store__exec(p->db, del_q, prm, 2);
		if (!err)
			err = audit(p, tenant, object, gone[i], "delete", NULL);
		if (!err)
			p->rep->deleted++;
	}
	for (i = 0; i < n; i++)
		free(gone[i]);
	free(gone);
	return err;
}

/* Users are pruned like the objects; their kind comes after OBJ_*. */
#define OBJ_USERS OBJ_COUNT

/* How many objects of kind o (OBJ_*, or OBJ_USERS) the tenant lists, and the key of the
 * i-th (i below that count). */
static size_t listed_count(const struct cfg_tenant *t, int o)
{
	static const size_t off[OBJ_COUNT + 1] = {
	    [OBJ_QUEUE] = offsetof(struct cfg_tenant, nqueues),
	    [OBJ_NUMBER] = offsetof(struct cfg_tenant, nnumbers),
	    [OBJ_TRUNK] = offsetof(struct cfg_tenant, ntrunks),
	    [OBJ_FLOW] = offsetof(struct cfg_tenant, nflows),
	    [OBJ_CALENDAR] = offsetof(struct cfg_tenant, ncalendars),
	    [OBJ_REASON] = offsetof(struct cfg_tenant, nreason_codes),
	    [OBJ_DISPOSITION] = offsetof(struct cfg_tenant, ndispositions),
	    [OBJ_USERS] = offsetof(struct cfg_tenant, nusers),
	};
	return *(const size_t *)((const char *)t + off[o]);
}

static const char *listed_key(const struct cfg_tenant *t, int o, size_t i)
{
	switch (o) {
	case OBJ_QUEUE:
		return t->queues[i].id;
	case OBJ_NUMBER:
		return t->numbers[i].number;
	case OBJ_TRUNK:
		return t->trunks[i].id;
	case OBJ_FLOW:
		return t->flows[i].name;
	case OBJ_CALENDAR:
		return t->calendars[i].name;
	case OBJ_REASON:
		return t->reason_codes[i];
	case OBJ_DISPOSITION:
		return t->dispositions[i];
	default:
		return t->users[i].username;
	}
}

/* True when the tenant's configuration lists an object of kind o with key k. */
static bool listed(const struct cfg_tenant *t, int o, const char *k)
{
	for (size_t i = 0, n = listed_count(t, o); i < n; i++)
		if (!strcmp(listed_key(t, o, i), k))
			return true;
	return false;
}

static int prune_tenant(struct prov *p, const struct cfg_tenant *t)
{
	int err = prune(p, t->id, Q_USER_KEYS, Q_USER_DELETE, "user", OBJ_USERS, t);

	/* Campaigns are the API's only: the file's are never written to the store. */
	for (int o = 0; o < OBJ_COUNT && !err; o++)
		err = o == OBJ_CAMPAIGN ? 0
					: prune(p, t->id, Q_OBJ(o, OBJ_OP_KEYS),
						Q_OBJ(o, OBJ_OP_DELETE), obj_names[o], o, t);
	return err;
}

static int sync_tenant_row(struct prov *p, const struct cfg_tenant *t)
{
	struct store__param prm[9] = {
	    store__text(t->id),	       store__text(t->name ? t->name : t->id),
	    store__text(domain_of(t)), store__text(t->timezone),
	    store__text(t->language),  store__text(t->country),
	    store__int(t->prune),      store__int(t->record),
	    store__int(p->now)};
	char fields[200] = "";
	size_t len = 0;
	bool found = false;
	int err = store__query(p->db, Q_TENANT_GET, prm, 1);

	if (err)
		return err;
	while (store__row(p->db, Q_TENANT_GET, &err)) {
		static const char *const names[] = {"name",    "domain", "timezone", "language",
						    "country", "prune",	 "record"};
		found = true;
		for (int c = 0; c < 7; c++) {
			const char *old = store__col_text(p->db, Q_TENANT_GET, c);
			const char *new = c >= 5 ? (prm[c + 1].i ? "1" : "0") : prm[c + 1].s;

			if (!str_eq(old, new) && len < sizeof(fields))
				len += (size_t)snprintf(fields + len, sizeof(fields) - len, "%s%s",
							len ? "," : "", names[c]);
		}
	}
	if (err)
		return err;
	if (found && !len) {
		p->rep->unchanged++;
		return 0;
	}
	err = store__exec(p->db, Q_TENANT_UPSERT, prm, 9);
	if (!err)
		err = audit(p, t->id, "tenant", t->id, found ? "update" : "create",
			    found ? fields : NULL);
	if (!err) {
		if (found)
			p->rep->updated++;
		else
			p->rep->created++;
	}
	return err;
}

static int sync_user(struct prov *p, const struct cfg_tenant *t, const struct cfg_user *u,
		     const char *hash)
{
	static const char *const names[] = {"name",	    "password",	    "roles",  "sip.user",
					    "sip.password", "sip.password", "skills", "queues",
					    "auto_ready",   "language"};
	struct crm_buf skills = {0}, queues = {0};
	struct store__param prm[13];
	char roles[64], fields[200] = "";
	size_t len = 0;
	bool found = false;
	int err, c;

	store__roles_text(u->roles, roles, sizeof(roles));
	store__json_skills(u->skills, u->nskills, &skills);
	store__json_penalties(u->queues, u->nqueues, &queues);
	if (skills.err || queues.err) {
		err = ENOMEM;
		goto out;
	}
	prm[0] = store__text(t->id);
	prm[1] = store__text(u->username);
	prm[2] = store__text(u->name);
	prm[3] = store__text(hash);
	prm[4] = store__text(roles);
	prm[5] = store__text(u->sip_user);
	prm[6] = store__text(nonempty(u->ha1_md5));
	prm[7] = store__text(nonempty(u->ha1_sha256));
	prm[8] = store__text(skills.p);
	prm[9] = store__text(queues.p);
	prm[10] = store__int(u->auto_ready);
	prm[11] = store__text(u->language);
	prm[12] = store__int(p->now);
	if ((err = store__query(p->db, Q_USER_GET, prm, 2)))
		goto out;
	while (store__row(p->db, Q_USER_GET, &err)) {
		const char *src = store__col_text(p->db, Q_USER_GET, 10);
		found = true;
		/* A user the API made, now listed by the file: the file takes it over. */
		if (!str_eq(src, "file") && len < sizeof(fields))
			len += (size_t)snprintf(fields + len, sizeof(fields) - len, "%ssource",
						len ? "," : "");
		for (c = 0; c < 10; c++) {
			const char *old = store__col_text(p->db, Q_USER_GET, c);
			const char *new = c == 8 ? (u->auto_ready ? "1" : "0") : prm[c + 2].s;

			/* Both HA1 columns change together: name the field once. */
			if (!str_eq(old, new) && !(c == 5 && strstr(fields, names[c])) &&
			    len < sizeof(fields))
				len += (size_t)snprintf(fields + len, sizeof(fields) - len, "%s%s",
							len ? "," : "", names[c]);
		}
	}
	if (err)
		goto out;
	if (found && !len) {
		p->rep->unchanged++;
		goto out;
	}
	err = store__exec(p->db, Q_USER_UPSERT, prm, 13);
	if (!err)
		err = audit(p, t->id, "user", u->username, found ? "update" : "create",
			    found ? fields : NULL);
	if (!err) {
		if (found)
			p->rep->updated++;
		else
			p->rep->created++;
	}
out:
	crm_buf_free(&skills);
	crm_buf_free(&queues);
	return err;
}

/* Writes one tenant; on failure the report names the object. */
static int sync_tenant(struct prov *p, size_t ti)
{
	const struct cfg_tenant *t = &p->cfg->tenants[ti];
	struct crm_buf b = {0};
	size_t i;
	int err;

#define FAIL(line, col, ...)                                                                       \
	do {                                                                                       \
		char where_[160];                                                                  \
		snprintf(where_, sizeof(where_), __VA_ARGS__);                                     \
		perr(p, err, line, col, "tenants[%zu].%s: %s", ti, where_,                         \
		     err == ENOMEM ? "out of memory" : store_db_errmsg(p->db));                    \
		goto out;                                                                          \
	} while (0)

	if ((err = sync_tenant_row(p, t))) {
		perr(p, err, t->line, t->col, "tenants[%zu] (%s): %s", ti, t->id,
		     store_db_errmsg(p->db));
		goto out;
	}
	for (i = 0; i < t->nusers; i++)
		if ((err = sync_user(p, t, &t->users[i], p->hash[ti][i])))
			FAIL(t->users[i].line, t->users[i].col, "users[%zu]", i);
	for (i = 0; i < t->nqueues; i++) {
		crm_buf_reset(&b);
		store__body_queue(&t->queues[i], &b);
		if ((err = b.err) ||
		    (err = sync_obj(p, t->id, OBJ_QUEUE, t->queues[i].id, (long)i, b.p)))
			FAIL(t->queues[i].line, t->queues[i].col, "queues[%zu]", i);
	}
	for (i = 0; i < t->nnumbers; i++) {
		crm_buf_reset(&b);
		store__body_number(&t->numbers[i], &b);
		if ((err = b.err) ||
		    (err = sync_obj(p, t->id, OBJ_NUMBER, t->numbers[i].number, (long)i, b.p)))
			FAIL(t->numbers[i].line, t->numbers[i].col, "numbers[%zu]", i);
	}
	for (i = 0; i < t->ntrunks; i++) {
		crm_buf_reset(&b);
		store__body_trunk(&t->trunks[i], &b);
		if ((err = b.err) ||
		    (err = sync_obj(p, t->id, OBJ_TRUNK, t->trunks[i].id, (long)i, b.p)))
			FAIL(t->trunks[i].line, t->trunks[i].col, "trunks[%zu]", i);
	}
	for (i = 0; i < t->nflows + t->ncalendars; i++) {
		bool flow = i < t->nflows;
		const struct cfg_named_node *n = flow ? &t->flows[i] : &t->calendars[i - t->nflows];

		crm_buf_reset(&b);
		store__body_node(n, &b);
		if ((err = b.err) ||
		    (err = sync_obj(p, t->id, flow ? OBJ_FLOW : OBJ_CALENDAR, n->name,
				    (long)(flow ? i : i - t->nflows), b.p)))
			FAIL(t->line, t->col, "%s.%s", flow ? "flows" : "calendars", n->name);
	}
	for (i = 0; i < t->nreason_codes + t->ndispositions; i++) {
		bool reason = i < t->nreason_codes;
		size_t k = reason ? i : i - t->nreason_codes;
		const char *code = reason ? t->reason_codes[k] : t->dispositions[k];

		crm_buf_reset(&b);
		store__body_code(code, k, &b);
		if ((err = b.err) ||
		    (err = sync_obj(p, t->id, reason ? OBJ_REASON : OBJ_DISPOSITION, code, (long)k,
				    b.p)))
			FAIL(t->line, t->col, "%s[%zu]", reason ? "reason_codes" : "dispositions",
			     k);
	}
	if (t->prune && (err = prune_tenant(p, t)))
		FAIL(t->line, t->col, "prune");
#undef FAIL
out:
	crm_buf_free(&b);
	return err;
}

int store_db_provision(struct store_db *db, const struct cfg *cfg,
		       const struct store_provision_opts *opts, struct store_provision_report *rep)
{
	struct store_provision_report local;
	struct prov p = {.db = db, .cfg = cfg, .now = clock_wall_ms()};
	size_t ti;
	int err;

	p.rep = rep ? rep : &local;
	memset(p.rep, 0, sizeof(*p.rep));
	p.actor = opts && opts->actor ? opts->actor : "provision";
	p.ops = opts && opts->opslimit ? opts->opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	p.mem = opts && opts->memlimit ? opts->memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if (sodium_init() < 0)
		return perr(&p, EIO, 0, 0, "libsodium could not start");
	if ((err = check(&p)) || (err = settle_passwords(&p)))
		goto out;
	if ((err = store__tx_begin(db))) {
		perr(&p, err, 0, 0, "tenants: %s", store_db_errmsg(db));
		goto out;
	}
	for (ti = 0; ti < cfg->ntenants && !err; ti++)
		err = sync_tenant(&p, ti);
	if ((err = store__tx_end(db, err)) && !p.rep->error[0])
		perr(&p, err, 0, 0, "tenants: %s", store_db_errmsg(db));
out:
	free_hashes(&p);
	if (err) {
		char msg[sizeof(p.rep->error)];

		memcpy(msg, p.rep->error, sizeof(msg));
		memset(p.rep, 0, sizeof(*p.rep));
		memcpy(p.rep->error, msg, sizeof(msg));
		log_error("store", "event=provision_failed error=\"%s\"", msg);
		return err;
	}
	log_info("store",
		 "event=provisioned tenants=%zu created=%u updated=%u deleted=%u "
		 "unchanged=%u hashed=%u",
		 cfg->ntenants, p.rep->created, p.rep->updated, p.rep->deleted, p.rep->unchanged,
		 p.rep->hashed);
	return 0;
}

int store_provision(struct store *s, const struct cfg *cfg, const struct store_provision_opts *opts,
		    struct store_provision_report *rep)
{
	struct store_db *db;
	int err = store_db_open(s->url, &db);

	if (err) {
		if (rep)
			snprintf(rep->error, sizeof(rep->error), "store: cannot open the database");
		return err;
	}
	err = store_db_provision(db, cfg, opts, rep);
	store_db_close(db);
	return err;
}

int store_db_user_verify(struct store_db *db, const char *tenant, const char *username,
			 const char *password)
{
	struct store__param prm[2] = {store__text(tenant), store__text(username)};
	char *hash = NULL;
	bool found = false;
	int err;

	STORE__TENANT(tenant);
	if (!username || !password)
		return EINVAL;
	if (sodium_init() < 0)
		return EIO;
	if ((err = store__query(db, Q_USER_HASH, prm, 2)))
		return err;
	while (store__row(db, Q_USER_HASH, &err)) {
		const char *h = store__col_text(db, Q_USER_HASH, 0);

		found = true;
		free(hash);
		hash = h ? strdup(h) : NULL;
	}
	if (!err && !found)
		err = ENOENT;
	else if (!err)
		err = hash && !crypto_pwhash_str_verify(hash, password, strlen(password)) ? 0
											  : EACCES;
	free(hash);
	return err;
}
