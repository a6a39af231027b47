/*
 * The store: centrala's records (tenants and their configuration, contacts,
 * interactions, agent state history, the audit log) in SQLite (default, `sqlite:PATH`)
 * or PostgreSQL (`postgresql://user@host:port/db`), behind one interface.
 *
 * Two ways in:
 *  - `struct store` (store_create) is what the engine uses. It owns a writer thread and
 *    a reader thread, each with its own connection. Writes are copied and queued
 *    (store_*_submit never waits on SQL), then written in batched transactions; the
 *    submitter hears through its message queue when a record is committed. When the
 *    database cannot be reached, records go to a bounded on-disk spool and are written
 *    when it comes back, in order. Lookups the engine needs (a contact by phone number)
 *    are queued too and answered through a message queue.
 *  - `struct store_db` (store_db_open) is one synchronous connection, for the CLI, the
 *    export, provisioning, tests and the API thread. A handle is used by one thread at a
 *    time; open one per thread.
 *
 * Opening either applies the schema migrations (forward only, each in a transaction).
 * Every call that touches tenant data takes the tenant: calling without one is a
 * programming error that aborts in debug builds and returns EINVAL in release builds
 * (NDEBUG). Functions return 0 or a positive errno: EINVAL (bad argument), ENOENT (not
 * found), EEXIST (a uniqueness constraint), EAGAIN (the database is unreachable or busy;
 * retrying later may work), EIO (any other database error; store_db_errmsg says which),
 * ENOMEM. Out-parameters are written only on success.
 */
#ifndef CENTRALA_STORE_STORE_H
#define CENTRALA_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crm/crm.h"

struct cfg;
struct mq;

/* ---- records besides contacts and interactions (crm/crm.h) ------------------------ */

/* One span of an agent's state. Submitting it again with the same (tenant, agent,
 * start_ms) updates it, so the engine may write the span when it starts (end_ms 0) and
 * again when it ends. */
struct store_agent_state {
	const char *tenant;
	const char *agent;  /* username */
	const char *state;  /* "ready", "not_ready", "busy", "wrap_up", "logged_out", ... */
	const char *reason; /* not_ready reason code, or NULL */
	int64_t start_ms;
	int64_t end_ms; /* 0 while the span is open */
};

/* One configuration change. `id` NULL: a new sortable id is made at submit. */
struct store_audit {
	const char *tenant;
	const char *id;
	int64_t ts_ms;	    /* 0: now */
	const char *actor;  /* "provision", "api:alice", ... */
	const char *object; /* "user", "queue", "number", ... */
	const char *key;    /* the object's id within the tenant */
	const char *action; /* "create", "update", "delete" */
	const char *detail; /* what changed (field names, never secret values) or NULL */
};

/* ---- the asynchronous store used by the engine -------------------------------------- */

struct store;

struct store_opts {
	/* The spool file, created with its directories. NULL: "<database path>.spool" for
	 * SQLite ("var/centrala.db.spool" for "sqlite:var/centrala.db"), "var/store.spool"
	 * for PostgreSQL (relative to the working directory). One store per spool: a second
	 * store_create on a spool in use fails with EBUSY. */
	const char *spool_path;
	size_t spool_max_bytes; /* 0: 256 MiB. When full, records wait in memory. */
	size_t queue_max;	/* records waiting in memory; 0: 100000 */
	size_t batch_max;	/* records per transaction; 0: 1000 */
	/* How long a call's earlier version or an agent state span waits for others to
	 * join its transaction, unless batch_max arrive first, store_flush is waiting, the
	 * store stops or a record a reader may ask for at once is queued (a call's last
	 * version, a contact, an audit entry, a chat message); 0: 25. */
	unsigned commit_delay_ms;
	unsigned busy_timeout_ms; /* SQLite lock wait; 0: 5000 */
	unsigned retry_max_ms;	  /* longest pause between reconnection attempts; 0: 5000 */
};

/* What a reply message is about. */
enum store_msg_type {
	STORE_MSG_COMMITTED = 1, /* the record is in the database */
	STORE_MSG_SPOOLED,	 /* the database is down; the record is safe in the spool and
				    a STORE_MSG_COMMITTED follows once it is written */
	STORE_MSG_FAILED,	 /* the database refused the record (err); it was dropped */
	STORE_MSG_CONTACT,	 /* answer to store_contact_lookup */
};

enum store_rec_kind {
	STORE_REC_INTERACTION = 1,
	STORE_REC_AGENT_STATE,
	STORE_REC_AUDIT,
	STORE_REC_CONTACT,
	STORE_REC_CHAT_MESSAGE,
};

/*
 * The message pushed to a submitter's queue (struct mq from core/mq.h). For
 * STORE_MSG_CONTACT, `contact` is the contact found or created, owned by the receiver
 * (crm_contact_free), or NULL when none (err ENOENT) or on error (err). Drain a reply
 * queue before freeing it so no contact leaks.
 */
struct store_msg {
	uint16_t type; /* enum store_msg_type */
	uint16_t kind; /* enum store_rec_kind */
	int32_t err;
	uint64_t cookie;
	struct crm_contact *contact;
	bool created;  /* the contact was created by this lookup */
	char *history; /* with STORE_LOOKUP_HISTORY: the contact's last interactions as a JSON
			  array (newest first), owned by the receiver (free); else NULL */
};

