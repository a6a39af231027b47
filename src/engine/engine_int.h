/* Internals of the engine: runtime tenants, users, calls, and the files that use them. */
#ifndef CENTRALA_ENGINE_INT_H
#define CENTRALA_ENGINE_INT_H

#define SU_ROOT_MAGIC_T void

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

#include "core/config.h"
#include "core/hindex.h"
#include "core/mq.h"
#include "acd/acd.h"
#include "api/api.h"
#include "core/strmap.h"
#include "engine/engine.h"
#include "ivr/ivr.h"
#include "media/media.h"
#include "sip/sip.h"
#include "store/store.h"

#define ENG_MAX_FORKS 8

struct eng_tenant;
struct eng_api_obj;
struct eng_old_cfg;
struct eng_ivr;	  /* flow.c: one call's IVR session */
struct eng_flows; /* flow.c: the engine's TTS and data-dip workers */
struct eng_live;  /* flows_live.h: a tenant's flows and calendars */
struct eng_flowgen;
struct eng_attempt; /* campaign_int.h: a campaign's call for a lead */
struct eng_dialer;  /* campaign_int.h: the campaigns and their store worker */
struct eng_webcbs;  /* webcb.c */
#define ENG_CHAT_GONE 16

/* Calls per hour, counted in one-minute buckets (outbound.c). */
struct eng_rate {
	uint16_t n[60];
	int64_t minute; /* the minute (epoch ms / 60000) of the newest bucket */
};

/* What asked for a leg through a trunk, for the outbound check and its log. */
enum eng_via {
	ENG_VIA_PHONE,	  /* a phone dialled an outside number */
	ENG_VIA_TRANSFER, /* a blind transfer (the API's, or a phone's REFER) */
	ENG_VIA_FLOW,	  /* a flow's transfer node */
	ENG_VIA_OVERFLOW, /* a queue's overflow to a number */
	ENG_VIA_CALLBACK, /* a callback or virtual hold */
	ENG_VIA_API,	  /* the API: click-to-dial, consultation, conference */
	ENG_VIA_CAMPAIGN,
};

struct eng_user {
	const struct cfg_user *cu;
	struct eng_tenant *t;
	struct cfg *owner; /* the API's fragment cu points into (users.c), NULL: the file's */
	bool removed;	   /* taken out of the tenant; kept in t->retired_users until the stop */
	struct eng_user *retired_next;
	size_t ncontacts;
	unsigned active_calls;
	uint32_t agent;		 /* ACD agent id, ACD_NONE when not an agent */
	struct call *offer;	 /* the call whose offer rings this agent */
	struct call *wrap_call;	 /* the ended call this agent is wrapping up */
	struct call *cur;	 /* the queue call this agent is talking on */
	uint64_t queues_off;	 /* configured queues (by index) the agent logged out of */
	enum acd_state state;	 /* as last reported by the ACD */
	uint16_t reason;	 /* not-ready reason (index into reason_codes + 1) */
	int64_t state_since;	 /* wall clock, for the agent state log */
	struct eng_rate ob_hour; /* outside calls this user dialled */
	struct eng_phone *phone; /* the browser phone (phone.c), NULL: none */
};

struct eng_queue {
	const struct cfg_queue *cq;
	struct eng_tenant *t;
	struct cfg *owner; /* the API's fragment cq points into (objects.c), NULL: the file's */
	bool removed;	   /* taken out of the tenant; kept in t->retired until the stop */
	struct eng_queue *retired_next;
	uint32_t id;	   /* ACD queue id */
	uint32_t email_id; /* the ACD queue of its mailbox's conversations, ACD_NONE: none */
	uint32_t sms_id;   /* the ACD queue of its number's texts (sms.c), ACD_NONE: none */
	uint32_t chat_id;  /* the ACD queue of its web chats, ACD_NONE: none */
	const struct ivr_calendar *hours;
	bool open;
	bool dirty; /* changed since the last queue.stats event */
	struct eng_queue *dirty_next;
	uint64_t stats_mono_ms; /* when its last queue.stats went out (clock_mono_ms) */
};

/* A reason code or disposition (codes.c). */
struct eng_code {
	char *name; /* the file's string, or the API's own copy (owned) */
	bool api, removed, owned;
};

/* A configuration (or an API fragment) replaced while running, kept until the stop. */
struct eng_old_cfg {
	struct cfg *cfg;
	struct eng_old_cfg *next;
};
struct eng_codes {
	struct eng_code *v;
	size_t n, cap;
};

struct eng_tenant {
	struct engine *e;
	const struct cfg_tenant *ct;
	struct eng_user **users; /* each allocated on its own: calls keep pointers */
	size_t nusers, users_cap;
	struct eng_user *retired_users; /* users removed while running, freed at the stop */
	struct eng_queue **queues;	/* each allocated on its own: calls keep pointers */
	size_t nqueues, queues_cap;
	struct eng_queue *retired;    /* queues removed while running, freed at the stop */
	struct eng_old_cfg *old_cfgs; /* earlier settings of changed queues (objects.c) */
	struct eng_codes reasons;     /* the file's reason codes, then the API's (codes.c) */
	struct eng_codes dispositions;
	struct ivr_calendar **calendars; /* tenant.calendars, in order */
	size_t ncalendars;
	struct eng_live *live; /* flows and calendars as calls see them (flows_live.h) */
	struct acd *acd;
	struct eng_queue **qidx;   /* by ACD queue id */
	struct strmap *last_agent; /* caller number → eng_user who last answered it */
	struct eng_webcbs *webcbs; /* web callbacks waiting for their time (webcb.c), or NULL */
	bool sticky;		   /* a queue has `sticky`: last_agent is kept (queue.c) */
	struct ivr_calendar *tz;   /* the tenant's timezone (for "today" counters) */
	int64_t next_reset_ms;	   /* the tenant's next local midnight, wall clock */
	unsigned ob_active;	   /* legs through a trunk, placed or about to be (outbound.c) */
	struct eng_rate ob_hour;   /* outside legs placed */
	size_t nqidx;
	su_timer_t *acd_timer;
	uint64_t acd_deadline;	  /* monotonic ms the timer is set for, ACD_NEVER: none */
	uint64_t calls_result[3]; /* calls ended: answered, abandoned, unanswered */
	/* Taken out of the file by a reload (tenants_live.c): found by no domain, number,
	 * user or API request; its calls in progress finish; freed at the stop. */
	bool removed;
	struct eng_trunks *trunks; /* the trunks in force (trunks_live.c) */
};

enum call_state {
	CALL_ROUTING,
	CALL_IVR,     /* answered, in a flow */
	CALL_QUEUED,  /* answered, waiting in a queue (an offer may ring an agent) */
	CALL_RINGING, /* ringing a user's phones, caller not answered */
	CALL_BRIDGED,
	CALL_FEATURE, /* a feature code: a prompt, then hang up */
	CALL_ENDED
};

