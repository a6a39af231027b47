/*
 * Internals of the store shared between its files: the driver operations table that
 * hides SQLite and PostgreSQL (Kamailio's srdb1 idea), the named statements, the
 * connection handle, the serialized record format used by both the memory queue and
 * the spool, and the spool itself.
 */
#ifndef CENTRALA_STORE_STORE_INT_H
#define CENTRALA_STORE_STORE_INT_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- tenant scoping ------------------------------------------------------------------ */

/*
 * Every call on tenant data starts with STORE__TENANT(t). A missing tenant is a bug in
 * the caller: debug builds stop at the assertion; release builds log it and fail the
 * call with EINVAL, so that no query ever runs unscoped.
 */
bool store__tenant_missing(const char *tenant, const char *func);
#define STORE__TENANT(t)                                                                           \
	do {                                                                                       \
		assert((t) && *(t) && "store call without a tenant");                              \
		if (store__tenant_missing((t), __func__))                                          \
			return EINVAL;                                                             \
	} while (0)

/* ---- statements ------------------------------------------------------------------------ */

/* Every query the store runs, by name; the text is in sql.c, written once for both
 * back ends with $1..$n parameters. */
enum store__q {
	Q_VERSION,
	Q_VERSION_ADD,
	Q_IX_UPSERT,
	Q_IX_UPSERT_GROUP, /* STORE__IX_GROUP rows in one statement */
	Q_IX_GET,
	Q_IX_LIST,
	Q_IX_LIST_ALL,
	Q_IX_SEARCH, /* the API's filtered, newest-first, keyset-paged list */
	Q_IX_DISPOSITION,
	Q_STATE_UPSERT,
	Q_STATE_CLOSE_EARLIER,
	Q_STATE_LIST,
	Q_STATE_AT, /* an agent's span in progress at a time (the last one begun before) */
	Q_AUDIT_INSERT,
	Q_AUDIT_LIST,
	Q_AUDIT_PAGE,
	Q_CONTACT_UPSERT,
	Q_CONTACT_GET,
	Q_CONTACT_DELETE,
	Q_CONTACT_FIND_PHONE,
	Q_PHONES_CLEAR,
	Q_PHONE_ADD,
	Q_KEYS_CLEAR, /* a contact's search keys (contact_keys) */
	Q_KEY_ADD,
	Q_CONTACT_SEARCH_NAME, /* by name key prefix, keyset by id */
	Q_CONTACT_SEARCH_EMAIL,
	Q_CONTACT_SEARCH_PHONE,
	Q_CONTACT_LIST,
	Q_CONTACT_SCAN,	    /* every contact of every tenant, in pages (migration 6) */
	Q_IX_CONTACT_COUNT, /* a contact's interactions, counted and moved (merge) */
	Q_IX_CONTACT_MOVE,
	Q_TENANT_COUNTRY,
	Q_TENANT_GET,
	Q_TENANT_UPSERT,
	Q_USER_GET,
	Q_USER_UPSERT,
	Q_USER_KEYS,
	Q_USER_DELETE,
	Q_USER_HASH,
	Q_USER_API_UPSERT, /* users made through the API (users.c) */
	Q_USER_API_DELETE,
	Q_USER_API_LIST,
	Q_USER_ROLES,
	Q_WEBHOOK_INSERT,
	Q_WEBHOOK_UPDATE,
	Q_WEBHOOK_DELETE,
	Q_WEBHOOK_LIST,
	Q_DELIVERY_INSERT,
	Q_DELIVERY_UPDATE,
	Q_DELIVERY_PENDING,
	Q_DELIVERY_LIST,
	Q_DELIVERY_DELETE_HOOK,
	Q_KEY_INSERT,
	Q_KEY_DELETE,
	Q_KEY_LIST,
	Q_RET_RECORDINGS, /* retention.c: recordings due, keyset-paged */
	Q_RET_RECORDING_CLEAR,
	Q_RET_BODIES_COUNT,
	Q_RET_BODIES_CLEAR,
	Q_RET_HELD,
	Q_RET_MESSAGES, /* written channels' texts, attachments, web callbacks' numbers due */
	Q_RET_MESSAGES_CLEAR,
	Q_RET_CHAT_DELETE,
	Q_IX_HOLD,
	Q_LIST_PUT, /* leads.c: lead lists, leads, do-not-call */
	Q_LIST_LIST,
	Q_LEAD_NEXT_ID,
	Q_LEAD_INSERT,
	Q_LEAD_BY_PHONE,
	Q_LEAD_EXPORT,
	Q_DNC_PUT,
	Q_DNC_DELETE,
	Q_DNC_LIST,
	Q_DNC_HAS,
	Q_DNC_DELETE_SOURCE,
	Q_LEADS_OPEN,
	Q_LEAD_UPDATE,
	Q_ATTEMPT_PUT,
	Q_LEAD_GET,
	Q_DNC_BLOCKS,
	Q_LEADS_DNC_CLOSED,
	Q_EMAIL_MARK, /* email.c: a mailbox message handled (migration 11) */
	Q_EMAIL_SEEN,
	Q_EMAIL_LAST_UID,
	Q_EMAIL_THREAD_PUT,
	Q_EMAIL_THREAD_GET,
	Q_WEBCB_PUT, /* webcb.c: web callbacks (migration 12) */
	Q_WEBCB_PENDING,
	Q_CHAT_MSG_PUT, /* chat.c: chat messages (migration 14) */
	Q_CHAT_MSG_LIST,
	Q_SCHEMA_SQLITE,
	Q_SCHEMA_PG,
	Q_OBJ_GET, /* first of the per-table groups below: GET, UPSERT, KEYS, DELETE, API */
	Q_OBJ_COUNT = Q_OBJ_GET + 8 * 5,
	Q_COUNT = Q_OBJ_COUNT
};

