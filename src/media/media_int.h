/*
 * Internals of the media engine, shared between its files and its unit tests.
 *
 * Layout of the module: pure pieces with no I/O (g711.c, rtp.c, rtcp.c, dtmf.c, wav.c
 * header building, player.c sample generation, amd.c answering-machine detection with
 * its own public header amd.h) sit under the threaded machinery: media.c (the
 * engine-side API), worker.c (one epoll loop per worker thread), rx.c (the
 * packet path), tx.c (outgoing streams), tick.c (the 20 ms timer's work), session.c,
 * bridge.c, mix.c, recorder.c (and its writer thread), audio.c (prompt cache, tones),
 * codec.c, jbuf.c, inband.c, amd_leg.c (answering-machine detection on a session).
 *
 * Threads: the engine thread calls the public API, which queues commands (core/mq.h) to
 * the worker a session is pinned to; workers push events to the engine's queue; the
 * writer thread writes recordings. Locks exist only off the packet path: the slot and
 * port free lists, the prompt cache, the recording chunk pool and the queues.
 *
 * Ownership: a session's fields below the "worker-owned" line are read and written only
 * by the worker thread the session is pinned to; the fields above it are written by the
 * engine thread before the session is handed to its worker and are read-only afterwards.
 */
#ifndef CENTRALA_MEDIA_INT_H
#define CENTRALA_MEDIA_INT_H

#include "media/media.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <speex/speex_jitter.h>
#include <speex/speex_resampler.h>

/* spandsp state types, kept opaque here so that pure files need not include spandsp. */
struct g722_encode_state_s;
struct g722_decode_state_s;
struct dtmf_rx_state_s;
struct media__amd_leg;
struct media__ice;
struct media__dtls;
struct media__dtls_cert;
struct media__opus_enc;
struct media__opus_dec;
struct crec_writer;

#define MEDIA__TICK_MS	      20
#define MEDIA__BATCH	      16   /* packets per recvmmsg/sendmmsg */
#define MEDIA__PKT_MAX	      1500 /* largest datagram we accept */
#define MEDIA__FRAME_MAX      1920 /* samples: 60 ms at 32 kHz, the largest decode */
#define MEDIA__RTCP_MS	      5000 /* mean RTCP report interval */
#define MEDIA__CHECK_TICKS    10   /* timeouts and RTCP are checked every 200 ms */
#define MEDIA__PT_CN	      13   /* comfort noise: treated as silence */
#define MEDIA__MIX_MAX	      32   /* members of one conference */
#define MEDIA__JB_SLOTS	      24   /* packets held per jitter buffer */
#define MEDIA__JB_SLOT_BYTES  480  /* 60 ms of G.711 or G.722 */
#define MEDIA__TONE_AMPLITUDE 7000 /* about -13 dBm0 */
#define MEDIA__MIX_REC_RATE   8000 /* conference recordings are narrowband */
#define MEDIA__SRTP_ROOM      160  /* room an SRTP(C) trailer may need past a packet */
#define MEDIA__OPUS_MAX	      1275 /* largest Opus packet (RFC 6716 3.4, R5) */

/* ---------------------------------------------------------------- G.711 (g711.c) */

/* Builds the tables once (thread-safe); every other g711 function needs them built. */
void media__g711_init(void);
extern int16_t media__ulaw2lin[256];
extern int16_t media__alaw2lin[256];
extern uint8_t media__lin2ulaw[65536];
extern uint8_t media__lin2alaw[65536];
extern uint8_t media__ulaw2alaw[256];
extern uint8_t media__alaw2ulaw[256];

static inline uint8_t media__ulaw_enc(int16_t x)
{
	return media__lin2ulaw[(uint16_t)x];
}
static inline uint8_t media__alaw_enc(int16_t x)
{
	return media__lin2alaw[(uint16_t)x];
}

/* ---------------------------------------------------------------- RTP (rtp.c) */

struct media__rtp {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	size_t hdr_len;	    /* offset of the payload */
	size_t payload_len; /* without padding */
};

/* Parses an RTP header. Returns 0, or EINVAL when `len` bytes are not a valid RTP
 * version 2 packet (short, bad version, CSRC/extension/padding beyond the end). */
int media__rtp_parse(const uint8_t *buf, size_t len, struct media__rtp *out);
/* Writes a 12-byte header (no CSRC, no extension) and returns 12. */
size_t media__rtp_write(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
			uint32_t ssrc);
/* True when a datagram on the RTP port is RTCP (RFC 5761 demultiplexing). */
bool media__is_rtcp(const uint8_t *buf, size_t len);

/* Serial-number arithmetic: positive when `a` is after `b`. */
static inline int16_t media__seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b);
}
static inline int32_t media__ts_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* Receive sequence tracking after RFC 3550 appendix A.1 (without probation: a source is
 * valid from its first packet, signalling already vouched for it). */
struct media__seq {
	bool init;
	uint16_t max_seq;
	uint32_t cycles; /* count of wraps, shifted left 16 */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t received;
	uint32_t expected_prior, received_prior;
};
enum media__seq_result {
	MEDIA__SEQ_NEXT,    /* in order (possibly after a gap) */
	MEDIA__SEQ_LATE,    /* older than the highest seen: reordered or duplicate */
	MEDIA__SEQ_RESTART, /* a jump too large: the source restarted, tracking reset */
	MEDIA__SEQ_BAD,	    /* a jump too large, waiting for a confirming packet */
};
void media__seq_init(struct media__seq *s, uint16_t seq);
enum media__seq_result media__seq_update(struct media__seq *s, uint16_t seq);
/* Highest extended sequence number received (cycles + max_seq). */
static inline uint32_t media__seq_ext_max(const struct media__seq *s)
{
	return s->cycles + s->max_seq;
}
/* Packets expected and lost since the first (RFC 3550 A.3); lost may be negative. */
uint32_t media__seq_expected(const struct media__seq *s);
int32_t media__seq_lost(const struct media__seq *s);
/* Interarrival jitter (RFC 3550 A.8), in timestamp units, kept scaled by 16. */
void media__jitter_update(uint32_t *jitter_q4, int32_t *last_transit, bool *have,
			  uint32_t arrival_ts, uint32_t rtp_ts);

