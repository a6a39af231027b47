/*
 * Once a minute, per tenant: the "today" counters zeroed when its local midnight has
 * passed (midnight.c), and one log line of live figures per queue.
 */
#include "engine/engine_int.h"

#include "core/clock.h"
#include "core/log.h"

static double or_zero(double v)
{
	return v < 0 ? 0 : v;
}

void eng__queue_minute(struct engine *e)
{
	uint64_t now = clock_mono_ms();
	int64_t wall = clock_wall_ms();

	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		if (t->acd && wall >= t->next_reset_ms) {
			acd_stats_reset(t->acd, now);
			t->next_reset_ms = eng__tenant_next_midnight(t, wall);
			log_info("engine", "tenant=%s event=counters_reset", t->ct->id);
		}
		for (size_t j = 0; t->acd && j < t->nqueues; j++) {
			struct acd_queue_stats st;
			if (acd_queue_stats(t->acd, t->queues[j]->id, now, &st))
				continue;
			log_info(
			    "engine",
			    "tenant=%s event=queue_stats queue=%s waiting=%u longest_wait_ms=%llu "
			    "ready=%u busy=%u wrap_up=%u not_ready=%u offered=%llu "
			    "answered=%llu abandoned=%llu abandoned_short=%llu sl_pct=%.1f "
			    "asa_s=%.1f aht_s=%.1f",
			    t->ct->id, t->queues[j]->cq->id, st.waiting,
			    (unsigned long long)st.longest_wait_ms, st.agents[ACD_STATE_READY],
			    st.agents[ACD_STATE_BUSY] + st.agents[ACD_STATE_RESERVED],
			    st.agents[ACD_STATE_WRAP_UP], st.agents[ACD_STATE_NOT_READY],
			    (unsigned long long)st.c.offered, (unsigned long long)st.c.answered,
			    (unsigned long long)st.c.abandoned,
			    (unsigned long long)st.c.abandoned_short,
			    or_zero(st.service_level) * 100.0, or_zero(st.asa_ms) / 1000.0,
			    or_zero(st.aht_ms) / 1000.0);
		}
	}
}
