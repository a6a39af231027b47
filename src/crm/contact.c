/*
 * Contacts: construction, the checks on what goes into them (E.164 phones, e-mail
 * addresses, a JSON object of custom fields) and their JSON form for screen pops and
 * the API.
 */
#include "crm/crm.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int crm_str_set(char **dst, const char *src)
{
	char *s = NULL;

	if (src && !(s = strdup(src)))
		return ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int crm_contact_new(const char *id, struct crm_contact **out)
{
	struct crm_contact *c = calloc(1, sizeof(*c));
	char buf[CRM_ID_SIZE];

	if (!c)
		return ENOMEM;
	if (!id) {
		crm_id_new(buf);
		id = buf;
	}
	if (crm_str_set(&c->id, id)) {
		free(c);
		return ENOMEM;
	}
	*out = c;
	return 0;
}

static void strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void crm_contact_free(struct crm_contact *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->first_name);
	free(c->last_name);
	free(c->company);
	free(c->language);
	free(c->timezone);
	free(c->custom_json);
	strv_free(c->phones, c->nphones);
	strv_free(c->emails, c->nemails);
	strv_free(c->tags, c->ntags);
	free(c);
}

/* Appends a copy of s to the array unless an equal string is already there. */
static int strv_add_unique(char ***v, size_t *n, const char *s)
{
	char **nv, *copy;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	if (!(copy = strdup(s)))
		return ENOMEM;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return ENOMEM;
	}
	nv[(*n)++] = copy;
	*v = nv;
	return 0;
}

int crm_contact_add_phone(struct crm_contact *c, const char *raw, const char *country)
{
	char e164[CRM_E164_SIZE];

	if (crm_phone_e164(raw, country, e164))
		return EINVAL;
	return strv_add_unique(&c->phones, &c->nphones, e164);
}

int crm_contact_add_email(struct crm_contact *c, const char *email)
{
	const char *at = email ? strchr(email, '@') : NULL;
	char buf[256];
	size_t i, len;

	if (!at || at == email || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
	    strpbrk(email, " \t\r\n,;<>") || (len = strlen(email)) >= sizeof(buf))
		return EINVAL;
	/* The domain is case-insensitive; the local part is left as written. */
	memcpy(buf, email, len + 1);
	for (i = (size_t)(at - email); i < len; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return strv_add_unique(&c->emails, &c->nemails, buf);
}

int crm_contact_add_tag(struct crm_contact *c, const char *tag)
{
	if (!tag || !*tag)
		return EINVAL;
	return strv_add_unique(&c->tags, &c->ntags, tag);
}

int crm_contact_set_custom(struct crm_contact *c, const char *json)
{
	json_t *j;
	char *text;
	int err;

	if (!json)
		return crm_str_set(&c->custom_json, NULL);
	j = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return EINVAL;
	}
	/* Kept in a compact canonical form, so unchanged fields compare equal as text. */
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return ENOMEM;
	err = crm_str_set(&c->custom_json, text);
	free(text);
	return err;
}

