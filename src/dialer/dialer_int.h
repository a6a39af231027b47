/*
 * Private structures of the dialer module, shared by leads.c and window.c.
 */
#ifndef CENTRALA_DIALER_DIALER_INT_H
#define CENTRALA_DIALER_DIALER_INT_H

#include "core/strmap.h"
#include "dialer/dialer.h"

#define DIALER__ANY UINT32_MAX

struct dialer__lead {
	uint64_t id;
	char *phone;
	int32_t prio;
	uint16_t tz;
	uint8_t state; /* enum dialer_lead_state */
	uint8_t heap;  /* which heap holds it (leads.c) */
	uint8_t last;  /* enum dialer_result; DIALER_R_COUNT before any */
	bool callback;
	bool wsleep; /* asleep for its window or its day's attempts, not a retry delay */
	uint32_t agent;
	uint32_t attempts, day_attempts;
	int32_t day;
	uint32_t hpos;
	int64_t next_ms;
	uint64_t seq;
};

struct dialer__heap {
	uint32_t *v;
	uint32_t n;
};

struct dialer_leads {
	struct dialer_rules r; /* holidays: our sorted copy */
	struct dialer__lead *lead;
	uint32_t nslots, capslots;
	uint32_t *freeslots, nfree;
	uint32_t *ids; /* slot per hash bucket */
	size_t idcap, idused, nlive;
	struct dialer__heap ready, sleep;
	uint32_t *acb, nacb; /* due callbacks waiting for their agent */
	size_t open;
	uint64_t seq;
	struct strmap *dnc;
};

/* window.c */
int32_t dialer__offset(const struct dialer_rules *r, uint16_t tz, int64_t epoch_ms);
bool dialer__in_window(const struct dialer_rules *r, int32_t day, int32_t minute);
/* The next instant the window opens for zone tz after epoch_ms (from the next local
 * day when `next_day`), skipping holidays; DIALER_NEVER when none within a year. */
int64_t dialer__next_open(const struct dialer_rules *r, uint16_t tz, int64_t epoch_ms,
			  bool next_day);

#endif