/* Counters for /metrics. Totals since store_create unless said otherwise. */
struct store_stats {
	uint64_t submitted;	/* records accepted by store_*_submit */
	uint64_t committed;	/* records committed (directly or from the spool) */
	uint64_t batches;	/* transactions committed */
	uint64_t failed;	/* records the database refused (dropped, logged) */
	uint64_t dropped;	/* submits refused because memory and spool were full */
	uint64_t spooled;	/* records written to the spool */
	uint64_t replayed;	/* records committed from the spool */
	uint64_t lookups;	/* contact lookups answered */
	uint64_t reconnects;	/* successful reconnections */
	uint64_t replies_lost;	/* reply messages that did not fit the caller's queue */
	uint64_t queue_len;	/* now: records waiting in memory */
	uint64_t spool_backlog; /* now: records in the spool not yet written */
	uint64_t spool_bytes;	/* now: size of the spool file */
	bool db_up;		/* now: the last database operation succeeded */
};

/*
 * Opens the database at `url`, applies migrations, opens the spool and replays what a
 * previous run left in it (before anything submitted now), and starts the writer and
 * reader threads. `opts` may be NULL (every default, the spool path included). Returns
 * 0, EINVAL (bad URL), EAGAIN (database unreachable: the daemon should say so and stop),
 * EBUSY (another store, in this process or another, has the same spool open: give each
 * its own spool_path), EIO or ENOMEM.
 */
int store_create(const char *url, const struct store_opts *opts, struct store **out);
/* Commits (or, with the database down, spools) everything submitted, stops the
 * threads, answers pending lookups with ECANCELED and frees the store. */
void store_destroy(struct store *s);
/* Waits until everything submitted before the call is committed, spooled or refused.
 * Returns 0 or ETIMEDOUT. */
int store_flush(struct store *s, unsigned timeout_ms);
void store_stats(struct store *s, struct store_stats *out);
const char *store_url(const struct store *s);

/*
 * Copies the record and queues it for the writer; never waits on the database. When
 * `done` is not NULL, a struct store_msg with `cookie` is pushed to it when the record
 * is committed (or spooled, or refused). An interaction is stored under (tenant, id);
 * submitting the same id again replaces the earlier version, so the engine may write a
 * call as it progresses and once more when it ends. Returns 0, EINVAL (no tenant or id)
 * or ENOBUFS (the memory queue is full; nothing queued, counted as dropped).
 */
int store_interaction_submit(struct store *s, const struct crm_interaction *ix, struct mq *done,
			     uint64_t cookie);
int store_agent_state_submit(struct store *s, const struct store_agent_state *st, struct mq *done,
			     uint64_t cookie);
int store_audit_submit(struct store *s, const struct store_audit *a, struct mq *done,
		       uint64_t cookie);
/* Creates or replaces a contact (with its phone index) in `tenant`. */
int store_contact_submit(struct store *s, const char *tenant, const struct crm_contact *c,
			 struct mq *done, uint64_t cookie);

#define STORE_LOOKUP_CREATE  1u /* create a contact for an unknown caller */
#define STORE_LOOKUP_HISTORY 2u /* answer the contact's last 5 interactions too */

/*
 * Looks up the contact for a phone number (normalised with the tenant's country) on the
 * reader thread and pushes a STORE_MSG_CONTACT to `reply`. With STORE_LOOKUP_CREATE, an
 * unknown but valid number gets a new contact holding just that number. When several
 * contacts share a number, the most recently updated one is answered. Returns 0, EINVAL
 * or ENOBUFS; the answer may carry err ENOENT (none), EINVAL (not a phone number),
 * EAGAIN (database unreachable) or ECANCELED (store shutting down).
 */
int store_contact_lookup(struct store *s, const char *tenant, const char *phone, unsigned flags,
			 struct mq *reply, uint64_t cookie);

/* ---- provisioning --------------------------------------------------------------------- */

struct store_provision_opts {
	unsigned long long opslimit; /* Argon2id cost; 0: crypto_pwhash_OPSLIMIT_INTERACTIVE */
	size_t memlimit;	     /* 0: crypto_pwhash_MEMLIMIT_INTERACTIVE */
	const char *actor;	     /* audit actor; NULL: "provision" */
};

struct store_provision_report {
	unsigned created, updated, deleted, unchanged;
	unsigned hashed; /* passwords hashed (new or changed) */
	char error[512]; /* "tenants[1].users[0]: ..." when provisioning failed */
};

/*
 * Applies the configuration's tenants section as an idempotent upsert, in one
 * transaction: tenants, users (passwords hashed with Argon2id unless the stored hash
 * already verifies), queues, numbers, trunks, flows and calendars (their source as
 * JSON), reason codes and dispositions. Objects missing from the file stay unless the
 * tenant has `prune: true`. Each change writes an audit entry. On any error (EINVAL for
 * an invalid section, EEXIST for a constraint, EIO, EAGAIN) nothing is applied and
 * rep->error says where. Slow on purpose (password hashing): call it at start or from
 * the API thread, never the engine thread. `opts` and `rep` may be NULL.
 * store_provision opens its own connection to the store's database.
 */