/* ---------------------------------------------------------------- RTCP (rtcp.c) */

struct media__rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction;
	int32_t lost; /* 24-bit signed */
	uint32_t ext_max, jitter, lsr, dlsr;
};
struct media__rtcp_info {
	bool has_sr;
	uint32_t ssrc;	  /* sender of the first SR/RR */
	uint32_t ntp_mid; /* SR: middle 32 bits of the NTP time */
	uint32_t sr_rtp_ts, sr_packets, sr_octets;
	unsigned nrb; /* report blocks kept (at most 4) */
	struct media__rtcp_rb rb[4];
	bool bye;
};
/* Parses a compound RTCP packet (RFC 3550 6.1 validity checks: version 2, first packet
 * SR or RR, lengths add up). Returns 0 or EINVAL. */
int media__rtcp_parse(const uint8_t *buf, size_t len, struct media__rtcp_info *out);

struct media__rtcp_report {
	uint32_t ssrc;
	bool sender; /* SR (we sent RTP since the last report) or RR */
	uint64_t ntp;
	uint32_t rtp_ts, packets, octets;
	bool has_rb; /* one report block about the source we receive */
	struct media__rtcp_rb rb;
	const char *cname;
	bool bye; /* the session ends: a BYE follows */
};
/* Builds SR or RR followed by SDES CNAME (and BYE) into buf. Returns the length, or 0
 * when `size` is too small. */
size_t media__rtcp_build(uint8_t *buf, size_t size, const struct media__rtcp_report *r);
/* NTP timestamp (RFC 5905 64-bit format) of a CLOCK_REALTIME reading in microseconds. */
uint64_t media__ntp_from_us(uint64_t epoch_us);

/* ---------------------------------------------------------------- RFC 4733 (dtmf.c) */

struct media__te {
	uint8_t event;
	bool end;
	uint8_t volume;
	uint16_t duration;
};
/* Parses a telephone-event payload (the first 4 bytes; redundant blocks ignored).
 * Returns 0 or EINVAL when shorter than 4 bytes. */
int media__te_parse(const uint8_t *p, size_t len, struct media__te *out);
void media__te_write(uint8_t p[4], const struct media__te *e);
/* Digit for an event code 0-15, or 0 for other events. */
char media__te_digit(uint8_t event);
/* Event code of '0'-'9', '*', '#', 'A'-'D' (lower case accepted), or -1. */
int media__te_event(char digit);

/* Receiver: reports each event once, deduplicated by its RTP timestamp. */
struct media__dtmf_rx {
	bool active; /* an event started and did not end yet */
	uint32_t ts; /* its timestamp */
	uint8_t event;
	uint16_t duration; /* latest duration seen, timestamp units */
	uint64_t last_ms;  /* when its last packet came */
	bool done_valid;   /* done_ts names the last reported event */
	uint32_t done_ts;
};
struct media__dtmf_out {
	bool started;	  /* a new event began (barge-in) */
	unsigned ndigits; /* digits that ended, in order */
	char digit[2];
	uint16_t ms[2];
};
/* Feeds one telephone-event packet with RTP timestamp `ts` (`clock_hz` the RTP clock).
 * Fills `out` with what happened. */
void media__dtmf_rx_packet(struct media__dtmf_rx *r, uint32_t ts, const struct media__te *e,
			   unsigned clock_hz, uint64_t now_ms, struct media__dtmf_out *out);
/* Ends an event whose end packets were all lost once `idle_ms` passed without packets. */
void media__dtmf_rx_expire(struct media__dtmf_rx *r, unsigned clock_hz, uint64_t now_ms,
			   uint32_t idle_ms, struct media__dtmf_out *out);

/* Sender: digits queue and go out as RFC 4733 packets on the 20 ms tick. */
#define MEDIA__DTMF_QUEUE 32
struct media__dtmf_tx {
	struct {
		uint8_t event;
		uint16_t duration; /* timestamp units */
	} q[MEDIA__DTMF_QUEUE];
	unsigned head, count;
	bool active;
	uint8_t event;
	uint16_t total, sent; /* duration to reach, duration sent */
	uint8_t ends;	      /* end packets sent */
	uint32_t ts;	      /* the event's timestamp */
	unsigned gap;	      /* ticks to wait before the next digit */
};
/* Queues a digit. Returns 0, EINVAL (not a DTMF digit) or ENOBUFS (queue full). */
int media__dtmf_tx_queue(struct media__dtmf_tx *t, char digit, uint16_t duration_ms,
			 unsigned clock_hz);
/* Called on each tick of `step` timestamp units. When a packet is due, writes its payload,
 * its marker bit and timestamp and returns true. `ts_now` is the timestamp the stream
 * would use now; a new event starts at it. */
bool media__dtmf_tx_tick(struct media__dtmf_tx *t, uint32_t ts_now, uint16_t step,
			 uint8_t payload[4], bool *marker, uint32_t *ts);
static inline bool media__dtmf_tx_busy(const struct media__dtmf_tx *t)
{
	return t->active || t->count > 0;
}

/* ---------------------------------------------------------------- WAV (wav.c) */

#define MEDIA__WAV_HEADER 44
/* Fills a canonical 44-byte PCM16 WAV header. */
void media__wav_header(uint8_t hdr[MEDIA__WAV_HEADER], uint32_t rate, uint16_t channels,
		       uint32_t data_bytes);
