/*
 * The HTTP API: REST under /api/v1, the events WebSocket /api/v1/events, /metrics,
 * /healthz, /api/v1/openapi.json and the web UI's static files, all on one
 * libwebsockets context served by a thread of its own (DESIGN.md contracts 5 to 7).
 *
 * Threading. The API thread never touches engine state. Live reads and commands go to
 * the engine as `struct api_cmd` messages on the engine's queue (api_config.cmds); the
 * engine answers each exactly once with api_reply() or api_reply_text(), from its own
 * thread, without waiting on anything. History reads, writes of records and password
 * checks run on the API's worker threads, each with its own store connection, so
 * neither a slow query nor Argon2id ever holds up the service thread or a call.
 *
 * Events. The engine hands events over with api_event(); the API numbers them per
 * tenant, keeps the last API_EVENT_RING of each tenant for clients that reconnect with
 * `?since=N`, and writes them to the sockets subscribed to their topics. A socket whose
 * unsent events exceed its limit is closed (the client resyncs): memory never grows with
 * a slow reader.
 *
 * Memory. The API owns its sessions, sockets, rings and worker connections. A command's
 * `args` is owned by the engine once popped (json_decref it); a reply's or event's JSON
 * is owned by the API once passed, whatever the return value.
 *
 * Errors: functions return 0 or a positive errno value, as everywhere.
 */
#ifndef CENTRALA_API_API_H
#define CENTRALA_API_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct mq;

#define API_EVENT_RING 4096 /* events kept per tenant for ?since=N */

/* Roles a session holds (bits, the same values as enum cfg_role). */
enum api_role {
	API_ROLE_AGENT = 1 << 0,
	API_ROLE_SUPERVISOR = 1 << 1,
	API_ROLE_ADMIN = 1 << 2,
	API_ROLE_QA = 1 << 3,
	/* An operator of the service (the file's `operators`): admin, supervisor and qa in
	 * the tenant each request names (?tenant=). */
	API_ROLE_OPERATOR = 1 << 4,
};

