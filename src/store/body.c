/*
 * How provisioned configuration objects look in the database: one JSON object per
 * queue, number, trunk, flow, calendar, reason code and disposition, with the field
 * names of the configuration file (DESIGN.md contract 4), which are also the REST
 * API's. Rendering is deterministic (jansson, keys in the order set), so provisioning
 * detects "unchanged" by comparing text.
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

/* Appended to b as the project writes every JSON text (CRM_JSON_FLAGS: compact, keys in
 * the order set); takes j. Out of memory leaves b->err set. */
static int put_cb(const char *buf, size_t size, void *arg)
{
	crm_buf_put(arg, buf, size);
	return 0;
}

static void put_json(struct crm_buf *b, json_t *j)
{
	if (!j || json_dump_callback(j, put_cb, b, CRM_JSON_FLAGS))
		b->err = ENOMEM;
	json_decref(j);
}

static void kv_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, crm_json_string(v));
}

static void kv_long(json_t *o, const char *k, long v)
{
	json_object_set_new(o, k, json_integer(v));
}

static void kv_bool(json_t *o, const char *k, bool v)
{
	json_object_set_new(o, k, json_boolean(v));
}

/* Durations as the configuration writes them: "15s", "5m", "1h", "250ms". */
static void kv_dur(json_t *o, const char *k, uint64_t ms)
{
	unsigned long long v = (unsigned long long)ms;
	char text[32];

	if (v && v % 3600000 == 0)
		snprintf(text, sizeof(text), "%lluh", v / 3600000);
	else if (v && v % 60000 == 0)
		snprintf(text, sizeof(text), "%llum", v / 60000);
	else if (v % 1000 == 0)
		snprintf(text, sizeof(text), "%llus", v / 1000);
	else
		snprintf(text, sizeof(text), "%llums", v);
	json_object_set_new(o, k, json_string(text));
}

static json_t *skills_json(const struct cfg_skill *s, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, s[i].name, json_integer(s[i].level));
	return o;
}

void store__json_skills(const struct cfg_skill *s, size_t n, struct crm_buf *b)
{
	put_json(b, skills_json(s, n));
}

void store__json_penalties(const struct cfg_penalty *p, size_t n, struct crm_buf *b)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, p[i].queue, json_integer(p[i].penalty));
	put_json(b, o);
}

void store__roles_text(unsigned roles, char *buf, size_t size)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{CFG_ROLE_ADMIN, "admin"},
		     {CFG_ROLE_SUPERVISOR, "supervisor"},
		     {CFG_ROLE_AGENT, "agent"},
		     {CFG_ROLE_QA, "qa"}};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(roles & names[i].bit))
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
					len ? "," : "", names[i].name);
	}
}

static const char *target_key(enum cfg_target_kind k)
{
	switch (k) {
	case CFG_TARGET_QUEUE:
		return "queue";
	case CFG_TARGET_USER:
		return "user";
	case CFG_TARGET_NUMBER:
		return "number";
	case CFG_TARGET_FLOW:
		return "flow";
	case CFG_TARGET_MESSAGE:
		return "message";
	case CFG_TARGET_HANGUP:
		return "hangup";
	case CFG_TARGET_NONE:
		break;
	}
	return NULL;
}

static json_t *target(const struct cfg_target *t)
{
	json_t *o = json_object();
	const char *k = target_key(t->kind);

	if (!o)
		return NULL;
	if (k && t->kind == CFG_TARGET_HANGUP)
		kv_bool(o, k, true);
	else if (k)
		kv_str(o, k, t->value ? t->value : "");
	kv_str(o, "trunk", t->trunk);
	return o;
}

void store__body_queue(const struct cfg_queue *q, struct crm_buf *b)
{
	json_t *o = json_object();

	if (!o) {
		b->err = ENOMEM;
		return;
	}
	kv_str(o, "id", q->id);
	kv_str(o, "name", q->name);
	kv_str(o, "strategy", q->strategy);
	json_object_set_new(o, "skills", skills_json(q->skills, q->nskills));
	kv_dur(o, "ring_timeout", q->ring_timeout_ms);
	kv_dur(o, "wrap_up", q->wrap_up_ms);
	kv_dur(o, "max_wait", q->max_wait_ms);
	kv_dur(o, "service_level", q->service_level_ms);
	kv_long(o, "service_level_target", q->service_level_target);
	kv_dur(o, "short_abandon", q->short_abandon_ms);
	kv_dur(o, "sticky", q->sticky_ms);
	kv_long(o, "max_len", q->max_len);
	kv_long(o, "priority", q->priority);
	kv_long(o, "max_no_answer", q->max_no_answer);
	if (q->nrelax) {
		json_t *relax = json_array();
		for (size_t i = 0; relax && i < q->nrelax; i++) {
			json_t *r = json_object();
			if (!r)
				break;
			kv_dur(r, "after", q->relax[i].after_ms);
			kv_long(r, "min_level", q->relax[i].min_level);
			kv_str(r, "add_queue", q->relax[i].add_queue);
			json_array_append_new(relax, r);
		}
		json_object_set_new(o, "relax", relax);
	}
	if (q->overflow.kind != CFG_TARGET_NONE)
		json_object_set_new(o, "overflow", target(&q->overflow));
	kv_str(o, "hours", q->hours);
	kv_str(o, "moh", q->moh);
	kv_dur(o, "announce_every", q->announce_every_ms);
	kv_bool(o, "announce_position", q->announce_position);
	kv_bool(o, "announce_ewt", q->announce_ewt);
	kv_str(o, "callback_digit", q->callback_digit);
	put_json(b, o);
}

void store__body_number(const struct cfg_number *n, struct crm_buf *b)
{
	json_t *o = json_object();
	const char *k = target_key(n->target.kind);

	if (o) {
		kv_str(o, "number", n->number);
		if (k)
			kv_str(o, k, n->target.value ? n->target.value : "");
		if (n->priority >= 0)
			kv_long(o, "priority", n->priority);
	}
	put_json(b, o);
}

void store__body_trunk(const struct cfg_trunk *t, struct crm_buf *b)
{
	json_t *o = json_object();

	if (o) {
		kv_str(o, "id", t->id);
		kv_str(o, "uri", t->uri);
		kv_str(o, "username", t->username);
		/* Kept because the trunk needs it to answer the carrier's challenge; the audit
		 * log and logs name the field, never the value. */
		kv_str(o, "password", t->password);
		kv_str(o, "caller_id", t->caller_id);
	}
	put_json(b, o);
}

void store__body_node(const struct cfg_named_node *n, struct crm_buf *b)
{
	char *text =
	    n->node ? fy_emit_node_to_string(n->node, FYECF_MODE_JSON_ONELINE | FYECF_WIDTH_INF)
		    : NULL;

	crm_buf_puts(b, text ? text : "null");
	free(text);
}

void store__body_code(const char *code, size_t index, struct crm_buf *b)
{
	json_t *o = json_object();

	if (o) {
		kv_str(o, "code", code);
		kv_long(o, "index", (long)index + 1);
	}
	put_json(b, o);
}
