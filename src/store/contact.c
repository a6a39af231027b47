/*
 * Contacts in the database. The contact row keeps its phones, e-mails and tags as JSON
 * arrays; contact_phones indexes every E.164 number by (tenant, e164) so a screen pop or
 * an IVR lookup is one index probe. The row and its index entries change together in
 * one transaction. Duplicates are merged here too: one transaction moves the
 * interactions and removes the duplicate.
 */
#include "store/store_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

/* A JSON array of strings (free() it); NULL when memory ran out. */
static char *json_strv(char *const *v, size_t n)
{
	json_t *a = json_array();
	char *text;

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, crm_json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	text = a ? json_dumps(a, CRM_JSON_FLAGS) : NULL;
	json_decref(a);
	return text;
}

int store_db_contact_put(struct store_db *db, const char *tenant, const struct crm_contact *c)
{
	char *phones = NULL, *emails = NULL, *tags = NULL;
	struct store__param p[15];
	int64_t now = clock_wall_ms();
	size_t i;
	int err;

	STORE__TENANT(tenant);
	if (!c->id || !*c->id)
		return EINVAL;
	phones = json_strv(c->phones, c->nphones);
	emails = json_strv(c->emails, c->nemails);
	tags = json_strv(c->tags, c->ntags);
	if (!phones || !emails || !tags) {
		err = ENOMEM;
		goto out;
	}
	p[0] = store__text(tenant);
	p[1] = store__text(c->id);
	p[2] = store__text(c->first_name);
	p[3] = store__text(c->last_name);
	p[4] = store__text(c->company);
	p[5] = store__text(phones);
	p[6] = store__text(emails);
	p[7] = store__text(c->language);
	p[8] = store__text(c->timezone);
	p[9] = store__text(tags);
	p[10] = store__text(c->custom_json);
	p[11] = store__int(c->vip);
	p[12] = store__int(c->dnc);
	p[13] = store__int(c->created_ms ? c->created_ms : now);
	p[14] = store__int(c->updated_ms ? c->updated_ms : now);
	if ((err = store__tx_begin(db)))
		goto out;
	err = store__exec(db, Q_CONTACT_UPSERT, p, 15);
	if (!err)
		err = store__exec(db, Q_PHONES_CLEAR, p, 2);
	for (i = 0; !err && i < c->nphones; i++) {
		struct store__param ph[3] = {p[0], store__text(c->phones[i]), p[1]};

		err = store__exec(db, Q_PHONE_ADD, ph, 3);
	}
	if (!err)
		err = store__contact_keys(db, tenant, c);
	err = store__tx_end(db, err);
out:
	free(phones);
	free(emails);
	free(tags);
	return err;
}

/* Copies a JSON array of strings into a freshly allocated string vector. */
static int strv_from_json(const char *text, char ***out, size_t *n)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	char **v = NULL;
	size_t i, count;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (!j)
		return 0; /* a damaged column reads as empty rather than failing the lookup */
	count = json_is_array(j) ? json_array_size(j) : 0;
	if (count && !(v = calloc(count, sizeof(*v))))
		err = ENOMEM;
	for (i = 0; !err && i < count; i++) {
		const char *s = json_string_value(json_array_get(j, i));

		if (!(v[*n] = strdup(s ? s : "")))
			err = ENOMEM;
		else
			(*n)++;
	}
	json_decref(j);
	*out = v;
	return err;
}

