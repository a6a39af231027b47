/*
 * WebRTC media benchmark: calls whose one leg is a browser's (ICE-lite, DTLS-SRTP) and
 * whose other leg is plain RTP, against the same number of plain-plain calls in the same
 * run. The far ends are synthetic, in this process: each browser is a UDP socket with a
 * DTLS server endpoint on OpenSSL (the module the engine uses, src/media/dtls.c) and
 * libsrtp2 sessions of its own; it nominates with an ICE check (and renews consent
 * every 5 s), completes the handshake, then sends and receives 20 ms PCMU packets,
 * encrypted, 50 per second each way like the plain far end. The driver (this thread)
 * paces packets in 2 ms slices (the browsers' packets are encrypted before the measured
 * phase, so the driver only sends) and decrypts every eighth packet the engine sends.
 *
 * Figures: handshakes (wall time, engine CPU per handshake); the media engine's CPU per
 * simulated 12 s call (worker threads' CPU, the driver excluded) for both kinds of
 * call, the difference per SRTP packet (each SRTP call has 600 packets decrypted and
 * 600 encrypted by the engine per 12 s), loss and decryption failures; then whether the
 * engine held them all. With several -n values, one run per value: the largest that
 * held (no handshake failed, loss under 1 %) is the number of concurrent DTLS-SRTP
 * sessions held on this machine. Prints the load average, as the machine is shared.
 *
 *   bench_webrtc [-n CALLS[,CALLS...]] [-s SECONDS] [-w WORKERS] [-p FIRST_PORT]
 */
#include "core/mq.h"
#include "media/dtls.h"
#include "media/media_int.h"
#include "media/stun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#define L_UFRAG	    "srvU"
#define L_PWD	    "serverpasswordserverpw12"
#define R_UFRAG	    "brws"
#define PKT_PAYLOAD 160
#define SLICES	    10 /* of the 20 ms period */
#define CONSENT_S   5

struct peer {
	int fd;			     /* the browser's (or plain far end's) socket */
	struct sockaddr_in to;	     /* the session it talks to */
	struct media_session *s;     /* its session: WebRTC (srtp) or plain */
	struct media_session *other; /* the bridged plain session */
	struct sockaddr_in other_to;
	struct media__dtls *d;
	srtp_t tx, rx;
	bool connected;
	uint16_t seq, oseq;
	uint32_t ts, ssrc;
	uint64_t next_check_ms;
	/* The browser's packets, encrypted before the measured phase (so that the driver
	 * only sends while the engine is measured): PRE_LEN bytes each, length first. */
	uint8_t *pre;
	unsigned npre, ipre;
};
#define PRE_LEN (2 + 12 + PKT_PAYLOAD + 16)

struct run {
	unsigned calls, seconds;
	bool srtp;
	/* Results. */
	unsigned connected;
	double hs_wall_ms, hs_cpu_us;
	double cpu_per_call_ms, pps, offered, driver_cpu;
	uint64_t sent, received, decrypt_failed, protect_failed;
	double loss;
};

static struct media *M;
static struct mq *EV;
static struct media__dtls_cert *CERT;
static int FD_PLAIN; /* the plain legs' far end, shared */
static uint8_t PAYLOAD[PKT_PAYLOAD];

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t thread_cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static uint64_t worker_cpu_us(void)
{
	struct media_stats st;

	media_stats_get(M, &st);
	return st.worker_cpu_us;
}

static int udp_socket(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), v = 1 << 20;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	return fd;
}

static void send_to(int fd, const void *buf, size_t len, const struct sockaddr_in *to)
{
	(void)sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
}

