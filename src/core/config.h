/*
 * The daemon's configuration (DESIGN.md contract 3 and 4), parsed from YAML into plain
 * structs. Sections owned by other modules that need their own language (IVR flows,
 * business-hours calendars) are kept as libfyaml nodes, which stay valid while the
 * config lives; those modules parse them with the core/yaml.h helpers.
 *
 * Secrets: user passwords are kept only until the store hashes them (Argon2id); SIP
 * passwords are turned into HA1 digests at load and the plaintext is wiped.
 */
#ifndef CENTRALA_CORE_CONFIG_H
#define CENTRALA_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/yaml.h"

enum cfg_proto { CFG_PROTO_UDP, CFG_PROTO_TCP, CFG_PROTO_TLS };

/* Whether a leg's media is encrypted (SRTP with SDES keys, RFC 4568): `required` refuses
 * plain RTP (488) and offers RTP/SAVP; `optional` (the default) answers RTP/SAVP offers
 * with keys and plain offers in the clear, and offers plain RTP; `off` answers and
 * offers plain RTP only (an RTP/SAVP-only offer gets 488). */
enum cfg_srtp { CFG_SRTP_DEFAULT, CFG_SRTP_OFF, CFG_SRTP_OPTIONAL, CFG_SRTP_REQUIRED };

#define CFG_REC_KEY_BYTES 32

struct cfg_listen {
	enum cfg_proto proto;
	char host[64];
	uint16_t port;
};

enum cfg_role {
	CFG_ROLE_AGENT = 1 << 0,
	CFG_ROLE_SUPERVISOR = 1 << 1,
	CFG_ROLE_ADMIN = 1 << 2,
	CFG_ROLE_QA = 1 << 3,
};

struct cfg_skill {
	char *name;
	int level; /* proficiency 1..10 */
};

struct cfg_penalty {
	char *queue;
	int penalty; /* 0 = first tier */
};

struct cfg_user {
	char *username;
	char *name;
	char *password; /* plaintext until hashed by the store; may be NULL */
	unsigned roles; /* enum cfg_role bits */
	char *sip_user; /* NULL: the user has no phone */
	char ha1_md5[33];
	char ha1_sha256[65];
	struct cfg_skill *skills;
	size_t nskills;
	struct cfg_penalty *queues; /* per-queue penalty/order */
	size_t nqueues;
	bool auto_ready;
	char *language;
	int line, col;
};

/* Where a contact goes when a queue overflows, is closed, or a number points. */
enum cfg_target_kind {
	CFG_TARGET_NONE,
	CFG_TARGET_QUEUE,
	CFG_TARGET_USER,
	CFG_TARGET_NUMBER, /* an outside number through a trunk */
	CFG_TARGET_FLOW,
	CFG_TARGET_MESSAGE, /* play a message, then hang up */
	CFG_TARGET_HANGUP,
};

struct cfg_target {
	enum cfg_target_kind kind;
	char *value; /* queue id, username, number, flow name, prompt/TTS text */
	char *trunk; /* for CFG_TARGET_NUMBER; NULL = the tenant's first trunk */
};

struct cfg_relax {
	uint64_t after_ms;
	int min_level;	 /* 0: unchanged */
	int max_penalty; /* agents up to this penalty may take it; -1: unchanged */
	char *add_queue; /* NULL: none */
};

/* A mailbox of the email channel (`email:` of a queue; the tenant's holds defaults).
 * After loading, a queue's is complete: every string but signature is set. */
struct cfg_email {
	char *imap;	  /* imap[s]://host[:port]/MAILBOX */
	char *smtp;	  /* smtp[s]://host[:port] */
	char *username;	  /* for both servers */
	char *password;	  /* for both servers; never logged */
	char *from;	  /* "Name <addr>" or "addr": the sender of replies */
	char *signature;  /* appended to agents' replies, NULL: none */
	uint64_t poll_ms; /* default 30s */
	int acknowledge;  /* 1: a new conversation gets an acknowledgement (default) */
	int line, col;
};

/* The SMS channel (`sms:` of a queue: its number; the tenant's holds the connection
 * to the operator, config_sms.c). After loading, a queue's is complete for its gateway. */
