/*
 * The io_uring packet path of a media worker (see uring.h): ring set-up with its
 * provided-buffer ring and send-slot pool, multishot receives, queued sends, and the
 * completion loop that hands packets to the worker. The low two bits of every user_data
 * say what kind of operation completed; the rest is the owner's tag or the slot number.
 */
#include "media/uring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define KIND_RECV 0u
#define KIND_POLL 1u
#define KIND_TX	  2u
#define KIND_CTRL 3u
#define BGID	  1 /* the one buffer group of a ring */
#define NO_SLOT	  UINT32_MAX

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	/* Only the owning worker writes its counters: a relaxed load and store. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static int ring_setup(struct media__uring *u, unsigned sq, unsigned cq)
{
	/* Newest first: completions run only when this thread enters the kernel (no
	 * interrupting task work while it processes packets), then older kernels' modes. */
	static const unsigned flag_sets[] = {
	    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
	    0,
	};
	int r = -EINVAL;

	for (size_t i = 0; i < sizeof(flag_sets) / sizeof(flag_sets[0]); i++) {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		p.flags = flag_sets[i] | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
		p.cq_entries = cq;
		r = io_uring_queue_init_params(sq, &u->ring, &p);
		if (r == 0) {
			u->features = p.features;
			return 0;
		}
		if (r != -EINVAL)
			break;
	}
	return -r;
}

