/*
 * The outbound dialer as a pure library: the pacing of a campaign (how many calls to
 * place now) and the choice of the next lead to call (priorities, attempts, retry
 * delays, calling window in the lead's local time, holidays, do-not-call, callbacks).
 * It does no I/O, starts no thread and reads no clock: every call that depends on time
 * takes `now_ms` (milliseconds since the Unix epoch, UTC) from the caller. The live
 * engine drives it with real events; the unit tests and `centrala simulate` drive the
 * very same code with virtual time.
 *
 * Two objects, both per campaign and owned by the caller's thread (the engine thread):
 *
 * - struct dialer_pacer counts what the campaign is doing (agents free, talking, in
 *   wrap-up; calls ringing; persons waiting for an agent), learns live estimates (answer
 *   rate, time to answer, handle time, wrap-up) and answers dialer_pacer_want(): the
 *   number of calls to start now. Predictive mode dials ahead so that the expected
 *   share of persons who find no agent stays under a target, and the target follows
 *   the abandonment rate measured over the campaign's window so that the rate's upper
 *   95% confidence bound (Wilson score, one-sided) stays under the cap; when the bound
 *   reaches the cap the pacer falls back to progressive (one call per free agent), which
 *   never abandons a call while agents keep their word.
 *
 * - struct dialer_leads holds the leads the engine has fetched (in batches, from the
 *   store) and hands out the next one to dial in O(log n): callbacks that are due
 *   first, then by priority, then by the time they became due. A lead outside its
 *   calling window, over its attempts for the day or waiting for a retry delay sleeps in
 *   a timer heap until the minute it may be called; nothing scans all leads. Do-not-call
 *   numbers are checked when a lead is picked, not only when it is loaded.
 *
 * Time zones: a lead carries a small zone index chosen by the caller; the caller's
 * dialer_utc_offset_h turns (zone, instant) into the offset from UTC (the engine backs it
 * with the tz database through ivr calendars; tests with fixed offsets). Holidays are
 * local dates (days since 1970-01-01) on which nobody is called.
 *
 * Errors: functions return 0 or a positive errno value (EINVAL for bad arguments,
 * ENOENT for an unknown lead, EEXIST for a duplicate, ENOMEM); outputs are written only
 * on success, and a call that fails has changed nothing.
 *
 * Memory: each object owns what it allocates; *_free() releases it all. Adding leads
 * and agents may allocate; picking a lead and pacing decisions do not.
 */
#ifndef CENTRALA_DIALER_DIALER_H
#define CENTRALA_DIALER_DIALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIALER_NEVER INT64_MAX

/* What a campaign does with its agents (DOMAIN.md, "Modes"). */
enum dialer_mode {
	DIALER_PREVIEW,	    /* the agent sees the lead, then dials or skips */
	DIALER_PROGRESSIVE, /* one call per free agent */
	DIALER_PREDICTIVE,  /* more calls than free agents, paced under the cap */
	DIALER_AGENTLESS,   /* a flow runs on answer; `lines` calls at a time */
	DIALER_MODE_COUNT
};

/* The result of one attempt. SIP answers map to them with dialer_result_from_sip(). */
enum dialer_result {
	DIALER_R_BUSY,	    /* 486, 600 */
	DIALER_R_NO_ANSWER, /* ring timeout, 480, 408 */
	DIALER_R_REJECTED,  /* 603 */
	DIALER_R_INVALID,   /* 404, 484: the number does not exist */
	DIALER_R_NETWORK,   /* 503, other failures, transport errors */
	DIALER_R_PERSON,    /* answered by a person (or AMD unsure / not running) */
	DIALER_R_MACHINE,   /* answered by an answering machine */
	DIALER_R_FAX,	    /* answered by a fax */
	DIALER_R_ABANDONED, /* a person answered and no agent came within 2 s */
	DIALER_R_COUNT
};

/* Answering-machine detection's verdict; UNSURE is handled as a person. */
enum dialer_amd {
	DIALER_AMD_PERSON,
	DIALER_AMD_MACHINE,
	DIALER_AMD_UNSURE,
};