/* The per-tenant configuration objects other than users: one row per object holding
 * its key, its position in the file and its body as JSON (the API's field names). */
enum store__obj {
	OBJ_QUEUE,
	OBJ_NUMBER,
	OBJ_TRUNK,
	OBJ_FLOW,
	OBJ_CALENDAR,
	OBJ_REASON,
	OBJ_DISPOSITION,
	OBJ_CAMPAIGN,
	OBJ_COUNT
};
#define Q_OBJ(obj, op) ((enum store__q)(Q_OBJ_GET + (obj)*5 + (op)))
enum { OBJ_OP_GET, OBJ_OP_UPSERT, OBJ_OP_KEYS, OBJ_OP_DELETE, OBJ_OP_API };

/* Interactions the writer puts in one multi-row upsert: one statement instead of many
 * is what lifts PostgreSQL's rate (its cost is per statement more than per row). */
#define STORE__IX_GROUP 32

/* The text of a statement (built once for the multi-row one). */
const char *store__sql_text(enum store__q id);

/* ---- drivers -------------------------------------------------------------------------- */

enum store__ptype { P_NULL, P_INT, P_TEXT };

struct store__param {
	enum store__ptype type;
	int64_t i;
	const char *s;
};

static inline struct store__param store__text(const char *s)
{
	return (struct store__param){s ? P_TEXT : P_NULL, 0, s};
}
static inline struct store__param store__int(int64_t i)
{
	return (struct store__param){P_INT, i, NULL};
}
/* An int where 0 means "not set" and is stored as NULL (timestamps not reached). */
static inline struct store__param store__int_or_null(int64_t i)
{
	return (struct store__param){i ? P_INT : P_NULL, i, NULL};
}

/*
 * A back end. Calls return 0 or a positive errno: EAGAIN for a failure that may pass
 * (connection lost, database busy or locked, disk full), EEXIST for a uniqueness or
 * primary-key violation, EIO otherwise; errmsg explains the last one. Statements are
 * prepared on first use from store__sql[id] and kept; `run` executes one that returns
 * no rows, `query` starts one whose rows `step` then walks (the last step, or `reset`,
 * ends it). One query at a time per connection. A batch (batch_begin .. batch_end) is one
 * transaction in which statements may be pipelined, their errors reported at the end.
 */
struct store__driver {
	const char *name;
	int (*open)(const char *target, unsigned busy_timeout_ms, void **out, char *err,
		    size_t errlen);
	void (*close)(void *c);
	int (*reconnect)(void *c);
	int (*script)(void *c, const char *sql);
	int (*run)(void *c, enum store__q id, const struct store__param *p, int n);
	int (*query)(void *c, enum store__q id, const struct store__param *p, int n);
	int (*step)(void *c, enum store__q id, bool *row);
	const char *(*text)(void *c, enum store__q id, int col);
	int64_t (*int64)(void *c, enum store__q id, int col);
	void (*reset)(void *c, enum store__q id);
	int (*begin)(void *c, bool exclusive);
	int (*commit)(void *c);
	int (*rollback)(void *c);
	int (*batch_begin)(void *c);
	int (*batch_end)(void *c, bool commit);
	const char *(*errmsg)(void *c);
};

