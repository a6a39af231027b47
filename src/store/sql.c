/*
 * Every statement the store runs, in one place, written once in the SQL that SQLite
 * and PostgreSQL both accept: $1..$n parameters (the SQLite driver reads them as
 * ?1..?n), INSERT .. ON CONFLICT for upserts, CAST where PostgreSQL could not infer a
 * parameter's type. Column lists here and the readers in the other files agree on
 * order; each reader says which statement's columns it reads.
 */
#include "store/store_int.h"

#include <pthread.h>
#include <stdio.h>

#define IX_COLS                                                                                    \
	"tenant, id, channel, direction, contact_id, from_addr, to_addr, number, queue, agent, "   \
	"created_ms, queued_ms, offered_ms, answered_ms, ended_ms, wait_ms, talk_ms, hold_ms, "    \
	"wrapup_ms, abandoned, disposition, notes, recording, campaign, hangup_by, timeline"

#define CONTACT_COLS                                                                               \
	"c.tenant, c.id, c.first_name, c.last_name, c.company, c.phones, c.emails, c.language, "   \
	"c.timezone, c.tags, c.custom, c.vip, c.dnc, c.created_ms, c.updated_ms"

/* What an interaction upsert does on conflict, shared by the one- and many-row forms. */
#define IX_ON_CONFLICT                                                                             \
	" ON CONFLICT (tenant, id) DO UPDATE SET channel = "                                       \
	"excluded.channel, direction = excluded.direction, contact_id = "                          \
	"excluded.contact_id, from_addr = excluded.from_addr, to_addr = excluded.to_addr, "        \
	"number = excluded.number, queue = excluded.queue, agent = excluded.agent, "               \
	"created_ms = excluded.created_ms, queued_ms = excluded.queued_ms, offered_ms = "          \
	"excluded.offered_ms, answered_ms = excluded.answered_ms, ended_ms = "                     \
	"excluded.ended_ms, wait_ms = excluded.wait_ms, talk_ms = excluded.talk_ms, "              \
	"hold_ms = excluded.hold_ms, wrapup_ms = excluded.wrapup_ms, abandoned = "                 \
	"excluded.abandoned, disposition = excluded.disposition, notes = excluded.notes, "         \
	"recording = excluded.recording, campaign = excluded.campaign, hangup_by = "               \
	"excluded.hangup_by, timeline = excluded.timeline, updated_ms = excluded.updated_ms"
#define IX_NPARAMS 27

#define IX_FILTER                                                                                  \
	" created_ms >= $2 AND (created_ms < CAST($3 AS BIGINT) OR CAST($3 AS BIGINT) = 0)"        \
	" AND (CAST($4 AS TEXT) IS NULL OR queue = $4) AND (CAST($5 AS TEXT) IS NULL OR agent = "  \
	"$5)"

/* The five statements of one configuration object table (see enum store__obj). A row
 * with a negative pos was made through the API: the file's provisioning never prunes
 * it (KEYS lists the file's rows only), and the engine loads it at start (API). */
#define OBJ_SQL(table, key)                                                                        \
	"SELECT body, pos FROM " table " WHERE tenant = $1 AND " key " = $2",                      \
	    "INSERT INTO " table " (tenant, " key ", pos, body, updated_ms) VALUES "               \
	    "($1, $2, $3, $4, $5) ON CONFLICT (tenant, " key ") DO UPDATE SET pos = "              \
	    "excluded.pos, body = excluded.body, updated_ms = excluded.updated_ms",                \
	    "SELECT " key " FROM " table " WHERE tenant = $1 AND pos >= 0 ORDER BY " key,          \
	    "DELETE FROM " table " WHERE tenant = $1 AND " key " = $2",                            \
	    "SELECT " key ", body FROM " table " WHERE tenant = $1 AND pos < 0 ORDER BY " key

