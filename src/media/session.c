/*
 * Sessions: the port-pair allocator (thread-safe FIFO of even ports), opening and
 * binding a session's RTP and RTCP sockets (engine thread), and on the worker the
 * attach, configure (media_session_set) and release steps.
 */
#include "media/ice.h"
#include "media/media_int.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RCVBUF_BYTES (256 * 1024)
#define TOS_EF	     0xB8 /* DSCP 46, expedited forwarding */

int media__ports_init(struct media *m)
{
	unsigned first = m->cfg.port_min + (m->cfg.port_min & 1u);
	size_t n = 0;

	for (unsigned p = first; p + 1 <= m->cfg.port_max; p += 2)
		n++;
	if (n == 0)
		return EINVAL;
	m->ports = calloc(n, sizeof(*m->ports));
	if (!m->ports)
		return ENOMEM;
	for (size_t i = 0; i < n; i++)
		m->ports[i] = (uint16_t)(first + 2 * i);
	m->nports = n;
	m->port_head = 0;
	m->port_count = n;
	return 0;
}

bool media__port_take(struct media *m, uint16_t *port)
{
	bool ok = false;

	pthread_mutex_lock(&m->port_lock);
	if (m->port_count) {
		*port = m->ports[m->port_head];
		m->port_head = (m->port_head + 1) % m->nports;
		m->port_count--;
		ok = true;
	}
	pthread_mutex_unlock(&m->port_lock);
	return ok;
}

void media__port_give(struct media *m, uint16_t port)
{
	pthread_mutex_lock(&m->port_lock);
	m->ports[(m->port_head + m->port_count) % m->nports] = port;
	m->port_count++;
	pthread_mutex_unlock(&m->port_lock);
}

