/*
 * Automatic contact distribution: queues, agents, skills, routing strategies and the
 * agent state machine, as a pure library. It does no I/O, starts no thread and reads no
 * clock: every call that can change something takes the time (`now_ms`, any monotonic
 * millisecond clock) from the caller, and the library asks to be woken again through
 * acd_next_deadline()/acd_tick(). The live engine drives it with real events; tests and
 * `centrala simulate` drive the very same code with virtual time.
 *
 * One `struct acd` serves one tenant: tenants never share agents, queues, skills or
 * counters, so the engine keeps one instance per tenant and no call needs a tenant field.
 *
 * Objects are small integer ids handed out by the library: skills (interned once from
 * their names), queues and agents (indexes, reused after removal), contacts (an index
 * with a generation in the top 8 bits, so a stale id is refused with ENOENT). The engine
 * maps its names to ids once, at provisioning; nothing on the routing path compares
 * strings. Every agent, queue and contact also carries a 64-bit `ref` chosen by the
 * engine and given back in every callback.
 *
 * Callbacks (struct acd_handlers) report what the engine must do: ring an agent (offer),
 * stop ringing (cancel), send a contact elsewhere (overflow), play a position/EWT
 * announcement, and every agent state change. They are delivered after the library's
 * state is consistent, in the order things happened, before the API call that caused
 * them returns; a handler may call back into the library (accept an offer at once, for
 * instance), but must not call acd_free(). An API call that returns an error has changed
 * nothing and reports nothing.
 *
 * Memory: acd_new() preallocates the contact pool, the timer heap and the event queue;
 * provisioning calls (skills, queues, agents) allocate; routing decisions never do.
 * The library owns everything it allocates and acd_free() releases it all.
 */
#ifndef CENTRALA_ACD_ACD_H
#define CENTRALA_ACD_ACD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acd;

/* "No agent", "no queue", "no contact", "no skill". */
#define ACD_NONE UINT32_MAX
/* acd_next_deadline() when nothing is scheduled; an unknown estimated wait. */
#define ACD_NEVER UINT64_MAX

#define ACD_MAX_QUEUE_SKILLS   8  /* required skills per queue */
#define ACD_MAX_CONTACT_SKILLS 4  /* extra required skills per contact */
#define ACD_MAX_RELAX	       8  /* relaxation steps per queue */
#define ACD_MAX_LEVEL	       10 /* proficiency is 1..10 */
#define ACD_MAX_PRIORITY       100

/* Media of a contact. A queue serves one channel; capacity and blocking are per channel. */
enum acd_channel {
	ACD_CH_VOICE,
	ACD_CH_CHAT,
	ACD_CH_EMAIL,
	ACD_CH_SMS,
	ACD_CH_CALLBACK,
	ACD_CH_COUNT
};
#define ACD_CH_BIT(ch) (1u << (ch))
#define ACD_CH_ALL     ((1u << ACD_CH_COUNT) - 1)

/*
 * What an agent is doing, as shown to supervisors. The engine sets only LOGGED_OUT,
 * READY and NOT_READY (the agent's presence); the others follow from contacts:
 * RESERVED while an offer rings, BUSY while at least one contact is connected,
 * WRAP_UP during after-call work. A presence change while busy takes effect when the
 * agent's contacts and wrap-up are over ("pending not ready").
 */
enum acd_state {
	ACD_STATE_LOGGED_OUT,
	ACD_STATE_READY,
	ACD_STATE_NOT_READY,
	ACD_STATE_RESERVED,
	ACD_STATE_BUSY,
	ACD_STATE_WRAP_UP,
	ACD_STATE_COUNT
};

/* Not-ready reason codes are the tenant's (an index into its list, offset by the
 * engine as it likes); 0 means none. The library itself uses acd_params.no_answer_reason
 * when it pauses an agent who missed too many offers. */
#define ACD_REASON_NONE	     0
#define ACD_REASON_NO_ANSWER 1

