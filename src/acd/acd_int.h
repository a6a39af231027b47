/*
 * Private structures of the ACD library, shared by its files and by nobody else.
 *
 * Indexes (the reason a routing decision is O(log n)):
 *  - per queue, one ordered tree of *available* member agents per (penalty tier,
 *    first relaxation stage at which the agent qualifies), keyed by the queue's strategy
 *    key; an agent is in these trees exactly while it can take a new contact on the
 *    queue's channel;
 *  - per queue, one ordered tree of waiting contacts per relaxation stage, keyed by
 *    (priority descending, seniority, arrival sequence);
 *  - per agent, a tree of contacts waiting for it as their preferred (sticky) agent;
 *  - one timer heap with a single entry per contact and per agent (its next deadline).
 * The trees are treaps with parent pointers, augmented with subtree sizes and weights so
 * that position (rank), random pick and weighted random pick are O(log n) as well.
 */
#ifndef CENTRALA_ACD_ACD_INT_H
#define CENTRALA_ACD_ACD_INT_H

#include "acd/acd.h"

#define ACD__NSTAGE_MAX (ACD_MAX_RELAX + 1)
#define ACD__AGENT_BIT	0x80000000u
#define ACD__IDX_BITS	24
#define ACD__IDX_MASK	((1u << ACD__IDX_BITS) - 1)
#define ACD__NO_HEAP	UINT32_MAX
#define ACD__AVOID_ALL	(UINT32_MAX - 1) /* a contact resting after a ring-all timeout */

/* Debug-build sanity checks for states that cannot happen (SQLite's ALWAYS/NEVER). */
#ifdef NDEBUG
#define ACD__ASSERT(x) ((void)0)
#else
#include <assert.h>
#define ACD__ASSERT(x) assert(x)
#endif

struct acd__node {
	struct acd__node *l, *r, *p;
	uint64_t k1, k2;
	uint32_t tie;
	uint32_t pri;  /* treap heap priority, random */
	uint32_t size; /* nodes in this subtree */
	uint32_t weight;
	uint64_t wsum; /* weights in this subtree */
};

/*
 * An ordered index in one of two shapes. A treap (list = false) does everything in
 * O(log n). A sorted list (list = true) serves keys that almost always arrive larger
 * than every key present - agents keyed by "idle since" for longest-idle and ring-all -
 * with O(1) insert at the tail (walking back past the few larger keys otherwise), O(1)
 * remove and O(1) next; its rank and select walk. List nodes have pri == 0 and use r/l
 * as next/prev; treap nodes always have pri != 0.
 */
struct acd__tree {
	struct acd__node *root;
	struct acd__node *first; /* cached minimum; NULL when empty */
	struct acd__node *last;	 /* list: the maximum */
	uint32_t count;		 /* list: nodes */
	bool list;
	uint64_t wsum; /* list: weights */
};

/* tree.c */
void acd__tree_insert(struct acd__tree *t, struct acd__node *n);
void acd__tree_remove(struct acd__tree *t, struct acd__node *n);
struct acd__node *acd__tree_next(const struct acd__node *n);
uint32_t acd__tree_count_less(const struct acd__tree *t, const struct acd__node *key);
struct acd__node *acd__tree_select(const struct acd__tree *t, uint32_t k);
struct acd__node *acd__tree_select_weight(const struct acd__tree *t, uint64_t w);
struct acd__node *acd__tree_first_k1_after(const struct acd__tree *t, uint64_t k1);
int acd__node_cmp(const struct acd__node *a, const struct acd__node *b);
static inline uint32_t acd__tree_size(const struct acd__tree *t)
{
	if (t->list)
		return t->count;
	return t->root ? t->root->size : 0;
}
static inline uint64_t acd__tree_weight(const struct acd__tree *t)
{
	if (t->list)
		return t->wsum;
	return t->root ? t->root->wsum : 0;
}

/* An agent's membership of a queue; its node sits in one of the queue's agent trees
 * while the agent is available for that queue. */