static json_t *jstrv(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, crm_json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *crm_contact_to_json(const struct crm_contact *c)
{
	json_t *custom = c->custom_json ? json_loads(c->custom_json, 0, NULL) : NULL;

	/* A damaged custom column reads as no custom fields rather than invalid JSON. */
	if (custom && !json_is_object(custom)) {
		json_decref(custom);
		custom = NULL;
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "id",
			 crm_json_string(c->id), "first_name", crm_json_string(c->first_name),
			 "last_name", crm_json_string(c->last_name), "company",
			 crm_json_string(c->company), "phones", jstrv(c->phones, c->nphones),
			 "emails", jstrv(c->emails, c->nemails), "language",
			 crm_json_string(c->language), "timezone", crm_json_string(c->timezone),
			 "tags", jstrv(c->tags, c->ntags), "custom",
			 custom ? custom : json_object(), "vip", c->vip, "do_not_call", c->dnc);
}

int crm_contact_json(const struct crm_contact *c, struct crm_buf *out)
{
	json_t *j = crm_contact_to_json(c);
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (!text)
		return out->err = ENOMEM;
	crm_buf_puts(out, text);
	free(text);
	return out->err;
}

/* The size of the union of a and b (strings compared exactly). */
static size_t union_size(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t n = na;

	for (size_t i = 0; i < nb; i++) {
		size_t j = 0;
		while (j < na && strcmp(a[j], b[i]))
			j++;
		n += j == na;
	}
	return n;
}

/* Copies every field of src into a fresh contact with src's id. */
static int contact_copy(const struct crm_contact *src, struct crm_contact **out)
{
	struct crm_contact *c;
	int err = crm_contact_new(src->id, &c);
	size_t i;

	if (err)
		return err;
	err = crm_str_set(&c->first_name, src->first_name);
	err = err ? err : crm_str_set(&c->last_name, src->last_name);
	err = err ? err : crm_str_set(&c->company, src->company);
	err = err ? err : crm_str_set(&c->language, src->language);
	err = err ? err : crm_str_set(&c->timezone, src->timezone);
	err = err ? err : crm_str_set(&c->custom_json, src->custom_json);
	for (i = 0; !err && i < src->nphones; i++)
		err = strv_add_unique(&c->phones, &c->nphones, src->phones[i]);
	for (i = 0; !err && i < src->nemails; i++)
		err = strv_add_unique(&c->emails, &c->nemails, src->emails[i]);
	for (i = 0; !err && i < src->ntags; i++)
		err = strv_add_unique(&c->tags, &c->ntags, src->tags[i]);
	c->vip = src->vip;
	c->dnc = src->dnc;
	c->created_ms = src->created_ms;
	c->updated_ms = src->updated_ms;
	if (err) {
		crm_contact_free(c);
		return err;
	}
	*out = c;
	return 0;
}

/* Swaps every field of a and b (so that a merge built on a copy lands in keep). */
static void contact_swap(struct crm_contact *a, struct crm_contact *b)
{
	struct crm_contact t = *a;

	*a = *b;
	*b = t;
}

int crm_contact_merge(struct crm_contact *keep, const struct crm_contact *from)
{
	struct crm_contact *m = NULL;
	json_t *kc = NULL, *fc = NULL;
	char *text = NULL;
	size_t i;
	int err;

	if (union_size(keep->phones, keep->nphones, from->phones, from->nphones) >
		CRM_CONTACT_LIST_MAX ||
	    union_size(keep->emails, keep->nemails, from->emails, from->nemails) >
		CRM_CONTACT_LIST_MAX ||
	    union_size(keep->tags, keep->ntags, from->tags, from->ntags) > CRM_CONTACT_LIST_MAX)
		return E2BIG;
	/* Built on a copy, so that keep stays as it was when memory runs out. */
	if ((err = contact_copy(keep, &m)))
		return err;
	if (!m->first_name && !m->last_name) {
		err = crm_str_set(&m->first_name, from->first_name);
		err = err ? err : crm_str_set(&m->last_name, from->last_name);
	}
	if (!err && !m->company)
		err = crm_str_set(&m->company, from->company);
	if (!err && !m->language)
		err = crm_str_set(&m->language, from->language);
	if (!err && !m->timezone)
		err = crm_str_set(&m->timezone, from->timezone);
	for (i = 0; !err && i < from->nphones; i++)
		err = strv_add_unique(&m->phones, &m->nphones, from->phones[i]);
	for (i = 0; !err && i < from->nemails; i++)
		err = strv_add_unique(&m->emails, &m->nemails, from->emails[i]);
	for (i = 0; !err && i < from->ntags; i++)
		err = strv_add_unique(&m->tags, &m->ntags, from->tags[i]);
	if (!err && from->custom_json) {
		kc = m->custom_json ? json_loads(m->custom_json, 0, NULL) : json_object();
		fc = json_loads(from->custom_json, 0, NULL);
		/* A damaged column is left as it was rather than failing the merge. */
		if (kc && fc && json_is_object(kc) && json_is_object(fc)) {
			if (json_object_update_missing(kc, fc) ||
			    !(text = json_dumps(kc, JSON_COMPACT | JSON_PRESERVE_ORDER)))
				err = ENOMEM;
			else
				err = crm_str_set(&m->custom_json, text);
		}
	}
	m->vip = keep->vip || from->vip;
	m->dnc = keep->dnc || from->dnc;
	if (!err)
		contact_swap(keep, m);
	crm_contact_free(m);
	json_decref(kc);
	json_decref(fc);
	free(text);
	return err;
}
