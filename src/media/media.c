/*
 * The engine-side half of the media engine: creation and teardown, session slots, and
 * the public calls, each of which validates what it can synchronously (a missing prompt
 * file, a recording path that cannot be created, sessions on different workers) and then
 * queues a command to the session's worker. Workers apply commands in order.
 */
#include "media/dtls.h"
#include "media/fast.h"
#include "media/ice.h"
#include "media/media_int.h"
#include "media/uring.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CACHE_BUDGET (128u << 20)

_Static_assert(sizeof(struct media__cmd) <= MQ_MSG_MAX, "commands must fit a queue slot");
_Static_assert(sizeof(struct media_event) <= MQ_MSG_MAX, "events must fit a queue slot");

void media__cmd_push(struct media__worker *w, const struct media__cmd *c)
{
	/* The worker drains its queue every loop; a full queue is a burst, not a state. */
	while (mq_push(w->cmds, c, sizeof(*c)) == ENOBUFS) {
		struct timespec ts = {0, 50000};

		nanosleep(&ts, NULL);
	}
}

void media__event(struct media *m, enum media_event_type type, uint64_t owner,
		  const struct media_event *extra)
{
	struct media_event ev;

	if (extra)
		ev = *extra;
	else
		memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.owner = owner;
	ev.ts_ms = clock_mono_ms();
	if (mq_push(m->events, &ev, sizeof(ev)) != 0) {
		uint64_t n = atomic_fetch_add(&m->events_dropped, 1);

		/* An overloaded engine must not also be flooded with log lines. */
		if (n % 1000 == 0)
			log_warn("media", "owner=%llu event=%d error=event_queue_full dropped=%llu",
				 (unsigned long long)owner, (int)type, (unsigned long long)n + 1);
	}
}

static void free_all(struct media *m)
{
	media__fast_close(m);
	media__cache_free(&m->cache);
	media__tones_free(&m->tones);
	media__dtls_cert_free(m->dtls_cert);
	media__chunks_free(m);
	free(m->workers);
	free(m->slots);
	free(m->free_slots);
	free(m->ports);
	pthread_mutex_destroy(&m->slot_lock);
	pthread_mutex_destroy(&m->port_lock);
	pthread_mutex_destroy(&m->chunk_lock);
	free(m);
}

int media_create(const struct media_config *cfg, struct mq *events, struct media **out)
{
	struct media *m;
	char addr[INET_ADDRSTRLEN];
	int err;
	long ncpu;

	if (!cfg || !events || !out || cfg->max_sessions == 0 ||
	    cfg->max_sessions > UINT32_MAX / 2 || cfg->port_min == 0 ||
	    cfg->port_min > cfg->port_max)
		return EINVAL;
	if (media__srtp_init())
		return EIO;
	m = calloc(1, sizeof(*m));
	if (!m)
		return ENOMEM;
	m->cfg = *cfg;
	m->events = events;
	m->rtcp_ms = MEDIA__RTCP_MS;
	m->consent_ms = MEDIA__ICE_CONSENT_MS;
	pthread_mutex_init(&m->slot_lock, NULL);
	pthread_mutex_init(&m->port_lock, NULL);
	pthread_mutex_init(&m->chunk_lock, NULL);
	media__cache_init(&m->cache, CACHE_BUDGET);
	media__g711_init();
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	m->nworkers = cfg->workers ? cfg->workers : (unsigned)(ncpu > 0 ? ncpu : 1);
	m->slots = calloc(cfg->max_sessions, sizeof(*m->slots));
	m->free_slots = calloc(cfg->max_sessions, sizeof(*m->free_slots));
	m->workers = calloc(m->nworkers, sizeof(*m->workers));
	if (!m->slots || !m->free_slots || !m->workers) {
		err = ENOMEM;
		goto fail;
	}
	/* Lowest slots first: pop from the end of the stack. */
	for (size_t i = 0; i < cfg->max_sessions; i++)
		m->free_slots[i] = (uint32_t)(cfg->max_sessions - 1 - i);
	m->nfree_slots = cfg->max_sessions;
	err = media__ports_init(m);
	if (err)
		goto fail;
	err = media__dtls_cert_new(&m->dtls_cert);
	if (err)
		goto fail;
	err = media__tones_init(&m->tones);
	if (err)
		goto fail;
	inet_ntop(AF_INET, &cfg->address, addr, sizeof(addr));
	snprintf(m->cname, sizeof(m->cname), "centrala-%08x@%s",
		 (unsigned)(clock_mono_us() ^ getpid()), addr);
	m->io = cfg->io == MEDIA_IO_EPOLL ? MEDIA_IO_EPOLL : MEDIA_IO_URING;
	if (m->io == MEDIA_IO_URING) {
		int perr = media__uring_probe();

		if (perr && cfg->io == MEDIA_IO_URING) {
			log_error("media", "event=io_uring_unavailable err=%s", strerror(perr));
			err = perr;
			goto fail;
		}
		if (perr) {
			log_warn("media", "event=io_fallback io=epoll reason=%s", strerror(perr));
			m->io = MEDIA_IO_EPOLL;
		}
	}
	err = media__fast_open(m);
	if (err)
		goto fail;
	err = media__writer_start(m);
	if (err)
		goto fail;
	for (unsigned i = 0; i < m->nworkers; i++) {
		err = media__worker_start(m, &m->workers[i], i);
		if (err)
			goto fail_workers;
	}
	log_info("media",
		 "event=started workers=%u ports=%u-%u address=%s max_sessions=%zu io=%s "
		 "kernel_relay=%s",
		 m->nworkers, cfg->port_min, cfg->port_max, addr, cfg->max_sessions,
		 media_io_name(m->io), m->fast ? "on" : "off");
	*out = m;
	return 0;
fail_workers:
	for (unsigned i = 0; i < m->nworkers; i++)
		media__worker_stop(&m->workers[i]);
	media__writer_stop(m);
fail:
	free_all(m);
	return err;
}

