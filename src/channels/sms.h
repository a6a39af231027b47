/*
 * The SMS channel: texts as a mobile network carries them, and the two ways centrala
 * reaches the operator's message centre (SMSC): SMPP 3.4 over TCP (libsmpp34 packs and
 * unpacks the PDUs) and an HTTP gateway (a provider's REST API, libcurl out, a webhook
 * in). Nothing here touches the engine: the SMPP session runs on a thread of its own and
 * hands what it receives to callbacks.
 */
#ifndef CENTRALA_CHANNELS_SMS_H
#define CENTRALA_CHANNELS_SMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- texts: GSM 7-bit or UCS-2, one part or concatenated ---- */

/* SMPP data_coding values used here (SMPP 3.4, 5.2.19). */
#define SMS_DC_DEFAULT 0x00 /* the SMSC's default alphabet: GSM 03.38, one septet an octet */
#define SMS_DC_IA5     0x01 /* IA5 (ASCII) */
#define SMS_DC_LATIN1  0x03 /* ISO-8859-1 */
#define SMS_DC_UCS2    0x08 /* UCS-2, big-endian (UTF-16BE: surrogate pairs kept together) */

#define SMS_PARTS_MAX 16   /* the longest text sent: 16 parts (2,448 GSM or 1,072 UCS-2) */
#define SMS_PART_SIZE 160  /* the user data of a part: UDH (6) + 153 septets or 134 octets */
#define SMS_TEXT_MAX  4096 /* bytes of UTF-8 one text may have, in and out */

struct sms_part {
	uint8_t data[SMS_PART_SIZE]; /* short_message: UDH (when concatenated) then the text */
	size_t len;
};

struct sms_split {
	uint8_t data_coding; /* SMS_DC_DEFAULT or SMS_DC_UCS2 */
	bool udhi;	     /* parts start with a concatenation UDH (esm_class 0x40) */
	unsigned count;
	struct sms_part part[SMS_PARTS_MAX];
};

/* True when every character of `utf8` is in the GSM 03.38 default alphabet or its
 * extension table; *septets (may be NULL) counts the septets (an extension character
 * takes two). */
bool sms_gsm7_fits(const char *utf8, size_t *septets);

/* Splits UTF-8 text into the parts to submit: GSM 7-bit when every character fits, else
 * UCS-2; one part up to 160 septets / 70 UTF-16 units, else parts of 153 / 67 with an
 * 8-bit reference `ref`, never cutting an escape sequence nor a surrogate pair. Returns
 * 0, EINVAL (empty), EILSEQ (not UTF-8, or a NUL) or EMSGSIZE (more than max_parts, at
 * most SMS_PARTS_MAX). */
int sms_split(const char *utf8, uint8_t ref, unsigned max_parts, struct sms_split *out);

/* Concatenation read from a UDH (IEI 0x00 with an 8-bit reference, 0x08 with 16-bit). */
struct sms_concat {
	unsigned ref, total, seq; /* total 0: not a part */
};

/* Reads the user data header at the start of `sm` (esm_class had UDHI): *hdr_len is the
 * bytes it takes (length octet included). Returns 0 or EBADMSG. */
int sms_udh_read(const uint8_t *sm, size_t len, struct sms_concat *c, size_t *hdr_len);

/* Decodes a text of data_coding `dc` into UTF-8 (NUL-terminated) in out[size]. Returns
 * 0, EILSEQ (an odd UCS-2 length, a lone surrogate, a NUL), ENOTSUP (another coding) or
 * EMSGSIZE. */
int sms_decode(uint8_t dc, const uint8_t *data, size_t len, char *out, size_t size);

/* Parts of a concatenated message put back together, by sender, reference and total;
 * parts that wait longer than a time-out are dropped. */
struct sms_reasm;
struct sms_reasm *sms_reasm_new(void);
void sms_reasm_free(struct sms_reasm *r);
/* Adds a part (its text without the UDH). Returns 0 with the whole payload (parts in
 * order, malloc'd, *out_len bytes) in *out when it is complete, EAGAIN while parts are
 * missing, EINVAL for a bad part (seq 0 or over total), ENOMEM. A part that came already
 * is taken again without harm (the SMSC may deliver twice). A complete message is kept
 * until sms_reasm_done: a part delivered again completes it again. */
int sms_reasm_add(struct sms_reasm *r, const char *from, const struct sms_concat *c, uint8_t dc,
		  const uint8_t *data, size_t len, int64_t now_ms, uint8_t **out, size_t *out_len);