extern const struct store__driver store__sqlite_driver;
extern const struct store__driver store__pg_driver;

/* ---- a connection ----------------------------------------------------------------------- */

struct store_db {
	const struct store__driver *drv;
	void *conn;
	char *url;
	int tx_depth; /* nesting of store__tx_begin; only the outermost talks to the database */
	bool tx_failed;
	char err[512];
};

/* Opens without migrating (for the migration runner itself). */
int store__db_connect(const char *url, unsigned busy_timeout_ms, struct store_db **out);
int store__migrate(struct store_db *db, int target);
/* Creates the directories leading to a file ("var/centrala.db" needs "var"). */
void store__mkdirs_for(const char *path);
/* The SQLite database path in `url`, or NULL for other back ends. */
const char *store__sqlite_path(const char *url);

/* Executes a statement that returns no rows. Records the error text on failure. */
int store__exec(struct store_db *db, enum store__q id, const struct store__param *p, int n);
/* Starts a query; then store__row until it returns false, reading columns in between;
 * the query ends by itself at the last row, or early with store__done. After the loop,
 * store__qerr says whether it ended by an error. */
int store__query(struct store_db *db, enum store__q id, const struct store__param *p, int n);
bool store__row(struct store_db *db, enum store__q id, int *err);
const char *store__col_text(struct store_db *db, enum store__q id, int col);
int64_t store__col_int(struct store_db *db, enum store__q id, int col);
void store__done(struct store_db *db, enum store__q id);
/* Nestable transactions: the outermost begin/end talk to the database; `err` non-zero
 * makes the outermost end roll back. Returns the error to pass on. */
