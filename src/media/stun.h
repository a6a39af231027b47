/*
 * STUN (RFC 5389) for ICE-lite (RFC 8445): parsing and building of Binding requests,
 * responses and indications with the attributes ICE uses (USERNAME, MESSAGE-INTEGRITY,
 * FINGERPRINT, XOR-MAPPED-ADDRESS, PRIORITY, USE-CANDIDATE, ICE-CONTROLLED,
 * ICE-CONTROLLING, ERROR-CODE, UNKNOWN-ATTRIBUTES). Pure: no I/O, no allocation, no
 * global state, safe on any thread. A parsed message points into the buffer it was
 * parsed from. Internal to the media engine (its packet path and its tests).
 */
#ifndef CENTRALA_MEDIA_STUN_H
#define CENTRALA_MEDIA_STUN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/sha.h>

#define MEDIA__STUN_HDR	     20
#define MEDIA__STUN_COOKIE   0x2112A442u
#define MEDIA__STUN_USER_MAX 512 /* RFC 5389 15.3: USERNAME is under 513 bytes */

/* Message types (method and class). */
enum {
	MEDIA__STUN_BINDING_REQUEST = 0x0001,
	MEDIA__STUN_BINDING_INDICATION = 0x0011,
	MEDIA__STUN_BINDING_SUCCESS = 0x0101,
	MEDIA__STUN_BINDING_ERROR = 0x0111,
};

/* Attribute types. */
enum {
	MEDIA__STUN_A_USERNAME = 0x0006,
	MEDIA__STUN_A_MESSAGE_INTEGRITY = 0x0008,
	MEDIA__STUN_A_ERROR_CODE = 0x0009,
	MEDIA__STUN_A_UNKNOWN_ATTRIBUTES = 0x000A,
	MEDIA__STUN_A_XOR_MAPPED_ADDRESS = 0x0020,
	MEDIA__STUN_A_PRIORITY = 0x0024,
	MEDIA__STUN_A_USE_CANDIDATE = 0x0025,
	MEDIA__STUN_A_SOFTWARE = 0x8022,
	MEDIA__STUN_A_FINGERPRINT = 0x8028,
	MEDIA__STUN_A_ICE_CONTROLLED = 0x8029,
	MEDIA__STUN_A_ICE_CONTROLLING = 0x802A,
};

#define MEDIA__STUN_UNKNOWN_MAX 8

/* A parsed message. Offsets are from the start of the message; 0 means absent (no
 * attribute starts inside the 20-byte header). */
struct media__stun_msg {
	uint16_t type;
	uint8_t txid[12];
	const uint8_t *username; /* not NUL-terminated */
	size_t username_len;
	size_t integrity_at;   /* the MESSAGE-INTEGRITY attribute's header */
	size_t fingerprint_at; /* the FINGERPRINT attribute's header */
	bool has_xaddr;
	uint8_t xfamily;	  /* 1: IPv4 (xaddr), 2: IPv6 (xaddr6) */
	struct sockaddr_in xaddr; /* XOR-MAPPED-ADDRESS, decoded */
	struct sockaddr_in6 xaddr6;
	bool has_priority;
	uint32_t priority;
	bool use_candidate;
	bool controlling, controlled; /* ICE-CONTROLLING / ICE-CONTROLLED present */
	uint64_t tiebreaker;
	uint16_t error_code; /* ERROR-CODE (300-699), 0: none */
	/* Comprehension-required attributes (type below 0x8000) this parser does not know,
	 * in order (at most MEDIA__STUN_UNKNOWN_MAX kept; `nunknown` counts them all). */
	uint16_t unknown[MEDIA__STUN_UNKNOWN_MAX];
	unsigned nunknown;
};

/* True when `buf` looks like STUN under RFC 7983's demultiplexing (first byte 0-3) and
 * RFC 5389's header (magic cookie, length a multiple of 4 matching the datagram). */
bool media__stun_is(const uint8_t *buf, size_t len);

/* Parses a whole datagram as one STUN message. Attributes after MESSAGE-INTEGRITY other
 * than FINGERPRINT are ignored (RFC 5389 15.4); FINGERPRINT must be last; of a repeated
 * attribute the first counts. Returns 0, or EINVAL when the datagram is not a
 * well-formed STUN message (bad header, length, attribute bounds or sizes). `out` is
 * written only on success. */
int media__stun_parse(const uint8_t *buf, size_t len, struct media__stun_msg *out);

/* HMAC-SHA1 key state for MESSAGE-INTEGRITY, precomputed once from a short-term password
 * (ICE's ice-pwd, RFC 5389 15.4: the key is the password itself) so that each packet
 * costs two SHA-1 runs and no allocation. */
struct media__stun_key {
	SHA_CTX inner, outer;
};
void media__stun_key_init(struct media__stun_key *k, const void *pwd, size_t len);

/* Checks the message's MESSAGE-INTEGRITY against `k` (constant-time compare). False when
 * it has none or it does not match. `buf` is what `m` was parsed from. */
bool media__stun_check_integrity(const uint8_t *buf, const struct media__stun_msg *m,
				 const struct media__stun_key *k);
/* Checks the message's FINGERPRINT. False when it has none or it does not match. */
bool media__stun_check_fingerprint(const uint8_t *buf, const struct media__stun_msg *m);
/* CRC-32 (ISO-HDLC, as zlib's) of `len` bytes. */
uint32_t media__stun_crc32(const uint8_t *p, size_t len);

/* Building: begin, add attributes in order, MESSAGE-INTEGRITY then FINGERPRINT last,
 * finish. The header's length is kept current after each step. Writing past `cap`
 * makes finish fail (and nothing is written beyond `cap`). */
struct media__stun_w {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};
void media__stun_begin(struct media__stun_w *w, uint8_t *buf, size_t cap, uint16_t type,
		       const uint8_t txid[12]);
/* An attribute with `len` bytes of value, zero-padded to 4. */
void media__stun_put(struct media__stun_w *w, uint16_t type, const void *val, size_t len);
void media__stun_put_u32(struct media__stun_w *w, uint16_t type, uint32_t v);
void media__stun_put_u64(struct media__stun_w *w, uint16_t type, uint64_t v);
void media__stun_put_xaddr(struct media__stun_w *w, const struct sockaddr_in *a);
/* ERROR-CODE with its class and number (300-699) and a reason phrase. */
void media__stun_put_error(struct media__stun_w *w, uint16_t code, const char *reason);
void media__stun_put_integrity(struct media__stun_w *w, const struct media__stun_key *k);
void media__stun_put_fingerprint(struct media__stun_w *w);
/* Returns 0 with the message's length, or ENOSPC when it did not fit. */
int media__stun_finish(const struct media__stun_w *w, size_t *len);

#endif
