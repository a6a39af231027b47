/* The inter-thread message queue: order across its blocks, the capacity limit, the
 * wake-up descriptor, and memory that follows the backlog rather than the number of
 * messages passed (the soak's growth: docs/performance.md, Soak). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mq.h"

static void push_u32(struct mq *q, uint32_t v)
{
	assert_int_equal(mq_push(q, &v, sizeof(v)), 0);
}

static uint32_t pop_u32(struct mq *q)
{
	unsigned char buf[MQ_MSG_MAX];
	uint32_t v;

	assert_int_equal(mq_pop(q, buf), sizeof(v));
	memcpy(&v, buf, sizeof(v));
	return v;
}

static void test_fifo_across_blocks(void **state)
{
	struct mq *q;
	unsigned char buf[MQ_MSG_MAX];
	const uint32_t n = MQ_BLOCK_SLOTS * 5 + 7;

	(void)state;
	assert_int_equal(mq_alloc(&q, 10000), 0);
	for (uint32_t i = 0; i < n; i++)
		push_u32(q, i);
	assert_int_equal(mq_len(q), n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(pop_u32(q), i);
	assert_int_equal(mq_pop(q, buf), 0);
	assert_int_equal(mq_len(q), 0);
	mq_free(q);
}

static void test_full_at_capacity_and_sizes(void **state)
{
	struct mq *q;
	unsigned char big[MQ_MSG_MAX + 1] = {0}, buf[MQ_MSG_MAX];
	const size_t cap = MQ_BLOCK_SLOTS * 2 + 3;

	(void)state;
	assert_int_equal(mq_alloc(&q, cap), 0);
	assert_int_equal(mq_push(q, big, sizeof(big)), EMSGSIZE);
	for (size_t i = 0; i < cap; i++)
		push_u32(q, (uint32_t)i);
	assert_int_equal(mq_push(q, big, 4), ENOBUFS);
	assert_int_equal(mq_len(q), cap);
	/* One out, one in: the limit counts messages, not blocks. */
	assert_int_equal(pop_u32(q), 0);
	push_u32(q, 999);
	assert_int_equal(mq_push(q, big, 4), ENOBUFS);
	for (size_t i = 1; i < cap; i++)
		assert_int_equal(pop_u32(q), i);
	assert_int_equal(pop_u32(q), 999);
	/* A full-size message comes back whole. */
	memset(big, 0xab, MQ_MSG_MAX);
	assert_int_equal(mq_push(q, big, MQ_MSG_MAX), 0);
	assert_int_equal(mq_pop(q, buf), MQ_MSG_MAX);
	assert_memory_equal(buf, big, MQ_MSG_MAX);
	mq_free(q);
}

static void test_fd_readable_while_waiting(void **state)
{
	struct mq *q;
	uint64_t v;

	(void)state;
	assert_int_equal(mq_alloc(&q, 16), 0);
	assert_true(read(mq_fd(q), &v, sizeof(v)) < 0);
	push_u32(q, 1);
	push_u32(q, 2);
	mq_drain_fd(q);
	assert_true(read(mq_fd(q), &v, sizeof(v)) < 0);
	assert_int_equal(pop_u32(q), 1);
	assert_int_equal(pop_u32(q), 2);
	push_u32(q, 3);
	assert_int_equal(read(mq_fd(q), &v, sizeof(v)), sizeof(v));
	mq_free(q);
}

/* A queue as the engine's are used: a million messages through a queue of 65,536
 * slots, never more than a few waiting. It holds one block all along (the ring it
 * replaces wrote all 65,536 slots, 17 MB, on the way). */
static void test_shallow_queue_keeps_one_block(void **state)
{
	struct mq *q;

	(void)state;
	assert_int_equal(mq_alloc(&q, 65536), 0);
	assert_int_equal(mq_blocks(q), 1);
	for (uint32_t i = 0; i < 1000000; i += 3) {
		push_u32(q, i);
		push_u32(q, i + 1);
		push_u32(q, i + 2);
		assert_int_equal(pop_u32(q), i);
		assert_int_equal(pop_u32(q), i + 1);
		assert_int_equal(pop_u32(q), i + 2);
	}
	assert_int_equal(mq_blocks(q), 1);
	mq_free(q);
}

