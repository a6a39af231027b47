/*
 * The kernel relay: loading bpf/relay.bpf.c, attaching it, and moving sessions into and
 * out of it (fast.h; the table's layout and rules are in fast_leg.h).
 *
 * The program is attached as a TCX ingress link (Linux 6.6 and later) to every
 * interface the RTP address is reached through (all interfaces when it is the wildcard
 * address, the loopback one for 127.0.0.0/8): a link goes away with the process, so a
 * server that dies leaves nothing behind that could rewrite packets, and several
 * servers on one host each run their own program over their own port range. Loading
 * needs CAP_BPF and CAP_NET_ADMIN.
 */
#include "media/fast.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/log.h"
#include "media/fast_leg.h"
#include "media/media_int.h"

#define LINKS_MAX 16
#ifndef BPF_TCX_INGRESS_VALUE
#define BPF_TCX_INGRESS_VALUE 46 /* enum bpf_attach_type BPF_TCX_INGRESS, Linux 6.6 */
#endif

extern const unsigned char media__relay_bpf[];
extern const size_t media__relay_bpf_len;

struct media__fast {
	struct bpf_object *obj;
	struct media_fast_leg *legs; /* the array map, mmap'd */
	size_t legs_bytes, nlegs;
	uint16_t port_min;
	int links[LINKS_MAX];
	unsigned nlinks;
	uint32_t local[LINKS_MAX]; /* this host's IPv4 addresses (network order) at start */
	unsigned nlocal;
	/* Recorded sessions: each worker's ring of payload copies, and the session of each
	 * entry while it is in the kernel (written by the session's worker only). */
	struct ring_buffer *rings[MEDIA_FAST_WORKERS_MAX];
	struct media_session **sess;
	char ifnames[128]; /* for the log line */
};

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void fast_free(struct media__fast *f)
{
	for (unsigned i = 0; i < MEDIA_FAST_WORKERS_MAX; i++)
		ring_buffer__free(f->rings[i]);
	free(f->sess);
	for (unsigned i = 0; i < f->nlinks; i++)
		close(f->links[i]);
	if (f->legs)
		munmap(f->legs, f->legs_bytes);
	bpf_object__close(f->obj);
	free(f);
}

/* Attaches the program to interface `ifindex` unless it already is. */
static int attach(struct media__fast *f, int prog, unsigned ifindex, const char *name)
{
	int fd;

	if (f->nlinks == LINKS_MAX)
		return 0;
	fd = bpf_link_create(prog, (int)ifindex, (enum bpf_attach_type)BPF_TCX_INGRESS_VALUE, NULL);
	if (fd < 0)
		return -fd;
	f->links[f->nlinks++] = fd;
	size_t used = strlen(f->ifnames);
	snprintf(f->ifnames + used, sizeof(f->ifnames) - used, "%s%s", used ? "," : "", name);
	return 0;
}

/* Every interface that holds `addr` (or every interface up, for the wildcard). */
static int attach_all(struct media__fast *f, int prog, struct in_addr addr)
{
	struct ifaddrs *ifs, *i;
	unsigned done[LINKS_MAX], ndone = 0;
	int err = 0;
	bool loopback = (ntohl(addr.s_addr) >> 24) == 127;

	if (getifaddrs(&ifs) != 0)
		return errno;
	for (i = ifs; i && !err; i = i->ifa_next) {
		unsigned idx;
		bool seen = false;

		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP))
			continue;
		if (f->nlocal < LINKS_MAX)
			f->local[f->nlocal++] =
			    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		if (addr.s_addr != INADDR_ANY) {
			struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;

			if (loopback ? !(i->ifa_flags & IFF_LOOPBACK) : a.s_addr != addr.s_addr)
				continue;
		}
		idx = if_nametoindex(i->ifa_name);
		for (unsigned k = 0; k < ndone; k++)
			seen |= done[k] == idx;
		if (!idx || seen || ndone == LINKS_MAX)
			continue;
		done[ndone++] = idx;
		err = attach(f, prog, idx, i->ifa_name);
	}
	freeifaddrs(ifs);
	if (!err && f->nlinks == 0)
		err = ENODEV;
	return err;
}