struct call {
	uint64_t id;
	struct engine *e;
	struct eng_tenant *t;
	enum call_state state;
	struct sip_leg *a;			   /* the caller */
	struct sip_leg *forks[ENG_MAX_FORKS];	   /* outgoing legs ringing */
	struct eng_user *fork_user[ENG_MAX_FORKS]; /* the user each fork rings (or NULL) */
	size_t nforks;
	struct sip_leg *b;	      /* the answered other side */
	struct eng_user *target_user; /* the user being rung, if any */
	struct eng_user *caller_user; /* the phone user who placed the call, if any */
	struct eng_user *ext[2];      /* agents busy on this call outside the ACD */
	size_t next;
	int best_fail; /* best failure status among forks */
	bool a_held_by_b;
	bool a_answered;	/* the caller's leg got our 200 */
	struct eng_queue *q;	/* the queue the call waits in, or was answered from */
	uint32_t contact;	/* ACD contact id, ACD_NONE */
	uint32_t play_seq;	/* ids of plays on the caller's leg */
	uint32_t announce_play; /* id of the announcement playing, 0: none */
	uint32_t bye_play;	/* hang up when this play ends (feature codes, callback) */
	uint64_t since_mono;	/* seniority in queues, kept across overflows */
	int num_priority;	/* the number's contact priority, -1: the queue's */
	bool callback;		/* virtual hold: the caller left, to be called back */
	bool web_callback;	/* a callback a visitor asked for on the web (webcb.c) */
	bool outbound;		/* a phone's call out through a trunk */
	/* Legs through a trunk counted in t->ob_active (outbound.c): checked, not placed
	 * yet (ob_pending), and placed (ob_legs, given back as each ends). */
	unsigned ob_pending, ob_n;
	struct sip_leg *ob_legs[ENG_MAX_FORKS + 2];
	struct eng_ivr *ivr; /* set while the call is in a flow */
	char from[128], to[128], number[64], agent[64], queue[64];
	char cli[64];		 /* the caller's number when trusted (outbound.c), else "" */
	char recording[640];	 /* the first segment: the interaction's recording */
	char ix_id[CRM_ID_SIZE]; /* the interaction's id once first written */
	int64_t held_since, hold_ms, wrapup_ms;
	unsigned rec_segments;
	char contact_id[CRM_ID_SIZE]; /* the caller's CRM contact, once looked up */
	char lang[16];		      /* the caller's language once a flow chose it */
	char disposition[32];
	char *notes;		/* the agent's notes (API), or NULL */
	char *contact_json;	/* the caller's CRM contact as JSON, for the screen pop */
	char *contact_history;	/* its last interactions (JSON array), for the screen pop */
	json_t *ivr_path;	/* the nodes the caller went through ("flow.node"), or NULL */
	json_t *ivr_vars;	/* variables the flow collected, or NULL */
	bool ix_written;	/* the interaction was stored once already */
	struct sip_leg *xleg;	/* a third party (control.c), or NULL */
	int xkind;		/* enum eng_extra */
	int xmode;		/* enum media_mix_mode for a monitor */
	struct eng_user *xuser; /* the third party when it is a user */
	bool xanswered;
	struct media_mix *mix; /* the conference or monitoring mixer, or NULL */
	bool rec_paused;
	bool muted;	 /* the agent's audio does not reach the customer (control.c) */
	bool rec_failed; /* the recording could not be written (disk full): said once */
	bool click;	 /* click-to-dial: the agent's phone first, then `to` */
	int64_t created_ms, queued_ms, offered_ms, answered_ms, ended_ms;
	const char *hangup_by;
	json_t *timeline;
	struct eng_attempt *att; /* a campaign's attempt (campaign_call.c), or NULL */
	/* After a campaign call that reached a person: its campaign and lead, which a
	 * disposition given in wrap-up still changes (NULL: none). */
	struct eng_campaign *camp;
	uint64_t camp_lead;
	/* A callback disposition given during the call: its time (0: in an hour) and agent
	 * (a user index; UINT32_MAX: the campaign). */
	int64_t camp_cb_ms;
	uint32_t camp_cb_who;
	/* The campaign that placed the call (compared, never read: its pacer counts the
	 * agent talking on it as its own), or NULL. */
	const struct eng_campaign *dialed_by;
	bool camp_abandoned; /* a person no agent took within the grace: abandoned */
	uint8_t a_leg;	     /* the media leg index of c->a's events: 0, or 1 when a campaign's lead
				(placed as the first fork) became the caller; an agent's leg placed
				later reuses index 1 for RTP digits, which a bridged call only logs */
	struct call *hnext;  /* hash chain */
};

struct engine {
	struct cfg *cfg;
	su_root_t *root;
	struct mq *media_events;
	su_wait_t media_wait;
	int media_reg;
	struct media *media;
	struct sip *sip;
	struct eng_tenant *tenants; /* never moved: calls keep pointers (provision.c) */
	size_t ntenants, tenants_cap;
	struct strmap *by_domain; /* domain → eng_tenant */
	struct strmap *numbers;	  /* "tenant\x1fnumber" and "\x1fnumber" → cfg_number */
	struct strmap *sip_users; /* "domain\x1fsipuser" → eng_user */
	struct strmap *usernames; /* "tenant\x1fusername" → eng_user */
	struct strmap *queue_ids; /* "tenant\x1fqueue" → eng_queue */
	struct eng_flows *flows;
	struct call **calls; /* hash by id */
	size_t calls_cap, ncalls;
	uint64_t next_call_id;
	char last_rec_dir[512];
	struct store *store;
	struct mq *store_events; /* commit acknowledgements */
	su_wait_t store_wait;
	int store_reg;
	uint64_t stored, store_failed;
	uint64_t calls_total, calls_answered, calls_failed;
	su_timer_t *stats_timer;
	struct api *api; /* the HTTP API, NULL when not started */
	struct mq *api_cmds;
	su_wait_t api_wait;
	int api_reg;
	su_timer_t *qstats_timer;
	struct eng_queue *dirty_queues;	   /* queues whose figures changed this second */
	struct eng_api_obj *api_objs;	   /* objects made through the API (numbers.c) */
	const char *cfg_path;		   /* the file, read again on SIGHUP (reload.c) */
	struct eng_old_cfg *old_files;	   /* files replaced by a reload, freed at the stop */
	su_timer_t *watchdog_timer;	   /* WATCHDOG=1 to systemd, NULL: no watchdog */
	struct store_retention *retention; /* the retention job, NULL without limits */
	const struct cfg *started;	   /* the file the listeners and store started with */
	uint64_t tls_stamp[5];		   /* its certificates' files then (reload.c) */
	bool draining;			   /* stopping: new calls are refused (drain.c) */
	struct eng_flowgen *rendering;	   /* flows being readied (flows_gen.c) */
	struct eng_dialer *dialer;	   /* campaigns (campaign.c), NULL: none */
	struct eng_phone *phones;	   /* browser phones (phone.c) */
	uint64_t next_phone;
	struct eng_mailer *mailer; /* the email channel's worker (mail_worker.c), NULL */
	struct eng_mail *mails;	   /* email conversations held (mail.c) */
	struct hindex mail_by_ix, mail_by_ref; /* the same by interaction id, by ACD ref */
	struct eng_chat *chats;		       /* web chats open (chat.c) */
	/* The same chats by the visitor's token, by interaction id and by ACD ref (chat.c),
	 * so that a message costs the same with 10 chats open or 10,000. */
	struct hindex chat_by_token, chat_by_ix, chat_by_ref;
	/* The last ENG_CHAT_DONE chats closed with a visitor's address, whose visitor may
	 * ask for the transcript by email (chat.c; allocated at the first, freed at the stop). */
	struct eng_chat_done *chat_done;
	unsigned chat_done_next;
	uint64_t next_chat_ref;
	/* Tokens whose socket closed before their chat existed (chat.c), the last few. */
	char chat_gone[ENG_CHAT_GONE][64];
	unsigned chat_gone_next;
	uint64_t next_mail_ref;
	struct mq *mail_events; /* what the email worker hands over */
	su_wait_t mail_wait;
	int mail_reg;
	struct eng_smser *smser; /* the SMS channel's worker (sms_worker.c), NULL: none */
	struct eng_sms *smss;	 /* SMS conversations open (sms.c) */
	/* The same by interaction id, ACD ref, customer's number, and their texts' message
	 * ids (for receipts) */
	struct hindex sms_by_ix, sms_by_ref, sms_by_from, sms_by_msgid;
	uint64_t next_sms_ref;
	struct mq *sms_events; /* what the SMS worker hands over */
	su_wait_t sms_wait;
	int sms_reg;
};

