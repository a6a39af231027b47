/*
 * Flattening a JSON reply into name/value pairs for IVR variables: objects join their
 * keys with dots ("customer.balance"), arrays use indexes ("orders.0.id"), numbers keep
 * their JSON spelling, booleans are "true"/"false", null is "". Depth and the number
 * of fields are capped; a reply that is a bare value is named "value".
 */
#include "dip/dip_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16

struct flat {
	struct dip_kv *v;
	size_t n, max;
	bool nomem;
};

static void add(struct flat *f, const char *name, const char *value)
{
	char *k, *v;

	if (f->n >= f->max || f->nomem)
		return;
	k = strdup(name);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		f->nomem = true;
		return;
	}
	f->v[f->n].name = k;
	f->v[f->n].value = v;
	f->n++;
}

static void walk(struct flat *f, const char *prefix, json_t *j, int depth)
{
	char name[512], num[64];
	const char *key;
	json_t *val;
	size_t i;

	if (depth > MAX_DEPTH || f->n >= f->max)
		return;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		json_object_foreach(j, key, val)
		{
			snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
			walk(f, name, val, depth + 1);
		}
		break;
	case JSON_ARRAY:
		json_array_foreach(j, i, val)
		{
			snprintf(name, sizeof(name), "%s%s%zu", prefix, *prefix ? "." : "", i);
			walk(f, name, val, depth + 1);
		}
		break;
	case JSON_STRING:
		add(f, *prefix ? prefix : "value", json_string_value(j));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		add(f, *prefix ? prefix : "value", num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.15g", json_real_value(j));
		add(f, *prefix ? prefix : "value", num);
		break;
	case JSON_TRUE:
		add(f, *prefix ? prefix : "value", "true");
		break;
	case JSON_FALSE:
		add(f, *prefix ? prefix : "value", "false");
		break;
	case JSON_NULL:
		add(f, *prefix ? prefix : "value", "");
		break;
	}
}

enum dip_error dip__flatten(const char *text, size_t len, size_t max_fields, struct dip_result *r)
{
	struct flat f = {.max = max_fields};
	json_error_t err;
	json_t *j;

	j = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	if (!j) {
		snprintf(r->message, sizeof(r->message), "not JSON: %.80s at %d:%d", err.text,
			 err.line, err.column);
		return DIP_ERR_NOT_JSON;
	}
	f.v = calloc(max_fields ? max_fields : 1, sizeof(*f.v));
	if (!f.v) {
		json_decref(j);
		snprintf(r->message, sizeof(r->message), "out of memory");
		return DIP_ERR_OTHER;
	}
	walk(&f, "", j, 0);
	json_decref(j);
	r->fields = f.v;
	r->nfields = f.n;
	if (f.nomem) {
		snprintf(r->message, sizeof(r->message), "out of memory");
		return DIP_ERR_OTHER;
	}
	return DIP_OK;
}