/* Why an agent's state changed (for the log line and the interaction timeline). */
enum acd_cause {
	ACD_CAUSE_REQUEST,	/* the engine set the presence (agent, supervisor, API) */
	ACD_CAUSE_OFFER,	/* a contact is being offered */
	ACD_CAUSE_ANSWER,	/* the agent accepted an offer */
	ACD_CAUSE_MISSED,	/* ring timeout or reject; the agent is free again */
	ACD_CAUSE_NO_ANSWER,	/* too many missed offers: paused with no_answer_reason */
	ACD_CAUSE_CANCEL,	/* the offer was withdrawn (caller gone, answered elsewhere) */
	ACD_CAUSE_END,		/* a connected contact ended */
	ACD_CAUSE_WRAP_UP_END,	/* wrap-up time elapsed */
	ACD_CAUSE_WRAP_UP_SKIP, /* the agent ended wrap-up early */
	ACD_CAUSE_PROVISIONING, /* skills, queues or capacity changed */
	ACD_CAUSE_EXTERNAL,	/* a contact the ACD did not route began or ended */
};

/* Routing strategies: the table in strategy.c, looked up by name at provisioning. */
enum acd_strategy_id {
	ACD_STRATEGY_LONGEST_IDLE,    /* "longest-idle": idle since end of last contact + wrap-up */
	ACD_STRATEGY_ROUND_ROBIN,     /* "round-robin": next after the last one offered */
	ACD_STRATEGY_LEAST_CALLS,     /* "least-calls": fewest answered today */
	ACD_STRATEGY_LEAST_TALK_TIME, /* "least-talk-time": least talk time today */
	ACD_STRATEGY_RING_ALL,	      /* "ring-all": every free agent; first accept wins */
	ACD_STRATEGY_LINEAR,	      /* "linear": fixed order (membership order, top-down) */
	ACD_STRATEGY_RANDOM,	      /* "random": uniform among free agents */
	ACD_STRATEGY_WEIGHTED_RANDOM, /* "weighted-random": weight = proficiency */
	ACD_STRATEGY_BEST_SKILL,      /* "best-skill": highest proficiency, ties longest idle */
	ACD_STRATEGY_COUNT
};

enum acd_overflow_reason {
	ACD_OVERFLOW_MAX_WAIT, /* waited longer than the queue's max_wait */
	ACD_OVERFLOW_MAX_LEN,  /* the queue already held max_len contacts at entry */
	ACD_OVERFLOW_CLOSED,   /* the queue is closed (business hours) */
	ACD_OVERFLOW_COUNT
};

enum acd_cancel_reason {
	ACD_CANCEL_TIMEOUT,	       /* ring timeout: the agent missed it */
	ACD_CANCEL_ANSWERED_ELSEWHERE, /* ring-all: another agent accepted */
	ACD_CANCEL_CONTACT_GONE,       /* abandoned, removed or overflowed */
	ACD_CANCEL_AGENT_UNAVAILABLE,  /* the agent went not ready, logged out, was removed */
};

/*
 * Service level formulas (DOMAIN.md), T being the queue's service_level_ms:
 *  ANSWERED:       answered within T / answered
 *  WITH_ABANDONS:  (answered within T + abandoned within T) / (answered + abandoned)
 *  ALL:            answered within T / (answered + abandoned)
 *  ALL_EXCL_SHORT: answered within T / (answered + abandoned - short abandons)  (default)
 * Overflowed, removed and callback contacts are in none of them.
 */
enum acd_sl_formula {
	ACD_SL_ALL_EXCL_SHORT,
	ACD_SL_ANSWERED,
	ACD_SL_WITH_ABANDONS,
	ACD_SL_ALL,
	ACD_SL_COUNT
};

struct acd_skill_level {
	uint32_t skill; /* from acd_skill_intern() */
	uint8_t level;	/* proficiency 1..10; as a requirement: the minimum */
};

/* ---- events given to the engine ---- */

struct acd_state_event {
	uint32_t agent;
	uint64_t agent_ref;
	enum acd_state from, to;
	uint16_t reason; /* the not-ready reason when `to` is NOT_READY, else 0 */
	enum acd_cause cause;
	uint32_t contact; /* the contact concerned (offer, answer, end), or ACD_NONE */
	uint64_t at_ms;
};

