/* Internals of the API: connections, sessions, events, routes and the worker pool. */
#ifndef CENTRALA_API_API_INT_H
#define CENTRALA_API_API_INT_H

#include <libwebsockets.h>
#include <pthread.h>

#include "api/api.h"
#include "core/strmap.h"

#define API_PENDING_MAX 4096 /* requests waiting for the engine or a worker (power of 2) */
#define API_PATH_MAX	256
#define API_QUERY_MAX	1024
#define API_WS_IN_MAX	4096 /* a client's message to us */

struct api_session;
struct api_fail;
struct api_tenant;
struct ws_client;

enum api_method { M_GET, M_POST, M_PUT, M_PATCH, M_DELETE, M_OTHER };

/* A reply on its way from the engine or a worker to the service thread. */
struct crec_reader;

struct api_resp {
	uint64_t req;
	int status;
	const char *ctype; /* static string */
	char *body;
	size_t len;
	/* A login that succeeded: the service thread makes the session, then writes it. */
	bool login;
	uint32_t roles;
	char tenant[40], user[48];
	/* A change to make durable before answering (api_reply_persist). */
	bool persist;
	char kind[24], key[64];
	char *store_body; /* NULL: delete */
	/* A file to stream (a recording): the headers in `extra`, then `body` (len bytes)
	 * and file_len bytes of the download `dl` from file_off. Freed with
	 * api__resp_free. */
	bool file;
	struct api_download *dl;
	uint64_t file_off, file_len;
	char *extra;
	/* Run on the service thread when the reply arrives, even when its client has gone
	 * (the API key cache follows the store this way); it owns and frees `arg`. */
	void (*apply)(struct api *a, void *arg);
	void *arg;
	struct api_resp *next;
};

/* An event handed over by api_event, waiting for the service thread. */
/* api_evin.type of a message for a chat visitor (agent: the visitor's token). */
#define API_VISITOR_TYPE "\001visitor"
struct api_evin {
	char tenant[40];
	char type[32];
	char agent[48];
	json_t *data;
	int64_t ts_ms;
	bool direct; /* api_phone_send: to one user's sockets, not an event */
	uint64_t ws; /* direct: the socket's id, 0: all of the user's */
	struct api_evin *next;
};

/* A recording download (recording.c): a WAV header of its own (head_len 0: none),
 * then bytes [skip, skip + len) of each part in order, read from the file or, for a
 * recording encrypted at rest, decrypted. Owned by the response, then the connection. */
struct api_download_part {
	int fd;			    /* -1 when sealed */
	struct crec_reader *sealed; /* an encrypted recording's reader, or NULL */
	uint64_t skip, len;
};
struct api_download {
	unsigned char head[44];
	unsigned head_len;
	unsigned nparts;
	struct api_download_part parts[];
};
void api__download_free(struct api_download *dl);

/* One HTTP connection's request, or one WebSocket (lws per-session data). */
struct api_conn {
	struct api *a;
	struct lws *wsi;
	enum api_method method;
	char path[API_PATH_MAX];
	char query[API_QUERY_MAX];
	char peer[48];
	char *body;
	size_t body_len, body_cap;
	bool body_too_big;
	bool dispatched;       /* this request was routed (lws may still report a body's end) */
	uint64_t req;	       /* pending request id, 0: none */
	uint64_t deadline_ms;  /* for 504 */
	struct api_resp *resp; /* ready to write */
	struct ws_client *ws;
	struct chat_client *chat; /* a web chat visitor's socket (chat_ws.c) */
	/* Who asked (copied from the session when the request was routed). */
	char tenant[40], user[48];
	uint32_t roles;
	/* A file being streamed (recording.c); its buffer is on the heap, so lws may move
	 * this structure meanwhile. */
	bool file_open;
	struct api_download *file_dl;
	uint64_t file_off, file_left;
	unsigned char *file_buf;
};

/* A logged-in user or an API key: the token's hash is the key; the token itself is
 * never stored. */
