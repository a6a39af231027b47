/*
 * The engine's side of the outbound dialer: each campaign of the file runs here, on the
 * engine thread, around the pure pacing and lead library of src/dialer. Files:
 *
 * - campaign.c: campaigns made at start, their state (running, paused, stopped), the
 *   pacing tick that picks leads and places calls, leads taken in from the store.
 * - campaign_call.c: one attempt's call: ring timeout, SIP results, answer, AMD, the
 *   queue and the 2-second grace before a person is abandoned with the message.
 * - campaign_result.c: pure mappings (SIP status and AMD verdict to a result, a lead's
 *   status to its stored row, an agent's disposition to what happens to the lead).
 * - campaign_store.c: the worker thread that reads leads in batches and do-not-call
 *   numbers and writes leads and attempts back: no SQL on the engine thread.
 * - campaign_api.c: the API's commands and the campaign.stats event.
 * - campaign_late.c: what reaches a lead after its call: dispositions after the wrap-up,
 *   leads read back from the store for them and for callbacks, numbers taken off a
 *   do-not-call list.
 *
 * Ownership: the engine owns struct eng_dialer (e->dialer) and through it every
 * campaign; a campaign owns its leads, pacer and zones; an attempt is owned by its
 * campaign and pointed at by its call (c->att) until the call ends.
 */
#ifndef CENTRALA_ENGINE_CAMPAIGN_INT_H
#define CENTRALA_ENGINE_CAMPAIGN_INT_H

#include <pthread.h>

#include "dialer/dialer.h"
#include "engine/engine_int.h"

#define CAMP_BATCH 1000 /* leads per store read */
/* Read more when fewer open leads are in memory: a batch ahead, so that a fast campaign
 * (hundreds of calls a second) never waits for its next batch. */
#define CAMP_LOW_WATER 1000

enum camp_state { CAMP_RUNNING, CAMP_PAUSED, CAMP_STOPPED };

/* Where a disposition puts the lead's number. */
enum eng_camp_dnc {
	ENG_CAMP_DNC_NONE,
	ENG_CAMP_DNC_CAMPAIGN, /* the campaign's do-not-call list */
	ENG_CAMP_DNC_TENANT,   /* the tenant's (the contact's opt-out of every campaign) */
};

/* A lead in memory, keyed as the dialer library knows it (list index << 40 | id). */
struct eng_lead {
	uint64_t key;
	int64_t id;
	uint16_t list;
	uint16_t zone;			  /* index into the campaign's zones */
	char *phone, *name, *tz, *fields; /* owned; fields: a JSON object or NULL */
	int32_t day;			  /* local day of day_attempts */
	int day_attempts;
	struct eng_lead *hnext;
};

enum att_state { ATT_RINGING, ATT_AMD, ATT_WAITING, ATT_CONNECTED, ATT_OVER };

/* One attempt in progress: the call placed for a lead. */
struct eng_attempt {
	struct eng_campaign *cp;
	struct call *c;
	struct eng_lead *lead;
	uint32_t number; /* 1 for the lead's first attempt */
	enum att_state st;
	int64_t started_ms, answered_ms, waiting_ms; /* wall clock */
	su_timer_t *timer;			     /* ring timeout, then the grace */
	struct eng_user *agent; /* preview: the agent who chose the lead, rung on answer */
	bool timed_out, have_result, amd_message;
	enum dialer_result result;
	struct eng_attempt *next, *prev; /* the campaign's attempts */
};

/* Figures since the start or the tenant's midnight. */
struct camp_counts {
	uint64_t dialed, answered, person, machine, fax, abandoned, connected, failed;
};