struct acd_offer {
	uint32_t contact;
	uint64_t contact_ref;
	uint32_t agent;
	uint64_t agent_ref;
	uint32_t queue;
	enum acd_channel channel;
	bool callback;	      /* virtual hold: call the agent first, then the customer */
	bool ring_all;	      /* one of several simultaneous offers of this contact */
	uint64_t deadline_ms; /* when the library gives up on this offer */
	uint64_t at_ms;
};

struct acd_overflow {
	uint32_t contact;
	uint64_t contact_ref;
	uint32_t queue;
	enum acd_overflow_reason reason;
	uint64_t waited_ms;
	uint64_t at_ms;
};

struct acd_announce {
	uint32_t contact;
	uint64_t contact_ref;
	uint32_t queue;
	uint32_t position; /* 1 = next */
	uint64_t ewt_ms;   /* estimated wait, ACD_NEVER when nobody is staffed */
	uint64_t waited_ms;
	uint64_t at_ms;
};

typedef void(acd_state_h)(const struct acd_state_event *ev, void *arg);
/* Ring the agent for this contact; answer with acd_offer_accept()/acd_offer_reject(). */
typedef void(acd_offer_h)(const struct acd_offer *o, void *arg);
/* Stop ringing: the offer is void (any later accept is refused with ENOENT). */
typedef void(acd_cancel_h)(const struct acd_offer *o, enum acd_cancel_reason why, void *arg);
/* Send the contact to the queue's overflow target; the contact no longer exists here. */
typedef void(acd_overflow_h)(const struct acd_overflow *ov, void *arg);
/* Play the position / estimated wait announcement to a waiting contact. */
typedef void(acd_announce_h)(const struct acd_announce *an, void *arg);

struct acd_handlers {
	acd_state_h *state;
	acd_offer_h *offer;
	acd_cancel_h *cancel;
	acd_overflow_h *overflow;
	acd_announce_h *announce;
	void *arg;
};

/* ---- instance ---- */

struct acd_params {
	uint32_t max_agents;   /* default 1024 */
	uint32_t max_queues;   /* default 256 */
	uint32_t max_contacts; /* waiting + ringing + connected, default 16384, at most 2^24 */
	uint32_t max_skills;   /* default 256 */
	/* Default capacity of an agent per channel (voice 1, chat 3, email 5, sms 5,
	 * callback 1). */
	uint8_t capacity[ACD_CH_COUNT];
	/* blocks[c]: channels an agent takes no new contact on while holding one on c.
	 * Default: voice and callback block everything ("no chat while on voice"), chat,
	 * email and sms block voice and callback ("no new voice while on chat"). */
	uint8_t blocks[ACD_CH_COUNT];
	uint8_t max_no_answer;	   /* missed offers in a row before pausing; 0 = never; default 3 */
	uint16_t no_answer_reason; /* default ACD_REASON_NO_ANSWER */
	uint64_t seed;		   /* for the random strategies */
};

void acd_params_default(struct acd_params *p);

/* Creates an instance. Returns 0, EINVAL (bad limits) or ENOMEM. The handlers are
 * copied; any of them may be NULL. */
int acd_new(const struct acd_params *p, const struct acd_handlers *h, struct acd **out);
/* Frees everything; reports nothing. NULL is allowed. */
void acd_free(struct acd *acd);

/* Bytes the instance holds (pools, indexes, provisioning), for the benchmark and metrics. */
size_t acd_memory(const struct acd *acd);

/* ---- skills ---- */

/* Id of skill `name`, created when new. Returns 0, EINVAL (empty name), ENOSPC or ENOMEM. */
int acd_skill_intern(struct acd *acd, const char *name, uint32_t *out);
/* Id of an existing skill. Returns 0 or ENOENT. */
int acd_skill_find(const struct acd *acd, const char *name, uint32_t *out);

/* ---- strategies ---- */

