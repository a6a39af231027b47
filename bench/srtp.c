/*
 * SRTP's cost per packet in the media engine: the transforms a worker runs on the packet
 * path (src/media/srtp.c), timed on 20 ms PCMU packets (172 bytes). A packet relayed
 * between two SRTP legs is decrypted once (the sender's leg) and encrypted once (the
 * other leg); the benchmark times exactly that pair, through the same functions and
 * contexts as the workers, on one thread, and prints nanoseconds per packet and the CPU
 * this adds to a 12 s call (600 packets each way). Compare with the worker's whole cost
 * per packet in docs/performance.md.
 *
 *   bench_srtp [-n PACKETS] [-s 80|32]
 */
#include "media/media_int.h"

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

int main(int argc, char **argv)
{
	static struct media__worker w;
	static struct media_session from, to;
	struct media_srtp k_from = {.tag = 1}, k_to = {.tag = 1};
	unsigned long n = 2000000;
	int suite = 80;
	uint8_t pkt[MEDIA__PKT_MAX + MEDIA__SRTP_ROOM];
	uint64_t t0, t1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			suite = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_srtp [-n PACKETS] [-s 80|32]\n");
			return 2;
		}
	}
	if (media__srtp_init())
		return 1;
	/* The peer's packets arrive on `from` (its rx key is the peer's tx key); `to`
	 * encrypts what it relays towards the other peer. */
	k_from.suite = k_to.suite =
	    suite == 32 ? MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32 : MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80;
	for (int i = 0; i < MEDIA_SRTP_KEY_LEN; i++) {
		k_from.rx_key[i] = (uint8_t)(i * 3 + 1);
		k_from.tx_key[i] = (uint8_t)(i * 5 + 2);
		k_to.rx_key[i] = (uint8_t)(i * 7 + 3);
		k_to.tx_key[i] = (uint8_t)(i * 11 + 4);
	}
	media__srtp_configure(&w, &from, &k_from);
	media__srtp_configure(&w, &to, &k_to);
	/* The peer's side: `to`'s tx key encrypts what `from` will receive, so one context
	 * of `to` stands in for the peer (same cipher, same work). */
	struct media_session peer = {0};
	struct media_srtp k_peer = k_from;
	memcpy(k_peer.tx_key, k_from.rx_key, MEDIA_SRTP_KEY_LEN);
	media__srtp_configure(&w, &peer, &k_peer);

	uint8_t **sealed = malloc(sizeof(*sealed) * 1024);
	size_t *sealed_len = malloc(sizeof(*sealed_len) * 1024);
	uint64_t spent = 0, done = 0;
	for (unsigned long base = 0; base < n; base += 1024) {
		unsigned batch = n - base < 1024 ? (unsigned)(n - base) : 1024;
		/* The peer's packets, made outside the timing. */
		for (unsigned i = 0; i < batch; i++) {
			size_t len = 172;
			sealed[i] = malloc(sizeof(pkt));
			media__rtp_write(sealed[i], 0, false, (uint16_t)(base + i),
					 (uint32_t)((base + i) * 160), 0x1234);
			memset(sealed[i] + 12, 0x55 + (int)(i & 7), 160);
			if (!media__srtp_protect(&w, &peer, sealed[i], &len, sizeof(pkt), false))
				return 1;
			sealed_len[i] = len;
		}
		t0 = cpu_ns();
		for (unsigned i = 0; i < batch; i++) {
			size_t len = sealed_len[i];
			if (!media__srtp_unprotect(&w, &from, sealed[i], &len, false) ||
			    !media__srtp_protect(&w, &to, sealed[i], &len, sizeof(pkt), false))
				return 1;
		}
		t1 = cpu_ns();
		spent += t1 - t0;
		done += batch;
		for (unsigned i = 0; i < batch; i++)
			free(sealed[i]);
	}
	double ns = (double)spent / (double)done;
	printf("srtp AES_CM_128_HMAC_SHA1_%d: %lu packets of 172 bytes, decrypt+encrypt "
	       "%.0f ns per relayed packet (%.2f ms of CPU per 12 s call, both directions)\n",
	       suite, (unsigned long)done, ns, ns * 1200 / 1e6);
	printf("reproduce: build/bench_srtp -n %lu -s %d\n", n, suite);
	media__srtp_free(&from);
	media__srtp_free(&to);
	media__srtp_free(&peer);
	free(sealed);
	free(sealed_len);
	return 0;
}
