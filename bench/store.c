/*
 * Store benchmark: how fast the writer thread commits interactions (each with a
 * six-event timeline, in batched transactions), how long a contact lookup by phone
 * takes among 1,000,000 contacts (p50/p99, directly and through the reader thread),
 * and how many rows per second the export streams. SQLite always; PostgreSQL when a URL
 * is given (--pg URL or CENTRALA_BENCH_PG). The PostgreSQL database is emptied first
 * (DROP SCHEMA public): give it a throw-away one, e.g. from tests/store/pg-start.
 *
 *   build/bench_store [--pg URL] [--interactions N] [--contacts N] [--lookups N]
 *                     [--no-sqlite]
 *
 * Prints figures and the command that produced them; asserts nothing about time.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mq.h"
#include "store/store.h"

struct opts {
	const char *pg;
	size_t interactions, contacts, lookups;
	bool sqlite;
};

static double secs(uint64_t us)
{
	return (double)us / 1e6;
}

/* CPU time of this process (all threads), in microseconds: unlike wall time it does
 * not depend on what else the machine runs. */
static uint64_t cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, strerror(err));
	exit(1);
}

static void pg_reset(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *r = PQexec(c, "SET client_min_messages = warning; DROP SCHEMA public CASCADE; "
				"CREATE SCHEMA public");

	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench_store: %s: %s", url, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
	PQfinish(c);
}

/* Submits, waiting a little whenever the writer's queue is full (back-pressure). */
static void submit_retry(int (*fn)(struct store *, const void *), struct store *s, const void *rec)
{
	int err;

	while ((err = fn(s, rec)) == ENOBUFS)
		usleep(500);
	if (err)
		die("submit", err);
}

static int sub_ix(struct store *s, const void *rec)
{
	return store_interaction_submit(s, rec, NULL, 0);
}

static int sub_contact(struct store *s, const void *rec)
{
	return store_contact_submit(s, "acme", rec, NULL, 0);
}

static void wait_committed(struct store *s, uint64_t n)
{
	struct store_stats st;

	for (;;) {
		store_stats(s, &st);
		if (st.committed + st.failed >= n)
			break;
		usleep(1000);
	}
	if (st.failed)
		fprintf(stderr, "bench_store: %llu records refused\n",
			(unsigned long long)st.failed);
}

static void bench_writes(const char *name, const char *url, const char *spool, size_t n)
{
	static const char *const agents[] = {"alice", "bob", "carol", "dave"};
	struct store_opts o = {.spool_path = spool, .queue_max = 200000};
	struct crm_interaction ix = {0};
	struct crm_event tl[6];
	struct store_stats st;
	struct store *s;
	char id[CRM_ID_SIZE];
	uint64_t t0, t1, t2, c0;
	int64_t now = clock_wall_ms() - 86400000;
	int err;

	if ((err = store_create(url, &o, &s)))
		die("store_create", err);
	ix.tenant = "acme";
	ix.id = id;
	ix.from = "+48601234567";
	ix.to = "200";
	ix.number = "200";
	ix.queue = "support";
	ix.disposition = "resolved";
	ix.recording = "var/recordings/acme/call.wav";
	ix.hangup_by = "caller";
	ix.timeline = tl;
	ix.ntimeline = 6;
	t0 = clock_mono_us();
	c0 = cpu_us();
	for (size_t i = 0; i < n; i++) {
		int64_t t = now + (int64_t)i * 10;

		crm_id_new(id);
		ix.agent = agents[i % 4];
		ix.created_ms = t;
		ix.queued_ms = t + 3000;
		ix.offered_ms = t + 4000;
		ix.answered_ms = t + 9000;
		ix.ended_ms = t + 190000;
		tl[0] = (struct crm_event){.ts_ms = t, .event = "created"};
		tl[1] = (struct crm_event){
		    .ts_ms = t + 1000, .event = "ivr", .node = "menu", .digits = "1"};
		tl[2] =
		    (struct crm_event){.ts_ms = t + 3000, .event = "queued", .queue = "support"};
		tl[3] = (struct crm_event){
		    .ts_ms = t + 4000, .event = "offered", .agent = ix.agent, .result = "answered"};
		tl[4] =
		    (struct crm_event){.ts_ms = t + 9000, .event = "answered", .agent = ix.agent};
		tl[5] = (struct crm_event){.ts_ms = t + 190000, .event = "ended", .by = "caller"};
		crm_interaction_durations(&ix);
		submit_retry(sub_ix, s, &ix);
	}
	t1 = clock_mono_us();
	wait_committed(s, n);
	t2 = clock_mono_us();
	store_stats(s, &st);
	printf("%-10s interactions written: %zu in %.2f s = %.0f/s committed (%llu transactions; "
	       "submit %.2f us each on the caller's thread; %.1f us CPU each in this process)\n",
	       name, n, secs(t2 - t0), (double)n / secs(t2 - t0), (unsigned long long)st.batches,
	       (double)(t1 - t0) / (double)n, (double)(cpu_us() - c0) / (double)n);
	store_destroy(s);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void percentiles(const char *name, const char *what, uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%-10s %s: p50 %.1f us, p99 %.1f us, max %.1f us (%zu lookups)\n", name, what,
	       (double)v[n / 2], (double)v[n * 99 / 100], (double)v[n - 1], n);
}

static void phone_of(size_t i, char out[CRM_E164_SIZE])
{
	snprintf(out, CRM_E164_SIZE, "+4850%07u", (unsigned)(i % 10000000));
}