/* Strategy by its configuration name ("longest-idle", ...). Returns 0 or ENOENT. */
int acd_strategy_find(const char *name, enum acd_strategy_id *out);
/* Configuration name of a strategy, NULL when out of range. */
const char *acd_strategy_name(enum acd_strategy_id id);

/* ---- queues ---- */

/*
 * A relaxation step applies once a contact has waited `after_ms` in the queue; steps
 * are in increasing `after_ms` and each keeps what the earlier ones relaxed.
 */
struct acd_relax_step {
	uint64_t after_ms;
	uint8_t min_level;   /* required levels are capped at this; 0 = unchanged */
	int16_t max_penalty; /* agents up to this penalty may take it; -1 = unchanged */
	uint32_t add_queue;  /* also offer to this queue's agents (same channel); ACD_NONE */
};

struct acd_queue_params {
	enum acd_strategy_id strategy;
	enum acd_channel channel;
	/* Every agent whose levels reach these is a member (penalty 0 unless the agent
	 * lists the queue); with none, only agents that list the queue are members. */
	struct acd_skill_level skills[ACD_MAX_QUEUE_SKILLS];
	size_t nskills;
	struct acd_relax_step relax[ACD_MAX_RELAX];
	size_t nrelax;
	int max_penalty;	   /* worst penalty offered before relaxation; -1 = any (default) */
	uint64_t ring_timeout_ms;  /* default 15 s */
	uint64_t wrap_up_ms;	   /* default 0 */
	uint64_t max_wait_ms;	   /* 0 = no limit */
	uint32_t max_len;	   /* 0 = no limit */
	uint64_t service_level_ms; /* T, default 20 s */
	uint8_t service_level_pct; /* target, default 80 */
	enum acd_sl_formula sl_formula;
	uint64_t short_abandon_ms; /* default 5 s */
	uint64_t sticky_ms;	   /* how long a preferred agent is waited for; default 0 */
	uint64_t announce_ms;	   /* position/EWT announcement period; 0 = none */
	uint64_t retry_ms;	   /* an agent who missed a contact is not offered it again for
				      this long; default 5 s */
	uint64_t aht_hint_ms;	   /* handle time assumed for EWT before any was measured; 180 s */
	uint8_t priority;	   /* default contact priority 0..100 */
	uint8_t max_no_answer;	   /* 0 = the instance's setting */
	bool open;		   /* default true */
	uint64_t ref;
};

void acd_queue_params_default(struct acd_queue_params *p);

/* Adds a queue. Returns 0, EINVAL (bad strategy, channel, levels, relaxation order,
 * a relaxation queue that does not exist or serves another channel), ENOENT (unknown
 * skill), ENOSPC (max_queues) or ENOMEM. Agents who qualify by skills join it; on
 * ENOMEM while they join, the queue exists (*out is written) but some agents may have
 * been left out of it: retry with acd_queue_update(). */
int acd_queue_add(struct acd *acd, const struct acd_queue_params *p, uint64_t now_ms,
		  uint32_t *out);
/* Replaces a queue's settings (same checks as add; the channel cannot change). Members
 * and waiting contacts are re-indexed; contacts keep their places. */
int acd_queue_update(struct acd *acd, uint32_t q, const struct acd_queue_params *p,
		     uint64_t now_ms);
/* Removes a queue. Returns 0, ENOENT, or EBUSY while it holds contacts or another queue's
 * relaxation step names it. */
int acd_queue_remove(struct acd *acd, uint32_t q, uint64_t now_ms);
/* Opens or closes a queue (business hours). While closed, new contacts overflow with
 * ACD_OVERFLOW_CLOSED; contacts already waiting stay (see acd_queue_overflow_all). */
int acd_queue_set_open(struct acd *acd, uint32_t q, bool open, uint64_t now_ms);
/* Overflows every waiting (not ringing) contact of the queue with `reason`. */
int acd_queue_overflow_all(struct acd *acd, uint32_t q, enum acd_overflow_reason reason,
			   uint64_t now_ms);

/* ---- agents ---- */

struct acd_membership {
	uint32_t queue;
	int penalty;	/* tier: 0 is offered first; default 0 */
	uint32_t order; /* position for linear and round-robin; 0 = order of joining */
};