struct api_session {
	unsigned char hash[32];
	char tenant[40], user[48];
	uint32_t roles;
	int64_t created_ms, used_ms;
	double tokens; /* request rate bucket */
	int64_t bucket_ms;
	unsigned nws;
	bool revoked;		  /* logged out while sockets were open: they close, then it goes */
	bool key;		  /* an API key's (apikey.c owns it; logout leaves it alone) */
	struct ws_client *ws;	  /* its open sockets */
	struct api_session *next; /* hash chain */
};

struct api_msg; /* a serialised event shared by the sockets that send it */

struct api {
	struct api_config c;
	struct lws_context *ctx;
	lws_sorted_usec_list_t tick; /* wakes the service loop for timeouts() */
	struct lws_vhost *vh;
	unsigned port;
	pthread_t thread;
	_Atomic int stop; /* set by api_destroy, read by the service thread */
	/* Inbox: replies and events from other threads. The lock protects the two lists
	 * and nothing else. */
	pthread_mutex_t lock;
	struct api_resp *resp_head, *resp_tail;
	struct api_evin *ev_head, *ev_tail;
	size_t ev_inbox;
	bool woken; /* the service thread was woken and has not drained the inbox since */
	/* Service-thread state. */
	/* By connection, not by per-session data: lws may move that (realloc) while a
	 * request waits; the wsi stays put until the connection closes. */
	struct lws *pending[API_PENDING_MAX];
	/* The audit entry of a pending command (api__engine_audit), by the same slot:
	 * written once the engine answers it with a success, even when its client has gone. */
	struct {
		uint64_t req;
		json_t *note; /* {object, key?, action, detail?} */
	} audits[API_PENDING_MAX];
	uint64_t next_req;
	uint64_t next_ws_id; /* ids of events sockets (events.c) */
	struct api_session **sessions;
	size_t nsessions, sessions_cap;
	struct strmap *tenants; /* id → struct api_tenant */
	struct api_tenant **tenant_list;
	size_t ntenants;
	struct strmap *login_fails; /* "addr" and "tenant\x1fuser" → struct api_fail */
	struct api_fail *fail_list; /* every api_fail, to free them */
	/* Workers. */
	struct api_workers *w;
	struct api_hooks *hooks; /* webhook.c */
	struct api_keys *keys;	 /* apikey.c: service thread only */
	/* Counters, read by other threads (api_stats_get). */
	_Atomic uint64_t n_requests, n_events, n_events_dropped, n_ws_dropped_slow;
	_Atomic unsigned n_ws, n_sessions;
	/* Scratch for responses. */
	unsigned char *out;
	size_t out_cap;
};

/* server.c */
/* Registers `conn` as waiting for request id *out (the engine or a worker answers).
 * 0 or EBUSY when too many are pending. */
int api__pending_add(struct api *a, struct api_conn *conn, uint64_t *out);
/* Frees a response, closing its file if it has one. */
void api__resp_free(struct api_resp *r);
/* Makes a->out (the service thread's scratch for what it writes) hold `need` bytes.
 * 0 or ENOMEM (a->out unchanged). */
int api__out_reserve(struct api *a, size_t need);
/* Queues a ready response for the service thread (any thread). */
void api__post(struct api *a, struct api_resp *r);
/* Sends a JSON reply now (service thread, the connection must be waiting for none). */
void api__respond(struct api_conn *conn, int status, json_t *body);
void api__respond_error(struct api_conn *conn, int status, const char *code, const char *msg,
			const char *field);
void api__respond_text(struct api_conn *conn, int status, const char *ctype, const char *text,
		       size_t len);
/* Sends command `op` to the engine for `conn`; the engine's api_reply answers it. */
void api__engine(struct api_conn *conn, const struct api_session *s, enum api_op op,
		 const char *target, json_t *args);