/* A backlog that never drains to empty still reuses its blocks: memory follows the
 * backlog's depth (here up to 3 blocks' worth) plus the spare blocks, whatever the
 * number of messages. */
static void test_standing_backlog_is_bounded(void **state)
{
	struct mq *q;
	uint32_t next_in = 0, next_out = 0;
	const uint32_t depth = MQ_BLOCK_SLOTS * 3;

	(void)state;
	assert_int_equal(mq_alloc(&q, 65536), 0);
	while (next_in < depth)
		push_u32(q, next_in++);
	for (int round = 0; round < 20000; round++) {
		for (int k = 0; k < 50; k++)
			push_u32(q, next_in++);
		for (int k = 0; k < 50; k++)
			assert_int_equal(pop_u32(q), next_out++);
		assert_int_equal(mq_len(q), depth);
	}
	/* depth / MQ_BLOCK_SLOTS blocks, one more for a partly used block at each end. */
	assert_true(mq_blocks(q) <= depth / MQ_BLOCK_SLOTS + 2 + MQ_SPARE_BLOCKS);
	mq_free(q);
}

/* After a burst, the blocks beyond the spares are given back. */
static void test_burst_memory_returned(void **state)
{
	struct mq *q;
	const uint32_t burst = 40000;

	(void)state;
	assert_int_equal(mq_alloc(&q, 65536), 0);
	for (uint32_t i = 0; i < burst; i++)
		push_u32(q, i);
	assert_true(mq_blocks(q) >= burst / MQ_BLOCK_SLOTS);
	for (uint32_t i = 0; i < burst; i++)
		assert_int_equal(pop_u32(q), i);
	assert_true(mq_blocks(q) <= 1 + MQ_SPARE_BLOCKS);
	mq_free(q);
}

/* Freed with messages still in it, over several blocks (ASan checks the rest). */
static void test_free_with_messages(void **state)
{
	struct mq *q;

	(void)state;
	assert_int_equal(mq_alloc(&q, 65536), 0);
	for (uint32_t i = 0; i < MQ_BLOCK_SLOTS * 4 + 1; i++)
		push_u32(q, i);
	mq_free(q);
	mq_free(NULL);
}

struct producer {
	struct mq *q;
	uint32_t id, n;
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (uint32_t i = 0; i < p->n; i++) {
		uint32_t v[2] = {p->id, i};
		while (mq_push(p->q, v, sizeof(v)) == ENOBUFS)
			usleep(10);
	}
	return NULL;
}

/* Four threads push while this one pops: every message arrives once, each producer's in
 * its order. */
static void test_producers_keep_order(void **state)
{
	enum { P = 4, N = 50000 };
	struct mq *q;
	pthread_t th[P];
	struct producer pr[P];
	uint32_t seen[P] = {0};
	unsigned char buf[MQ_MSG_MAX];
	size_t got = 0;

	(void)state;
	assert_int_equal(mq_alloc(&q, 1000), 0);
	for (uint32_t i = 0; i < P; i++) {
		pr[i] = (struct producer){q, i, N};
		assert_int_equal(pthread_create(&th[i], NULL, produce, &pr[i]), 0);
	}
	while (got < (size_t)P * N) {
		uint32_t v[2];
		if (mq_pop(q, buf) != sizeof(v)) {
			usleep(10);
			continue;
		}
		memcpy(v, buf, sizeof(v));
		assert_true(v[0] < P);
		assert_int_equal(v[1], seen[v[0]]);
		seen[v[0]]++;
		got++;
	}
	for (uint32_t i = 0; i < P; i++)
		pthread_join(th[i], NULL);
	assert_true(mq_blocks(q) <= 1000 / MQ_BLOCK_SLOTS + 2 + MQ_SPARE_BLOCKS);
	mq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo_across_blocks),
	    cmocka_unit_test(test_full_at_capacity_and_sizes),
	    cmocka_unit_test(test_fd_readable_while_waiting),
	    cmocka_unit_test(test_shallow_queue_keeps_one_block),
	    cmocka_unit_test(test_standing_backlog_is_bounded),
	    cmocka_unit_test(test_burst_memory_returned),
	    cmocka_unit_test(test_free_with_messages),
	    cmocka_unit_test(test_producers_keep_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
