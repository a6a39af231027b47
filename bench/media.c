/*
 * Media engine benchmark: N bridged session pairs on loopback, driven by a sender thread
 * that plays both far ends of every call (50 packets/s each way, spread over the 20 ms
 * period like real traffic) and drains what the engine relays back. Two phases: plain
 * relay, then the same calls recorded to stereo WAV files. Prints the media engine's CPU
 * per simulated 12 s call (process CPU minus the sender and main threads), packets per
 * second, loss, RSS per session, and the command to reproduce.
 *
 *   bench_media [-n PAIRS] [-s SECONDS] [-w WORKERS] [-d RECORD_DIR] [-p FIRST_PORT]
 *               [-o relay|record]
 */
#include "core/mq.h"
#include "media/media.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SLOTS
/* The 20 ms period is cut in 40 slices of 0.5 ms, each sending its share of the calls:
 * packets spread over the period as calls with random phases send them (-DSLOTS=N). */
#define SLOTS 40
#endif
#define PKT_LEN	 172
#define RX_BATCH 256

struct pair {
	struct media_session *a, *b;
	struct sockaddr_in a_addr, b_addr;
	uint8_t pkt_a[PKT_LEN], pkt_b[PKT_LEN];
	uint16_t seq;
	uint32_t ts;
};

struct bench {
	unsigned pairs, seconds, workers;
	uint16_t first_port;
	const char *dir;
	const char *only; /* "relay" or "record": run one phase */
	struct media *m;
	struct mq *events;
	struct pair *p;
	int fd_c, fd_a; /* the customers' and the agents' side */
	struct sockaddr_in c_addr, a_addr;
	atomic_bool run;
	atomic_uint_fast64_t sent, received, sender_cpu_ns;
	pthread_t sender;
	struct mmsghdr *msgs;
	struct iovec *iov;
};

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t process_cpu_ns(void)
{
	return now_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Wake-ups of the media worker threads: voluntary context switches summed. */
static long long worker_wakeups(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	long long sum = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], line[256], name[64] = "";
		long long v = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "Name: %63s", name);
			sscanf(line, "voluntary_ctxt_switches: %lld", &v);
		}
		fclose(f);
		if (strncmp(name, "media-w", 7) == 0)
			sum += v;
	}
	closedir(d);
	return sum;
}

/* UDP receive errors of the whole host (buffer overflows show here first). */
static long long udp_rcvbuf_errors(void)
{
	FILE *f = fopen("/proc/net/snmp", "r");
	char hdr[1024], val[1024];
	long long v = -1;

	if (!f)
		return -1;
	while (fgets(hdr, sizeof(hdr), f) && fgets(val, sizeof(val), f)) {
		if (strncmp(hdr, "Udp:", 4) != 0)
			continue;
		char *hs = NULL, *vs = NULL;
		char *h = strtok_r(hdr, " \n", &hs), *x = strtok_r(val, " \n", &vs);

		while (h && x) {
			if (strcmp(h, "RcvbufErrors") == 0)
				v = atoll(x);
			h = strtok_r(NULL, " \n", &hs);
			x = strtok_r(NULL, " \n", &vs);
		}
	}
	fclose(f);
	return v;
}

static int open_peer(struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 64 << 20;
	socklen_t len = sizeof(*addr);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Needs CAP_NET_ADMIN beyond rmem_max; falls back to the ordinary call. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0) {
		perror("bind");
		exit(1);
	}
	getsockname(fd, (struct sockaddr *)addr, &len);
	return fd;
}

static void fill_rtp(uint8_t *p, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
}

static void drain(struct bench *b, int fd, struct mmsghdr *rx)
{
	int n;

	while ((n = recvmmsg(fd, rx, RX_BATCH, MSG_DONTWAIT, NULL)) > 0)
		atomic_fetch_add(&b->received, (uint64_t)n);
}