struct cfg_sms {
	char *number;	 /* the number (or short code) customers write to; replies' sender */
	char *gateway;	 /* "smpp" or "http" */
	char *smpp_host; /* from smpp: smpp://HOST:PORT */
	int smpp_port;
	char *system_id;	   /* SMPP bind */
	char *password;		   /* SMPP bind; never logged */
	char *system_type;	   /* SMPP bind, NULL: empty */
	char *url;		   /* http: the provider's send endpoint */
	char *secret;		   /* http: HMAC-SHA256 key of the webhook (and of what is sent) */
	char *token;		   /* http: Authorization: Bearer for the provider, NULL: none */
	uint64_t enquire_ms;	   /* default 30s */
	uint64_t reconnect_max_ms; /* back-off ceiling, default 1m */
	int receipts;		   /* 1: ask for delivery receipts (default) */
	/* opt_out: the tenant's (a queue's inherits it whole unless it has its own). */
	char **stop_words; /* NULL: sms_keywords_stop_default */
	size_t nstop_words;
	char **start_words; /* NULL: sms_keywords_start_default */
	size_t nstart_words;
	int opt_out_dialer;		/* 1: a STOP also goes on the tenant's do-not-call list for
					 * campaigns; -1 unset, default 0 */
	int opt_out;			/* 0: keywords are ordinary texts; -1 unset, default 1 */
	char *reply_stop, *reply_start; /* the confirmation, NULL: the tenant's language's */
	int line, col;
};

/* Whether two queues' settings of the channel say the same (both NULL included): what a
 * reload compares to leave a running mailbox or SMPP session alone. */
bool cfg_email_same(const struct cfg_email *a, const struct cfg_email *b);
bool cfg_sms_same(const struct cfg_sms *a, const struct cfg_sms *b);

struct cfg_queue {
	char *id;
	char *name;
	char *strategy;	  /* validated against the ACD's strategy table by the engine */
	char *sl_formula; /* service-level formula name, NULL: the ACD's default */
	struct cfg_skill *skills;
	size_t nskills;
	uint64_t ring_timeout_ms;  /* default 15s */
	uint64_t wrap_up_ms;	   /* default 0 */
	uint64_t max_wait_ms;	   /* 0: no limit */
	uint64_t service_level_ms; /* default 20s */
	long service_level_target; /* percent, default 80 */
	uint64_t short_abandon_ms; /* default 5s */
	uint64_t sticky_ms;	   /* preferred agent window, 0: off */
	long max_len;		   /* 0: no limit */
	long priority;		   /* default contact priority 0..100 */
	long max_no_answer;	   /* missed offers before not_ready, default 3 */
	struct cfg_relax *relax;
	size_t nrelax;
	struct cfg_target overflow; /* on max_wait, max_len and closed */
	char *hours;		    /* calendar name in tenant.calendars, NULL: always open */
	char *moh;		    /* music on hold file, NULL: built-in */
	uint64_t announce_every_ms; /* 0: no announcements */
	bool announce_position;
	bool announce_ewt;
	char *callback_digit;	 /* digit that leaves a callback (virtual hold), NULL: off */
	struct cfg_email *email; /* the queue's mailbox, NULL: no email channel */
	struct cfg_sms *sms;	 /* the queue's number for texts, NULL: no SMS channel */
	int line, col;
};

/* An operator of the service (top-level `operators`): logs in to the API without a
 * tenant and names the tenant of each request. */
struct cfg_operator {
	char *username;
	char *name;
	char *password_hash; /* Argon2id, "$argon2id$..." */
	int line, col;
};

struct cfg_number {
	char *number;
	struct cfg_target target; /* QUEUE, USER or FLOW */
	long priority;		  /* -1: the queue's default */
	int line, col;
};

struct cfg_trunk {
	char *id;
	char *uri;	/* "sip:host:port" */
	char *username; /* NULL: no authentication */
	char *password; /* kept: needed to answer the trunk's challenge; never logged */
	char *caller_id;
	/* Addresses ("192.0.2.1", "192.0.2.0/24", "2001:db8::/32") the carrier sends from.
	 * Calls from them may assert the caller's number (P-Asserted-Identity, else From);
	 * when any trunk of a tenant has some, the tenant's numbers take calls only from
	 * them (and from authenticated phones). None: the host of `uri` when it is an
	 * address, and no restriction. */
	char **inbound_from;
	size_t ninbound_from;
	enum cfg_srtp srtp; /* CFG_SRTP_DEFAULT: the tenant's */
	/* `register: true`: the server registers with the carrier at `uri` (username and
	 * password answer its challenge) and keeps the registration fresh;
	 * `register_expires` asks for that many seconds (0: 3600). */
	bool register_;
	long register_expires_s;
	int line, col;
};

