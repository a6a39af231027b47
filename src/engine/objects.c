/*
 * Queues made, changed and removed through the API while the server runs (numbers are
 * in numbers.c). A new queue takes calls at once and agents whose skills reach its own
 * join it; a change applies to the next routing decision, contacts waiting keep their
 * places. The file owns the queues it lists: those are never changed here.
 *
 * Removal is refused (EBUSY, 409 in_use) while the ACD holds a contact of the queue or
 * a number or another queue points at it. A removed queue leaves the tenant's set and
 * its indexes at once; its small record stays allocated until the engine stops, so a
 * call that ended in it (wrap-up, its record) still reads valid memory. A changed
 * queue's earlier settings are kept the same way.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

void eng__keep_file_cfg(struct engine *e, struct cfg *c)
{
	struct eng_old_cfg *o = malloc(sizeof(*o));

	if (!o) {
		log_warn("engine", "event=old_configuration_leaked");
		return;
	}
	o->cfg = c;
	o->next = e->old_files;
	e->old_files = o;
}

void eng__old_files_free(struct engine *e)
{
	while (e->old_files) {
		struct eng_old_cfg *o = e->old_files;
		e->old_files = o->next;
		cfg_free(o->cfg);
		free(o);
	}
}
/* The earlier fragments of changed queues and users, freed at the stop. */
void eng__keep_old_cfg(struct eng_tenant *t, struct cfg *c)
{
	struct eng_old_cfg *o;

	if (!c)
		return;
	if (!(o = malloc(sizeof(*o)))) {
		/* Leaked rather than freed under a call that may read it. */
		log_warn("engine", "tenant=%s event=old_queue_settings_leaked", t->ct->id);
		return;
	}
	o->cfg = c;
	o->next = t->old_cfgs;
	t->old_cfgs = o;
}

void eng__objects_free(struct eng_tenant *t)
{
	while (t->old_cfgs) {
		struct eng_old_cfg *o = t->old_cfgs;
		t->old_cfgs = o->next;
		cfg_free(o->cfg);
		free(o);
	}
}

/* Why target tg (a queue's overflow) cannot be used in t, or NULL. */
static const char *target_problem(struct engine *e, struct eng_tenant *t,
				  const struct cfg_target *tg, const char *self)
{
	if (tg->kind == CFG_TARGET_QUEUE && strcmp(tg->value, self) && !eng__queue(e, t, tg->value))
		return "overflow: no such queue in this tenant";
	if (tg->kind == CFG_TARGET_USER && !strmap_get2(e->usernames, t->ct->id, tg->value))
		return "overflow: no such user in this tenant";
	if (tg->kind == CFG_TARGET_FLOW && !eng__flow_exists(t, tg->value))
		return "overflow: no such flow in this tenant";
	if (tg->kind == CFG_TARGET_NUMBER && tg->trunk && !cfg_trunk_find(t->ct, tg->trunk))
		return "overflow: no such trunk in this tenant";
	return NULL;
}

/* References and names checked against what runs; NULL when cq can run in t. */
static const char *queue_problem(struct engine *e, struct eng_tenant *t, const struct cfg_queue *cq,
				 const char **field)
{
	enum acd_strategy_id sid;
	enum acd_sl_formula sf;
	const char *why;

	*field = "strategy";
	if (cq->strategy && acd_strategy_find(cq->strategy, &sid))
		return "unknown strategy (longest-idle, round-robin, least-calls, least-talk-time, "
		       "ring-all, linear, random, weighted-random, best-skill)";
	*field = "service_level_formula";
	if (cq->sl_formula && acd_sl_formula_find(cq->sl_formula, &sf))
		return "unknown service_level_formula (all_excl_short, answered, with_abandons, "
		       "all)";
	*field = "hours";
	if (cq->hours && !eng__calendar_defined(t, cq->hours))
		return "no such calendar in this tenant";
	*field = "skills";
	if (cq->nskills > ACD_MAX_QUEUE_SKILLS)
		return "too many skills";
	*field = "relax";
	if (cq->nrelax > ACD_MAX_RELAX)
		return "too many relaxation steps";
	for (size_t i = 0; i < cq->nrelax; i++)
		if (cq->relax[i].add_queue && !eng__queue(e, t, cq->relax[i].add_queue))
			return "add_queue: no such queue in this tenant";
	*field = "overflow";
	if ((why = target_problem(e, t, &cq->overflow, cq->id)))
		return why;
	*field = NULL;
	return NULL;
}

