/*
 * Private structures of the IVR module: the flow model built by the loader, the
 * timezone reader, expressions, templates and the session state. Nothing outside
 * src/ivr includes this file.
 */
#ifndef CENTRALA_IVR_INT_H
#define CENTRALA_IVR_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivr/ivr.h"

struct cy;
struct fy_node;

#define IVR_MAX_DIGITS	 32   /* longest collect entry and type-ahead buffer */
#define IVR_MAX_VARS	 128  /* variables per session */
#define IVR_MAX_VALUE	 1024 /* longest variable value */
#define IVR_MAX_PATH_LOG 512  /* path entries per session; then "truncated" */
#define IVR_MAX_STEPS	 256  /* node transitions per event before a run-time error */
#define IVR_MAX_ITEMS	 128  /* media items in the actions of one step */
#define IVR_MAX_ACTIONS	 16
#define IVR_MAX_KV	 96 /* headers + fields of the actions of one step */
#define IVR_MAX_SKILLS	 16

/* ---- timezones (tz.c) ---- */

/* A POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3") for times after the last transition. */
struct ivr_tz_rule_date {
	char kind; /* 'M' (month.week.day), 'J' (julian 1..365, no Feb 29), 'D' (0..365) */
	int month, week, day;
	int32_t time_s; /* local time of the change, may be negative or past 24 h */
};

struct ivr_tz {
	char *name;
	int64_t *trans; /* transition times (UTC seconds), ascending */
	uint8_t *trans_type;
	size_t ntrans;
	int32_t *type_off; /* UTC offset of each local time type */
	size_t ntypes;
	bool has_rule;
	int32_t std_off, dst_off; /* from the rule (east of UTC, seconds) */
	bool rule_dst;
	struct ivr_tz_rule_date start, end;
};

/* Loads a zone ("Europe/Warsaw", "UTC"). Returns 0, ENOENT (unknown zone), EINVAL (bad
 * file) or ENOMEM. */
int ivr__tz_load(const char *name, struct ivr_tz **out);
void ivr__tz_free(struct ivr_tz *tz);
/* Seconds east of UTC at `t` (UTC seconds). */
int32_t ivr__tz_offset(const struct ivr_tz *tz, int64_t t);
/* Parses a POSIX TZ string into tz's rule fields; returns 0 or EINVAL. */
int ivr__tz_parse_rule(struct ivr_tz *tz, const char *s);

/* Civil date helpers (proleptic Gregorian, days since 1970-01-01). */
int64_t ivr__days_from_civil(int y, int m, int d);
void ivr__civil_from_days(int64_t z, int *y, int *m, int *d);
/* 1 = Monday .. 7 = Sunday */
int ivr__weekday(int64_t days);

struct ivr_local {
	int year, month, day; /* month 1..12 */
	int weekday;	      /* 1 = Monday .. 7 = Sunday */
	int minute;	      /* minute of the day 0..1439 */
	int second;
};
void ivr__local_time(const struct ivr_tz *tz, int64_t epoch_ms, struct ivr_local *out);

/* ---- templates and expressions (tpl.c, expr.c) ---- */

/* A text with {variable} references; `dynamic` when it has at least one. */
struct ivr_tpl {
	char *text; /* NULL: absent */
	bool dynamic;
};

typedef const char *(ivr_lookup_h)(void *arg, const char *name);

/* Checks a template's syntax; on error writes a message into err and returns EINVAL. */
int ivr__tpl_check(const char *text, bool *dynamic, char *err, size_t errsize);
/* Expands a template into buf (truncating at size-1). Unknown variables are empty. */
size_t ivr__tpl_expand(const char *text, ivr_lookup_h *lookup, void *arg, char *buf, size_t size);
bool ivr__valid_var_name(const char *s, size_t len);
/* 1-based position in characters (UTF-8 code points) of byte offset `off` of s. */
size_t ivr__char_pos(const char *s, size_t off);