struct acd_agent_params {
	const struct acd_skill_level *skills;
	size_t nskills;
	const struct acd_membership *queues; /* explicit memberships (penalty, order) */
	size_t nqueues;
	int capacity[ACD_CH_COUNT]; /* -1 = the instance's default */
	uint64_t ref;
};

void acd_agent_params_default(struct acd_agent_params *p);

/* Adds an agent, logged out. Returns 0, EINVAL (level out of 1..10, duplicate skill),
 * ENOENT (unknown skill or queue), ENOSPC (max_agents) or ENOMEM. */
int acd_agent_add(struct acd *acd, const struct acd_agent_params *p, uint64_t now_ms,
		  uint32_t *out);
/* Replaces skills, explicit memberships and capacity (same checks as add). A contact
 * already ringing or connected is not disturbed. */
int acd_agent_update(struct acd *acd, uint32_t a, const struct acd_agent_params *p,
		     uint64_t now_ms);
/* Removes an agent. Returns 0, ENOENT, or EBUSY while it rings or holds a contact. */
int acd_agent_remove(struct acd *acd, uint32_t a, uint64_t now_ms);

/*
 * Sets the agent's presence: ACD_STATE_READY, ACD_STATE_NOT_READY (with `reason`) or
 * ACD_STATE_LOGGED_OUT; anything else is EINVAL. Going not ready or logging out
 * withdraws a ringing offer (the contact goes back to its place); a connected contact
 * continues and the new presence applies when it and its wrap-up end. Going ready
 * clears the missed-offer count. Returns 0, ENOENT or EINVAL.
 */
int acd_agent_set_state(struct acd *acd, uint32_t a, enum acd_state st, uint16_t reason,
			uint64_t now_ms);
/*
 * The agent is on (on = true) or off a contact the ACD did not route: a direct call to
 * the agent's own number, an internal or outbound call from the agent's phone. It counts
 * in the agent's load on channel ch (BUSY, and blocking per the instance's rules) but in
 * no queue's counters, and its end starts no wrap-up. Taking one withdraws an offer that
 * rings the agent. Returns 0, ENOENT, EINVAL (channel), ENOSPC (load at its limit) or
 * EALREADY (off with none on).
 */
int acd_agent_external(struct acd *acd, uint32_t a, enum acd_channel ch, bool on, uint64_t now_ms);
/* Ends the agent's wrap-up now. Returns 0, ENOENT, or EALREADY when not in wrap-up. */
int acd_agent_end_wrap_up(struct acd *acd, uint32_t a, uint64_t now_ms);

struct acd_agent_info {
	enum acd_state state;
	enum acd_state presence; /* LOGGED_OUT, READY or NOT_READY */
	uint16_t reason;
	uint8_t load[ACD_CH_COUNT];
	uint8_t capacity[ACD_CH_COUNT];
	uint32_t answered;   /* today */
	uint64_t talk_ms;    /* today */
	uint8_t missed;	     /* missed offers in a row */
	uint64_t idle_since; /* end of the last contact including wrap-up (or first ready) */
	uint64_t state_since;
	uint32_t offer; /* contact ringing this agent, or ACD_NONE */
	size_t nqueues; /* queues the agent is a member of */
	uint64_t ref;
};

/* Returns 0 or ENOENT. */
int acd_agent_info(const struct acd *acd, uint32_t a, struct acd_agent_info *out);
/* Writes up to `max` ids of the queues agent a is a member of and returns how many it
 * is a member of (0 for an unknown agent). */
size_t acd_agent_queues(const struct acd *acd, uint32_t a, uint32_t *out, size_t max);

/* ---- contacts ---- */

struct acd_contact_params {
	uint32_t queue;
	int priority;	   /* 0..100, higher first; -1 = the queue's default */
	uint64_t since_ms; /* seniority for ordering (keeps a place across queues); 0 = now */
	uint32_t preferred_agent; /* sticky agent tried first, or ACD_NONE */
	uint64_t sticky_ms;	  /* how long to wait for it; 0 = the queue's sticky_ms */
	struct acd_skill_level skills[ACD_MAX_CONTACT_SKILLS]; /* required on top of the queue's */
	size_t nskills;
	bool callback; /* enters as a callback (web callback), not a waiting caller */
	uint64_t ref;
};

