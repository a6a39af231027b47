/*
 * Routing decisions per second and their latency, at contact-center scale: 10,000
 * agents, 1,000 queues, 100 skills, 50,000 waiting contacts, on one core.
 *
 * Queue q requires skill q % 100 at level 1 + q / 100, so every skill has ten queues
 * asking for levels 1 to 10; an agent has a primary skill at a level from 1 to 10 and a
 * secondary one from 1 to 4, and belongs to every queue whose level it reaches (about
 * 8 queues per agent, 10 to 100 agents per queue). Contacts get priorities 0, 10 or 20.
 *
 * Phase 1 (agent frees up, contacts waiting): all agents busy, 50,000 contacts waiting.
 * One cycle ends a random connected contact (the agent then picks the best waiting
 * contact across its queues and is offered it: the decision), accepts that offer, and
 * enqueues a new contact in a random queue so that 50,000 keep waiting.
 * Phase 2 (contact arrives, agents free): half the agents free; one cycle enqueues a
 * contact (the queue's strategy picks among its free agents: the decision), accepts
 * and ends it.
 * Latency is measured per call with CLOCK_MONOTONIC (about 20 ns of it is the clock);
 * throughput is measured over untimed cycles.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acd/acd.h"

#define NAGENTS	 10000
#define NQUEUES	 1000
#define NSKILLS	 100
#define NWAITING 50000
#define NSAMPLES 1000000
#define NTHROUGH 2000000

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static uint64_t ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The engine's side: the last offer made, and the agent -> connected contact map. */
static uint32_t last_c = UINT32_MAX, last_a = UINT32_MAX, last_q;
static uint64_t noffers;
static uint32_t conn_of[NAGENTS];