struct ivr_expr;
/* Parses an expression; on error writes "message at character N" into err. */
int ivr__expr_parse(const char *text, struct ivr_expr **out, char *err, size_t errsize);
bool ivr__expr_eval(const struct ivr_expr *e, ivr_lookup_h *lookup, void *arg);
void ivr__expr_free(struct ivr_expr *e);
/* Variable names the expression reads, for the validator; *iter = 0 first. */
bool ivr__truthy(const char *v);

/* ---- the flow model (flow.c, load_*.c, validate.c) ---- */

enum ivr_node_type {
	IVR_NODE_PLAY,
	IVR_NODE_MENU,
	IVR_NODE_COLLECT,
	IVR_NODE_SET,
	IVR_NODE_CONDITION,
	IVR_NODE_HOURS,
	IVR_NODE_LOOKUP,
	IVR_NODE_HTTP,
	IVR_NODE_QUEUE,
	IVR_NODE_TRANSFER,
	IVR_NODE_VOICEMAIL,
	IVR_NODE_CALLBACK,
	IVR_NODE_GOTO,
	IVR_NODE_HANGUP,
	IVR_NODE_COUNT
};

/* Successor slots of a node; options by digit are IVR_SLOT_OPT + index of the digit in
 * "0123456789*#". */
enum ivr_slot {
	IVR_SLOT_NEXT,
	IVR_SLOT_INVALID,
	IVR_SLOT_NO_INPUT,
	IVR_SLOT_ERROR,
	IVR_SLOT_FAILED,
	IVR_SLOT_FOUND,
	IVR_SLOT_NOT_FOUND,
	IVR_SLOT_OPEN,
	IVR_SLOT_CLOSED,
	IVR_SLOT_HOLIDAY,
	IVR_SLOT_ELSE,
	IVR_SLOT_OPT,
	IVR_SLOT_COUNT = IVR_SLOT_OPT + 12
};

extern const char *const ivr__slot_key[IVR_SLOT_OPT];
extern const char ivr__option_keys[13]; /* "0123456789*#" */

struct ivr_link {
	char *name;	     /* target node; NULL: no link */
	int idx;	     /* resolved node index, -1 until resolved */
	struct fy_node *src; /* where it was written (valid while the config lives) */
	char *path;	     /* its key path, for messages */
};

enum ivr_part_kind {
	IVR_PART_FILE,	  /* path */
	IVR_PART_PROMPT,  /* name in the language's prompt set */
	IVR_PART_TTS,	  /* text template, lang, voice, rate */
	IVR_PART_SAY,	  /* say kind of the value template */
	IVR_PART_SILENCE, /* ms */
};

enum ivr_say_kind {
	IVR_SAY_NUMBER,
	IVR_SAY_DIGITS,
	IVR_SAY_DATE,
	IVR_SAY_TIME,
	IVR_SAY_MONEY,
};

struct ivr_part {
	enum ivr_part_kind kind;
	struct fy_node *src; /* where it was written (valid while the config lives) */
	char *path;
	char *name;
	struct ivr_tpl text;
	char *lang;
	char *voice;
	uint32_t rate;
	enum ivr_say_kind say;
	enum ivr_unit unit;
	char *currency;
	uint32_t ms;
};

struct ivr_prompt {
	struct ivr_part *parts;
	size_t n;
};

struct ivr_assign {
	char *name;
	struct ivr_tpl value;
};

struct ivr_skill_def {
	char *name;
	int level;
};

struct ivr_case {
	struct ivr_expr *expr;
	char *text;
	struct ivr_link link;
};