/* What the engine is asked to do. Arguments are in api_cmd.args (a JSON object). */
enum api_op {
	API_OP_AGENT_GET = 1,	 /* the caller's agent: state, reason, since, call, figures */
	API_OP_AGENT_STATE,	 /* args {state, reason?}; target: the user to change */
	API_OP_AGENT_WRAPUP_END, /* ends the target's wrap-up */
	API_OP_AGENTS_LIST,	 /* every agent of the tenant with state and current call */
	API_OP_DIRECTORY,	 /* transfer targets: users with presence, queues, numbers */
	API_OP_QUEUES_LIST,	 /* every queue with today's counters and live figures */
	API_OP_QUEUE_GET,	 /* target: the queue's id */
	API_OP_CALLS_LIST,	 /* calls in progress (supervisor) */
	API_OP_DISPOSITION,	 /* target: interaction id; args {code, notes?, callback?} */
	API_OP_CALL_HANGUP,	 /* target: interaction id */
	API_OP_CALL_DIAL,	 /* click-to-dial for the caller; args {number} */
	API_OP_CALL_TRANSFER,	 /* target: interaction id; args {user | queue | flow | number} */
	API_OP_CALL_CONTROL,	 /* target: interaction id; args {action, ...} (see route.c) */
	API_OP_AGENT_QUEUES,	 /* target: the agent; args {queue, member} or NULL to list */
	API_OP_NUMBERS_LIST,	 /* the tenant's numbers, the file's and the API's */
	API_OP_NUMBER_PUT,    /* obj: a struct cfg fragment (tenants[0].numbers[0]); args {body} */
	API_OP_NUMBER_DELETE, /* target: the number */
	API_OP_QUEUE_PUT,     /* obj: a struct cfg fragment (tenants[0].queues[0]); args {body} */
	API_OP_QUEUE_DELETE,  /* target: the queue's id */
	API_OP_USERS_LIST,    /* the tenant's users, the file's and the API's (no secrets) */
	API_OP_USER_GET,      /* target: the username */
	API_OP_USER_PUT,      /* obj: a struct cfg fragment (tenants[0].users[0]); args {body} */
	API_OP_USER_DELETE,   /* target: the username */
	API_OP_CODES_LIST,    /* args {kind: "reason_codes" | "dispositions"} */
	API_OP_CODE_PUT,      /* target: the code; args {kind, body} */
	API_OP_CODE_DELETE,   /* target: the code; args {kind} */
	API_OP_METRICS,	      /* the Prometheus text of every tenant */
	API_OP_RELOAD,	      /* not from the API: SIGHUP's checked file (obj, a struct cfg) */
	/* Trunks (engine/trunks_cmd.c): the file's and the API's, never a password. */
	API_OP_TRUNKS_LIST,
	API_OP_TRUNK_GET,    /* target: the trunk's id */
	API_OP_TRUNK_PUT,    /* obj: a struct cfg fragment (tenants[0].trunks[0]); args {body} */
	API_OP_TRUNK_DELETE, /* target: the trunk's id */
	/* Flows and calendars (engine/flows_api.c); target: the flow's name or calendar's id. */
	API_OP_FLOWS_LIST,
	API_OP_FLOW_GET,
	API_OP_FLOW_VERSIONS,
	API_OP_FLOW_VERSION_GET, /* args {version} */
	API_OP_FLOW_PUT,	 /* args {body (compact JSON), create, publish} */
	API_OP_FLOW_DELETE,
	API_OP_FLOW_PUBLISH, /* args {version} */
	API_OP_CALENDARS_LIST,
	API_OP_CALENDAR_GET,
	API_OP_CALENDAR_PUT, /* args {body (compact JSON), create} */
	API_OP_CALENDAR_DELETE,
	API_OP_FLOWS_READY,	 /* not from the API: a generation of flows is rendered */
	API_OP_CAMPAIGNS_LIST,	 /* the tenant's campaigns with live figures */
	API_OP_CAMPAIGN_GET,	 /* target: the campaign's id */
	API_OP_CAMPAIGN_CONTROL, /* target: the campaign's id; args {action: start|pause|stop} */
	API_OP_CAMPAIGN_PREVIEW, /* target: the campaign's id; args {action: next|dial|skip} */
	API_OP_EMAIL_ACCEPT,	 /* target: interaction id; the caller takes the offered email */
	API_OP_EMAIL_REPLY,	 /* target: interaction id; args {body, quote?, attachments?} */
	API_OP_EMAIL_CLOSE,	 /* target: interaction id; frees the agent's capacity */
	API_OP_WEB_CALLBACK,	 /* the public route: args {queue, number, name?, language?,
				    due_ms, peer}; no user, no roles */
	/* The caller's browser phone (engine/phone.c): args {action, sdp?}; action "offer"
	 * (sdp: the browser's offer), "accept", "reject", "hangup", "hold", "resume",
	 * "close". From the events WebSocket (req 0: no reply; target: the socket's id, to
	 * which api_phone_send answers) or from REST (req set: answered with api_reply). */
	API_OP_PHONE,
	API_OP_CAMPAIGN_PUT,	/* obj: a struct cfg fragment (tenants[0].campaigns[0]); args
				   {body} */
	API_OP_CAMPAIGN_DELETE, /* target: the campaign's id */
	/* Not from a client (no reply): leads were added to list `target`, or numbers to a
	 * do-not-call list (args {dnc: true, campaign?, phones?: up to 1,000 of them});
	 * running campaigns read them. Or a
	 * number left a do-not-call list (args {dnc_removed: PHONE, campaign?}). */
	API_OP_LEADS_ADDED,
	API_OP_CAMPAIGN_CALLBACK, /* target: the campaign's id; args {list, lead, at, agent?} */
	API_OP_SMS_WEBHOOK,	  /* the public route; target: the queue; args {raw, signature} */
	API_OP_CHAT_VISITOR,	  /* the public chat socket (chat_ws.c): target the visitor's token;
				     args {kind: start|resume|message|typing|read|close|gone, ...};
				     no user, no roles, no reply: answers are api_visitor_event() */
	API_OP_CHAT_TYPING,	  /* target: interaction id; args {on} (the agent is typing) */
	API_OP_CHAT_READ,     /* target: interaction id; args {seq} (the agent read up to seq) */
	API_OP_CHAT_TRANSFER, /* target: interaction id; args {queue}: queued there with its
				 history, the agent's capacity freed */
};

/* One command, copied through the engine's message queue (it fits MQ_MSG_MAX). */
struct api_cmd {
	uint64_t req;	 /* to pass back to api_reply */
	uint32_t op;	 /* enum api_op */
	uint32_t roles;	 /* the caller's roles (enum api_role bits) */
	char tenant[40]; /* the caller's tenant */
	char user[48];	 /* the caller's username ("" for an API key) */
	char target[64]; /* the object the command is about (see enum api_op) */
	json_t *args;	 /* owned by the receiver; NULL when none */
	void *obj;	 /* a parsed object (enum api_op says what), owned by the receiver */
};

struct api_config {
	const char *listen;   /* "127.0.0.1:8080" */
	const char *tls_cert; /* PEM files: HTTPS when both are set */
	const char *tls_key;
	const char *static_dir; /* the web UI's files, NULL: none */
	const char *store_url;	/* for the workers' own connections */
	const struct cfg *cfg;	/* users and roles; read-only, outlives the API */
	struct mq *cmds;	/* the engine's command queue */
	unsigned workers;	/* store worker threads; 0: 2 */
	/* Limits; 0 takes the default in brackets. */
	size_t max_body;	 /* request body bytes [1 MiB] */
	unsigned idle_timeout_s; /* an idle connection is closed [60] */
	unsigned header_max;	 /* request header bytes [8192] */
	unsigned event_ring;	 /* events kept per tenant for ?since=N [API_EVENT_RING] */
	unsigned req_timeout_ms; /* an unanswered command gets 504 [5000] */
	unsigned ws_max;	 /* WebSocket clients in all [20000] */
	unsigned ws_per_token;	 /* WebSocket clients per token [8] */
	unsigned ws_queue_max;	 /* unsent events per socket before it is dropped [1024] */
	unsigned rate_per_s;	 /* requests per second per token (burst: 4x) [1000] */
	unsigned session_idle_s; /* a token unused this long expires [8 h] */
	unsigned session_max_s;	 /* a token expires this long after login [24 h] */
	unsigned login_fail_max; /* failed logins per user before a block [5]; 4x per address */
	unsigned login_block_s;	 /* how long the block lasts [300] */
	unsigned argon_opslimit; /* for tests; 0: the store's default */
};