void media_destroy(struct media *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->nworkers; i++)
		media__worker_stop(&m->workers[i]);
	/* Mixes belong to the engine side; their recordings were finished by the workers. */
	while (m->mixes) {
		struct media_mix *x = m->mixes;

		m->mixes = x->e_next;
		if (x->e_rec)
			media__rec_discard(x->e_rec);
		free(x);
	}
	media__writer_stop(m);
	free_all(m);
}

static struct media__worker *pick_worker(struct media *m)
{
	struct media__worker *best = &m->workers[0];
	unsigned start = atomic_fetch_add(&m->next_worker, 1);

	/* Fewest sessions wins; ties rotate so that workers fill evenly. */
	for (unsigned i = 0; i < m->nworkers; i++) {
		struct media__worker *w = &m->workers[(start + i) % m->nworkers];

		if (i == 0 || atomic_load(&w->e_count) < atomic_load(&best->e_count))
			best = w;
	}
	return best;
}

static void slot_give(struct media *m, uint32_t idx)
{
	pthread_mutex_lock(&m->slot_lock);
	m->free_slots[m->nfree_slots++] = idx;
	pthread_mutex_unlock(&m->slot_lock);
}

void media__slot_give(struct media *m, uint32_t idx)
{
	slot_give(m, idx);
}

int media_session_alloc(struct media *m, uint64_t owner, struct media_session *near,
			struct media_session **out)
{
	struct media_session *s;
	struct media__cmd c;
	uint32_t idx, gen;
	int err;

	if (!m || !out)
		return EINVAL;
	pthread_mutex_lock(&m->slot_lock);
	if (m->nfree_slots == 0) {
		pthread_mutex_unlock(&m->slot_lock);
		return EAGAIN;
	}
	idx = m->free_slots[--m->nfree_slots];
	pthread_mutex_unlock(&m->slot_lock);

	s = &m->slots[idx];
	gen = s->gen + 1;
	memset(s, 0, sizeof(*s));
	s->gen = gen;
	s->m = m;
	s->idx = idx;
	s->owner = owner;
	s->fd_rtp = s->fd_rtcp = -1;
	s->w = near ? near->w : pick_worker(m);
	err = media__session_open(m, s);
	if (err) {
		slot_give(m, idx);
		return err;
	}
	atomic_fetch_add(&s->w->e_count, 1);
	atomic_fetch_add(&m->nsessions, 1);
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_ADD;
	c.s = s;
	media__cmd_push(s->w, &c);
	*out = s;
	return 0;
}

static void mix_forget(struct media_mix *x, struct media_session *s)
{
	for (size_t i = 0; i < x->e_members; i++) {
		if (x->e_mem[i] == s) {
			x->e_mem[i] = x->e_mem[--x->e_members];
			break;
		}
	}
	s->e_mix = NULL;
}