struct eng_campaign {
	struct eng_dialer *d;
	struct eng_tenant *t;
	const struct dialer_campaign *cfg; /* its settings now */
	/* The settings whose lists the leads in memory come from: cfg's, except while a
	 * change of lists waits for the calls in progress to end (lists_pending). */
	const struct dialer_campaign *lcfg;
	json_t *config; /* cfg as written (the file's node or the API's body) */
	bool api;	/* made through the API (else the file's) */
	bool removed;	/* deleted: takes no call, kept until its calls end */
	bool lists_pending;
	enum camp_state state;
	struct eng_queue *q;
	struct dialer_pacer *pacer;
	struct dialer_leads *leads;
	struct dialer_rules rules; /* cfg's, with the zones' offsets and the holidays */
	int32_t *holidays;	   /* days off from its calendar, from yesterday on */
	size_t nholidays;
	/* Leads by key (a power-of-two table) and the store cursors per list. */
	struct eng_lead **lh;
	size_t lh_cap, nleads;
	int64_t *after;
	bool *exhausted;
	unsigned loads_out; /* batch reads the worker has not answered */
	bool dnc_loaded;
	/* Time zones of the leads: index → name and calendar (for the UTC offset). */
	char **zone_names;
	struct ivr_calendar **zones;
	size_t nzones, zones_cap;
	uint16_t default_zone;
	/* The pacer's agents are the tenant's users by index. */
	uint8_t *agent_state;
	size_t nagents;
	struct eng_attempt *attempts;
	size_t active;
	struct eng_preview *previews; /* leads held for agents (campaign_preview.c) */
	struct camp_counts total, today;
	int64_t day_end_ms; /* the tenant's next midnight: today's figures restart */
	char abandon_path[512], amd_path[512];
	bool dirty; /* changed since the last campaign.stats */
};

struct eng_dialer {
	struct engine *e;
	struct eng_campaign **v;
	size_t n;
	su_timer_t *tick;
	/* The store worker (campaign_store.c). */
	pthread_t th;
	bool th_started;
	struct mq *req, *rep;
	su_wait_t wait;
	int reg;
	uint64_t writes_failed;
	size_t cap;
	/* The last answered attempts, by interaction: a disposition given after the
	 * wrap-up still reaches the lead (campaign_late.c). A ring, allocated on first use. */
	struct camp_recent *recent;
	size_t recent_next;
	/* Every campaign configuration parsed (the file's at start and at each reload, each
	 * one the API wrote): calls and leads read them, so they stay until the stop. */
	struct camp_block *blocks;
};

struct camp_block {
	struct dialer_campaign *v;
	size_t n;
	struct camp_block *next;
};

/* ---- campaign_store.c ---- */

enum cw_kind {
	CW_LOAD = 1,
	CW_DNC,
	CW_LEAD,
	CW_ATTEMPT,
	CW_DNC_PUT,
	CW_GET,	     /* one lead by id, whatever its state (campaign_late.c) */
	CW_DNC_GONE, /* a number off a do-not-call list: still on another? its leads closed for it
		      */
	CW_STOP
};

/* A request to the worker (heap-allocated; its pointer goes through the queue). */
struct cw_req {
	enum cw_kind kind;
	struct eng_campaign *cp; /* a cookie for the reply; never read by the worker */
	char tenant[64], campaign[64], list[64];
	uint16_t list_idx;
	int64_t after;
	int64_t now_ms;
	/* CW_LEAD */
	struct store_lead lead;
	char state[16], result[24], disposition[40], agent[64];
	/* CW_DNC_PUT, CW_DNC_GONE */
	char phone[CRM_E164_SIZE];
	/* CW_GET */
	int64_t lead_id;
	void *pend; /* CW_GET: what waits for the lead (struct camp_pend), never read there */
	/* CW_ATTEMPT */
	struct store_attempt att;
	char ix[CRM_ID_SIZE];
};

/* A lead as read by the worker (strings owned). */
struct cw_lead {
	int64_t id;
	char *phone, *name, *tz, *fields;
	int priority, attempts, day_attempts, day;
	int64_t next_ms;
	char *state;
	char *callback_agent; /* a callback's agent, "*" for anyone; NULL: not a callback */
	char *last_result;    /* CW_GET, CW_DNC_GONE only */
};

/* The worker's answer to CW_LOAD or CW_DNC (heap-allocated, owned by the engine). */
struct cw_rep {
	enum cw_kind kind;
	struct eng_campaign *cp;
	uint16_t list_idx;
	int err;
	struct cw_lead *leads;
	size_t n;
	bool more;     /* the list may have more leads after these */
	char **phones; /* CW_DNC */
	size_t nphones;
	void *pend; /* CW_GET: the request's */
	bool still; /* CW_DNC_GONE: the number is on another list of the campaign's */
	char phone[CRM_E164_SIZE]; /* CW_DNC_GONE */
};

int eng__camp_worker_start(struct eng_dialer *d);
void eng__camp_worker_stop(struct eng_dialer *d);
/* Queues a request (taken over, freed on failure). 0 or ENOBUFS (logged). */
int eng__camp_worker_send(struct eng_dialer *d, struct cw_req *r);
void eng__camp_rep_free(struct cw_rep *r);

/* ---- campaign.c ---- */

