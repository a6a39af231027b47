/*
 * Finding contacts: by a name's prefix, by e-mail, by phone number, or all of a tenant,
 * each in pages ordered by id (keyset: the page after the last id seen). Names and
 * e-mails are found through contact_keys, written with the contact in the same
 * transaction: for a name, the folded full name ("jan maria kowalski"), each of its
 * tails that starts a word ("maria kowalski", "kowalski", and after a hyphen), the
 * surname first ("kowalski jan") and the company's the same way; for an e-mail, the
 * whole address folded. Folding is crm_name_fold's, so "ŁUK" finds "Łukasz" on SQLite
 * and PostgreSQL alike.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 192 /* bytes of a key kept; longer names are found by their start */

/* The length of s cut to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static int key_add(struct store_db *db, const char *tenant, const char *kind, const char *k,
		   size_t len, const char *id)
{
	char buf[KEY_MAX + 1];
	struct store__param p[4];

	len = utf8_cut(k, len, KEY_MAX);
	if (!len)
		return 0;
	memcpy(buf, k, len);
	buf[len] = '\0';
	p[0] = store__text(tenant);
	p[1] = store__text(kind);
	p[2] = store__text(buf);
	p[3] = store__text(id);
	return store__exec(db, Q_KEY_ADD, p, 4);
}

/* The folded text and each of its tails that starts a word (after a space or a hyphen). */
static int name_tails(struct store_db *db, const char *tenant, const char *text, const char *id)
{
	struct crm_buf b = {0};
	int err;

	if (!text || !*text)
		return 0;
	if (crm_name_fold(text, &b)) {
		err = b.err;
		goto out;
	}
	err = key_add(db, tenant, "n", b.p, b.len, id);
	for (size_t i = 1; !err && i < b.len; i++)
		if ((b.p[i - 1] == ' ' || b.p[i - 1] == '-') && b.p[i] != ' ' && b.p[i] != '-')
			err = key_add(db, tenant, "n", b.p + i, b.len - i, id);
out:
	crm_buf_free(&b);
	return err;
}

int store__contact_keys(struct store_db *db, const char *tenant, const struct crm_contact *c)
{
	struct store__param p[2] = {store__text(tenant), store__text(c->id)};
	struct crm_buf full = {0};
	int err = store__exec(db, Q_KEYS_CLEAR, p, 2);

	if (err)
		return err;
	/* "first last" with its tails, and "last first". */
	crm_buf_puts(&full, c->first_name ? c->first_name : "");
	crm_buf_putc(&full, ' ');
	crm_buf_puts(&full, c->last_name ? c->last_name : "");
	if (full.err) {
		err = ENOMEM;
		goto out;
	}
	err = name_tails(db, tenant, full.p, c->id);
	if (!err && c->first_name && *c->first_name && c->last_name && *c->last_name) {
		crm_buf_reset(&full);
		crm_buf_puts(&full, c->last_name);
		crm_buf_putc(&full, ' ');
		crm_buf_puts(&full, c->first_name);
		err = full.err ? ENOMEM : 0;
		if (!err) {
			struct crm_buf b = {0};
			if (!crm_name_fold(full.p, &b))
				err = key_add(db, tenant, "n", b.p, b.len, c->id);
			else
				err = b.err;
			crm_buf_free(&b);
		}
	}
	if (!err)
		err = name_tails(db, tenant, c->company, c->id);
	for (size_t i = 0; !err && i < c->nemails; i++) {
		struct crm_buf b = {0};
		if (!crm_name_fold(c->emails[i], &b))
			err = key_add(db, tenant, "e", b.p, b.len, c->id);
		else
			err = b.err;
		crm_buf_free(&b);
	}
out:
	crm_buf_free(&full);
	return err;
}

