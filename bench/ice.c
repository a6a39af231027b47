/*
 * The ICE-lite responder's cost per STUN check (src/media/ice.c, stun.c): a browser's
 * Binding request (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY,
 * FINGERPRINT) judged and answered (parse, CRC-32 and HMAC-SHA1 checks, a signed
 * response with XOR-MAPPED-ADDRESS and FINGERPRINT) exactly as a worker does it, on one
 * thread; and the time to make a DTLS-SRTP certificate (ECDSA P-256), paid once at start.
 * A browser sends a consent check about every 5 s per call, so the figure times 2.4
 * checks per 12 s call.
 *
 *   bench_ice [-n CHECKS]
 */
#include "media/dtls.h"
#include "media/ice.h"

#include <arpa/inet.h>
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
	const struct media_ice creds = {
	    .ufrag = "srvU", .pwd = "serverpasswordserverpw12", .remote_ufrag = "brws"};
	struct media__ice *ice;
	struct media__stun_key k;
	struct media__stun_w w;
	struct media__dtls_cert *cert;
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(50000)};
	uint8_t req[256], out[256], txid[12] = {7};
	size_t len, olen;
	long n = 1000000;
	uint64_t t0, t1;
	unsigned ok = 0;

	if (argc == 3 && !strcmp(argv[1], "-n"))
		n = atol(argv[2]);
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (media__ice_new(&creds, &ice) != 0)
		return 1;
	media__stun_key_init(&k, creds.pwd, strlen(creds.pwd));
	media__stun_begin(&w, req, sizeof(req), MEDIA__STUN_BINDING_REQUEST, txid);
	media__stun_put(&w, MEDIA__STUN_A_USERNAME, "srvU:brws", 9);
	media__stun_put_u32(&w, MEDIA__STUN_A_PRIORITY, 1853817087u);
	media__stun_put_u64(&w, MEDIA__STUN_A_ICE_CONTROLLING, 0x1122334455667788ull);
	media__stun_put(&w, MEDIA__STUN_A_USE_CANDIDATE, NULL, 0);
	media__stun_put_integrity(&w, &k);
	media__stun_put_fingerprint(&w);
	if (media__stun_finish(&w, &len) != 0)
		return 1;
	t0 = cpu_ns();
	for (long i = 0; i < n; i++)
		ok += media__ice_check(ice, req, len, &from, out, sizeof(out), &olen) ==
		      MEDIA__ICE_NOMINATED;
	t1 = cpu_ns();
	if (ok != (unsigned)n)
		return 1;
	printf("checks=%ld request_bytes=%zu response_bytes=%zu ns_per_check=%.0f "
	       "us_per_12s_call=%.2f\n",
	       n, len, olen, (double)(t1 - t0) / (double)n,
	       (double)(t1 - t0) / (double)n * 2.4 / 1000);
	t0 = cpu_ns();
	if (media__dtls_cert_new(&cert) != 0)
		return 1;
	t1 = cpu_ns();
	printf("dtls_certificate_ms=%.2f fingerprint=\"%s\"\n", (double)(t1 - t0) / 1e6,
	       media__dtls_cert_fingerprint(cert));
	media__dtls_cert_free(cert);
	media__ice_free(ice);
	printf("command: build/bench_ice -n %ld\n", n);
	return 0;
}