/* provision.c */
/* Tenants a reload may add beyond the file's at start (tenants_live.c). */
#define ENG_TENANTS_SPARE 64
int eng__provision(struct engine *e);
/* Sets up tenant t (a zeroed slot of e->tenants) for ct: calendars, queues, codes, users
 * and numbers indexed; not yet in the ACD. 0 or errno. */
int eng__tenant_provision(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *ct);
struct eng_queue *eng__queue(struct engine *e, struct eng_tenant *t, const char *id);
/* Adds a user for cu (owner: the API's fragment, NULL: the file's) to the tenant,
 * indexed by username and SIP user; not yet an ACD agent. 0 or ENOMEM. */
int eng__user_append(struct eng_tenant *t, const struct cfg_user *cu, struct cfg *owner,
		     struct eng_user **out);
/* Adds a queue for cq (owner: the API's fragment it points into, NULL: the file's) to
 * the tenant's running set, indexed by id; not yet in the ACD. 0 or ENOMEM. */
int eng__queue_append(struct eng_tenant *t, const struct cfg_queue *cq, struct cfg *owner,
		      struct eng_queue **out);
/* The calendar `name` as it runs now: the current generation's (flows_live.h; the file's
 * and the API's calendars), or before the first one (start-up), the file's. A hash
 * lookup once flows are live; NULL when there is none. */
const struct ivr_calendar *eng__calendar(struct eng_tenant *t, const char *name);
/* True when t defines calendar `name` (the file's or the API's), live or about to be. */
bool eng__calendar_defined(struct eng_tenant *t, const char *name);
/* Points every queue's hours of t at the calendar eng__calendar finds now; run when a
 * generation goes live, before the one before it may be freed. */
void eng__queues_hours_resolve(struct eng_tenant *t);
/* The id of a queue of t whose hours are calendar `name`, or NULL. */
const char *eng__calendar_queue(struct eng_tenant *t, const char *name);
void eng__unprovision(struct engine *e);
struct eng_tenant *eng__tenant_by_host(struct engine *e, const char *host);
const struct cfg_number *eng__number(struct engine *e, struct eng_tenant **t, const char *number);

/* engine.c: the SIP stack's credential lookup and registration notices. */
int eng__lookup(void *arg, const char *domain, const char *user, struct sip_cred *out);
void eng__registration(void *arg, void *cookie, const char *domain, const char *user, size_t n);

/* call.c */
void eng__incoming(void *arg, struct sip_leg *leg, const struct sip_invite_info *info);
void eng__sip_event(void *arg, struct sip_leg *leg, const struct sip_event *ev);
void eng__media_event(struct engine *e, const struct media_event *ev);
void eng__calls_hangup_all(struct engine *e);

/* call.c, for the ACD and IVR glue */
struct call *eng__call_find(struct engine *e, uint64_t id);
/* A new call with no leg yet (a callback request); NULL when out of memory. */
struct call *eng__call_new(struct engine *e, struct eng_tenant *t);
/* The call is over once no leg is left: its interaction is written and it is freed
 * (kept, out of the call table, while its agent wraps up: see eng__call_wrapped). */
void eng__call_maybe_done(struct call *c);
/* The agent's wrap-up of an ended call is over at wall time now: the interaction is
 * written again with its wrap-up time, and the call freed. */
void eng__call_wrapped(struct call *c, int64_t now);
/* Rings every phone of u for c (a fork per contact); returns the number of legs placed. */
size_t eng__ring_user(struct call *c, struct eng_user *u);
/* Takes fork l off the call (it stays up); returns the user it rang. */
struct eng_user *eng__fork_remove(struct call *c, struct sip_leg *l);
/* Cancels the forks ringing u (NULL: every fork). */
void eng__forks_cancel_user(struct call *c, struct eng_user *u);
/* The caller's leg and `b` are connected: forks cancelled, caller answered if need be,
 * media bridged and recorded. */
void eng__bridge(struct call *c, struct sip_leg *b);
void eng__call_hangup(struct call *c, int status, const char *by);
int eng__call_answer(struct call *c);
/* Rings every phone of user u for call c (transfer, overflow). 0 or ENOENT. */
int eng__route_user(struct call *c, struct eng_user *u);
/* Rings `number` through trunk `trunk` of the call's tenant (NULL: the one the tenant's
 * rules choose, eng__trunk_choose), after the outbound check for `via` (user: the phone
 * user who dialled, or NULL). The only way to a trunk: the API and campaigns use it too.
 * 0 or errno; EPERM when the check refused it. */
int eng__dial_out(struct call *c, const char *number, const char *trunk, enum eng_via via,
		  struct eng_user *user);
/* Plays items to the caller; returns the play id (MEDIA_EV_PLAY_DONE comes back to the
 * flow or queue code that asked, by the call's state). */
uint32_t eng__play(struct call *c, const struct media_item *items, size_t n, bool loop);
/* Plays items to the caller, then hangs up when they end (at once when nothing can play). */
void eng__play_then_hangup(struct call *c, const struct media_item *items, size_t n);

/* queue.c: the ACD driven by calls */
/* Tenant reason_codes[i] is ACD not-ready reason i + ENG_REASON_BASE. Below it: none
 * (0), the ACD's no_answer (1) and the engine's phone_lost (2: the browser phone went
 * while the agent was ready and no SIP phone of his is registered, phone.c). */
#define ENG_REASON_PHONE_LOST 2
#define ENG_REASON_BASE	      3
int eng__acd_start(struct engine *e);
/* One tenant's ACD, its queues and agents (a tenant a reload added). 0 or errno. */
int eng__tenant_acd_start(struct engine *e, struct eng_tenant *t);
/* Queues and agents a tenant's ACD takes beyond the file's (added through the API). */
#define ENG_QUEUES_SPARE 256
#define ENG_AGENTS_SPARE 1024
/* A queue of the running set into the ACD, its settings changed, or out of it: 0 or the
 * ACD's errno (EINVAL, ENOENT unknown relaxation queue, ENOSPC, EBUSY while it holds
 * contacts or a relaxation step names it). */
int eng__queue_acd_add(struct eng_tenant *t, struct eng_queue *q);
int eng__queue_acd_update(struct eng_tenant *t, struct eng_queue *q);
int eng__queue_acd_remove(struct eng_tenant *t, struct eng_queue *q);
/* A user as an ACD agent (logged out), its skills and memberships changed, or no longer
 * an agent (its open state span closed): 0 or the ACD's errno; EBUSY while an offer
 * rings it, it talks or wraps up. */
int eng__agent_acd_add(struct eng_tenant *t, struct eng_user *u);
int eng__agent_acd_update(struct eng_tenant *t, struct eng_user *u);
int eng__agent_acd_remove(struct eng_tenant *t, struct eng_user *u);
/* Sets the tenant's timer for the ACD's next deadline, if that changed: call after every
 * call into the tenant's ACD. */
void eng__acd_arm(struct eng_tenant *t);
/* queue.c's handlers of the tenant's ACD events (states, offers, cancels, overflows,
 * announcements), for the ACD queue_prov.c makes. */
void eng__acd_handlers(struct acd_handlers *h, struct eng_tenant *t);
/* One span of agent u's state log (end 0: still open). 0 or the store's errno. */
int eng__span_write(struct eng_tenant *t, struct eng_user *u, enum acd_state st, uint16_t reason,
		    int64_t start, int64_t end);
