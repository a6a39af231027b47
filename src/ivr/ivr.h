/*
 * IVR: the flow model, its loader and validator, business-hours calendars, the `say`
 * grammar of numbers in several languages, and the interpreter that runs one caller
 * through a flow.
 *
 * The interpreter is pure: it does no I/O and never reads a clock. The engine drives a
 * session and carries out what it asks for:
 *
 *   ivr_session_start(flow, vars, n, now, &s);
 *   loop {
 *       n = ivr_session_actions(s, &acts);    perform acts[0..n) in order
 *       if (ivr_session_done(s)) break;       (copy the path log, free the session)
 *       wake = ivr_session_wake_at(s);        arm a timer for it (0: none)
 *       wait for a digit, a play end, the timer, a lookup/HTTP/record/transfer result or
 *       the caller hanging up, then ivr_session_event(s, &ev, now);
 *   }
 *
 * Actions, their strings and their media items stay valid until the next call into the
 * session. Times are wall-clock milliseconds since the Unix epoch (the same clock for
 * `now` and for the wake-up deadline), so that calendars see the real date.
 *
 * Loading (config time, may read files): flows are kept as YAML nodes by the config and
 * parsed here with the core/yaml.h helpers; every problem is recorded in the struct cy
 * as "FILE:LINE:COL: KEY.PATH: message". The model does not depend on YAML, so a JSON
 * loader can build the same structures later.
 *
 * Memory: flows, flow sets, calendars and sessions are owned by their creator and freed
 * with their _free function. A flow keeps pointers to the calendars given in its
 * ivr_env, which must outlive it. Threading: none of this is thread-safe; the engine
 * thread is the only caller (loading may happen on the thread that loads the config).
 */
#ifndef CENTRALA_IVR_H
#define CENTRALA_IVR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cy;
struct fy_node;
struct cfg_named_node;
struct ivr_calendar;
struct ivr_flow;
struct ivr_flowset;
struct ivr_session;

/* A name and a value; both NUL-terminated. */
struct ivr_kv {
	const char *name;
	const char *value;
};

/* ---------------------------------------------------------------------------------
 * Business-hours calendars (also used by the engine for queue hours)
 * --------------------------------------------------------------------------------- */

enum ivr_hours_state {
	IVR_HOURS_OPEN,
	IVR_HOURS_CLOSED,  /* outside the weekly hours */
	IVR_HOURS_HOLIDAY, /* a holiday (or outside a holiday's special hours) */
};

/*
 * Parses a calendar from mapping `n` (key path `path`, used in messages):
 *   {timezone: Europe/Warsaw, weekly: {mon-fri: "08:00-18:00", sat: "09:00-13:00"},
 *    holidays: ["2026-12-25", "12-26", {date: 2026-12-24, hours: "08:00-12:00"},
 *               {from: 2026-07-01, to: 2026-07-14}]}
 * `name` names it for flows (NULL for an inline calendar); `default_tz` is used when the
 * calendar has no timezone (NULL: UTC). The timezone is read once from the system tz
 * database (TZDIR or /usr/share/zoneinfo), so lookups never touch the TZ environment.
 * Returns 0 and *out, EINVAL after recording errors in `c` (nothing written), or ENOMEM.
 */
int ivr_calendar_load(struct cy *c, struct fy_node *n, const char *path, const char *name,
		      const char *default_tz, struct ivr_calendar **out);
/* Convenience for tenant `calendars:` entries. */
int ivr_calendar_load_named(struct cy *c, const struct cfg_named_node *def, const char *default_tz,
			    struct ivr_calendar **out);
void ivr_calendar_free(struct ivr_calendar *cal);
const char *ivr_calendar_name(const struct ivr_calendar *cal);
/* The state at `epoch_ms`, DST-correct in the calendar's timezone. */
enum ivr_hours_state ivr_calendar_state(const struct ivr_calendar *cal, int64_t epoch_ms);
bool ivr_calendar_is_open(const struct ivr_calendar *cal, int64_t epoch_ms);
/* The first minute boundary after `epoch_ms` and before `epoch_ms + horizon_ms` at which
 * the state changes, or 0 when it does not change within the horizon (for a queue's
 * open/close timer). */
