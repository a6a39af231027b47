/*
 * Internals of the engine's IVR glue, shared by flow.c (sessions and their life, the
 * workers' replies, start and stop), flow_act.c (the actions a session asks for) and
 * flow_load.c (loading flows, prompt sets and fixed TTS texts). Nothing else includes it.
 */
#ifndef CENTRALA_ENGINE_FLOW_INT_H
#define CENTRALA_ENGINE_FLOW_INT_H

#include "engine/engine_int.h"
#include "dip/dip.h"
#include "tts/tts.h"

#define FLOW_MAX_ITEMS	128  /* media items of one play */
#define FLOW_MAX_KV	96   /* headers or fields of one HTTP request */
#define FLOW_MAX_FIELDS 128  /* fields of a dip result or a contact passed to a session */
#define FLOW_HASH	1024 /* session buckets (a power of two) */
#define FLOW_MAX_SYNTH	8    /* events produced at once by the actions of one step */
#define FLOW_MAX_EXTRA	8    /* engine-side entries added to a call's path */
#define COOKIE_SHIFT	20   /* cookie = serial << 20 | what the reply is for */
#define COOKIE_LOW	((1u << COOKIE_SHIFT) - 1)
#define PLAY_QUEUE_BIT	0x80000000u /* media play ids with this bit are the queue code's */
#define TTS_PATH_MAX	sizeof(((struct tts_done *)0)->path)

struct eng_flows {
	struct engine *e;
	struct tts *tts;
	struct dip *dip;
	struct mq *events; /* tts_done, dip_msg and store_msg (contacts) */
	su_wait_t wait;
	int reg; /* su_root registration, -1: none */
	struct eng_ivr *sessions[FLOW_HASH];
	size_t nsessions;
	uint64_t next_serial;
	unsigned lookups_out;	 /* contact look-ups the store has not answered yet */
	unsigned start_rendered; /* queue messages rendered at start */
	uint64_t start_ms;	 /* time the start took before the flows went live */
	/* Scratch for building one play on the engine thread. */
	struct media_item items[FLOW_MAX_ITEMS];
	char paths[FLOW_MAX_ITEMS][TTS_PATH_MAX];
};

/* A play waiting for some of its TTS items to be rendered. */
struct flow_play {
	uint32_t id;
	uint32_t gen;
	uint64_t asked_ms; /* monotonic time the renders were asked for */
	bool barge_in;
	size_t n, outstanding;
	struct media_item items[FLOW_MAX_ITEMS];
	char *paths[FLOW_MAX_ITEMS]; /* owned copies; NULL for a TTS item not (yet) rendered */
	bool failed[FLOW_MAX_ITEMS];
};

/* An entry the engine adds to the path (a hand-off or an action that failed). */
struct flow_extra {
	int64_t at_ms;
	const char *kind;
	char detail[120];
};

struct eng_ivr {
	struct call *c;
	struct eng_flows *fl;
	struct ivr_session *s;
	struct eng_flowgen *gen; /* the flows it runs in (held until it ends) */
	struct eng_ivr *hnext;
	uint64_t serial;
	su_timer_t *timer;
	bool started;			   /* the first actions were carried out */
	bool inband;			   /* in-band DTMF detection was turned on */
	bool transfer_wait;		   /* a transfer rings; its outcome is awaited */
	size_t logged;			   /* path entries already logged */
	const char *flow_name, *node_name; /* of the last path entry */
	uint32_t play_tag;		   /* high bits of our media play ids */
	uint32_t http_id;		   /* the HTTP request in flight */
	uint32_t lookup_seq;		   /* the look-up in flight */
	uint32_t play_gen;
	struct flow_play *pending;
	struct media_mix *mix; /* voicemail being recorded */
	int64_t rec_start_ms, rec_end_ms;
	char rec_queue[64];
	struct ivr_event synth[FLOW_MAX_SYNTH]; /* events to feed once the actions are done */
	size_t nsynth;
	struct flow_extra extra[FLOW_MAX_EXTRA];
	size_t nextra;
};

static inline uint64_t cookie_of(const struct eng_ivr *v, uint32_t low)
{
	return v->serial << COOKIE_SHIFT | (low & COOKIE_LOW);
}

static inline unsigned long long call_id(const struct eng_ivr *v)
{
	return (unsigned long long)v->c->id;
}

static inline const char *tenant_id(const struct eng_ivr *v)
{
	return v->c->t->ct->id;
}

/* flow.c */
struct eng_ivr *eng__ivr_find(struct eng_flows *fl, uint64_t serial);
/* An event to feed the session once the current actions are done (a play that could
 * not start, a dip that was refused). */
void eng__ivr_synth(struct eng_ivr *v, const struct ivr_event *ev);
/* An entry of the engine's own in the call's path (merged into the timeline by time). */
void eng__ivr_extra(struct eng_ivr *v, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Carries out the session's actions (when `fresh`), feeds it the events they produced,
 * arms its timer. Returns false when the session ended (v is freed). */
bool eng__ivr_pump(struct eng_ivr *v, bool fresh);
/* `msg` for a log value in double quotes (quotes and backslashes escaped) in buf. */
const char *eng__ivr_quote(const char *msg, char *buf, size_t size);

/* flow_act.c: one function per action, and the workers' replies */
struct media_session *eng__ivr_media(struct eng_ivr *v);
void eng__ivr_play(struct eng_ivr *v, const struct ivr_act_play *pl);
void eng__ivr_pending_free(struct eng_ivr *v);
void eng__ivr_tts_ready(struct eng_flows *fl, const struct tts_done *d);
void eng__ivr_collect(struct eng_ivr *v);
void eng__ivr_lookup(struct eng_ivr *v, const struct ivr_act_lookup *l);
/* Owns m->contact (frees it). */
void eng__ivr_contact_ready(struct eng_flows *fl, const struct store_msg *m);
void eng__ivr_http(struct eng_ivr *v, const struct ivr_act_http *h);
/* Owns r (frees it). */
void eng__ivr_dip_ready(struct eng_flows *fl, struct dip_result *r);
void eng__ivr_record(struct eng_ivr *v, const struct ivr_act_route *r);
/* Ends a voicemail being recorded (nothing if none); `report`: tell the session. */
void eng__ivr_record_stop(struct eng_ivr *v, bool report);
void eng__ivr_callback(struct eng_ivr *v, const struct ivr_act_route *r);
/* Rings a user or dials a number for a `transfer` node. 0 or errno. */
int eng__ivr_transfer(struct eng_ivr *v, const struct ivr_act_route *r);
void eng__ivr_transfer_wait(struct eng_ivr *v, const struct ivr_act_route *r);

/* flow_load.c: makes the prompt sets, loads every tenant's flows into t->flows (logging
 * each problem) and renders their fixed TTS texts. 0, EINVAL (a flow has errors), ENOMEM. */
int eng__ivr_load(struct eng_flows *fl, unsigned *nflows, unsigned *rendered);

#endif