int store__tx_begin(struct store_db *db);
int store__tx_end(struct store_db *db, int err);
int store__set_err(struct store_db *db, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* contact.c, contact_search.c */
/* Reads the current row of a query returning CONTACT_COLS (sql.c). */
int store__read_contact(struct store_db *db, enum store__q q, struct crm_contact **out);
/* Rewrites contact c's search keys (inside the caller's transaction). */
int store__contact_keys(struct store_db *db, const char *tenant, const struct crm_contact *c);
/* Writes the search keys of every contact (migration 6, inside its transaction). */
int store__contact_keys_backfill(struct store_db *db);

/* Makes sure a connection whose last call failed with EAGAIN works again. */
int store__db_reconnect(struct store_db *db);

/* ---- serialized records -------------------------------------------------------------- */

/*
 * A record copied at submit: the kind, the reply address, and the serialized fields.
 * The same bytes go into the spool. Layout of `data`: a kind byte, a format version
 * byte, then fields in a fixed order per kind; integers are 8 bytes little-endian;
 * strings are a 4-byte length (0xffffffff for NULL) then the bytes and a NUL.
 */
struct store__rec {
	struct store__rec *next;
	struct mq *done;
	uint64_t cookie;
	uint32_t len;
	uint8_t data[];
};

int store__rec_interaction(const struct crm_interaction *ix, struct store__rec **out);
int store__rec_agent_state(const struct store_agent_state *st, struct store__rec **out);
int store__rec_audit(const struct store_audit *a, struct store__rec **out);
int store__rec_contact(const char *tenant, const struct crm_contact *c, struct store__rec **out);
int store__rec_chat_message(const struct store_chat_message *m, struct store__rec **out);
/* The record's kind (enum store_rec_kind), or 0 when malformed. */
int store__rec_kind(const uint8_t *data, size_t len);
/* Decodes an interaction record in place (strings point into `data`). 0 or EINVAL. */
int store__rec_decode_interaction(const uint8_t *data, size_t len, struct crm_interaction *ix);
/* Upserts n interactions with distinct ids; n == STORE__IX_GROUP uses one statement. */
int store__interactions_put(struct store_db *db, const struct crm_interaction *ix, size_t n);
/* Writes the record to the database: decodes it (strings point into `data`) and runs
 * the matching store_db_*_put. Returns that call's error, or EINVAL when malformed. */
int store__rec_apply(struct store_db *db, const uint8_t *data, size_t len);

/* ---- spool -------------------------------------------------------------------------- */

struct store__spool;

/* Opens (creating) the spool file, drops a torn record at its end, and finds where the
 * last replay stopped. A record that cannot be read (I/O error) fails the open with that
 * errno and the file is left untouched; checking records needs no memory per record. */
int store__spool_open(const char *path, size_t max_bytes, struct store__spool **out);
void store__spool_close(struct store__spool *sp);
/* Appends records from the head of `list` while they fit, then fdatasyncs once.
 * *n is how many were appended (the first *n of the list); each gets the next spool
 * index, the first one's in *first_index. Returns 0 (even when not all fit), or EIO. */
int store__spool_append(struct store__spool *sp, struct store__rec *list, size_t *n,
			uint64_t *first_index);
/* Reads up to `max` records from the replay position without consuming them; the
 * list's records have no reply address. *first_index is the first one's spool index.
 * ENOMEM or an I/O errno: nothing handed out, nothing skipped (try again later). */
int store__spool_peek(struct store__spool *sp, size_t max, struct store__rec **list, size_t *n,
		      uint64_t *first_index);
/* Consumes the first n records peeked (they are in the database). Empties the file
 * when everything is consumed. */
int store__spool_consume(struct store__spool *sp, size_t n);
uint64_t store__spool_backlog(const struct store__spool *sp);
uint64_t store__spool_bytes(const struct store__spool *sp);

void store__rec_list_free(struct store__rec *list);

/* ---- the asynchronous store ---------------------------------------------------------- */

#include <pthread.h>

/* A lookup waiting for the reader thread. */
struct store__lookup {
	struct store__lookup *next;
	char tenant[64];
	char phone[64];
	unsigned flags;
	struct mq *reply;
	uint64_t cookie;
};

/* A reply owed for a record in the spool, sent when the replay commits it. */
struct store__owed {
	uint64_t index; /* the record's spool index */
	struct mq *done;
	uint64_t cookie;
	uint8_t kind;
};

struct store {
	char *url;
	struct store_opts opts;
	struct store_db *wdb;	    /* the writer thread's connection */
	struct store_db *rdb;	    /* the reader thread's connection */
	struct store__spool *spool; /* writer thread only */
	pthread_t writer, reader;

	/* `lock` protects the record queue, the counters below it and `stats`. */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the writer: records queued, or stop */
	pthread_cond_t idle; /* store_flush: `handled` moved */
	struct store__rec *head, **tail;
	size_t qlen;
	uint64_t head_ms;  /* when the oldest record queued arrived (monotonic) */
	unsigned flushing; /* store_flush callers waiting: commit at once */
	bool urgent;	   /* a record queued that commits at once (enqueue) */
	bool stop;
	uint64_t accepted; /* records queued so far */
	uint64_t handled;  /* of those, committed, spooled or refused */
	struct store_stats stats;

	/* `rlock` protects the lookup queue. */
	pthread_mutex_t rlock;
	pthread_cond_t rwake;
	struct store__lookup *rhead, **rtail;
	size_t rlen;
	bool rstop;

	/* Writer thread only: replies owed for spooled records, oldest first. */
	struct store__owed *owed;
	size_t nowed, owed_head, owed_cap;
};

/* Batches: one transaction for many records; nested store__tx_* calls join it. */
int store__batch_begin(struct store_db *db);
int store__batch_end(struct store_db *db, bool commit);

/* ---- provisioning ---------------------------------------------------------------------- */

struct cfg_queue;
struct cfg_number;
struct cfg_trunk;
struct cfg_named_node;
struct cfg_skill;
struct cfg_penalty;

/* The JSON bodies of configuration objects as the database keeps them (and the API
 * will show them): the configuration's own field names, durations as "20s". */
void store__body_queue(const struct cfg_queue *q, struct crm_buf *b);
void store__body_number(const struct cfg_number *n, struct crm_buf *b);
void store__body_trunk(const struct cfg_trunk *t, struct crm_buf *b);
void store__body_node(const struct cfg_named_node *n, struct crm_buf *b);
void store__body_code(const char *code, size_t index, struct crm_buf *b);
void store__json_skills(const struct cfg_skill *s, size_t n, struct crm_buf *b);
void store__json_penalties(const struct cfg_penalty *p, size_t n, struct crm_buf *b);
/* "admin,supervisor,agent,qa" for the role bits set, in that order. */
void store__roles_text(unsigned roles, char *buf, size_t size);

/* Pushes a reply to `mq`; counts it in stats.replies_lost when it does not fit. */
void store__reply(struct store *s, struct mq *mq, const struct store_msg *m);
void *store__reader_main(void *arg);
void *store__writer_main(void *arg);

#endif