static void send_slice(struct bench *b, unsigned from, unsigned to)
{
	unsigned n = 0;

	for (unsigned i = from; i < to; i++) {
		struct pair *p = &b->p[i];

		p->seq++;
		p->ts += 160;
		fill_rtp(p->pkt_a, p->seq, p->ts, 0x10000 + i);
		fill_rtp(p->pkt_b, p->seq, p->ts, 0x20000 + i);
	}
	/* Customers' packets from one socket, agents' from the other. */
	for (int side = 0; side < 2; side++) {
		n = 0;
		for (unsigned i = from; i < to; i++) {
			struct pair *p = &b->p[i];

			b->iov[n].iov_base = side ? p->pkt_b : p->pkt_a;
			b->iov[n].iov_len = PKT_LEN;
			b->msgs[n].msg_hdr.msg_iov = &b->iov[n];
			b->msgs[n].msg_hdr.msg_iovlen = 1;
			b->msgs[n].msg_hdr.msg_name = side ? &p->b_addr : &p->a_addr;
			b->msgs[n].msg_hdr.msg_namelen = sizeof(p->a_addr);
			n++;
		}
		for (unsigned off = 0; off < n;) {
			int r = sendmmsg(side ? b->fd_a : b->fd_c, b->msgs + off, n - off, 0);

			if (r <= 0) {
				static int warned;

				if (!warned++)
					fprintf(stderr, "sender: sendmmsg: %s\n", strerror(errno));
				break;
			}
			off += (unsigned)r;
			atomic_fetch_add(&b->sent, (uint64_t)r);
		}
	}
}