int64_t ivr_calendar_next_change(const struct ivr_calendar *cal, int64_t epoch_ms,
				 int64_t horizon_ms);
/* The dates (days since 1970-01-01) from `from_day` to `to_day` that the calendar lists
 * as holidays (yearly ones and ranges; with or without special hours), in order, at
 * most `max` written to out. Returns how many were written. */
size_t ivr_calendar_holidays(const struct ivr_calendar *cal, int64_t from_day, int64_t to_day,
			     int32_t *out, size_t max);
/* Offset from UTC in seconds at `epoch_ms` in the calendar's timezone. */
int32_t ivr_calendar_utc_offset(const struct ivr_calendar *cal, int64_t epoch_ms);

/* ---------------------------------------------------------------------------------
 * Flows
 * --------------------------------------------------------------------------------- */

enum ivr_ref {
	IVR_REF_QUEUE,
	IVR_REF_USER,
	IVR_REF_FLOW,
	IVR_REF_TRUNK,
};

/* Answers whether a queue/user/flow/trunk of that name exists. */
typedef bool(ivr_exists_h)(void *arg, enum ivr_ref kind, const char *name);

/* What a flow may refer to, given by the loader's caller. */
struct ivr_env {
	ivr_exists_h *exists; /* NULL: names of queues, users, flows, trunks are not checked */
	void *arg;
	const struct ivr_calendar *const *calendars; /* named calendars (outlive the flows) */
	size_t ncalendars;
	const char *prompt_dir; /* prompt sets: <prompt_dir>/<lang>/<name>.wav; "prompts" */
	const char *language;	/* default language of flows without `lang:`; "en" */
	const char *timezone;	/* of the time.* variables and inline calendars; "UTC" */
	bool no_file_checks;	/* true: do not check that prompt and audio files exist */
};

/*
 * Parses and validates one flow (`def->node`, key path `def->path`). Errors and warnings
 * (unreachable nodes) are recorded in `c`. Returns 0 and *out when the flow has no error,
 * EINVAL when errors were recorded (nothing written), ENOMEM.
 */
int ivr_flow_load(struct cy *c, const struct cfg_named_node *def, const struct ivr_env *env,
		  struct ivr_flow **out);
void ivr_flow_free(struct ivr_flow *f);
const char *ivr_flow_name(const struct ivr_flow *f);
const char *ivr_flow_language(const struct ivr_flow *f);

/* TTS texts of the flow that contain no variable, so the engine can render them before
 * taking calls: call with *iter = 0 until it returns false. */
bool ivr_flow_static_tts(const struct ivr_flow *f, size_t *iter, const char **text,
			 const char **lang, const char **voice);

/* A tenant's flows. Adding a flow hands it to the set; `goto` nodes find their target in
 * the set of the flow they run in. */
int ivr_flowset_alloc(struct ivr_flowset **out);
/* Returns 0, EEXIST (a flow of that name is already there; f is not taken) or ENOMEM. */
int ivr_flowset_add(struct ivr_flowset *set, struct ivr_flow *f);
const struct ivr_flow *ivr_flowset_find(const struct ivr_flowset *set, const char *name);
/* The i-th flow of the set, NULL past the end (to visit every flow). */
const struct ivr_flow *ivr_flowset_at(const struct ivr_flowset *set, size_t i);
/*
 * Loads every flow of `defs` into a new set, then checks what spans flows (a `goto`
 * cycle that never takes input). Returns 0 and *out when no flow had an error, EINVAL
 * after recording errors (nothing written), ENOMEM.
 */
int ivr_flowset_load(struct cy *c, const struct cfg_named_node *defs, size_t n,
		     const struct ivr_env *env, struct ivr_flowset **out);
void ivr_flowset_free(struct ivr_flowset *set);

/* ---------------------------------------------------------------------------------
 * Sessions: one caller in a flow
 * --------------------------------------------------------------------------------- */

enum ivr_item_kind {
	IVR_ITEM_FILE,	  /* a WAV file: path */
	IVR_ITEM_TTS,	  /* text to synthesise: text, lang, voice (NULL: lang's), rate */
	IVR_ITEM_SILENCE, /* duration_ms of silence */
};