int store_provision(struct store *s, const struct cfg *cfg, const struct store_provision_opts *opts,
		    struct store_provision_report *rep);

/* ---- synchronous access --------------------------------------------------------------- */

struct store_db;

/* Opens a connection and applies all migrations. Returns 0, EINVAL, EAGAIN, EIO, ENOMEM,
 * or ERANGE when the database is newer than this build (a downgrade: refused). */
int store_db_open(const char *url, struct store_db **out);
/* The same, applying migrations only up to `version` (tools and migration tests). */
int store_db_open_version(const char *url, int version, struct store_db **out);
void store_db_close(struct store_db *db);
/* The text of the last error on this handle ("" when none). Never holds secrets. */
const char *store_db_errmsg(const struct store_db *db);
/* The schema version applied, and the newest this build knows. */
int store_db_version(struct store_db *db, int *out);
int store_schema_latest(void);
/* Writes the schema as "table.column\n" lines sorted by table and column name, the same
 * on both back ends for the same version (checks and diagnostics). */
int store_db_schema(struct store_db *db, struct crm_buf *out);
/* Name of the back end: "sqlite" or "postgresql". */
const char *store_db_backend(const struct store_db *db);

/* Explicit transactions around several calls below (without them each call commits). */
int store_db_begin(struct store_db *db);
int store_db_commit(struct store_db *db);
int store_db_rollback(struct store_db *db);

int store_db_provision(struct store_db *db, const struct cfg *cfg,
		       const struct store_provision_opts *opts, struct store_provision_report *rep);
/* Checks a user's password against the stored Argon2id hash. Returns 0, EACCES (wrong
 * password or no password set) or ENOENT (no such user). */
int store_db_user_verify(struct store_db *db, const char *tenant, const char *username,
			 const char *password);

int store_db_interaction_put(struct store_db *db, const struct crm_interaction *ix);
int store_db_agent_state_put(struct store_db *db, const struct store_agent_state *st);
int store_db_audit_put(struct store_db *db, const struct store_audit *a);
int store_db_contact_put(struct store_db *db, const char *tenant, const struct crm_contact *c);
int store_db_contact_get(struct store_db *db, const char *tenant, const char *id,
			 struct crm_contact **out);
/* The most recently updated contact with this E.164 number, or ENOENT. */
int store_db_contact_find_phone(struct store_db *db, const char *tenant, const char *e164,
				struct crm_contact **out);
int store_db_contact_delete(struct store_db *db, const char *tenant, const char *id);
/*
 * Merges duplicate contact `from` into `keep`, both of `tenant`, in one transaction:
 * keep gains what from has and it lacks (crm_contact_merge), from's interactions become
 * keep's, and from is removed with its phone and search keys. On success *out (when
 * not NULL) is the merged contact (crm_contact_free) and *moved (when not NULL) the
 * number of interactions moved. Returns 0, EINVAL (the same id twice, or an empty
 * one), ENOENT (either is missing), E2BIG (a merged list would exceed
 * CRM_CONTACT_LIST_MAX), ENOMEM or a database error; nothing changes on error.
 */
int store_db_contact_merge(struct store_db *db, const char *tenant, const char *keep,
			   const char *from, struct crm_contact **out, int64_t *moved);

/* How store_db_contacts_search finds contacts. */
enum store_contact_by {
	STORE_CONTACT_ALL,   /* every contact of the tenant */
	STORE_CONTACT_NAME,  /* value: the start of a name (first, last, "last first", any
				word of it, or the company), any case */
	STORE_CONTACT_EMAIL, /* value: a whole e-mail address, any case */
	STORE_CONTACT_PHONE, /* value: an E.164 number */
};
/* Called for each contact found; the contact is freed when it returns. A non-zero
 * return stops the search and is returned by it. */
typedef int(store_contact_h)(const struct crm_contact *c, void *arg);
/*
 * Contacts of `tenant` matching `value` as `by` says, ordered by id, at most `limit`
 * (0: all) with an id greater than `after_id` (NULL or "": from the first). Name and
 * e-mail matching folds case with crm_name_fold, the same on both back ends. Returns
 * 0, EINVAL (no value, or a value that is not UTF-8), the callback's non-zero value, or
 * a database error.
 */
int store_db_contacts_search(struct store_db *db, const char *tenant, enum store_contact_by by,
			     const char *value, const char *after_id, size_t limit,
			     store_contact_h *h, void *arg);

/* Called for each row; the record and its strings live until the callback returns.
 * A non-zero return stops the iteration and is returned by the iterating function.
 * The callback must not use the same store_db handle (one query at a time). */
typedef int(store_interaction_h)(const struct crm_interaction *ix, void *arg);
typedef int(store_agent_state_h)(const struct store_agent_state *st, void *arg);
typedef int(store_audit_h)(const struct store_audit *a, void *arg);

struct store_ix_filter {
	int64_t since_ms; /* created at or after; 0: no bound */
	int64_t until_ms; /* created before; 0: no bound */
	const char *queue;
	const char *agent;
	size_t limit; /* 0: no limit */
};

