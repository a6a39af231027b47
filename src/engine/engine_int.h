/* Internals of the engine: runtime tenants, users, calls, and the files that use them. */
#ifndef CENTRALA_ENGINE_INT_H
#define CENTRALA_ENGINE_INT_H

#define SU_ROOT_MAGIC_T void

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

#include "core/config.h"
#include "core/mq.h"
#include "core/strmap.h"
#include "engine/engine.h"
#include "media/media.h"
#include "sip/sip.h"
#include "store/store.h"

#define ENG_MAX_FORKS 8

struct eng_tenant;

struct eng_user {
	const struct cfg_user *cu;
	struct eng_tenant *t;
	size_t ncontacts;
	unsigned active_calls;
};

struct eng_tenant {
	const struct cfg_tenant *ct;
	struct eng_user *users;
	size_t nusers;
};

enum call_state { CALL_ROUTING, CALL_RINGING, CALL_BRIDGED, CALL_ENDED };

struct call {
	uint64_t id;
	struct engine *e;
	struct eng_tenant *t;
	enum call_state state;
	struct sip_leg *a;		      /* the caller */
	struct sip_leg *forks[ENG_MAX_FORKS]; /* outgoing legs ringing */
	size_t nforks;
	struct sip_leg *b;	      /* the answered other side */
	struct eng_user *target_user; /* the user being rung, if any */
	int best_fail;		      /* best failure status among forks */
	bool a_held_by_b;
	char from[128], to[128], number[64], agent[64], queue[64];
	char recording[640];
	char disposition[32];
	int64_t created_ms, queued_ms, offered_ms, answered_ms, ended_ms;
	const char *hangup_by;
	json_t *timeline;
	struct call *hnext; /* hash chain */
};

struct engine {
	struct cfg *cfg;
	su_root_t *root;
	struct mq *media_events;
	su_wait_t media_wait;
	int media_reg;
	struct media *media;
	struct sip *sip;
	struct eng_tenant *tenants;
	size_t ntenants;
	struct strmap *by_domain; /* domain → eng_tenant */
	struct strmap *numbers;	  /* "tenant\x1fnumber" and "\x1fnumber" → cfg_number */
	struct strmap *sip_users; /* "domain\x1fsipuser" → eng_user */
	struct strmap *usernames; /* "tenant\x1fusername" → eng_user */
	struct call **calls;	  /* hash by id */
	size_t calls_cap, ncalls;
	uint64_t next_call_id;
	char last_rec_dir[512];
	struct store *store;
	struct mq *store_events; /* commit acknowledgements */
	su_wait_t store_wait;
	int store_reg;
	uint64_t stored, store_failed;
	uint64_t calls_total, calls_answered, calls_failed;
};

/* provision.c */
int eng__provision(struct engine *e);
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

/* record.c */
void eng__timeline(struct call *c, const char *event, const char *key, const char *value);
void eng__interaction_write(struct engine *e, struct call *c);
int eng__recording_path(struct engine *e, struct call *c);

#endif