int eng__queue_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, bool *created,
		   const char **why, const char **field)
{
	const struct cfg_queue *cq = &owner->tenants[0].queues[0];
	struct eng_queue *q = eng__queue(e, t, cq->id);

	*field = "id";
	*why = NULL;
	if (cfg_queue_find(t->ct, cq->id)) {
		*why = "the queue is defined in the configuration file; change it there";
		return EEXIST;
	}
	if ((*why = queue_problem(e, t, cq, field)))
		return EINVAL;
	if (!t->acd)
		return ENOTCONN;
	*created = !q;
	return q ? eng__queue_replace(t, q, cq, owner, why) : eng__queue_create(t, cq, owner, why);
}

int eng__queue_create(struct eng_tenant *t, const struct cfg_queue *cq, struct cfg *owner,
		      const char **why)
{
	struct eng_queue *q;
	int err;

	if ((err = eng__queue_append(t, cq, owner, &q)))
		return err;
	if ((err = eng__queue_acd_add(t, q))) {
		t->nqueues--;
		strmap_put2(t->e->queue_ids, t->ct->id, cq->id, NULL);
		free(q); /* the caller frees owner */
		*why = err == ENOSPC ? "the tenant has as many queues as it can hold"
				     : "the ACD refused the queue";
		return err == ENOSPC ? ENOSPC : EINVAL;
	}
	log_info("engine", "tenant=%s event=queue_added queue=%s source=%s", t->ct->id, cq->id,
		 owner ? "api" : "file");
	return 0;
}

int eng__queue_replace(struct eng_tenant *t, struct eng_queue *q, const struct cfg_queue *cq,
		       struct cfg *owner, const char **why)
{
	const struct cfg_queue *old_cq = q->cq;
	const struct ivr_calendar *old_hours = q->hours;
	struct cfg *old_owner = q->owner;

	q->cq = cq;
	q->owner = owner;
	q->hours = cq->hours ? eng__calendar(t, cq->hours) : NULL;
	if (eng__queue_acd_update(t, q)) {
		q->cq = old_cq;
		q->owner = old_owner;
		q->hours = old_hours;
		*why = "the ACD refused the change";
		return EINVAL;
	}
	eng__keep_old_cfg(t, old_owner);
	log_info("engine", "tenant=%s event=queue_changed queue=%s source=%s", t->ct->id, cq->id,
		 owner ? "api" : "file");
	return 0;
}

/* What in t still points at queue id (a number, another queue), or NULL. */
static const char *queue_users(struct engine *e, struct eng_tenant *t, const char *id, char *buf,
			       size_t size)
{
	for (size_t i = 0; i < t->ct->nnumbers; i++) {
		const struct cfg_number *n = &t->ct->numbers[i];
		if (n->target.kind == CFG_TARGET_QUEUE && !strcmp(n->target.value, id)) {
			snprintf(buf, size, "number %s routes to it", n->number);
			return buf;
		}
	}
	{
		const struct cfg_number *n = eng__api_number_to(e, t, CFG_TARGET_QUEUE, id);
		if (n) {
			snprintf(buf, size, "number %s routes to it", n->number);
			return buf;
		}
	}
	if (eng__camp_uses(e, t, DIALER_REF_QUEUE, id, buf, size))
		return buf;
	for (size_t i = 0; i < t->nqueues; i++) {
		const struct cfg_queue *cq = t->queues[i]->cq;
		bool uses = cq->overflow.kind == CFG_TARGET_QUEUE &&
			    !strcmp(cq->overflow.value, id) && strcmp(cq->id, id);
		for (size_t k = 0; k < cq->nrelax && !uses; k++)
			uses = cq->relax[k].add_queue && !strcmp(cq->relax[k].add_queue, id) &&
			       strcmp(cq->id, id);
		if (uses) {
			snprintf(buf, size, "queue %s overflows or relaxes to it", cq->id);
			return buf;
		}
	}
	return NULL;
}