struct acd__member {
	/* Read for every membership when the agent frees up: kept ahead of the node. */
	uint32_t agent, queue;
	uint16_t pen_idx; /* index of `penalty` in the queue's sorted penalty list */
	uint8_t stage;	  /* first relaxation stage at which the agent qualifies */
	bool indexed;
	int penalty;
	uint32_t order;
	uint32_t weight; /* proficiency: sum of levels in the queue's skills, at least 1 */
	struct acd__member *qnext, *qprev; /* the queue's member list */
	struct acd__node node;
};

/* Queue `queue` offers its contacts at relaxation stage >= `stage` to this queue's
 * agents (stage-0 members). */
struct acd__borrow {
	uint32_t queue;
	uint8_t stage;
};

struct acd__contact;

struct acd__queue {
	/* What an agent freeing up reads first: one cache line for the common case. */
	uint32_t nwaiting; /* in the wait trees */
	uint8_t nstage;
	uint8_t channel;
	bool used;
	struct acd__tree wait[ACD__NSTAGE_MAX];
	struct acd_queue_params p;
	uint8_t stage_cap[ACD__NSTAGE_MAX]; /* cap on required levels, 0 = none */
	int stage_maxpen[ACD__NSTAGE_MAX];  /* worst penalty allowed, -1 = any */
	int *pens;			    /* distinct penalties of members, ascending */
	uint16_t npen, pens_cap;
	struct acd__tree *buckets; /* [pen_idx * nstage + stage]: available agents */
	uint32_t navail;	   /* agents in all buckets */
	uint32_t nqueued;	   /* waiting, sticky or ringing */
	uint32_t ncbqueued;	   /* callbacks among them */
	uint32_t ncontacts;	   /* every contact of this queue, connected ones included */
	struct acd__contact *arr_head, *arr_tail; /* queued contacts by entry time */
	struct acd__member *members;
	uint32_t nmembers, staffed;
	uint32_t next_order;
	struct acd__borrow *borrowers;
	uint32_t nborrowers, borrowers_cap;
	uint64_t rr_last;
	bool rr_valid;
	struct acd_queue_counters c;
	struct acd_queue_counters before; /* the days before acd_stats_reset: c + before is
					   * since the queue was made (Prometheus counters) */
	double aht_ewma;
};

/* The part of a membership read when the agent frees up, kept apart and dense. */
struct acd__mhot {
	uint32_t queue;
	uint8_t stage;
};

struct acd__agent {
	bool used;
	uint64_t ref;
	uint8_t presence;    /* enum acd_state: LOGGED_OUT, READY, NOT_READY */
	uint8_t state;	     /* last reported enum acd_state */
	uint16_t reason;     /* not-ready reason of the presence */
	uint16_t rep_reason; /* reason last reported */
	int cap_param[ACD_CH_COUNT];
	uint8_t cap[ACD_CH_COUNT], load[ACD_CH_COUNT];
	uint8_t ext[ACD_CH_COUNT]; /* of load: contacts the ACD did not route */
	uint8_t avail;		   /* channels it can take a new contact on now */
	uint8_t missed;
	bool had_contact;
	bool paused_now; /* just paused for missed offers (ring-all timeout bookkeeping) */
	struct acd_skill_level *skills; /* sorted by skill id */
	size_t nskills;
	struct acd_membership *explicit_q;
	size_t nexplicit;
	struct acd__member *members;
	struct acd__mhot *mhot; /* queue and stage of members[i] */
	uint32_t nmembers;
	uint32_t nindexed; /* memberships in a tree of free agents */
	uint64_t idle_since, state_since;
	bool in_wrap;
	uint64_t wrap_until, wrap_start, wrap_talk;
	uint32_t wrap_queue;
	uint32_t answered;
	uint64_t talk_ms;
	uint32_t offer;	     /* contact index ringing this agent, or ACD_NONE */
	uint32_t offer_next; /* next agent ringing for the same contact (ring-all) */
	struct acd__tree sticky;
	uint32_t hidx;
};

enum acd__where { ACD__IN_NONE, ACD__IN_QUEUE, ACD__IN_STICKY };

/* Contacts are 64-byte aligned, and laid out so that deciding whether an agent may take
 * the contact at a tree's head (key in the node, avoid and nskills before it) reads one
 * cache line. */
