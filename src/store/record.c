/*
 * Serialized records: what store_*_submit copies out of the caller's structures, what
 * waits in the writer's queue, and what the spool keeps on disk when the database is
 * away. One format for both, so replaying the spool runs exactly the code that writes
 * a fresh record. Decoding never trusts the bytes (a spool file may be damaged).
 */
#include "store/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

#define REC_VERSION 1
#define NULL_LEN    0xffffffffu

/* ---- writing ---------------------------------------------------------------------------- */

static void w_u32(struct crm_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	crm_buf_put(b, (const char *)x, 4);
}

static void w_i64(struct crm_buf *b, int64_t v)
{
	w_u32(b, (uint32_t)((uint64_t)v & 0xffffffffu));
	w_u32(b, (uint32_t)((uint64_t)v >> 32));
}

static void w_str(struct crm_buf *b, const char *s)
{
	size_t n;

	if (!s) {
		w_u32(b, NULL_LEN);
		return;
	}
	n = strlen(s);
	w_u32(b, (uint32_t)n);
	crm_buf_put(b, s, n + 1);
}

static void w_head(struct crm_buf *b, enum store_rec_kind kind)
{
	crm_buf_putc(b, (char)kind);
	crm_buf_putc(b, REC_VERSION);
}

static int finish(struct crm_buf *b, struct store__rec **out)
{
	struct store__rec *r;
	int err = b->err;

	if (!err && b->len > UINT32_MAX / 2)
		err = EMSGSIZE;
	if (!err && !(r = calloc(1, sizeof(*r) + b->len)))
		err = ENOMEM;
	if (!err) {
		r->len = (uint32_t)b->len;
		memcpy(r->data, b->p, b->len);
		*out = r;
	}
	crm_buf_free(b);
	return err;
}

int store__rec_interaction(const struct crm_interaction *ix, struct store__rec **out)
{
	struct crm_buf b = {0};

	if (!ix->tenant || !*ix->tenant || !ix->id || !*ix->id)
		return EINVAL;
	w_head(&b, STORE_REC_INTERACTION);
	w_str(&b, ix->tenant);
	w_str(&b, ix->id);
	w_i64(&b, ix->channel);
	w_i64(&b, ix->direction);
	w_str(&b, ix->contact);
	w_str(&b, ix->from);
	w_str(&b, ix->to);
	w_str(&b, ix->number);
	w_str(&b, ix->queue);
	w_str(&b, ix->agent);
	w_i64(&b, ix->created_ms ? ix->created_ms : clock_wall_ms());
	w_i64(&b, ix->queued_ms);
	w_i64(&b, ix->offered_ms);
	w_i64(&b, ix->answered_ms);
	w_i64(&b, ix->ended_ms);
	w_i64(&b, ix->wait_ms);
	w_i64(&b, ix->talk_ms);
	w_i64(&b, ix->hold_ms);
	w_i64(&b, ix->wrapup_ms);
	w_i64(&b, ix->abandoned);
	w_str(&b, ix->disposition);
	w_str(&b, ix->notes);
	w_str(&b, ix->recording);
	w_str(&b, ix->campaign);
	w_str(&b, ix->hangup_by);
	if (ix->timeline_json) {
		w_str(&b, ix->timeline_json);
	} else {
		struct crm_buf tl = {0};

		crm_timeline_json(ix->timeline, ix->ntimeline, &tl);
		if (tl.err)
			b.err = tl.err;
		w_str(&b, tl.p ? tl.p : "[]");
		crm_buf_free(&tl);
	}
	return finish(&b, out);
}

int store__rec_agent_state(const struct store_agent_state *st, struct store__rec **out)
{
	struct crm_buf b = {0};

	if (!st->tenant || !*st->tenant || !st->agent || !st->state || !st->start_ms ||
	    (st->end_ms && st->end_ms < st->start_ms))
		return EINVAL;
	w_head(&b, STORE_REC_AGENT_STATE);
	w_str(&b, st->tenant);
	w_str(&b, st->agent);
	w_str(&b, st->state);
	w_str(&b, st->reason);
	w_i64(&b, st->start_ms);
	w_i64(&b, st->end_ms);
	return finish(&b, out);
}

int store__rec_audit(const struct store_audit *a, struct store__rec **out)
{
	struct crm_buf b = {0};
	char id[CRM_ID_SIZE];

	if (!a->tenant || !*a->tenant || !a->object || !a->key || !a->action)
		return EINVAL;
	if (!a->id)
		crm_id_new(id);
	w_head(&b, STORE_REC_AUDIT);
	w_str(&b, a->tenant);
	w_str(&b, a->id ? a->id : id);
	w_i64(&b, a->ts_ms ? a->ts_ms : clock_wall_ms());
	w_str(&b, a->actor ? a->actor : "system");
	w_str(&b, a->object);
	w_str(&b, a->key);
	w_str(&b, a->action);
	w_str(&b, a->detail);
	return finish(&b, out);
}