/* Interactions of a tenant by creation time (then id), streamed row by row. */
int store_db_interactions(struct store_db *db, const char *tenant, const struct store_ix_filter *f,
			  store_interaction_h *h, void *arg);
int store_db_interaction_get(struct store_db *db, const char *tenant, const char *id,
			     store_interaction_h *h, void *arg);
/* The API's search: the filter's fields plus the ones below (NULL or -1: any), newest
 * first, `limit` rows after the keyset position (after_ms, after_id) when after_ms is
 * not 0 (the last row of the previous page). */
struct store_ix_search {
	struct store_ix_filter f;
	const char *channel, *direction, *disposition;
	int abandoned;	    /* -1: any, 0 or 1 */
	const char *number; /* the DID, or the from or to address */
	const char *contact;
	int64_t after_ms;
	const char *after_id;
};
int store_db_interactions_search(struct store_db *db, const char *tenant,
				 const struct store_ix_search *q, store_interaction_h *h,
				 void *arg);
/* Sets a stored interaction's disposition (and its notes when not NULL). Returns 0, also
 * when there is no such interaction (read it first to know). */
int store_db_interaction_set_disposition(struct store_db *db, const char *tenant, const char *id,
					 const char *code, const char *notes);
/* The operator's view: interactions of every tenant (by creation time, tenant, id). */
int store_db_interactions_all_tenants(struct store_db *db, const struct store_ix_filter *f,
				      store_interaction_h *h, void *arg);
/* Agent state spans of a tenant (one agent or all with NULL) starting at or after
 * since_ms, by start time. For one agent and since_ms > 0, the span in progress at
 * since_ms (begun before it, ended after it or still open) comes first, so that time
 * spent in a state across since_ms is not lost to a report over a range. */
int store_db_agent_states(struct store_db *db, const char *tenant, const char *agent,
			  int64_t since_ms, store_agent_state_h *h, void *arg);
int store_db_audit_log(struct store_db *db, const char *tenant, int64_t since_ms, store_audit_h *h,
		       void *arg);
/* One page of the same: entries at or after since_ms whose id sorts after `after_id` (""
 * for the first page), by id, at most `limit` of them. */
int store_db_audit_page(struct store_db *db, const char *tenant, int64_t since_ms,
			const char *after_id, size_t limit, store_audit_h *h, void *arg);

/* ---- configuration objects made through the API ------------------------------------ */

/* Creates or replaces object `key` of `kind` ("numbers", "queues", ...) as made through
 * the API (never pruned by the file's provisioning; loaded by the engine at start). Its
 * body is the object's JSON with the provisioning field names. 0, EINVAL or an error. */
int store_db_object_put(struct store_db *db, const char *tenant, const char *kind, const char *key,
			const char *body);
int store_db_object_delete(struct store_db *db, const char *tenant, const char *kind,
			   const char *key);
typedef int(store_object_h)(const char *key, const char *body, void *arg);
/* The objects of `kind` the API made, by key. */
int store_db_objects_api(struct store_db *db, const char *tenant, const char *kind,
			 store_object_h *h, void *arg);

/* Users made through the API (store/users.c): creates or replaces `u` as the API's
 * (never over a user the file lists), hashing its password with Argon2id (opslimit 0:
 * the default); a NULL password or empty HA1 keeps the stored one. `body` is the user's
 * JSON without secrets, which the engine loads at start. 0, EINVAL, ENOMEM or an error. */
struct cfg_user;
int store_db_user_put_api(struct store_db *db, const char *tenant, const struct cfg_user *u,
			  const char *body, unsigned long long opslimit);
int store_db_user_delete_api(struct store_db *db, const char *tenant, const char *username);
typedef int(store_user_api_h)(const char *username, const char *body, const char *ha1_md5,
			      const char *ha1_sha256, void *arg);
int store_db_users_api(struct store_db *db, const char *tenant, store_user_api_h *h, void *arg);
/* `centrala hash-password`: reads a password (one line) from standard input and prints
 * its Argon2id hash, for the file's `operators`. Returns the exit status. */
int store_hash_password_cli(int argc, char **argv);
/* A stored user's roles (enum cfg_role bits). 0, ENOENT or an error. */
int store_db_user_roles(struct store_db *db, const char *tenant, const char *username,
			unsigned *roles);

/* ---- webhooks and API keys --------------------------------------------------------------- */

/* A webhook made through the API. `events` is the JSON array of event types as text. */
struct store_webhook {
	const char *tenant, *id, *url, *events, *secret;
	int64_t created_ms, updated_ms;
};

/* One delivery of one event to one webhook: pending until delivered or given up. */
struct store_delivery {
	const char *tenant, *id, *webhook;
	uint64_t event_seq;
	const char *event_type;
	const char *body;  /* the event's JSON as POSTed (NULL in the log's rows) */
	const char *state; /* "pending", "delivered", "failed" */
	unsigned attempts;
	int64_t next_ms;	/* the next attempt (pending) */
	int last_status;	/* the receiver's last HTTP status, 0: none */
	const char *last_error; /* the last attempt's failure, NULL: none */
	int64_t created_ms, updated_ms;
};

