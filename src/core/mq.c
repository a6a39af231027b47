/*
 * A bounded multi-producer, single-consumer ring of fixed-size slots behind a mutex, with
 * an eventfd to wake the consumer. The mutex protects head, tail and the slots; it is
 * held only to copy one message in or out.
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

struct mq {
	pthread_mutex_t lock; /* protects head, count and slots */
	size_t head, count, capacity;
	int efd;
	struct mq_slot *slots;
};

int mq_alloc(struct mq **out, size_t capacity)
{
	struct mq *q = calloc(1, sizeof(*q));
	int err = 0;

	if (!q)
		return ENOMEM;
	q->slots = calloc(capacity, sizeof(*q->slots));
	if (!q->slots) {
		err = ENOMEM;
		goto fail_slots;
	}
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
	free(q->slots);
fail_slots:
	free(q);
	return err;
}

void mq_free(struct mq *q)
{
	if (!q)
		return;
	close(q->efd);
	pthread_mutex_destroy(&q->lock);
	free(q->slots);
	free(q);
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
	struct mq_slot *s = &q->slots[(q->head + q->count) % q->capacity];
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
		struct mq_slot *s = &q->slots[q->head];
		memcpy(buf, s->data, s->len);
		len = s->len;
		q->head = (q->head + 1) % q->capacity;
		q->count--;
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