struct media__wav {
	int fd;
	uint32_t rate;
	uint16_t channels;
	uint64_t data_bytes;
	struct crec_writer *sealed; /* encrypted at rest (core/crec.h) instead of fd */
};
/* Creates (or truncates) `path`, creating missing parent directories, and writes a header
 * for an empty file, so the file is a valid WAV from the start. Returns 0 or an errno. */
int media__wav_open(struct media__wav *w, const char *path, uint32_t rate, uint16_t channels);
/* The same, encrypted with `key` in core/crec.h's format: append and close work alike
 * and the file decrypts to the same WAV. */
int media__wav_open_sealed(struct media__wav *w, const char *path, uint32_t rate, uint16_t channels,
			   const uint8_t key[32]);
/* Appends interleaved PCM16 frames, then rewrites the header's sizes: after it returns,
 * the file is a valid WAV holding everything appended. Returns 0, EFBIG at the 4 GB RIFF
 * limit, or an errno. */
int media__wav_append(struct media__wav *w, const void *data, size_t len);
/* Closes the file (the header is already current). Returns 0 or an errno. */
int media__wav_close(struct media__wav *w);

/* ---------------------------------------------------------------- audio cache (audio.c) */

/* A decoded prompt, shared read-only between plays. Both rates are kept so that players
 * of G.711 and G.722 sessions never resample per packet. */
struct media__audio {
	struct media__audio *next;
	char *path;
	dev_t dev;
	ino_t ino;
	int64_t mtime_ns;
	off_t size;
	int16_t *pcm8, *pcm16;
	size_t n8, n16;
	atomic_int refs; /* plays holding it, plus one while the cache lists it */
	uint64_t used;	 /* cache clock of the last use, for eviction */
};
struct media__cache {
	pthread_mutex_t lock; /* protects the list and `bytes` */
	struct media__audio *head;
	size_t bytes, budget;
	uint64_t clock;
};
void media__cache_init(struct media__cache *c, size_t budget);
void media__cache_free(struct media__cache *c);
/* Returns the decoded file, loading it (libsndfile, speexdsp resampling) unless a current
 * copy is cached. Returns 0, ENOENT or EINVAL (not a readable audio file). */
int media__cache_get(struct media__cache *c, const char *path, struct media__audio **out);
/* Drops a play's reference (any thread). */
void media__audio_put(struct media__audio *a);
/* Loads a file without the cache (tests). The caller frees it with media__audio_free. */
int media__audio_load(const char *path, struct media__audio **out);
void media__audio_free(struct media__audio *a);

/* Tones: one second of each frequency at 8 and 16 kHz, so integer frequencies loop
 * seamlessly. */
enum { MEDIA__F425, MEDIA__F1000, MEDIA__F_N };
struct media__tones {
	int16_t *pcm[MEDIA__F_N][2]; /* [freq][0: 8 kHz, 1: 16 kHz] */
};
int media__tones_init(struct media__tones *t);
void media__tones_free(struct media__tones *t);

/* ---------------------------------------------------------------- player (player.c) */

struct media__play_item {
	enum media_item_kind kind;
	struct media__audio *audio;
	enum media_tone tone;
	uint32_t duration_ms;
};
struct media__play {
	uint32_t id;
	bool loop, barge_in;
	size_t nitems, cur;
	uint64_t pos; /* position in the current item, in 16 kHz samples */
	struct media__play_item items[];
};
/* Writes `n` samples at `rate` (8000 or 16000) of the play into out, padding with silence
 * after the end. Returns the samples that came from the play (fewer than `n` only when it
 * completed within this frame). */
unsigned media__play_fill(struct media__play *p, const struct media__tones *t, unsigned rate,
			  int16_t *out, unsigned n);
/* True once every item has played (a loop never completes). */
static inline bool media__play_done(const struct media__play *p)
{
	return p->cur >= p->nitems;
}
/* Releases the play's audio references and frees it. */
void media__play_free(struct media__play *p);

/* ---------------------------------------------------------------- codecs (codec.c) */

/* The audio rate a session's codec is decoded to and encoded from: 16 kHz for G.722,
 * 8 kHz for G.711 and for Opus (whose libopus states run at 8 kHz, opus.c). */
static inline unsigned media__codec_rate(enum media_codec c)
{
	return c == MEDIA_CODEC_G722 ? 16000 : 8000;
}
/* The RTP clock of the codec: 48 kHz for Opus, 8 kHz for G.711 and G.722 (RFC 3551). */
static inline unsigned media__codec_clock(enum media_codec c)
{
	return c == MEDIA_CODEC_OPUS ? 48000 : 8000;
}
/* Decodes a payload into out (at the codec's rate, at most MEDIA__FRAME_MAX samples).
 * Returns the number of samples, 0 for a payload that does not decode. `dec` is the
 * codec's decoder: G.722's state, struct media__opus_dec, NULL for G.711. */
unsigned media__decode(enum media_codec c, void *dec, const uint8_t *in, size_t len, int16_t *out);
/* Encodes n samples (at the codec's rate) into at most MEDIA__OPUS_MAX bytes; returns the
 * payload length, 0 when it cannot (`enc` as `dec` above, an Opus frame length that
 * is not whole 10 ms or 2.5/5 ms). */
size_t media__encode(enum media_codec c, void *enc, const int16_t *in, unsigned n, uint8_t *out);
/* Samples of audio at the codec's rate in `len` payload bytes (= bytes * rate / 8000);
 * not for Opus (media__opus_samples). */
static inline unsigned media__codec_samples(enum media_codec c, size_t len)
{
	return c == MEDIA_CODEC_G722 ? (unsigned)len * 2 : (unsigned)len;
}
struct g722_encode_state_s *media__g722_enc_new(void);
struct g722_decode_state_s *media__g722_dec_new(void);
void media__g722_enc_free(struct g722_encode_state_s *s);
void media__g722_dec_free(struct g722_decode_state_s *s);