/* A batch of leads or the do-not-call numbers came back. */
void eng__camp_loaded(struct eng_campaign *cp, struct cw_rep *r);
/* Writes lead l's state (st, result, disposition; NULL keeps it) through the worker. */
void eng__camp_lead_write(struct eng_campaign *cp, struct eng_lead *l,
			  const struct dialer_lead_status *st, const char *result,
			  const char *disposition);
void eng__camp_attempt_write(struct eng_campaign *cp, const struct eng_attempt *a,
			     const char *result);
/* Puts `phone` on the campaign's do-not-call list (in memory now, in the store after). */
void eng__camp_dnc_put(struct eng_campaign *cp, const char *phone);
/* Puts `phone` on the tenant's do-not-call list: every campaign of cp's tenant stops
 * calling it at once; the store has it after. */
void eng__camp_dnc_put_tenant(struct eng_campaign *cp, const char *phone);
/* Reads the do-not-call numbers again (added to the set in memory). */
void eng__camp_dnc_reload(struct eng_campaign *cp);
/* Applies a disposition's do-not-call list to lead l's number. */
void eng__camp_dnc_apply(struct eng_campaign *cp, const char *phone, enum eng_camp_dnc dnc);
void eng__camp_dirty(struct eng_campaign *cp);
struct eng_lead *eng__camp_lead_get(struct eng_campaign *cp, uint64_t key);
/* Forgets a closed lead (the store keeps it; the batch cursor is past it). */
void eng__camp_lead_forget(struct eng_campaign *cp, struct eng_lead *l);
struct eng_campaign *eng__camp_find(struct engine *e, struct eng_tenant *t, const char *id);
/* Starts, pauses or stops a campaign. 0 or EINVAL (unknown action). */
int eng__camp_control(struct eng_campaign *cp, const char *action);
const char *eng__camp_state_name(enum camp_state s);
/* Counts today's and all figures: field is an offset in struct camp_counts. */
void eng__camp_count(struct eng_campaign *cp, size_t field);
#define CAMP_COUNT(cp, f) eng__camp_count(cp, offsetof(struct camp_counts, f))

/* Keeps parsed configurations v[0..n) until the stop (taken over; freed at once when
 * out of memory, then ENOMEM). */
int eng__camp_keep(struct eng_dialer *d, struct dialer_campaign *v, size_t n);
/* The dialer, made (with its worker and its tick) when the first campaign comes. */
int eng__dialer_ensure(struct engine *e, struct eng_dialer **out);
/* Starts campaign cfg (kept by eng__camp_keep) in t, running unless it says paused;
 * config (stolen) is what was written. 0, ENOMEM. */
int eng__camp_add(struct engine *e, struct eng_tenant *t, const struct dialer_campaign *cfg,
		  bool api, json_t *config, struct eng_campaign **out);
/* Applies changed settings to a running campaign, keeping its leads and figures; a
 * change of lists reads them again once its calls in progress have ended. config is
 * stolen. 0, or EINVAL (the campaign's rules were refused: nothing changed). */
int eng__camp_change(struct eng_campaign *cp, const struct dialer_campaign *cfg, json_t *config);
/* Stops and removes a campaign: no new call; calls in progress finish. */
void eng__camp_remove(struct eng_campaign *cp);

/* Takes lead x of list `list` into memory (a batch's: `advance` moves the list's cursor
 * past it; a lead read alone does not). The lead in memory, or NULL (out of memory, or
 * refused by the lead set). */
struct eng_lead *eng__camp_take(struct eng_campaign *cp, uint16_t list, const struct cw_lead *x,
				bool advance);

/* ---- campaign_late.c ---- */

/* An answered attempt remembered after its call (a ring of CAMP_RECENT, kept
 * CAMP_RECENT_MS). */
#define CAMP_RECENT    4096
#define CAMP_RECENT_MS (24 * 3600 * 1000LL)
struct camp_recent {
	char ix[CRM_ID_SIZE];
	const struct eng_tenant *t;
	char campaign[64], list[64], agent[64];
	int64_t lead, ended_ms;
	uint32_t attempt;
};

/* What waits for a lead read from the store. */
struct camp_pend {
	enum { PEND_CALLBACK, PEND_DISPOSE } kind;
	struct api_cmd m; /* its args held */
	struct camp_recent rec;
};

/* Frees what waited for a lead (at the stop: its request unanswered). */
void eng__camp_pend_free(void *p);
/* Remembers attempt a of call c, which reached a person, when its call ends. */
void eng__camp_recent_put(const struct call *c, const struct eng_attempt *a);
void eng__camp_recent_free(struct eng_dialer *d);
/* Reads lead `id` of list `list` of cp from the store for p (taken over). 0, or an errno
 * (p freed, nothing asked). */