/* One node. The fields used depend on the type (see load_nodes.c); the rest stay zero. */
struct ivr_node {
	char *name;
	enum ivr_node_type type;
	struct fy_node *src;
	char *path;
	struct ivr_link link[IVR_SLOT_COUNT];
	struct ivr_prompt prompt;
	struct ivr_prompt invalid_prompt;
	struct ivr_prompt no_input_prompt;
	bool barge_in;
	/* menu, collect */
	uint32_t timeout_ms;
	uint32_t inter_ms;
	unsigned retries;
	unsigned min, max;
	char terminator;
	char *var;
	regex_t re;
	bool has_re;
	bool luhn;
	/* set */
	struct ivr_assign *assigns;
	size_t nassigns;
	char *lang;
	int priority; /* -1: unchanged / default */
	struct ivr_skill_def *skills;
	size_t nskills;
	/* condition */
	struct ivr_case *cases;
	size_t ncases;
	/* hours */
	const struct ivr_calendar *cal;
	struct ivr_calendar *own_cal;
	/* lookup, http, transfer, callback */
	struct ivr_tpl number;
	int vip_priority;
	char *method;
	struct ivr_tpl url;
	struct ivr_assign *headers;
	size_t nheaders;
	struct ivr_assign *fields;
	size_t nfields;
	struct ivr_assign *map; /* variable <- response field */
	size_t nmap;
	char *into;
	/* queue, transfer, voicemail, callback, goto */
	char *queue;
	char *user;
	char *trunk;
	uint32_t max_ms;
	bool beep;
	char *flow;
	char *target; /* goto: node in the other flow, NULL: its start */
};

struct ivr_flow {
	char *name;
	char *lang;
	char *prompt_dir;
	struct ivr_node *nodes;
	size_t nnodes;
	int start;
	struct ivr_tz *tz;
	const struct ivr_flowset *set;
	struct fy_node *src;
	char *path;
	char *start_path;
};

struct ivr_flowset {
	struct ivr_flow **flows;
	size_t n, cap;
};

int ivr__node_find(const struct ivr_flow *f, const char *name);
bool ivr__node_takes_input(const struct ivr_node *n);
const char *ivr__node_type_name(enum ivr_node_type t);

/* Parses the type-specific keys of a node (load_nodes.c). */
struct ivr_load;
int ivr__load_node(struct ivr_load *l, struct ivr_node *node, struct fy_node *map);
/* Resolves links and checks references, loops and reachability (validate.c). */
void ivr__validate(struct ivr_load *l);
/* Cross-flow loops in a set (validate.c). */
void ivr__validate_set(struct cy *c, const struct ivr_flowset *set);
void ivr__node_clear(struct ivr_node *n);
void ivr__prompt_clear(struct ivr_prompt *p);

/* State shared by the loader's files while one flow is being read. */
struct ivr_load {
	struct cy *c;
	const struct ivr_env *env;
	struct ivr_flow *f;
	unsigned errors; /* errors recorded through ivr__lerror or failed allocations */
	size_t errors0;	 /* cy_error_count() when the load began */
	char **langs;	 /* languages the flow may speak: its own and every `set: lang` */
	size_t nlangs;
	uint64_t say_checked; /* bit per langs[] index: number prompts already checked */
};