/* A destination prefix and the trunk that carries it (longest prefix wins). */
struct cfg_route {
	char *prefix;
	char *trunk;
};

/*
 * A tenant's outbound rules (toll fraud). Prefixes are written in E.164 with "+"
 * ("+48", "+44 9" is not allowed: digits only) and compared with the destination
 * normalised to E.164 by the tenant's country; a destination that does not normalise is
 * compared digit for digit.
 */
struct cfg_outbound {
	char **allow; /* allowed prefixes; none: every destination not blocked */
	size_t nallow;
	char **block; /* blocked prefixes, on top of the defaults */
	size_t nblock;
	bool block_defaults; /* premium-rate and satellite ranges (default true) */
	char *trunk;	     /* the trunk for calls that name none; NULL: the first */
	struct cfg_route *routes;
	size_t nroutes;
	long max_concurrent; /* calls with an outside leg at once, 0: no cap */
	long per_hour;	     /* the tenant's outside calls per hour, 0: no cap */
	long per_user_hour;  /* a phone user's outside calls per hour, 0: no cap */
	char *hours;	     /* calendar: when agents' phones may dial out; NULL: always */
	int line, col;
};

/*
 * A tenant's web callbacks (`web_callback:`): a visitor of the company's website leaves a
 * number and a time through the public route (docs/channels.md, "Web callback"); the
 * callback enters `queues` at that time, the agent is rung first, then the customer.
 * Absent: the tenant takes none.
 */
struct cfg_web_callback {
	bool enabled;
	char **queues; /* the queues a visitor may choose; none: every queue of the tenant */
	size_t nqueues;
	long per_address_hour; /* requests an address may make in an hour (default 5) */
	long per_number_day;   /* callbacks one number may ask for in a day (default 3) */
	long days_ahead;       /* how far ahead a time may be chosen (default 7 days) */
	int line, col;
};

/*
 * A tenant's web chat (`chat:`): visitors of the company's website write to `queues`
 * through the public WebSocket (docs/channels.md, "Web chat"). Absent: no chats.
 */
struct cfg_chat {
	bool enabled;
	char **queues; /* the queues a visitor may choose; none: every queue of the tenant */
	size_t nqueues;
	long max_message;	   /* bytes of one message (default 2000) */
	long per_second;	   /* messages a visitor may send per second (default 5) */
	long sessions_per_address; /* chats open at once from one address (default 3) */
	uint64_t resume_ms;	   /* a chat whose visitor went away waits this long (2m) */
	char **canned;		   /* answers an agent may pick, in order (each <= max_message) */
	size_t ncanned;
	int line, col;
};

/* Media an agent handles, in the ACD's order (voice, chat, email, sms, callback). */
#define CFG_CHANNELS 5
extern const char *const cfg_channel_names[CFG_CHANNELS];

/* A tenant's rule for one channel: how many contacts an agent takes at once, and which
 * channels take no new contact while the agent holds one here. */
struct cfg_channel {
	long capacity;	 /* -1: the ACD's default */
	bool has_blocks; /* false: the ACD's default blocking */
	unsigned blocks; /* bit i: cfg_channel_names[i] */
};

struct cfg_named_node {
	char *name;
	struct fy_node *node; /* owned by the config's document */
	char path[128];	      /* "tenants[0].flows.main" */
};

/* A webhook of the file: every event of the tenant whose type is in `events` ("*": all)
 * is POSTed to `url`, signed with `secret` (kept: it signs every delivery; never
 * logged). */
struct cfg_webhook {
	char *id;
	char *url;
	char **events;
	size_t nevents;
	char *secret;
	int line, col;
};