/* "busy", "no_answer", ... (the config's and the API's spelling); NULL when out of range. */
const char *dialer_result_name(enum dialer_result r);
/* Parses a result name; returns 0 or EINVAL. */
int dialer_result_parse(const char *s, enum dialer_result *out);
/* "preview", "progressive", "predictive", "agentless". */
const char *dialer_mode_name(enum dialer_mode m);
int dialer_mode_parse(const char *s, enum dialer_mode *out);
/* The result of a call that ended with final SIP status `status` before an answer
 * (0: no final response, i.e. a transport error or a local timeout, `timed_out` tells
 * which). A 2xx is DIALER_R_PERSON until AMD says otherwise. */
enum dialer_result dialer_result_from_sip(int status, bool timed_out);
/* Parses a share: "3%", "0.03" or "3" (a bare number above 1 is a percentage) into
 * 0..1. Returns 0 or EINVAL. */
int dialer_parse_share(const char *s, double *out);
/* PERSON for PERSON and UNSURE, MACHINE for MACHINE. */
enum dialer_result dialer_result_from_amd(enum dialer_amd v);

/* ---------------------------------------------------------------------------------
 * Pacing
 * --------------------------------------------------------------------------------- */

struct dialer_pacer;

/* What an agent of the campaign is doing, as far as pacing cares. */
enum dialer_agent_state {
	DIALER_AGENT_AWAY, /* logged out, not ready, or busy elsewhere (inbound first) */
	DIALER_AGENT_FREE, /* ready for a campaign call */
	DIALER_AGENT_TALK, /* on a campaign call */
	DIALER_AGENT_WRAP, /* after-call work */
};

struct dialer_pacer_params {
	enum dialer_mode mode;
	double abandon_cap;	/* 0 < cap < 1; 0.03 when 0 */
	uint64_t window_ms;	/* measuring window of the cap; 30 days when 0 */
	uint32_t lines;		/* agentless: calls at a time; others: a ceiling (0: none) */
	double max_ratio;	/* predictive: at most this many calls per available agent
				   (0: 10) */
	double prior_answer;	/* share of calls answered by a person before any is seen
				   (0: 0.25) */
	double prior_ring_s;	/* time to answer before any is seen (0: 10 s) */
	double prior_handle_s;	/* talk time before any is seen (0: 180 s) */
	double prior_wrap_s;	/* wrap-up before any is seen (0: 30 s) */
	double connect_grace_s; /* a person waits this long for an agent (0: 2 s) */
};

/* Live figures of a campaign's pacing (API, simulate, logs). */
struct dialer_pacer_figures {
	uint32_t agents_free, agents_talk, agents_wrap, agents_away;
	uint32_t dialing; /* calls started and not answered or failed yet */
	uint32_t waiting; /* persons answered and not yet connected */
	uint64_t dialed, answered_person, answered_machine, connected, abandoned;
	uint64_t window_person, window_abandoned; /* over the cap's window */
	double window_rate;			  /* abandoned / person over the window */
	double window_upper;			  /* its upper 95% confidence bound */
	double target;	   /* share of persons the next dials may leave unserved */
	bool at_risk;	   /* predictive held back to progressive by the cap */
	double est_answer; /* person answers per dial */
	double est_ring_s, est_handle_s, est_wrap_s;
	double dial_ratio; /* calls dialing per agent free or about to be */
};

/* Creates a pacer for a campaign of at most `max_agents` agents (ids 0..max_agents-1,
 * the caller's indexes), all AWAY. Returns 0, EINVAL or ENOMEM. */
int dialer_pacer_new(const struct dialer_pacer_params *p, uint32_t max_agents, uint64_t now_ms,
		     struct dialer_pacer **out);
void dialer_pacer_free(struct dialer_pacer *p);
/* Changes the mode (a supervisor's choice), keeping the estimates. */
void dialer_pacer_set_mode(struct dialer_pacer *p, enum dialer_mode m);
enum dialer_mode dialer_pacer_mode(const struct dialer_pacer *p);
/* A campaign's changed settings (mode, cap, its window, lines, ratio, grace), keeping
 * the agents, the calls counted and the estimates; a cap window of another length
 * starts its count again. The priors are not changed. 0 or EINVAL (nothing changed). */
int dialer_pacer_set_params(struct dialer_pacer *p, const struct dialer_pacer_params *params);

/* Agent `agent` is now in state `st`; a TALK or WRAP that ends teaches the handle time
 * or wrap-up estimate. Returns 0 or EINVAL (agent out of range). */
int dialer_pacer_agent(struct dialer_pacer *p, uint32_t agent, enum dialer_agent_state st,
		       uint64_t now_ms);