/* The same with a parsed configuration fragment (struct cfg *), handed to the engine. */
void api__engine_obj(struct api_conn *conn, const struct api_session *s, enum api_op op,
		     const char *target, json_t *args, struct cfg *obj);
/* api__engine for a write the audit log keeps: when the engine answers with a success
 * (2xx), a worker writes the entry (actor api:USER, `object`, `key`, `action`, `detail`:
 * field names and non-secret values, or NULL) before the answer goes out. `key` NULL:
 * the answer's "interaction" (a call the command made). */
void api__engine_audit(struct api_conn *conn, const struct api_session *s, enum api_op op,
		       const char *target, json_t *args, const char *object, const char *key,
		       const char *action, const char *detail);
/* The audit detail of a request body: "fields=a,b" (names only), then " name=value" for
 * each field named in `shown` (NULL-terminated) whose value is a string or a boolean. */
void api__audit_detail(const json_t *b, const char *const *shown, char *out, size_t size);
/* A query parameter's value (URL-decoded) or NULL. */
const char *api__query(const struct api_conn *conn, const char *name, char *buf, size_t size);
json_t *api__error_json(const char *code, const char *msg, const char *field);

/* route.c */
void api__route(struct api_conn *conn);
/* The engine does not hold the interaction of a disposition request: the store has it. */
void api__disposition_stored(struct api_conn *conn);

