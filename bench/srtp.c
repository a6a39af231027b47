/*
 * SRTP's cost per packet in the media engine: the transforms a worker runs on the packet
 * path (src/media/srtp.c), timed on 20 ms PCMU packets (172 bytes). A packet relayed
 * between two SRTP legs is decrypted once (the sender's leg) and encrypted once (the
 * other leg); the benchmark times exactly that pair, through the same functions and
 * contexts as the workers, and prints nanoseconds per packet and the CPU this adds to a
 * 12 s call (600 packets each way). Compare with the worker's whole cost per packet in
 * docs/performance.md. With -t N, N threads do the same at once, each on contexts of
 * its own as two media workers do: each thread's CPU time per packet against one
 * thread's tells whether the transforms slow each other down (docs/performance.md,
 * WebRTC). With -k K, K idle SRTP sessions (keys and contexts like a live call's legs)
 * exist while the transforms are timed, as in a worker carrying K other calls.
 *
 *   bench_srtp [-n PACKETS] [-s 80|32] [-t THREADS] [-k IDLE_SESSIONS]
 */
#include "media/media_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct job {
	unsigned long n;
	int suite;
	unsigned calls; /* packets go to these many calls in turn */
	double ns;	/* thread CPU per relayed packet; < 0: failed */
};