int media__uring_init(struct media__uring *u, const struct media__uring_sizes *sizes)
{
	unsigned sq = sizes && sizes->sq ? sizes->sq : 1024;
	unsigned cq = sizes && sizes->cq ? sizes->cq : 8192;
	unsigned nbufs = sizes && sizes->bufs ? sizes->bufs : 1024;
	unsigned ntx = sizes && sizes->tx ? sizes->tx : 1024;
	struct io_uring_buf_reg reg;
	int err;

	memset(u, 0, sizeof(*u));
	u->tx_free = NO_SLOT;
	if (nbufs > 32768 || (nbufs & (nbufs - 1)) != 0)
		return EINVAL;
	err = ring_setup(u, sq, cq);
	if (err)
		goto fail;
	u->ring_ok = true;
	u->nbufs = nbufs;
	u->buf_mask = io_uring_buf_ring_mask(nbufs);
	u->br_bytes = nbufs * sizeof(struct io_uring_buf);
	/* The buffer ring is shared with the kernel and must start on a page. */
	u->br = mmap(NULL, u->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (u->br == MAP_FAILED) {
		u->br = NULL;
		err = ENOMEM;
		goto fail;
	}
	u->bufs = aligned_alloc(64, (size_t)nbufs * MEDIA__URING_BUF);
	u->tx = calloc(ntx, sizeof(*u->tx));
	if (!u->bufs || !u->tx) {
		err = ENOMEM;
		goto fail;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)u->br;
	reg.ring_entries = nbufs;
	reg.bgid = BGID;
	err = -io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (err)
		goto fail;
	io_uring_buf_ring_init(u->br);
	for (unsigned i = 0; i < nbufs; i++)
		io_uring_buf_ring_add(u->br, u->bufs + (size_t)i * MEDIA__URING_BUF,
				      MEDIA__URING_BUF, (unsigned short)i, u->buf_mask, (int)i);
	io_uring_buf_ring_advance(u->br, (int)nbufs);
	u->ntx = ntx;
	for (unsigned i = ntx; i-- > 0;) {
		struct media__uring_tx *t = &u->tx[i];

		t->iov.iov_base = t->buf;
		t->msg.msg_name = &t->to;
		t->msg.msg_namelen = sizeof(t->to);
		t->msg.msg_iov = &t->iov;
		t->msg.msg_iovlen = 1;
		t->next_free = u->tx_free;
		u->tx_free = i;
	}
	u->rx_msg.msg_namelen = sizeof(struct sockaddr_in);
	return 0;
fail:
	media__uring_fini(u);
	return err;
}

void media__uring_fini(struct media__uring *u)
{
	if (u->ring_ok)
		io_uring_queue_exit(&u->ring);
	if (u->br)
		munmap(u->br, u->br_bytes);
	free(u->bufs);
	free(u->tx);
	memset(u, 0, sizeof(*u));
	u->tx_free = NO_SLOT;
}

static struct io_uring_sqe *get_sqe(struct media__uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		/* A full submission queue: hand it to the kernel now and go on. */
		u->st.sq_full++;
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

int media__uring_recv(struct media__uring *u, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe;

	if (tag > MEDIA__URING_TAG_MAX)
		return EINVAL;
	sqe = get_sqe(u);
	if (!sqe)
		return EBUSY;
	io_uring_prep_recvmsg_multishot(sqe, fd, &u->rx_msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = BGID;
	io_uring_sqe_set_data64(sqe, tag << 2 | KIND_RECV);
	return 0;
}

int media__uring_poll(struct media__uring *u, int fd, uint64_t tag)
{
	struct io_uring_sqe *sqe;

	if (tag > MEDIA__URING_TAG_MAX)
		return EINVAL;
	sqe = get_sqe(u);
	if (!sqe)
		return EBUSY;
	io_uring_prep_poll_multishot(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, tag << 2 | KIND_POLL);
	return 0;
}

int media__uring_cancel(struct media__uring *u, uint64_t tag)
{
	struct io_uring_sqe *sqe;
	int r;

	if (tag > MEDIA__URING_TAG_MAX)
		return EINVAL;
	sqe = get_sqe(u);
	if (!sqe)
		return EBUSY;
	io_uring_prep_cancel64(sqe, tag << 2 | KIND_RECV, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, KIND_CTRL);
	r = io_uring_submit(&u->ring);
	return r < 0 ? -r : 0;
}

static int send_now(struct media__uring *u, int fd, const void *buf, size_t len,
		    const struct sockaddr_in *to)
{
	/* What is queued leaves first: packets keep the order they were sent in. */
	if (io_uring_sq_ready(&u->ring))
		io_uring_submit(&u->ring);
	u->st.sync_sends++;
	if (sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to)) < 0)
		return errno;
	if (u->wstats) {
		stat_add(&u->wstats->packets_out, 1);
		stat_add(&u->wstats->bytes_out, len);
	}
	return 0;
}

int media__uring_send(struct media__uring *u, int fd, const void *buf, size_t len,
		      const struct sockaddr_in *to)
{
	struct io_uring_sqe *sqe;
	struct media__uring_tx *t;
	uint32_t slot;

	if (len > MEDIA__PKT_MAX)
		return EMSGSIZE;
	if (u->tx_free == NO_SLOT)
		return send_now(u, fd, buf, len, to);
	sqe = get_sqe(u);
	if (!sqe)
		return send_now(u, fd, buf, len, to);
	slot = u->tx_free;
	t = &u->tx[slot];
	u->tx_free = t->next_free;
	u->tx_used++;
	memcpy(t->buf, buf, len);
	t->iov.iov_len = len;
	t->to = *to;
	/* Real-time media is dropped rather than delayed when the socket's send buffer is
	 * full, as sendto with MSG_DONTWAIT does on the epoll path. */
	io_uring_prep_sendmsg(sqe, fd, &t->msg, MSG_DONTWAIT);
	io_uring_sqe_set_data64(sqe, (uint64_t)slot << 2 | KIND_TX);
	return 0;
}

int media__uring_submit(struct media__uring *u, bool wait)
{
	int r = wait ? io_uring_submit_and_wait(&u->ring, 1) : io_uring_submit(&u->ring);

	return r < 0 ? -r : 0;
}

int media__uring_wait(struct media__uring *u, unsigned nr, unsigned timeout_us)
{
	struct __kernel_timespec ts = {(long long)(timeout_us / 1000000u),
				       (long long)(timeout_us % 1000000u) * 1000};
	struct io_uring_cqe *cqe;
	int r;

	/* Every send slot in use has one completion to come (a send still queued is submitted
	 * now): they must not count towards what the thread waits for. */
	nr += u->tx_used;
	r = io_uring_submit_and_wait_timeout(&u->ring, &cqe, nr, timeout_us ? &ts : NULL, NULL);
	if (r == -ETIME)
		return 0;
	return r < 0 ? -r : 0;
}

static void tx_done(struct media__uring *u, uint32_t slot, int res)
{
	struct media__uring_tx *t;

	if (slot >= u->ntx)
		return;
	t = &u->tx[slot];
	if (res >= 0) {
		u->st.sent++;
		u->st.sent_bytes += (uint64_t)res;
		if (u->wstats) {
			stat_add(&u->wstats->packets_out, 1);
			stat_add(&u->wstats->bytes_out, (uint64_t)res);
		}
	} else {
		u->st.send_errors++;
		u->st.last_send_errno = -res;
	}
	t->next_free = u->tx_free;
	u->tx_free = slot;
	u->tx_used--;
}

static void recv_done(struct media__uring *u, uint64_t tag, int res, unsigned flags,
		      media__uring_h *h, void *arg)
{
	struct media__uring_event ev;
	uint8_t *buf = NULL;
	unsigned short bid = 0;

	memset(&ev, 0, sizeof(ev));
	ev.tag = tag;
	ev.res = res;
	ev.more = (flags & IORING_CQE_F_MORE) != 0;
	if (flags & IORING_CQE_F_BUFFER) {
		bid = (unsigned short)(flags >> IORING_CQE_BUFFER_SHIFT);
		if (bid < u->nbufs)
			buf = u->bufs + (size_t)bid * MEDIA__URING_BUF;
	}
	if (res == -ENOBUFS)
		u->st.nobufs++;
	if (buf && res > 0) {
		struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, res, &u->rx_msg);

		if (!o || (o->flags & MSG_TRUNC)) {
			ev.truncated = true;
			u->st.truncated++;
		} else {
			ev.data = io_uring_recvmsg_payload(o, &u->rx_msg);
			ev.len = io_uring_recvmsg_payload_length(o, res, &u->rx_msg);
			ev.from = io_uring_recvmsg_name(o);
			u->st.received++;
		}
	}
	h(arg, &ev);
	if (buf) {
		/* The buffer goes back at once: the next receive may need it. */
		io_uring_buf_ring_add(u->br, buf, MEDIA__URING_BUF, bid, u->buf_mask, 0);
		io_uring_buf_ring_advance(u->br, 1);
	}
}