struct ivr_item {
	enum ivr_item_kind kind;
	const char *path;
	const char *text;
	const char *lang;
	const char *voice;
	uint32_t rate; /* words per minute, 0: default */
	uint32_t duration_ms;
};

struct ivr_skill {
	const char *name;
	int level;
};

enum ivr_action_type {
	IVR_ACT_PLAY = 1,  /* play items; report IVR_EV_PLAY_DONE with play.id */
	IVR_ACT_STOP_PLAY, /* stop what plays (a digit barged in); no PLAY_DONE is needed */
	IVR_ACT_COLLECT,   /* digits are now expected (informational: turn on detection; the
			      session enforces the limits and timeouts itself) */
	IVR_ACT_LOOKUP,	   /* find the CRM contact of lookup.number; IVR_EV_LOOKUP_DONE */
	IVR_ACT_HTTP,	   /* run the data dip; IVR_EV_HTTP_DONE with http.id */
	IVR_ACT_ENQUEUE,   /* put the call in queue.queue; the session is done */
	IVR_ACT_TRANSFER,  /* to transfer.user or transfer.number (via trunk); when
			      transfer.wait_result, report IVR_EV_TRANSFER_DONE */
	IVR_ACT_RECORD,	   /* record a voicemail for record.queue; IVR_EV_RECORD_DONE */
	IVR_ACT_CALLBACK,  /* create a callback request; no event expected */
	IVR_ACT_HANGUP,	   /* hang up; the session is done */
};

struct ivr_act_play {
	uint32_t id;
	const struct ivr_item *items;
	size_t nitems;
	bool barge_in; /* a digit stops the play (the session also sends STOP_PLAY) */
};

struct ivr_act_collect {
	unsigned min, max;   /* digits */
	char terminator;     /* 0: none */
	uint32_t timeout_ms; /* for the first digit, after the prompt */
	uint32_t inter_ms;   /* between digits */
};

struct ivr_act_lookup {
	const char *number;
	uint32_t timeout_ms;
};

struct ivr_act_http {
	uint32_t id;
	const char *method; /* "GET" or "POST" */
	const char *url;    /* interpolated */
	const struct ivr_kv *headers;
	size_t nheaders;
	const struct ivr_kv *fields; /* GET: query parameters; POST: a JSON object */
	size_t nfields;
	uint32_t timeout_ms;
};

/* Routing data shared by ENQUEUE, TRANSFER, RECORD and CALLBACK. */
struct ivr_act_route {
	const char *queue;  /* ENQUEUE, RECORD, CALLBACK (NULL: the engine's default) */
	const char *user;   /* TRANSFER to a user */
	const char *number; /* TRANSFER to a number, CALLBACK number */
	const char *trunk;  /* TRANSFER to a number (NULL: the tenant's first trunk) */
	int priority;	    /* 0..100; -1: the queue's default */
	const struct ivr_skill *skills;
	size_t nskills;
	uint32_t max_ms;  /* RECORD: longest message */
	bool wait_result; /* TRANSFER: the flow continues if it fails */
};

struct ivr_action {
	enum ivr_action_type type;
	union {
		struct ivr_act_play play;
		struct ivr_act_collect collect;
		struct ivr_act_lookup lookup;
		struct ivr_act_http http;
		struct ivr_act_route route;
	} u;
};

enum ivr_event_type {
	IVR_EV_DIGIT = 1,     /* digit */
	IVR_EV_PLAY_DONE,     /* id; ok false when the play failed */
	IVR_EV_TIMER,	      /* the wake-up time was reached */
	IVR_EV_LOOKUP_DONE,   /* ok = found; fields = contact fields ("first_name", "vip") */
	IVR_EV_HTTP_DONE,     /* id; status (0: no response); ok; fields; error text */
	IVR_EV_RECORD_DONE,   /* ok = a message was stored; duration_ms */
	IVR_EV_TRANSFER_DONE, /* ok = connected */
	IVR_EV_HANGUP,	      /* the caller hung up */
};

struct ivr_event {
	enum ivr_event_type type;
	char digit;
	uint32_t id;
	bool ok;
	int status;
	const char *error;
	const struct ivr_kv *fields;
	size_t nfields;
	uint32_t duration_ms;
};