/* For `centrala check` and `serve`: queue strategy and service-level formula names,
 * errors recorded in cfg->cy with their positions; returns how many. */
size_t eng__acd_check(struct cfg *cfg);
void eng__acd_stop(struct engine *e);
/* Puts an answered caller in queue q. priority -1: the number's or queue's default.
 * 0 or errno (the caller is then still the flow's to handle). */
int eng__queue_enter(struct call *c, struct eng_queue *q, int priority,
		     const struct ivr_skill *skills, size_t nskills);
/* A callback request from call `asker` (IVR `callback` node): the agent is rung first
 * when it reaches the head of queue q, then `number` is dialled. 0 or errno; EPERM
 * (logged, on the asker's timeline) when `number` is not the asker's trusted number
 * (asker->cli): a caller cannot have the server dial a number of its choosing. */
int eng__queue_callback(struct call *asker, struct eng_queue *q, const char *number, int priority);
/* A web callback whose time came (webcb.c): queued as a callback with interaction id
 * `id`, channel callback; the agent is rung first, then `number` (E.164, checked). */
int eng__queue_web_callback(struct eng_tenant *t, struct eng_queue *q, const char *id,
			    const char *number, const char *lang);
/* webcb.c: the public route's requests (API_OP_WEB_CALLBACK), the ones waiting for their
 * time (checked every second), and those the store kept across a restart. */
void eng__webcb_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m);
void eng__webcb_tick(struct engine *e);
void eng__webcb_load(struct engine *e);
void eng__webcb_free(struct eng_tenant *t);
/* The call of web callback `id` ended (its interaction is written). */
void eng__webcb_done(struct eng_tenant *t, const char *id);
void eng__queue_digit(struct call *c, char digit);
void eng__queue_play_done(struct call *c, uint32_t id);
/* The caller's leg ended while queued: an abandon (a virtual-hold caller keeps the place). */
void eng__queue_caller_gone(struct call *c);
/* Takes the call's contact out of its queue without counting it (shutdown). */
void eng__queue_remove(struct call *c);
/* An agent's leg answered / failed for an ACD offer. */
void eng__queue_offer_answered(struct call *c, struct sip_leg *l, struct eng_user *u);
/* Every fork ringing u for the call's offer failed (status: the best final response). */
void eng__queue_offer_failed(struct call *c, struct eng_user *u, int status);
/* The customer's leg of a callback answered (c->a is set) or failed. */
void eng__queue_callback_result(struct call *c, bool answered);
/* A call answered from a queue ended: the agent starts wrap-up. Returns that agent when
 * it is in wrap-up now (the call's record waits for its end), else NULL. */
struct eng_user *eng__queue_call_ended(struct call *c);
/* midnight.c: the first local midnight after `now` (epoch ms) in timezone tz (a
 * calendar; NULL: UTC), DST-correct; the same for a tenant (its t->tz). */
int64_t eng__next_midnight(const struct ivr_calendar *tz, int64_t now);
int64_t eng__tenant_next_midnight(const struct eng_tenant *t, int64_t now);
/* Opens the tenant's timezone (t->tz, NULL: UTC) and sets its next counters reset. */
void eng__tz_open(struct eng_tenant *t);
/* stats.c: once a minute, one log line of live figures per queue; "today" counters are
 * zeroed at each tenant's local midnight. */
void eng__queue_minute(struct engine *e);
/* feature.c: agents on a call the ACD did not route (direct, internal): busy for the ACD
 * while it lasts, marked when bridged and released when it ends or is transferred. */
void eng__agents_external_on(struct call *c);
void eng__agents_external_off(struct call *c);
/* Phone registrations (auto_ready) and feature codes dialled from a phone. */
void eng__agent_registered(struct eng_user *u, size_t ncontacts);
/* Applies feature code `code` ("*21", "*222", ...) dialled by u: 0, ENOENT (not a
 * feature code), EPERM (u is not an agent) or EINVAL. */
int eng__agent_feature(struct eng_user *u, const char *code);

/* campaign_check.c: for `centrala check` and `serve`, every tenant's `campaigns:`
 * parsed and checked against its queues, flows, trunks, calendars and dispositions;
 * errors recorded in cfg->cy. Returns how many were added. */
size_t eng__campaigns_check(struct cfg *cfg);

/* campaign*.c: the outbound dialer's campaigns (campaign_int.h) */
/* At start, after the API: every campaign of the file, its leads read from the store. */
int eng__campaigns_start(struct engine *e);
/* At the stop, after the calls ended: the worker's writes finish, all is freed. */
void eng__campaigns_stop(struct engine *e);
/* The file's campaigns of tenant t as nt lists them (parsed from document cy, checked
 * already): added, changed live or removed; the counters (may be NULL) count them. At
 * start and at each reload. 0 or ENOMEM. */
int eng__camp_file_apply(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *nt,
			 struct cy *cy, unsigned *added, unsigned *changed, unsigned *removed);
/* The days off of t's campaigns (every tenant's when t is NULL) read again from the
 * calendars live now: run when a generation of calendars goes live. */
void eng__camp_holidays_resolve(struct engine *e, struct eng_tenant *t);
/* A tenant removed by a reload: its campaigns stop (their calls finish). */
void eng__camp_tenant_gone(struct engine *e, struct eng_tenant *t);
/* `phone` was put on the tenant's do-not-call list in the store (an SMS STOP): its running
 * campaigns skip it from now on. */
void eng__camp_dnc_add_tenant(struct engine *e, struct eng_tenant *t, const char *phone);
/* At start, after the file's: the campaigns the API made (stored), started. */
int eng__campaigns_load_api(struct engine *e);
/* API_OP_CAMPAIGN_PUT and API_OP_CAMPAIGN_DELETE (campaign_live.c). */
void eng__camp_live_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m);
/* Hooks from call.c for a call with c->att: the lead answered on leg `leg` (a fork);
 * the lead's leg ended unanswered with `status`; AMD's event; an agent was bridged; the
 * call ended (before its interaction is written). */
void eng__camp_answered(struct call *c, struct sip_leg *leg);
void eng__camp_unanswered(struct call *c, int status);
void eng__camp_amd(struct call *c, const struct media_amd_event *ev);
void eng__camp_connected(struct call *c);
void eng__camp_call_ended(struct call *c);
/* A disposition given after the campaign call c ended (in wrap-up): the lead changes as
 * it would have with the disposition given during the call. */
void eng__camp_disposed_late(struct call *c, const char *code, int64_t cb_ms, uint32_t who);
/* A disposition's `callback` ({at, agent?}) for call c: *cb_ms (0: none given) and *who.
 * 0, or EINVAL after answering 400/403 (not a campaign's call, a code that does not call
 * back, a bad time or agent). */
int eng__camp_disposition_args(struct engine *e, struct call *c, const struct api_cmd *m,
			       const char *code, int64_t *cb_ms, uint32_t *who);
/* A disposition of an interaction no longer live: when it is a campaign's answered
 * attempt of the last day, its lead changes too (read from the store when the campaign
 * no longer holds it). True when taken (answered here, API_NOT_LIVE once the lead is
 * changed, so the store writes the interaction's); false: the store's alone. */
bool eng__camp_dispose_after(struct engine *e, struct eng_tenant *t, const struct api_cmd *m);
/* The lead of a campaign call for the screen pop (NULL when none). */
json_t *eng__camp_lead_json(const struct call *c);
/* Once a second: campaign.stats for the campaigns whose figures changed. */
void eng__camp_stats_tick(struct engine *e);
/* API_OP_CAMPAIGNS_LIST, API_OP_CAMPAIGN_GET, API_OP_CAMPAIGN_CONTROL. */
void eng__camp_command(struct engine *e, struct eng_tenant *t, const struct api_cmd *m);

