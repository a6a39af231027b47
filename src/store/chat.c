/*
 * Web chat messages in the store (migration 14): one row per message, so that the engine
 * writes a message as one small record rather than the whole interaction with its
 * timeline again. Written by the writer thread (store_chat_message_submit, writer.c);
 * read by the API's workers for an interaction's messages.
 */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

int store_db_chat_message_put(struct store_db *db, const struct store_chat_message *m)
{
	struct store__param p[8] = {store__text(m->tenant), store__text(m->interaction),
				    store__int(m->seq),	    store__int(m->ts_ms),
				    store__text(m->author), store__text(m->agent),
				    store__text(m->text),   store__text(m->cid)};

	STORE__TENANT(m->tenant);
	if (!m->interaction || !*m->interaction || m->seq < 1 || !m->author || !m->text)
		return EINVAL;
	return store__exec(db, Q_CHAT_MSG_PUT, p, 8);
}

int store_db_chat_messages(struct store_db *db, const char *tenant, const char *interaction,
			   store_chat_message_h h, void *arg)
{
	struct store__param p[2] = {store__text(tenant), store__text(interaction)};
	int err, herr = 0;

	STORE__TENANT(tenant);
	if (!interaction || !*interaction)
		return EINVAL;
	if ((err = store__query(db, Q_CHAT_MSG_LIST, p, 2)))
		return err;
	while (store__row(db, Q_CHAT_MSG_LIST, &err)) {
		struct store_chat_message m = {
		    .tenant = tenant,
		    .interaction = interaction,
		    .seq = store__col_int(db, Q_CHAT_MSG_LIST, 0),
		    .ts_ms = store__col_int(db, Q_CHAT_MSG_LIST, 1),
		    .author = store__col_text(db, Q_CHAT_MSG_LIST, 2),
		    .agent = store__col_text(db, Q_CHAT_MSG_LIST, 3),
		    .text = store__col_text(db, Q_CHAT_MSG_LIST, 4),
		    .cid = store__col_text(db, Q_CHAT_MSG_LIST, 5),
		};
		if (!herr && m.author && m.text)
			herr = h(arg, &m);
	}
	return err ? err : herr;
}