void ivr__lerror(struct ivr_load *l, struct fy_node *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ivr__lwarn(struct ivr_load *l, struct fy_node *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Parses a prompt value: a part mapping, a list of parts, or a string (a file path or,
 * when it has no slash and no ".wav", a prompt name). */
int ivr__load_prompt(struct ivr_load *l, struct fy_node *n, const char *path,
		     struct ivr_prompt *out);
/* Checks that prompt files exist for every language the flow may speak. */
void ivr__check_prompt_files(struct ivr_load *l, const struct ivr_prompt *p, struct fy_node *n,
			     const char *path);
bool ivr__prompt_known(const char *prompt_dir, const char *lang, const char *name);
int ivr__load_short_part(struct ivr_load *l, struct fy_node *map, const char *path,
			 struct ivr_prompt *out);
int ivr__load_tpl(struct ivr_load *l, struct fy_node *n, const char *path, struct ivr_tpl *out);
int ivr__lang_add(struct ivr_load *l, const char *lang);
bool ivr__valid_lang(const char *s);

/* ---- sessions (session.c, exec.c) ---- */

enum ivr_wait {
	IVR_WAIT_NONE,
	IVR_WAIT_PLAY,	/* a node's prompt; then the node goes on (phase 1) */
	IVR_WAIT_INPUT, /* menu or collect */
	IVR_WAIT_LOOKUP,
	IVR_WAIT_HTTP,
	IVR_WAIT_RECORD,
	IVR_WAIT_TRANSFER,
	IVR_WAIT_DONE,
};

enum ivr_fail { IVR_FAIL_INVALID, IVR_FAIL_NO_INPUT };

struct ivr_var {
	char *name;
	char *value;
};

struct ivr_path_rec {
	int64_t at;
	enum ivr_path_kind kind;
	const char *flow; /* owned by the flow, which outlives the session */
	const char *node;
	char *detail; /* owned, never NULL */
	int status;
};

struct ivr_arena {
	struct ivr_arena *next;
	size_t used, cap;
	char data[];
};

#define IVR_TIME_VARS 6

struct ivr_session {
	const struct ivr_flow *flow;
	int node;
	int pending; /* node to enter next within this step, -1: none */
	enum ivr_wait wait;
	int phase;
	bool playing;
	uint32_t play_seq, play_id;
	uint32_t http_seq, http_id;
	unsigned attempts;
	char digits[IVR_MAX_DIGITS + 1];
	size_t ndigits;
	char ahead[IVR_MAX_DIGITS + 1]; /* digits typed ahead of the next menu/collect */
	size_t nahead;
	int64_t now, wake_at;
	bool done;
	char lang[16];
	int priority;
	struct ivr_skill skills[IVR_MAX_SKILLS]; /* names owned by flows */
	size_t nskills;
	struct ivr_var *vars;
	size_t nvars, capvars;
	char tvals[IVR_TIME_VARS][16]; /* time.* of the current step */
	struct ivr_path_rec *path;
	size_t npath, cappath;
	struct ivr_action acts[IVR_MAX_ACTIONS];
	size_t nacts;
	struct ivr_item items[IVR_MAX_ITEMS];
	size_t nitems;
	struct ivr_kv kv[IVR_MAX_KV];
	size_t nkv;
	struct ivr_arena *arena;
};

/* Starts a step at `now`: clears the actions and the step's strings. */
void ivr__step_begin(struct ivr_session *s, int64_t now);
/* Step-lifetime allocations; NULL when the step's limits are reached. */
char *ivr__sdup(struct ivr_session *s, const char *str);
void *ivr__salloc(struct ivr_session *s, size_t n);
struct ivr_action *ivr__act(struct ivr_session *s, enum ivr_action_type t);
struct ivr_item *ivr__item(struct ivr_session *s);
struct ivr_kv *ivr__kvs(struct ivr_session *s, size_t n);
/* Variables: copies; returns 0, ENOSPC (too many) or ENOMEM. */
int ivr__var_set(struct ivr_session *s, const char *name, const char *value);
/* An ivr_lookup_h over the session's variables and time.* (arg is the session). */
const char *ivr__var_lookup(void *arg, const char *name);
void ivr__path(struct ivr_session *s, enum ivr_path_kind k, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void ivr__session_clear(struct ivr_session *s);

/* ---- say (say.c) ---- */

/* Writes the text a TTS engine should speak for a date ("2026-11-23"), a time ("14:05")
 * or an amount ("12.50") in `lang`; returns 0 or EINVAL when the value does not parse. */
int ivr__say_text(const char *lang, enum ivr_say_kind kind, const char *value, const char *currency,
		  char *buf, size_t size);
size_t ivr__say_digits(const char *value, const char **names, size_t max);
bool ivr__luhn_ok(const char *digits);

#endif
