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