int store__contact_keys_backfill(struct store_db *db)
{
	char tenant[256] = "", id[CRM_ID_SIZE + 8] = "";
	int err = 0;

	for (;;) {
		struct store__param p[2] = {store__text(tenant), store__text(id)};
		struct crm_contact **page = NULL;
		char **tenants = NULL;
		size_t n = 0, cap = 0;

		if ((err = store__query(db, Q_CONTACT_SCAN, p, 2)))
			return err;
		/* Read the page first: one query at a time on a connection. */
		while (store__row(db, Q_CONTACT_SCAN, &err)) {
			struct crm_contact *c;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				void *np = realloc(page, nc * sizeof(*page)), *nt;
				if (np)
					page = np;
				nt = np ? realloc(tenants, nc * sizeof(*tenants)) : NULL;
				if (!nt) {
					err = ENOMEM;
					store__done(db, Q_CONTACT_SCAN);
					break;
				}
				tenants = nt;
				cap = nc;
			}
			if (!(err = store__read_contact(db, Q_CONTACT_SCAN, &c)) &&
			    !(tenants[n] = strdup(store__col_text(db, Q_CONTACT_SCAN, 0)))) {
				crm_contact_free(c);
				err = ENOMEM;
			}
			if (err) {
				store__done(db, Q_CONTACT_SCAN);
				break;
			}
			page[n++] = c;
		}
		for (size_t i = 0; !err && i < n; i++)
			err = store__contact_keys(db, tenants[i], page[i]);
		if (!err && n) {
			snprintf(tenant, sizeof(tenant), "%s", tenants[n - 1]);
			snprintf(id, sizeof(id), "%s", page[n - 1]->id);
		}
		for (size_t i = 0; i < n; i++) {
			crm_contact_free(page[i]);
			free(tenants[i]);
		}
		free(page);
		free(tenants);
		if (err || !n)
			return err;
	}
}

int store_db_contacts_search(struct store_db *db, const char *tenant, enum store_contact_by by,
			     const char *value, const char *after_id, size_t limit,
			     store_contact_h *h, void *arg)
{
	struct store__param p[5];
	struct crm_buf lo = {0}, hi = {0};
	enum store__q q;
	int n = 0, err, herr = 0;

	STORE__TENANT(tenant);
	if (by != STORE_CONTACT_ALL && (!value || !*value))
		return EINVAL;
	p[n++] = store__text(tenant);
	switch (by) {
	case STORE_CONTACT_NAME:
		/* [prefix, prefix + U+10FFFF): every key that starts with the prefix. */
		if ((err = crm_name_fold(value, &lo)))
			goto out;
		lo.len = utf8_cut(lo.p, lo.len, KEY_MAX);
		lo.p[lo.len] = '\0';
		crm_buf_put(&hi, lo.p, lo.len);
		crm_buf_puts(&hi, "\xf4\x8f\xbf\xbf");
		if (lo.err || hi.err) {
			err = ENOMEM;
			goto out;
		}
		p[n++] = store__text(lo.p);
		p[n++] = store__text(hi.p);
		q = Q_CONTACT_SEARCH_NAME;
		break;
	case STORE_CONTACT_EMAIL:
		if ((err = crm_name_fold(value, &lo)))
			goto out;
		p[n++] = store__text(lo.p);
		q = Q_CONTACT_SEARCH_EMAIL;
		break;
	case STORE_CONTACT_PHONE:
		p[n++] = store__text(value);
		q = Q_CONTACT_SEARCH_PHONE;
		break;
	default:
		q = Q_CONTACT_LIST;
		break;
	}
	p[n++] = store__text(after_id ? after_id : "");
	p[n++] = store__int(limit ? (int64_t)limit : INT64_MAX);
	if ((err = store__query(db, q, p, n)))
		goto out;
	while (store__row(db, q, &err)) {
		struct crm_contact *c;
		if ((err = store__read_contact(db, q, &c))) {
			store__done(db, q);
			break;
		}
		herr = h(c, arg);
		crm_contact_free(c);
		if (herr) {
			store__done(db, q);
			break;
		}
	}
	if (!err)
		err = herr;
out:
	crm_buf_free(&lo);
	crm_buf_free(&hi);
	return err;
}