/* A call was started. */
void dialer_pacer_dialed(struct dialer_pacer *p, uint64_t now_ms);
/* A call started earlier ended its ringing with result r after ring_ms: a PERSON now
 * waits for an agent (dialer_pacer_connected() or dialer_pacer_abandoned() follows); any
 * other result ends the call for pacing. ABANDONED is refused here (EINVAL). */
int dialer_pacer_outcome(struct dialer_pacer *p, enum dialer_result r, uint64_t ring_ms,
			 uint64_t now_ms);
/* A waiting person was connected to an agent (the agent's TALK is reported apart). */
void dialer_pacer_connected(struct dialer_pacer *p, uint64_t now_ms);
/* A waiting person found no agent within the grace time: counted as abandoned. */
void dialer_pacer_abandoned(struct dialer_pacer *p, uint64_t now_ms);

/* How many calls to start now (0 in preview mode, where agents dial themselves). No
 * allocation; cost O(agents + calls dialing). */
uint32_t dialer_pacer_want(struct dialer_pacer *p, uint64_t now_ms);
void dialer_pacer_figures(struct dialer_pacer *p, uint64_t now_ms,
			  struct dialer_pacer_figures *out);
/* The calls dialing (started, not answered or failed yet) and the persons waiting for an
 * agent: what the campaign holds of its agents now. O(1). */
void dialer_pacer_calls(const struct dialer_pacer *p, uint32_t *dialing, uint32_t *waiting);

/* Upper bound of the one-sided 95% Wilson score interval of k successes in n trials;
 * 1 when n == 0. */
double dialer_wilson_upper(uint64_t k, uint64_t n);

/* ---------------------------------------------------------------------------------
 * Leads
 * --------------------------------------------------------------------------------- */

struct dialer_leads;

/* Offset of zone `tz` from UTC, in seconds, at `epoch_ms` (DST-correct). */
typedef int32_t(dialer_utc_offset_h)(void *arg, uint16_t tz, int64_t epoch_ms);

struct dialer_rules {
	uint32_t max_attempts;		   /* per lead, all days (0: 3) */
	uint32_t max_per_day;		   /* per lead and local day (0: no limit) */
	uint64_t retry_ms[DIALER_R_COUNT]; /* delay before the next attempt per result */
	bool closes[DIALER_R_COUNT];	   /* results that close the lead */
	uint16_t window_from, window_to;   /* local minutes of the day, from < to;
					      both 0: 08:00-21:00 */
	const int32_t *holidays;	   /* local dates, days since 1970-01-01 */
	size_t nholidays;		   /* (copied by dialer_leads_new) */
	dialer_utc_offset_h *utc_offset;   /* NULL: every zone is UTC */
	void *arg;
};

/* Fills `r` with the defaults: 3 attempts, no daily limit, retry busy 10 min,
 * no answer 1 h, rejected 4 h, network 15 min, machine 2 h, fax closes, invalid closes,
 * abandoned 72 h (Ofcom), person 1 h (an agent's disposition normally decides first),
 * window 08:00-21:00, no holidays, UTC. */
void dialer_rules_default(struct dialer_rules *r);

/* A lead as loaded from the store. */
struct dialer_lead {
	uint64_t id;	       /* the store's id, unique in the campaign */
	const char *phone;     /* E.164; copied */
	int32_t priority;      /* higher first (the list's priority plus the lead's own) */
	uint16_t tz;	       /* zone index for the utc_offset callback */
	uint32_t attempts;     /* made so far */
	uint32_t day_attempts; /* made on local day `day` */
	int32_t day;
	int64_t next_ms; /* not before this instant (0: now) */
	bool callback;	 /* next_ms is a scheduled callback */
	uint32_t agent;	 /* callback to this agent (UINT32_MAX: the campaign) */
	bool done;	 /* closed already (read back for a callback or a late disposition) */
	bool person;	 /* its last attempt reached a person (a disposition may follow) */
};

/* What dialer_leads_next() hands out. */
enum dialer_pick_kind {
	DIALER_PICK_DIAL, /* dial `phone` now (the attempt is counted) */
	DIALER_PICK_DNC,  /* the number is on a do-not-call list: the lead was closed */
};

struct dialer_pick {
	enum dialer_pick_kind kind;
	uint64_t id;
	const char *phone; /* valid until the lead is removed or the object freed */
	uint32_t attempt;  /* 1 for the first */
	bool callback;
	uint32_t agent; /* callback's agent, UINT32_MAX for any */
};