static void w_strv(struct crm_buf *b, char *const *v, size_t n)
{
	size_t i;

	w_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++)
		w_str(b, v[i]);
}

int store__rec_contact(const char *tenant, const struct crm_contact *c, struct store__rec **out)
{
	struct crm_buf b = {0};

	if (!tenant || !*tenant || !c->id || !*c->id)
		return EINVAL;
	w_head(&b, STORE_REC_CONTACT);
	w_str(&b, tenant);
	w_str(&b, c->id);
	w_str(&b, c->first_name);
	w_str(&b, c->last_name);
	w_str(&b, c->company);
	w_str(&b, c->language);
	w_str(&b, c->timezone);
	w_str(&b, c->custom_json);
	w_i64(&b, c->vip);
	w_i64(&b, c->dnc);
	/* Stamped now, so a replay from the spool keeps the time of the change. */
	w_i64(&b, c->created_ms ? c->created_ms : clock_wall_ms());
	w_i64(&b, c->updated_ms ? c->updated_ms : clock_wall_ms());
	w_strv(&b, c->phones, c->nphones);
	w_strv(&b, c->emails, c->nemails);
	w_strv(&b, c->tags, c->ntags);
	return finish(&b, out);
}

int store__rec_chat_message(const struct store_chat_message *m, struct store__rec **out)
{
	struct crm_buf b = {0};

	if (!m->tenant || !*m->tenant || !m->interaction || !*m->interaction || m->seq < 1 ||
	    !m->author || !m->text)
		return EINVAL;
	w_head(&b, STORE_REC_CHAT_MESSAGE);
	w_str(&b, m->tenant);
	w_str(&b, m->interaction);
	w_i64(&b, m->seq);
	w_i64(&b, m->ts_ms ? m->ts_ms : clock_wall_ms());
	w_str(&b, m->author);
	w_str(&b, m->agent);
	w_str(&b, m->text);
	w_str(&b, m->cid);
	return finish(&b, out);
}

/* ---- reading ------------------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t left;
	int err;
};

static uint32_t r_u32(struct rd *r)
{
	uint32_t v;

	if (r->left < 4) {
		r->err = EINVAL;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[3] << 24;
	r->p += 4;
	r->left -= 4;
	return v;
}

static int64_t r_i64(struct rd *r)
{
	uint64_t lo = r_u32(r), hi = r_u32(r);

	return (int64_t)(lo | hi << 32);
}

static const char *r_str(struct rd *r)
{
	uint32_t n = r_u32(r);
	const char *s;

	if (r->err || n == NULL_LEN)
		return NULL;
	if (r->left < (size_t)n + 1 || r->p[n] != '\0' || memchr(r->p, '\0', n)) {
		r->err = EINVAL;
		return NULL;
	}
	s = (const char *)r->p;
	r->p += n + 1;
	r->left -= (size_t)n + 1;
	return s;
}

int store__rec_kind(const uint8_t *data, size_t len)
{
	if (len < 2 || data[1] != REC_VERSION || data[0] < STORE_REC_INTERACTION ||
	    data[0] > STORE_REC_CHAT_MESSAGE)
		return 0;
	return data[0];
}

static int decode_interaction(struct rd *r, struct crm_interaction *out)
{
	struct crm_interaction ix = {0};

	ix.tenant = r_str(r);
	ix.id = r_str(r);
	ix.channel = (enum crm_channel)r_i64(r);
	ix.direction = (enum crm_direction)r_i64(r);
	ix.contact = r_str(r);
	ix.from = r_str(r);
	ix.to = r_str(r);
	ix.number = r_str(r);
	ix.queue = r_str(r);
	ix.agent = r_str(r);
	ix.created_ms = r_i64(r);
	ix.queued_ms = r_i64(r);
	ix.offered_ms = r_i64(r);
	ix.answered_ms = r_i64(r);
	ix.ended_ms = r_i64(r);
	ix.wait_ms = r_i64(r);
	ix.talk_ms = r_i64(r);
	ix.hold_ms = r_i64(r);
	ix.wrapup_ms = r_i64(r);
	ix.abandoned = r_i64(r) != 0;
	ix.disposition = r_str(r);
	ix.notes = r_str(r);
	ix.recording = r_str(r);
	ix.campaign = r_str(r);
	ix.hangup_by = r_str(r);
	ix.timeline_json = r_str(r);
	if (r->err || !ix.tenant || !ix.id || !ix.timeline_json)
		return EINVAL;
	*out = ix;
	return 0;
}

int store__rec_decode_interaction(const uint8_t *data, size_t len, struct crm_interaction *ix)
{
	struct rd r = {data + 2, len >= 2 ? len - 2 : 0, 0};

	if (store__rec_kind(data, len) != STORE_REC_INTERACTION)
		return EINVAL;
	return decode_interaction(&r, ix);
}

static int apply_interaction(struct store_db *db, struct rd *r)
{
	struct crm_interaction ix;
	int err = decode_interaction(r, &ix);

	return err ? err : store_db_interaction_put(db, &ix);
}

static int apply_agent_state(struct store_db *db, struct rd *r)
{
	struct store_agent_state st = {0};

	st.tenant = r_str(r);
	st.agent = r_str(r);
	st.state = r_str(r);
	st.reason = r_str(r);
	st.start_ms = r_i64(r);
	st.end_ms = r_i64(r);
	if (r->err || !st.tenant || !st.agent || !st.state)
		return EINVAL;
	return store_db_agent_state_put(db, &st);
}

static int apply_audit(struct store_db *db, struct rd *r)
{
	struct store_audit a = {0};

	a.tenant = r_str(r);
	a.id = r_str(r);
	a.ts_ms = r_i64(r);
	a.actor = r_str(r);
	a.object = r_str(r);
	a.key = r_str(r);
	a.action = r_str(r);
	a.detail = r_str(r);
	if (r->err || !a.tenant || !a.id || !a.object || !a.key || !a.action)
		return EINVAL;
	return store_db_audit_put(db, &a);
}

/* A string array decoded in place: the pointers are allocated, the strings are not. */
static char **r_strv(struct rd *r, size_t *n)
{
	uint32_t count = r_u32(r), i;
	char **v;

	*n = 0;
	if (r->err || count == 0)
		return NULL;
	if (count > r->left / 4 || !(v = calloc(count, sizeof(*v)))) {
		r->err = r->err ? r->err : EINVAL;
		return NULL;
	}
	for (i = 0; i < count; i++)
		v[i] = (char *)r_str(r);
	*n = count;
	return v;
}

