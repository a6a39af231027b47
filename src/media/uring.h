/*
 * The io_uring side of a media worker: one ring per worker thread, used instead of epoll
 * when the kernel allows it (media_config.io). Receives are multishot recvmsg operations,
 * one per socket, that stay armed and take their buffers from a provided-buffer ring;
 * sends are queued as sendmsg operations from a preallocated pool of packet slots and all
 * go to the kernel with the next io_uring_enter, the same system call that waits for
 * completions. So a worker pays one system call per wake-up however many packets it
 * receives and sends, and nothing is allocated per packet.
 *
 * Contract: every function is called from the thread that created the ring (the ring is
 * set up single-issuer). Buffers handed to a completion handler are valid only during
 * the call; they go back to the kernel right after it. Tags are the owner's 62-bit
 * names for its operations (MEDIA__URING_TAG_MAX); they come back in completions.
 *
 * Errors: functions return 0 or a positive errno and leave the ring usable. A send that
 * finds the slot pool or the submission queue full is not lost: the queue is submitted
 * and, when that is not enough, the datagram is sent at once with sendto.
 */
#ifndef CENTRALA_MEDIA_URING_H
#define CENTRALA_MEDIA_URING_H

#include "media/media_int.h"

#include <liburing.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define MEDIA__URING_TAG_MAX ((UINT64_C(1) << 62) - 1)

/* Ring and pool sizes; zeros take the defaults (those the workers use). The buffer
 * count must be a power of two. */
struct media__uring_sizes {
	unsigned sq;   /* submission queue entries, default 1024 */
	unsigned cq;   /* completion queue entries, default 8192 */
	unsigned bufs; /* receive buffers of MEDIA__URING_BUF bytes, default 1024 */
	unsigned tx;   /* send slots, default 1024 */
};

/* A receive buffer holds the kernel's recvmsg header, the source address and the
 * largest datagram we accept. */
#define MEDIA__URING_BUF 2048

struct media__uring_tx {
	struct msghdr msg;
	struct iovec iov;
	struct sockaddr_in to;
	uint32_t next_free;
	uint8_t buf[MEDIA__PKT_MAX];
};

/* Counters of the ring's own events, for tests and logs. */
struct media__uring_stats {
	uint64_t sent, sent_bytes; /* sends completed */
	uint64_t send_errors;	   /* sends completed with an error (per packet) */
	uint64_t sync_sends;	   /* sent at once because the slot pool or the queue was full */
	uint64_t sq_full;	   /* the submission queue was submitted early to make room */
	uint64_t received, truncated;
	uint64_t nobufs; /* receives stopped for want of a buffer (re-armed by the owner) */
	int last_send_errno;
};

struct media__uring {
	struct io_uring ring;
	bool ring_ok;
	unsigned features;
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *bufs;
	unsigned nbufs;
	int buf_mask;
	struct media__uring_tx *tx;
	unsigned ntx, tx_used;
	uint32_t tx_free;	      /* first free slot, UINT32_MAX: none */
	struct msghdr rx_msg;	      /* recvmsg template: the source address and nothing else */
	struct media__wstats *wstats; /* the worker's packet counters, or NULL */
	struct media__uring_stats st;
};

/* What a completion brings its owner: a received datagram (res > 0, data/len/from set),
 * a poll readiness (res: the poll mask), or an error or the end of an operation
 * (res < 0: -errno). `more` is false when the operation is no longer armed and must be
 * armed again if still wanted. */
struct media__uring_event {
	uint64_t tag;
	int res;
	bool more;
	bool truncated; /* the datagram was larger than a buffer: data is not valid */
	uint8_t *data;
	size_t len;
	const struct sockaddr_in *from;
};
typedef void(media__uring_h)(void *arg, const struct media__uring_event *ev);

/* Sets up a ring with its buffers (calling thread only). Returns 0, or an errno when the
 * kernel refuses io_uring (ENOSYS, EPERM when disabled) or lacks what we need (EINVAL,
 * EOPNOTSUPP); `u` is then left cleared. */
int media__uring_init(struct media__uring *u, const struct media__uring_sizes *sizes);
/* Tears the ring down; operations in flight are cancelled by the kernel. */
void media__uring_fini(struct media__uring *u);
/* Checks once that this kernel and process can run the io_uring path, with a ring of
 * its own and a multishot receive on a scratch socket. Returns 0 or an errno. */
int media__uring_probe(void);

/* Arms a multishot receive on a datagram socket. */
int media__uring_recv(struct media__uring *u, int fd, uint64_t tag);
/* Arms a multishot readiness poll (POLLIN) on fd. */
int media__uring_poll(struct media__uring *u, int fd, uint64_t tag);
/* Cancels the receive (or poll) named `tag` and submits at once, together with every
 * send queued so far, so that the socket may be closed right after: the kernel resolved
 * the descriptors of those sends and no operation keeps the socket open once the cancel
 * completes. A completion already posted may still come; its buffer goes back. */
int media__uring_cancel(struct media__uring *u, uint64_t tag);
/* Queues one datagram of `len` bytes (copied) to `to` from socket `fd`. Returns 0 when
 * queued or sent, EMSGSIZE when too large, or the errno of an immediate send. */
int media__uring_send(struct media__uring *u, int fd, const void *buf, size_t len,
		      const struct sockaddr_in *to);
/* Submits what is queued; with `wait`, also waits for at least one completion. Returns 0
 * or an errno (EINTR when a signal interrupted the wait). */
int media__uring_submit(struct media__uring *u, bool wait);
/* Submits what is queued and waits until `nr` completions other than those of sends are
 * ready, or `timeout_us` passed (0: no limit). Returns 0 (also on the time limit) or an
 * errno (EINTR). Waiting for several lets the kernel wake the thread once for a batch of
 * packets. Call it with every completion reaped: sends whose completions are still
 * waiting would be counted among the `nr`. */
int media__uring_wait(struct media__uring *u, unsigned nr, unsigned timeout_us);
/* Handles every completion available now: send completions internally (counted in
 * st and in the worker's counters), the others through `h`. Returns their number. */
unsigned media__uring_reap(struct media__uring *u, media__uring_h *h, void *arg);

#endif