static void bench_lookups(const char *name, const char *url, const char *spool, size_t ncontacts,
			  size_t nlookups)
{
	struct store_opts o = {.spool_path = spool, .queue_max = 100000};
	struct crm_contact c = {0};
	char id[32], phone[CRM_E164_SIZE], *phones[1] = {phone};
	uint64_t *lat = calloc(nlookups, sizeof(*lat)), t0, t1;
	struct store_db *db;
	struct store *s;
	struct mq *q;
	int err;

	if (!lat || (err = store_create(url, &o, &s)))
		die("store_create", lat ? err : ENOMEM);
	c.id = id;
	c.first_name = "Jan";
	c.last_name = "Kowalski";
	c.company = "Kowalski i Syn";
	c.phones = phones;
	c.nphones = 1;
	t0 = clock_mono_us();
	for (size_t i = 0; i < ncontacts; i++) {
		snprintf(id, sizeof(id), "c%07zu", i);
		phone_of(i, phone);
		submit_retry(sub_contact, s, &c);
	}
	wait_committed(s, ncontacts);
	t1 = clock_mono_us();
	printf("%-10s contacts written: %zu in %.1f s = %.0f/s (each a row and its phone index)\n",
	       name, ncontacts, secs(t1 - t0), (double)ncontacts / secs(t1 - t0));

	/* Direct: a synchronous lookup on a connection of its own (the API's way). */
	if ((err = store_db_open(url, &db)))
		die("store_db_open", err);
	srand(42);
	for (size_t i = 0; i < nlookups; i++) {
		struct crm_contact *found;

		phone_of((size_t)rand() % ncontacts, phone);
		t0 = clock_mono_us();
		err = store_db_contact_find_phone(db, "acme", phone, &found);
		lat[i] = clock_mono_us() - t0;
		if (err)
			die("lookup", err);
		crm_contact_free(found);
	}
	store_db_close(db);
	percentiles(name, "contact lookup by phone, direct", lat, nlookups);

	/* Through the reader thread and a message queue (the engine's way). */
	if ((err = mq_alloc(&q, 16)))
		die("mq_alloc", err);
	for (size_t i = 0; i < nlookups; i++) {
		struct pollfd p = {.fd = mq_fd(q), .events = POLLIN};
		struct store_msg m;
		char buf[MQ_MSG_MAX];

		phone_of((size_t)rand() % ncontacts, phone);
		t0 = clock_mono_us();
		if ((err = store_contact_lookup(s, "acme", phone, 0, q, i)))
			die("lookup", err);
		while (mq_pop(q, buf) != sizeof(m)) {
			poll(&p, 1, 100);
			mq_drain_fd(q);
		}
		lat[i] = clock_mono_us() - t0;
		memcpy(&m, buf, sizeof(m));
		if (m.err)
			die("lookup answer", m.err);
		crm_contact_free(m.contact);
	}
	percentiles(name, "contact lookup by phone, via reader thread", lat, nlookups);
	mq_free(q);
	store_destroy(s);
	free(lat);
}

static void bench_export(const char *name, const char *url, size_t n)
{
	static const enum store_export_format fmts[] = {STORE_EXPORT_JSONL, STORE_EXPORT_CSV};
	FILE *out = fopen("/dev/null", "w");

	for (int f = 0; f < 2 && out; f++) {
		uint64_t t0 = clock_mono_us();
		int err = store_export_interactions(url, "acme", 0, fmts[f], out);
		uint64_t t1 = clock_mono_us();

		if (err)
			die("export", err);
		printf("%-10s export %s: %zu rows in %.2f s = %.0f rows/s\n", name,
		       f ? "csv  " : "jsonl", n, secs(t1 - t0), (double)n / secs(t1 - t0));
	}
	if (out)
		fclose(out);
}

static void run(const char *name, const char *url, const char *spool, const struct opts *o)
{
	bench_writes(name, url, spool, o->interactions);
	bench_export(name, url, o->interactions);
	bench_lookups(name, url, spool, o->contacts, o->lookups);
}

int main(int argc, char **argv)
{
	struct opts o = {.pg = getenv("CENTRALA_BENCH_PG"),
			 .interactions = 200000,
			 .contacts = 1000000,
			 .lookups = 20000,
			 .sqlite = true};
	char dir[] = "/tmp/centrala-bench-store.XXXXXX", url[300], spool[300], cmd[400];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pg") && i + 1 < argc)
			o.pg = argv[++i];
		else if (!strcmp(argv[i], "--interactions") && i + 1 < argc)
			o.interactions = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--contacts") && i + 1 < argc)
			o.contacts = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--lookups") && i + 1 < argc)
			o.lookups = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--no-sqlite"))
			o.sqlite = false;
		else {
			fprintf(stderr,
				"usage: %s [--pg URL] [--interactions N] [--contacts N] "
				"[--lookups N] [--no-sqlite]\n",
				argv[0]);
			return 2;
		}
	}
	if (!o.interactions || !o.contacts || !o.lookups)
		return 2;
	log_setup(LOG_LEVEL_WARN, 2);
	setvbuf(stdout, NULL, _IOLBF, 0); /* figures appear as they are measured */
	printf("command:");
	for (i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("%s\n", o.pg && !getenv("CENTRALA_BENCH_PG") ? ""
		       : o.pg				    ? " (CENTRALA_BENCH_PG set)"
							    : "");
	printf("interactions: %zu, contacts: %zu, lookups: %zu, cores: %ld\n", o.interactions,
	       o.contacts, o.lookups, sysconf(_SC_NPROCESSORS_ONLN));
	if (!mkdtemp(dir))
		die("mkdtemp", errno);
	snprintf(spool, sizeof(spool), "%s/store.spool", dir);
	if (o.sqlite) {
		snprintf(url, sizeof(url), "sqlite:%s/centrala.db", dir);
		run("sqlite", url, spool, &o);
	}
	if (o.pg) {
		pg_reset(o.pg);
		run("postgresql", o.pg, spool, &o);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