/* Drops the messages whose first part came before now_ms - ttl_ms; returns how many. */
unsigned sms_reasm_expire(struct sms_reasm *r, int64_t now_ms, int64_t ttl_ms);
unsigned sms_reasm_pending(const struct sms_reasm *r);
/* Forgets the message of that part (taken by the caller). */
void sms_reasm_done(struct sms_reasm *r, const char *from, const struct sms_concat *c);

/* A delivery receipt (SMPP 3.4 appendix B: "id:... sub:... dlvrd:... submit date:... done
 * date:... stat:DELIVRD err:000 text:..."). Returns 0 or EBADMSG (no id or no stat). */
struct sms_receipt {
	char id[66];
	char stat[16]; /* DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD, UNKNOWN, REJECTD */
	char err[8];
};
int sms_receipt_parse(const char *text, size_t len, struct sms_receipt *r);

/* ---- SMPP 3.4 PDUs (libsmpp34) ---- */

#define SMPP_PDU_MAX	  4096 /* the largest PDU read; longer ones are garbage */
#define SMPP_HEADER_BYTES 16

struct smpp_header {
	uint32_t length, id, status, seq;
};

/* Reads the header at buf; returns 0, EAGAIN (fewer than 16 bytes) or EBADMSG (a length
 * under 16 or over SMPP_PDU_MAX: the stream cannot be followed any more). */
int smpp_header_read(const uint8_t *buf, size_t len, struct smpp_header *h);

struct smpp_bind {
	const char *system_id, *password, *system_type;
};
/* Each writes one PDU into buf[size]; returns its length, or -1 (does not fit, a field
 * too long). */
int smpp_pdu_bind_transceiver(uint8_t *buf, size_t size, uint32_t seq, const struct smpp_bind *b);
int smpp_pdu_enquire_link(uint8_t *buf, size_t size, uint32_t seq);
int smpp_pdu_unbind(uint8_t *buf, size_t size, uint32_t seq);
/* enquire_link_resp, deliver_sm_resp, unbind_resp and generic_nack: the header and what
 * the response's body holds (an empty message_id for deliver_sm_resp). */
int smpp_pdu_response(uint8_t *buf, size_t size, uint32_t command_id, uint32_t status,
		      uint32_t seq);

struct smpp_addr {
	const char *addr;
	uint8_t ton, npi;
};
/* One part of a split text; registered_delivery 1 asks for a receipt. */
int smpp_pdu_submit_sm(uint8_t *buf, size_t size, uint32_t seq, const struct smpp_addr *src,
		       const struct smpp_addr *dst, const struct sms_split *s, unsigned part,
		       bool registered_delivery);

/* What a deliver_sm (or data_sm-free submit_sm, for the tests' peer) carries. */
struct smpp_deliver {
	char from[22], to[22];
	uint8_t esm_class, data_coding;
	uint8_t sm[SMS_TEXT_MAX]; /* short_message, or message_payload when that is sent */
	size_t sm_len;
	bool receipt;	       /* esm_class says delivery receipt */
	char receipted_id[66]; /* TLV receipted_message_id, or empty */
	int message_state;     /* TLV message_state, or -1 */
	struct sms_concat sar; /* TLVs sar_*, when the SMSC uses them instead of UDH */
};
/* Unpacks a deliver_sm; returns 0 or EBADMSG (err[] says why). */
int smpp_parse_deliver_sm(const uint8_t *buf, size_t len, struct smpp_deliver *d, char *err,
			  size_t errsize);
/* Reads the message_id of a submit_sm_resp (empty when the status is not 0). */
int smpp_parse_submit_sm_resp(const uint8_t *buf, size_t len, char *id, size_t idsize);
/* Reads a bind_transceiver_resp's system_id. */
int smpp_parse_bind_resp(const uint8_t *buf, size_t len, char *sysid, size_t size);

/* ---- the SMPP session: a thread that keeps a transceiver bind up ---- */

struct smpp_conf {
	const char *host;
	int port;
	struct smpp_bind bind;
	struct smpp_addr source; /* the sender of what goes out */
	int enquire_ms;		 /* enquire_link after this much silence (30s) */
	int response_ms;	 /* a response not come by then: the session is lost (10s) */
	int reconnect_min_ms;	 /* back-off between attempts: doubles from min to max */
	int reconnect_max_ms;
	bool receipts;	      /* ask for delivery receipts */
	const char *log_name; /* for the log: tenant/queue */
};

