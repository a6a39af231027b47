/*
 * Media worker threads. Each runs one loop over its sessions' sockets, its command queue
 * (core/mq.h, an eventfd) and a 20 ms timerfd that paces everything generated: plays,
 * DTMF, mixing, recording, timeouts and RTCP. The loop is an io_uring ring (uring.h:
 * multishot receives, sends queued and submitted with the wait, one system call per
 * wake-up) or, where the kernel does not allow that, epoll with recvmmsg and sendto.
 * Sessions never move between workers on their own, so nothing a worker touches on the
 * packet path is shared or locked. The timerfd runs only while the worker has a session,
 * a recording or a mix: an idle server's workers sleep until a command arrives.
 */
#include "media/ice.h"
#include "media/fast.h"
#include "media/media_int.h"
#include "media/uring.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mq.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Operation names: sessions' sockets by (generation, slot, RTCP bit), in the 62 bits an
 * io_uring tag may have, and two names no session can take. */
#define ID_CMD	  MEDIA__URING_TAG_MAX
#define ID_TIMER  (MEDIA__URING_TAG_MAX - 1)
#define GEN_MASK  0x3FFFFFFFu
#define EVENTS	  256
#define CMD_QUEUE 8192
#define CATCH_UP  50 /* ticks run at most per wake-up after a stall (1 s) */
/* After a busy loop turn, a worker waits this long before the next epoll_wait, so that
 * it finds a batch rather than one packet: packets of many calls arrive spread over the
 * 20 ms period, and a wake-up per packet (a context switch and, in a VM, an
 * inter-processor interrupt from the sending CPU) costs more than the packet. The wait
 * adds at most this much latency; quiet turns (a few events) wait for the next at once. */
#define COALESCE_US	1000
#define COALESCE_EVENTS 4
#define COALESCE_MAX	256 /* completions an io_uring worker waits for at most */

static uint64_t session_id(const struct media_session *s, bool rtcp)
{
	return (uint64_t)(s->gen & GEN_MASK) << 32 | (uint64_t)s->idx << 1 | (rtcp ? 1 : 0);
}

/* The session an operation names, when it is still this worker's. */
static struct media_session *session_of(struct media__worker *w, uint64_t id)
{
	uint32_t idx = (uint32_t)(id & 0xFFFFFFFFu) >> 1;
	struct media_session *s;

	if (idx >= w->m->cfg.max_sessions)
		return NULL;
	s = &w->m->slots[idx];
	if (!s->attached || s->home != w || (s->gen & GEN_MASK) != (uint32_t)(id >> 32))
		return NULL;
	return s;
}

int media__worker_watch(struct media__worker *w, struct media_session *s)
{
	/* Edge-triggered: rx.c always reads a socket until it is empty, and level-triggered
	 * readiness would have epoll poll every socket again after each report. */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	int err;

	if (w->uring) {
		err = media__uring_recv(w->uring, s->fd_rtp, session_id(s, false));
		if (!err)
			err = media__uring_recv(w->uring, s->fd_rtcp, session_id(s, true));
		return err;
	}
	ev.data.u64 = session_id(s, false);
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, s->fd_rtp, &ev) != 0)
		return errno;
	ev.data.u64 = session_id(s, true);
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, s->fd_rtcp, &ev) != 0)
		return errno;
	return 0;
}

void media__worker_unwatch(struct media__worker *w, struct media_session *s)
{
	if (w->uring) {
		/* Before the sockets are closed: a multishot receive holds its socket open, and
		 * sends already queued must leave from the descriptors they were queued for. */
		media__uring_cancel(w->uring, session_id(s, false));
		media__uring_cancel(w->uring, session_id(s, true));
		return;
	}
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, s->fd_rtp, NULL);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, s->fd_rtcp, NULL);
}

/* A command changes the session it names (and maybe its partner): both directions of
 * their bridges come back from the kernel relay first. */
