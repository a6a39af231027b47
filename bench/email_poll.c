/*
 * The email channel's throughput through IMAP: passes of email_poll_once over a real
 * Dovecot mailbox (bench/email-imap.sh fills it and starts the server) with a SQLite
 * store, until every message is handled: each message fetched with UID FETCH, read by
 * GMime, threaded against the store and marked handled, exactly as the worker does;
 * the hand-over to the engine is a counter here. Prints messages per second (wall) and
 * CPU microseconds per message of this process (IMAP server's CPU not included).
 *
 *   bench_email_poll IMAP_URL USER PASS STORE_URL [BATCH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/email.h"
#include "crm/crm.h"
#include "store/store.h"

static uint64_t ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int deliver(const struct email_msg *m, const char *joined, char ix[64], void *arg)
{
	char id[CRM_ID_SIZE];

	(void)m;
	(*(size_t *)arg)++;
	if (joined)
		snprintf(ix, 64, "%s", joined);
	else {
		crm_id_new(id);
		snprintf(ix, 64, "%s", id);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct store_db *db = NULL;
	size_t handed = 0, total = 0, passes = 0;
	struct email_poll p = {.tenant = "acme", .queue = "support", .deliver = deliver};
	struct email_poll_stats st, sum = {0};
	uint64_t w0, c0, w, c;
	int err;

	if (argc < 5) {
		fprintf(stderr, "usage: bench_email_poll IMAP_URL USER PASS STORE_URL [BATCH]\n");
		return 2;
	}
	p.imap = (struct email_imap){
	    .url = argv[1], .user = argv[2], .pass = argv[3], .timeout_ms = 60000};
	p.batch = argc > 5 ? (size_t)atoi(argv[5]) : 1000;
	p.arg = &handed;
	if ((err = store_db_open(argv[4], &db))) {
		fprintf(stderr, "store: %d\n", err);
		return 1;
	}
	w0 = ns(CLOCK_MONOTONIC);
	c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
	do {
		if ((err = email_poll_once(&p, db, &st))) {
			fprintf(stderr, "poll: %d\n", err);
			return 1;
		}
		total = st.delivered + st.joined + st.automatic + st.refused;
		fprintf(stderr, "pass %zu: %zu messages\n", passes + 1, total);
		sum.delivered += st.delivered;
		sum.joined += st.joined;
		sum.automatic += st.automatic;
		sum.refused += st.refused;
		passes++;
	} while (total);
	w = ns(CLOCK_MONOTONIC) - w0;
	c = ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	total = sum.delivered + sum.joined + sum.automatic + sum.refused;
	printf("messages %zu (new conversations %zu, joined %zu, automatic %zu, refused %zu) in "
	       "%zu passes of up to %zu\n",
	       total, sum.delivered, sum.joined, sum.automatic, sum.refused, passes - 1, p.batch);
	printf("wall %.2f s: %.0f messages/s; CPU of this process %.1f us/message\n", w / 1e9,
	       total ? total / (w / 1e9) : 0, total ? c / 1e3 / (double)total : 0);
	store_db_close(db);
	return 0;
}