static const char *store__sql[Q_COUNT] = {
    /* Retention (retention.c): never an interaction on legal hold. */
    [Q_RET_RECORDINGS] = "SELECT id, recording, timeline, created_ms FROM interactions WHERE "
			 "tenant = $1 AND created_ms < $2 AND legal_hold = 0 AND recording IS "
			 "NOT NULL AND (created_ms > $3 OR (created_ms = $3 AND id > $4)) ORDER "
			 "BY created_ms, id LIMIT 200",
    [Q_RET_RECORDING_CLEAR] = "UPDATE interactions SET recording = NULL, updated_ms = $3 WHERE "
			      "tenant = $1 AND id = $2 AND legal_hold = 0",
    [Q_RET_BODIES_COUNT] = "SELECT COUNT(*) FROM interactions WHERE tenant = $1 AND created_ms "
			   "< $2 AND legal_hold = 0 AND notes IS NOT NULL",
    [Q_RET_BODIES_CLEAR] = "UPDATE interactions SET notes = NULL, updated_ms = $3 WHERE tenant = "
			   "$1 AND created_ms < $2 AND legal_hold = 0 AND notes IS NOT NULL",
    [Q_RET_HELD] = "SELECT COUNT(*) FROM interactions WHERE tenant = $1 AND created_ms < $2 AND "
		   "legal_hold <> 0 AND (recording IS NOT NULL OR notes IS NOT NULL)",
    /* The written channels' bodies: what still has a text, a subject, an attachment or
     * chat rows (a run leaves none, so the next run passes it by), and web callbacks
     * still holding the visitor's number. Keyset-paged like the recordings. */
    [Q_RET_MESSAGES] =
	"SELECT id, timeline, created_ms, CASE WHEN timeline LIKE '%\"web_callback_due\"%' "
	"THEN 1 ELSE 0 END FROM interactions WHERE tenant = $1 AND created_ms < $2 AND "
	"legal_hold = 0 AND (created_ms > $3 OR (created_ms = $3 AND id > $4)) AND ((channel IN "
	"('chat', 'email', 'sms') AND (timeline LIKE '%\"body\"%' OR timeline LIKE "
	"'%\"text\"%' OR timeline LIKE '%\"subject\"%' OR timeline LIKE "
	"'%\"attachments\"%' OR EXISTS (SELECT 1 FROM chat_messages m WHERE m.tenant = "
	"interactions.tenant AND m.interaction = interactions.id))) OR (timeline LIKE "
	"'%\"web_callback_due\"%' AND (from_addr IS NOT NULL OR to_addr IS NOT NULL OR "
	"timeline LIKE '%\"number\"%'))) ORDER BY created_ms, id LIMIT 200",
    [Q_RET_MESSAGES_CLEAR] =
	"UPDATE interactions SET timeline = $3, from_addr = CASE WHEN $4 = 1 THEN NULL ELSE "
	"from_addr END, to_addr = CASE WHEN $4 = 1 THEN NULL ELSE to_addr END, updated_ms = $5 "
	"WHERE tenant = $1 AND id = $2 AND legal_hold = 0",
    [Q_RET_CHAT_DELETE] = "DELETE FROM chat_messages WHERE tenant = $1 AND interaction = $2 AND "
			  "EXISTS (SELECT 1 FROM interactions i WHERE i.tenant = $1 AND i.id = "
			  "$2 AND i.legal_hold = 0)",
    [Q_IX_HOLD] = "UPDATE interactions SET legal_hold = $3 WHERE tenant = $1 AND id = $2",
    /* Lead lists (leads.c). */
    [Q_LIST_PUT] = "INSERT INTO lead_lists (tenant, id, country, created_ms, updated_ms) VALUES "
		   "($1, $2, $3, $4, $4) ON CONFLICT (tenant, id) DO UPDATE SET country = "
		   "COALESCE(excluded.country, lead_lists.country), updated_ms = "
		   "excluded.updated_ms",
    /* The tenant's lists with their leads and open leads, keyset-paged by id. */
    [Q_LIST_LIST] = "SELECT l.id, l.country, l.created_ms, l.updated_ms, (SELECT COUNT(*) FROM "
		    "leads d WHERE d.tenant = l.tenant AND d.list = l.id), (SELECT COUNT(*) FROM "
		    "leads d WHERE d.tenant = l.tenant AND d.list = l.id AND d.state <> 'done') "
		    "FROM lead_lists l WHERE l.tenant = $1 AND l.id > $2 ORDER BY l.id LIMIT 1000",
    [Q_LEAD_NEXT_ID] = "SELECT COALESCE(MAX(id), 0) + 1 FROM leads WHERE tenant = $1 AND list = $2",
    [Q_LEAD_INSERT] = "INSERT INTO leads (tenant, list, id, phone, name, timezone, priority, "
		      "fields, line, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    /* This list's row first. Not ORDER BY list, id: SQLite would then walk the primary
       key over all the tenant's leads instead of the phone index. */
    [Q_LEAD_BY_PHONE] = "SELECT list, id, line FROM leads WHERE tenant = $1 AND phone = $2 ORDER "
			"BY CASE WHEN list = $3 THEN 0 ELSE 1 END LIMIT 1",
    [Q_LEAD_EXPORT] = "SELECT id, phone, name, timezone, priority, state, attempts, last_result, "
		      "disposition, next_ms, fields FROM leads WHERE tenant = $1 AND list = $2 "
		      "AND id > $3 ORDER BY id LIMIT 1000",
    /* The dialer's batches (ordered by id, keyset-paged) and its write-behind. */
    [Q_LEADS_OPEN] =
	"SELECT id, phone, name, timezone, priority, state, attempts, day_attempts, "
	"day, next_ms, callback_agent, fields FROM leads WHERE tenant = $1 AND list = $2 AND "
	"state <> 'done' AND id > $3 ORDER BY id LIMIT $4",
    [Q_LEAD_UPDATE] = "UPDATE leads SET state = $4, attempts = $5, day_attempts = $6, day = $7, "
		      "next_ms = $8, last_result = COALESCE($9, last_result), disposition = "
		      "COALESCE($10, disposition), callback_agent = $11, updated_ms = $12 WHERE "
		      "tenant = $1 AND list = $2 AND id = $3",
    [Q_ATTEMPT_PUT] =
	"INSERT INTO lead_attempts (tenant, campaign, list, lead, attempt, "
	"interaction, started_ms, result, disposition) VALUES ($1, $2, $3, $4, $5, "
	"$6, $7, $8, $9) ON CONFLICT (tenant, campaign, list, lead, attempt) DO UPDATE "
	"SET interaction = COALESCE(excluded.interaction, lead_attempts.interaction), "
	"result = COALESCE(excluded.result, lead_attempts.result), disposition = "
	"COALESCE(excluded.disposition, lead_attempts.disposition)",
    /* One lead, whatever its state (a callback or a late disposition of a lead the
       campaign does not hold). */
    [Q_LEAD_GET] =
	"SELECT id, phone, name, timezone, priority, state, attempts, day_attempts, "
	"day, next_ms, callback_agent, fields, last_result FROM leads WHERE tenant = $1 AND "
	"list = $2 AND id = $3",
    [Q_DNC_BLOCKS] = "SELECT 1 FROM dnc WHERE tenant = $1 AND (campaign = '' OR campaign = $2) "
		     "AND phone = $3 LIMIT 1",
    /* Leads closed when picked for being on a do-not-call list (result "dnc"). */
    [Q_LEADS_DNC_CLOSED] =
	"SELECT id, phone, name, timezone, priority, state, attempts, day_attempts, "
	"day, next_ms, callback_agent, fields, last_result FROM leads WHERE tenant = $1 AND "
	"list = $2 AND phone = $3 AND state = 'done' AND last_result = 'dnc' ORDER BY id LIMIT 100",
    [Q_DNC_PUT] = "INSERT INTO dnc (tenant, campaign, phone, source, created_ms) VALUES ($1, $2, "
		  "$3, $4, $5) ON CONFLICT (tenant, campaign, phone) DO NOTHING",
    [Q_DNC_DELETE] = "DELETE FROM dnc WHERE tenant = $1 AND campaign = $2 AND phone = $3",
    [Q_DNC_LIST] = "SELECT phone FROM dnc WHERE tenant = $1 AND campaign = $2 AND phone > $3 "
		   "ORDER BY phone LIMIT 1000",
    [Q_DNC_HAS] = "SELECT source FROM dnc WHERE tenant = $1 AND campaign = $2 AND phone = $3",
    [Q_DNC_DELETE_SOURCE] = "DELETE FROM dnc WHERE tenant = $1 AND campaign = $2 AND phone = $3 "
			    "AND source = $4",
    [Q_EMAIL_MARK] = "INSERT INTO email_messages (tenant, queue, uidvalidity, uid, message_id, "
		     "interaction, outcome, handled_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
		     "ON CONFLICT (tenant, queue, uidvalidity, uid) DO NOTHING",
    [Q_EMAIL_SEEN] = "SELECT outcome FROM email_messages WHERE tenant = $1 AND queue = $2 AND "
		     "uidvalidity = $3 AND uid = $4",
    [Q_EMAIL_LAST_UID] = "SELECT COALESCE(MAX(uid), 0) FROM email_messages WHERE tenant = $1 "
			 "AND queue = $2 AND uidvalidity = $3",
    [Q_EMAIL_THREAD_PUT] = "INSERT INTO email_threads (tenant, message_id, interaction, "
			   "created_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, message_id) "
			   "DO NOTHING",
    [Q_EMAIL_THREAD_GET] = "SELECT interaction FROM email_threads WHERE tenant = $1 AND "
			   "message_id = $2",
    [Q_WEBCB_PUT] = "INSERT INTO web_callbacks (tenant, id, queue, body, due_ms, created_ms) "
		    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, id) DO NOTHING",
    /* Those still to ring: no interaction of that id was written yet. */
    [Q_WEBCB_PENDING] = "SELECT w.id, w.body FROM web_callbacks w WHERE w.tenant = $1 AND "
			"w.due_ms > $2 AND NOT EXISTS (SELECT 1 FROM interactions i WHERE "
			"i.tenant = w.tenant AND i.id = w.id) ORDER BY w.due_ms",
    /* Chat messages (chat.c): a replayed record writes nothing twice. */
    [Q_CHAT_MSG_PUT] = "INSERT INTO chat_messages (tenant, interaction, seq, ts_ms, author, "
		       "agent, body, cid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT "
		       "(tenant, interaction, seq) DO NOTHING",
    [Q_CHAT_MSG_LIST] = "SELECT seq, ts_ms, author, agent, body, cid FROM chat_messages WHERE "
			"tenant = $1 AND interaction = $2 ORDER BY seq",
    [Q_VERSION] = "SELECT COALESCE(MAX(version), 0) FROM schema_version",
    [Q_VERSION_ADD] = "INSERT INTO schema_version (version, name, applied_ms) VALUES ($1, $2, $3)",

    [Q_IX_UPSERT] = "INSERT INTO interactions (" IX_COLS ", updated_ms) VALUES ($1, $2, $3, $4, "
		    "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
		    "$20, $21, $22, $23, $24, $25, $26, $27)" IX_ON_CONFLICT,
    [Q_IX_GET] = "SELECT " IX_COLS " FROM interactions WHERE tenant = $1 AND id = $2",
    [Q_IX_LIST] = "SELECT " IX_COLS " FROM interactions WHERE tenant = $1 AND" IX_FILTER
		  " ORDER BY created_ms, id LIMIT $6",
    [Q_IX_LIST_ALL] = "SELECT " IX_COLS " FROM interactions WHERE CAST($1 AS TEXT) IS NULL "
		      "AND" IX_FILTER " ORDER BY created_ms, tenant, id LIMIT $6",

    /* Newest first; the page after (created_ms $12, id $13) when $12 is not 0. */
    [Q_IX_SEARCH] = "SELECT " IX_COLS " FROM interactions WHERE tenant = $1 AND" IX_FILTER
		    " AND (CAST($6 AS TEXT) IS NULL OR channel = $6)"
		    " AND (CAST($7 AS TEXT) IS NULL OR direction = $7)"
		    " AND (CAST($8 AS TEXT) IS NULL OR disposition = $8)"
		    " AND (CAST($9 AS BIGINT) < 0 OR abandoned = $9)"
		    " AND (CAST($10 AS TEXT) IS NULL OR number = $10 OR from_addr = $10 OR "
		    "to_addr = $10)"
		    " AND (CAST($11 AS TEXT) IS NULL OR contact_id = $11)"
		    " AND (CAST($12 AS BIGINT) = 0 OR created_ms < $12 OR (created_ms = $12 AND "
		    "id < $13))"
		    " ORDER BY created_ms DESC, id DESC LIMIT $14",

    [Q_IX_DISPOSITION] = "UPDATE interactions SET disposition = $3, notes = COALESCE($4, notes), "
			 "updated_ms = $5 WHERE tenant = $1 AND id = $2",

    [Q_STATE_UPSERT] = "INSERT INTO agent_states (tenant, agent, start_ms, state, reason, "
		       "end_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, agent, "
		       "start_ms) DO UPDATE SET state = excluded.state, reason = "
		       "excluded.reason, end_ms = excluded.end_ms",
    /* A span left open (the process died before writing its end) ends where the
     * agent's next span starts. */
    /* Through the index of open spans (migration 7): `+start_ms` keeps SQLite from
     * walking every earlier span of the agent by the primary key instead. */
    [Q_STATE_CLOSE_EARLIER] = "UPDATE agent_states SET end_ms = $3 WHERE tenant = $1 AND agent = "
			      "$2 AND end_ms IS NULL AND +start_ms < $3",
    [Q_STATE_LIST] = "SELECT tenant, agent, state, reason, start_ms, end_ms FROM agent_states "
		     "WHERE tenant = $1 AND (CAST($2 AS TEXT) IS NULL OR agent = $2) AND "
		     "start_ms >= $3 ORDER BY start_ms, agent",
    /* By the primary key backwards: one row, however long the agent's history. */
    [Q_STATE_AT] = "SELECT tenant, agent, state, reason, start_ms, end_ms FROM agent_states "
		   "WHERE tenant = $1 AND agent = $2 AND start_ms < $3 ORDER BY start_ms DESC "
		   "LIMIT 1",

    [Q_AUDIT_INSERT] = "INSERT INTO audit_log (tenant, id, ts_ms, actor, object, obj_key, "
		       "action, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT "
		       "(tenant, id) DO NOTHING",
    [Q_AUDIT_LIST] = "SELECT tenant, id, ts_ms, actor, object, obj_key, action, detail FROM "
		     "audit_log WHERE tenant = $1 AND ts_ms >= $2 ORDER BY id",
    [Q_AUDIT_PAGE] = "SELECT tenant, id, ts_ms, actor, object, obj_key, action, detail FROM "
		     "audit_log WHERE tenant = $1 AND ts_ms >= $2 AND id > $3 ORDER BY id "
		     "LIMIT $4",

    [Q_CONTACT_UPSERT] =
	"INSERT INTO contacts (tenant, id, first_name, last_name, company, phones, emails, "
	"language, timezone, tags, custom, vip, dnc, created_ms, updated_ms) VALUES ($1, "
	"$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT "
	"(tenant, id) DO UPDATE SET first_name = excluded.first_name, last_name = "
	"excluded.last_name, company = excluded.company, phones = excluded.phones, emails "
	"= excluded.emails, language = excluded.language, timezone = excluded.timezone, "
	"tags = excluded.tags, custom = excluded.custom, vip = excluded.vip, dnc = "
	"excluded.dnc, updated_ms = excluded.updated_ms",
    [Q_CONTACT_GET] = "SELECT " CONTACT_COLS " FROM contacts c WHERE c.tenant = $1 AND c.id = $2",
    [Q_CONTACT_DELETE] = "DELETE FROM contacts WHERE tenant = $1 AND id = $2",
    [Q_CONTACT_FIND_PHONE] = "SELECT " CONTACT_COLS " FROM contact_phones p JOIN contacts c ON "
			     "c.tenant = p.tenant AND c.id = p.contact_id WHERE p.tenant = "
			     "$1 AND p.e164 = $2 ORDER BY c.updated_ms DESC, c.id DESC LIMIT 1",
    [Q_PHONES_CLEAR] = "DELETE FROM contact_phones WHERE tenant = $1 AND contact_id = $2",
    [Q_PHONE_ADD] = "INSERT INTO contact_phones (tenant, e164, contact_id) VALUES ($1, $2, $3) "
		    "ON CONFLICT (tenant, e164, contact_id) DO NOTHING",

    [Q_KEYS_CLEAR] = "DELETE FROM contact_keys WHERE tenant = $1 AND contact_id = $2",
    [Q_KEY_ADD] = "INSERT INTO contact_keys (tenant, kind, k, contact_id) VALUES ($1, $2, $3, $4) "
		  "ON CONFLICT (tenant, kind, k, contact_id) DO NOTHING",
    /* Name keys are folded in C (crm_name_fold) and compared as bytes (the column has
     * the "C" collation on PostgreSQL): $2 <= k < $3 is "k starts with the prefix". */
    [Q_CONTACT_SEARCH_NAME] = "SELECT " CONTACT_COLS " FROM contacts c WHERE c.tenant = $1 AND "
			      "c.id IN (SELECT contact_id FROM contact_keys WHERE tenant = $1 "
			      "AND kind = 'n' AND k >= $2 AND k < $3) AND c.id > $4 ORDER BY "
			      "c.id LIMIT $5",
    [Q_CONTACT_SEARCH_EMAIL] = "SELECT " CONTACT_COLS " FROM contacts c WHERE c.tenant = $1 AND "
			       "c.id IN (SELECT contact_id FROM contact_keys WHERE tenant = $1 "
			       "AND kind = 'e' AND k = $2) AND c.id > $3 ORDER BY c.id LIMIT $4",
    [Q_CONTACT_SEARCH_PHONE] = "SELECT " CONTACT_COLS " FROM contacts c WHERE c.tenant = $1 AND "
			       "c.id IN (SELECT contact_id FROM contact_phones WHERE tenant = $1 "
			       "AND e164 = $2) AND c.id > $3 ORDER BY c.id LIMIT $4",
    [Q_CONTACT_LIST] = "SELECT " CONTACT_COLS " FROM contacts c WHERE c.tenant = $1 AND c.id > "
		       "$2 ORDER BY c.id LIMIT $3",
    [Q_CONTACT_SCAN] = "SELECT " CONTACT_COLS " FROM contacts c WHERE c.tenant > $1 OR (c.tenant "
		       "= $1 AND c.id > $2) ORDER BY c.tenant, c.id LIMIT 200",
    [Q_IX_CONTACT_COUNT] =
	"SELECT COUNT(*) FROM interactions WHERE tenant = $1 AND contact_id = $2",
    [Q_IX_CONTACT_MOVE] = "UPDATE interactions SET contact_id = $3 WHERE tenant = $1 AND "
			  "contact_id = $2",

    [Q_TENANT_COUNTRY] = "SELECT country FROM tenants WHERE id = $1",
    [Q_TENANT_GET] = "SELECT name, domain, timezone, language, country, prune, record FROM "
		     "tenants WHERE id = $1",
    [Q_TENANT_UPSERT] = "INSERT INTO tenants (id, name, domain, timezone, language, country, "
			"prune, record, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
			"$9) ON CONFLICT (id) DO UPDATE SET name = excluded.name, domain = "
			"excluded.domain, timezone = excluded.timezone, language = "
			"excluded.language, country = excluded.country, prune = "
			"excluded.prune, record = excluded.record, updated_ms = "
			"excluded.updated_ms",

    [Q_USER_GET] = "SELECT name, password_hash, roles, sip_user, ha1_md5, ha1_sha256, skills, "
		   "queues, auto_ready, language, source FROM users WHERE tenant = $1 AND "
		   "username = $2",
    [Q_USER_UPSERT] =
	"INSERT INTO users (tenant, username, name, password_hash, roles, sip_user, "
	"ha1_md5, ha1_sha256, skills, queues, auto_ready, language, updated_ms) VALUES "
	"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (tenant, "
	"username) DO UPDATE SET name = excluded.name, password_hash = "
	"excluded.password_hash, roles = excluded.roles, sip_user = excluded.sip_user, "
	"ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256, skills = "
	"excluded.skills, queues = excluded.queues, auto_ready = excluded.auto_ready, "
	"language = excluded.language, updated_ms = excluded.updated_ms, source = 'file', body "
	"= NULL",
    /* The file prunes only its own users. */
    [Q_USER_KEYS] = "SELECT username FROM users WHERE tenant = $1 AND source = 'file' ORDER BY "
		    "username",
    [Q_USER_DELETE] = "DELETE FROM users WHERE tenant = $1 AND username = $2",
    [Q_USER_HASH] = "SELECT password_hash FROM users WHERE tenant = $1 AND username = $2",
    /* A password or HA1 left NULL keeps the stored one; never over a file's user. */
    [Q_USER_API_UPSERT] =
	"INSERT INTO users (tenant, username, name, password_hash, roles, sip_user, ha1_md5, "
	"ha1_sha256, skills, queues, auto_ready, language, updated_ms, source, body) VALUES ($1, "
	"$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'api', $14) ON CONFLICT (tenant, "
	"username) DO UPDATE SET name = excluded.name, password_hash = "
	"COALESCE(excluded.password_hash, users.password_hash), roles = excluded.roles, sip_user "
	"= excluded.sip_user, ha1_md5 = COALESCE(excluded.ha1_md5, users.ha1_md5), ha1_sha256 = "
	"COALESCE(excluded.ha1_sha256, users.ha1_sha256), skills = excluded.skills, queues = "
	"excluded.queues, auto_ready = excluded.auto_ready, language = excluded.language, "
	"updated_ms = excluded.updated_ms, body = excluded.body WHERE users.source = 'api'",
    [Q_USER_API_DELETE] =
	"DELETE FROM users WHERE tenant = $1 AND username = $2 AND source = 'api'",
    [Q_USER_API_LIST] = "SELECT username, body, ha1_md5, ha1_sha256 FROM users WHERE tenant = "
			"$1 AND source = 'api' AND body IS NOT NULL ORDER BY username",
    [Q_USER_ROLES] = "SELECT roles FROM users WHERE tenant = $1 AND username = $2 AND "
		     "source = 'api'",

    [Q_WEBHOOK_INSERT] = "INSERT INTO webhooks (tenant, id, url, events, secret, created_ms, "
			 "updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    /* The secret stays when $5 is NULL. */
    [Q_WEBHOOK_UPDATE] = "UPDATE webhooks SET url = $3, events = $4, secret = COALESCE($5, "
			 "secret), updated_ms = $6 WHERE tenant = $1 AND id = $2",
    [Q_WEBHOOK_DELETE] = "DELETE FROM webhooks WHERE tenant = $1 AND id = $2",
    [Q_WEBHOOK_LIST] = "SELECT id, url, events, secret, created_ms, updated_ms FROM webhooks "
		       "WHERE tenant = $1 ORDER BY id",
    [Q_DELIVERY_INSERT] = "INSERT INTO webhook_deliveries (tenant, id, webhook, event_seq, "
			  "event_type, body, state, attempts, next_ms, created_ms, updated_ms) "
			  "VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $7) ON "
			  "CONFLICT (tenant, id) DO NOTHING",
    [Q_DELIVERY_UPDATE] = "UPDATE webhook_deliveries SET state = $3, attempts = $4, next_ms = "
			  "$5, last_status = $6, last_error = $7, updated_ms = $8 WHERE tenant "
			  "= $1 AND id = $2",
    [Q_DELIVERY_PENDING] = "SELECT id, webhook, event_seq, event_type, body, attempts, next_ms, "
			   "created_ms FROM webhook_deliveries WHERE tenant = $1 AND state = "
			   "'pending' ORDER BY created_ms, id",
    /* Newest first. */
    [Q_DELIVERY_LIST] = "SELECT id, webhook, event_seq, event_type, state, attempts, next_ms, "
			"last_status, last_error, created_ms, updated_ms FROM "
			"webhook_deliveries WHERE tenant = $1 AND webhook = $2 ORDER BY "
			"created_ms DESC, id DESC LIMIT $3",
    [Q_DELIVERY_DELETE_HOOK] = "DELETE FROM webhook_deliveries WHERE tenant = $1 AND webhook = $2",
    [Q_KEY_INSERT] = "INSERT INTO api_keys (tenant, id, name, hash, roles, created_by, "
		     "created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [Q_KEY_DELETE] = "DELETE FROM api_keys WHERE tenant = $1 AND id = $2",
    [Q_KEY_LIST] = "SELECT id, name, hash, roles, created_by, created_ms FROM api_keys WHERE "
		   "tenant = $1 ORDER BY created_ms, id",
    [Q_SCHEMA_SQLITE] =
	"SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p "
	"WHERE m.type = 'table' UNION ALL SELECT 'index', name FROM sqlite_master WHERE "
	"type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY 1, 2",
    [Q_SCHEMA_PG] = "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM "
		    "information_schema.columns WHERE table_schema = current_schema() UNION "
		    "ALL SELECT 'index', CAST(indexname AS TEXT) FROM pg_indexes WHERE "
		    "schemaname = current_schema() AND indexname NOT LIKE '%_pkey' ORDER BY 1, 2",

    OBJ_SQL("queues", "id"),
    OBJ_SQL("numbers", "number"),
    OBJ_SQL("trunks", "id"),
    OBJ_SQL("flows", "name"),
    OBJ_SQL("calendars", "name"),
    OBJ_SQL("reason_codes", "code"),
    OBJ_SQL("dispositions", "code"),
    OBJ_SQL("campaigns", "id"),
};