static int apply_contact(struct store_db *db, struct rd *r)
{
	struct crm_contact c = {0};
	const char *tenant = r_str(r);
	int err;

	c.id = (char *)r_str(r);
	c.first_name = (char *)r_str(r);
	c.last_name = (char *)r_str(r);
	c.company = (char *)r_str(r);
	c.language = (char *)r_str(r);
	c.timezone = (char *)r_str(r);
	c.custom_json = (char *)r_str(r);
	c.vip = r_i64(r) != 0;
	c.dnc = r_i64(r) != 0;
	c.created_ms = r_i64(r);
	c.updated_ms = r_i64(r);
	c.phones = r_strv(r, &c.nphones);
	c.emails = r_strv(r, &c.nemails);
	c.tags = r_strv(r, &c.ntags);
	err = r->err || !tenant || !c.id ? EINVAL : 0;
	for (size_t i = 0; !err && i < c.nphones + c.nemails + c.ntags; i++) {
		char *s = i < c.nphones		      ? c.phones[i]
			  : i < c.nphones + c.nemails ? c.emails[i - c.nphones]
						      : c.tags[i - c.nphones - c.nemails];
		if (!s)
			err = EINVAL;
	}
	if (!err)
		err = store_db_contact_put(db, tenant, &c);
	free(c.phones);
	free(c.emails);
	free(c.tags);
	return err;
}

static int apply_chat_message(struct store_db *db, struct rd *r)
{
	struct store_chat_message m = {0};

	m.tenant = r_str(r);
	m.interaction = r_str(r);
	m.seq = r_i64(r);
	m.ts_ms = r_i64(r);
	m.author = r_str(r);
	m.agent = r_str(r);
	m.text = r_str(r);
	m.cid = r_str(r);
	if (r->err || !m.tenant || !m.interaction || !m.author || !m.text)
		return EINVAL;
	return store_db_chat_message_put(db, &m);
}

int store__rec_apply(struct store_db *db, const uint8_t *data, size_t len)
{
	struct rd r = {data + 2, len >= 2 ? len - 2 : 0, 0};

	switch (store__rec_kind(data, len)) {
	case STORE_REC_INTERACTION:
		return apply_interaction(db, &r);
	case STORE_REC_AGENT_STATE:
		return apply_agent_state(db, &r);
	case STORE_REC_AUDIT:
		return apply_audit(db, &r);
	case STORE_REC_CONTACT:
		return apply_contact(db, &r);
	case STORE_REC_CHAT_MESSAGE:
		return apply_chat_message(db, &r);
	default:
		return EINVAL;
	}
}

void store__rec_list_free(struct store__rec *list)
{
	while (list) {
		struct store__rec *next = list->next;

		free(list);
		list = next;
	}
}