/* The event types a webhook may ask for (NULL-terminated), and "*" for all. */
extern const char *const cfg_webhook_events[];
bool cfg_webhook_event_known(const char *type);
/* Checks a webhook's id ("use letters, digits, - and _", 1..63 bytes), URL (http or https
 * with a host) and secret (16..256 bytes). Returns NULL when valid, else what is wrong. */
const char *cfg_webhook_id_error(const char *id);
const char *cfg_webhook_url_error(const char *url);
const char *cfg_webhook_secret_error(const char *secret);
/* Why a webhook may not go to `url` when http.webhooks.allow_private is off: its host is
 * written as a loopback, link-local, private, shared, multicast or reserved address (in
 * any of the forms resolvers accept), or is "localhost"; NULL otherwise, names included
 * (those are judged by what they resolve to, cfg_addr_private, at each delivery). */
const char *cfg_webhook_target_error(const char *url);
struct sockaddr;
/* Whether address sa is one of those (IPv4 inside IPv6 judged as IPv4; a family other
 * than IPv4 and IPv6 counts as private). */
bool cfg_addr_private(const struct sockaddr *sa);

struct cfg_tenant {
	char *id;
	char *name;
	char *domain; /* SIP domain and digest realm; defaults to id */
	char *timezone;
	char *language;
	char *country; /* default country for E.164 normalisation, ISO 3166 alpha-2 */
	struct cfg_user *users;
	size_t nusers;
	struct cfg_queue *queues;
	size_t nqueues;
	struct cfg_number *numbers;
	size_t nnumbers;
	struct cfg_trunk *trunks;
	size_t ntrunks;
	struct cfg_named_node *flows;
	size_t nflows;
	struct cfg_named_node *calendars;
	size_t ncalendars;
	char **reason_codes; /* not_ready reasons, in order: a feature code digit is index+1 */
	size_t nreason_codes;
	char **dispositions;
	size_t ndispositions;
	struct cfg_webhook *webhooks;
	struct cfg_email *email; /* defaults for the queues' mailboxes, NULL: none */
	struct cfg_sms *sms;	 /* the operator connection for the queues' numbers, NULL */
	size_t nwebhooks;
	bool prune;
	bool record;	      /* record calls (default true) */
	bool create_contacts; /* an inbound caller with no CRM contact gets one (default true) */
	bool browser_phone;   /* agents may use the web desktop as their phone (default true) */
	/* Retention: recordings, and interaction bodies, of interactions
	 * created longer ago than this are deleted by the store's retention job unless
	 * the interaction is on legal hold (bodies: notes, written channels' texts and
	 * attachments, web callbacks' numbers; store/retention.c). 0: kept for ever. */
	uint64_t retain_recordings_ms;
	uint64_t retain_bodies_ms;
	struct cfg_channel channels[CFG_CHANNELS];
	struct cfg_outbound outbound;
	struct cfg_web_callback web_callback;
	struct cfg_chat chat;
	enum cfg_srtp srtp; /* never CFG_SRTP_DEFAULT after loading (optional) */
	/* Recordings encrypted at rest (libsodium secretstream) with this key when
	 * rec_encrypt; the key is wiped when the config is freed and never logged. */
	bool rec_encrypt;
	unsigned char rec_key[CFG_REC_KEY_BYTES];
	/* `campaigns:` (DESIGN.md contract 8), owned by the config's document and parsed
	 * by src/dialer (dialer_campaigns_parse) when the engine checks the config. */
	struct fy_node *campaigns;
	int line, col;
};

