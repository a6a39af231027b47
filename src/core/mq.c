/*
 * A bounded multi-producer, single-consumer FIFO of fixed-size slots behind a mutex, with
 * an eventfd to wake the consumer. The mutex protects the block list, the indices, the
 * count and the spare blocks; it is held to copy one message in or out (and, rarely, to
 * allocate or free a block).
 *
 * The slots live in blocks of MQ_BLOCK_SLOTS chained oldest first, not in one ring of
 * `capacity` slots. A ring walks all its slots in turn, so every one of its pages is
 * written sooner or later: a queue of 65,536 slots of 264 bytes grew the process's
 * resident memory by 17 MB over its first 65,536 messages although it never held more
 * than a few at a time (the soak in docs/performance.md). Here a queue holds only the
 * blocks its backlog needs, plus up to MQ_SPARE_BLOCKS empty ones kept for reuse, and
 * an emptied queue starts again at the first slot of the block it is in: memory follows
 * the deepest backlog, not the number of messages passed, and a queue that stays
 * shallow touches one block for ever.
 */
#include "core/mq.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct mq_slot {
	size_t len;
	unsigned char data[MQ_MSG_MAX];
};

struct mq_block {
	struct mq_block *next; /* the next newer block, or NULL */
	struct mq_slot slots[MQ_BLOCK_SLOTS];
};

struct mq {
	pthread_mutex_t lock;	      /* protects everything below but efd */
	struct mq_block *head, *tail; /* the oldest block (popped from), the newest (pushed to) */
	size_t head_i, tail_i;	      /* the next slot to pop in head, to fill in tail */
	size_t count, capacity;
	struct mq_block *spare; /* empty blocks kept for reuse */
	size_t nspare, nblocks; /* nblocks: every block held, spare ones included */
	int efd;
};

int mq_alloc(struct mq **out, size_t capacity)
{
	struct mq *q = calloc(1, sizeof(*q));
	int err = 0;

	if (!q)
		return ENOMEM;
	/* One block from the start: a queue that stays shallow never allocates again. */
	q->head = q->tail = malloc(sizeof(*q->head));
	if (!q->head) {
		err = ENOMEM;
		goto fail_block;
	}
	q->head->next = NULL;
	q->nblocks = 1;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		err = errno;
		goto fail_fd;
	}
	pthread_mutex_init(&q->lock, NULL);
	q->capacity = capacity;
	*out = q;
	return 0;
fail_fd:
	free(q->head);
fail_block:
	free(q);
	return err;
}

static void blocks_free(struct mq_block *b)
{
	while (b) {
		struct mq_block *next = b->next;

		free(b);
		b = next;
	}
}

void mq_free(struct mq *q)
{
	if (!q)
		return;
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	blocks_free(q->head);
	blocks_free(q->spare);
	free(q);
}

/* A block to append after tail: a spare one, else a new one (NULL when none can be had).
 * Called with the lock held. */
static struct mq_block *block_get(struct mq *q)
{
	struct mq_block *b = q->spare;

	if (b) {
		q->spare = b->next;
		q->nspare--;
	} else {
		/* Only while the backlog is deeper than ever before (or than the spare blocks
		 * cover): once per MQ_BLOCK_SLOTS messages of it. */
		b = malloc(sizeof(*b));
		if (!b)
			return NULL;
		q->nblocks++;
	}
	b->next = NULL;
	return b;
}

/* Takes back a block the consumer has emptied. Called with the lock held. */
static void block_put(struct mq *q, struct mq_block *b)
{
	if (q->nspare < MQ_SPARE_BLOCKS) {
		b->next = q->spare;
		q->spare = b;
		q->nspare++;
		return;
	}
	free(b);
	q->nblocks--;
}

int mq_push(struct mq *q, const void *msg, size_t len)
{
	uint64_t one = 1;
	int was_empty;

	if (len > MQ_MSG_MAX)
		return EMSGSIZE;
	pthread_mutex_lock(&q->lock);
	if (q->count == q->capacity) {
		pthread_mutex_unlock(&q->lock);
		return ENOBUFS;
	}
	if (q->tail_i == MQ_BLOCK_SLOTS) {
		struct mq_block *b = block_get(q);
		if (!b) {
			/* No memory now: to the producer, the same as a full queue. */
			pthread_mutex_unlock(&q->lock);
			return ENOBUFS;
		}
		q->tail->next = b;
		q->tail = b;
		q->tail_i = 0;
	}
	struct mq_slot *s = &q->tail->slots[q->tail_i++];
	memcpy(s->data, msg, len);
	s->len = len;
	was_empty = q->count++ == 0;
	pthread_mutex_unlock(&q->lock);
	/* Only the transition from empty needs a wake-up; the consumer drains everything. */
	if (was_empty && write(q->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return errno;
	return 0;
}

size_t mq_pop(struct mq *q, void *buf)
{
	size_t len = 0;

	pthread_mutex_lock(&q->lock);
	if (q->count) {
		struct mq_slot *s = &q->head->slots[q->head_i++];
		memcpy(buf, s->data, s->len);
		len = s->len;
		q->count--;
		if (q->head_i == MQ_BLOCK_SLOTS && q->head != q->tail) {
			struct mq_block *done = q->head;
			q->head = done->next;
			q->head_i = 0;
			block_put(q, done);
		}
		/* Empty: start again at the first slot of the one block left, so that a
		 * shallow queue keeps writing the same memory. */
		if (!q->count)
			q->head_i = q->tail_i = 0;
	}
	pthread_mutex_unlock(&q->lock);
	return len;
}

int mq_fd(const struct mq *q)
{
	return q->efd;
}

void mq_drain_fd(struct mq *q)
{
	uint64_t v;

	while (read(q->efd, &v, sizeof(v)) > 0)
		;
}

size_t mq_len(struct mq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

size_t mq_blocks(struct mq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->nblocks;
	pthread_mutex_unlock(&q->lock);
	return n;
}