int eng__queue_retire(struct engine *e, struct eng_tenant *t, struct eng_queue *q, char *why,
		      size_t size)
{
	const char *id = q->cq->id;
	int err;

	if (queue_users(e, t, id, why, size))
		return EBUSY;
	if (t->acd && (err = eng__queue_acd_remove(t, q))) {
		snprintf(why, size, "%s",
			 err == EBUSY ? "calls are waiting in it or ringing from it"
				      : "the ACD refused the removal");
		return EBUSY;
	}
	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i] == q) {
			memmove(&t->queues[i], &t->queues[i + 1],
				(t->nqueues - i - 1) * sizeof(*t->queues));
			t->nqueues--;
			break;
		}
	strmap_put2(e->queue_ids, t->ct->id, id, NULL);
	q->removed = true;
	q->retired_next = t->retired;
	t->retired = q;
	log_info("engine", "tenant=%s event=queue_removed queue=%s source=%s", t->ct->id, id,
		 q->owner ? "api" : "file");
	return 0;
}

int eng__queue_delete(struct engine *e, struct eng_tenant *t, const char *id, char *why,
		      size_t size)
{
	struct eng_queue *q = eng__queue(e, t, id);

	why[0] = '\0';
	if (cfg_queue_find(t->ct, id))
		return EEXIST;
	if (!q)
		return ENOENT;
	return eng__queue_retire(e, t, q, why, size);
}

/* ---- the provisioning view ---- */

