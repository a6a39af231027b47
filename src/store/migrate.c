/*
 * Schema migrations: a numbered list, applied forward only at open, each in its own
 * transaction together with its row in schema_version. Each migration is SQL both back
 * ends accept, plus, where they differ, a variant per back end kept side by side in the
 * same entry, so the same version means the same tables, columns and indexes on both
 * (store_db_schema lists them; the tests compare the lists). Never edit a migration
 * that has shipped: add the next one.
 *
 * Concurrent openers (the writer and reader connections, several nodes) serialise on
 * an exclusive transaction (SQLite) or an advisory lock (PostgreSQL) and re-read the
 * version inside it.
 */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

struct migration {
	int version;
	const char *name;
	const char *sql;	/* for both back ends */
	const char *sql_sqlite; /* then this on SQLite */
	const char *sql_pg;	/* or this on PostgreSQL */
};

/* Row-per-object configuration tables share one shape. */
#define OBJ_TABLE(table, key)                                                                      \
	"CREATE TABLE " table " (tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE "          \
	"CASCADE, " key " TEXT NOT NULL, pos INTEGER NOT NULL, body TEXT NOT NULL, updated_ms "    \
	"BIGINT NOT NULL, PRIMARY KEY (tenant, " key "));\n"

static const struct migration migrations[] = {
    {1, "tenants, configuration, contacts, interactions, agent states, audit",
     "CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL, "
     "timezone TEXT, language TEXT, country TEXT, prune INTEGER NOT NULL DEFAULT 0, "
     "updated_ms BIGINT NOT NULL);\n"
     "CREATE UNIQUE INDEX tenants_domain ON tenants (domain);\n"
     "CREATE TABLE users (tenant TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE, "
     "username TEXT NOT NULL, name TEXT, password_hash TEXT, roles TEXT NOT NULL, sip_user "
     "TEXT, ha1_md5 TEXT, ha1_sha256 TEXT, skills TEXT NOT NULL, queues TEXT NOT NULL, "
     "auto_ready INTEGER NOT NULL DEFAULT 0, language TEXT, updated_ms BIGINT NOT NULL, "
     "PRIMARY KEY (tenant, username));\n"
     "CREATE UNIQUE INDEX users_sip_user ON users (tenant, sip_user);\n" OBJ_TABLE(
	 "queues", "id") OBJ_TABLE("numbers", "number") OBJ_TABLE("trunks", "id") OBJ_TABLE("flows",
											    "name")
	 OBJ_TABLE("calendars", "name") OBJ_TABLE("reason_codes", "code") OBJ_TABLE(
	     "dispositions",
	     "code") "CREATE TABLE contacts (tenant TEXT NOT NULL, id TEXT NOT NULL, first_name "
		     "TEXT, "
		     "last_name TEXT, company TEXT, phones TEXT NOT NULL, emails TEXT NOT NULL, "
		     "language "
		     "TEXT, timezone TEXT, tags TEXT NOT NULL, custom TEXT, vip INTEGER NOT NULL "
		     "DEFAULT 0, "
		     "dnc INTEGER NOT NULL DEFAULT 0, created_ms BIGINT NOT NULL, updated_ms "
		     "BIGINT NOT "
		     "NULL, PRIMARY KEY (tenant, id));\n"
		     "CREATE TABLE interactions (tenant TEXT NOT NULL, id TEXT NOT NULL, channel "
		     "TEXT NOT "
		     "NULL, direction TEXT NOT NULL, contact_id TEXT, from_addr TEXT, to_addr "
		     "TEXT, number "
		     "TEXT, queue TEXT, agent TEXT, created_ms BIGINT NOT NULL, queued_ms BIGINT, "
		     "offered_ms BIGINT, answered_ms BIGINT, ended_ms BIGINT, wait_ms BIGINT NOT "
		     "NULL "
		     "DEFAULT 0, talk_ms BIGINT NOT NULL DEFAULT 0, hold_ms BIGINT NOT NULL "
		     "DEFAULT 0, "
		     "wrapup_ms BIGINT NOT NULL DEFAULT 0, abandoned INTEGER NOT NULL DEFAULT 0, "
		     "disposition TEXT, notes TEXT, recording TEXT, timeline TEXT NOT NULL, "
		     "updated_ms "
		     "BIGINT NOT NULL, PRIMARY KEY (tenant, id));\n"
		     "CREATE INDEX interactions_created ON interactions (tenant, created_ms);\n"
		     "CREATE TABLE agent_states (tenant TEXT NOT NULL, agent TEXT NOT NULL, "
		     "start_ms BIGINT "
		     "NOT NULL, state TEXT NOT NULL, reason TEXT, end_ms BIGINT, PRIMARY KEY "
		     "(tenant, agent, "
		     "start_ms));\n"
		     "CREATE TABLE audit_log (tenant TEXT NOT NULL, id TEXT NOT NULL, ts_ms BIGINT "
		     "NOT "
		     "NULL, actor TEXT NOT NULL, object TEXT NOT NULL, obj_key TEXT NOT NULL, "
		     "action TEXT "
		     "NOT NULL, detail TEXT, PRIMARY KEY (tenant, id));\n",
     NULL, NULL},
    /* Contacts kept their numbers only inside the record; the index makes screen pops
     * one lookup. Existing contacts are indexed from their JSON list of numbers, which
     * is where the two SQL dialects differ. */
    {2, "phone index, campaign and hang-up side of interactions",
     "ALTER TABLE interactions ADD COLUMN campaign TEXT;\n"
     "ALTER TABLE interactions ADD COLUMN hangup_by TEXT;\n"
     "CREATE INDEX interactions_agent ON interactions (tenant, agent, created_ms);\n"
     "CREATE INDEX interactions_all_created ON interactions (created_ms);\n"
     "CREATE TABLE contact_phones (tenant TEXT NOT NULL, e164 TEXT NOT NULL, contact_id "
     "TEXT NOT NULL, PRIMARY KEY (tenant, e164, contact_id));\n"
     "CREATE INDEX contact_phones_contact ON contact_phones (tenant, contact_id);\n",
     "INSERT INTO contact_phones (tenant, e164, contact_id) SELECT c.tenant, j.value, c.id "
     "FROM contacts c, json_each(c.phones) j WHERE true ON CONFLICT DO NOTHING;\n",
     "INSERT INTO contact_phones (tenant, e164, contact_id) SELECT c.tenant, j.value, c.id "
     "FROM contacts c, jsonb_array_elements_text(CAST(c.phones AS jsonb)) AS j(value) ON "
     "CONFLICT DO NOTHING;\n"},
    /* The tenant's `record` flag (record its calls), so the API shows what the file
     * says. Tenants written before it record, which is the configuration's default. */
    {3, "tenant record flag", "ALTER TABLE tenants ADD COLUMN record INTEGER NOT NULL DEFAULT 1;\n",
     NULL, NULL},
    /* The API lists a contact's interactions (its history) and filters by number. */
    {4, "interaction indexes for the API",
     "CREATE INDEX interactions_contact ON interactions (tenant, contact_id, created_ms);\n", NULL,
     NULL},
    /* Webhooks made through the API (those of the file stay in the file), their
     * deliveries (pending ones survive a restart; the rest is the delivery log), and API
     * keys, kept only as hashes. */
    {5, "webhooks, webhook deliveries, API keys",
     "CREATE TABLE webhooks (tenant TEXT NOT NULL, id TEXT NOT NULL, url TEXT NOT NULL, "
     "events TEXT NOT NULL, secret TEXT NOT NULL, created_ms BIGINT NOT NULL, updated_ms "
     "BIGINT NOT NULL, PRIMARY KEY (tenant, id));\n"
     "CREATE TABLE webhook_deliveries (tenant TEXT NOT NULL, id TEXT NOT NULL, webhook TEXT "
     "NOT NULL, event_seq BIGINT NOT NULL, event_type TEXT NOT NULL, body TEXT NOT NULL, "
     "state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_ms BIGINT NOT NULL, "
     "last_status INTEGER, last_error TEXT, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT "
     "NULL, PRIMARY KEY (tenant, id));\n"
     "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (tenant, webhook, "
     "created_ms);\n"
     "CREATE INDEX webhook_deliveries_state ON webhook_deliveries (tenant, state, next_ms);\n"
     "CREATE TABLE api_keys (tenant TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, "
     "hash TEXT NOT NULL, roles TEXT NOT NULL, created_by TEXT, created_ms BIGINT NOT NULL, "
     "PRIMARY KEY (tenant, id));\n"
     "CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);\n",
     NULL, NULL},
    /* Contacts searched by name and e-mail: keys folded in C (crm_name_fold), compared
     * as bytes on both back ends. Existing contacts get theirs from C too (apply). */
    {6, "contact search keys",
     "CREATE TABLE contact_keys (tenant TEXT NOT NULL, kind TEXT NOT NULL, k TEXT NOT NULL, "
     "contact_id TEXT NOT NULL, PRIMARY KEY (tenant, kind, k, contact_id));\n"
     "CREATE INDEX contact_keys_contact ON contact_keys (tenant, contact_id);\n",
     NULL, "ALTER TABLE contact_keys ALTER COLUMN k TYPE TEXT COLLATE \"C\";\n"},
    /* Closing an agent's open span found it through the primary key, walking all the
     * agent's earlier spans: 12 ms a state change at 4,000 spans. Open spans are few. */
    {7, "index of open agent state spans",
     "CREATE INDEX agent_states_open ON agent_states (tenant, agent) WHERE end_ms IS NULL;\n", NULL,
     NULL},
    /* Retention (docs/operations.md) deletes old recordings and notes, never those of an
     * interaction on legal hold. */
    {8, "legal hold on interactions",
     "ALTER TABLE interactions ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;\n", NULL, NULL},
    /* Users made through the API (docs/api.md): marked so that provisioning never prunes
     * them, with their body (no secret in it) for the engine to load at start. */
    {9, "users made through the API",
     "ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'file';\n"
     "ALTER TABLE users ADD COLUMN body TEXT;\n",
     NULL, NULL},
    /* Outbound dialing (docs/dialer.md): lead lists and their leads (extra CSV columns in
     * `fields`, a JSON object), every attempt, do-not-call numbers (campaign '' is the
     * tenant's list) and scheduled callbacks. */
    {10, "lead lists, leads, attempts, do-not-call, callbacks",
     "CREATE TABLE lead_lists (tenant TEXT NOT NULL, id TEXT NOT NULL, country TEXT, "
     "created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, PRIMARY KEY (tenant, id));\n"
     "CREATE TABLE leads (tenant TEXT NOT NULL, list TEXT NOT NULL, id BIGINT NOT NULL, "
     "phone TEXT NOT NULL, name TEXT, timezone TEXT, priority INTEGER NOT NULL DEFAULT 0, "
     "fields TEXT NOT NULL, line BIGINT NOT NULL, state TEXT NOT NULL DEFAULT 'ready', "
     "attempts INTEGER NOT NULL DEFAULT 0, day_attempts INTEGER NOT NULL DEFAULT 0, day "
     "INTEGER NOT NULL DEFAULT 0, next_ms BIGINT NOT NULL DEFAULT 0, last_result TEXT, "
     "disposition TEXT, callback_agent TEXT, updated_ms BIGINT NOT NULL, PRIMARY KEY "
     "(tenant, list, id));\n"
     "CREATE INDEX leads_phone ON leads (tenant, phone);\n"
     "CREATE INDEX leads_due ON leads (tenant, list, state, next_ms);\n"
     "CREATE TABLE lead_attempts (tenant TEXT NOT NULL, campaign TEXT NOT NULL, list TEXT "
     "NOT NULL, lead BIGINT NOT NULL, attempt INTEGER NOT NULL, interaction TEXT, started_ms "
     "BIGINT NOT NULL, result TEXT, disposition TEXT, PRIMARY KEY (tenant, campaign, list, "
     "lead, attempt));\n"
     "CREATE TABLE dnc (tenant TEXT NOT NULL, campaign TEXT NOT NULL, phone TEXT NOT NULL, "
     "source TEXT, created_ms BIGINT NOT NULL, PRIMARY KEY (tenant, campaign, phone));\n"
     "CREATE TABLE callbacks (tenant TEXT NOT NULL, campaign TEXT NOT NULL, list TEXT NOT "
     "NULL, lead BIGINT NOT NULL, due_ms BIGINT NOT NULL, agent TEXT, created_ms BIGINT NOT "
     "NULL, done_ms BIGINT, PRIMARY KEY (tenant, campaign, list, lead, due_ms));\n"
     "CREATE INDEX callbacks_due ON callbacks (tenant, campaign, done_ms, due_ms);\n",
     NULL, NULL},
    /* The email channel (src/channels, store/email.c): each message of a queue's mailbox
     * handled once across restarts (by IMAP UIDVALIDITY and UID), and the Message-IDs of
     * a conversation pointing to its interaction. */
    {11, "email messages handled and conversation threads",
     "CREATE TABLE email_messages (tenant TEXT NOT NULL, queue TEXT NOT NULL, uidvalidity "
     "BIGINT NOT NULL, uid BIGINT NOT NULL, message_id TEXT, interaction TEXT, outcome TEXT "
     "NOT NULL, handled_ms BIGINT NOT NULL, PRIMARY KEY (tenant, queue, uidvalidity, uid));\n"
     "CREATE TABLE email_threads (tenant TEXT NOT NULL, message_id TEXT NOT NULL, "
     "interaction TEXT NOT NULL, created_ms BIGINT NOT NULL, PRIMARY KEY (tenant, "
     "message_id));\n"
     "CREATE INDEX email_threads_interaction ON email_threads (tenant, interaction);\n",
     NULL, NULL},
    /* Web callbacks (engine/webcb.c): a visitor's request, kept until its interaction
     * is written, so that a restart before its time loses none. `id` is the id the
     * callback's interaction will have. */
    {12, "web callbacks waiting for their time",
     "CREATE TABLE web_callbacks (tenant TEXT NOT NULL, id TEXT NOT NULL, queue TEXT NOT "
     "NULL, body TEXT NOT NULL, due_ms BIGINT NOT NULL, created_ms BIGINT NOT NULL, "
     "PRIMARY KEY (tenant, id));\n"
     "CREATE INDEX web_callbacks_due ON web_callbacks (tenant, due_ms);\n",
     NULL, NULL},
    /* Campaigns made through the API (engine/campaign_live.c): the same shape as the
     * other objects' tables; the file's campaigns are not written to it. */
    {13, "campaigns made through the API", OBJ_TABLE("campaigns", "id"), NULL, NULL},
    /* Web chat messages (store/chat.c): one row per message, appended by the writer, so
     * a message costs the same at the first and the hundredth of a chat. */
    {14, "web chat messages",
     "CREATE TABLE chat_messages (tenant TEXT NOT NULL, interaction TEXT NOT NULL, seq "
     "BIGINT NOT NULL, ts_ms BIGINT NOT NULL, author TEXT NOT NULL, agent TEXT, body TEXT "
     "NOT NULL, cid TEXT, PRIMARY KEY (tenant, interaction, seq));\n",
     NULL, NULL},
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_schema_latest(void)
{
	return migrations[NMIGRATIONS - 1].version;
}

static int read_version(struct store_db *db, int *out)
{
	int err = store__query(db, Q_VERSION, NULL, 0);
	int v = 0;

	if (err)
		return err;
	while (store__row(db, Q_VERSION, &err))
		v = (int)store__col_int(db, Q_VERSION, 0);
	if (!err)
		*out = v;
	return err;
}

int store_db_version(struct store_db *db, int *out)
{
	return read_version(db, out);
}

static int apply(struct store_db *db, const struct migration *m)
{
	const char *variant = db->drv == &store__sqlite_driver ? m->sql_sqlite : m->sql_pg;
	struct store__param p[3];
	int err, have;

	err = db->drv->begin(db->conn, true);
	if (err)
		return store__set_err(db, err, "migration %d: begin: %s", m->version,
				      db->drv->errmsg(db->conn));
	err = read_version(db, &have);
	if (err || have >= m->version)
		goto out;
	err = db->drv->script(db->conn, m->sql);
	if (!err && variant)
		err = db->drv->script(db->conn, variant);
	if (!err && m->version == 6)
		err = store__contact_keys_backfill(db);
	if (err) {
		store__set_err(db, err, "migration %d: %s", m->version, db->drv->errmsg(db->conn));
		goto out;
	}
	p[0] = store__int(m->version);
	p[1] = store__text(m->name);
	p[2] = store__int(clock_wall_ms());
	err = store__exec(db, Q_VERSION_ADD, p, 3);
out:
	if (err) {
		db->drv->rollback(db->conn);
		return err;
	}
	err = db->drv->commit(db->conn);
	if (err)
		return store__set_err(db, err, "migration %d: commit: %s", m->version,
				      db->drv->errmsg(db->conn));
	if (have < m->version)
		log_info("store", "event=migrated backend=%s version=%d name=\"%s\"", db->drv->name,
			 m->version, m->name);
	return 0;
}

int store__migrate(struct store_db *db, int target)
{
	int err, i, have = 0;

	/* Under the migration lock too: two nodes may start at once. */
	err = db->drv->begin(db->conn, true);
	if (!err)
		err =
		    db->drv->script(db->conn, "CREATE TABLE IF NOT EXISTS schema_version (version "
					      "INTEGER PRIMARY KEY, name TEXT NOT NULL, "
					      "applied_ms BIGINT NOT NULL)");
	if (!err)
		err = db->drv->commit(db->conn);
	if (err) {
		store__set_err(db, err, "schema_version: %s", db->drv->errmsg(db->conn));
		db->drv->rollback(db->conn);
		return err;
	}
	if ((err = read_version(db, &have)))
		return err;
	if (have > store_schema_latest())
		return store__set_err(db, ERANGE,
				      "database schema version %d is newer than this build's %d",
				      have, store_schema_latest());
	for (i = 0; i < NMIGRATIONS && migrations[i].version <= target; i++) {
		if (migrations[i].version <= have)
			continue;
		if ((err = apply(db, &migrations[i])))
			return err;
	}
	return 0;
}