/* One worker's transforms: its own contexts, n packets decrypted and encrypted again. */
static void *run(void *arg)
{
	struct job *j = arg;
	unsigned calls = j->calls;
	struct media__worker *w = calloc(1, sizeof(*w));
	struct media_session *from = calloc(calls, sizeof(*from)), *to = calloc(calls, sizeof(*to)),
			     *peer = calloc(calls, sizeof(*peer));
	uint8_t **sealed = malloc(sizeof(*sealed) * 1024);
	size_t *sealed_len = malloc(sizeof(*sealed_len) * 1024);
	uint64_t spent = 0, done = 0, t0, t1;

	j->ns = -1;
	if (!w || !from || !to || !peer || !sealed || !sealed_len)
		goto out;
	/* Each call's peer packets arrive on its `from` (whose rx key is the peer's tx
	 * key); its `to` encrypts what is relayed towards the other peer. */
	for (unsigned c = 0; c < calls; c++) {
		struct media_srtp k_from = {.tag = 1}, k_to = {.tag = 1}, k_peer;

		k_from.suite = k_to.suite = j->suite == 32 ? MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32
							   : MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80;
		for (int i = 0; i < MEDIA_SRTP_KEY_LEN; i++) {
			k_from.rx_key[i] = (uint8_t)(i * 3 + 1 + c);
			k_from.tx_key[i] = (uint8_t)(i * 5 + 2 + c);
			k_to.rx_key[i] = (uint8_t)(i * 7 + 3 + c);
			k_to.tx_key[i] = (uint8_t)(i * 11 + 4 + c);
		}
		media__srtp_configure(w, &from[c], &k_from);
		media__srtp_configure(w, &to[c], &k_to);
		k_peer = k_from;
		memcpy(k_peer.tx_key, k_from.rx_key, MEDIA_SRTP_KEY_LEN);
		media__srtp_configure(w, &peer[c], &k_peer);
	}
	for (unsigned long base = 0; base < j->n; base += 1024) {
		unsigned batch = j->n - base < 1024 ? (unsigned)(j->n - base) : 1024;
		/* The peers' packets, made outside the timing; packet k is call k % calls's. */
		for (unsigned i = 0; i < batch; i++) {
			unsigned long k = base + i;
			size_t len = 172;
			sealed[i] = malloc(MEDIA__PKT_MAX + MEDIA__SRTP_ROOM);
			media__rtp_write(sealed[i], 0, false, (uint16_t)(k / calls),
					 (uint32_t)(k / calls * 160), 0x1234);
			memset(sealed[i] + 12, 0x55 + (int)(i & 7), 160);
			if (!media__srtp_protect(w, &peer[k % calls], sealed[i], &len,
						 MEDIA__PKT_MAX + MEDIA__SRTP_ROOM, false))
				goto out;
			sealed_len[i] = len;
		}
		t0 = cpu_ns();
		for (unsigned i = 0; i < batch; i++) {
			unsigned c = (unsigned)((base + i) % calls);
			size_t len = sealed_len[i];
			if (!media__srtp_unprotect(w, &from[c], sealed[i], &len, false) ||
			    !media__srtp_protect(w, &to[c], sealed[i], &len,
						 MEDIA__PKT_MAX + MEDIA__SRTP_ROOM, false))
				goto out;
		}
		t1 = cpu_ns();
		spent += t1 - t0;
		done += batch;
		for (unsigned i = 0; i < batch; i++)
			free(sealed[i]);
	}
	j->ns = (double)spent / (double)done;
out:
	for (unsigned c = 0; from && to && peer && c < calls; c++) {
		media__srtp_free(&from[c]);
		media__srtp_free(&to[c]);
		media__srtp_free(&peer[c]);
	}
	free(from);
	free(to);
	free(peer);
	free(w);
	free(sealed);
	free(sealed_len);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long n = 2000000;
	int suite = 80, threads = 1, idle = 0, calls = 1;
	struct media__worker *iw = NULL;
	struct media_session *is = NULL;
	struct job jobs[16];
	pthread_t tid[16];
	uint64_t w0, w1;
	double sum = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			suite = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			idle = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			calls = atoi(argv[++i]);
		else {
			fprintf(stderr,
				"usage: bench_srtp [-n PACKETS] [-s 80|32] [-t THREADS] [-k "
				"IDLE_SESSIONS]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 16 || calls < 1 || calls > 100000) {
		fprintf(stderr, "bench_srtp: -t takes 1 to 16, -c 1 to 100000\n");
		return 2;
	}
	if (media__srtp_init())
		return 1;
	if (idle > 0) {
		iw = calloc(1, sizeof(*iw));
		is = calloc((size_t)idle, sizeof(*is));
		if (!iw || !is)
			return 1;
		for (int i = 0; i < idle; i++) {
			struct media_srtp k = {.tag = 1,
					       .suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80};
			for (int b = 0; b < MEDIA_SRTP_KEY_LEN; b++) {
				k.rx_key[b] = (uint8_t)(i + b * 13);
				k.tx_key[b] = (uint8_t)(i * 7 + b);
			}
			media__srtp_configure(iw, &is[i], &k);
		}
	}
	w0 = wall_ns();
	for (int i = 0; i < threads; i++) {
		jobs[i] = (struct job){.n = n, .suite = suite, .calls = (unsigned)calls};
		if (pthread_create(&tid[i], NULL, run, &jobs[i])) {
			fprintf(stderr, "bench_srtp: cannot start a thread\n");
			return 1;
		}
	}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	w1 = wall_ns();
	for (int i = 0; i < threads; i++) {
		if (jobs[i].ns < 0) {
			fprintf(stderr, "bench_srtp: a transform failed\n");
			return 1;
		}
		sum += jobs[i].ns;
	}
	double ns = sum / threads;
	printf("srtp AES_CM_128_HMAC_SHA1_%d: %d thread%s x %lu packets of 172 bytes, %d idle "
	       "sessions, decrypt+encrypt %.0f ns of thread CPU per relayed packet (%.2f ms of "
	       "CPU per 12 s call, both directions); %.0f ns of wall time per packet in all\n",
	       suite, threads, threads > 1 ? "s" : "", n, idle, ns, ns * 1200 / 1e6,
	       (double)(w1 - w0) / ((double)n * threads));
	for (int i = 0; threads > 1 && i < threads; i++)
		printf("  thread %d: %.0f ns per relayed packet\n", i, jobs[i].ns);
	printf("reproduce: build/bench_srtp -n %lu -s %d -t %d -k %d\n", n, suite, threads, idle);
	for (int i = 0; i < idle; i++)
		media__srtp_free(&is[i]);
	free(is);
	free(iw);
	return 0;
}