/* An API key: only the hash (lower-case hex of BLAKE2b-256 of the key) is kept. */
struct store_api_key {
	const char *tenant, *id, *name, *hash;
	const char *roles;	/* "admin,supervisor,agent,qa" subset */
	const char *created_by; /* "api:ada" */
	int64_t created_ms;
};

typedef int(store_webhook_h)(const struct store_webhook *w, void *arg);
typedef int(store_delivery_h)(const struct store_delivery *d, void *arg);
typedef int(store_api_key_h)(const struct store_api_key *k, void *arg);

/* Creates a webhook; EEXIST when the tenant has one with that id. */
int store_db_webhook_insert(struct store_db *db, const struct store_webhook *w);
/* Updates url, events and (when not NULL) the secret. 0 also when there is none. */
int store_db_webhook_update(struct store_db *db, const struct store_webhook *w);
/* Deletes a webhook and its deliveries (pending or logged). */
int store_db_webhook_delete(struct store_db *db, const char *tenant, const char *id);
int store_db_webhooks(struct store_db *db, const char *tenant, store_webhook_h *h, void *arg);
/* Records a new pending delivery (body, event and next_ms from d); a second insert of the
 * same id changes nothing. */
int store_db_delivery_insert(struct store_db *db, const struct store_delivery *d);
/* Writes an attempt's outcome: state, attempts, next_ms, last_status, last_error. */
int store_db_delivery_update(struct store_db *db, const struct store_delivery *d);
/* The tenant's pending deliveries with their bodies, oldest first. */
int store_db_deliveries_pending(struct store_db *db, const char *tenant, store_delivery_h *h,
				void *arg);
/* A webhook's delivery log, newest first, at most `limit` rows (no bodies). */
int store_db_deliveries(struct store_db *db, const char *tenant, const char *webhook, size_t limit,
			store_delivery_h *h, void *arg);
/* Creates an API key; EEXIST when the id or hash exists. */
int store_db_api_key_insert(struct store_db *db, const struct store_api_key *k);
int store_db_api_key_delete(struct store_db *db, const char *tenant, const char *id);
int store_db_api_keys(struct store_db *db, const char *tenant, store_api_key_h *h, void *arg);

/* ---- export --------------------------------------------------------------------------- */

enum store_export_format { STORE_EXPORT_JSONL, STORE_EXPORT_CSV };

/*
 * Writes the interactions created at or after since_ms (0: all) of one tenant, or of
 * all tenants when `tenant` is NULL (the operator's export), to `out`: JSON lines (one
 * crm_interaction_json object per line) or CSV with a header row. Streams row by row in
 * constant memory. Returns 0, an open error, EIO (database or write error).
 */
int store_export_interactions(const char *url, const char *tenant, int64_t since_ms,
			      enum store_export_format fmt, FILE *out);
/*
 * `centrala export interactions --config FILE [--since TIME] [--format jsonl|csv]
 * [--tenant ID]` with argv[0] = "export". TIME is ISO 8601 ("2025-11-23",
 * "2025-11-23T10:00:00Z") or a duration back from now ("24h", "7d"). Writes to stdout,
 * errors to stderr. Returns the process exit status: 0, 1 (runtime error), 2 (usage).
 */
int store_export_cli(int argc, char **argv);

/* ---- lead lists and do-not-call (leads.c, import.c; docs/dialer.md) ------------------ */

/* How a CSV of leads or do-not-call numbers is read. */
struct store_import_opts {
	const char *tenant;
	const char *list;     /* leads: the list (created when new) */
	const char *campaign; /* do-not-call: the campaign's list; NULL or "": the tenant's */
	const char *country;  /* national numbers are in this country (ISO 3166); NULL: none */
	/* Column mapping "phone=Telefon,name=Nazwisko,timezone=Strefa,priority=Prio": our
	 * field = the file's header. Unmapped fields are looked up by their own name. */
	const char *map;
	char sep;	   /* ',' (0), ';' or '\t' */
	bool skip_bad;	   /* import the good rows and report the bad; default all or nothing */
	const char *name;  /* the file's name in messages */
	FILE *err;	   /* messages: every bad row "NAME:LINE:COL: message", duplicates */
	size_t max_report; /* messages per kind at most (0: all) */
	/* Do-not-call imports: called with each number written, inside the import's
	 * transaction (the caller trusts them only when the import returns 0). NULL: none. */
	void (*on_number)(const char *e164, void *arg);
	void *on_number_arg;
};

struct store_import_result {
	uint64_t rows;	    /* data rows read (the header and blank lines not counted) */
	uint64_t imported;  /* rows written */
	uint64_t bad;	    /* rows refused */
	uint64_t dup_list;  /* the number is already in this list (skipped) */
	uint64_t dup_other; /* the number is also in another list (imported) */
};