static void fast_leave_both(struct media__worker *w, struct media_session *s)
{
	if (!s || s->home != w)
		return;
	media__fast_leave(w, s);
	if (s->peer && s->peer->home == w)
		media__fast_leave(w, s->peer);
}

static void do_command(struct media__worker *w, const struct media__cmd *c)
{
	struct media_session *s = c->s;

	if (w->m->fast) {
		fast_leave_both(w, s);
		fast_leave_both(w, c->s2);
	}

	switch (c->type) {
	case MEDIA__CMD_ADD:
		media__session_attach(w, s);
		break;
	case MEDIA__CMD_FREE:
		media__session_release(w, s);
		break;
	case MEDIA__CMD_SET:
		media__session_configure(w, s, &c->u.params);
		break;
	case MEDIA__CMD_PLAY:
		media__play_end(w, s, MEDIA_PLAY_STOPPED, false);
		s->play = c->u.play;
		media__session_update_ticking(w, s);
		break;
	case MEDIA__CMD_PLAY_STOP:
		media__play_end(w, s, MEDIA_PLAY_STOPPED, false);
		break;
	case MEDIA__CMD_DTMF:
		/* Without telephone-event in the SDP there is nothing to send it with. */
		if (s->configured && s->p.dtmf_pt)
			media__dtmf_tx_queue(&s->dtmf_tx, c->u.dtmf.digit, c->u.dtmf.ms,
					     media__codec_clock(s->p.codec));
		media__session_update_ticking(w, s);
		break;
	case MEDIA__CMD_INBAND:
		if (c->u.on && !s->inband) {
			if (media__inband_new(&s->inband) != 0)
				log_error("media", "owner=%llu error=inband_alloc",
					  (unsigned long long)s->owner);
		} else if (!c->u.on && s->inband) {
			media__inband_free(s->inband);
			s->inband = NULL;
		}
		break;
	case MEDIA__CMD_BRIDGE:
		media__bridge_apply(w, s, c->s2, c->u.rec);
		break;
	case MEDIA__CMD_UNBRIDGE:
		if (s->role == MEDIA__ROLE_BRIDGE)
			media__bridge_leave(w, s);
		break;
	case MEDIA__CMD_REC_PAUSE:
		if (s->rec)
			s->rec->paused = c->u.on;
		else if (s->mix && s->mix->rec)
			s->mix->rec->paused = c->u.on;
		break;
	case MEDIA__CMD_MIX_JOIN:
		media__mix_join_apply(w, c->u.mix.x, s, c->u.mix.mode, c->s2, c->u.mix.rec);
		break;
	case MEDIA__CMD_MIX_LEAVE:
		if (s->mix == c->u.mix.x)
			media__mix_leave_apply(w, c->u.mix.x, s);
		break;
	case MEDIA__CMD_MIX_FREE:
		media__mix_free_apply(w, c->u.mix.x);
		break;
	case MEDIA__CMD_DETACH:
		media__session_detach(w, s);
		/* Posted once this loop turn is over: events already fetched may name it. */
		w->detached = c->u.done;
		break;
	case MEDIA__CMD_ATTACH:
		media__session_adopt(w, s);
		break;
	case MEDIA__CMD_AMD:
		media__amd_set(w, s, c->u.amd);
		break;
	case MEDIA__CMD_ICE:
		media__ice_set(w, s, c->u.ice);
		break;
	case MEDIA__CMD_DTLS:
		media__ice_dtls_set(w, s, c->u.dtls);
		break;
	case MEDIA__CMD_STOP:
		w->stopping = true;
		break;
	}
}

static void drain_commands(struct media__worker *w)
{
	union {
		struct media__cmd cmd;
		unsigned char raw[MQ_MSG_MAX];
	} buf;

	mq_drain_fd(w->cmds);
	while (mq_pop(w->cmds, buf.raw) == sizeof(struct media__cmd))
		do_command(w, &buf.cmd);
}