/* Where a lead stands after a result or a disposition (for the store). */
enum dialer_lead_state {
	DIALER_LEAD_READY,   /* may be dialed when due and inside its window */
	DIALER_LEAD_DIALING, /* an attempt is in progress */
	DIALER_LEAD_WAITING, /* answered, waiting for the agent's disposition */
	DIALER_LEAD_DONE,    /* closed */
};

struct dialer_lead_status {
	enum dialer_lead_state state;
	uint32_t attempts;
	int64_t next_ms; /* READY: not before; DIALER_NEVER when DONE */
	enum dialer_result last;
	bool callback;	/* READY: next_ms is a callback */
	uint32_t agent; /* the callback's agent, UINT32_MAX for anyone */
};

int dialer_leads_new(const struct dialer_rules *r, struct dialer_leads **out);
/* A campaign's changed rules (window, holidays, attempts, retry delays, closing results)
 * for the leads held, which keep their state: a lead asleep for the old window, daily
 * limit or holidays is checked again at the next pick; a retry delay already set or a
 * callback keeps its time. 0, EINVAL (a bad window: nothing changed) or ENOMEM. */
int dialer_leads_set_rules(struct dialer_leads *l, const struct dialer_rules *r);
void dialer_leads_free(struct dialer_leads *l);

/* Adds a lead (READY, or DONE when `done` or when it has used its attempts and is no
 * callback). EEXIST when the id is known, EINVAL for an empty phone. */
int dialer_leads_add(struct dialer_leads *l, const struct dialer_lead *in);
/* Forgets a lead (a list removed from the campaign); ENOENT, or EBUSY while dialing. */
int dialer_leads_remove(struct dialer_leads *l, uint64_t id);
/* Leads not DONE (ready, sleeping, dialing or waiting for a disposition). */
size_t dialer_leads_open(const struct dialer_leads *l);

/* Do-not-call numbers (E.164), checked at each pick. Returns 0 or ENOMEM. */
int dialer_dnc_add(struct dialer_leads *l, const char *phone);
int dialer_dnc_remove(struct dialer_leads *l, const char *phone);
bool dialer_dnc_has(const struct dialer_leads *l, const char *phone);

/*
 * The next lead to act on at `now_ms`: callbacks that are due first, then the highest
 * priority, then the earliest due. A lead whose local time is outside the window, on a
 * holiday or over its daily attempts is put to sleep until its next opening; a lead on
 * a DNC list is closed and handed out as DIALER_PICK_DNC so the caller can record it.
 * A DIAL pick counts the attempt and makes the lead DIALING. `agent` filters callbacks
 * meant for one agent: UINT32_MAX takes only callbacks for the campaign and ordinary
 * leads, an agent id takes that agent's callbacks too (preview and progressive dial for
 * a known agent). Returns 0 and *out, or ENOENT when nothing is due.
 */
int dialer_leads_next(struct dialer_leads *l, int64_t now_ms, uint32_t agent,
		      struct dialer_pick *out);
/* The earliest instant at which dialer_leads_next() may find something it does not
 * find now (a retry delay, a window opening, a callback); DIALER_NEVER when none. */
int64_t dialer_leads_wake(const struct dialer_leads *l);

/* The attempt of lead `id` ended with `r`. PERSON makes it WAITING for a disposition;
 * a closing result or the last attempt closes it; any other result makes it READY
 * after the rule's retry delay. Writes the new status to *out (may be NULL). */
int dialer_leads_result(struct dialer_leads *l, uint64_t id, enum dialer_result r, int64_t now_ms,
			struct dialer_lead_status *out);
/* An agent's disposition of a lead (DIALING or WAITING, or READY or DONE when its last
 * attempt reached a person: a disposition given after the call replaces the retry or
 * the closing the result made, as long as the lead was not picked again): close it, or
 * retry it at
 * `at_ms` (a lead that has used its attempts is closed instead), or call back at `at_ms`
 * (to `agent`, UINT32_MAX for anyone; made even when the attempts are used up, since
 * the person asked for it). Returns 0, ENOENT, or EINVAL in another state. */