struct acd__contact {
	uint32_t avoid; /* agent not to offer it to before avoid_until */
	uint8_t nskills, stage, state, channel;
	uint64_t avoid_until;
	struct acd__node node; /* in a queue's wait tree or an agent's sticky tree */
	uint32_t queue;
	uint8_t where; /* enum acd__where */
	uint8_t priority;
	bool used, callback;
	struct acd_skill_level skills[ACD_MAX_CONTACT_SKILLS];
	struct acd__contact *anext, *aprev; /* the queue's list by entry time */
	uint64_t ref;
	uint32_t id;	 /* index | generation << 24 */
	uint32_t agent;	 /* connected agent */
	uint32_t offers; /* first agent ringing for it */
	uint16_t noffers;
	bool overdue, queued;
	uint64_t since, entered, answered_at;
	uint32_t preferred;
	uint64_t sticky_until;
	uint64_t ring_until;
	uint64_t next_announce;
	uint32_t seq;
	uint32_t hidx;
	uint32_t next_free;
} __attribute__((aligned(64)));

struct acd__skill {
	char *name;
	uint32_t *agents; /* agents with this skill */
	uint32_t nagents, agents_cap;
	uint32_t *queues; /* queues whose first required skill this is */
	uint32_t nqueues, queues_cap;
};

struct acd__hent {
	uint64_t at;
	uint32_t owner; /* contact index, or agent index | ACD__AGENT_BIT */
};

enum acd__ev_type {
	ACD__EV_STATE,
	ACD__EV_OFFER,
	ACD__EV_CANCEL,
	ACD__EV_OVERFLOW,
	ACD__EV_ANNOUNCE
};

struct acd__event {
	enum acd__ev_type type;
	enum acd_cancel_reason why;
	union {
		struct acd_state_event st;
		struct acd_offer of;
		struct acd_overflow ov;
		struct acd_announce an;
	} u;
};

struct acd_strategy;

struct acd {
	struct acd_params p;
	struct acd_handlers h;
	struct acd__agent *agents;
	uint32_t nagents; /* slots in use up to this index */
	struct acd__queue *queues;
	uint32_t nqueues;
	struct acd__skill *skills;
	uint32_t nskills;
	struct acd__contact *contacts;
	uint32_t free_contact;
	uint32_t ncontacts;
	struct acd__hent *heap;
	uint32_t nheap;
	struct acd__event *ev;
	size_t ev_head, ev_n, ev_cap;
	int depth;
	bool dispatching;
	uint64_t rng;
	uint32_t seq;
	size_t mem;
	uint64_t now;
};

/* acd.c: events, memory, random numbers, call bracketing */
void acd__enter(struct acd *acd, uint64_t now);
void acd__leave(struct acd *acd);
void acd__emit(struct acd *acd, const struct acd__event *ev);
void *acd__calloc(struct acd *acd, size_t n, size_t size);
void *acd__realloc(struct acd *acd, void *p, size_t old_n, size_t new_n, size_t size);
void acd__free(struct acd *acd, void *p, size_t n, size_t size);
uint64_t acd__rand(struct acd *acd);
static inline uint32_t acd__rand32(struct acd *acd)
{
	return (uint32_t)(acd__rand(acd) >> 32);
}
int acd__check_skills(const struct acd *acd, const struct acd_skill_level *s, size_t n, size_t max);

/* lookups */
struct acd__agent *acd__agent_get(const struct acd *acd, uint32_t a);
struct acd__queue *acd__queue_get(const struct acd *acd, uint32_t q);
struct acd__contact *acd__contact_get(const struct acd *acd, uint32_t c);
static inline uint32_t acd__agent_id(const struct acd *acd, const struct acd__agent *a)
{
	return (uint32_t)(a - acd->agents);
}
static inline uint32_t acd__queue_id(const struct acd *acd, const struct acd__queue *q)
{
	return (uint32_t)(q - acd->queues);
}
static inline uint32_t acd__contact_idx(const struct acd *acd, const struct acd__contact *c)
{
	return (uint32_t)(c - acd->contacts);
}

/* agent.c */
uint8_t acd__agent_level(const struct acd__agent *a, uint32_t skill);
void acd__agent_refresh(struct acd *acd, struct acd__agent *a, enum acd_cause cause,
			uint32_t contact);
void acd__agent_report(struct acd *acd, struct acd__agent *a, enum acd_cause cause,
		       uint32_t contact);