/* Opus (opus.c): 8 kHz mono encoder and decoder states. new: 0 or ENOMEM. */
int media__opus_enc_new(struct media__opus_enc **out);
void media__opus_enc_free(struct media__opus_enc *e);
int media__opus_dec_new(struct media__opus_dec **out);
void media__opus_dec_free(struct media__opus_dec *d);
/* Forgets the stream decoded so far (a new source, a change of mode). */
void media__opus_dec_reset(struct media__opus_dec *d);
/* Audio samples at 8 kHz in an Opus packet, 0 when it is not a valid one. */
unsigned media__opus_samples(const uint8_t *payload, size_t len);
/* Decodes one packet into at most `max` samples at 8 kHz; 0 when it is invalid. */
unsigned media__opus_decode(struct media__opus_dec *d, const uint8_t *in, size_t len, int16_t *out,
			    unsigned max);
/* Audio for one lost packet (as long as the last decoded one): recovered from the
 * in-band FEC of `next`, the packet after the loss, when it carries some, otherwise
 * libopus's concealment (`next` may be NULL). Returns the samples written. */
unsigned media__opus_conceal(struct media__opus_dec *d, const uint8_t *next, size_t next_len,
			     int16_t *out, unsigned max);
/* Encodes n samples at 8 kHz as one packet of at most `max` bytes (n a valid Opus frame
 * length or whole 10 ms up to 60 ms). Returns its length, or 0. */
size_t media__opus_encode(struct media__opus_enc *e, const int16_t *in, unsigned n, uint8_t *out,
			  size_t max);
/* Makes *rs a resampler from `in` to `out` Hz (created or re-rated). Returns 0 or ENOMEM. */
int media__rs_ensure(SpeexResamplerState **rs, unsigned in, unsigned out);
void media__rs_free(SpeexResamplerState **rs);
/* Resamples n samples; returns the samples written (at most `max`). */
unsigned media__rs_run(SpeexResamplerState *rs, const int16_t *in, unsigned n, int16_t *out,
		       unsigned max);

/* ---------------------------------------------------------------- jitter buffer (jbuf.c) */

/* Received audio of one session, reordered by a speexdsp jitter buffer and decoded on the
 * 20 ms tick for a mixer or a recorder. Packet payloads live in a preallocated pool. */
struct media__jb_slot {
	struct media__jbuf *owner;
	uint32_t idx;
	uint32_t ts;
	uint16_t seq, len, span; /* span: 8 kHz samples it holds */
	uint8_t data[MEDIA__JB_SLOT_BYTES];
};
struct media__jbuf {
	JitterBuffer *jb;
	enum media_codec codec;
	struct g722_decode_state_s *dec;
	struct media__opus_dec *opus; /* Opus: its own decoder (and concealment of gaps) */
	SpeexResamplerState *rs;      /* codec rate -> out_rate, when they differ */
	unsigned out_rate;
	bool started;
	uint32_t ssrc;
	uint32_t last_ts;
	unsigned free_top;
	uint16_t free_list[MEDIA__JB_SLOTS];
	/* Packets received since the last tick, handed to speexdsp just before the tick's
	 * get: its clock only moves on ticks, so nothing is lost, and its 200-slot arrays
	 * are walked once, warm, per tick instead of cold per packet. */
	unsigned npending;
	uint16_t pending[MEDIA__JB_SLOTS];
	struct media__jb_slot pool[MEDIA__JB_SLOTS];
	/* Decoded samples at the codec rate not handed out yet. */
	unsigned fifo_len;
	int16_t fifo[MEDIA__FRAME_MAX];
	uint64_t late_or_lost;
};
/* Creates a jitter buffer for `codec` delivering audio at `out_rate`. Returns 0 or ENOMEM. */
int media__jbuf_new(enum media_codec codec, unsigned out_rate, struct media__jbuf **out);
void media__jbuf_free(struct media__jbuf *j);
/* Changes the codec (re-INVITE) or the output rate; buffered audio is dropped. */
int media__jbuf_reconfigure(struct media__jbuf *j, enum media_codec codec, unsigned out_rate);
/* Stores a received payload (copied into the pool; the jitter buffer gets it on the next
 * tick). A new SSRC or a jump of the timestamp by more than ten seconds resets the
 * buffer. */
void media__jbuf_put(struct media__jbuf *j, uint32_t ssrc, uint32_t ts, uint16_t seq,
		     const uint8_t *payload, size_t len);
/* Takes the next 20 ms (out_rate / 50 samples) into out: audio in timestamp order, with
 * silence for what is missing. Called once per tick. */
void media__jbuf_get(struct media__jbuf *j, int16_t *out);

/* ---------------------------------------------------------------- in-band DTMF (inband.c) */

struct media__inband {
	struct dtmf_rx_state_s *rx;
	char digit;	/* tone being heard */
	uint64_t start; /* where it began, in samples fed */
	uint64_t pos;	/* samples fed before the current block */
	char done;	/* digit that just ended, for the caller to report */
	uint16_t done_ms;
};
int media__inband_new(struct media__inband **out);
void media__inband_free(struct media__inband *ib);
/* Feeds 8 kHz audio; returns true (and fills done/done_ms) when a digit ended. Durations
 * count the audio itself, not its arrival times, so network jitter does not bend them. */
bool media__inband_feed(struct media__inband *ib, const int16_t *pcm8, unsigned n);

/* ---------------------------------------------------------------- SRTP (srtp.c) */
struct media__worker;
/* Initialises libsrtp2 once per process. 0 or EIO. */
int media__srtp_init(void);
bool media__srtp_suite_known(uint8_t suite);
/* Makes the session's contexts for new keys (nothing when they did not change) and keeps
 * the keys in s->p.srtp; MEDIA_SRTP_NONE frees them. */
