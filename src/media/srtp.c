/*
 * SRTP for a session (libsrtp2): one context for what we send and one for what we
 * receive, made when signalling gives the session keys (media_session_set) and kept
 * until the keys change or the session ends, so the packet path only transforms packets
 * in place. Worker thread only, like the rest of a session's worker-owned state.
 */
#include "media/media_int.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <sodium.h>
#include <srtp2/srtp.h>
#ifdef CENTRALA_NSS
#include <nss.h>
#endif

#include "core/log.h"

_Static_assert(SRTP_MAX_TRAILER_LEN + 4 <= MEDIA__SRTP_ROOM, "MEDIA__SRTP_ROOM too small");

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_fail;

static int make_ctx(uint8_t suite, const uint8_t key[MEDIA_SRTP_KEY_LEN], bool outbound,
		    void **out);

#ifdef CENTRALA_NSS
/* Held for the life of the process: NSS as we initialised it. */
static NSSInitContext *nss_ctx;
#endif

static void init_lib(void)
{
	static const uint8_t zero[MEDIA_SRTP_KEY_LEN];
	void *ctx = NULL;

#ifdef CENTRALA_NSS
	/*
	 * Debian's libsrtp2 does its AES and HMAC through NSS, which it initialises itself
	 * with NSS_INIT_OPTIMIZESPACE: NSS's software token then keeps its sessions and
	 * session objects (every SRTP stream's keys) in hash tables of 32 buckets under one
	 * lock, and libsrtp2 makes a context for every packet, looked up there. With a
	 * hundred calls or more each packet walks long chains of cold memory under that
	 * lock, and two workers wait on each other for it (docs/performance.md, WebRTC).
	 * NSS initialised first, without that flag, keeps them in 1,024 buckets under 32
	 * locks; libsrtp2's own initialisation then finds NSS up and changes nothing.
	 */
	if (!NSS_IsInitialized())
		nss_ctx = NSS_InitContext("", "", "", "", NULL,
					  NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB |
					      NSS_INIT_FORCEOPEN | NSS_INIT_NOROOTINIT);
#endif
	init_status = srtp_init();
	/* One context made and dropped here, on one thread: the crypto back end (NSS in
	 * Debian's libsrtp2) initialises itself on first use, which workers making their
	 * first contexts at the same moment must not race for. */
	if (init_status == srtp_err_status_ok &&
	    make_ctx(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, zero, true, &ctx) == 0)
		srtp_dealloc(ctx);
}

int media__srtp_init(void)
{
	pthread_once(&init_once, init_lib);
	return init_status == srtp_err_status_ok ? 0 : EIO;
}

bool media__srtp_suite_known(uint8_t suite)
{
	return suite == MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80 ||
	       suite == MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32;
}

static int make_ctx(uint8_t suite, const uint8_t key[MEDIA_SRTP_KEY_LEN], bool outbound, void **out)
{
	srtp_policy_t pol;
	uint8_t k[MEDIA_SRTP_KEY_LEN];
	srtp_t ctx = NULL;
	srtp_err_status_t st;

	memset(&pol, 0, sizeof(pol));
	if (suite == MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	/* RFC 4568 6.2.1: SRTCP keeps the 80-bit tag with either suite. */
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	memcpy(k, key, sizeof(k)); /* libsrtp2 wants a non-const key */
	pol.key = k;
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = 1024;
	/* The same packet may go out twice (an RFC 4733 end packet repeated). */
	pol.allow_repeat_tx = 1;
	st = srtp_create(&ctx, &pol);
	memset(k, 0, sizeof(k));
	if (st != srtp_err_status_ok)
		return st == srtp_err_status_alloc_fail ? ENOMEM : EINVAL;
	*out = ctx;
	return 0;
}

void media__srtp_free(struct media_session *s)
{
	if (s->srtp_tx)
		srtp_dealloc(s->srtp_tx);
	if (s->srtp_rx)
		srtp_dealloc(s->srtp_rx);
	s->srtp_tx = s->srtp_rx = NULL;
	/* libsodium's wipe: gcc's access checks take explicit_bzero on the struct for a
	 * write past its first member once inlined (-Werror=stringop-overflow, TSan build). */
	sodium_memzero(&s->p.srtp, sizeof(s->p.srtp));
}

void media__srtp_configure(struct media__worker *w, struct media_session *s,
			   const struct media_srtp *k)
{
	int err;

	if (k->suite == s->p.srtp.suite &&
	    (k->suite == MEDIA_SRTP_NONE || !memcmp(k, &s->p.srtp, sizeof(*k))))
		return;
	media__srtp_free(s);
	if (k->suite == MEDIA_SRTP_NONE)
		return;
	if ((err = make_ctx(k->suite, k->tx_key, true, &s->srtp_tx)) ||
	    (err = make_ctx(k->suite, k->rx_key, false, &s->srtp_rx))) {
		/* Without its contexts the session sends nothing and drops what comes: never
		 * plain RTP where encryption was agreed. */
		log_error("media", "worker=%u owner=%llu event=srtp_failed err=%d", w->id,
			  (unsigned long long)s->owner, err);
		media__srtp_free(s);
		s->srtp_broken = true;
		return;
	}
	s->srtp_broken = false;
	s->p.srtp = *k;
}

bool media__srtp_unprotect(struct media__worker *w, struct media_session *s, uint8_t *buf,
			   size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st;

	if (!s->srtp_rx)
		return !s->srtp_broken;
	st = rtcp ? srtp_unprotect_rtcp(s->srtp_rx, buf, &n) : srtp_unprotect(s->srtp_rx, buf, &n);
	if (st != srtp_err_status_ok) {
		stat_add(&w->stats.srtp_failed, 1);
		if (st == srtp_err_status_auth_fail)
			stat_add(&w->stats.srtp_auth_failed, 1);
		else if (st == srtp_err_status_replay_fail || st == srtp_err_status_replay_old)
			stat_add(&w->stats.srtp_replayed, 1);
		/* Once per session: a peer with the wrong key fails every packet. */
		if (!s->srtp_warned) {
			s->srtp_warned = true;
			log_warn(
			    "media",
			    "worker=%u owner=%llu event=srtp_refused rtcp=%d status=%d len=%zu",
			    w->id, (unsigned long long)s->owner, rtcp, (int)st, *len);
		}
		return false;
	}
	stat_add(&w->stats.srtp_in, 1);
	*len = (size_t)n;
	return true;
}

bool media__srtp_protect(struct media__worker *w, struct media_session *s, uint8_t *buf,
			 size_t *len, size_t cap, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st;

	if (!s->srtp_tx)
		return !s->srtp_broken;
	/* libsrtp2 may write up to SRTP_MAX_TRAILER_LEN past the packet (plus the SRTCP
	 * index). */
	if (*len + MEDIA__SRTP_ROOM > cap)
		return false;
	st = rtcp ? srtp_protect_rtcp(s->srtp_tx, buf, &n) : srtp_protect(s->srtp_tx, buf, &n);
	if (st != srtp_err_status_ok) {
		stat_add(&w->stats.srtp_failed, 1);
		return false;
	}
	stat_add(&w->stats.srtp_out, 1);
	*len = (size_t)n;
	return true;
}