static void on_offer(const struct acd_offer *o, void *arg)
{
	last_c = o->contact;
	last_a = o->agent;
	last_q = o->queue;
	noffers++;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

static void accept_last(struct acd *acd, uint64_t now)
{
	if (last_c == UINT32_MAX)
		return;
	if (acd_offer_accept(acd, last_c, last_a, now)) {
		fprintf(stderr, "accept failed\n");
		exit(1);
	}
	conn_of[last_a] = last_c;
	last_c = UINT32_MAX;
}

static uint32_t enqueue(struct acd *acd, uint32_t queue, uint64_t now)
{
	struct acd_contact_params cp;
	uint32_t id;

	acd_contact_params_default(&cp);
	cp.queue = queue;
	cp.priority = (int)rnd(3) * 10;
	if (acd_contact_enqueue(acd, &cp, now, &id)) {
		fprintf(stderr, "enqueue failed\n");
		exit(1);
	}
	return id;
}

static void report(const char *what, uint32_t *lat, size_t n)
{
	qsort(lat, n, sizeof(*lat), cmp_u32);
	printf("  %-34s p50 %5" PRIu32 " ns   p90 %5" PRIu32 " ns   p99 %6" PRIu32
	       " ns   max %7" PRIu32 " ns\n",
	       what, lat[n / 2], lat[n * 9 / 10], lat[n * 99 / 100], lat[n - 1]);
}

static struct acd *build(uint64_t now)
{
	struct acd_params p;
	struct acd_handlers h = {.offer = on_offer};
	struct acd *acd;
	uint32_t skill[NSKILLS];
	char name[32];

	acd_params_default(&p);
	p.max_agents = NAGENTS;
	p.max_queues = NQUEUES;
	p.max_skills = NSKILLS;
	p.max_contacts = NWAITING + NAGENTS + 1000;
	if (acd_new(&p, &h, &acd)) {
		fprintf(stderr, "acd_new failed\n");
		exit(1);
	}
	for (int i = 0; i < NSKILLS; i++) {
		snprintf(name, sizeof(name), "skill%d", i);
		acd_skill_intern(acd, name, &skill[i]);
	}
	for (int i = 0; i < NQUEUES; i++) {
		struct acd_queue_params q;
		uint32_t id;
		acd_queue_params_default(&q);
		q.strategy = ACD_STRATEGY_LONGEST_IDLE;
		q.skills[0].skill = skill[i % NSKILLS];
		q.skills[0].level = (uint8_t)(1 + i / NSKILLS);
		q.nskills = 1;
		if (acd_queue_add(acd, &q, now, &id)) {
			fprintf(stderr, "queue_add failed\n");
			exit(1);
		}
	}
	for (int i = 0; i < NAGENTS; i++) {
		struct acd_agent_params a;
		struct acd_skill_level sl[2];
		uint32_t id, s1 = rnd(NSKILLS), s2 = (s1 + 1 + rnd(NSKILLS - 1)) % NSKILLS;
		sl[0] = (struct acd_skill_level){skill[s1], (uint8_t)(1 + rnd(10))};
		sl[1] = (struct acd_skill_level){skill[s2], (uint8_t)(1 + rnd(4))};
		acd_agent_params_default(&a);
		a.skills = sl;
		a.nskills = 2;
		if (acd_agent_add(acd, &a, now, &id)) {
			fprintf(stderr, "agent_add failed\n");
			exit(1);
		}
	}
	return acd;
}

int main(void)
{
	uint64_t now = 1000, t0, t1, c0, c1, dec0;
	uint32_t *lat_free = malloc(NSAMPLES * sizeof(uint32_t));
	uint32_t *lat_acc = malloc(NSAMPLES * sizeof(uint32_t));
	uint32_t *lat_arr = malloc(NSAMPLES * sizeof(uint32_t));
	long rss0 = rss_kb(), rss1;
	struct acd_agent_info ai;
	struct acd_queue_stats qs;
	size_t memb = 0, waiting = 0;
	struct acd *acd;

	if (!lat_free || !lat_acc || !lat_arr)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = ns();
	acd = build(now);
	t1 = ns();
	for (uint32_t a = 0; a < NAGENTS; a++) {
		acd_agent_info(acd, a, &ai);
		memb += ai.nqueues;
		conn_of[a] = UINT32_MAX;
	}
	printf("centrala bench_acd: %d agents, %d queues, %d skills, %.1f queues per agent; "
	       "provisioned in %.0f ms\n",
	       NAGENTS, NQUEUES, NSKILLS, (double)memb / NAGENTS, (t1 - t0) / 1e6);

	/* Everybody ready; contacts arrive until all agents are busy and 50,000 wait. */
	for (uint32_t a = 0; a < NAGENTS; a++)
		acd_agent_set_state(acd, a, ACD_STATE_READY, 0, now);
	/* Each contact is either offered (and accepted at once) or waits. */
	for (size_t entered = 0; entered < noffers + NWAITING;) {
		enqueue(acd, rnd(NQUEUES), now);
		accept_last(acd, now);
		entered++;
	}
	for (uint32_t q = 0; q < NQUEUES; q++) {
		acd_queue_stats(acd, q, now, &qs);
		waiting += qs.waiting;
	}
	rss1 = rss_kb();
	printf("  %" PRIu64 " agents busy, %zu contacts waiting; library memory %.1f MB, "
	       "process RSS +%.1f MB\n",
	       noffers, waiting, acd_memory(acd) / 1048576.0, (rss1 - rss0) / 1024.0);

	/* Phase 1, timed per call. */
	printf("phase 1: an agent frees up and takes the best of 50,000 waiting contacts\n");
	dec0 = noffers;
	for (size_t i = 0; i < NSAMPLES; i++) {
		uint32_t a = rnd(NAGENTS), c, q;
		while (conn_of[a] == UINT32_MAX)
			a = rnd(NAGENTS);
		c = conn_of[a];
		conn_of[a] = UINT32_MAX;
		now++;
		t0 = ns();
		acd_contact_end(acd, c, now);
		t1 = ns();
		lat_free[i] = (uint32_t)(t1 - t0);
		t0 = ns();
		accept_last(acd, now);
		t1 = ns();
		lat_acc[i] = (uint32_t)(t1 - t0);
		q = last_q;
		t0 = ns();
		enqueue(acd, q, now);
		t1 = ns();
		lat_arr[i] = (uint32_t)(t1 - t0);
		accept_last(acd, now);
	}
	report("decision (contact end -> offer)", lat_free, NSAMPLES);
	report("accept (offer -> connected)", lat_acc, NSAMPLES);
	report("arrival, nobody free (enqueue)", lat_arr, NSAMPLES);
	printf("  decisions made: %" PRIu64 " of %d cycles\n", noffers - dec0, NSAMPLES);
	t0 = ns();
	c0 = cpu_ns();
	dec0 = noffers;
	for (size_t i = 0; i < NTHROUGH; i++) {
		uint32_t a = rnd(NAGENTS), c, q;
		while (conn_of[a] == UINT32_MAX)
			a = rnd(NAGENTS);
		c = conn_of[a];
		conn_of[a] = UINT32_MAX;
		now++;
		acd_contact_end(acd, c, now);
		q = last_q;
		accept_last(acd, now);
		enqueue(acd, q, now);
		accept_last(acd, now);
	}
	t1 = ns();
	c1 = cpu_ns();
	printf("  throughput: %.2f M decisions/s of CPU time, %.2f M/s of wall time (one "
	       "cycle, end + accept + arrival + accept: %.0f ns CPU)\n",
	       (double)(noffers - dec0) / ((c1 - c0) / 1e9) / 1e6,
	       (double)(noffers - dec0) / ((t1 - t0) / 1e9) / 1e6, (double)(c1 - c0) / NTHROUGH);

	/* Phase 2: drain the waiting contacts, then free half the agents. */
	for (uint32_t q = 0; q < NQUEUES; q++)
		acd_queue_overflow_all(acd, q, ACD_OVERFLOW_CLOSED, now);
	for (uint32_t a = 0; a < NAGENTS; a += 2) {
		if (conn_of[a] != UINT32_MAX)
			acd_contact_end(acd, conn_of[a], now);
		conn_of[a] = UINT32_MAX;
	}
	printf("phase 2: a contact arrives and its queue's strategy picks a free agent\n");
	dec0 = noffers;
	for (size_t i = 0; i < NSAMPLES; i++) {
		uint64_t before = noffers;
		uint32_t c;
		now++;
		t0 = ns();
		c = enqueue(acd, rnd(NQUEUES), now);
		t1 = ns();
		lat_arr[i] = (uint32_t)(t1 - t0);
		if (noffers == before) {
			acd_contact_remove(acd, c, now); /* keep nobody waiting */
			continue;
		}
		accept_last(acd, now);
		conn_of[last_a] = UINT32_MAX;
		acd_contact_end(acd, c, now);
	}
	report("decision (enqueue -> offer)", lat_arr, NSAMPLES);
	printf("  decisions made: %" PRIu64 " of %d arrivals (the others found no free agent "
	       "in their queue)\n",
	       noffers - dec0, NSAMPLES);
	printf("reproduce: cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo && "
	       "cmake --build build --target bench_acd && build/bench_acd\n");
	acd_free(acd);
	free(lat_free);
	free(lat_acc);
	free(lat_arr);
	return 0;
}