void media__srtp_configure(struct media__worker *w, struct media_session *s,
			   const struct media_srtp *k);
/* Frees the contexts and wipes the keys. */
void media__srtp_free(struct media_session *s);
/* In place. Without SRTP on the session they return true and leave the packet alone;
 * false: drop it (authentication failed, or no room for the trailer within `cap`). */
bool media__srtp_unprotect(struct media__worker *w, struct media_session *s, uint8_t *buf,
			   size_t *len, bool rtcp);
bool media__srtp_protect(struct media__worker *w, struct media_session *s, uint8_t *buf,
			 size_t *len, size_t cap, bool rtcp);
/* ---------------------------------------------------------------- threads and sessions */

struct media__chunk {
	struct media__chunk *next;
	size_t len; /* bytes used */
	size_t cap; /* bytes */
	uint8_t data[];
};

/* A recording: a stereo WAV fed on the tick by its worker, written by the writer thread. */
struct media__rec {
	struct media *m;
	uint64_t owner;
	uint32_t rate;
	size_t chunk_bytes; /* one second of stereo audio */
	/* Worker side. */
	struct media__chunk *cur;			  /* being filled */
	struct media__chunk *pending_head, *pending_tail; /* full, not yet queued */
	bool paused;
	struct media_session *side[2];
	size_t list_idx;
	/* Writer side. */
	struct media__wav wav;
	atomic_bool failed; /* set by the writer on an I/O error */
	bool error_reported;
};

struct media__tx {
	uint32_t ssrc;
	uint16_t seq;	   /* last sequence number sent */
	uint32_t ts;	   /* last timestamp sent */
	uint32_t span;	   /* timestamp units of the last generated packet */
	uint64_t last_us;  /* when the last packet went */
	bool sent;	   /* anything sent yet */
	bool gen;	   /* generated audio is flowing: the next frame follows the last */
	bool resync;	   /* relayed packets must be re-based before the next one */
	uint32_t src_ssrc; /* relay mapping: incoming source ... */
	uint16_t seq_off;  /* ... out_seq = in_seq + seq_off */
	uint32_t src_ts;   /* ... out_ts = out_ts_base + (in_ts - src_ts), scaled from the */
	uint32_t ts_base;  /* source's RTP clock to ours; both move with each new packet */
	uint16_t src_max_seq;
	uint32_t packets, octets;
	bool sent_since_report;
	/* Generated audio waiting to fill a packet of ptime (encoded bytes). */
	unsigned acc_len;
	uint8_t acc[MEDIA__JB_SLOT_BYTES];
};

enum media__role { MEDIA__ROLE_NONE, MEDIA__ROLE_BRIDGE, MEDIA__ROLE_MIX };

struct media_session {
	/* Written by the engine before the worker gets the session; read-only afterwards,
	 * except `w`, which the engine changes when it moves the session to another worker
	 * (media__session_move), while no worker holds it. */
	struct media *m;
	struct media__worker *w;
	uint32_t idx;
	uint32_t gen;
	uint64_t owner;
	uint16_t port;
	int fd_rtp, fd_rtcp;
	/* Engine thread only. */
	enum media_codec e_codec;
	struct media_mix *e_mix;

	/* ---- worker-owned ---- */
	bool attached;
	struct media__worker *home; /* the worker holding it now */
	bool configured;	    /* media_session_set was applied */
	struct media_params p;
	unsigned rate;		       /* audio rate of the codec */
	struct sockaddr_in sdp_remote; /* what signalling said, before latching */
	struct sockaddr_in rtcp_remote;
	uint64_t remote_key; /* address+port of p.remote, for a fast compare */
	bool latched, rtcp_latched;
	uint64_t latched_ms; /* last packet from the latched address */

	/* Receive. */
	bool rx_have;
	uint32_t rx_ssrc;
	struct media__seq rx_seq;
	uint32_t rx_jitter_q4;
	int32_t rx_transit;
	bool rx_transit_have;
	uint64_t rx_last_ms;
	bool timeout_sent;
	uint32_t rx_lsr;    /* middle of the NTP time of the last SR received */
	uint64_t rx_lsr_us; /* when it arrived */
	uint32_t rx_packets, rx_octets;
	/* Figures for media_session_stats, written by the worker under a sequence count
	 * (odd while being written) and read by the engine thread (stats.c). */
	struct {
		_Atomic uint32_t seq;
		_Atomic uint64_t packets_in, reports, rtcp_malformed;
		_Atomic int64_t lost_in;
		_Atomic uint32_t jitter_in_us;
		_Atomic uint32_t fraction, jitter_us; /* fraction: 1/256ths */
		_Atomic int32_t cumulative_lost;
		_Atomic int32_t rtt_ms1; /* round trip in ms plus one; 0: unknown */
	} qs;
	struct media__dtmf_rx dtmf_rx;
	struct media__amd_leg *amd; /* answering-machine detection (amd_leg.c) */

	/* Transmit. */
	struct media__tx tx;
	struct media__dtmf_tx dtmf_tx;
	uint64_t dtmf_start_us; /* when the event being sent started */
	struct media__play *play;
	uint64_t rtcp_next_ms;