/* flow.c: IVR flows driven by calls */
int eng__flows_start(struct engine *e); /* loads flowsets, renders prompts, starts workers */
/* One tenant's flows (a tenant a reload added), checked against e->cfg's document; fixed
 * TTS texts rendered now. 0 or errno (logged). */
int eng__flows_load_tenant(struct engine *e, struct eng_tenant *t);
void eng__flows_stop(struct engine *e);
/* For `centrala check`: loads every tenant's calendars and flows, recording errors in
 * cfg->cy; returns the number of errors added. */
size_t eng__flows_check(struct cfg *cfg);
/* flows_live.c: a flow of that name is published in t (the file's or the API's). */
bool eng__flow_exists(struct eng_tenant *t, const char *name);
/* Makes every tenant's flows live once the API's objects are loaded (blocking). */
int eng__flows_live(struct engine *e);

/* drain.c: after SIGTERM, new calls are refused (503) while those in progress go on,
 * for up to shutdown_grace, until none is left or *signals changes (a second signal). */
void eng__drain(struct engine *e, volatile sig_atomic_t *signals);
/* Refuses an incoming call while draining; true when it did. */
bool eng__drain_refuse(struct engine *e, struct sip_leg *leg, const struct sip_invite_info *info);
/* Starts flow `name` for an answered caller. 0 or errno (ENOENT: no such flow). */
int eng__flow_enter(struct call *c, const char *name);
void eng__flow_digit(struct call *c, char digit);
/* ok: false when the play failed (a file that cannot be read or decoded). */
void eng__flow_play_done(struct call *c, uint32_t id, bool ok);
/* The cached rendering of a text rendered at start (queue overflow messages). 0 or
 * ENOENT. */
int eng__tts_cached(struct engine *e, const char *text, const char *lang, char *path, size_t size);
/* A transfer the flow waits on (a `failed` branch) answered or failed. Returns false
 * when no flow was waiting (the call then goes on as without a flow). */
bool eng__flow_transfer_result(struct call *c, bool connected);
/* The caller hung up (or the call is torn down) while in a flow: the path goes to the
 * timeline and the session is freed. */
void eng__flow_end(struct call *c);

/* phone.c: the browser phone (signalling over the events socket, media nailed up) */
struct eng_phone;
/* Media owners of browser phones' sessions have this bit (call ids never reach it). */
#define ENG_PHONE_OWNER (1ull << 63)
/* API_OP_PHONE: offer, accept, reject, hangup, hold, resume, close. */
void eng__phone_command(struct engine *e, struct eng_tenant *t, const struct api_cmd *m);
/* True when u's browser phone has its media up (a call on it or not). */
bool eng__phone_connected(const struct eng_user *u);
/* True when u's browser phone has its media up and no call: calls ring it, not u's SIP
 * phones. */
bool eng__phone_up(const struct eng_user *u);
/* Rings u's browser phone for c: a local leg (sip.h) on its session, phone.ring to the
 * page. 0, ENOENT (no phone up) or ENOMEM. */
int eng__phone_ring(struct call *c, struct eng_user *u, struct sip_leg **out);
/* A media event of a browser phone's session (owner has ENG_PHONE_OWNER). */
void eng__phone_media_event(struct engine *e, const struct media_event *ev);
/* At the stop, after the SIP stack: every phone and its session freed. */
void eng__phones_free(struct engine *e);
/* Tenant t's browser phones with their media up (for /metrics). */
unsigned eng__phones_count(const struct engine *e, const struct eng_tenant *t);
/* call.c: a media event of call c's leg `leg` whose session's owner is not the call's
 * (a browser phone's): handled as the leg's own. */
void eng__call_leg_media_event(struct call *c, struct sip_leg *leg, const struct media_event *ev);

/* cti.c: the API's commands */
void eng__cti_command(struct engine *e, struct api_cmd *m);
json_t *eng__agent_json(struct eng_user *u);
json_t *eng__queue_json(struct eng_queue *q);
json_t *eng__call_json(const struct call *c);

/* notify.c: events for the API */
/* The agent who has or had the call (queue agent or the user rung), or NULL. */
const char *eng__call_agent(const struct call *c);
void eng__ev_agent_state(struct eng_user *u, enum acd_state from, enum acd_state to,
			 const char *reason);
/* contact.queued, contact.offered (u: the agent rung), contact.answered, contact.ended. */
void eng__ev_contact(struct call *c, const char *type, struct eng_user *u);
/* The same with extra fields merged into its data (taken: the caller's reference). */
void eng__ev_contact_with(struct call *c, const char *type, struct eng_user *u, json_t *extra);
void eng__queue_dirty(struct eng_queue *q);
/* Once a second: queue.stats for the queues that changed. */
void eng__queue_stats_tick(struct engine *e);

/* feature.c: agent state from the API (the same paths as the feature codes) */
/* 0, EINVAL (unknown reason code), EPERM (not an agent) or the ACD's errno. */
int eng__agent_set_state(struct eng_user *u, enum acd_state to, const char *reason);
const char *eng__reason_name(const struct eng_tenant *t, uint16_t r);
/* Logs agent u into or out of one of its configured queues (the next routing decision
 * follows). 0, ENOENT (not one of its queues), EPERM (not an agent) or the ACD's errno. */
int eng__agent_queue_member(struct eng_user *u, const char *queue, bool member);

/* dial.c: calls the API places and moves */
#define ENG_AUTO_ANSWER_HEADERS                                                                    \
	"Call-Info: <sip:127.0.0.1>;answer-after=0\r\nAlert-Info: "                                \
	"<http://127.0.0.1/>;info=alert-autoanswer\r\n"
/* Click-to-dial for agent u: u's phones are rung (auto-answer hinted), then `number`
 * through the tenant's trunk. Writes the new call to *out. 0, ENOENT (no phone
 * registered, no trunk), EPERM (the tenant's outbound rules refuse the number, logged),
 * ENOMEM. */
int eng__click_dial(struct eng_user *u, const char *number, struct call **out);
void eng__click_answered(struct call *c, struct sip_leg *leg);
void eng__click_failed(struct call *c, int status);
/* Sends the customer of bridged call c to user u, queue q, flow `flow` or `number`
 * (exactly one set); the agent's leg is released. `by`: the user who asked (the API
 * caller, the agent whose phone sent REFER; NULL for an API key), whose outbound caps
 * a number's leg counts against. 0 or errno (the customer is then hung up). */
int eng__transfer_blind(struct call *c, struct eng_user *u, struct eng_queue *q, const char *flow,
			const char *number, struct eng_user *by);

/* control.c: hold, recording pause, DTMF, conference, consultation, monitoring */
enum eng_extra { ENG_X_NONE, ENG_X_MONITOR, ENG_X_CONF, ENG_X_CONSULT };
/* Holds or resumes the customer of a bridged call (music on hold; with mute_agent the
 * agent hears silence too). 0, EALREADY or EINVAL (not bridged). */
int eng__call_hold(struct call *c, bool hold, bool mute_agent);
int eng__call_record_pause(struct call *c, bool paused);
/* Mutes or unmutes the agent towards the customer of a bridged call: the customer hears
 * silence in place of the agent (while on hold, music on hold, and the mute holds after
 * it). 0, EALREADY or EINVAL (not bridged, or in a mixer). */
int eng__call_mute(struct call *c, bool mute);
/* Sends RFC 4733 digits to the customer. 0 or EINVAL. */
int eng__call_dtmf(struct call *c, const char *digits);
/* Rings a third party (user u, or number through the trunk) for call c: a supervisor
 * who monitors in `mode`, a conference guest, or a consulted target; `by` asked for it
 * (a number's leg counts against that user's outbound caps). 0 or errno. */
