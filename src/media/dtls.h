/*
 * DTLS-SRTP (RFC 5763, RFC 5764) for WebRTC sessions, on OpenSSL: one certificate per
 * process (ECDSA P-256, made at start, its SHA-256 fingerprint for our SDP), and per
 * session a DTLS 1.2 endpoint, client or server as the SDP's a=setup decides, that
 * checks the peer's certificate against the SDP's a=fingerprint, negotiates use_srtp
 * and exports the SRTP keys ("EXTRACTOR-dtls_srtp") as struct media_srtp, the form
 * media_session_set and src/media/srtp.c take.
 *
 * Datagrams do not touch sockets here: received records go in with media__dtls_input,
 * records to send come out of media__dtls_output, so the module runs on a worker's
 * packet path or in a test alike. An endpoint belongs to one thread at a time. The
 * handshake allocates (OpenSSL); a connected endpoint is not used per media packet.
 */
#ifndef CENTRALA_MEDIA_DTLS_H
#define CENTRALA_MEDIA_DTLS_H

#include "media/media.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA__DTLS_FP_MAX 104 /* "sha-256 " and 32 bytes as "XX:" */
#define MEDIA__DTLS_MTU	   1200

/* The process's certificate and the OpenSSL context its endpoints share. */
struct media__dtls_cert;
/* Makes a new key and self-signed certificate. Returns 0, ENOMEM or EIO. */
int media__dtls_cert_new(struct media__dtls_cert **out);
void media__dtls_cert_free(struct media__dtls_cert *c);
/* Our a=fingerprint value: "sha-256 AB:CD:...". */
const char *media__dtls_cert_fingerprint(const struct media__dtls_cert *c);

/* a=setup (RFC 4145, RFC 5763 5): who is the DTLS client. */
enum media__dtls_setup {
	MEDIA__DTLS_ACTPASS,
	MEDIA__DTLS_ACTIVE,  /* the DTLS client */
	MEDIA__DTLS_PASSIVE, /* the DTLS server */
};
/* Parses "actpass", "active" or "passive". Returns 0 or EINVAL. */
int media__dtls_setup_parse(const char *s, enum media__dtls_setup *out);
/* Our role from the peer's a=setup. Answering an offer (`answering`): actpass makes us
 * active (RFC 5763 5: the answerer picks, and active saves a round trip), active makes
 * us passive, passive active. Having offered actpass ourselves: the answer's active
 * makes us passive and its passive active; an answer of actpass is an error. Returns 0
 * with our setup in *ours (never ACTPASS), or EINVAL. */
int media__dtls_role(enum media__dtls_setup peer, bool answering, enum media__dtls_setup *ours);

enum media__dtls_state {
	MEDIA__DTLS_HANDSHAKE,
	MEDIA__DTLS_CONNECTED, /* keys are ready */
	MEDIA__DTLS_FAILED,    /* handshake failed or the peer's fingerprint did not match */
};

struct media__dtls;
/* An endpoint: the client when `setup` is ACTIVE, the server when PASSIVE. `peer_fp` is
 * the peer's a=fingerprint ("sha-256 XX:XX:..."; other hash names are refused).
 * Returns 0, EINVAL or ENOMEM. A client sends its hello on the first
 * media__dtls_output. */
int media__dtls_new(struct media__dtls_cert *c, enum media__dtls_setup setup, const char *peer_fp,
		    struct media__dtls **out);
void media__dtls_free(struct media__dtls *d);
/* True when `len` bytes are whole DTLS records (RFC 6347 4.1): each a known content
 * type (20-25), version 1.x (254, and 253 or 255 for 1.2 or 1.0), and a length that
 * stays within the datagram, the last ending at its end. Pure. */
bool media__dtls_records_ok(const uint8_t *buf, size_t len);
/* A received DTLS datagram (first byte 20-63). Returns the state after it. */
enum media__dtls_state media__dtls_input(struct media__dtls *d, const uint8_t *buf, size_t len);
/* The next datagram to send, at most `cap` bytes (whole records, up to the MTU), or 0
 * when there is none. */
size_t media__dtls_output(struct media__dtls *d, uint8_t *buf, size_t cap);
/* Retransmission: call when media__dtls_timeout_ms has passed. */
void media__dtls_timer(struct media__dtls *d);
/* Milliseconds until media__dtls_timer is due, or -1 when nothing waits. */
long media__dtls_timeout_ms(struct media__dtls *d);
enum media__dtls_state media__dtls_state(const struct media__dtls *d);
/* The SRTP keys once connected: what we send and what we receive, with the suite the
 * handshake chose. Returns 0 or EAGAIN (not connected). */
int media__dtls_keys(const struct media__dtls *d, struct media_srtp *out);

#endif
