/*
 * libFuzzer harness for STUN as the media engine reads it on a WebRTC session's RTP
 * port (src/media/stun.c): the parser, the MESSAGE-INTEGRITY and FINGERPRINT checks, and
 * a response built from what was parsed, which must read back with valid checks; and the
 * ICE-lite responder's verdict and answer (src/media/ice.c). See fuzz/README.md.
 */
#include "media/ice.h"
#include "media/stun.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct media__stun_key key;
	static struct media__ice *ice;
	static int ready;
	static const struct media_ice creds = {
	    .ufrag = "lf7Q", .pwd = "VOkJxbRl1RmTxUk/WvJxBt", .remote_ufrag = "h6vY"};
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = 0x3412};
	struct media__stun_msg m, r;
	struct media__stun_w w;
	uint8_t out[256];
	size_t len;

	if (!ready) {
		media__stun_key_init(&key, "VOkJxbRl1RmTxUk/WvJxBt", 22);
		if (media__ice_new(&creds, &ice) != 0)
			abort();
		ready = 1;
	}
	/* The responder: an answer, when there is one, is a well-formed signed (or, for
	 * 400/401, unsigned) STUN message for the same transaction. */
	{
		enum media__ice_verdict v =
		    media__ice_check(ice, data, size, &from, out, sizeof(out), &len);

		if (len && (media__stun_parse(out, len, &r) != 0 ||
			    !media__stun_check_fingerprint(out, &r) ||
			    (r.error_code != 400 && r.error_code != 401 &&
			     !media__stun_check_integrity(out, &r, &key))))
			abort();
		if ((v == MEDIA__ICE_CHECKED || v == MEDIA__ICE_NOMINATED) &&
		    (!len || r.type != MEDIA__STUN_BINDING_SUCCESS))
			abort();
	}
	if (media__stun_parse(data, size, &m) != 0)
		return 0;
	if (m.integrity_at && (m.integrity_at < 20 || m.integrity_at + 24 > size))
		abort();
	if (m.fingerprint_at && m.fingerprint_at + 8 != size)
		abort();
	if (m.username && (m.username < data || m.username + m.username_len > data + size))
		abort();
	(void)media__stun_check_integrity(data, &m, &key);
	(void)media__stun_check_fingerprint(data, &m);

	/* The answer an ICE-lite agent gives, read back. */
	media__stun_begin(&w, out, sizeof(out), MEDIA__STUN_BINDING_SUCCESS, m.txid);
	if (m.has_xaddr && m.xfamily == 1)
		media__stun_put_xaddr(&w, &m.xaddr);
	if (m.username)
		media__stun_put(&w, MEDIA__STUN_A_USERNAME, m.username,
				m.username_len > 64 ? 64 : m.username_len);
	if (m.error_code)
		media__stun_put_error(&w, m.error_code, "x");
	media__stun_put_integrity(&w, &key);
	media__stun_put_fingerprint(&w);
	if (media__stun_finish(&w, &len) != 0)
		abort();
	if (media__stun_parse(out, len, &r) != 0 || !media__stun_check_integrity(out, &r, &key) ||
	    !media__stun_check_fingerprint(out, &r) || memcmp(r.txid, m.txid, 12) != 0)
		abort();
	if (m.has_xaddr && m.xfamily == 1 &&
	    (r.xaddr.sin_addr.s_addr != m.xaddr.sin_addr.s_addr ||
	     r.xaddr.sin_port != m.xaddr.sin_port))
		abort();
	return 0;
}