static void send_check(struct peer *p)
{
	static const char user[] = L_UFRAG ":" R_UFRAG;
	static struct media__stun_key k;
	static bool k_init;
	uint8_t buf[256], txid[12];
	struct media__stun_w w;
	size_t len;

	if (!k_init) {
		media__stun_key_init(&k, L_PWD, strlen(L_PWD));
		k_init = true;
	}
	for (int i = 0; i < 12; i++)
		txid[i] = (uint8_t)rand();
	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_REQUEST, txid);
	media__stun_put(&w, MEDIA__STUN_A_USERNAME, user, strlen(user));
	media__stun_put_u32(&w, MEDIA__STUN_A_PRIORITY, 1853817087u);
	media__stun_put(&w, MEDIA__STUN_A_USE_CANDIDATE, NULL, 0);
	media__stun_put_u64(&w, MEDIA__STUN_A_ICE_CONTROLLING, 0x1122334455667788ull);
	media__stun_put_integrity(&w, &k);
	media__stun_put_fingerprint(&w);
	if (media__stun_finish(&w, &len) == 0)
		send_to(p->fd, buf, len, &p->to);
}

static int make_srtp(const struct media_srtp *k, bool tx, srtp_t *out)
{
	srtp_policy_t pol;
	uint8_t key[MEDIA_SRTP_KEY_LEN];

	memset(&pol, 0, sizeof(pol));
	if (k->suite == MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
	else
		srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	memcpy(key, tx ? k->tx_key : k->rx_key, sizeof(key));
	pol.key = key;
	pol.ssrc.type = tx ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = 1024;
	return srtp_create(out, &pol) == srtp_err_status_ok ? 0 : EIO;
}

/* What arrived for the browser: DTLS to its endpoint, SRTP decrypted and counted. */
static void peer_drain(struct peer *p, struct run *r)
{
	uint8_t buf[MEDIA__PKT_MAX];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		int len = (int)n;

		if (buf[0] >= 20 && buf[0] <= 63 && p->d) {
			media__dtls_input(p->d, buf, (size_t)n);
		} else if (buf[0] >= 128 && !media__is_rtcp(buf, (size_t)n)) {
			/* Every eighth packet is decrypted: a check of the engine's SRTP that
			 * leaves the driver's CPU for sending (libsrtp2 accepts the gaps). */
			if (p->rx && (r->received & 7) == 0 &&
			    srtp_unprotect(p->rx, buf, &len) != srtp_err_status_ok)
				r->decrypt_failed++;
			else
				r->received++;
		}
	}
	if (p->d && !p->connected) {
		size_t len;

		while ((len = media__dtls_output(p->d, buf, sizeof(buf))) > 0)
			send_to(p->fd, buf, len, &p->to);
		if (!p->connected && media__dtls_state(p->d) == MEDIA__DTLS_CONNECTED) {
			struct media_srtp k;

			if (media__dtls_keys(p->d, &k) == 0 && !make_srtp(&k, true, &p->tx) &&
			    !make_srtp(&k, false, &p->rx)) {
				p->connected = true;
				r->connected++;
			}
		}
	}
}

