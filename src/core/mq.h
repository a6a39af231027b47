/*
 * Message queues between threads. Any thread may push; one thread (the owner) pops.
 * Messages are copied into preallocated slots, so pushing never allocates. The queue's
 * file descriptor becomes readable when messages are waiting, for epoll or su_root.
 */
#ifndef CENTRALA_CORE_MQ_H
#define CENTRALA_CORE_MQ_H

#include <stddef.h>

#define MQ_MSG_MAX 256

struct mq;

/* Creates a queue holding up to `capacity` messages of at most MQ_MSG_MAX bytes.
 * Returns 0 or ENOMEM/EMFILE; *out is written only on success. */
int mq_alloc(struct mq **out, size_t capacity);
/* Frees the queue and whatever messages are still in it (they hold no owned memory). */
void mq_free(struct mq *q);
/* Copies `len` bytes (<= MQ_MSG_MAX) into the queue and wakes the owner.
 * Returns 0, EMSGSIZE when too long, or ENOBUFS when the queue is full (nothing queued). */
int mq_push(struct mq *q, const void *msg, size_t len);
/* Pops the oldest message into buf (MQ_MSG_MAX bytes); returns its length, or 0 if empty. */
size_t mq_pop(struct mq *q, void *buf);
/* Readable while messages wait; the owner calls mq_drain_fd before popping everything. */
int mq_fd(const struct mq *q);
void mq_drain_fd(struct mq *q);
size_t mq_len(struct mq *q);

#endif