int eng__call_extra(struct call *c, enum eng_extra kind, int mode, struct eng_user *u,
		    const char *number, struct eng_user *by);
int eng__monitor_mode(struct call *c, int mode);
int eng__consult_complete(struct call *c);
int eng__consult_cancel(struct call *c);
/* call.c: places the third party's leg. */
int eng__dial_extra(struct call *c, struct eng_user *u, const char *number, struct eng_user *by);
/* A SIP event on the third party's leg. */
void eng__extra_event(struct call *c, const struct sip_event *ev);

/* numbers.c: numbers made, re-routed and removed through the API */
/* Routes the number of `owner` (a fragment: tenants[0].numbers[0], kept on success) in
 * t. EEXIST (the file lists it, or another tenant has it), EINVAL (its target is not in
 * t) with *why and *field set, ENOMEM. */
int eng__number_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, const char **why,
		    const char **field);
/* 0, EEXIST (the file's), ENOENT. */
int eng__number_delete(struct engine *e, struct eng_tenant *t, const char *number);
bool eng__number_in_file(const struct engine *e, const char *number);
json_t *eng__number_json(const struct cfg_number *n, bool from_file);
json_t *eng__numbers_json(struct engine *e, struct eng_tenant *t);
/* At start: the numbers the API made, from the store. 0 or the store's errno. */
int eng__numbers_load_api(struct engine *e);
void eng__api_objs_free(struct engine *e);
/* Takes the numbers the API made in t out of the index (a tenant a reload removed). */
void eng__numbers_retire(struct engine *e, struct eng_tenant *t);
/* A number the API routes to `value` (a queue, user or flow by kind) in t, or NULL. */
const struct cfg_number *eng__api_number_to(struct engine *e, struct eng_tenant *t,
					    enum cfg_target_kind kind, const char *value);

/* objects.c: queues made, changed and removed through the API */
/* Adds or changes the queue of `owner` (a fragment: tenants[0].queues[0], kept on
 * success) in t; *created says which. EEXIST (the file lists it), EINVAL (a reference
 * or name that does not resolve, with *why and *field), ENOSPC, ENOMEM. */
int eng__queue_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, bool *created,
		   const char **why, const char **field);
/* 0, EEXIST (the file's), ENOENT, EBUSY (in use: `why` says by what). */
int eng__queue_delete(struct engine *e, struct eng_tenant *t, const char *id, char *why,
		      size_t size);
/* The steps of both, for a reload of the file too (owner NULL: the file's object): a
 * new queue into the running set and the ACD, new settings for one, or one out of
 * both (EBUSY while in use, `why` says by what). 0 or errno, *why set on failure. */
int eng__queue_create(struct eng_tenant *t, const struct cfg_queue *cq, struct cfg *owner,
		      const char **why);
int eng__queue_replace(struct eng_tenant *t, struct eng_queue *q, const struct cfg_queue *cq,
		       struct cfg *owner, const char **why);
int eng__queue_retire(struct engine *e, struct eng_tenant *t, struct eng_queue *q, char *why,
		      size_t size);
/* The queue's settings with the provisioning field names. */
json_t *eng__queue_config_json(const struct eng_queue *q);
/* At start, after the ACD: the queues the API made, from the store. */
int eng__queues_load_api(struct engine *e);
void eng__objects_free(struct eng_tenant *t);
/* Keeps an object's earlier fragment (a call may still read it) until the stop. */
void eng__keep_old_cfg(struct eng_tenant *t, struct cfg *c);
/* At start, for queues, users and numbers: one tenant's loading of the objects the API
 * made, counted and logged the same way for each kind. */
struct eng_api_load {
	struct engine *e;
	struct eng_tenant *t;
	const char *object; /* "queue", "user", "number": in the log lines */
	unsigned n, skipped;
};
/* Logs and counts a stored object the file defines too (the file's wins); returns
 * in_file. */
bool eng__api_load_in_file(struct eng_api_load *l, const char *key, bool in_file);
/* Logs and counts the outcome of putting the stored object `key` (its fragment c, err
 * from parsing or putting it, the put's *why); frees c when it failed. `fallback`: the
 * reason logged when neither why nor c's errors give one (NULL: strerror(err)). */
void eng__api_load_put(struct eng_api_load *l, const char *key, struct cfg *c, int err,
		       const char *why, const char *fallback);
/* Runs `scan` (which reads the stored objects of l->t) for every tenant on one store
 * connection and logs each tenant's counts of `objects` ("queues"). 0 or the store's
 * errno. */
int eng__api_load_all(struct engine *e, const char *object, const char *objects,
		      int (*scan)(struct store_db *db, struct eng_api_load *l));

/* codes.c: reason codes and dispositions, the file's and the API's */
int eng__codes_init(struct eng_tenant *t);
void eng__codes_free(struct eng_tenant *t);
/* "reason_codes" or "dispositions" of t, NULL for anything else. */
struct eng_codes *eng__codes(struct eng_tenant *t, const char *kind);
/* The position of a code in force, or -1. */
int eng__code_find(const struct eng_codes *l, const char *name);
/* True when `code` may be set: the tenant's list has it, or it keeps no list. */
bool eng__disposition_known(const struct eng_tenant *t, const char *code);
/* 0 (*created: new), EEXIST (the file's), ENOSPC, ENOMEM. */
int eng__code_put(struct eng_tenant *t, struct eng_codes *l, const char *code, bool *created);
/* 0, EEXIST (the file's), ENOENT. */
int eng__code_delete(struct eng_codes *l, const char *code);
/* A reload's new code of the file (name: the file's string). 0 or ENOMEM. */
int eng__code_add_file(struct eng_codes *l, char *name);
json_t *eng__codes_json(const struct eng_codes *l);
int eng__codes_load_api(struct engine *e);

/* trunks_live.c: the trunks in force, the file's and the API's */
struct eng_trunks;
/* The tenant's trunk set and first view (t->ct: its file tenant). 0 or ENOMEM. */
int eng__trunks_init(struct engine *e, struct eng_tenant *t);
/* A reload's tenant nt: its trunks apply to the next call (registrations follow); an API
 * trunk the file now lists is the file's. 0 or ENOMEM (the earlier view stays). */
int eng__trunks_file(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *nt);
/* Adds or changes the API's trunk of `owner` (tenants[0].trunks[0], kept on success);
 * *created says which. EEXIST (the file's, *why set) or ENOMEM. */
int eng__trunk_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, bool *created,
		   const char **why);
/* 0, EEXIST (the file's), ENOENT, EBUSY (a queue, outbound rule or campaign uses it:
 * `why` names it). Calls on it go on. */
int eng__trunk_delete(struct engine *e, struct eng_tenant *t, const char *id, char *why,
		      size_t size);
bool eng__trunk_in_file(const struct eng_tenant *t, const char *id);
/* A trunk with the provisioning field names, its source and registration; never its
 * password. */
json_t *eng__trunk_json(const struct eng_tenant *t, const struct cfg_trunk *tk);
json_t *eng__trunks_json(const struct eng_tenant *t);
/* At start, after SIP: the API's trunks from the store, then every registration. */
int eng__trunks_load_api(struct engine *e);
int eng__trunks_start(struct engine *e);
/* Unregisters the tenant's trunks (a tenant a reload removed). */
void eng__trunks_retire(struct engine *e, struct eng_tenant *t);
/* At the stop, before the SIP stack goes: every registration withdrawn. */
void eng__trunks_stop(struct engine *e);
void eng__trunks_free(struct eng_tenant *t);