	/* Codec state (allocated when the codec or a consumer needs it, never per packet). */
	struct g722_encode_state_s *g722_enc;
	struct g722_decode_state_s *g722_dec;
	struct media__opus_enc *opus_enc;
	struct media__opus_dec *opus_dec;
	SpeexResamplerState *up_rs;   /* received audio 8 -> 16 kHz (transcoding) */
	SpeexResamplerState *down_rs; /* received audio 16 -> 8 kHz (transcoding, in-band) */
	SpeexResamplerState *tx_rs;   /* mixer rate -> codec rate */
	unsigned tx_rs_in;
	struct media__inband *inband;
	struct media__jbuf *jbuf;
	/* SRTP contexts (srtp.c; libsrtp2's srtp_t), NULL for plain RTP. srtp_broken: keys
	 * were agreed but no context could be made: nothing goes out, nothing comes in. */
	void *srtp_tx, *srtp_rx;
	bool srtp_broken;
	bool srtp_warned;	  /* a refused packet was logged */
	struct media__ice *ice;	  /* WebRTC: ICE-lite state (ice.c), NULL for plain RTP */
	struct media__dtls *dtls; /* WebRTC: DTLS-SRTP endpoint (dtls.c), or NULL */

	/* Relations. */
	enum media__role role;
	struct media_session *peer; /* bridge partner (same worker) */
	bool transcode;		    /* codecs differ: decode and encode across the bridge */
	struct media__rec *rec;
	struct media_mix *mix;
	size_t list_idx; /* in w->sessions */
	size_t tick_idx; /* in w->ticking, when ticking */
	bool ticking;
	/* Kernel relay (fast.c): this direction of the bridge is relayed by the kernel;
	 * what its counters said when last folded into the session. */
	bool fast;
	uint64_t fast_packets, fast_octets;
};

/* The session's decoder and encoder of its codec, as media__decode and media__encode
 * take them. */
static inline void *media__dec_of(const struct media_session *s)
{
	return s->p.codec == MEDIA_CODEC_OPUS ? (void *)s->opus_dec : (void *)s->g722_dec;
}
static inline void *media__enc_of(const struct media_session *s)
{
	return s->p.codec == MEDIA_CODEC_OPUS ? (void *)s->opus_enc : (void *)s->g722_enc;
}
/* `us` microseconds in the session's RTP clock units. */
static inline uint32_t media__us_to_ts(const struct media_session *s, uint64_t us)
{
	return (uint32_t)(us * media__codec_clock(s->p.codec) / 1000000u);
}
/* Makes the codec states the session's codec needs (G.722, Opus); 0 or ENOMEM. */
int media__codec_state_ensure(struct media_session *s);
/* Frees them all. */
void media__codec_state_free(struct media_session *s);

struct media__wstats {
	_Atomic uint64_t packets_in, packets_out, bytes_in, bytes_out, late_or_lost, events_dropped,
	    cpu_ns;
	_Atomic uint64_t srtp_in, srtp_out, srtp_failed; /* packets decrypted, encrypted, refused */
	/* media_stats says which. */
	_Atomic uint64_t srtp_auth_failed, srtp_replayed;
	_Atomic uint64_t ice_checks, ice_refused, ice_malformed, ice_dropped;
	_Atomic uint64_t dtls_connected, dtls_failed, dtls_malformed;
	_Atomic uint64_t rtcp_in, rtcp_malformed;
	_Atomic uint64_t kernel_packets; /* relayed by the kernel (fast.c) */
};

struct media__mix_member {
	struct media_session *s;
	enum media_mix_mode mode;
	struct media_session *whisper_to;
	int16_t frame[320]; /* this tick's received audio at the mix rate */
};

struct media_mix {
	struct media *m;
	/* Engine side. */
	struct media_mix *e_next, *e_prev; /* m->mixes */
	struct media__worker *e_worker;	   /* the worker all members must be on */
	struct media__rec *e_rec;	   /* recording until the first member joins */
	struct media_session *e_mem[MEDIA__MIX_MAX];
	size_t e_members;
	uint64_t owner;
	/* Worker side. */
	bool attached;
	struct media__rec *rec;
	SpeexResamplerState *rec_rs[2]; /* mix rate -> recording rate, per channel */
	unsigned rate;
	size_t n;
	struct media__mix_member mem[MEDIA__MIX_MAX];
	size_t list_idx;
};

enum media__cmd_type {
	MEDIA__CMD_ADD = 1,
	MEDIA__CMD_FREE,
	MEDIA__CMD_SET,
	MEDIA__CMD_PLAY,
	MEDIA__CMD_PLAY_STOP,
	MEDIA__CMD_DTMF,
	MEDIA__CMD_INBAND,
	MEDIA__CMD_BRIDGE,
	MEDIA__CMD_UNBRIDGE,
	MEDIA__CMD_REC_PAUSE,
	MEDIA__CMD_MIX_JOIN,
	MEDIA__CMD_MIX_LEAVE,
	MEDIA__CMD_MIX_FREE,
	MEDIA__CMD_DETACH, /* let go of the session for another worker */
	MEDIA__CMD_ATTACH, /* take over a session another worker let go of */
	MEDIA__CMD_AMD,	   /* start (u.amd) or stop (NULL) answering-machine detection */
	MEDIA__CMD_ICE,	   /* install ICE-lite state (u.ice), or NULL for plain RTP */
	MEDIA__CMD_DTLS,   /* install a DTLS-SRTP endpoint (u.dtls) */
	MEDIA__CMD_STOP,
};

struct media__cmd {
	enum media__cmd_type type;
	struct media_session *s, *s2;
	union {
		struct media_params params;
		struct media__play *play;
		struct {
			char digit;
			uint16_t ms;
		} dtmf;
		bool on;
		sem_t *done;
		struct media__rec *rec;
		struct media__amd_leg *amd;
		struct media__ice *ice;
		struct media__dtls *dtls;
		struct {
			struct media_mix *x;
			enum media_mix_mode mode;
			struct media__rec *rec;
		} mix;
	} u;
};

struct media__uring;