static void on_timer(struct media__worker *w)
{
	uint64_t expirations = 0;
	struct timespec cpu;

	if (read(w->tfd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	if (expirations > CATCH_UP)
		expirations = CATCH_UP;
	while (expirations--)
		media__tick(w);
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
		atomic_store_explicit(&w->stats.cpu_ns,
				      (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec,
				      memory_order_relaxed);
}

/* Arms the 20 ms tick when the worker has something to pace and stops it when it has
 * nothing, so that a worker without calls is not woken 50 times a second. Stopping the
 * timerfd also drops an expiration not yet read. */
static void update_tick(struct media__worker *w)
{
	const long ns = MEDIA__TICK_MS * 1000000L;
	bool need = w->nsessions || w->nrecs || w->nmixes;
	struct itimerspec its = {{0, need ? ns : 0}, {0, need ? ns : 0}};

	if (need == w->tick_armed)
		return;
	if (timerfd_settime(w->tfd, 0, &its, NULL) != 0) {
		log_error("media", "worker=%u error=timerfd_settime errno=%d", w->id, errno);
		return;
	}
	w->tick_armed = need;
}

static void shutdown_worker(struct media__worker *w)
{
	/* Sessions the engine never freed: release them quietly, finishing recordings. */
	while (w->nsessions)
		media__session_release(w, w->sessions[w->nsessions - 1]);
	/* Mixes stay allocated (the engine frees them); their recordings end here. */
	while (w->nmixes) {
		struct media_mix *x = w->mixes[w->nmixes - 1];

		if (x->rec) {
			media__rec_finish(w, x->rec);
			x->rec = NULL;
		}
		x->attached = false;
		w->nmixes--;
	}
	while (w->nrecs)
		media__rec_finish(w, w->recs[w->nrecs - 1]);
}

static void turn_end(struct media__worker *w)
{
	for (size_t i = 0; i < w->ndead; i++)
		media__slot_give(w->m, w->dead[i]);
	w->ndead = 0;
	if (w->detached) {
		sem_post(w->detached);
		w->detached = NULL;
	}
	update_tick(w);
}

static void coalesce(void)
{
	struct timespec ts = {0, COALESCE_US * 1000L};

	nanosleep(&ts, NULL);
}

static void loop_epoll(struct media__worker *w)
{
	struct epoll_event evs[EVENTS];

	while (!w->stopping) {
		int n = epoll_wait(w->epfd, evs, EVENTS, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("media", "worker=%u error=epoll_wait errno=%d", w->id, errno);
			break;
		}
		w->now_us = clock_mono_us();
		w->now_ms = w->now_us / 1000;
		int sockets = 0;

		for (int i = 0; i < n && !w->stopping; i++) {
			uint64_t id = evs[i].data.u64;

			if (id == ID_CMD) {
				drain_commands(w);
			} else if (id == ID_TIMER) {
				on_timer(w);
			} else {
				struct media_session *s = session_of(w, id);

				if (!s)
					continue;
				sockets++;
				if (id & 1)
					media__rx_rtcp(w, s);
				else
					media__rx_rtp(w, s);
			}
		}
		turn_end(w);
		if (sockets >= COALESCE_EVENTS && !w->stopping)
			coalesce();
	}
}

static void uring_event(void *arg, const struct media__uring_event *ev)
{
	struct media__worker *w = arg;
	struct media_session *s;

	if (ev->tag == ID_CMD || ev->tag == ID_TIMER) {
		int fd = ev->tag == ID_CMD ? mq_fd(w->cmds) : w->tfd;

		if (!ev->more && media__uring_poll(w->uring, fd, ev->tag) != 0)
			log_error("media", "worker=%u error=uring_poll_rearm", w->id);
		if (ev->res < 0 || w->stopping)
			return;
		if (ev->tag == ID_CMD)
			drain_commands(w);
		else
			on_timer(w);
		return;
	}
	s = session_of(w, ev->tag);
	if (!s || w->stopping)
		return; /* released or moved: its buffer goes back all the same */
	if (ev->data) {
		w->turn_packets++;
		if (ev->tag & 1)
			media__rx_rtcp_packet(w, s, ev->data, ev->len, ev->from);
		else
			media__rx_packet(w, s, ev->data, ev->len, ev->from);
	}
	if (ev->more)
		return;
	/* The receive stopped: for want of buffers (they are back by the next submission) or
	 * after a datagram. Anything else would stop it again at once: say so and stay
	 * deaf rather than spin; the RTP timeout then reports the session. */
	if (ev->res >= 0 || ev->res == -ENOBUFS) {
		if (media__uring_recv(w->uring, ev->tag & 1 ? s->fd_rtcp : s->fd_rtp, ev->tag) != 0)
			log_error("media", "owner=%llu port=%u error=uring_rearm",
				  (unsigned long long)s->owner, s->port);
	} else {
		log_error("media", "owner=%llu port=%u error=uring_recv errno=%d",
			  (unsigned long long)s->owner, s->port, -ev->res);
	}
}

static void loop_uring(struct media__worker *w)
{
	struct media__uring *u = w->uring;
	unsigned want = 1, timeout_us = 0;

	while (!w->stopping) {
		/* Submits every send queued in the last turn and waits: one system call. After a
		 * busy turn it waits for as many packets as that turn had, or COALESCE_US,
		 * whichever comes first (the epoll loop's pause, without a wake-up per packet
		 * and without a system call of its own). */
		int err = media__uring_wait(u, want, timeout_us);

		if (err && err != EINTR && err != EBUSY) {
			log_error("media", "worker=%u error=uring_wait errno=%d", w->id, err);
			break;
		}
		w->now_us = clock_mono_us();
		w->now_ms = w->now_us / 1000;
		w->turn_packets = 0;
		media__uring_reap(u, uring_event, w);
		turn_end(w);
		if (w->turn_packets >= COALESCE_EVENTS) {
			want = w->turn_packets < COALESCE_MAX ? w->turn_packets : COALESCE_MAX;
			timeout_us = COALESCE_US;
		} else {
			want = 1;
			timeout_us = 0;
		}
	}
}

/* Sets up the io_uring path on the worker's own thread (its ring is single-issuer). */
static int uring_start(struct media__worker *w)
{
	int err;

	w->uring = calloc(1, sizeof(*w->uring));
	if (!w->uring)
		return ENOMEM;
	err = media__uring_init(w->uring, NULL);
	if (!err) {
		w->uring->wstats = &w->stats;
		err = media__uring_poll(w->uring, mq_fd(w->cmds), ID_CMD);
		if (!err)
			err = media__uring_poll(w->uring, w->tfd, ID_TIMER);
		if (!err)
			err = media__uring_submit(w->uring, false);
		if (err)
			media__uring_fini(w->uring);
	}
	if (err) {
		free(w->uring);
		w->uring = NULL;
	}
	return err;
}

static void uring_stop(struct media__worker *w)
{
	if (!w->uring)
		return;
	/* The last reports (RTCP BYE) of sessions released at shutdown. */
	media__uring_submit(w->uring, false);
	log_info(
	    "media",
	    "worker=%u event=io_stats io=uring received=%llu sent=%llu send_errors=%llu "
	    "sync_sends=%llu sq_full=%llu nobufs=%llu truncated=%llu",
	    w->id, (unsigned long long)w->uring->st.received, (unsigned long long)w->uring->st.sent,
	    (unsigned long long)w->uring->st.send_errors,
	    (unsigned long long)w->uring->st.sync_sends, (unsigned long long)w->uring->st.sq_full,
	    (unsigned long long)w->uring->st.nobufs, (unsigned long long)w->uring->st.truncated);
	media__uring_fini(w->uring);
	free(w->uring);
	w->uring = NULL;
}

static void *worker_main(void *arg)
{
	struct media__worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "media-w%u", w->id);
	pthread_setname_np(pthread_self(), name);
	if (w->m->io == MEDIA_IO_URING) {
		int err = uring_start(w);

		if (err && w->m->cfg.io == MEDIA_IO_URING) {
			w->start_err = err;
			sem_post(&w->ready);
			return NULL;
		}
		if (err)
			log_warn("media", "worker=%u event=io_fallback io=epoll reason=%s", w->id,
				 strerror(err));
	}
	sem_post(&w->ready);
	if (w->uring)
		loop_uring(w);
	else
		loop_epoll(w);
	shutdown_worker(w);
	turn_end(w);
	uring_stop(w);
	return NULL;
}

static void worker_free(struct media__worker *w)
{
	if (w->epfd > 0)
		close(w->epfd);
	if (w->tfd > 0)
		close(w->tfd);
	mq_free(w->cmds);
	free(w->sessions);
	free(w->ticking);
	free(w->recs);
	free(w->dead);
	free(w->mixes);
	w->epfd = w->tfd = -1;
	w->cmds = NULL;
	w->sessions = w->ticking = NULL;
	w->recs = NULL;
	w->dead = NULL;
	w->mixes = NULL;
}

int media__worker_start(struct media *m, struct media__worker *w, unsigned id)
{
	struct epoll_event ev = {.events = EPOLLIN};
	size_t max = m->cfg.max_sessions;
	int err;

	w->m = m;
	w->id = id;
	w->rand_state = (uint32_t)(clock_mono_us() * 2654435761u) ^ (id + 1) * 40503u;
	if (!w->rand_state)
		w->rand_state = 1;
	w->now_us = clock_mono_us();
	w->now_ms = w->now_us / 1000;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	w->sessions = calloc(max, sizeof(*w->sessions));
	w->ticking = calloc(max, sizeof(*w->ticking));
	w->recs = calloc(max, sizeof(*w->recs));
	w->dead = calloc(max, sizeof(*w->dead));
	if (w->epfd < 0 || w->tfd < 0) {
		err = errno;
		goto fail;
	}
	if (!w->sessions || !w->ticking || !w->recs || !w->dead) {
		err = ENOMEM;
		goto fail;
	}
	err = mq_alloc(&w->cmds, CMD_QUEUE);
	if (err)
		goto fail;
	ev.data.u64 = ID_CMD;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, mq_fd(w->cmds), &ev) != 0) {
		err = errno;
		goto fail;
	}
	ev.data.u64 = ID_TIMER;
	/* Armed by update_tick once the worker has a session. */
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev) != 0) {
		err = errno;
		goto fail;
	}
	for (int i = 0; i < MEDIA__BATCH; i++) {
		w->rx_iov[i].iov_base = w->rx_buf[i];
		w->rx_iov[i].iov_len = sizeof(w->rx_buf[i]);
		w->rx_msgs[i].msg_hdr.msg_iov = &w->rx_iov[i];
		w->rx_msgs[i].msg_hdr.msg_iovlen = 1;
		w->rx_msgs[i].msg_hdr.msg_name = &w->rx_addr[i];
		w->tx_msgs[i].msg_hdr.msg_iov = &w->tx_iov[i];
		w->tx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	sem_init(&w->ready, 0, 0);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err) {
		sem_destroy(&w->ready);
		goto fail;
	}
	while (sem_wait(&w->ready) != 0)
		;
	sem_destroy(&w->ready);
	if (w->start_err) {
		err = w->start_err;
		pthread_join(w->thread, NULL);
		goto fail;
	}
	w->started = true;
	return 0;
fail:
	worker_free(w);
	return err;
}

void media__worker_stop(struct media__worker *w)
{
	if (w->started) {
		struct media__cmd c;

		memset(&c, 0, sizeof(c));
		c.type = MEDIA__CMD_STOP;
		media__cmd_push(w, &c);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	worker_free(w);
}