/* A payload copy from the kernel: into the recorded session's jitter buffer. */
static int on_rec(void *ctx, void *data, size_t size)
{
	struct media__fast *f = ctx;
	const struct media_fast_rec *r = data;
	struct media_session *s;

	if (size < sizeof(*r) || r->idx >= f->nlegs || r->len > MEDIA_FAST_REC_MAX)
		return 0;
	s = f->sess[r->idx];
	if (s && s->jbuf && f->legs[r->idx].gen == r->gen)
		media__jbuf_put(s->jbuf, r->ssrc, r->ts, r->seq, r->data, r->len);
	return 0;
}

/* One ring per worker (up to MEDIA_FAST_WORKERS_MAX; workers past it do not record
 * through the kernel), put in the program's array of rings. */
static int make_rings(struct media *m, struct media__fast *f)
{
	struct bpf_map *outer = bpf_object__find_map_by_name(f->obj, "rec_rings");

	f->sess = calloc(f->nlegs, sizeof(*f->sess));
	if (!outer || !f->sess)
		return ENOMEM;
	for (unsigned i = 0; i < m->nworkers && i < MEDIA_FAST_WORKERS_MAX; i++) {
		int fd =
		    bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, MEDIA_FAST_RING_BYTES, NULL);
		int err;

		if (fd < 0)
			return -fd;
		err = bpf_map_update_elem(bpf_map__fd(outer), &i, &fd, BPF_ANY);
		if (err) {
			close(fd);
			return -err;
		}
		f->rings[i] = ring_buffer__new(fd, on_rec, f, NULL);
		close(fd); /* the outer map and the ring manager hold it */
		if (!f->rings[i])
			return errno ? errno : ENOMEM;
	}
	return 0;
}

static int fast_load(struct media *m, struct media__fast **out, const char **what)
{
	struct media__fast *f = calloc(1, sizeof(*f));
	struct media_fast_conf conf;
	struct bpf_map *legs, *rodata = NULL, *map;
	struct bpf_program *prog;
	size_t sz = 0;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	if (!f)
		return ENOMEM;
	libbpf_set_print(quiet_print);
	*what = "open";
	f->obj = bpf_object__open_mem(media__relay_bpf, media__relay_bpf_len, NULL);
	if (!f->obj) {
		err = errno ? errno : EINVAL;
		free(f);
		return err;
	}
	bpf_object__for_each_map(map, f->obj)
	{
		const char *name = bpf_map__name(map);

		if (strstr(name, ".rodata"))
			rodata = map;
	}
	legs = bpf_object__find_map_by_name(f->obj, "legs");
	prog = bpf_object__find_program_by_name(f->obj, "relay");
	err = EINVAL;
	if (!legs || !prog || !rodata || !bpf_map__initial_value(rodata, &sz) || sz != sizeof(conf))
		goto fail;
	conf.port_min = m->cfg.port_min;
	conf.port_max = m->cfg.port_max;
	if (bpf_map__set_initial_value(rodata, &conf, sizeof(conf)) != 0)
		goto fail;
	f->port_min = m->cfg.port_min;
	f->nlegs = (size_t)(m->cfg.port_max - m->cfg.port_min) / 2 + 1;
	bpf_map__set_max_entries(legs, (uint32_t)f->nlegs);
	*what = "load";
	err = bpf_object__load(f->obj);
	if (err)
		goto fail;
	*what = "rings";
	err = make_rings(m, f);
	if (err)
		goto fail;
	*what = "mmap";
	f->legs_bytes =
	    (f->nlegs * sizeof(struct media_fast_leg) + (size_t)page - 1) & ~((size_t)page - 1);
	f->legs =
	    mmap(NULL, f->legs_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(legs), 0);
	if (f->legs == MAP_FAILED) {
		f->legs = NULL;
		err = errno;
		goto fail;
	}
	*what = "attach";
	err = attach_all(f, bpf_program__fd(prog), m->cfg.address);
	if (err)
		goto fail;
	*out = f;
	return 0;
fail:
	fast_free(f);
	return err < 0 ? -err : err;
}