/*
 * Imports leads from CSV with a header row (DESIGN.md contract 8): `phone` is required,
 * `name`, `timezone` and `priority` optional, every other column becomes a lead field.
 * Numbers are normalised to E.164 (crm_phone_e164 with o->country). Streams the input:
 * one row at a time in one transaction, so a file of any length takes constant memory.
 * Without skip_bad one bad row rolls everything back (nothing is written). Returns 0
 * (see *out), EINVAL (bad rows and all or nothing, or a bad header: nothing written),
 * EIO (read or database error, nothing written), ENOMEM.
 */
int store_db_import_leads(struct store_db *db, FILE *in, const struct store_import_opts *o,
			  struct store_import_result *out);
/* Imports do-not-call numbers from CSV with a `phone` column into the tenant's list or a
 * campaign's; the same rules and results (dup_list: already listed). */
int store_db_import_dnc(struct store_db *db, FILE *in, const struct store_import_opts *o,
			struct store_import_result *out);
/* Adds or removes one do-not-call number (E.164) of the tenant ("" campaign) or a
 * campaign. Returns 0 or EIO. */
int store_db_dnc_put(struct store_db *db, const char *tenant, const char *campaign,
		     const char *phone, const char *source, int64_t now_ms);
int store_db_dnc_delete(struct store_db *db, const char *tenant, const char *campaign,
			const char *phone);
/* Whether the number is on the list (*out; written only on success). Returns 0 or EIO. */
int store_db_dnc_has(struct store_db *db, const char *tenant, const char *campaign,
		     const char *phone, bool *out);
/* Removes the number from the list only when it was put there by `source` (a STOP by SMS
 * takes back only what a STOP put). Returns 0 or EIO. */
int store_db_dnc_delete_source(struct store_db *db, const char *tenant, const char *campaign,
			       const char *phone, const char *source);
/* The tenant's do-not-text list of the SMS channel: the `campaign` key it is kept under
 * (never a campaign's id, which has no `@`). */
#define STORE_DNC_SMS "@sms"
/* Calls h for every do-not-call number of the list, in order. */
typedef int(store_phone_h)(const char *phone, void *arg);
int store_db_dnc_list(struct store_db *db, const char *tenant, const char *campaign,
		      store_phone_h *h, void *arg);
/* The same from the first number above `after` (a page of the list). */
int store_db_dnc_list_after(struct store_db *db, const char *tenant, const char *campaign,
			    const char *after, store_phone_h *h, void *arg);
/* A lead list with its counts of leads and of leads not done. */
struct store_lead_list {
	const char *id, *country; /* country: NULL when none */
	int64_t created_ms, updated_ms;
	uint64_t leads, open;
};
typedef int(store_list_h)(const struct store_lead_list *l, void *arg);
/* Calls h for every lead list of the tenant, in id order (h's non-zero stops and is
 * returned). Returns 0, h's non-zero, or EIO. */
int store_db_lead_lists(struct store_db *db, const char *tenant, store_list_h *h, void *arg);
/* Writes a list's leads as CSV with a header (id, phone, name, timezone, priority,
 * state, attempts, last_result, disposition, next_ms, fields as JSON), streaming in
 * pages. Returns 0 or EIO. */
int store_db_export_leads(struct store_db *db, const char *tenant, const char *list, FILE *out);
/* A lead as the dialer loads it and writes it back. `state` is "ready", "dialing",
 * "waiting" or "done"; `day` a local date (days since 1970-01-01) for day_attempts. */
struct store_lead {
	int64_t id;
	const char *phone, *name, *timezone; /* name, timezone: NULL when none */
	int priority;
	const char *state;
	int attempts, day_attempts, day;
	int64_t next_ms;
	const char *callback_agent;
	const char *last_result, *disposition; /* written only when not NULL */
	const char *fields; /* read: the extra columns as a JSON object (NULL: none) */
};
typedef int(store_lead_h)(const struct store_lead *l, void *arg);
/* Calls h for up to `limit` leads of the list not done whose id is above after_id, in id
 * order (the dialer fetches ahead in such batches). Returns 0, h's non-zero, or EIO. */
int store_db_leads_open(struct store_db *db, const char *tenant, const char *list, int64_t after_id,
			int limit, store_lead_h *h, void *arg);
/* Calls h once with lead `id` of the list, whatever its state (last_result read too).
 * Returns 0, ENOENT when the list has no such lead, h's non-zero, or EIO. */
int store_db_lead_get(struct store_db *db, const char *tenant, const char *list, int64_t id,
		      store_lead_h *h, void *arg);
/* Whether `phone` is on the tenant's do-not-call list or on campaign's (NULL or "": the
 * tenant's only), in *out. Returns 0 or EIO. */
int store_db_dnc_blocks(struct store_db *db, const char *tenant, const char *campaign,
			const char *phone, bool *out);
/* Calls h for the leads of the list with number `phone` that were closed for being on a
 * do-not-call list when picked (state done, last result "dnc"), at most 100. Returns 0,
 * h's non-zero, or EIO. */
int store_db_leads_dnc_closed(struct store_db *db, const char *tenant, const char *list,
			      const char *phone, store_lead_h *h, void *arg);
/* Writes back a lead's dialing state. Returns 0 or EIO. */
int store_db_lead_update(struct store_db *db, const char *tenant, const char *list,
			 const struct store_lead *l, int64_t now_ms);