static void *sender_main(void *arg)
{
	struct bench *b = arg;
	struct mmsghdr rx[RX_BATCH];
	struct iovec riov[RX_BATCH];
	static uint8_t rbuf[RX_BATCH][256];
	struct timespec next;
	uint64_t cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);

	for (int i = 0; i < RX_BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		memset(&rx[i], 0, sizeof(rx[i]));
		rx[i].msg_hdr.msg_iov = &riov[i];
		rx[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (atomic_load(&b->run)) {
		for (unsigned s = 0; s < SLOTS; s++) {
			send_slice(b, b->pairs * s / SLOTS, b->pairs * (s + 1) / SLOTS);
			drain(b, b->fd_c, rx);
			drain(b, b->fd_a, rx);
			next.tv_nsec += 20000000 / SLOTS;
			if (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
		atomic_store(&b->sender_cpu_ns, now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0);
	}
	return NULL;
}

static void drain_events(struct bench *b, unsigned *records_done)
{
	unsigned char buf[MQ_MSG_MAX];

	while (mq_pop(b->events, buf) > 0) {
		const struct media_event *ev = (const void *)buf;

		if (ev->type == MEDIA_EV_RECORD_DONE)
			(*records_done)++;
	}
}

static int setup_calls(struct bench *b, bool record)
{
	char path[512];

	for (unsigned i = 0; i < b->pairs; i++) {
		struct pair *p = &b->p[i];
		struct media_params pa, pb;
		int err;

		/* Sessions of the previous phase may still be on their way back to the pool. */
		for (int tries = 0; tries < 200; tries++) {
			err = media_session_alloc(b->m, 2 * i + 1, NULL, &p->a);
			if (err != EAGAIN)
				break;
			usleep(10000);
		}
		for (int tries = 0; !err && tries < 200; tries++) {
			err = media_session_alloc(b->m, 2 * i + 2, p->a, &p->b);
			if (err != EAGAIN)
				break;
			usleep(10000);
		}
		if (err) {
			fprintf(stderr, "session %u: %s\n", i, strerror(err));
			return err;
		}
		memset(&pa, 0, sizeof(pa));
		pa.remote = b->c_addr;
		pa.codec = MEDIA_CODEC_PCMU;
		pa.pt = 0;
		pa.dtmf_pt = 101;
		pa.ptime_ms = 20;
		pb = pa;
		pb.remote = b->a_addr;
		media_session_set(p->a, &pa);
		media_session_set(p->b, &pb);
		snprintf(path, sizeof(path), "%s/call-%u.wav", b->dir, i);
		err = media_bridge(p->a, p->b, record ? path : NULL);
		if (err) {
			fprintf(stderr, "bridge %u: %s\n", i, strerror(err));
			return err;
		}
		memset(&p->a_addr, 0, sizeof(p->a_addr));
		p->a_addr.sin_family = AF_INET;
		p->a_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		p->b_addr = p->a_addr;
		p->a_addr.sin_port = htons(media_session_port(p->a));
		p->b_addr.sin_port = htons(media_session_port(p->b));
		memset(p->pkt_a + 12, 0xFF, PKT_LEN - 12);
		memset(p->pkt_b + 12, 0x7F, PKT_LEN - 12);
		p->seq = (uint16_t)(i * 7);
		p->ts = i * 1000;
	}
	return 0;
}

static void run_phase(struct bench *b, bool record)
{
	struct media_stats s0, s1;
	uint64_t setup_cpu, cpu0, cpu1, main0, main1, snd0, snd1, sent0, recv0, sent1, recv1, wall0,
	    wall1;
	long rss0, rss1;
	long long err0, err1, wake0, wake1;
	unsigned records_done = 0;
	double calls, media_cpu_ms;

	rss0 = rss_kb();
	cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	if (setup_calls(b, record) != 0)
		exit(1);
	setup_cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	sleep(1);

	atomic_store(&b->run, true);
	pthread_create(&b->sender, NULL, sender_main, b);
	sleep(2); /* warm-up: latching, jitter buffers settle */

	media_stats_get(b->m, &s0);
	cpu0 = process_cpu_ns();
	main0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	snd0 = atomic_load(&b->sender_cpu_ns);
	sent0 = atomic_load(&b->sent);
	recv0 = atomic_load(&b->received);
	err0 = udp_rcvbuf_errors();
	wake0 = worker_wakeups();
	wall0 = now_ns(CLOCK_MONOTONIC);
	for (unsigned s = 0; s < b->seconds; s++) {
		sleep(1);
		drain_events(b, &records_done);
	}
	wall1 = now_ns(CLOCK_MONOTONIC);
	media_stats_get(b->m, &s1);
	cpu1 = process_cpu_ns();
	main1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	snd1 = atomic_load(&b->sender_cpu_ns);
	sent1 = atomic_load(&b->sent);
	recv1 = atomic_load(&b->received);
	err1 = udp_rcvbuf_errors();
	wake1 = worker_wakeups();
	rss1 = rss_kb();

	atomic_store(&b->run, false);
	pthread_join(b->sender, NULL);

	double secs = (double)(wall1 - wall0) / 1e9;
	calls = (double)b->pairs * secs / 12.0;
	media_cpu_ms = (double)((cpu1 - cpu0) - (snd1 - snd0) - (main1 - main0)) / 1e6;
	printf("\n== %s: %u bridged calls (%u sessions), %u worker(s), %.1f s measured\n",
	       record ? "relay + stereo recording" : "relay", b->pairs, 2 * b->pairs, b->workers,
	       secs);
	printf("media CPU:           %.1f ms/s  (%.1f%% of one core)\n", media_cpu_ms / secs,
	       media_cpu_ms / secs / 10.0);
	/* A 12 s call is 1,200 packets in (and out). When the sender could not offer the full
	 * load (a busy machine), the packet basis is the fair one for relaying; the tick's
	 * work (recording) is then overstated, which errs on the safe side. */
	double pkt_calls = (double)(s1.packets_in - s0.packets_in) / 1200.0;

	printf("CPU per 12 s call:   %.2f ms per 1,200 packets relayed each way (%.2f ms per "
	       "call-time)\n",
	       media_cpu_ms / (pkt_calls < calls ? pkt_calls : calls), media_cpu_ms / calls);
	printf("  of which workers:  %.2f ms\n", (double)(s1.worker_cpu_us - s0.worker_cpu_us) /
						     1000.0 /
						     (pkt_calls < calls ? pkt_calls : calls));
	printf("setup+bridge:        %.1f us engine-thread CPU per call (alloc, set, bridge%s)\n",
	       (double)setup_cpu / 1000.0 / b->pairs, record ? ", file creation" : "");
	printf("packets in/out:      %.0f / %.0f per s (offered %.0f per s)\n",
	       (double)(s1.packets_in - s0.packets_in) / secs,
	       (double)(s1.packets_out - s0.packets_out) / secs, (double)(sent1 - sent0) / secs);
	printf("delivered to peers:  %.3f%% of sent (late_or_lost %llu, udp RcvbufErrors %lld)\n",
	       sent1 > sent0 ? 100.0 * (double)(recv1 - recv0) / (double)(sent1 - sent0) : 0.0,
	       (unsigned long long)(s1.late_or_lost - s0.late_or_lost),
	       err0 >= 0 && err1 >= 0 ? err1 - err0 : -1);
	printf("worker wake-ups:     %.0f per s (%.1f packets in per wake-up)\n",
	       (double)(wake1 - wake0) / secs,
	       wake1 > wake0 ? (double)(s1.packets_in - s0.packets_in) / (double)(wake1 - wake0)
			     : 0.0);
	printf("sender thread CPU:   %.1f ms/s (not counted above)\n",
	       (double)(snd1 - snd0) / 1e6 / secs);
	printf("RSS per session:     %.1f KiB (%ld KiB for %u sessions)\n",
	       (double)(rss1 - rss0) / (2.0 * b->pairs), rss1 - rss0, 2 * b->pairs);
	if (record)
		printf("recordings open:     %llu\n", (unsigned long long)s1.recordings);

	cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	for (unsigned i = 0; i < b->pairs; i++) {
		media_session_free(b->p[i].a);
		media_session_free(b->p[i].b);
	}
	printf("teardown:            %.1f us engine-thread CPU per call\n",
	       (double)(now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / 1000.0 / b->pairs);
	for (int i = 0; i < 200; i++) {
		media_stats_get(b->m, &s1);
		drain_events(b, &records_done);
		if (s1.sessions == 0 && s1.recordings == 0)
			break;
		usleep(20000);
	}
	if (record)
		printf("recordings done:     %u\n", records_done);
}

int main(int argc, char **argv)
{
	struct bench b;
	struct media_config cfg;
	char dir[] = "/tmp/centrala-bench-XXXXXX";
	enum media_io io = MEDIA_IO_AUTO;
	int opt, err;

	memset(&b, 0, sizeof(b));
	b.pairs = 500;
	b.seconds = 10;
	b.workers = 2;
	b.first_port = 40000;
	while ((opt = getopt(argc, argv, "n:s:w:d:p:o:i:h")) != -1) {
		switch (opt) {
		case 'n':
			b.pairs = (unsigned)atoi(optarg);
			break;
		case 's':
			b.seconds = (unsigned)atoi(optarg);
			break;
		case 'w':
			b.workers = (unsigned)atoi(optarg);
			break;
		case 'd':
			b.dir = optarg;
			break;
		case 'p':
			b.first_port = (uint16_t)atoi(optarg);
			break;
		case 'o':
			b.only = optarg;
			break;
		case 'i':
			if (media_io_parse(optarg, &io) == 0)
				break;
			/* fall through */
		default:
			fprintf(stderr,
				"usage: %s [-n PAIRS] [-s SECONDS] [-w WORKERS] "
				"[-d RECORD_DIR] [-p FIRST_PORT] [-o relay|record] "
				"[-i auto|uring|epoll]\n",
				argv[0]);
			return 2;
		}
	}
	if (!b.dir) {
		if (!mkdtemp(dir)) {
			perror("mkdtemp");
			return 1;
		}
		b.dir = dir;
	}
	if (b.pairs == 0 || (unsigned)b.first_port + 4u * b.pairs + 64 > 65535) {
		fprintf(stderr, "too many pairs for the port range\n");
		return 2;
	}
	memset(&cfg, 0, sizeof(cfg));
	inet_pton(AF_INET, "127.0.0.1", &cfg.address);
	cfg.port_min = b.first_port;
	cfg.port_max = (uint16_t)(b.first_port + 4 * b.pairs + 63);
	cfg.workers = b.workers;
	cfg.max_sessions = 2 * b.pairs + 16;
	cfg.io = io;
	if (mq_alloc(&b.events, 4 * b.pairs + 1024) != 0)
		return 1;
	err = media_create(&cfg, b.events, &b.m);
	if (err) {
		fprintf(stderr, "media_create: %s\n", strerror(err));
		return 1;
	}
	b.p = calloc(b.pairs, sizeof(*b.p));
	b.msgs = calloc(b.pairs, sizeof(*b.msgs));
	b.iov = calloc(b.pairs, sizeof(*b.iov));
	b.fd_c = open_peer(&b.c_addr);
	b.fd_a = open_peer(&b.a_addr);

	printf("bench_media: %u bridged PCMU calls, 50 packets/s each way, %u s per phase, io=%s\n",
	       b.pairs, b.seconds, media_io_name(media_io_path(b.m)));
	if (!b.only || strcmp(b.only, "relay") == 0)
		run_phase(&b, false);
	if (!b.only || strcmp(b.only, "record") == 0)
		run_phase(&b, true);
	printf("\nreproduce: %s -n %u -s %u -w %u -p %u%s%s -i %s   (make build first; 2 cores "
	       "shared with the sender thread)\n",
	       argv[0], b.pairs, b.seconds, b.workers, b.first_port, b.only ? " -o " : "",
	       b.only ? b.only : "", media_io_name(io));
	if (b.dir == dir) {
		/* Our own temporary directory: the recordings were only there to be written. */
		char path[512];

		for (unsigned i = 0; i < b.pairs; i++) {
			snprintf(path, sizeof(path), "%s/call-%u.wav", b.dir, i);
			unlink(path);
		}
		rmdir(b.dir);
	} else {
		printf("recordings in %s\n", b.dir);
	}

	media_destroy(b.m);
	mq_free(b.events);
	close(b.fd_c);
	close(b.fd_a);
	free(b.p);
	free(b.msgs);
	free(b.iov);
	return 0;
}