struct cfg {
	struct cy *cy; /* the parsed document; owns flow/calendar nodes */
	struct cfg_listen *sip_listen;
	size_t nsip_listen;
	char *sip_user_agent;
	long auth_fail_limit;	/* failed authentications before an address is blocked */
	uint64_t auth_block_ms; /* how long it stays blocked */
	uint64_t nonce_ttl_ms;
	/* SIP over TLS (a `tls:` listener): PEM certificate (chain), its key, and the CA
	 * bundle offered to clients (NULL: the certificate file). */
	char *sip_tls_cert, *sip_tls_key, *sip_tls_ca;
	char rtp_address[64];
	uint16_t rtp_port_min, rtp_port_max;
	long media_workers;
	char rtp_io[8];		  /* "auto" (also when empty), "uring" or "epoll" */
	char rtp_kernel_relay[8]; /* "auto" (also when empty), "on" or "off" */
	char http_listen[80];
	char *http_static;		    /* the web UI's files, NULL: none */
	char *http_tls_cert, *http_tls_key; /* HTTPS when both are set */
	struct cfg_http_limits {	    /* 0: the API's default */
		long body_max, ws_max, ws_per_token, ws_queue_max, rate_per_s, login_fail_max;
		long header_max, event_ring;
		uint64_t session_idle_ms, session_max_ms, login_block_ms, request_timeout_ms;
		uint64_t idle_timeout_ms;
	} http_limits;
	struct cfg_http_webhooks {	     /* config_webhook.c; 0: the API's default */
		bool allow_private;	     /* targets on loopback and private networks */
		long per_target, per_tenant; /* deliveries in flight to one webhook, one tenant */
	} http_webhooks;
	char *store;
	char *recordings;
	char *prompts;	 /* prompt directory, default "prompts" */
	char *tts_cache; /* default "var/tts" */
	char *log_level;
	char *log_format; /* "kv" (key=value lines, default) or "json" (one object a line) */
	/* After SIGTERM, how long calls in progress may go on (new ones get 503). */
	uint64_t shutdown_grace_ms;
	bool shutdown_grace_set; /* written in the file (0s: no drain) */
	struct cfg_tenant *tenants;
	size_t ntenants;
	struct cfg_operator *operators; /* the service's operators: every tenant, by the API */
	size_t noperators;
};

/*
 * Loads and validates `path`. Always returns a config object in *out when memory allows
 * (0 returned); the caller checks cfg_error_count() and prints cfg_error_at(). Checks
 * owned by other modules (flows, calendars, strategy names) are added by the engine's
 * provisioning step through cfg->cy.
 */
int cfg_load(const char *path, struct cfg **out);
int cfg_load_string(const char *name, const char *text, struct cfg **out);
/* Parses one object written as JSON (the API's request body, with the provisioning
 * field names) as item 0 of `section` ("numbers", "queues", ...) of tenant `tenant`:
 * the same checks and messages as the file, but references to other objects are left
 * to the caller. Errors' paths start "tenants[0].SECTION[0]". Returns 0 or ENOMEM. */
int cfg_load_fragment(const char *tenant, const char *section, const char *json, struct cfg **out);
/* The same in a tenant whose SIP domain (digest realm) is `domain`: users' HA1s are
 * computed with it. In a fragment a user's sip.password may be left out. */
int cfg_load_fragment_in(const char *tenant, const char *domain, const char *section,
			 const char *json, struct cfg **out);
void cfg_free(struct cfg *c);
size_t cfg_error_count(const struct cfg *c);
const char *cfg_error_at(const struct cfg *c, size_t i);

const struct cfg_tenant *cfg_tenant_find(const struct cfg *c, const char *id);
const struct cfg_operator *cfg_operator_find(const struct cfg *c, const char *username);
const struct cfg_queue *cfg_queue_find(const struct cfg_tenant *t, const char *id);
/* Whether a visitor may chat with queue `queue` of t (its `chat:` lists it, or lists
 * none and the queue exists). */
bool cfg_chat_queue(const struct cfg_tenant *t, const char *queue);
const struct cfg_user *cfg_user_find(const struct cfg_tenant *t, const char *username);
const struct cfg_named_node *cfg_flow_find(const struct cfg_tenant *t, const char *name);
const struct cfg_named_node *cfg_calendar_find(const struct cfg_tenant *t, const char *name);
const struct cfg_trunk *cfg_trunk_find(const struct cfg_tenant *t, const char *id);

/* Computes a digest HA1 ("user:realm:password" hashed, lower-case hex) with MD5 (33-byte
 * buffer) or SHA-256 (65-byte buffer). */
/* Reads a recording key file (64 hexadecimal digits, as `centrala recording keygen`
 * writes). Returns 0, EINVAL for another content, or the errno of opening it. */
int cfg_rec_key_read(const char *path, unsigned char key[CFG_REC_KEY_BYTES]);

void cfg_ha1_md5(const char *user, const char *realm, const char *pass, char out[33]);
void cfg_ha1_sha256(const char *user, const char *realm, const char *pass, char out[65]);

#endif