int media__fast_open(struct media *m)
{
	const char *what = "";
	int err;

	if (m->cfg.kernel_relay == MEDIA_KERNEL_OFF)
		return 0;
	err = fast_load(m, &m->fast, &what);
	if (!err) {
		log_info("media", "event=kernel_relay state=on interfaces=%s ports=%u-%u",
			 m->fast->ifnames, m->cfg.port_min, m->cfg.port_max);
		return 0;
	}
	m->fast = NULL;
	if (m->cfg.kernel_relay == MEDIA_KERNEL_ON) {
		log_error("media", "event=kernel_relay_unavailable step=%s err=%s", what,
			  strerror(err));
		return err;
	}
	log_warn("media", "event=kernel_relay state=off step=%s reason=%s", what, strerror(err));
	return 0;
}

void media__fast_close(struct media *m)
{
	if (m->fast)
		fast_free(m->fast);
	m->fast = NULL;
}

static struct media_fast_leg *leg_of(struct media__fast *f, const struct media_session *s)
{
	size_t i = (size_t)(s->port - f->port_min) / 2;

	return i < f->nlegs ? &f->legs[i] : NULL;
}

static bool is_local(const struct media__fast *f, uint32_t addr)
{
	if ((ntohl(addr) >> 24) == 127)
		return true;
	for (unsigned i = 0; i < f->nlocal; i++)
		if (f->local[i] == addr)
			return true;
	return false;
}

static bool eligible(const struct media *m, const struct media__worker *w,
		     const struct media_session *s)
{
	const struct media_session *to = s->peer;

	if (!m->fast || s->role != MEDIA__ROLE_BRIDGE || !to || to->peer != s || s->transcode)
		return false;
	if (!s->configured || !to->configured || !s->latched || !s->rx_have)
		return false;
	if (s->p.codec != to->p.codec || s->mix || s->inband || s->amd)
		return false;
	/* Recorded: the payloads come back through the worker's ring. */
	if ((s->rec || s->jbuf) &&
	    (!s->jbuf || w->id >= MEDIA_FAST_WORKERS_MAX || !m->fast->rings[w->id]))
		return false;
	if (s->ice || to->ice || s->srtp_rx || s->srtp_tx || to->srtp_tx || to->srtp_rx ||
	    s->srtp_broken || to->srtp_broken)
		return false;
	if (!media__tx_allowed(to) || media__tx_busy(to) || !to->p.remote.sin_port)
		return false;
	/* The partner's stream follows this source: the worker has relayed it. */
	return to->tx.sent && !to->tx.resync && to->tx.src_ssrc == s->rx_ssrc;
}

void media__fast_try(struct media__worker *w, struct media_session *s)
{
	struct media__fast *f = w->m->fast;
	struct media_session *to = s->peer;
	struct media_fast_leg *e;

	if (s->fast || !eligible(w->m, w, s) || !(e = leg_of(f, s)))
		return;
	atomic_store_explicit((_Atomic uint32_t *)&e->active, 0, memory_order_release);
	e->gen++;
	e->local_ip = w->m->cfg.address.s_addr;
	e->remote_ip = s->p.remote.sin_addr.s_addr;
	e->remote_port = s->p.remote.sin_port;
	e->pt_in = s->p.pt;
	e->pt_out = to->p.pt;
	e->ssrc_in = htonl(s->rx_ssrc);
	e->ssrc_out = htonl(to->tx.ssrc);
	e->seq_off = to->tx.seq_off;
	e->ts_off = to->tx.ts_base - to->tx.src_ts;
	e->out_sport = htons(to->port);
	e->out_saddr = w->m->cfg.address.s_addr;
	e->out_daddr = to->p.remote.sin_addr.s_addr;
	e->out_dport = to->p.remote.sin_port;
	e->out_local = is_local(f, e->out_daddr);
	e->ns_per_unit = 1000000000u / media__codec_clock(s->p.codec);
	e->record = s->jbuf != NULL;
	e->worker = w->id;
	f->sess[e - f->legs] = s;
	e->packets = 0;
	e->octets = 0;
	e->ext_max = media__seq_ext_max(&s->rx_seq);
	e->last_ts = to->tx.src_ts;
	e->jitter_q4 = s->rx_jitter_q4;
	e->transit = 0;
	e->have_transit = 0;
	e->last_ns = 0;
	s->fast_packets = 0;
	s->fast_octets = 0;
	s->fast = true;
	atomic_store_explicit((_Atomic uint32_t *)&e->active, 1, memory_order_release);
}

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