/*
 * Starts a session at the flow's start node. `vars` are the call's variables (at least
 * "caller" and "called"; "lang" overrides the flow's language); they are copied.
 * Returns 0 and *out (whose first actions are ready), EINVAL (flow NULL), ENOMEM.
 */
int ivr_session_start(const struct ivr_flow *flow, const struct ivr_kv *vars, size_t nvars,
		      int64_t now_ms, struct ivr_session **out);
/* Feeds one event. Returns 0, or EINVAL for an event that no longer fits the state (the
 * end of a play a digit interrupted, a late HTTP or lookup result, anything after the
 * session is done): it is ignored and the caller may drop it. */
int ivr_session_event(struct ivr_session *s, const struct ivr_event *ev, int64_t now_ms);
/* The actions produced by the last start/event call, in order. */
size_t ivr_session_actions(const struct ivr_session *s, const struct ivr_action **out);
/* When to send IVR_EV_TIMER; 0: no timer. */
int64_t ivr_session_wake_at(const struct ivr_session *s);
/* True once the session handed the call on (queue, transfer, hangup) or the caller left. */
bool ivr_session_done(const struct ivr_session *s);
const char *ivr_session_language(const struct ivr_session *s);
/* A variable's value, or NULL. Includes the computed time.* variables. */
const char *ivr_session_var(const struct ivr_session *s, const char *name);
/* Iterates the stored variables (for attached data / screen pop): *iter = 0 first. */
bool ivr_session_var_next(const struct ivr_session *s, size_t *iter, struct ivr_kv *out);
void ivr_session_free(struct ivr_session *s);

/* The path log: every node entered, digit, timeout, invalid entry, lookup and HTTP
 * result, with times, for the interaction's timeline. */
enum ivr_path_kind {
	IVR_PATH_NODE,	  /* a node was entered; detail = node type */
	IVR_PATH_DIGIT,	  /* detail = the digit(s) accepted */
	IVR_PATH_TIMEOUT, /* no input in time */
	IVR_PATH_INVALID, /* detail = what was entered */
	IVR_PATH_LOOKUP,  /* detail = "found" / "not_found" / "timeout" */
	IVR_PATH_HTTP,	  /* status = HTTP status, detail = "ok" or the error */
	IVR_PATH_HOURS,	  /* detail = "open" / "closed" / "holiday" */
	IVR_PATH_END,	  /* detail = "queue:ID", "transfer:...", "hangup", "caller_hangup" */
	IVR_PATH_ERROR,	  /* detail = what went wrong at run time */
};

struct ivr_path_entry {
	int64_t at_ms;
	enum ivr_path_kind kind;
	const char *flow;
	const char *node;
	const char *detail; /* never NULL */
	int status;
};

/* Iterates the path log in order: *iter = 0 first; false at the end. */
bool ivr_path_next(const struct ivr_session *s, size_t *iter, struct ivr_path_entry *out);
/* "node", "digit", "timeout", "invalid", "lookup", "http", "hours", "end", "error". */
const char *ivr_path_kind_name(enum ivr_path_kind kind);

/* ---------------------------------------------------------------------------------
 * Saying numbers with prompt sets (also for the engine's queue announcements)
 * --------------------------------------------------------------------------------- */

enum ivr_unit {
	IVR_UNIT_NONE,
	IVR_UNIT_MINUTE, /* "5 minutes" with the noun in its grammatical form */
	IVR_UNIT_SECOND,
};

/*
 * Writes into names[0..max) the prompt names (static strings, files
 * <prompt_dir>/<lang>/<name>.wav) that say `n` (0..999999) in `lang` (pl, es, ru, en),
 * followed by the unit's noun in the form the number requires. Returns the count, or 0
 * when the language has no grammar here, n is out of range, or max is too small.
 */
size_t ivr_say_number(const char *lang, long n, enum ivr_unit unit, const char **names, size_t max);
/* True when `lang` has a number grammar and prompt set here. */
bool ivr_say_supported(const char *lang);
/* Writes "<prompt_dir>/<lang>/<name>.wav" into buf; returns buf (truncated if small). */
char *ivr_prompt_path(char *buf, size_t size, const char *prompt_dir, const char *lang,
		      const char *name);

#endif