/* trunks_cmd.c: the API's trunk commands; false when m is not one. */
bool eng__trunks_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m);

/* tenants_live.c: the tenant list of a reloaded file */
/* The running tenant with this id (removed ones are not found), or NULL. */
struct eng_tenant *eng__tenant_find(struct engine *e, const char *id);
/* Takes t out of service: its domain, numbers, users and queues are found no more (new
 * calls are refused as for an unknown number), calls in progress finish. */
void eng__tenant_retire(struct engine *e, struct eng_tenant *t);
/* Adds a tenant of e->cfg (the reloaded file) while running: provisioned, its ACD
 * started and flows loaded. 0, ENOSPC (no spare slot: restart) or errno (logged; the
 * half-made tenant is retired). */
int eng__tenant_add(struct engine *e, const struct cfg_tenant *ct, struct eng_tenant **out);
/* A reload's steps: first the running tenants the file nc no longer lists (or lists with
 * another domain) retired; after e->cfg became the new file, its tenants not running yet
 * added. Each returns how many. */
unsigned eng__reload_tenants_retire(struct engine *e, const struct cfg *nc);
unsigned eng__reload_tenants_add(struct engine *e);

/* reload.c: SIGHUP */
/* Reads and checks the file on a thread of its own; a valid one comes back to the
 * engine as API_OP_RELOAD. */
void eng__reload_start(struct engine *e, const char *path);
/* At the start: remembers the file and its certificates' files, which a reload cannot
 * change (the listeners and the store), to say when a reload's file changed them. */
void eng__reload_remember(struct engine *e);
/* On the engine's thread: applies a checked, provisioned file (owned from now on). */
void eng__reload_apply(struct engine *e, struct cfg *nc);
/* At the stop: waits (at most 30 s) for a reload thread still reading the file. */
void eng__reload_wait(void);
void eng__keep_file_cfg(struct engine *e, struct cfg *c);
void eng__old_files_free(struct engine *e);

/* diff.c: for `centrala check`, a line per object the API made (kept, or taken over by
 * the file); 0 or the store's errno (reported, not fatal). */
int eng__check_api_objects(const struct cfg *cfg, const char *file);

/* users.c: users made, changed and removed through the API */
/* Adds or changes the user of `owner` (tenants[0].users[0], kept on success); *created
 * says which. EEXIST (the file lists it), EINVAL (with *why and *field), EADDRINUSE (its
 * SIP user is another's), EBUSY (the agent role taken away while on a call), ENOSPC,
 * ENOMEM. */
int eng__user_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, bool *created,
		  const char **why, const char **field);
/* 0, EEXIST (the file's), ENOENT, EBUSY (in use: `why` says by what). */
int eng__user_delete(struct engine *e, struct eng_tenant *t, const char *username, char *why,
		     size_t size);
/* The steps of both, for a reload of the file too (owner NULL: the file's user). */
int eng__user_create(struct engine *e, struct eng_tenant *t, const struct cfg_user *cu,
		     struct cfg *owner, const char **why);
int eng__user_replace(struct engine *e, struct eng_tenant *t, struct eng_user *u,
		      const struct cfg_user *cu, struct cfg *owner, const char **why);
int eng__user_retire(struct engine *e, struct eng_tenant *t, struct eng_user *u, char *why,
		     size_t size);
/* The user with the provisioning field names, without secrets, and its source. */
json_t *eng__user_json(const struct eng_user *u);
/* At start, after the queues: the users the API made, from the store. */
int eng__users_load_api(struct engine *e);

/* reckey.c: media_config.record_key: the tenant's recording key by the path. */
int eng__record_key(void *arg, const char *path, uint8_t key[32]);

/* srtp.c: which legs must be encrypted */
/* The SRTP rule for a leg of tenant ct through trunk tk (NULL: a phone or a caller not
 * from a trunk): the trunk's own when it has one, else the tenant's. */
enum cfg_srtp eng__srtp_mode(const struct cfg_tenant *ct, const struct cfg_trunk *tk);
/* Applies the rule to an incoming leg of tenant ct (NULL: not known yet, nothing done).
 * True when the offer broke it: the leg has been refused with 488 (logged). */
bool eng__srtp_refused(const struct cfg_tenant *ct, struct sip_leg *leg,
		       const struct sip_invite_info *info);

/* outbound.c: trusted caller identities and the choice of trunk */
/* True when address `ip` is `pattern` ("192.0.2.1") or inside it ("192.0.2.0/24"). */
bool eng__addr_match(const char *ip, const char *pattern);
/* True when `source` ("ip:port") is one of trunk tk's addresses: its inbound_from, or
 * without one the host of its URI. */
bool eng__trunk_from(const struct cfg_trunk *tk, const char *source);
/* The tenant's trunk whose addresses `source` is one of, or NULL. */
const struct cfg_trunk *eng__trunk_of_source(const struct cfg_tenant *ct, const char *source);
/* True when some trunk of the tenant has inbound_from: its numbers then take calls only
 * from trunk addresses and authenticated phones. */
bool eng__inbound_restricted(const struct cfg_tenant *ct);
/* The form a destination's prefixes are compared with: E.164 by the tenant's country,
 * else "00..." as "+...", else the number as dialled. */
void eng__dest_key(const struct cfg_tenant *ct, const char *number, char *out, size_t size);
/* The trunk for `number`: `requested` by id when given (NULL if unknown), else the
 * tenant's rules (longest route prefix, outbound.trunk, the first trunk). */
const struct cfg_trunk *eng__trunk_choose(const struct cfg_tenant *ct, const char *number,
					  const char *requested);
/* The prefix rules alone: NULL when the tenant may dial `number`, else the reason
 * ("invalid_number", "blocked_prefix", "not_allowed_prefix"). Pure. */
const char *eng__outbound_refusal(const struct cfg_tenant *ct, const char *number);
/* Calls in the hour up to now_ms, and one more call at now_ms. */
unsigned eng__rate_count(struct eng_rate *r, int64_t now_ms);
void eng__rate_add(struct eng_rate *r, int64_t now_ms);
const char *eng__via_name(enum eng_via via);
/* The one check every leg through a trunk passes, before it is placed: prefix rules,
 * calling hours (agent-dialled: phone, API, transfer and campaign calls), the tenant's
 * concurrent cap and calls per hour, and `user`'s calls per hour (the user who dialled
 * or asked for the leg: the phone's, the API caller, the transferring agent; NULL for
 * flows, queues and callbacks). 0 (one leg counted against the caps, pending until
 * eng__outbound_placed or eng__outbound_unplaced) or EPERM (refused: logged
 * event=outbound_refused with the reason, and on the call's timeline). */
int eng__outbound_check(struct call *c, const char *number, enum eng_via via,
			struct eng_user *user);
/* The same verdict without counting a leg: for a blind transfer, asked before the
 * agent is let go, so that a refused one leaves the call as it was. 0 or EPERM
 * (logged and on the timeline as above). */
int eng__outbound_precheck(struct call *c, const char *number, enum eng_via via,
			   struct eng_user *user);
/* The leg checked last was placed as `leg` (it holds its slot until it ends), or could
 * not be placed (its slot is given back). */
void eng__outbound_placed(struct call *c, struct sip_leg *leg);
void eng__outbound_unplaced(struct call *c);
/* A leg of the call ended: its slot, if it held one, is given back. */
void eng__outbound_leg_ended(struct call *c, struct sip_leg *leg);
/* The call ended: every slot it held is given back. */
void eng__outbound_release(struct call *c);
/* Sets c->cli from an incoming INVITE when something vouches for the number: an
 * authenticated phone (its From user) or a trunk's address (P-Asserted-Identity, else
 * From). */