void media__fast_fold(struct media__worker *w, struct media_session *s)
{
	struct media_fast_leg *e;
	struct media_session *to = s->peer;
	uint64_t packets, octets, dp, doct;
	uint32_t ext, last_ts;
	uint16_t last_seq;

	if (!s->fast || !w->m->fast || !(e = leg_of(w->m->fast, s)))
		return;
	packets = __atomic_load_n(&e->packets, __ATOMIC_ACQUIRE);
	octets = __atomic_load_n(&e->octets, __ATOMIC_RELAXED);
	dp = packets - s->fast_packets;
	doct = octets - s->fast_octets;
	if (!dp)
		return;
	s->fast_packets = packets;
	s->fast_octets = octets;
	ext = e->ext_max;
	last_ts = e->last_ts;
	last_seq = (uint16_t)ext;
	/* What the session received. */
	s->rx_packets += (uint32_t)dp;
	s->rx_octets += (uint32_t)doct;
	s->rx_seq.received += (uint32_t)dp;
	if (media__seq_diff(last_seq, s->rx_seq.max_seq) > 0 ||
	    (ext & 0xffff0000u) != s->rx_seq.cycles) {
		s->rx_seq.cycles = ext & 0xffff0000u;
		s->rx_seq.max_seq = last_seq;
	}
	s->rx_jitter_q4 = e->jitter_q4;
	s->rx_transit_have = false;
	s->rx_last_ms = w->now_ms;
	s->latched_ms = w->now_ms;
	s->timeout_sent = false;
	/* What the partner sent: its stream continues from the kernel's last packet. */
	if (to) {
		struct media__tx *tx = &to->tx;

		tx->packets += (uint32_t)dp;
		tx->octets += (uint32_t)doct;
		tx->src_max_seq = last_seq;
		tx->seq = (uint16_t)(last_seq + tx->seq_off);
		tx->src_ts = last_ts;
		tx->ts_base = last_ts + e->ts_off;
		tx->ts = tx->ts_base;
		tx->last_us = w->now_us;
		tx->sent = true;
		tx->sent_since_report = true;
	}
	stat_add(&w->stats.packets_in, dp);
	stat_add(&w->stats.packets_out, dp);
	stat_add(&w->stats.bytes_in, doct + 12 * dp);
	stat_add(&w->stats.bytes_out, doct + 12 * dp);
	stat_add(&w->stats.kernel_packets, dp);
}

void media__fast_leave(struct media__worker *w, struct media_session *s)
{
	struct media_fast_leg *e;

	if (!s || !s->fast || !w->m->fast || !(e = leg_of(w->m->fast, s)))
		return;
	atomic_store_explicit((_Atomic uint32_t *)&e->active, 0, memory_order_release);
	/* What the kernel recorded before the packets that follow in the worker. */
	if (e->record)
		media__fast_consume(w);
	media__fast_fold(w, s);
	w->m->fast->sess[e - w->m->fast->legs] = NULL;
	s->fast = false;
}

void media__fast_consume(struct media__worker *w)
{
	struct media__fast *f = w->m->fast;

	if (f && w->id < MEDIA_FAST_WORKERS_MAX && f->rings[w->id])
		ring_buffer__consume(f->rings[w->id]);
}