void media_session_free(struct media_session *s)
{
	struct media__cmd c;

	if (!s)
		return;
	if (s->e_mix)
		mix_forget(s->e_mix, s);
	atomic_fetch_sub(&s->w->e_count, 1);
	atomic_fetch_sub(&s->m->nsessions, 1);
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_FREE;
	c.s = s;
	media__cmd_push(s->w, &c);
}

uint16_t media_session_port(const struct media_session *s)
{
	return s->port;
}

const struct in_addr *media_address(const struct media *m)
{
	return &m->cfg.address;
}

int media_session_set(struct media_session *s, const struct media_params *p)
{
	struct media__cmd c;

	if (!s || !p)
		return EINVAL;
	if (p->codec != MEDIA_CODEC_PCMU && p->codec != MEDIA_CODEC_PCMA &&
	    p->codec != MEDIA_CODEC_G722 && p->codec != MEDIA_CODEC_OPUS)
		return EINVAL;
	if (p->pt > 127 || p->dtmf_pt > 127 || p->dir > MEDIA_DIR_INACTIVE)
		return EINVAL;
	if (p->srtp.suite != MEDIA_SRTP_NONE && !media__srtp_suite_known(p->srtp.suite))
		return EINVAL;
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_SET;
	c.s = s;
	c.u.params = *p;
	if (c.u.params.ptime_ms == 0 || c.u.params.ptime_ms > 60 || c.u.params.ptime_ms % 10)
		c.u.params.ptime_ms = 20;
	s->e_codec = p->codec;
	media__cmd_push(s->w, &c);
	return 0;
}

int media_play(struct media_session *s, const struct media_play_req *req)
{
	struct media__play *p;
	struct media__cmd c;
	int err = 0;

	if (!s || !req || !req->items || req->nitems == 0 || req->nitems > 1024)
		return EINVAL;
	p = calloc(1, sizeof(*p) + req->nitems * sizeof(p->items[0]));
	if (!p)
		return ENOMEM;
	p->id = req->id;
	p->loop = req->loop;
	p->barge_in = req->barge_in;
	for (size_t i = 0; i < req->nitems; i++) {
		const struct media_item *it = &req->items[i];
		struct media__play_item *pi = &p->items[i];

		pi->kind = it->kind;
		pi->tone = it->tone;
		pi->duration_ms = it->duration_ms;
		p->nitems = i + 1;
		if (it->kind == MEDIA_ITEM_FILE) {
			if (!it->path) {
				err = EINVAL;
				goto out;
			}
			err = media__cache_get(&s->m->cache, it->path, &pi->audio);
			if (err)
				goto out;
		} else if (it->kind == MEDIA_ITEM_TONE) {
			if (it->tone > MEDIA_TONE_BEEP) {
				err = EINVAL;
				goto out;
			}
		} else if (it->kind != MEDIA_ITEM_SILENCE) {
			err = EINVAL;
			goto out;
		}
	}
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_PLAY;
	c.s = s;
	c.u.play = p;
	media__cmd_push(s->w, &c);
	p = NULL;
out:
	media__play_free(p);
	return err;
}

int media_prompt_preload(struct media *m, const char *path)
{
	struct media__audio *a;
	int err;

	if (!m || !path)
		return EINVAL;
	err = media__cache_get(&m->cache, path, &a);
	if (!err)
		media__audio_put(a); /* the cache keeps its own reference */
	return err;
}

static void simple_cmd(struct media_session *s, enum media__cmd_type type, bool on)
{
	struct media__cmd c;

	if (!s)
		return;
	memset(&c, 0, sizeof(c));
	c.type = type;
	c.s = s;
	c.u.on = on;
	media__cmd_push(s->w, &c);
}

void media_play_stop(struct media_session *s)
{
	simple_cmd(s, MEDIA__CMD_PLAY_STOP, false);
}

int media_send_dtmf(struct media_session *s, char digit, uint16_t duration_ms)
{
	struct media__cmd c;

	if (!s || media__te_event(digit) < 0)
		return EINVAL;
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_DTMF;
	c.s = s;
	c.u.dtmf.digit = digit;
	c.u.dtmf.ms = duration_ms;
	media__cmd_push(s->w, &c);
	return 0;
}

void media_inband_dtmf(struct media_session *s, bool on)
{
	simple_cmd(s, MEDIA__CMD_INBAND, on);
}