void acd_contact_params_default(struct acd_contact_params *p);

/*
 * Puts a contact in a queue and routes it. *out is written before any callback runs
 * (the contact may be offered or overflowed before this returns). Returns 0, ENOENT
 * (queue, skill or preferred agent unknown), EINVAL (priority, level) or ENOSPC (the
 * contact pool is full; nothing is reported).
 */
int acd_contact_enqueue(struct acd *acd, const struct acd_contact_params *p, uint64_t now_ms,
			uint32_t *out);
/* Changes a waiting contact's priority (IVR/CRM); FIFO order within the new priority
 * follows its seniority. Returns 0, ENOENT or EINVAL. */
int acd_contact_set_priority(struct acd *acd, uint32_t c, int priority, uint64_t now_ms);
/* Replaces the contact's extra required skills. Returns 0, ENOENT or EINVAL. */
int acd_contact_set_skills(struct acd *acd, uint32_t c, const struct acd_skill_level *skills,
			   size_t n, uint64_t now_ms);
/* Virtual hold: the waiting caller becomes a callback that keeps its place, gets no
 * more announcements and no max-wait overflow, and is counted apart from abandons.
 * Returns 0, ENOENT, or EINVAL unless the contact is waiting. */
int acd_contact_to_callback(struct acd *acd, uint32_t c, uint64_t now_ms);
/* The caller hung up before being connected (waiting or ringing): an abandon (short
 * below the queue's threshold), unless it was a callback. Ringing offers are cancelled
 * with ACD_CANCEL_CONTACT_GONE. Returns 0, ENOENT, or EINVAL once connected. */
int acd_contact_abandon(struct acd *acd, uint32_t c, uint64_t now_ms);
/* Takes a waiting or ringing contact out without counting it (moved elsewhere by the
 * engine). Returns 0, ENOENT, or EINVAL once connected. */
int acd_contact_remove(struct acd *acd, uint32_t c, uint64_t now_ms);
/* A connected contact ended: the agent starts the queue's wrap-up (or is free), handle
 * time is counted. Returns 0, ENOENT, or EINVAL unless connected. */
int acd_contact_end(struct acd *acd, uint32_t c, uint64_t now_ms);

enum acd_contact_state {
	ACD_CONTACT_WAITING,
	ACD_CONTACT_STICKY, /* waiting for its preferred agent */
	ACD_CONTACT_OFFERED,
	ACD_CONTACT_CONNECTED,
};

struct acd_contact_info {
	enum acd_contact_state state;
	uint32_t queue;
	uint32_t agent; /* connected agent, or ACD_NONE */
	uint8_t priority;
	uint8_t stage; /* relaxation steps passed */
	bool callback;
	uint32_t position; /* 1 = next; 0 unless waiting */
	uint64_t entered_ms;
	uint64_t ref;
};

/* Returns 0 or ENOENT. */
int acd_contact_info(const struct acd *acd, uint32_t c, uint64_t now_ms,
		     struct acd_contact_info *out);

/* ---- offers ---- */

/* The agent answered: the contact is connected, the other ring-all offers are cancelled.
 * Returns 0, or ENOENT when this offer is no longer pending (timed out, cancelled): the
 * engine then hangs up the agent's leg. */
int acd_offer_accept(struct acd *acd, uint32_t c, uint32_t a, uint64_t now_ms);
/* The agent declined or was busy: counted as a missed offer, the contact goes on to the
 * next agent. Returns 0 or ENOENT as for accept. */
int acd_offer_reject(struct acd *acd, uint32_t c, uint32_t a, uint64_t now_ms);

/* ---- time ---- */

/* When acd_tick() must next be called, ACD_NEVER when nothing is scheduled. O(1). */
uint64_t acd_next_deadline(const struct acd *acd);
/* Processes everything due at or before now: ring timeouts, wrap-up ends, relaxation
 * steps, sticky and retry expiry, max-wait overflow, announcements. */
