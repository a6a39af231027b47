/*
 * Message queues between threads. Any thread may push; one thread (the owner) pops.
 * Messages are copied into slots held in blocks of MQ_BLOCK_SLOTS; a queue keeps the
 * blocks its backlog needs and up to MQ_SPARE_BLOCKS empty ones for reuse, so its memory
 * follows the deepest backlog it has seen (bounded by its capacity), never the number
 * of messages that went through it. Pushing allocates only when the backlog outgrows
 * the blocks held, once per MQ_BLOCK_SLOTS messages of it. The queue's file descriptor
 * becomes readable when messages are waiting, for epoll or su_root.
 */
#ifndef CENTRALA_CORE_MQ_H
#define CENTRALA_CORE_MQ_H

#include <stddef.h>

#define MQ_MSG_MAX	256
#define MQ_BLOCK_SLOTS	64 /* slots per block: about 17 KB */
#define MQ_SPARE_BLOCKS 4  /* empty blocks a queue keeps for reuse */

struct mq;

/* Creates a queue holding up to `capacity` messages of at most MQ_MSG_MAX bytes.
 * Returns 0 or ENOMEM/EMFILE; *out is written only on success. */
int mq_alloc(struct mq **out, size_t capacity);
/* Frees the queue and whatever messages are still in it (they hold no owned memory). */
void mq_free(struct mq *q);
/* Copies `len` bytes (<= MQ_MSG_MAX) into the queue and wakes the owner.
 * Returns 0, EMSGSIZE when too long, or ENOBUFS when the queue is full or no memory
 * could be had for a new block (nothing queued either way: try again later). */
int mq_push(struct mq *q, const void *msg, size_t len);
/* Pops the oldest message into buf (MQ_MSG_MAX bytes); returns its length, or 0 if empty. */
size_t mq_pop(struct mq *q, void *buf);
/* Readable while messages wait; the owner calls mq_drain_fd before popping everything. */
int mq_fd(const struct mq *q);
void mq_drain_fd(struct mq *q);
size_t mq_len(struct mq *q);
/* Blocks of slots the queue holds, in use and spare (for tests and diagnostics): at least
 * 1; at most capacity / MQ_BLOCK_SLOTS + 2 in use and MQ_SPARE_BLOCKS spare. */
size_t mq_blocks(struct mq *q);

#endif