struct smpp_events {
	void *arg;
	/* A whole text (parts reassembled), in UTF-8. Returns 0 when taken; otherwise the
	 * SMSC is answered ESME_RMSGQFUL and delivers it again later. */
	int (*message)(void *arg, const char *from, const char *to, const char *text);
	/* A delivery receipt for message id `id` (the SMSC's, as submit_sm_resp gave it). */
	void (*receipt)(void *arg, const struct sms_receipt *r);
	/* A text queued by smpp_send was taken by the SMSC (ok, every part's id) or refused
	 * (status, or 0 with `why`). */
	void (*sent)(void *arg, uint64_t cookie, bool ok, const char *ids, uint32_t status,
		     const char *why);
	/* The session came up (bound) or went down. */
	void (*state)(void *arg, bool bound);
};

struct smpp_session;
/* Starts the session's thread; it connects, binds as transceiver and stays bound,
 * reconnecting with back-off. Strings of conf are copied. */
int smpp_session_start(const struct smpp_conf *conf, const struct smpp_events *ev,
		       struct smpp_session **out);
/* Unbinds and stops the thread; callbacks run on that thread until this returns. */
void smpp_session_stop(struct smpp_session *s);
/* Queues a text to `to` (any thread). It is split, and submitted while bound; parts not
 * acknowledged when the session is lost are submitted again after the next bind.
 * Returns 0, ENOBUFS (queue full) or what sms_split returns. */
int smpp_send(struct smpp_session *s, uint64_t cookie, const char *to, const char *text);

/* ---- the HTTP gateway ---- */

/* The signature of a webhook body: lower-case hex HMAC-SHA256 with the shared secret. */
void sms_http_sign(const char *secret, const uint8_t *body, size_t len, char hex[65]);
/* Compares a received signature (hex, optionally "sha256=" first) in constant time. */
bool sms_http_verify(const char *secret, const uint8_t *body, size_t len, const char *sig);

struct sms_http_out {
	const char *url;    /* the provider's send endpoint */
	const char *secret; /* signs the body (header X-Centrala-Signature), or NULL */
	const char *token;  /* Authorization: Bearer, or NULL */
	long timeout_ms;
};
/* POSTs {"from", "to", "text", "reference"} as JSON; blocking (a worker's). Returns 0
 * (2xx; the provider's "id" in id[] when it gave one), EIO (network) or EPROTO (other
 * status); why[] says what. */
int sms_http_send(const struct sms_http_out *o, const char *from, const char *to, const char *text,
		  const char *reference, char *id, size_t idsize, char *why, size_t whysize);

/* A webhook body ({"from", "to", "text"} and an optional "id") read; 0 or EINVAL. */
struct sms_http_in {
	char from[32], to[32], id[80];
	char text[SMS_TEXT_MAX];
};
int sms_http_parse(const char *body, size_t len, struct sms_http_in *in, char *why, size_t whysize);

/* A number as E.164 ("+48601234567") from what the network gives ("48601234567",
 * "0048...", "+48 601 234 567"); `ton` 1 (international) or 0 (unknown). Returns 0 or
 * EINVAL (not a number: an alphanumeric sender is kept as it is by the caller). */
int sms_e164(const char *in, char *out, size_t size);

/* ---- opt-out keywords (sms_keyword.c) ---- */

#define SMS_KEYWORD_MAX 64 /* bytes of a folded keyword; a longer text is no keyword */

enum sms_keyword { SMS_KEYWORD_NONE, SMS_KEYWORD_STOP, SMS_KEYWORD_START };

/* The default words (NULL-terminated): STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT and
 * pl NIE, WYPISZ, es BAJA, ALTO, ru СТОП, ОТПИСАТЬСЯ; START, UNSTOP and pl ZAPISZ, es
 * ALTA, ru СТАРТ. */
extern const char *const sms_keywords_stop_default[];
extern const char *const sms_keywords_start_default[];

/* Writes the folded form of UTF-8 `text` into out[size]: trimmed of white space (no-break
 * space included) and of `.`, `!`, `?` at both ends, lower case, accents of Latin letters
 * (Latin-1, Latin Extended-A) removed, Cyrillic in lower case with Ё as Е, combining marks
 * and zero-width characters dropped. Returns 0, EILSEQ (not UTF-8; out is then undefined)
 * or ENOSPC (longer than size - 1). */
int sms_keyword_fold(const char *text, char *out, size_t size);

/* Whether the whole of `text` is a stop word (first) or a start word, compared folded.
 * The lists hold n words or end at a NULL, whichever comes first. Text that is not UTF-8
 * or longer than a keyword is SMS_KEYWORD_NONE. */
enum sms_keyword sms_keyword_match(const char *text, const char *const *stop, size_t nstop,
				   const char *const *start, size_t nstart);

#endif