enum dialer_dispose {
	DIALER_DISPOSE_CLOSE,
	DIALER_DISPOSE_RETRY,
	DIALER_DISPOSE_CALLBACK,
};
int dialer_leads_dispose(struct dialer_leads *l, uint64_t id, enum dialer_dispose d, int64_t at_ms,
			 uint32_t agent, struct dialer_lead_status *out);
/* Schedules a callback of a READY lead (asleep or due, whatever its last result) or of
 * a closed one (opened again) at `at_ms` to `agent` (UINT32_MAX: anyone), replacing its
 * next time; made even when its attempts are used up. Returns 0, ENOENT, or EBUSY when
 * the lead is dialing or waiting for a disposition. */
int dialer_leads_callback(struct dialer_leads *l, uint64_t id, int64_t at_ms, uint32_t agent,
			  struct dialer_lead_status *out);
/* Whether agent `agent` can take its callbacks (logged in to the campaign's queue). */
typedef bool(dialer_present_h)(void *arg, uint32_t agent);
/* Hands one agent's callbacks to the campaign (anyone) when they have been due for
 * `grace_ms` at `now_ms` and `present` says the agent is away; they keep their place
 * before other leads. Writes the ids of the leads handed over to ids[0..max) and
 * returns how many there were (more may be handed over than fit). O(callbacks due for
 * one agent). */
size_t dialer_leads_release(struct dialer_leads *l, int64_t now_ms, int64_t grace_ms,
			    dialer_present_h *present, void *arg, uint64_t *ids, size_t max);
/* Puts back a lead that was picked but not dialed (preview skipped, no line): the
 * attempt is not counted. */
int dialer_leads_unpick(struct dialer_leads *l, uint64_t id, int64_t now_ms);
int dialer_leads_status(const struct dialer_leads *l, uint64_t id, struct dialer_lead_status *out);

/* The IANA zone of an E.164 number's country when that country (or the region its
 * prefix names, such as the Canary Islands) keeps one zone: "+48..." gives
 * "Europe/Warsaw". NULL for a country with several zones (+1, +7, +52, +55, +61, ...)
 * or one not in the table: the lead's `timezone` or the campaign's then decides. */
const char *dialer_zone_of_number(const char *e164);
/* Local day (days since 1970-01-01) and minute of the day of `epoch_ms` at offset
 * `offset_s`. */
void dialer_local(int64_t epoch_ms, int32_t offset_s, int32_t *day, int32_t *minute);
/* True when the lead's zone is inside the rules' window and not on a holiday. */
bool dialer_in_window(const struct dialer_rules *r, uint16_t tz, int64_t epoch_ms);

/* ---------------------------------------------------------------------------------
 * Simulation: a campaign's day with virtual time, on the pacer above (what
 * `centrala simulate` runs for a scenario with `campaign:`, and what the unit tests
 * run over many seeds). Numbers are drawn from an endless list; agents are always
 * logged in, take every call, talk for a drawn time and wrap up.
 * --------------------------------------------------------------------------------- */

enum dialer_dist_kind {
	DIALER_DIST_EXPONENTIAL,
	DIALER_DIST_FIXED,
	DIALER_DIST_NORMAL,
	DIALER_DIST_LOGNORMAL,
	DIALER_DIST_UNIFORM,
};

/* A distribution of durations in seconds. */
struct dialer_dist {
	enum dialer_dist_kind kind;
	double mean, sd, min, max;
};

struct dialer_sim_params {
	struct dialer_pacer_params pacer;
	uint32_t agents;
	uint64_t duration_ms; /* dialing stops then; calls in progress end */
	uint64_t seed;
	double person_rate;	   /* share of calls answered by a person */
	double machine_rate;	   /* by an answering machine */
	struct dialer_dist ring;   /* time to answer of answered calls */
	double ring_timeout_s;	   /* unanswered calls give up after this (0: 25 s) */
	struct dialer_dist handle; /* talk time with a person */
	double wrap_s;		   /* after-call work */
	bool amd;		   /* machines are detected and hung up */
	double amd_s;		   /* time AMD takes to decide (persons wait for it) */
	double machine_talk_s;	   /* without AMD, an agent's time on a machine (0: 15 s) */
};

struct dialer_sim_result {
	uint64_t dialed, person, machine, no_answer, connected, abandoned;
	double abandon_rate;		/* abandoned / person */
	double abandon_upper;		/* its upper 95% bound */
	double risk_share;		/* share of pacing decisions held back by the cap */
	double occupancy;		/* (talk + wrap) / (talk + wrap + free) */
	double work_min_per_agent_hour; /* talk + wrap minutes per agent-hour */
	double calls_per_hour;		/* dials */
	double connects_per_hour;
	double hours;
};