unsigned media__uring_reap(struct media__uring *u, media__uring_h *h, void *arg)
{
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	/* One completion at a time, marked seen before its handler runs: a handler may
	 * submit (a cancel), which must find the queue in a consistent state. */
	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		uint64_t ud = cqe->user_data;
		int res = cqe->res;
		unsigned flags = cqe->flags;

		io_uring_cqe_seen(&u->ring, cqe);
		n++;
		switch (ud & 3u) {
		case KIND_TX:
			tx_done(u, (uint32_t)(ud >> 2), res);
			break;
		case KIND_RECV:
			recv_done(u, ud >> 2, res, flags, h, arg);
			break;
		case KIND_POLL: {
			struct media__uring_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.tag = ud >> 2;
			ev.res = res;
			ev.more = (flags & IORING_CQE_F_MORE) != 0;
			h(arg, &ev);
			break;
		}
		default:
			break; /* a cancel's own completion */
		}
	}
	return n;
}

struct probe {
	bool got;
	int res;
};

static void probe_h(void *arg, const struct media__uring_event *ev)
{
	struct probe *p = arg;

	if (ev->tag == 1 && !p->got) {
		p->got = true;
		p->res = ev->res;
	}
}

int media__uring_probe(void)
{
	struct media__uring_sizes sizes = {8, 16, 8, 8};
	struct media__uring u;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct probe p = {false, 0};
	const char msg[] = "probe";
	int fd = -1, err;

	err = media__uring_init(&u, &sizes);
	if (err)
		return err;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		err = errno;
		goto out;
	}
	/* A datagram to itself, sent and received through the ring: what the path needs. */
	if ((err = media__uring_recv(&u, fd, 1)) || (err = media__uring_submit(&u, false)) ||
	    (err = media__uring_send(&u, fd, msg, sizeof(msg), &sa)))
		goto out;
	for (int i = 0; i < 20 && !p.got; i++) {
		struct __kernel_timespec ts = {0, 50 * 1000000L};
		struct io_uring_cqe *cqe;
		int r = io_uring_submit_and_wait_timeout(&u.ring, &cqe, 1, &ts, NULL);

		if (r < 0 && r != -ETIME && r != -EINTR) {
			err = -r;
			goto out;
		}
		media__uring_reap(&u, probe_h, &p);
	}
	if (!p.got)
		err = ETIMEDOUT;
	else if (p.res < 0)
		err = -p.res;
	else if (u.st.sent != 1)
		err = u.st.last_send_errno ? u.st.last_send_errno : EIO;
out:
	if (fd >= 0) {
		media__uring_cancel(&u, 1);
		close(fd);
	}
	media__uring_fini(&u);
	return err;
}