struct media__worker {
	struct media *m;
	unsigned id;
	pthread_t thread;
	bool started;
	int epfd, tfd;
	/* The io_uring path (uring.h), made by the worker thread itself; NULL: epoll. */
	struct media__uring *uring;
	sem_t ready; /* posted by the thread once its I/O is set up (start_err says how) */
	int start_err;
	unsigned turn_packets; /* datagrams handled in this loop turn (io_uring path) */
	struct mq *cmds;
	atomic_size_t e_count; /* sessions placed here (engine side, for balancing) */

	struct media_session **sessions;
	size_t nsessions;
	struct media_session **ticking;
	size_t nticking;
	struct media__rec **recs;
	size_t nrecs;
	uint32_t *dead; /* slots released during this loop turn, freed at its end */
	size_t ndead;
	sem_t *detached; /* posted at the end of the loop turn that detached a session */
	struct media_mix **mixes;
	size_t nmixes, capmixes;
	uint64_t now_us, now_ms, ticks;
	bool stopping;
	bool tick_armed; /* the timerfd runs (there is something to pace) */
	uint32_t rand_state;

	struct media__wstats stats;

	/* Packet batches, reused for every packet. */
	struct mmsghdr rx_msgs[MEDIA__BATCH];
	struct iovec rx_iov[MEDIA__BATCH];
	struct sockaddr_in rx_addr[MEDIA__BATCH];
	uint8_t rx_buf[MEDIA__BATCH][MEDIA__PKT_MAX];
	struct mmsghdr tx_msgs[MEDIA__BATCH];
	struct iovec tx_iov[MEDIA__BATCH];
	uint8_t tx_buf[MEDIA__BATCH][MEDIA__PKT_MAX];
	int16_t pcm_a[MEDIA__FRAME_MAX], pcm_b[MEDIA__FRAME_MAX], pcm_c[MEDIA__FRAME_MAX];
};

struct media {
	struct media_config cfg;
	struct mq *events;
	unsigned nworkers;
	struct media__worker *workers;
	atomic_uint next_worker;

	/* Session slots. */
	struct media_session *slots;
	pthread_mutex_t slot_lock; /* protects free_slots and nfree_slots */
	uint32_t *free_slots;
	size_t nfree_slots;
	atomic_size_t nsessions;

	/* Port pairs: a FIFO of free even ports, so a freed port rests before reuse. */
	pthread_mutex_t port_lock; /* protects the ring below */
	uint16_t *ports;
	size_t nports, port_head, port_count;

	uint32_t rtcp_ms;    /* mean RTCP interval (MEDIA__RTCP_MS; tests shorten it) */
	uint32_t consent_ms; /* ICE consent lifetime (MEDIA__ICE_CONSENT_MS; tests shorten it) */
	struct media__dtls_cert *dtls_cert; /* WebRTC sessions' certificate, made at start */
	struct media__cache cache;
	struct media__tones tones;
	char cname[64];

	/* Recording writer thread. */
	pthread_t writer;
	bool writer_started;
	struct mq *wq;
	pthread_mutex_t chunk_lock;	     /* protects the free chunk lists */
	struct media__chunk *free_chunks[2]; /* [0]: 8 kHz seconds, [1]: 16 kHz seconds */
	atomic_size_t recordings;
	atomic_uint_fast64_t events_dropped;
	struct media_mix *mixes;  /* engine thread only */
	enum media_io io;	  /* resolved at start: MEDIA_IO_URING or MEDIA_IO_EPOLL */
	struct media__fast *fast; /* the kernel relay when it runs (fast.c), or NULL */
};

/* media.c */
/* Queues a command to the session's (or mix's) worker, retrying while its queue is full. */
void media__cmd_push(struct media__worker *w, const struct media__cmd *c);
/* Pushes an event to the engine (any thread); counts it as dropped when the queue is
 * full. `extra` supplies the type-specific fields, or is NULL. */
void media__event(struct media *m, enum media_event_type type, uint64_t owner,
		  const struct media_event *extra);
/* Returns a session slot to the free list (worker thread, once it forgot the slot). */
void media__slot_give(struct media *m, uint32_t idx);

/* session.c */
int media__ports_init(struct media *m);
bool media__port_take(struct media *m, uint16_t *port);
void media__port_give(struct media *m, uint16_t port);
int media__session_open(struct media *m, struct media_session *s);
/* Worker side: applies CMD_ADD, CMD_FREE and CMD_SET. */
void media__session_attach(struct media__worker *w, struct media_session *s);
void media__session_release(struct media__worker *w, struct media_session *s);
void media__session_configure(struct media__worker *w, struct media_session *s,
			      const struct media_params *p);
/* Moves a session to another worker (engine thread): the old worker lets go of it (it
 * leaves any bridge or mix), the engine waits for that, then the new worker takes it
 * with its sockets, play and DTMF state. Returns at once when it is already there. */
void media__session_move(struct media_session *s, struct media__worker *to);
void media__session_detach(struct media__worker *w, struct media_session *s);
void media__session_adopt(struct media__worker *w, struct media_session *s);
/* Adds or removes the session from the worker's per-tick list as its work requires. */
void media__session_update_ticking(struct media__worker *w, struct media_session *s);
uint32_t media__rand(struct media__worker *w);

/* stats.c */
/* A report block about our stream from the peer's RTCP (`now_us` CLOCK_REALTIME, for
 * the round trip), or a malformed RTCP packet (rb NULL). Worker thread. */
void media__qs_report(struct media__worker *w, struct media_session *s,
		      const struct media__rtcp_rb *rb, uint64_t now_us);
void media__qs_malformed(struct media__worker *w, struct media_session *s);
/* Receive figures, refreshed once per received RTCP interval check (every 200 ms). */
void media__qs_rx(struct media_session *s);
/* Forgets everything (the slot is reused). */
void media__qs_reset(struct media_session *s);