/* Runs a simulated campaign. Returns 0 and *out, EINVAL for bad parameters, ENOMEM. */
int dialer_sim_run(const struct dialer_sim_params *p, struct dialer_sim_result *out);

/* ---------------------------------------------------------------------------------
 * Campaign configuration (DESIGN.md contract 8): a tenant's `campaigns:` in the file,
 * the same fields through the API. Parsed with the core/yaml.h helpers, so every error
 * carries FILE:LINE:COL and the key path.
 * --------------------------------------------------------------------------------- */

struct cy;
struct fy_node;

enum dialer_amd_action {
	DIALER_AMD_CONNECT, /* a machine goes to an agent like a person (default) */
	DIALER_AMD_HANGUP,
	DIALER_AMD_MESSAGE, /* leave `amd_message` after the beep */
};

/* What an agent's disposition code does to the lead. */
enum dialer_disp_action {
	DIALER_DISP_CLOSE,
	DIALER_DISP_RETRY,    /* after retry_ms */
	DIALER_DISP_CALLBACK, /* at the time the agent gives */
	DIALER_DISP_DNC,      /* close, and put the number on the campaign's DNC list */
	DIALER_DISP_OPT_OUT,  /* close, and put the number on the tenant's DNC list */
};

struct dialer_disposition {
	char *code;
	enum dialer_disp_action action;
	uint64_t retry_ms;
};

struct dialer_campaign_list {
	char *id;
	int32_t priority;
};

struct dialer_campaign {
	char *id, *name;
	enum dialer_mode mode;
	char *queue;	       /* agents (all modes but agentless) */
	char *flow;	       /* agentless: the flow run on answer */
	char *trunk;	       /* NULL: the tenant's outbound rules choose */
	char *caller_id;       /* E.164 */
	char *country;	       /* default country of leads' numbers; NULL: the tenant's */
	char *timezone;	       /* zone of leads without one whose country has several;
				  NULL: the tenant's */
	char *holidays;	       /* a tenant calendar whose holidays nobody is called on */
	char *language;	       /* of the abandon message; NULL: the tenant's */
	char *abandon_message; /* text (TTS) or a prompt file played on abandon */
	char *script;	       /* shown to the agent, {{field}} from the lead */
	enum dialer_amd_action amd_action;
	char *amd_message;
	struct dialer_rules rules;	  /* window, attempts, retry delays, closing results */
	struct dialer_pacer_params pacer; /* mode, cap, window, lines */
	uint64_t ring_ms;		  /* ring before giving up (at least 15 s) */
	uint64_t preview_ms;		  /* preview: the agent dials or skips within */
	/* An agent's callback due this long while the agent is logged out of the queue goes
	 * to anyone of the campaign (default 15 min). */
	uint64_t callback_grace_ms;
	struct dialer_campaign_list *lists;
	size_t nlists;
	struct dialer_disposition *dispositions;
	size_t ndispositions;
	bool paused;
	/* Agents of its queue serve the queue's waiting contacts first: the pacer dials
	 * only for the free agents they leave (default true). */
	bool inbound_first;
	int line, col;
};

/* What a campaign may refer to (the caller answers from the tenant's configuration). */
enum dialer_ref {
	DIALER_REF_QUEUE,
	DIALER_REF_FLOW,
	DIALER_REF_TRUNK,
	DIALER_REF_CALENDAR,
	DIALER_REF_DISPOSITION, /* a code of the tenant's `dispositions:` */
};
typedef bool(dialer_exists_h)(void *arg, enum dialer_ref kind, const char *name);

/*
 * Parses the sequence `n` of campaigns at key path `path` ("tenants[0].campaigns"),
 * recording every error in `c`. `exists` (NULL: no reference is checked) answers for
 * queues, flows, trunks, calendars and disposition codes. Returns 0 with *out and *count
 * when no error was recorded, EINVAL (nothing written) or ENOMEM.
 */
int dialer_campaigns_parse(struct cy *c, struct fy_node *n, const char *path,
			   dialer_exists_h *exists, void *arg, struct dialer_campaign **out,
			   size_t *count);
void dialer_campaigns_free(struct dialer_campaign *v, size_t n);

#endif