/* email_api.c: the email channel's conversation routes */
void api__h_email_accept(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_email_reply(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_email_close(struct api_conn *conn, struct api_session *s, const char *target);
/* chat_api.c: the agent's typing and read marks of a chat */
void api__h_chat_typing(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_chat_read(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_chat_transfer(struct api_conn *conn, struct api_session *s, const char *target);

/* json.c: strict request bodies */
/* Parses conn's body as a JSON object. On error responds 400 (with the byte offset)
 * and returns NULL. */
json_t *api__body(struct api_conn *conn);
/* Checks that obj has only `allowed` keys (NULL-terminated); responds 400 with the
 * path of the first unknown one and returns false otherwise. */
bool api__fields(struct api_conn *conn, json_t *obj, const char *const *allowed);
/* A required or optional string field; responds 400 and returns false when wrong. */
bool api__str(struct api_conn *conn, json_t *obj, const char *key, bool required, const char **out);

/* auth.c */
int api__sessions_init(struct api *a);
void api__sessions_free(struct api *a);
/* The session of the request's bearer token (header or ?token=), or NULL. Touches it. */
struct api_session *api__session(struct api *a, struct api_conn *conn);
struct api_session *api__session_token(struct api *a, const char *token);
/* Makes a session; writes the token (43 characters, base64url) to tok. 0 or ENOMEM. */
int api__session_new(struct api *a, const char *tenant, const char *user, uint32_t roles,
		     char tok[64]);
void api__session_drop(struct api *a, struct api_session *s);
/* Rate limit: true when the session may make one more request now. */
bool api__rate_ok(struct api *a, struct api_session *s);
/* Failed logins: blocked now? One more failure; a success clears the user's count. */
bool api__login_blocked(struct api *a, const char *addr, const char *tenant, const char *user);
void api__login_failed(struct api *a, const char *addr, const char *tenant, const char *user);
void api__login_ok(struct api *a, const char *tenant, const char *user);
void api__sessions_expire(struct api *a);

/* events.c */
int api__events_init(struct api *a);
void api__events_free(struct api *a);
void api__event_in(struct api *a, struct api_evin *ev);
/* A WebSocket asks to be opened: 0 to accept (session checked), else refused. */
int api__ws_open(struct api_conn *conn, struct api_session *s);
void api__ws_close(struct api_conn *conn);
/* Closes every socket of session s (logout). */
void api__ws_kill_session(struct api *a, struct api_session *s);
void api__ws_rx(struct api_conn *conn, const void *in, size_t len, bool final);
int api__ws_writable(struct api_conn *conn);

/* chat_ws.c: the web chat's public WebSocket (/api/v1/public/chat?tenant=ID). */
struct chat_client;
struct store_db;
/* A socket asks to be opened: 0 to accept (the tenant takes chats), else refused. */
int api__chat_open(struct api_conn *conn);
void api__chat_established(struct api_conn *conn);
void api__chat_close(struct api_conn *conn);
void api__chat_rx(struct api_conn *conn, const void *in, size_t len, bool final);
int api__chat_writable(struct api_conn *conn);
/* What the engine says to the visitor of `token` (service thread; msg stolen). */
void api__chat_deliver(struct api *a, const char *tenant, const char *token, json_t *msg);

/* worker.c */
enum api_job_kind {
	JOB_LOGIN = 1,
	JOB_INTERACTIONS,
	JOB_INTERACTION,
	JOB_DISPOSITION,
	JOB_AGENT_STATES,
	JOB_AUDIT,
	JOB_CONTACT_GET,
	JOB_CONTACT_FIND,
	JOB_CONTACT_PUT,
	JOB_OBJECT_SAVE, /* resp: the engine's answer, sent once the object is stored */
	JOB_CONTACT_CREATE,
	JOB_CONTACT_DELETE,
	JOB_CONTACT_MERGE,
	JOB_RECORDING,
	JOB_HOLD,	    /* an interaction's legal hold set or lifted */
	JOB_WEBHOOK_CREATE, /* webhook_api.c */
	JOB_WEBHOOK_UPDATE,
	JOB_WEBHOOK_DELETE,
	JOB_WEBHOOK_DELIVERIES,
	JOB_KEY_CREATE, /* apikey.c */
	JOB_KEY_DELETE,
	JOB_LEADS_IMPORT, /* leads_api.c */
	JOB_DNC_IMPORT,
	JOB_LEADS_EXPORT,
	JOB_DNC_LIST,
	JOB_DNC_DELETE,
	JOB_LISTS,
	JOB_CHAT_START,	 /* chat_ws.c: the CRM contact of a new chat, then the engine */
	JOB_AUDIT_WRITE, /* resp: the engine's answer, sent once args (the entry) is written */
};
struct api_job {
	enum api_job_kind kind;
	uint64_t req;
	uint32_t roles;
	char tenant[40], user[48];
	char target[64];
	json_t *args; /* owned by the job */
	struct api_resp *resp;
	struct api_job *next;
};

/* Writes the audit entry of a write j made (actor api:USER, on db, the worker's own);
 * a failure is logged, the request's answer does not wait on it. */
void api__audit(struct store_db *db, const struct api_job *j, const char *object, const char *key,
		const char *action, const char *detail);
int api__workers_start(struct api *a);
void api__workers_stop(struct api *a);
/* Hands job j (copied) to a worker for conn. */
void api__job(struct api_conn *conn, const struct api_job *j);
/* Fills a job of `kind` for the caller of conn (its tenant, user and roles, copied when
 * the request was routed) about `target` (NULL: none) with `args` (stolen, NULL: none). */
void api__job_init(struct api_job *j, const struct api_conn *conn, enum api_job_kind kind,
		   const char *target, json_t *args);
/* chat_ws.c's job: finds the CRM contact of a new chat (db NULL: none), then starts it. */
void api__chat_start_job(struct api *a, struct store_db *db, const struct api_job *j);
/* Hands a job that already has its request id (the request stays pending). */
void api__job_pending(struct api *a, const struct api_job *j);

/* contacts.c: route handlers (service thread) and the jobs (workers) */
/* The configuration the API reads now (api_set_cfg swaps it on a reload). */
#define API_CFG(a) ((const struct cfg *)__atomic_load_n(&(a)->c.cfg, __ATOMIC_ACQUIRE))

/* The names of a session's roles (enum api_role bits), as a JSON array. */
json_t *api__roles_json(uint32_t roles);

/* webcb.c: the public route of web callbacks, and RFC 3339 times ("...T15:30:00+01:00",
 * "...Z"; an offset is required) to epoch milliseconds. */
void api__h_public_callback(struct api_conn *conn, struct api_session *s, const char *target);
/* POST /api/v1/public/sms/{tenant}/{queue}: an HTTP gateway's signed text (sms_api.c). */
void api__h_public_sms(struct api_conn *conn, struct api_session *s, const char *target);
bool api__rfc3339(const char *s, int64_t *out_ms);

/* objects.c: configuration objects written through the API */
struct cfg_tenant;
/* A kind of configuration object written through the API (objects.c): the section of
 * the configuration, its key field, its noun in messages, whether the key is digits,
 * whether it is parsed in the tenant's SIP domain, the file's line of a key (0: not in
 * the file), and the engine's commands. */
struct api_obj_kind {
	const char *section, *key, *noun;
	bool digits;
	bool realm;
	int (*file_line)(const struct cfg_tenant *t, const char *key);
	enum api_op put, del;
	/* Checks of the section's own parser run on the fragment (NULL: none). */
	void (*check)(struct cfg *c);
};
/* POST /{kind} (path_key NULL) and PUT /{kind}/{key}: parsed with the configuration's
 * parser (400 naming the field), refused with 409 when the file owns the key, else
 * applied by the engine, which answers. */
void api__obj_write(struct api_conn *conn, struct api_session *s, const struct api_obj_kind *k,
		    const char *path_key);
void api__obj_delete(struct api_conn *conn, struct api_session *s, const struct api_obj_kind *k,
		     const char *key);
/* Answers 409 owned_by_file naming the file's line when the file lists `key`. */
bool api__owned_by_file(struct api_conn *conn, const struct api_obj_kind *k, const char *key);

/* campaigns.c */
void api__h_campaign_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_campaign_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_campaign_delete(struct api_conn *conn, struct api_session *s, const char *target);

/* trunks.c */
void api__h_trunks(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_trunk_get(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_trunk_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_trunk_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_trunk_delete(struct api_conn *conn, struct api_session *s, const char *target);

/* A key as a path segment can carry it: letters, digits, '-', '_', '.' (digits_only:
 * digits with an optional leading '+'), 1 to 63 characters. */
bool api__key_ok(const char *k, bool digits_only);
void api__h_number_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_number_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_number_delete(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_queue_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_queue_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_queue_delete(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_users(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_codes(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_code_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_code_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_code_delete(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_user_get(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_user_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_user_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_user_delete(struct api_conn *conn, struct api_session *s, const char *target);

void api__h_contacts(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_contact_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_contact_get(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_contact_update(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_contact_delete(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_contact_merge(struct api_conn *conn, struct api_session *s, const char *target);
struct store_db;
void api__contacts_run(struct api *a, struct store_db *db, const struct api_job *j);

/* recording.c */
#define API_REC_SEGMENTS_MAX 64 /* segments of one call served (a call transferred 63 times) */
void api__h_recording(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_recording_segments(struct api_conn *conn, struct api_session *s, const char *target);
void api__recording_run(struct api *a, struct store_db *db, const struct api_job *j);
/* One Range header against a file of `size` bytes: 0 and the range, ENOENT (serve it
 * whole) or ERANGE (416). */
int api__range_parse(const char *h, uint64_t size, uint64_t *first, uint64_t *last);
/* Starts streaming response r (r->file) on conn; then api__file_more on each writable
 * callback while conn->file_open. Non-zero: close the connection. */
int api__file_start(struct api_conn *conn, struct api_resp *r);
int api__file_more(struct api_conn *conn);
void api__file_close(struct api_conn *conn);

struct store_db;

/* webhook.c: the webhooks of every tenant (the file's and the API's) and their delivery
 * thread. A lock inside protects the webhook table and the delivery inbox; the service
 * thread, the workers and the delivery thread each take it briefly, never around I/O. */
/* Loads the file's webhooks, the store's, and the pending deliveries; starts the delivery
 * thread. 0, ENOMEM. A store that cannot be read is logged and read again later. */
int api__webhooks_start(struct api *a);
void api__webhooks_stop(struct api *a);
/* Offers event `text` (the {seq, type, time, data} object) to the tenant's webhooks
 * whose filter takes `type`: each match is queued for the delivery thread. Never blocks
 * on I/O; a full inbox drops the delivery with a log line. */
void api__webhooks_offer(struct api *a, const char *tenant, uint64_t seq, const char *type,
			 const char *text, size_t len);
/* The webhook as JSON without its secret, or NULL when the tenant has none by that id.
 * *from_file tells whether the configuration file defines it. */
json_t *api__webhook_json(struct api *a, const char *tenant, const char *id, bool *from_file);
/* Every webhook of the tenant, without secrets. */
json_t *api__webhooks_json(struct api *a, const char *tenant);
/* Sets (adds or replaces) or removes an API-made webhook in the table; events is a JSON
 * array of strings. 0 or ENOMEM. */
int api__webhook_set(struct api *a, const char *tenant, const char *id, const char *url,
		     json_t *events, const char *secret, int64_t created_ms, int64_t updated_ms);
void api__webhook_remove(struct api *a, const char *tenant, const char *id);
/* Pure parts, unit-tested: the signature header's value ("sha256=" and 64 hex digits)
 * over "TIMESTAMP.BODY"; the pause before attempt `attempts + 1` (1 s doubling, at most
 * 10 min); when the next attempt is due, or false when the delivery is given up (24 h
 * after it was made). */
#define API_WEBHOOK_SIG_SIZE 72
void api__webhook_sign(const char *secret, int64_t ts, const char *body, size_t len,
		       char out[API_WEBHOOK_SIG_SIZE]);
int64_t api__webhook_backoff_ms(unsigned attempts);
bool api__webhook_next(int64_t created_ms, int64_t now_ms, unsigned attempts, int64_t *next_ms);
#define API_WEBHOOK_GIVE_UP_MS (24 * 3600 * 1000LL)

/* webhook_api.c: the /api/v1/webhooks routes. */
void api__h_webhooks(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_webhook_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_webhook_get(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_webhook_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_webhook_delete(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_webhook_deliveries(struct api_conn *conn, struct api_session *s, const char *target);

/* apikey.c: API keys, cached on the service thread (loaded at start, kept in step with
 * the store by the replies of the jobs that change it). */
int api__keys_load(struct api *a);
void api__keys_free(struct api *a);
/* The key session whose hash is h, or NULL (revoked or unknown). */
struct api_session *api__key_find(struct api *a, const unsigned char h[32]);
void api__h_keys(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_key_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_key_delete(struct api_conn *conn, struct api_session *s, const char *target);

/* The jobs of webhook_api.c and apikey.c, run on a worker: false when not theirs. */
bool api__ext_job(struct api *a, struct store_db *db, const struct api_job *j);
bool api__key_job(struct api *a, struct store_db *db, const struct api_job *j);
/* leads_api.c: lead lists and do-not-call numbers as CSV (routes and worker jobs). */
void api__h_list_leads_import(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_list_leads_export(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_dnc_import(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_dnc_list(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_lists(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_dnc_delete(struct api_conn *conn, struct api_session *s, const char *target);
bool api__leads_job(struct api *a, struct store_db *db, const struct api_job *j);

/* flows.c: IVR flows with their versions, and calendars */
void api__h_flows(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_flow_get(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_flow_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_flow_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_flow_delete(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_flow_versions(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_flow_version(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_flow_publish(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_calendars(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_calendar_get(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_calendar_create(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_calendar_put(struct api_conn *conn, struct api_session *s, const char *target);
void api__h_calendar_delete(struct api_conn *conn, struct api_session *s, const char *target);

/* openapi.c */
const char *api__openapi(size_t *len);

#endif