bool acd__agent_missed(struct acd *acd, struct acd__agent *a, struct acd__queue *q);
void acd__agent_wrap_start(struct acd *acd, struct acd__agent *a, struct acd__queue *q,
			   uint64_t talk_ms);
void acd__agent_wrap_end(struct acd *acd, struct acd__agent *a, enum acd_cause cause);
void acd__agent_tick(struct acd *acd, struct acd__agent *a);
void acd__agent_rekey_all(struct acd *acd);

/* member.c */
int acd__agent_rebuild(struct acd *acd, struct acd__agent *a);
void acd__agent_unindex(struct acd *acd, struct acd__agent *a);
void acd__agent_sync_index(struct acd *acd, struct acd__agent *a);
void acd__member_key(const struct acd *acd, const struct acd__queue *q, const struct acd__agent *a,
		     struct acd__member *m);
void acd__queue_compute_stages(struct acd__queue *q);
int acd__member_stage(const struct acd__queue *q, const struct acd__agent *a, int penalty);
uint8_t acd__stage_level(const struct acd__queue *q, uint8_t stage, uint8_t level);
void acd__presence_counts(struct acd *acd, struct acd__agent *a, int delta);

/* contact.c */
void acd__contact_queue_in(struct acd *acd, struct acd__contact *c);
void acd__contact_queue_out(struct acd *acd, struct acd__contact *c);
void acd__contact_key(struct acd__contact *c);
void acd__contact_release(struct acd *acd, struct acd__contact *c);
void acd__contact_unqueue(struct acd__queue *q, struct acd__contact *c);
void acd__contact_overflow(struct acd *acd, struct acd__contact *c, enum acd_overflow_reason r);
void acd__contact_schedule(struct acd *acd, struct acd__contact *c);
bool acd__contact_fits(const struct acd *acd, const struct acd__contact *c,
		       const struct acd__agent *a);
uint32_t acd__contact_position(const struct acd *acd, const struct acd__contact *c);
uint8_t acd__stage_at(const struct acd__queue *q, uint64_t waited);

/* route.c */
void acd__route_contact(struct acd *acd, struct acd__contact *c);
void acd__route_agent(struct acd *acd, struct acd__agent *a);

/* offer.c */
void acd__offer(struct acd *acd, struct acd__contact *c, struct acd__agent *a, bool ring_all);
void acd__offer_ring_timeout(struct acd *acd, struct acd__contact *c);
void acd__offers_cancel(struct acd *acd, struct acd__contact *c, enum acd_cancel_reason why);
void acd__contact_back(struct acd *acd, struct acd__contact *c, uint32_t avoid);
void acd__contact_tick(struct acd *acd, struct acd__contact *c);
void acd__offer_withdraw_agent(struct acd *acd, struct acd__agent *a);

/* strategy.c */
typedef struct acd__member *(acd__pick_h)(struct acd *acd, struct acd__queue *q,
					  struct acd__tree *const *trees, size_t n,
					  const struct acd__contact *c);
typedef void(acd__key_h)(const struct acd__agent *a, const struct acd__member *m, uint8_t channel,
			 uint64_t *k1, uint64_t *k2);
struct acd_strategy {
	const char *name;
	acd__pick_h *pick;
	acd__key_h *key;
	bool ring_all;
	bool list; /* keys arrive in increasing order: index agents in sorted lists */
};
const struct acd_strategy *acd__strategy(enum acd_strategy_id id);
struct acd__member *acd__pick_ordered(struct acd *acd, struct acd__queue *q,
				      struct acd__tree *const *trees, size_t n,
				      const struct acd__contact *c);

/* heap.c */
void acd__timer_set(struct acd *acd, uint32_t owner, uint64_t at);
uint32_t acd__timer_pop_due(struct acd *acd, uint64_t now);

/* stats.c */
void acd__stats_answered(struct acd__queue *q, struct acd__contact *c, uint64_t now);
void acd__stats_left(struct acd__queue *q, struct acd__contact *c, uint64_t now, bool abandon);
void acd__stats_handled(struct acd__queue *q, uint64_t talk_ms, uint64_t wrap_ms);
uint64_t acd__ewt(const struct acd__queue *q, uint32_t position);

#endif
