/*
 * Stopping without cutting calls: after SIGTERM (or SIGINT) the engine refuses new calls
 * with 503 and a Retry-After, and lets the calls in progress go on, answered or waiting,
 * for up to `shutdown_grace` (default 30 s). It stops as soon as none is left, at once
 * when there was none, or when a second signal comes; whatever is still up then is hung
 * up by the usual shutdown (engine.c).
 */
#include "engine/engine_int.h"

#include "core/clock.h"
#include "core/log.h"

void eng__drain(struct engine *e, volatile sig_atomic_t *signals)
{
	uint64_t grace = e->cfg->shutdown_grace_ms, start = clock_mono_ms();
	sig_atomic_t seen = *signals;

	e->draining = true;
	if (!e->ncalls || !grace)
		return;
	log_info("engine", "event=draining calls=%zu grace_ms=%llu", e->ncalls,
		 (unsigned long long)grace);
	while (e->ncalls && clock_mono_ms() - start < grace && *signals == seen)
		su_root_step(e->root, 100);
	if (e->ncalls)
		log_warn("engine", "event=drain_cut calls=%zu reason=%s after_ms=%llu", e->ncalls,
			 *signals != seen ? "signal" : "grace",
			 (unsigned long long)(clock_mono_ms() - start));
	else
		log_info("engine", "event=drained after_ms=%llu",
			 (unsigned long long)(clock_mono_ms() - start));
}

bool eng__drain_refuse(struct engine *e, struct sip_leg *leg, const struct sip_invite_info *info)
{
	uint64_t retry_s = e->cfg->shutdown_grace_ms / 1000 + 5;

	if (!e->draining)
		return false;
	log_info("engine", "event=rejected status=503 reason=stopping number=%s source=%s",
		 info->to_user, info->source);
	sip_leg_unavailable(leg, (unsigned)(retry_s > 3600 ? 3600 : retry_s));
	return true;
}