int media_bridge(struct media_session *a, struct media_session *b, const char *record_path)
{
	struct media__rec *rec = NULL;
	struct media__cmd c;
	int err;

	if (!a || !b || a == b)
		return EINVAL;
	if (a->e_mix)
		mix_forget(a->e_mix, a);
	if (b->e_mix)
		mix_forget(b->e_mix, b);
	if (record_path) {
		uint32_t rate =
		    a->e_codec == MEDIA_CODEC_G722 || b->e_codec == MEDIA_CODEC_G722 ? 16000 : 8000;

		err = media__rec_open(a->m, record_path, rate, a->owner, &rec);
		if (err)
			return err;
	}
	/* Placed apart (not allocated `near`): b joins a's worker. */
	media__session_move(b, a->w);
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_BRIDGE;
	c.s = a;
	c.s2 = b;
	c.u.rec = rec;
	media__cmd_push(a->w, &c);
	return 0;
}

void media_unbridge(struct media_session *s)
{
	simple_cmd(s, MEDIA__CMD_UNBRIDGE, false);
}

void media_record_pause(struct media_session *s, bool paused)
{
	simple_cmd(s, MEDIA__CMD_REC_PAUSE, paused);
}

int media_mix_create(struct media *m, const char *record_path, struct media_mix **out)
{
	struct media_mix *x;
	int err;

	if (!m || !out)
		return EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return ENOMEM;
	x->m = m;
	if (record_path) {
		err = media__rec_open(m, record_path, MEDIA__MIX_REC_RATE, 0, &x->e_rec);
		if (err) {
			free(x);
			return err;
		}
	}
	x->e_next = m->mixes;
	if (m->mixes)
		m->mixes->e_prev = x;
	m->mixes = x;
	*out = x;
	return 0;
}

void media_mix_set_owner(struct media_mix *x, uint64_t owner)
{
	if (!x)
		return;
	x->owner = owner;
	if (x->e_rec)
		x->e_rec->owner = owner;
}

int media_mix_join(struct media_mix *x, struct media_session *s, enum media_mix_mode mode,
		   struct media_session *whisper_to)
{
	struct media__cmd c;

	if (!x || !s || mode > MEDIA_MIX_WHISPER)
		return EINVAL;
	if (mode == MEDIA_MIX_WHISPER && (!whisper_to || whisper_to == s))
		return EINVAL;
	if (mode != MEDIA_MIX_WHISPER)
		whisper_to = NULL;
	if (whisper_to && whisper_to->e_mix != x)
		return EINVAL;
	if (s->e_mix != x && x->e_members == MEDIA__MIX_MAX)
		return ENOSPC;
	/* Members mix on one worker: a session placed elsewhere moves there. */
	if (x->e_worker)
		media__session_move(s, x->e_worker);
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_MIX_JOIN;
	c.s = s;
	c.s2 = whisper_to;
	c.u.mix.x = x;
	c.u.mix.mode = mode;
	if (!x->e_worker) {
		x->e_worker = s->w;
		c.u.mix.rec = x->e_rec;
		x->e_rec = NULL;
	}
	if (s->e_mix != x) {
		if (s->e_mix)
			mix_forget(s->e_mix, s);
		x->e_mem[x->e_members++] = s;
		s->e_mix = x;
	}
	media__cmd_push(s->w, &c);
	return 0;
}

void media_mix_leave(struct media_mix *x, struct media_session *s)
{
	struct media__cmd c;

	if (!x || !s || s->e_mix != x)
		return;
	mix_forget(x, s);
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_MIX_LEAVE;
	c.s = s;
	c.u.mix.x = x;
	media__cmd_push(s->w, &c);
}

void media_mix_free(struct media_mix *x)
{
	struct media *m;
	struct media__cmd c;

	if (!x)
		return;
	m = x->m;
	while (x->e_members)
		mix_forget(x, x->e_mem[0]);
	if (x->e_prev)
		x->e_prev->e_next = x->e_next;
	else
		m->mixes = x->e_next;
	if (x->e_next)
		x->e_next->e_prev = x->e_prev;
	if (!x->e_worker) {
		if (x->e_rec)
			media__rec_discard(x->e_rec);
		free(x);
		return;
	}
	/* The worker detaches the members, finishes the recording and frees the mix. */
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_MIX_FREE;
	c.u.mix.x = x;
	media__cmd_push(x->e_worker, &c);
}