int eng__camp_fetch(struct eng_campaign *cp, uint16_t list, int64_t id, struct camp_pend *p);
/* The store's answer to CW_GET or CW_DNC_GONE. */
void eng__camp_fetched(struct eng_campaign *cp, struct cw_rep *r);
/* A number off a do-not-call list (the tenant's, or campaign's): asks the store whether
 * it is still on the other, and for the campaign's leads closed for it. */
void eng__camp_dnc_gone(struct eng_campaign *cp, const char *phone);
/* Agents' callbacks due past the campaign's grace whose agent is logged out of the queue
 * go to the campaign. */
void eng__camp_callbacks_release(struct eng_campaign *cp, int64_t now);

/* ---- campaign_live.c ---- */

/* What refers to `name` of `kind` (queue, trunk, flow, calendar) among t's running
 * campaigns, written to why; false when none does. */
bool eng__camp_uses(struct engine *e, struct eng_tenant *t, enum dialer_ref kind, const char *name,
		    char *why, size_t size);

/* ---- campaign_call.c ---- */

/* Places the call of a picked lead. 0 or errno (the attempt is then recorded). */
int eng__camp_dial(struct eng_campaign *cp, struct eng_lead *l, uint32_t attempt);
/* The same for a preview: the person who answers is put through to agent u. */
int eng__camp_dial_for(struct eng_campaign *cp, struct eng_lead *l, uint32_t attempt,
		       struct eng_user *u);
void eng__camp_attempt_abort(struct eng_attempt *a);

/* ---- campaign_result.c (pure) ---- */

/* The result of an attempt that ended before an answer: final status (0: none),
 * whether our ring timeout ended it. */
enum dialer_result eng__camp_result_unanswered(int status, bool timed_out);
/* AMD's verdict (enum media_amd_result) as a result: PERSON, MACHINE or FAX. */
enum dialer_result eng__camp_result_amd(int amd);
/* The stored state name of a lead status ("ready", "dialing", "waiting", "done"). */
const char *eng__camp_lead_state_name(enum dialer_lead_state s);
/* What an agent's disposition `code` does to a lead in campaign cfg: *d and *at_ms (for
 * RETRY, now + its delay; CALLBACK: at `callback_ms`, or now + 1 h without one); *dnc
 * the do-not-call list the number goes on. ENOENT when the campaign does not list the
 * code (the result's own rule then applies). */
int eng__camp_disposition(const struct dialer_campaign *cfg, const char *code, int64_t now_ms,
			  int64_t callback_ms, enum dialer_dispose *d, int64_t *at_ms,
			  enum eng_camp_dnc *dnc);

/* The instant of wall-clock time `local_ms` (a local time written as if UTC) in zone
 * `zone` of cp. */
int64_t eng__camp_local_to_utc(struct eng_campaign *cp, uint16_t zone, int64_t local_ms);

/* ---- campaign_callback.c ---- */

/* API_OP_CAMPAIGN_CALLBACK: args {list, lead, at, agent?}. A lead not in memory is read
 * from the store first (`fetched` says it was: not read again). */
void eng__camp_callback(struct engine *e, struct eng_campaign *cp, const struct api_cmd *m);
void eng__camp_callback_run(struct engine *e, struct eng_campaign *cp, const struct api_cmd *m,
			    bool fetched);
/* The callback's time and agent from `cb` ({at, agent?}) for a lead in zone `zone`:
 * *at (UTC), *who (a user index, UINT32_MAX: the campaign). 0, or EINVAL after replying
 * 400 or 403 to m (prefix names the object in the field: "callback." or ""). */
int eng__camp_cb_parse(struct engine *e, struct eng_campaign *cp, uint16_t zone, json_t *cb,
		       const struct api_cmd *m, const char *prefix, int64_t *at, uint32_t *who);

/* ---- campaign_preview.c ---- */

struct eng_preview;
/* API_OP_CAMPAIGN_PREVIEW for the calling agent: args {action: next | dial | skip}. */
void eng__camp_preview(struct engine *e, struct eng_campaign *cp, const struct api_cmd *m);
void eng__camp_previews_free(struct eng_campaign *cp);
/* Gives back every lead held for an agent (the attempts are not counted). */
void eng__camp_previews_release(struct eng_campaign *cp);

/* ---- campaign_api.c ---- */

json_t *eng__camp_json(struct eng_campaign *cp, bool detail);

#endif
