/*
 * The reader thread: answers the engine's lookups (a contact by the caller's number,
 * for the screen pop and IVR) on a connection of its own, so a lookup never waits
 * behind a batch of writes and the engine never waits on SQL: it queues the request
 * and gets the answer as a message. Unknown callers can get a contact made on the
 * spot; lookups are answered one at a time, so two calls from one new number make one
 * contact.
 */
#include "store/store_int.h"

#include <jansson.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mq.h"

static int tenant_country(struct store_db *db, const char *tenant, char out[8])
{
	struct store__param p[1] = {store__text(tenant)};
	int err = store__query(db, Q_TENANT_COUNTRY, p, 1);

	out[0] = '\0';
	if (err)
		return err;
	while (store__row(db, Q_TENANT_COUNTRY, &err)) {
		const char *c = store__col_text(db, Q_TENANT_COUNTRY, 0);

		snprintf(out, 8, "%s", c ? c : "");
	}
	return err;
}

static int lookup(struct store_db *db, const struct store__lookup *q, struct crm_contact **out,
		  bool *created)
{
	char country[8], e164[CRM_E164_SIZE];
	struct crm_contact *c = NULL;
	int err;

	*created = false;
	if ((err = tenant_country(db, q->tenant, country)))
		return err;
	if (crm_phone_e164(q->phone, country[0] ? country : NULL, e164))
		return EINVAL;
	err = store_db_contact_find_phone(db, q->tenant, e164, &c);
	if (err == ENOENT && (q->flags & STORE_LOOKUP_CREATE)) {
		if ((err = crm_contact_new(NULL, &c)))
			return err;
		err = crm_contact_add_phone(c, e164, NULL);
		if (!err)
			err = store_db_contact_put(db, q->tenant, c);
		if (err) {
			crm_contact_free(c);
			return err;
		}
		*created = true;
		log_info("store", "tenant=%s event=contact_created contact=%s", q->tenant, c->id);
	}
	if (!err)
		*out = c;
	return err;
}

static int history_row(const struct crm_interaction *ix, void *arg)
{
	char t[32];

	json_array_append_new(arg, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:b}", "id",
					     ix->id, "created", crm_iso8601(ix->created_ms, t),
					     "channel", crm_channel_name(ix->channel), "direction",
					     crm_direction_name(ix->direction), "queue", ix->queue,
					     "agent", ix->agent, "disposition", ix->disposition,
					     "answered", ix->answered_ms != 0));
	return 0;
}

/* The contact's last interactions for the screen pop, or NULL (it is only extra). */
static char *history(struct store_db *db, const char *tenant, const char *contact)
{
	struct store_ix_search q;
	json_t *a = json_array();
	char *text = NULL;

	memset(&q, 0, sizeof(q));
	q.abandoned = -1;
	q.contact = contact;
	q.f.limit = 5;
	if (a && !store_db_interactions_search(db, tenant, &q, history_row, a))
		text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

static void answer(struct store *s, const struct store__lookup *q)
{
	struct store_msg m = {0};
	int err = lookup(s->rdb, q, &m.contact, &m.created);

	if (err == EAGAIN && !store__db_reconnect(s->rdb)) /* one retry after a reconnection */
		err = lookup(s->rdb, q, &m.contact, &m.created);
	m.type = STORE_MSG_CONTACT;
	m.kind = STORE_REC_CONTACT;
	m.err = err;
	m.cookie = q->cookie;
	if (err)
		m.contact = NULL;
	if (!err && (q->flags & STORE_LOOKUP_HISTORY))
		m.history = history(s->rdb, q->tenant, m.contact->id);
	store__reply(s, q->reply, &m);
	pthread_mutex_lock(&s->lock);
	s->stats.lookups++;
	pthread_mutex_unlock(&s->lock);
}

void *store__reader_main(void *arg)
{
	struct store *s = arg;
	struct store__lookup *q;
	bool stop;

	pthread_setname_np(pthread_self(), "store-reader");

	for (;;) {
		pthread_mutex_lock(&s->rlock);
		while (!s->rhead && !s->rstop)
			pthread_cond_wait(&s->rwake, &s->rlock);
		stop = s->rstop;
		q = s->rhead;
		if (q && !(s->rhead = q->next))
			s->rtail = &s->rhead;
		if (q)
			s->rlen--;
		pthread_mutex_unlock(&s->rlock);
		if (!q)
			break;
		if (stop) {
			struct store_msg m = {.type = STORE_MSG_CONTACT,
					      .kind = STORE_REC_CONTACT,
					      .err = ECANCELED,
					      .cookie = q->cookie};
			store__reply(s, q->reply, &m);
		} else {
			answer(s, q);
		}
		free(q);
	}
	return NULL;
}

int store_contact_lookup(struct store *s, const char *tenant, const char *phone, unsigned flags,
			 struct mq *reply, uint64_t cookie)
{
	struct store__lookup *q;

	STORE__TENANT(tenant);
	if (!phone || !reply || strlen(tenant) >= sizeof(q->tenant) ||
	    strlen(phone) >= sizeof(q->phone))
		return EINVAL;
	if (!(q = calloc(1, sizeof(*q))))
		return ENOMEM;
	memcpy(q->tenant, tenant, strlen(tenant) + 1);
	memcpy(q->phone, phone, strlen(phone) + 1);
	q->flags = flags;
	q->reply = reply;
	q->cookie = cookie;
	pthread_mutex_lock(&s->rlock);
	if (s->rstop || s->rlen >= s->opts.queue_max) {
		pthread_mutex_unlock(&s->rlock);
		free(q);
		return ENOBUFS;
	}
	*s->rtail = q;
	s->rtail = &q->next;
	s->rlen++;
	pthread_cond_signal(&s->rwake);
	pthread_mutex_unlock(&s->rlock);
	return 0;
}