static int open_socket(const struct in_addr *addr, uint16_t port, bool rtp, int *out)
{
	struct sockaddr_in sa;
	int fd, v;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (rtp) {
		/* Bursts of many calls at once overflow the default buffer first. */
		v = RCVBUF_BYTES;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		v = TOS_EF;
		setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr = *addr;
	sa.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int err = errno;

		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int media__session_open(struct media *m, struct media_session *s)
{
	/* Ports taken by other programs are skipped and go back to the end of the FIFO. */
	for (size_t tries = 0; tries < 64; tries++) {
		uint16_t port;
		int err;

		if (!media__port_take(m, &port))
			return EAGAIN;
		err = open_socket(&m->cfg.address, port, true, &s->fd_rtp);
		if (!err) {
			err =
			    open_socket(&m->cfg.address, (uint16_t)(port + 1), false, &s->fd_rtcp);
			if (err) {
				close(s->fd_rtp);
				s->fd_rtp = -1;
			}
		}
		if (!err) {
			s->port = port;
			return 0;
		}
		media__port_give(m, port);
		if (err != EADDRINUSE)
			return err;
	}
	return EAGAIN;
}

uint32_t media__rand(struct media__worker *w)
{
	/* xorshift32: SSRCs, initial sequence numbers and RTCP jitter need variety, not
	 * secrecy (RFC 3550 asks for randomness against collisions). */
	uint32_t x = w->rand_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rand_state = x;
	return x;
}

void media__tx_init(struct media__tx *tx, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	memset(tx, 0, sizeof(*tx));
	tx->ssrc = ssrc;
	tx->seq = seq;
	tx->ts = ts;
	tx->span = 160;
	tx->resync = true;
}

void media__session_attach(struct media__worker *w, struct media_session *s)
{
	s->attached = true;
	s->home = w;
	s->list_idx = w->nsessions;
	w->sessions[w->nsessions++] = s;
	media__tx_init(&s->tx, media__rand(w), (uint16_t)media__rand(w), media__rand(w));
	s->rtcp_next_ms = w->now_ms + w->m->rtcp_ms / 2 + media__rand(w) % w->m->rtcp_ms;
	s->rx_last_ms = w->now_ms;
	media__qs_reset(s);
	if (media__worker_watch(w, s) != 0)
		log_error("media", "owner=%llu port=%u error=epoll_add",
			  (unsigned long long)s->owner, s->port);
}

void media__session_update_ticking(struct media__worker *w, struct media_session *s)
{
	bool need =
	    s->attached && (s->play || media__dtmf_tx_busy(&s->dtmf_tx) || s->dtmf_rx.active);

	if (need && !s->ticking) {
		s->tick_idx = w->nticking;
		w->ticking[w->nticking++] = s;
		s->ticking = true;
	} else if (!need && s->ticking) {
		struct media_session *last = w->ticking[--w->nticking];

		w->ticking[s->tick_idx] = last;
		last->tick_idx = s->tick_idx;
		s->ticking = false;
	}
}

static uint64_t addr_key(const struct sockaddr_in *a)
{
	return (uint64_t)a->sin_addr.s_addr << 16 | a->sin_port;
}

void media__session_configure(struct media__worker *w, struct media_session *s,
			      const struct media_params *p)
{
	bool codec_changed = !s->configured || s->p.codec != p->codec;
	bool remote_changed = !s->configured ||
			      s->sdp_remote.sin_addr.s_addr != p->remote.sin_addr.s_addr ||
			      s->sdp_remote.sin_port != p->remote.sin_port;
	bool was_expecting =
	    s->configured && (s->p.dir == MEDIA_DIR_SENDRECV || s->p.dir == MEDIA_DIR_RECVONLY);

	if (remote_changed) {
		/* A new offer names where to send; symmetric RTP may move it again. */
		s->sdp_remote = p->remote;
		s->p.remote = p->remote;
		s->p.remote.sin_family = AF_INET;
		s->remote_key = addr_key(&p->remote);
		s->latched = false;
		s->rtcp_remote = s->p.remote;
		s->rtcp_remote.sin_port = htons((uint16_t)(ntohs(p->remote.sin_port) + 1));
		s->rtcp_latched = false;
	}
	s->p.codec = p->codec;
	s->p.pt = p->pt;
	s->p.dtmf_pt = p->dtmf_pt;
	s->p.ptime_ms = p->ptime_ms;
	s->p.dir = p->dir;
	s->rate = media__codec_rate(p->codec);
	if (codec_changed) {
		media__codec_state_free(s);
		/* Made now, not on the first packet: an encoder of Opus is tens of kilobytes. */
		if (media__codec_state_ensure(s))
			log_error("media", "owner=%llu error=codec_alloc",
				  (unsigned long long)s->owner);
		s->tx.acc_len = 0;
		if (s->down_rs)
			speex_resampler_reset_mem(s->down_rs);
		if (s->up_rs)
			speex_resampler_reset_mem(s->up_rs);
	}
	/* DTLS-SRTP keys, once agreed, are not SDP's to change. */
	if (!s->dtls)
		media__srtp_configure(w, s, &p->srtp);
	media__ice_keep_peer(s);
	if (!was_expecting) {
		s->rx_last_ms = w->now_ms;
		s->timeout_sent = false;
	}
	s->configured = true;
	if (s->role == MEDIA__ROLE_BRIDGE)
		media__bridge_update(w, s);
	else if (s->role == MEDIA__ROLE_MIX)
		media__mix_update(w, s->mix);
}

static void unlist(struct media__worker *w, struct media_session *s)
{
	struct media_session *last = w->sessions[--w->nsessions];

	w->sessions[s->list_idx] = last;
	last->list_idx = s->list_idx;
}

void media__session_detach(struct media__worker *w, struct media_session *s)
{
	/* Bridges and mixes are per worker: the session leaves them; its play, DTMF and
	 * codec state travel with it. */
	if (s->role == MEDIA__ROLE_BRIDGE)
		media__bridge_leave(w, s);
	else if (s->role == MEDIA__ROLE_MIX)
		media__mix_leave_apply(w, s->mix, s);
	if (s->ticking) {
		struct media_session *last = w->ticking[--w->nticking];

		w->ticking[s->tick_idx] = last;
		last->tick_idx = s->tick_idx;
		s->ticking = false;
	}
	media__worker_unwatch(w, s);
	unlist(w, s);
	s->attached = false;
	s->home = NULL;
}

void media__session_adopt(struct media__worker *w, struct media_session *s)
{
	s->attached = true;
	s->home = w;
	s->list_idx = w->nsessions;
	w->sessions[w->nsessions++] = s;
	if (media__worker_watch(w, s) != 0)
		log_error("media", "owner=%llu port=%u error=epoll_add",
			  (unsigned long long)s->owner, s->port);
	media__session_update_ticking(w, s);
}

void media__session_move(struct media_session *s, struct media__worker *to)
{
	struct media__cmd c;
	sem_t done;

	if (s->w == to)
		return;
	sem_init(&done, 0, 0);
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_DETACH;
	c.s = s;
	c.u.done = &done;
	media__cmd_push(s->w, &c);
	/* A short wait of the engine thread, for a rare operation (joining sessions that
	 * were placed apart); until the old worker is done, the session is shared. */
	while (sem_wait(&done) != 0)
		;
	sem_destroy(&done);
	atomic_fetch_sub(&s->w->e_count, 1);
	atomic_fetch_add(&to->e_count, 1);
	s->w = to;
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_ATTACH;
	c.s = s;
	media__cmd_push(to, &c);
}

void media__session_release(struct media__worker *w, struct media_session *s)
{
	/* RFC 3550 6.6: a leaving participant says so. */
	if (s->configured && s->tx.sent)
		media__rtcp_send(w, s, true);
	media__play_end(w, s, MEDIA_PLAY_STOPPED, true);
	if (s->role == MEDIA__ROLE_BRIDGE)
		media__bridge_leave(w, s);
	else if (s->role == MEDIA__ROLE_MIX)
		media__mix_leave_apply(w, s->mix, s);
	memset(&s->dtmf_tx, 0, sizeof(s->dtmf_tx));
	s->dtmf_rx.active = false;
	media__session_update_ticking(w, s);
	media__worker_unwatch(w, s);
	close(s->fd_rtp);
	close(s->fd_rtcp);
	s->fd_rtp = s->fd_rtcp = -1;
	media__codec_state_free(s);
	media__rs_free(&s->up_rs);
	media__rs_free(&s->down_rs);
	media__rs_free(&s->tx_rs);
	media__inband_free(s->inband);
	s->inband = NULL;
	media__amd_set(w, s, NULL);
	media__jbuf_free(s->jbuf);
	s->jbuf = NULL;
	media__srtp_free(s);
	s->srtp_broken = s->srtp_warned = false;
	media__ice_set(w, s, NULL);

	unlist(w, s);
	s->attached = false;
	s->home = NULL;
	media__port_give(s->m, s->port);
	/* The slot is reused only after this loop turn: events already fetched from epoll
	 * may still name it, and are ignored because it is no longer attached. */
	w->dead[w->ndead++] = s->idx;
}
