/*
 * A tenant's `campaigns:` checked with the rest of the configuration (`centrala check`,
 * and `serve` before anything is applied): the dialer parses them, and this file answers
 * its questions about the tenant's queues, flows, trunks, calendars and dispositions.
 */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>

#include "dialer/dialer.h"

static bool exists(void *arg, enum dialer_ref kind, const char *name)
{
	const struct cfg_tenant *t = arg;

	switch (kind) {
	case DIALER_REF_QUEUE:
		return cfg_queue_find(t, name) != NULL;
	case DIALER_REF_FLOW:
		return cfg_flow_find(t, name) != NULL;
	case DIALER_REF_TRUNK:
		return cfg_trunk_find(t, name) != NULL;
	case DIALER_REF_CALENDAR:
		return cfg_calendar_find(t, name) != NULL;
	case DIALER_REF_DISPOSITION:
		/* A tenant without a list of dispositions takes any code. */
		for (size_t i = 0; i < t->ndispositions; i++)
			if (!strcmp(t->dispositions[i], name))
				return true;
		return t->ndispositions == 0;
	}
	return false;
}

size_t eng__campaigns_check(struct cfg *cfg)
{
	size_t before = cy_error_count(cfg->cy);

	for (size_t i = 0; i < cfg->ntenants; i++) {
		struct cfg_tenant *t = &cfg->tenants[i];
		struct dialer_campaign *v = NULL;
		size_t n = 0;
		char path[64];

		if (!t->campaigns)
			continue;
		snprintf(path, sizeof(path), "tenants[%zu].campaigns", i);
		if (!dialer_campaigns_parse(cfg->cy, t->campaigns, path, exists, t, &v, &n))
			dialer_campaigns_free(v, n);
	}
	return cy_error_count(cfg->cy) - before;
}