static char ix_group_sql[STORE__IX_GROUP * IX_NPARAMS * 6 + 2048];
static pthread_once_t ix_group_once = PTHREAD_ONCE_INIT;

/* INSERT .. VALUES (27 parameters), (the next 27), .. for STORE__IX_GROUP rows. */
static void build_ix_group(void)
{
	size_t len = (size_t)snprintf(ix_group_sql, sizeof(ix_group_sql),
				      "INSERT INTO interactions (" IX_COLS ", updated_ms) VALUES ");
	int row, col;

	for (row = 0; row < STORE__IX_GROUP; row++)
		for (col = 0; col < IX_NPARAMS; col++)
			len += (size_t)snprintf(ix_group_sql + len, sizeof(ix_group_sql) - len,
						"%s$%d%s", col ? "" : (row ? ", (" : "("),
						row * IX_NPARAMS + col + 1,
						col == IX_NPARAMS - 1 ? ")" : ", ");
	snprintf(ix_group_sql + len, sizeof(ix_group_sql) - len, "%s", IX_ON_CONFLICT);
	store__sql[Q_IX_UPSERT_GROUP] = ix_group_sql;
}

const char *store__sql_text(enum store__q id)
{
	pthread_once(&ix_group_once, build_ix_group);
	return store__sql[id];
}