/* One attempt of a lead in a campaign: made when it starts, completed with its result,
 * interaction and disposition (NULL fields keep what was written). Returns 0 or EIO. */
struct store_attempt {
	const char *campaign, *list;
	int64_t lead;
	int attempt;
	const char *interaction, *result, *disposition;
	int64_t started_ms;
};
int store_db_attempt_put(struct store_db *db, const char *tenant, const struct store_attempt *a);
/*
 * `centrala import leads --config FILE --tenant T --list ID [--country CC]
 * [--map phone=COL,...] [--sep ,|;|tab] [--skip-bad] FILE.csv`, `centrala import dnc
 * --config FILE --tenant T [--campaign C] FILE.csv` (argv[0] = "import") and
 * `centrala export leads --config FILE --tenant T --list ID` (from store_export_cli).
 * Return the exit status: 0, 1 (bad rows or runtime error), 2 (usage).
 */
int store_import_cli(int argc, char **argv);
int store_export_leads_cli(int argc, char **argv);

/* ---- retention (retention.c; docs/operations.md) ------------------------------------ */

struct store_retention_report {
	unsigned recordings;  /* interactions whose recording was deleted */
	unsigned files;	      /* files removed (a call may have several segments) */
	unsigned bodies;      /* interactions whose notes were deleted */
	unsigned held;	      /* interactions past a limit kept for their legal hold */
	unsigned failed;      /* recordings that could not be removed (kept, retried) */
	unsigned messages;    /* chat, email and SMS interactions and web callbacks emptied */
	unsigned attachments; /* email attachment files removed */
};

/*
 * Deletes, in `tenant`, the recording files (every segment the timeline names) of
 * interactions created before recordings_before_ms and the bodies of those created
 * before bodies_before_ms (0: that part is not done): the notes; the chat messages'
 * rows; the texts, subjects and attachments (their files too) of email, SMS and chat
 * timelines; a web callback's number (its addresses and its timeline's "number"). Each
 * interaction stays in place with those fields NULL or gone; interactions on legal
 * hold are never touched. A run that deleted anything writes an audit entry (actor "retention").
 * Returns 0 or a store error; `rep` may be NULL.
 */
int store_db_retention(struct store_db *db, const char *tenant, int64_t recordings_before_ms,
		       int64_t bodies_before_ms, struct store_retention_report *rep);
/* Sets or clears the legal hold of one interaction. Returns 0 or a store error. */
int store_db_legal_hold(struct store_db *db, const char *tenant, const char *id, bool hold);

/* `centrala hold --config FILE --tenant ID [--release] INTERACTION...` with argv[0] =
 * "hold". Returns the exit status: 0, 1 (an interaction not found or not changed), 2. */
int store_hold_cli(int argc, char **argv);
/* `centrala migrate --config FILE` with argv[0] = "migrate": migrates the store. Returns
 * the exit status: 0, 1 (the store cannot be opened or a migration failed), 2 (usage),
 * 3 (the database is newer than this build: a downgrade, refused). */
int store_migrate_cli(int argc, char **argv);

struct store_retention;
/*
 * Starts the retention job on a thread of its own with its own connection: it runs
 * once now and then every `every_ms` (0: an hour) for every tenant of `cfg` that sets
 * a retention limit, logging event=retention per tenant. `cfg` must outlive the job.
 * Without any tenant limit no thread starts and *out is NULL. Returns 0, ENOMEM or the
 * error of pthread_create.
 */
int store_retention_start(const char *url, const struct cfg *cfg, unsigned every_ms,
			  struct store_retention **out);
/* Hands the job a reloaded configuration's limits (`cfg` must outlive the job, as the
 * engine keeps replaced files): it runs again now with them; without any limit it stops
 * running and waits, holding no connection, for a configuration that sets one. */
void store_retention_update(struct store_retention *r, const struct cfg *cfg);
/* Whether any tenant of cfg sets a retention limit. */
bool store_retention_any(const struct cfg *cfg);
/* Stops the job (waiting for a run in progress to finish) and frees it; NULL is fine. */
void store_retention_stop(struct store_retention *r);

/* ---- backup and restore (backup.c, backup_cli.c; docs/operations.md) -------------- */

/*
 * Copies the SQLite database `src` to `dst` (created with its directories, replaced if
 * it exists) with SQLite's online backup API, in one read transaction: the copy is the
 * database as of one instant, even while the server writes to it. The copy is then set
 * to WAL and checked (PRAGMA quick_check). Returns 0, ENOENT, EAGAIN (locked for 10 s),
 * EIO or ENOMEM with a message in err.
 */
int store_sqlite_copy(const char *src, const char *dst, char *err, size_t errlen);
/* The schema version and the number of interactions of a SQLite database file, read
 * without migrating it. Returns 0, ENOENT or EIO. */
int store_sqlite_info(const char *path, int *schema_version, long long *interactions);
/* Called for each interaction that names a recording (tenant, id, path). A non-zero
 * return stops the iteration and is returned. */