/* Reads the current row of a contact query (CONTACT_COLS in sql.c). */
int store__read_contact(struct store_db *db, enum store__q q, struct crm_contact **out)
{
	struct crm_contact *c;
	int err = crm_contact_new(store__col_text(db, q, 1), &c);

	if (err)
		return err;
	err = crm_str_set(&c->first_name, store__col_text(db, q, 2));
	err = err ? err : crm_str_set(&c->last_name, store__col_text(db, q, 3));
	err = err ? err : crm_str_set(&c->company, store__col_text(db, q, 4));
	err = err ? err : strv_from_json(store__col_text(db, q, 5), &c->phones, &c->nphones);
	err = err ? err : strv_from_json(store__col_text(db, q, 6), &c->emails, &c->nemails);
	err = err ? err : crm_str_set(&c->language, store__col_text(db, q, 7));
	err = err ? err : crm_str_set(&c->timezone, store__col_text(db, q, 8));
	err = err ? err : strv_from_json(store__col_text(db, q, 9), &c->tags, &c->ntags);
	err = err ? err : crm_str_set(&c->custom_json, store__col_text(db, q, 10));
	c->vip = store__col_int(db, q, 11) != 0;
	c->dnc = store__col_int(db, q, 12) != 0;
	c->created_ms = store__col_int(db, q, 13);
	c->updated_ms = store__col_int(db, q, 14);
	if (err) {
		crm_contact_free(c);
		return err;
	}
	*out = c;
	return 0;
}

static int get_one(struct store_db *db, enum store__q q, const char *tenant, const char *key,
		   struct crm_contact **out)
{
	struct store__param p[2] = {store__text(tenant), store__text(key)};
	struct crm_contact *c = NULL;
	int err, rerr = ENOENT;

	if ((err = store__query(db, q, p, 2)))
		return err;
	while (store__row(db, q, &err))
		if (!c && (rerr = store__read_contact(db, q, &c)))
			c = NULL;
	if (!err && c) {
		*out = c;
		return 0;
	}
	crm_contact_free(c);
	return err ? err : rerr;
}

int store_db_contact_get(struct store_db *db, const char *tenant, const char *id,
			 struct crm_contact **out)
{
	STORE__TENANT(tenant);
	return get_one(db, Q_CONTACT_GET, tenant, id, out);
}

int store_db_contact_find_phone(struct store_db *db, const char *tenant, const char *e164,
				struct crm_contact **out)
{
	STORE__TENANT(tenant);
	if (!e164 || !*e164)
		return EINVAL;
	return get_one(db, Q_CONTACT_FIND_PHONE, tenant, e164, out);
}

int store_db_contact_delete(struct store_db *db, const char *tenant, const char *id)
{
	struct store__param p[2] = {store__text(tenant), store__text(id)};
	int err;

	STORE__TENANT(tenant);
	if ((err = store__tx_begin(db)))
		return err;
	err = store__exec(db, Q_PHONES_CLEAR, p, 2);
	if (!err)
		err = store__exec(db, Q_KEYS_CLEAR, p, 2);
	if (!err)
		err = store__exec(db, Q_CONTACT_DELETE, p, 2);
	return store__tx_end(db, err);
}

int store_db_contact_merge(struct store_db *db, const char *tenant, const char *keep,
			   const char *from, struct crm_contact **out, int64_t *moved)
{
	struct store__param p[3] = {store__text(tenant), store__text(from), store__text(keep)};
	struct crm_contact *k = NULL, *f = NULL;
	int64_t n = 0;
	int err;

	STORE__TENANT(tenant);
	if (!keep || !from || !*keep || !*from || !strcmp(keep, from))
		return EINVAL;
	if ((err = store__tx_begin(db)))
		return err;
	if ((err = store_db_contact_get(db, tenant, keep, &k)) ||
	    (err = store_db_contact_get(db, tenant, from, &f)))
		goto out;
	if ((err = crm_contact_merge(k, f)))
		goto out;
	k->updated_ms = clock_wall_ms();
	if ((err = store_db_contact_put(db, tenant, k)))
		goto out;
	if ((err = store__query(db, Q_IX_CONTACT_COUNT, p, 2)))
		goto out;
	while (store__row(db, Q_IX_CONTACT_COUNT, &err))
		n = store__col_int(db, Q_IX_CONTACT_COUNT, 0);
	if (err || (err = store__exec(db, Q_IX_CONTACT_MOVE, p, 3)))
		goto out;
	err = store_db_contact_delete(db, tenant, from);
out:
	err = store__tx_end(db, err);
	if (!err && out) {
		*out = k;
		k = NULL;
	}
	if (!err && moved)
		*moved = n;
	crm_contact_free(k);
	crm_contact_free(f);
	return err;
}
