/*
 * How provisioned configuration objects look in the database: one JSON object per
 * queue, number, trunk, flow, calendar, reason code and disposition, with the field
 * names of the configuration file (DESIGN.md contract 4), which are also the REST
 * API's. Rendering is deterministic, so provisioning detects "unchanged" by comparing
 * text.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static void key(struct crm_buf *b, bool *first, const char *k)
{
	crm_buf_puts(b, *first ? "\"" : ",\"");
	crm_buf_puts(b, k);
	crm_buf_puts(b, "\":");
	*first = false;
}

static void kv_str(struct crm_buf *b, bool *first, const char *k, const char *v)
{
	if (!v)
		return;
	key(b, first, k);
	crm_buf_json_str(b, v);
}

static void kv_long(struct crm_buf *b, bool *first, const char *k, long v)
{
	key(b, first, k);
	crm_buf_printf(b, "%ld", v);
}

static void kv_bool(struct crm_buf *b, bool *first, const char *k, bool v)
{
	key(b, first, k);
	crm_buf_puts(b, v ? "true" : "false");
}

/* Durations as the configuration writes them: "15s", "5m", "1h", "250ms". */
static void kv_dur(struct crm_buf *b, bool *first, const char *k, uint64_t ms)
{
	unsigned long long v = (unsigned long long)ms;

	key(b, first, k);
	if (v && v % 3600000 == 0)
		crm_buf_printf(b, "\"%lluh\"", v / 3600000);
	else if (v && v % 60000 == 0)
		crm_buf_printf(b, "\"%llum\"", v / 60000);
	else if (v % 1000 == 0)
		crm_buf_printf(b, "\"%llus\"", v / 1000);
	else
		crm_buf_printf(b, "\"%llums\"", v);
}

void store__json_skills(const struct cfg_skill *s, size_t n, struct crm_buf *b)
{
	bool first = true;
	size_t i;

	crm_buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		crm_buf_puts(b, first ? "" : ",");
		first = false;
		crm_buf_json_str(b, s[i].name);
		crm_buf_printf(b, ":%d", s[i].level);
	}
	crm_buf_putc(b, '}');
}

void store__json_penalties(const struct cfg_penalty *p, size_t n, struct crm_buf *b)
{
	size_t i;

	crm_buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (i)
			crm_buf_putc(b, ',');
		crm_buf_json_str(b, p[i].queue);
		crm_buf_printf(b, ":%d", p[i].penalty);
	}
	crm_buf_putc(b, '}');
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

static void target(struct crm_buf *b, const struct cfg_target *t)
{
	bool first = true;
	const char *k = target_key(t->kind);

	crm_buf_putc(b, '{');
	if (k && t->kind == CFG_TARGET_HANGUP)
		kv_bool(b, &first, k, true);
	else if (k)
		kv_str(b, &first, k, t->value ? t->value : "");
	kv_str(b, &first, "trunk", t->trunk);
	crm_buf_putc(b, '}');
}

void store__body_queue(const struct cfg_queue *q, struct crm_buf *b)
{
	bool first = true;
	size_t i;

	crm_buf_putc(b, '{');
	kv_str(b, &first, "id", q->id);
	kv_str(b, &first, "name", q->name);
	kv_str(b, &first, "strategy", q->strategy);
	key(b, &first, "skills");
	store__json_skills(q->skills, q->nskills, b);
	kv_dur(b, &first, "ring_timeout", q->ring_timeout_ms);
	kv_dur(b, &first, "wrap_up", q->wrap_up_ms);
	kv_dur(b, &first, "max_wait", q->max_wait_ms);
	kv_dur(b, &first, "service_level", q->service_level_ms);
	kv_long(b, &first, "service_level_target", q->service_level_target);
	kv_dur(b, &first, "short_abandon", q->short_abandon_ms);
	kv_dur(b, &first, "sticky", q->sticky_ms);
	kv_long(b, &first, "max_len", q->max_len);
	kv_long(b, &first, "priority", q->priority);
	kv_long(b, &first, "max_no_answer", q->max_no_answer);
	if (q->nrelax) {
		key(b, &first, "relax");
		crm_buf_putc(b, '[');
		for (i = 0; i < q->nrelax; i++) {
			bool f = true;

			crm_buf_puts(b, i ? ",{" : "{");
			kv_dur(b, &f, "after", q->relax[i].after_ms);
			kv_long(b, &f, "min_level", q->relax[i].min_level);
			kv_str(b, &f, "add_queue", q->relax[i].add_queue);
			crm_buf_putc(b, '}');
		}
		crm_buf_putc(b, ']');
	}
	if (q->overflow.kind != CFG_TARGET_NONE) {
		key(b, &first, "overflow");
		target(b, &q->overflow);
	}
	kv_str(b, &first, "hours", q->hours);
	kv_str(b, &first, "moh", q->moh);
	kv_dur(b, &first, "announce_every", q->announce_every_ms);
	kv_bool(b, &first, "announce_position", q->announce_position);
	kv_bool(b, &first, "announce_ewt", q->announce_ewt);
	kv_str(b, &first, "callback_digit", q->callback_digit);
	crm_buf_putc(b, '}');
}

void store__body_number(const struct cfg_number *n, struct crm_buf *b)
{
	bool first = true;
	const char *k = target_key(n->target.kind);

	crm_buf_putc(b, '{');
	kv_str(b, &first, "number", n->number);
	if (k)
		kv_str(b, &first, k, n->target.value ? n->target.value : "");
	if (n->priority >= 0)
		kv_long(b, &first, "priority", n->priority);
	crm_buf_putc(b, '}');
}

void store__body_trunk(const struct cfg_trunk *t, struct crm_buf *b)
{
	bool first = true;

	crm_buf_putc(b, '{');
	kv_str(b, &first, "id", t->id);
	kv_str(b, &first, "uri", t->uri);
	kv_str(b, &first, "username", t->username);
	/* Kept because the trunk needs it to answer the carrier's challenge; the audit log
	 * and logs name the field, never the value. */
	kv_str(b, &first, "password", t->password);
	kv_str(b, &first, "caller_id", t->caller_id);
	crm_buf_putc(b, '}');
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
	bool first = true;

	crm_buf_putc(b, '{');
	kv_str(b, &first, "code", code);
	kv_long(b, &first, "index", (long)index + 1);
	crm_buf_putc(b, '}');
}