typedef int(store_recording_h)(const char *tenant, const char *id, const char *path, void *arg);
int store_sqlite_recordings(const char *path, store_recording_h *h, void *arg);
/* Rewrites recording paths under `old_root` to `new_root` (whole path components) in
 * every interaction of a SQLite database file, its timeline included; the number of
 * interactions changed goes to *changed. Returns 0, ENOENT, EIO or ENOMEM. */
int store_sqlite_rebase_recordings(const char *path, const char *old_root, const char *new_root,
				   long long *changed);
/* Copies a file to `dst` (through "dst.part", fsynced, then renamed; directories made)
 * and writes its SHA-256 (lower-case hex) and size. With `dst` NULL it only reads and
 * hashes. Returns 0 or the errno of the failing call; on error nothing is left at dst. */
int store_file_copy(const char *src, const char *dst, char sha256_hex[65], long long *bytes);
/* Called for each regular file below a root: its path and its path relative to the
 * root. A non-zero return stops the walk and is returned. */
typedef int(store_file_h)(const char *path, const char *rel, void *arg);
/* Walks the files below `root` (symbolic links are not followed; "*.part" files are
 * skipped). A missing root is an empty one. Not reentrant (nftw). Returns 0 or errno. */
int store_files_walk(const char *root, store_file_h *h, void *arg);

/*
 * `centrala backup --config FILE DIR` and `centrala restore --config FILE DIR [--force]`
 * with argv[0] = "backup" / "restore". Return the process exit status: 0, 1 (runtime
 * error), 2 (usage).
 */
int store_backup_cli(int argc, char **argv);
int store_restore_cli(int argc, char **argv);

/* Web callbacks (webcb.c, migration 12): a request kept until the interaction of the same
 * id is written. `body` is the request as JSON (queue, number, name, language, due_ms).
 * store_db_web_callbacks_pending calls h for each of the tenant's requests due after
 * `after_ms` whose interaction does not exist yet, earliest first. */
/* Chat messages (chat.c, migration 14): one row per message of a web chat, keyed by the
 * tenant, the chat's interaction and the message's number in the chat (`seq`, from 1);
 * `author` is "visitor" or "agent", `agent` the agent's username for the agent's
 * messages, `cid` the visitor page's own id of a message (or NULL). The engine submits
 * each one (store_chat_message_submit, written by the store's writer thread like an
 * interaction; writing the same seq again changes nothing), so that a message costs one
 * row however long the chat is. store_db_chat_messages calls h for each message of the
 * interaction in order; h's nonzero return stops the walk and is returned. */
struct store_chat_message {
	const char *tenant;
	const char *interaction;
	int64_t seq;
	int64_t ts_ms;
	const char *author;
	const char *agent;
	const char *text;
	const char *cid;
};
int store_chat_message_submit(struct store *s, const struct store_chat_message *m, struct mq *done,
			      uint64_t cookie);
int store_db_chat_message_put(struct store_db *db, const struct store_chat_message *m);
typedef int (*store_chat_message_h)(void *arg, const struct store_chat_message *m);
int store_db_chat_messages(struct store_db *db, const char *tenant, const char *interaction,
			   store_chat_message_h h, void *arg);

int store_db_web_callback_put(struct store_db *db, const char *tenant, const char *id,
			      const char *queue, const char *body, int64_t due_ms);
typedef int (*store_web_callback_h)(void *arg, const char *id, const char *body);
int store_db_web_callbacks_pending(struct store_db *db, const char *tenant, int64_t after_ms,
				   store_web_callback_h h, void *arg);

/*
 * The email channel's record (store/email.c, migration 11), on a synchronous connection
 * of the channel's worker thread, never the engine's. A queue's mailbox message is known
 * by (UIDVALIDITY, UID) of the IMAP folder; a conversation by every Message-ID in it.
 * All return 0 or an errno (EINVAL without a tenant, the driver's error otherwise).
 */
/* Records a message as handled with its OUTCOME ("queued", "joined", "auto-reply",
 * "refused", ...); a second mark of the same message is ignored (*fresh = 0). MESSAGE_ID
 * and INTERACTION may be NULL. */
int store_db_email_mark(struct store_db *db, const char *tenant, const char *queue,
			int64_t uidvalidity, int64_t uid, const char *message_id,
			const char *interaction, const char *outcome, int *fresh);
/* *handled = 1 when the message was marked before. */
int store_db_email_seen(struct store_db *db, const char *tenant, const char *queue,
			int64_t uidvalidity, int64_t uid, int *handled);
/* The highest UID handled in the folder of that UIDVALIDITY, 0 when none. */
int store_db_email_last_uid(struct store_db *db, const char *tenant, const char *queue,
			    int64_t uidvalidity, int64_t *out);
/* Files MESSAGE_ID under INTERACTION; an id already filed keeps its first interaction. */
int store_db_email_thread_put(struct store_db *db, const char *tenant, const char *message_id,
			      const char *interaction);
/* The interaction of the first of the N ids (most specific first, email_thread_keys)
 * that is filed, copied into OUT (OUTLEN bytes); ENOENT when none is, ENAMETOOLONG when
 * OUT is too small. */
int store_db_email_thread_find(struct store_db *db, const char *tenant, const char *const *ids,
			       size_t n, char *out, size_t outlen);

#endif