void acd_tick(struct acd *acd, uint64_t now_ms);

/* ---- counters ---- */

/* Since the last acd_stats_reset() ("today"). */
struct acd_queue_counters {
	uint64_t offered;	 /* contacts that entered the queue (callbacks included) */
	uint64_t answered;	 /* connected live contacts */
	uint64_t answered_in_sl; /* ... within service_level_ms */
	uint64_t abandoned;	 /* hung up before connection (short ones included) */
	uint64_t abandoned_in_sl;
	uint64_t abandoned_short; /* within short_abandon_ms */
	uint64_t overflowed[ACD_OVERFLOW_COUNT];
	uint64_t callbacks;	     /* contacts that became (or entered as) callbacks */
	uint64_t callbacks_answered; /* callbacks connected (not in answered) */
	uint64_t removed;
	uint64_t missed_offers;	    /* ring timeouts and rejects */
	uint64_t wait_answered_ms;  /* sum, for ASA */
	uint64_t wait_abandoned_ms; /* sum, for average time to abandon */
	uint64_t max_wait_answered_ms;
	uint64_t handled; /* contacts whose talk and wrap-up are over */
	uint64_t talk_ms;
	uint64_t wrap_ms;
};

struct acd_queue_stats {
	struct acd_queue_counters c;
	uint32_t waiting; /* waiting or ringing, callbacks included */
	uint32_t callbacks_waiting;
	uint64_t longest_wait_ms;	  /* of the contacts waiting now */
	uint32_t agents[ACD_STATE_COUNT]; /* members by state */
	uint32_t staffed;		  /* members whose presence is ready */
	uint32_t available;		  /* members free for this queue's channel now */
	enum acd_sl_formula sl_formula;
	double service_level;	   /* 0..1 by sl_formula, -1 when nothing to measure */
	double asa_ms;		   /* -1 when nothing answered */
	double aht_ms;		   /* -1 when nothing handled */
	double abandon_rate;	   /* abandoned / (offered - callbacks), -1 when none */
	uint64_t ewt_ms;	   /* for a contact entering now */
	uint8_t service_level_pct; /* the queue's target */
	uint64_t service_level_ms;
	struct acd_queue_counters total; /* since the queue was made, never reset (its
					  * max_wait_answered_ms means nothing) */
};

/* Snapshot of a queue's counters and live figures. O(members). Returns 0 or ENOENT. */
int acd_queue_stats(const struct acd *acd, uint32_t q, uint64_t now_ms,
		    struct acd_queue_stats *out);
/* Service level of counters by a formula: 0..1, or -1 when the denominator is 0. */
double acd_service_level(const struct acd_queue_counters *c, enum acd_sl_formula f);
/* The formula's numerator (contacts within the target) and denominator (contacts it
 * counts) of counters; both only grow with the counters. */
void acd_service_level_parts(const struct acd_queue_counters *c, enum acd_sl_formula f,
			     uint64_t *within, uint64_t *counted);
/* Estimated wait for a contact entering the queue now: position x recent handle time /
 * staffed agents (0 when an agent is free, ACD_NEVER when nobody is staffed). */
uint64_t acd_queue_ewt(const struct acd *acd, uint32_t q, uint64_t now_ms);
/* Zeroes every queue's counters and every agent's answered/talk figures (midnight in the
 * tenant's timezone). */
void acd_stats_reset(struct acd *acd, uint64_t now_ms);

/* Names for logs and JSON ("ready", "wrap_up", "max_wait", ...). */
const char *acd_state_name(enum acd_state s);
const char *acd_channel_name(enum acd_channel ch);
int acd_channel_find(const char *name, enum acd_channel *out);
const char *acd_overflow_name(enum acd_overflow_reason r);
const char *acd_cause_name(enum acd_cause c);
const char *acd_sl_formula_name(enum acd_sl_formula f);
int acd_sl_formula_find(const char *name, enum acd_sl_formula *out);

#endif