struct api;

/* Binds the listener (exactly the address asked for) and starts the service and worker
 * threads. Returns 0, EINVAL (bad listen address or TLS files), EADDRINUSE, ENOMEM. */
int api_create(const struct api_config *c, struct api **out);
/* Closes every connection, stops the threads and frees everything. */
void api_destroy(struct api *a);
/* The configuration the API reads (users, roles, what the file owns) from now on: a
 * reload's. The one before stays valid: its owner frees it after api_destroy. */
void api_set_cfg(struct api *a, const struct cfg *cfg);
/* The port actually bound (tests that ask for port 0). */
unsigned api_port(const struct api *a);

/* The engine's answer to command `req`: an HTTP status and a JSON body (stolen; NULL:
 * no body). Thread-safe. A request whose client has gone is dropped quietly. Status
 * API_NOT_LIVE answers API_OP_DISPOSITION for a call the engine no longer holds: the
 * API then updates the stored interaction. */
#define API_NOT_LIVE 0
void api_reply(struct api *a, uint64_t req, int status, json_t *body);
/* The same with a text body (copied) and its content type. */
void api_reply_text(struct api *a, uint64_t req, int status, const char *ctype, const char *text,
		    size_t len);
/* A success to be made durable first: the API writes the object of `kind` under `key`
 * to the store as made through the API (`store_body` its JSON; NULL: deleted), with an
 * audit entry naming m's user in m's tenant, and only then answers m's request with
 * `status` and `body` (or 503 when the store refuses; the engine's change then stays
 * until restart, and the log says so). The change is live already, so it is stored even
 * when the client has gone (timed out or closed). */
void api_reply_persist(struct api *a, const struct api_cmd *m, int status, json_t *body,
		       const char *kind, const char *key, const char *store_body);
/* A reloaded file's webhooks: the file's added, changed or removed (an API webhook
 * whose id the file now lists becomes the file's). Thread-safe; no I/O. */
void api_webhooks_reload(struct api *a, const struct cfg *cfg);
/* An error reply in the API's error shape ({error: {code, message}}). */
void api_reply_error(struct api *a, uint64_t req, int status, const char *code,
		     const char *message);

/*
 * Publishes event `type` ("agent.state", "contact.offered", ...) of `tenant` with its
 * `data` (stolen). `agent` names the agent it concerns (for the `agent.me` topic) or is
 * NULL. Thread-safe, never blocks: when the API's inbox is full the event is dropped and
 * counted. Returns 0 or ENOBUFS.
 */
int api_event(struct api *a, const char *tenant, const char *type, const char *agent, json_t *data);
/*
 * Sends `msg` (stolen) to the web chat visitor whose token is `token` in `tenant`
 * (chat_ws.c): to its open socket, or nowhere when the visitor is away (the chat's
 * history is sent again when the visitor comes back). Not numbered, not kept, never on
 * the events WebSocket nor to webhooks. Thread-safe; 0 or ENOBUFS.
 */
int api_visitor_event(struct api *a, const char *tenant, const char *token, json_t *msg);

/*
 * Sends the message {type, data} (data stolen) to the events socket `ws` of `user` in
 * `tenant` (the socket's id from API_OP_PHONE's target; 0: every socket of the user
 * subscribed to agent.me), not numbered, kept or sent to webhooks: the browser phone's
 * signalling. Thread-safe; a socket that has gone is skipped. 0 or ENOBUFS.
 */
int api_phone_send(struct api *a, const char *tenant, const char *user, uint64_t ws,
		   const char *type, json_t *data);

/* Counters for /metrics, read from any thread. */
struct api_stats {
	uint64_t requests, events, events_dropped, ws_dropped_slow;
	unsigned ws_clients, sessions;
};
void api_stats(struct api *a, struct api_stats *out);
/* The events WebSockets open for one tenant (any thread; 0 for NULL or none). */
unsigned api_ws_clients_of(struct api *a, const char *tenant);
/* The webhook figures in Prometheus text (HELP and TYPE lines included): per tenant,
 * deliveries by outcome, deliveries not finished and attempts in flight. Any thread;
 * the caller frees the text. NULL when out of memory. */
char *api_webhook_metrics(struct api *a);

#endif