void eng__call_identity(struct call *c, const struct sip_invite_info *info);

/* mail.c, mail_worker.c: the email channel. A conversation is one interaction; while an
 * agent may be offered it or holds it, it is a contact of its queue's email ACD queue
 * (q->email_id), whose ACD ref has ENG_MAIL_REF set (calls' refs are call ids). The
 * worker thread polls the mailboxes and sends through SMTP; it hands messages over
 * through e->mail_events and takes sending jobs from the engine. */
#define ENG_MAIL_REF (1ull << 63)
struct eng_mail;
/* worker.c: a written channel's worker thread, its job queue (json_t *, pushed from any
 * thread) and its own store connection. */
struct eng_worker {
	struct mq *jobs;
	struct store_db *db;
	pthread_t th;
	bool running;
	_Atomic int stop; /* set by eng__worker_close; the thread's loop ends on it */
};
/* Opens the job queue and the store connection; 0 or errno (then nothing is open). */
int eng__worker_open(struct eng_worker *k, const char *store);
/* Starts fn(arg) on the worker's thread; 0 or errno. */
int eng__worker_run(struct eng_worker *k, void *(*fn)(void *), void *arg);
/* Queues job, which is taken (released when it cannot be queued): 0, ENOMEM (NULL job)
 * or what mq_push returns. */
int eng__worker_push(struct eng_worker *k, json_t *job);
/* The next job, the caller's to release; NULL when none waits. */
json_t *eng__worker_pop(struct eng_worker *k);
/* Waits up to ms milliseconds for a job. */
void eng__worker_wait(struct eng_worker *k, int ms);
/* Stops the thread and waits for it, releases the jobs left, closes the queue and the
 * store connection. Safe on a worker that eng__worker_open left closed. */
void eng__worker_close(struct eng_worker *k);

struct eng_mailer;
/* Starts the worker for every queue with a mailbox (none: nothing started). 0 or errno. */
int eng__mail_start(struct engine *e);
/* Stops the worker (its jobs in flight end first) and frees the conversations. */
void eng__mail_stop(struct engine *e);
/* The ACD's callbacks for an email contact (ref with ENG_MAIL_REF). */
void eng__mail_offer(struct eng_tenant *t, const struct acd_offer *o);
void eng__mail_cancel(struct eng_tenant *t, const struct acd_offer *o, enum acd_cancel_reason why);
void eng__mail_overflow(struct eng_tenant *t, const struct acd_overflow *ov);
/* The API's commands on email conversations; false when m is not one. */
bool eng__mail_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m);
/* The worker's side: a job (JSON, stolen) for the worker's queue. 0 or ENOBUFS. */
int eng__mailer_job(struct eng_mailer *w, json_t *job);
/* Starts the worker thread for e's mailboxes; *out NULL when there is none. */
int eng__mailer_start(struct engine *e, struct eng_mailer **out);
void eng__mailer_stop(struct eng_mailer *w);
/* After a reload (c kept until the engine stops): mailboxes added, changed or removed
 * are read, read afresh or read no more, between two passes. */
int eng__mailer_reload(struct eng_mailer *w, const struct cfg *c);
/* Messages on e->mail_events: a pointer to a JSON object (owned by the receiver). */
struct eng_mail_msg {
	json_t *msg;
};

/* sms.c, sms_worker.c: the SMS channel, on the email channel's model. A conversation
 * with one customer's number is one interaction; while an agent may be offered it or
 * holds it, it is a contact of its queue's SMS ACD queue (q->sms_id), whose ACD ref has
 * ENG_SMS_REF set. The worker thread keeps the SMPP sessions (or posts to the HTTP
 * gateway), matches numbers to CRM contacts, and hands texts over through
 * e->sms_events (struct eng_mail_msg: a JSON object, owned by the receiver). */
#define ENG_SMS_REF (1ull << 62)
struct eng_sms;
struct eng_smser;
int eng__sms_start(struct engine *e);
void eng__sms_stop(struct engine *e);
void eng__sms_offer(struct eng_tenant *t, const struct acd_offer *o);
void eng__sms_cancel(struct eng_tenant *t, const struct acd_offer *o, enum acd_cancel_reason why);
void eng__sms_overflow(struct eng_tenant *t, const struct acd_overflow *ov);
/* accept, reply and close of an open SMS conversation, and the gateway's webhook; false
 * when the command is none of those or names no SMS conversation. */
bool eng__sms_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m);
/* The worker: a job (JSON, stolen); 0 or ENOBUFS. */
int eng__smser_job(struct eng_smser *w, json_t *job);
/* Answer the API request a worker's "sent" message names ("req"), if any. */
void eng__sms_reply_sent(struct api *api, const json_t *sent);
void eng__mail_reply_sent(struct api *api, const json_t *sent);
int eng__smser_start(struct engine *e, struct eng_smser **out);
void eng__smser_stop(struct eng_smser *w);
/* After a reload (c is the engine's configuration now, kept until the engine stops): the
 * worker starts, restarts or stops the numbers' lines whose settings changed. */
int eng__smser_reload(struct eng_smser *w, const struct cfg *c);
/* chat.c: the web chat. A chat is one interaction; while it waits, is offered or is held
 * it is a contact of its queue's chat ACD queue (q->chat_id), whose ACD ref has
 * ENG_CHAT_REF set. The visitor's side comes from the API's public WebSocket as
 * API_OP_CHAT_VISITOR commands and goes back with api_visitor_event(). */
#define ENG_CHAT_REF (1ull << 61)
struct eng_chat;
void eng__chat_offer(struct eng_tenant *t, const struct acd_offer *o);
void eng__chat_cancel(struct eng_tenant *t, const struct acd_offer *o, enum acd_cancel_reason why);
void eng__chat_overflow(struct eng_tenant *t, const struct acd_overflow *ov);
/* The API's commands on chats (the agent's and the visitor's); false when m is not one. */
bool eng__chat_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m);
/* Every second: positions and waits to queued visitors, chats whose visitor is gone for
 * longer than `resume` closed. */
void eng__chat_tick(struct engine *e);
/* Ends every chat (at the stop, before the API and the store stop). */
void eng__chat_stop(struct engine *e);
/* The email worker's outcome of a chat transcript (a "sent" message of kind
 * "transcript", mail.c): the visitor's page is told. */
void eng__chat_transcript_sent(struct engine *e, const json_t *j);
#define ENG_CHAT_DONE 512

/* handoff.c: offers a written contact (ACD ref `ref`) of ACD queue `acd_queue` to agent
 * u now, as its preferred agent. Returns 0 with *out the ACD contact, offered to u (the
 * channel's offer handler has run); else nothing is left in the ACD, *why says why for
 * the user, and the error is ENOENT (no such agent, or no such ACD queue), EAGAIN (the
 * agent is logged out), EBUSY (not ready, or no room on the channel) or the ACD's. */
int eng__offer_named(struct eng_tenant *t, uint32_t acd_queue, uint64_t ref, struct eng_user *u,
		     uint32_t *out, const char **why);

/* Shared by the written channels (mail.c, chat.c): appends event `ev` (stolen; NULL: an
 * empty object) to timeline tl with its time ("ts") and name ("event"). */
void eng__timeline_add(json_t *tl, const char *event, json_t *ev);

/* record.c */
void eng__timeline(struct call *c, const char *event, const char *key, const char *value);
void eng__interaction_write(struct engine *e, struct call *c);
/* The path of the call's next recording segment (the first is the call's recording). */
int eng__recording_path(struct engine *e, struct call *c, char *path, size_t size);

#endif
