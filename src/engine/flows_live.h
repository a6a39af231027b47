/*
 * Flows and calendars as live objects: their definitions (the file's and the API's, each
 * flow with its versions), and the generations built from them that calls run in.
 *
 * A generation is one tenant's flow set with the calendars its time conditions read,
 * built from the published version of every flow. New calls enter the tenant's current
 * generation; a call holds a reference to the one it entered until its flow ends, so a
 * change (a new version, a publish, a calendar edited, a reload) never alters a call in
 * progress. A generation no call holds and that is no longer current is freed at once;
 * the current ones are freed when the engine stops.
 *
 * A change is validated on the engine's thread (the IVR validator, against the queues,
 * users and trunks that run now), then the new generation's fixed TTS texts are rendered
 * on a thread of its own; only then does it become current and the API request that made
 * it is answered. The engine never waits for synthesis. Changes made while another one
 * renders are numbered: a generation that finishes after a later one is dropped.
 *
 * Definitions made through the API are stored in the objects table (kind "flows": the
 * versions and the published number in one JSON document; kind "calendars": the
 * calendar's JSON) and read again at start. The file's flows are version 1 at start, and
 * each reload that changes one adds a version.
 */
#ifndef CENTRALA_ENGINE_FLOWS_LIVE_H
#define CENTRALA_ENGINE_FLOWS_LIVE_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/engine_int.h"

#define LIVE_MAX_VERSIONS 100 /* versions kept per flow (the published one always) */

struct eng_flow_ver {
	unsigned no;
	int64_t created_ms;
	char by[48]; /* "file" or "api:USER" */
	char *body;  /* the flow as compact JSON */
};

struct eng_flowdef {
	char name[64];
	bool file; /* the configuration file lists it */
	struct eng_flow_ver *v;
	size_t nv, cap;
	unsigned published; /* the version new calls run (0: none yet) */
	unsigned next_no;
};

struct eng_caldef {
	char name[64];
	bool file;
	char *body; /* the calendar as compact JSON */
	int64_t updated_ms;
};

/* A request answered when its generation goes live. */
struct live_reply {
	uint64_t req;		   /* 0: none (a reload) */
	char tenant[40], user[48]; /* who asked: the store's audit entry */
	int status;
	json_t *body;
	char kind[16], key[64];
	char *store_body; /* NULL: the object is deleted */
};

struct eng_flowgen {
	unsigned refs; /* calls in it, plus one while it is current */
	uint64_t seq;
	struct eng_tenant *t;
	struct ivr_flowset *set;
	struct ivr_calendar **cals;
	size_t ncals;
	struct strmap *cal_by_name; /* name -> cals[i]: queues' hours (eng__calendar) */
	struct cy **docs;	    /* the flows' and calendars' parsed JSON */
	size_t ndocs;
	/* While rendering: */
	struct live_reply reply;
	pthread_t th;
	bool thread;
	atomic_bool rendered;
	unsigned nrendered;
	struct eng_flowgen *next; /* the engine's list of generations rendering */
};

struct eng_live {
	struct eng_flowdef *flows;
	size_t nflows, flows_cap;
	struct eng_caldef *cals;
	size_t ncals, cals_cap;
	struct eng_flowgen *cur; /* what new calls enter, NULL: no flows */
	uint64_t seq, live_seq;
	bool reload_changed; /* eng__live_reload_calendars changed some: build again */
};

/* flows_gen.c */
/* Builds a generation of t from its definitions (validated; not rendered). On error
 * writes the first message and the field it is about ("flows.NAME.nodes.x" form) and
 * returns EINVAL (or ENOMEM). */
int eng__gen_build(struct eng_tenant *t, struct eng_flowgen **out, char *msg, size_t msize);
void eng__gen_free(struct eng_flowgen *g);
/* A call entering / leaving generation g. */
void eng__gen_ref(struct eng_flowgen *g);
void eng__gen_unref(struct eng_flowgen *g);
/* Renders g's fixed TTS texts now (start-up) and makes it current. */
void eng__gen_install_sync(struct eng_tenant *t, struct eng_flowgen *g);
/* Renders g's texts on a thread, then makes it current and sends `reply`. 0 or errno
 * (g freed, nothing sent). */
int eng__gen_start(struct eng_tenant *t, struct eng_flowgen *g, struct live_reply *reply);
/* API_OP_FLOWS_READY: installs the generations whose texts are rendered. */
void eng__gens_ready(struct engine *e);
/* At the stop: joins the render threads, frees every generation. */
void eng__gens_stop(struct engine *e);

/* The calendar of g named `name`, or NULL; a hash lookup. */
const struct ivr_calendar *eng__gen_calendar(const struct eng_flowgen *g, const char *name);

/* flows_live.c */
struct eng_flowdef *eng__flowdef(struct eng_tenant *t, const char *name);
struct eng_caldef *eng__caldef(struct eng_tenant *t, const char *name);
const struct eng_flow_ver *eng__flow_ver(const struct eng_flowdef *d, unsigned no);
/* Loads the file's definitions and the API's from the store. 0 or ENOMEM. */
int eng__live_load(struct engine *e);
void eng__live_free(struct engine *e);
/* A tenant a reload added: its file's flows and calendars, rendered off the thread. */
int eng__live_tenant_add(struct eng_tenant *t);
/* API commands about flows and calendars; false when m is not one. */
bool eng__live_command(struct engine *e, struct eng_tenant *t, struct api_cmd *m);
/* SIGHUP, before the queues: the file's calendars of t added or changed as nt says (so
 * a queue's hours may name a calendar the same reload adds). */
void eng__live_reload_calendars(struct eng_tenant *t, const struct cfg_tenant *nt, unsigned *added,
				unsigned *changed);
/* SIGHUP, after the queues: the file's calendars removed (one a queue's hours name is
 * kept, and logged), its flows as nt says, then the new generation. */
void eng__live_reload(struct eng_tenant *t, const struct cfg_tenant *nt, unsigned *added,
		      unsigned *changed, unsigned *removed);
/* A YAML node as compact JSON (malloc'd), NULL on failure. */
char *eng__node_json(struct fy_node *n);
/* The store's document of an API flow: {published, next, versions: [...]}. */
json_t *eng__flowdef_doc(const struct eng_flowdef *d);
/* Reads such a document into d (empty). 0, or EINVAL when it is not one or does not hold
 * its published version (d may hold some versions then: the caller drops it). */
int eng__flowdef_load_doc(struct eng_flowdef *d, const char *text);
/* Editing the definitions (flows_api.c); pointers into the lists are valid until the
 * next add or remove. NULL / ENOMEM when out of memory. */
struct eng_flowdef *eng__live_flowdef_add(struct eng_tenant *t, const char *name);
void eng__live_flowdef_remove(struct eng_tenant *t, struct eng_flowdef *d);
int eng__live_ver_add(struct eng_flowdef *d, const char *by, const char *body);
void eng__live_ver_drop_last(struct eng_flowdef *d);
struct eng_caldef *eng__live_caldef_add(struct eng_tenant *t, const char *name, const char *body);
void eng__live_caldef_remove(struct eng_tenant *t, struct eng_caldef *c);

#endif