static json_t *duration(uint64_t ms)
{
	char buf[32];

	if (ms && ms % 3600000 == 0)
		snprintf(buf, sizeof(buf), "%lluh", (unsigned long long)(ms / 3600000));
	else if (ms && ms % 60000 == 0)
		snprintf(buf, sizeof(buf), "%llum", (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, sizeof(buf), "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, sizeof(buf), "%llums", (unsigned long long)ms);
	return json_string(buf);
}

static json_t *target_json(const struct cfg_target *tg)
{
	static const char *const kinds[] = {[CFG_TARGET_QUEUE] = "queue",
					    [CFG_TARGET_USER] = "user",
					    [CFG_TARGET_NUMBER] = "number",
					    [CFG_TARGET_FLOW] = "flow",
					    [CFG_TARGET_MESSAGE] = "message"};
	json_t *j = json_object();

	if (tg->kind == CFG_TARGET_HANGUP)
		json_object_set_new(j, "hangup", json_true());
	else if (tg->kind > CFG_TARGET_NONE && tg->kind <= CFG_TARGET_MESSAGE && tg->value)
		json_object_set_new(j, kinds[tg->kind], json_string(tg->value));
	if (tg->trunk)
		json_object_set_new(j, "trunk", json_string(tg->trunk));
	return j;
}

json_t *eng__queue_config_json(const struct eng_queue *q)
{
	const struct cfg_queue *cq = q->cq;
	json_t *j = json_object(), *skills = json_object();

#define SET(k, v) json_object_set_new(j, k, v)
	SET("id", json_string(cq->id));
	if (cq->name)
		SET("name", json_string(cq->name));
	SET("strategy", json_string(cq->strategy ? cq->strategy : "longest-idle"));
	if (cq->sl_formula)
		SET("service_level_formula", json_string(cq->sl_formula));
	for (size_t i = 0; i < cq->nskills; i++)
		json_object_set_new(skills, cq->skills[i].name, json_integer(cq->skills[i].level));
	SET("skills", skills);
	SET("ring_timeout", duration(cq->ring_timeout_ms));
	SET("wrap_up", duration(cq->wrap_up_ms));
	SET("max_wait", duration(cq->max_wait_ms));
	SET("service_level", duration(cq->service_level_ms));
	SET("service_level_target", json_integer(cq->service_level_target));
	SET("short_abandon", duration(cq->short_abandon_ms));
	SET("sticky", duration(cq->sticky_ms));
	SET("max_len", json_integer(cq->max_len));
	if (cq->priority >= 0)
		SET("priority", json_integer(cq->priority));
	SET("max_no_answer", json_integer(cq->max_no_answer));
	if (cq->nrelax) {
		json_t *rl = json_array();
		for (size_t i = 0; i < cq->nrelax; i++) {
			const struct cfg_relax *r = &cq->relax[i];
			json_t *s = json_pack("{s:o}", "after", duration(r->after_ms));
			if (r->min_level)
				json_object_set_new(s, "min_level", json_integer(r->min_level));
			if (r->max_penalty >= 0)
				json_object_set_new(s, "max_penalty", json_integer(r->max_penalty));
			if (r->add_queue)
				json_object_set_new(s, "add_queue", json_string(r->add_queue));
			json_array_append_new(rl, s);
		}
		SET("relax", rl);
	}
	if (cq->overflow.kind != CFG_TARGET_NONE)
		SET("overflow", target_json(&cq->overflow));
	if (cq->hours)
		SET("hours", json_string(cq->hours));
	if (cq->moh)
		SET("moh", json_string(cq->moh));
	if (cq->announce_every_ms)
		SET("announce",
		    json_pack("{s:o, s:b, s:b}", "every", duration(cq->announce_every_ms),
			      "position", cq->announce_position, "ewt", cq->announce_ewt));
	if (cq->callback_digit)
		SET("callback_digit", json_string(cq->callback_digit));
#undef SET
	return j;
}

/* ---- at start: the queues the API made ---- */

bool eng__api_load_in_file(struct eng_api_load *l, const char *key, bool in_file)
{
	if (!in_file)
		return false;
	log_info("engine", "tenant=%s event=api_object_replaced object=%s key=%s by=file",
		 l->t->ct->id, l->object, key);
	l->skipped++;
	return true;
}

void eng__api_load_put(struct eng_api_load *l, const char *key, struct cfg *c, int err,
		       const char *why, const char *fallback)
{
	if (err || !c || cfg_error_count(c)) {
		log_warn("engine", "tenant=%s event=api_%s_skipped %s=%s why=\"%s\"", l->t->ct->id,
			 l->object, l->object, key,
			 why			   ? why
			 : c && cfg_error_count(c) ? cfg_error_at(c, 0)
			 : fallback		   ? fallback
						   : strerror(err ? err : EINVAL));
		l->skipped++;
		cfg_free(c); /* the put keeps it only when it succeeds */
		return;
	}
	log_info("engine",
		 "tenant=%s event=api_object object=%s key=%s note=\"made through the API, not "
		 "in the file\"",
		 l->t->ct->id, l->object, key);
	l->n++;
}

int eng__api_load_all(struct engine *e, const char *object, const char *objects,
		      int (*scan)(struct store_db *db, struct eng_api_load *l))
{
	struct store_db *db = NULL;
	int err;

	if ((err = store_db_open(e->cfg->store, &db)))
		return err;
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_api_load l = {.e = e, .t = &e->tenants[i], .object = object};
		if ((err = scan(db, &l)))
			break;
		if (l.n || l.skipped)
			log_info("engine",
				 "tenant=%s event=api_objects object=%s loaded=%u skipped=%u",
				 l.t->ct->id, objects, l.n, l.skipped);
	}
	store_db_close(db);
	return err;
}

static int load_one(const char *key, const char *body, void *arg)
{
	struct eng_api_load *l = arg;
	struct cfg *c = NULL;
	const char *why = NULL, *field = NULL;
	bool created;
	int err;

	if (eng__api_load_in_file(l, key, cfg_queue_find(l->t->ct, key)))
		return 0;
	if (!(err = cfg_load_fragment(l->t->ct->id, "queues", body, &c)) && !cfg_error_count(c))
		err = eng__queue_put(l->e, l->t, c, &created, &why, &field);
	eng__api_load_put(l, key, c, err, why, NULL);
	return 0;
}

static int scan(struct store_db *db, struct eng_api_load *l)
{
	return store_db_objects_api(db, l->t->ct->id, "queues", load_one, l);
}

int eng__queues_load_api(struct engine *e)
{
	return eng__api_load_all(e, "queue", "queues", scan);
}