/* rx.c */
/* Epoll path: reads the session's RTP (or RTCP) socket until it is empty. */
void media__rx_rtp(struct media__worker *w, struct media_session *s);
void media__rx_rtcp(struct media__worker *w, struct media_session *s);
/* io_uring path: one datagram received on the session's RTP (or RTCP) socket. `buf` may
 * be rewritten in place. */
void media__rx_packet(struct media__worker *w, struct media_session *s, uint8_t *buf, size_t len,
		      const struct sockaddr_in *from);
void media__rx_rtcp_packet(struct media__worker *w, struct media_session *s, const uint8_t *buf,
			   size_t len, const struct sockaddr_in *from);
/* Sends our report (with a BYE when `bye`). */
void media__rtcp_send(struct media__worker *w, struct media_session *s, bool bye);
/* Ends a received RFC 4733 event whose end packets never came. */
void media__dtmf_rx_check(struct media__worker *w, struct media_session *s);
/* Stops a play: sends MEDIA_EV_PLAY_DONE with `end` unless `quiet`. */
void media__play_end(struct media__worker *w, struct media_session *s, enum media_play_end end,
		     bool quiet);

/* tx.c */
/* Sends one datagram from `fd` (MSG_DONTWAIT: dropped when the socket is full) and counts
 * it: at once on the epoll path, queued for the loop turn's submission on io_uring. */
void media__send(struct media__worker *w, int fd, const void *buf, size_t len,
		 const struct sockaddr_in *to);
/* Hands queued sends to the kernel now (io_uring path; nothing to do on epoll). Called
 * before an event goes to the engine, so that what was sent before the event (the end
 * of a prompt, a relayed digit) is on the wire when the engine hears of it. */
void media__flush(struct media__worker *w);
/* True when the session may send to its peer now (direction and configuration). */
bool media__tx_allowed(const struct media_session *s);
/* True while a play or a DTMF event owns the session's outgoing stream. */
static inline bool media__tx_busy(const struct media_session *s)
{
	return s->play != NULL || s->dtmf_tx.active;
}
/* Sends 20 ms of generated audio (`n` samples at `rate`) to the session's peer, encoded
 * with its codec, continuing its outgoing stream. */
void media__tx_audio(struct media__worker *w, struct media_session *s, const int16_t *pcm,
		     unsigned n, unsigned rate);
/* Marks a gap in generated audio (nothing sent this tick). */
void media__tx_idle(struct media_session *s);
/* Sends one RTP packet with a generated header. `ts` continues the stream. */
void media__tx_send(struct media__worker *w, struct media_session *s, uint8_t pt, bool marker,
		    uint32_t ts, const uint8_t *payload, size_t len);
/* Timestamp generated audio would carry now. */
uint32_t media__tx_ts_now(struct media__worker *w, struct media_session *s, bool *marker);
void media__tx_init(struct media__tx *tx, uint32_t ssrc, uint16_t seq, uint32_t ts);

/* tick.c */
void media__tick(struct media__worker *w);

/* amd_leg.c: answering-machine detection on a session's received audio. */
/* Installs `a` (NULL: none) on the session, freeing the detection it replaces. */
void media__amd_set(struct media__worker *w, struct media_session *s, struct media__amd_leg *a);
/* Feeds one received packet's audio (`pcm8`, `n8` samples at 8 kHz) with its RTP
 * timestamp and length in timestamp units; a jump in timestamps is fed as silence. */
void media__amd_feed(struct media__worker *w, struct media_session *s, uint32_t ts, uint32_t ts_len,
		     const int16_t *pcm8, unsigned n8);
/* Every 200 ms: a peer that sends no RTP is heard as silence. */
void media__amd_check(struct media__worker *w, struct media_session *s);
void media__amd_leg_free(struct media__amd_leg *a);

/* bridge.c */
void media__bridge_apply(struct media__worker *w, struct media_session *a, struct media_session *b,
			 struct media__rec *rec);
void media__bridge_leave(struct media__worker *w, struct media_session *s);
/* Re-evaluates relay or transcoding after a codec change. */
void media__bridge_update(struct media__worker *w, struct media_session *s);

/* mix.c */
void media__mix_join_apply(struct media__worker *w, struct media_mix *x, struct media_session *s,
			   enum media_mix_mode mode, struct media_session *whisper_to,
			   struct media__rec *rec);
void media__mix_leave_apply(struct media__worker *w, struct media_mix *x, struct media_session *s);
void media__mix_free_apply(struct media__worker *w, struct media_mix *x);
void media__mix_tick(struct media__worker *w, struct media_mix *x);
void media__mix_update(struct media__worker *w, struct media_mix *x);

/* recorder.c */
/* Opens `path` (engine thread) for a recording at `rate`. Returns 0 or an errno. */
int media__rec_open(struct media *m, const char *path, uint32_t rate, uint64_t owner,
		    struct media__rec **out);
/* Discards a recording that never reached a worker (engine thread). */
void media__rec_discard(struct media__rec *r);
void media__rec_start(struct media__worker *w, struct media__rec *r);
/* Appends one tick of audio: `n` samples per channel (left, right; NULL is silence). */
void media__rec_write(struct media__worker *w, struct media__rec *r, const int16_t *left,
		      const int16_t *right, unsigned n);
/* Hands the rest to the writer, which closes the file and reports MEDIA_EV_RECORD_DONE.
 * The worker forgets the recording. */
void media__rec_finish(struct media__worker *w, struct media__rec *r);
void media__rec_tick(struct media__worker *w, struct media__rec *r);
int media__writer_start(struct media *m);
void media__writer_stop(struct media *m);
void media__chunks_free(struct media *m);

/* worker.c */
int media__worker_start(struct media *m, struct media__worker *w, unsigned id);
void media__worker_stop(struct media__worker *w);
int media__worker_watch(struct media__worker *w, struct media_session *s);
void media__worker_unwatch(struct media__worker *w, struct media_session *s);

#endif