static void drain_plain(struct run *r)
{
	uint8_t buf[MEDIA__PKT_MAX];

	while (recv(FD_PLAIN, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		r->received++;
}

/* Encrypts the browser's next `n` packets ahead of time (srtp_t keeps their indexes). */
static void pre_encrypt(struct peer *p, unsigned n, struct run *r)
{
	free(p->pre);
	p->pre = malloc((size_t)n * PRE_LEN);
	p->npre = p->ipre = 0;
	if (!p->pre)
		return;
	for (unsigned i = 0; i < n; i++) {
		uint8_t buf[12 + PKT_PAYLOAD + MEDIA__SRTP_ROOM];
		int len = 12 + PKT_PAYLOAD;

		media__rtp_write(buf, 0, false, (uint16_t)(p->seq + i), p->ts + i * PKT_PAYLOAD,
				 p->ssrc);
		memcpy(buf + 12, PAYLOAD, PKT_PAYLOAD);
		if (srtp_protect(p->tx, buf, &len) != srtp_err_status_ok || len > PRE_LEN - 2) {
			r->protect_failed++;
			return;
		}
		p->pre[(size_t)i * PRE_LEN] = (uint8_t)len;
		memcpy(p->pre + (size_t)i * PRE_LEN + 2, buf, (size_t)len);
		p->npre++;
	}
}

static void send_audio(struct peer *p, struct run *r)
{
	uint8_t buf[12 + PKT_PAYLOAD + MEDIA__SRTP_ROOM];
	int len = 12 + PKT_PAYLOAD;

	if (p->tx) {
		const uint8_t *q;

		if (p->ipre >= p->npre)
			return; /* ran out (a slow machine): counted as not offered */
		q = p->pre + (size_t)p->ipre++ * PRE_LEN;
		send_to(p->fd, q + 2, q[0], &p->to);
		p->seq++;
	} else {
		media__rtp_write(buf, 0, false, p->seq++, p->ts, p->ssrc);
		memcpy(buf + 12, PAYLOAD, PKT_PAYLOAD);
		send_to(p->fd, buf, (size_t)len, &p->to);
	}
	/* The plain far end of the same call. */
	media__rtp_write(buf, 0, false, p->oseq++, p->ts, p->ssrc + 1);
	memcpy(buf + 12, PAYLOAD, PKT_PAYLOAD);
	send_to(FD_PLAIN, buf, 12 + PKT_PAYLOAD, &p->other_to);
	p->ts += PKT_PAYLOAD;
	r->sent += 2;
}

static struct sockaddr_in session_addr(struct media_session *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(media_session_port(s));
	return a;
}

static struct media_params params_for(int fd)
{
	struct media_params p;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	memset(&p, 0, sizeof(p));
	getsockname(fd, (struct sockaddr *)&a, &alen);
	p.remote = a;
	p.codec = MEDIA_CODEC_PCMU;
	p.pt = 0;
	p.ptime_ms = 20;
	p.dir = MEDIA_DIR_SENDRECV;
	return p;
}

static int setup(struct peer *ps, struct run *r)
{
	static const struct media_ice creds = {
	    .ufrag = L_UFRAG, .pwd = L_PWD, .remote_ufrag = R_UFRAG};

	for (unsigned i = 0; i < r->calls; i++) {
		struct peer *p = &ps[i];
		struct media_params pa, pb;

		memset(p, 0, sizeof(*p));
		p->fd = udp_socket();
		p->ssrc = 0x10000u + i * 2;
		p->seq = (uint16_t)rand();
		if (media_session_alloc(M, 2 * i + 1, NULL, &p->s) ||
		    media_session_alloc(M, 2 * i + 2, p->s, &p->other)) {
			fprintf(stderr, "session %u: no slot or port\n", i);
			return 1;
		}
		pa = params_for(p->fd);
		pb = params_for(FD_PLAIN);
		if (r->srtp) {
			if (media_session_ice(p->s, &creds) ||
			    media__dtls_new(CERT, MEDIA__DTLS_PASSIVE, media_dtls_fingerprint(M),
					    &p->d) ||
			    media_session_dtls(p->s, MEDIA_DTLS_CLIENT,
					       media__dtls_cert_fingerprint(CERT)))
				return 1;
		}
		if (media_session_set(p->s, &pa) || media_session_set(p->other, &pb) ||
		    media_bridge(p->s, p->other, NULL))
			return 1;
		p->to = session_addr(p->s);
		p->other_to = session_addr(p->other);
	}
	return 0;
}

static void teardown(struct peer *ps, struct run *r)
{
	uint8_t ev[MQ_MSG_MAX];

	for (unsigned i = 0; i < r->calls; i++) {
		struct peer *p = &ps[i];

		media_session_free(p->s);
		media_session_free(p->other);
		media__dtls_free(p->d);
		if (p->tx)
			srtp_dealloc(p->tx);
		if (p->rx)
			srtp_dealloc(p->rx);
		free(p->pre);
		close(p->fd);
	}
	usleep(200000);
	while (mq_pop(EV, ev) > 0)
		;
}

/* Nominations and handshakes, all at once as after a burst of calls: up to 20 s. */
static void handshake(struct peer *ps, struct run *r)
{
	uint64_t t0 = now_us(), c0 = worker_cpu_us();

	for (unsigned i = 0; i < r->calls; i++)
		send_check(&ps[i]);
	while (r->connected < r->calls && now_us() - t0 < 20000000u) {
		usleep(2000);
		for (unsigned i = 0; i < r->calls; i++)
			if (!ps[i].connected)
				peer_drain(&ps[i], r);
	}
	r->hs_wall_ms = (double)(now_us() - t0) / 1000.0;
	r->hs_cpu_us = r->connected ? (double)(worker_cpu_us() - c0) / r->connected : 0;
}

static void media_phase(struct peer *ps, struct run *r)
{
	uint64_t start = now_us(), next = start, c0, c1, t1, tick = 0, d0 = thread_cpu_us();
	uint64_t end = start + (uint64_t)r->seconds * 1000000u;

	r->sent = r->received = r->decrypt_failed = r->protect_failed = 0;
	for (unsigned i = 0; i < r->calls; i++)
		if (ps[i].tx)
			pre_encrypt(&ps[i], r->seconds * 50 + 50, r);
	start = next = now_us();
	end = start + (uint64_t)r->seconds * 1000000u;
	d0 = thread_cpu_us();
	for (unsigned i = 0; i < r->calls; i++)
		ps[i].next_check_ms = (start / 1000) + (uint64_t)(rand() % (CONSENT_S * 1000));
	c0 = worker_cpu_us();
	while (now_us() < end) {
		unsigned slice = (unsigned)(tick % SLICES);
		uint64_t now_ms;

		for (unsigned i = slice; i < r->calls; i += SLICES)
			send_audio(&ps[i], r);
		next += 20000 / SLICES;
		tick++;
		if (slice == SLICES - 1) {
			now_ms = now_us() / 1000;
			for (unsigned i = 0; i < r->calls; i++) {
				if (r->srtp && now_ms >= ps[i].next_check_ms) {
					send_check(&ps[i]);
					ps[i].next_check_ms = now_ms + CONSENT_S * 1000;
				}
				peer_drain(&ps[i], r);
			}
			drain_plain(r);
		}
		for (uint64_t t = now_us(); t < next; t = now_us())
			usleep((useconds_t)(next - t));
	}
	usleep(100000);
	for (unsigned i = 0; i < r->calls; i++)
		peer_drain(&ps[i], r);
	drain_plain(r);
	c1 = worker_cpu_us();
	t1 = now_us();
	/* CPU per 12 s call: the workers' CPU per packet sent to them, times the 1,200
	 * packets of a 12 s call (600 from each far end): true even when the driver could
	 * not offer every packet on time. */
	r->cpu_per_call_ms = r->sent ? (double)(c1 - c0) / 1000.0 / (double)r->sent * 1200.0 : 0;
	r->pps = (double)r->sent / ((double)(t1 - start) / 1e6);
	r->offered = r->pps / (r->calls * 100.0);
	r->driver_cpu = (double)(thread_cpu_us() - d0) / (double)(t1 - start);
	r->loss = r->sent ? 1.0 - (double)r->received / (double)r->sent : 0;
}

static int one_run(struct run *r)
{
	struct peer *ps = calloc(r->calls, sizeof(*ps));
	int err;

	if (!ps)
		return 1;
	err = setup(ps, r);
	if (!err) {
		usleep(100000);
		if (r->srtp)
			handshake(ps, r);
		media_phase(ps, r);
	}
	teardown(ps, r);
	free(ps);
	return err;
}

int main(int argc, char **argv)
{
	struct media_config cfg;
	unsigned counts[16], ncounts = 0, seconds = 12, workers = 2;
	uint16_t first_port = 46000;
	double load[3] = {0};
	int best = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			for (char *t = strtok(argv[++i], ","); t && ncounts < 16;
			     t = strtok(NULL, ","))
				counts[ncounts++] = (unsigned)atoi(t);
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			seconds = (unsigned)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-w") && i + 1 < argc) {
			workers = (unsigned)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-p") && i + 1 < argc) {
			first_port = (uint16_t)atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: bench_webrtc [-n CALLS[,CALLS...]] [-s SECONDS] "
					"[-w WORKERS] [-p FIRST_PORT]\n");
			return 2;
		}
	}
	if (!ncounts)
		counts[ncounts++] = 100;
	for (int i = 0; i < PKT_PAYLOAD; i++)
		PAYLOAD[i] = (uint8_t)(0x55 ^ i);
	unsigned maxc = 0;
	for (unsigned i = 0; i < ncounts; i++)
		if (counts[i] > maxc)
			maxc = counts[i];
	memset(&cfg, 0, sizeof(cfg));
	inet_pton(AF_INET, "127.0.0.1", &cfg.address);
	cfg.port_min = first_port;
	cfg.port_max = (uint16_t)(first_port + maxc * 4 + 200);
	cfg.workers = workers;
	cfg.max_sessions = maxc * 2 + 16;
	if (mq_alloc(&EV, 65536) || media_create(&cfg, EV, &M) || media__dtls_cert_new(&CERT)) {
		fprintf(stderr, "media engine: cannot start\n");
		return 1;
	}
	FD_PLAIN = udp_socket();
	getloadavg(load, 3);
	printf("bench_webrtc: %u s of media per run, %u workers (%s), load average before "
	       "%.2f %.2f %.2f\n",
	       seconds, workers, media_io_name(media_io_path(M)), load[0], load[1], load[2]);
	for (unsigned c = 0; c < ncounts; c++) {
		struct run plain = {.calls = counts[c], .seconds = seconds};
		struct run sr = {.calls = counts[c], .seconds = seconds, .srtp = true};
		double per_pkt;

		if (one_run(&plain) || one_run(&sr)) {
			fprintf(stderr, "%u calls: set-up failed\n", counts[c]);
			break;
		}
		/* Per SRTP call and 12 s: 600 packets decrypted, 600 encrypted. */
		per_pkt = (sr.cpu_per_call_ms - plain.cpu_per_call_ms) * 1000.0 / 1200.0;
		getloadavg(load, 3);
		printf("\n%u calls (plain leg bridged to a plain leg, then to a DTLS-SRTP leg):\n",
		       counts[c]);
		printf("  plain-plain:     %.2f ms CPU per 12 s call, %.0f packets/s (%.0f %% of "
		       "the load; driver %.0f %% of a core), loss %.2f %%\n",
		       plain.cpu_per_call_ms, plain.pps, plain.offered * 100,
		       plain.driver_cpu * 100, plain.loss * 100);
		printf("  DTLS-SRTP-plain: %.2f ms CPU per 12 s call, %.0f packets/s (%.0f %% of "
		       "the load; driver %.0f %% of a core), loss %.2f %%, %llu failed decryption "
		       "at the browser\n",
		       sr.cpu_per_call_ms, sr.pps, sr.offered * 100, sr.driver_cpu * 100,
		       sr.loss * 100, (unsigned long long)sr.decrypt_failed);
		if (sr.protect_failed)
			printf("  (%llu packets the browsers could not encrypt)\n",
			       (unsigned long long)sr.protect_failed);
		printf(
		    "  SRTP overhead:   %.2f us per packet (decrypt or encrypt, in the worker)\n",
		    per_pkt);
		printf(
		    "  handshakes:      %u of %u connected in %.0f ms, %.0f us worker CPU each\n",
		    sr.connected, sr.calls, sr.hs_wall_ms, sr.hs_cpu_us);
		printf("  load average:    %.2f %.2f %.2f\n", load[0], load[1], load[2]);
		/* Held: every handshake done, the whole load offered and delivered. */
		if (sr.connected == sr.calls && sr.loss < 0.01 && sr.decrypt_failed == 0 &&
		    sr.offered > 0.95)
			best = (int)counts[c];
		fflush(stdout);
	}
	if (best >= 0)
		printf("\nheld: %d concurrent DTLS-SRTP sessions (bridged to as many plain legs), "
		       "no failed handshake, the whole load offered, loss under 1 %%\n",
		       best);
	else
		printf("\nheld: none of the sizes tried\n");
	printf("command: build/bench_webrtc");
	for (unsigned c = 0; c < ncounts; c++)
		printf("%s%u", c ? "," : " -n ", counts[c]);
	printf(" -s %u -w %u -p %u\n", seconds, workers, first_port);
	media__dtls_cert_free(CERT);
	media_destroy(M);
	mq_free(EV);
	close(FD_PLAIN);
	return 0;
}