void media_stats_get(const struct media *m, struct media_stats *out)
{
	struct media_stats st;

	memset(&st, 0, sizeof(st));
	st.sessions = atomic_load(&m->nsessions);
	for (unsigned i = 0; i < m->nworkers; i++) {
		const struct media__wstats *ws = &m->workers[i].stats;

		st.packets_in += atomic_load_explicit(&ws->packets_in, memory_order_relaxed);
		st.packets_out += atomic_load_explicit(&ws->packets_out, memory_order_relaxed);
		st.bytes_in += atomic_load_explicit(&ws->bytes_in, memory_order_relaxed);
		st.bytes_out += atomic_load_explicit(&ws->bytes_out, memory_order_relaxed);
		st.late_or_lost += atomic_load_explicit(&ws->late_or_lost, memory_order_relaxed);
		st.srtp_in += atomic_load_explicit(&ws->srtp_in, memory_order_relaxed);
		st.srtp_out += atomic_load_explicit(&ws->srtp_out, memory_order_relaxed);
		st.srtp_failed += atomic_load_explicit(&ws->srtp_failed, memory_order_relaxed);
		st.ice_checks += atomic_load_explicit(&ws->ice_checks, memory_order_relaxed);
		st.ice_refused += atomic_load_explicit(&ws->ice_refused, memory_order_relaxed);
		st.ice_dropped += atomic_load_explicit(&ws->ice_dropped, memory_order_relaxed);
		st.ice_malformed += atomic_load_explicit(&ws->ice_malformed, memory_order_relaxed);
		st.srtp_auth_failed +=
		    atomic_load_explicit(&ws->srtp_auth_failed, memory_order_relaxed);
		st.srtp_replayed += atomic_load_explicit(&ws->srtp_replayed, memory_order_relaxed);
		st.dtls_connected +=
		    atomic_load_explicit(&ws->dtls_connected, memory_order_relaxed);
		st.dtls_failed += atomic_load_explicit(&ws->dtls_failed, memory_order_relaxed);
		st.dtls_malformed +=
		    atomic_load_explicit(&ws->dtls_malformed, memory_order_relaxed);
		st.rtcp_in += atomic_load_explicit(&ws->rtcp_in, memory_order_relaxed);
		st.rtcp_malformed +=
		    atomic_load_explicit(&ws->rtcp_malformed, memory_order_relaxed);
		st.kernel_packets +=
		    atomic_load_explicit(&ws->kernel_packets, memory_order_relaxed);
		st.worker_cpu_us += atomic_load_explicit(&ws->cpu_ns, memory_order_relaxed) / 1000;
	}
	st.kernel_relay = m->fast != NULL;
	st.recordings = atomic_load(&m->recordings);
	st.events_dropped = atomic_load(&m->events_dropped);
	*out = st;
}

enum media_io media_io_path(const struct media *m)
{
	return m->io;
}

static const char *const io_names[] = {
    [MEDIA_IO_AUTO] = "auto",
    [MEDIA_IO_URING] = "uring",
    [MEDIA_IO_EPOLL] = "epoll",
};

const char *media_io_name(enum media_io io)
{
	if ((unsigned)io >= sizeof(io_names) / sizeof(io_names[0]))
		return NULL;
	return io_names[io];
}

bool media_kernel_relay(const struct media *m)
{
	return m->fast != NULL;
}

static const char *const kernel_names[] = {
    [MEDIA_KERNEL_OFF] = "off",
    [MEDIA_KERNEL_AUTO] = "auto",
    [MEDIA_KERNEL_ON] = "on",
};

const char *media_kernel_name(enum media_kernel k)
{
	if ((unsigned)k >= sizeof(kernel_names) / sizeof(kernel_names[0]))
		return NULL;
	return kernel_names[k];
}

int media_kernel_parse(const char *name, enum media_kernel *out)
{
	for (size_t i = 0; i < sizeof(kernel_names) / sizeof(kernel_names[0]); i++) {
		if (name && strcmp(name, kernel_names[i]) == 0) {
			*out = (enum media_kernel)i;
			return 0;
		}
	}
	return EINVAL;
}

int media_io_parse(const char *name, enum media_io *out)
{
	for (size_t i = 0; i < sizeof(io_names) / sizeof(io_names[0]); i++) {
		if (name && strcmp(name, io_names[i]) == 0) {
			*out = (enum media_io)i;
			return 0;
		}
	}
	return EINVAL;
}
