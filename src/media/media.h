/*
 * The media engine: RTP sessions (one per call leg) served by worker threads, each an
 * epoll loop. The engine thread creates sessions and sends them commands (play, record,
 * bridge, mix, send DTMF); workers answer with events through the engine's queue.
 *
 * Threading contract: every function here is called from the engine thread only (except
 * media_event_pop's queue, which the engine drains). Commands are asynchronous: they are
 * queued to the session's worker and take effect in order. A session's pointer stays
 * valid until media_session_free(); after that call no further event names it.
 *
 * Memory: the media engine owns sessions, their sockets and buffers. Nothing is
 * allocated per packet: each session's buffers are allocated when it is created.
 */
#ifndef CENTRALA_MEDIA_H
#define CENTRALA_MEDIA_H

#include "media/amd.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mq;
struct media;
struct media_session;

enum media_codec {
	MEDIA_CODEC_NONE = 0,
	MEDIA_CODEC_PCMU, /* G.711 µ-law, PT 0, 8 kHz */
	MEDIA_CODEC_PCMA, /* G.711 A-law, PT 8, 8 kHz */
	MEDIA_CODEC_G722, /* G.722, PT 9, 16 kHz audio, 8 kHz RTP clock */
	MEDIA_CODEC_OPUS, /* Opus, dynamic PT, 48 kHz RTP clock (handled as narrowband) */
};

enum media_dir {
	MEDIA_DIR_SENDRECV = 0,
	MEDIA_DIR_SENDONLY, /* we send, we do not expect to receive (we hold the peer) */
	MEDIA_DIR_RECVONLY, /* the peer holds us: we must not send */
	MEDIA_DIR_INACTIVE,
};

/* How workers move packets. AUTO takes io_uring when the kernel and the process allow
 * it (it may be disabled, e.g. in some container runtimes) and epoll otherwise; URING
 * insists (media_create fails without it); EPOLL never tries io_uring. */
enum media_io { MEDIA_IO_AUTO = 0, MEDIA_IO_URING, MEDIA_IO_EPOLL };
/* The kernel relay of bridged packets (fast.h): OFF never loads it; AUTO loads it when
 * the kernel and the process's capabilities (CAP_BPF, CAP_NET_ADMIN) allow and goes on
 * without it otherwise; ON insists (media_create fails without it). */
enum media_kernel { MEDIA_KERNEL_OFF = 0, MEDIA_KERNEL_AUTO, MEDIA_KERNEL_ON };

struct media_config {
	struct in_addr address;	     /* address RTP binds to and advertises */
	uint16_t port_min, port_max; /* even RTP ports; RTCP on port+1 */
	unsigned workers;	     /* worker threads, 0: one per core */
	size_t max_sessions;	     /* preallocated session slots */
	uint32_t rtp_timeout_ms;     /* MEDIA_EV_RTP_TIMEOUT after this long without RTP, 0: off */
	enum media_io io;	     /* packet I/O of the workers */
	enum media_kernel kernel_relay; /* bridged packets relayed in the kernel */
	/* The key of a recording whose path ends in ".enc" (encrypted at rest, core/crec.h):
	 * returns 0 with the 32-byte key, or an errno, and the recording is then refused:
	 * never written in the clear. NULL: such recordings are refused. Engine thread. */
	int (*record_key)(void *arg, const char *path, uint8_t key[32]);
	void *record_key_arg;
};

/* SRTP with keys exchanged in SDP (SDES, RFC 4568): the suite, and each direction's
 * master key and salt. MEDIA_SRTP_NONE: plain RTP. */
enum media_srtp_suite {
	MEDIA_SRTP_NONE = 0,
	MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
	MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32,
};
#define MEDIA_SRTP_KEY_LEN 30 /* 16-byte master key, then 14-byte salt */

struct media_srtp {
	uint8_t suite; /* enum media_srtp_suite */
	uint8_t tag;   /* the a=crypto tag it was negotiated under */
	uint8_t tx_key[MEDIA_SRTP_KEY_LEN], rx_key[MEDIA_SRTP_KEY_LEN];
};

/* What SDP negotiation decided for a leg. */
struct media_params {
	struct sockaddr_in remote; /* where to send RTP (updated by symmetric RTP) */
	enum media_codec codec;
	uint8_t pt;	  /* payload type of the codec */
	uint8_t dtmf_pt;  /* telephone-event payload type, 0: none */
	uint8_t ptime_ms; /* packetization, default 20 */
	enum media_dir dir;
	struct media_srtp srtp; /* keys are wiped by the media engine when the session ends */
};

enum media_event_type {
	MEDIA_EV_DIGIT = 1,   /* a DTMF digit ended (RFC 4733 or in-band) */
	MEDIA_EV_PLAY_DONE,   /* a play request finished (completed, interrupted or stopped) */
	MEDIA_EV_RTP_TIMEOUT, /* no RTP received for the configured time */
	MEDIA_EV_RECORD_DONE, /* a recording was finalised */
	MEDIA_EV_RECORD_ERROR,
	MEDIA_EV_AMD,		/* answering-machine detection (media_amd_start): `amd` says what */
	MEDIA_EV_ICE_CONNECTED, /* a WebRTC peer nominated its address (media_session_ice) */
	MEDIA_EV_ICE_CONSENT_LOST, /* no valid ICE check for 30 s: the session's media stopped */
	MEDIA_EV_DTLS_CONNECTED,   /* DTLS-SRTP keys in place (media_session_dtls): media flows */
	MEDIA_EV_DTLS_FAILED,	   /* the handshake failed or the peer's fingerprint was wrong */
};

enum media_play_end {
	MEDIA_PLAY_COMPLETED,
	MEDIA_PLAY_INTERRUPTED,
	MEDIA_PLAY_STOPPED,
	MEDIA_PLAY_FAILED
};

struct media_event {
	enum media_event_type type;
	uint64_t owner;	   /* the cookie given at media_session_alloc */
	char digit;	   /* MEDIA_EV_DIGIT: '0'-'9', '*', '#', 'A'-'D' */
	uint16_t digit_ms; /* its duration */
	uint32_t play_id;  /* MEDIA_EV_PLAY_DONE */
	enum media_play_end play_end;
	uint64_t ts_ms;		    /* monotonic time of the event */
	struct media_amd_event amd; /* MEDIA_EV_AMD */
};

/* One item of a play request. Files are WAV (8 or 16 kHz mono, PCM16/µ-law/A-law);
 * other rates are resampled. Tones use the cadence of the named tone. */
enum media_item_kind { MEDIA_ITEM_FILE, MEDIA_ITEM_TONE, MEDIA_ITEM_SILENCE };
enum media_tone { MEDIA_TONE_RINGBACK, MEDIA_TONE_BUSY, MEDIA_TONE_BEEP };

struct media_item {
	enum media_item_kind kind;
	const char *path;     /* MEDIA_ITEM_FILE (copied by media_play) */
	enum media_tone tone; /* MEDIA_ITEM_TONE */
	uint32_t duration_ms; /* TONE/SILENCE; 0 for a tone: until stopped */
};

struct media_play_req {
	const struct media_item *items;
	size_t nitems;
	bool loop;     /* music on hold: start again at the end */
	bool barge_in; /* a received digit stops the play (MEDIA_PLAY_INTERRUPTED) */
	uint32_t id;   /* echoed in MEDIA_EV_PLAY_DONE */
};

/* Creates the media engine and starts its workers. Events go to `events` (owned by the
 * caller; messages are struct media_event). Returns 0 or an errno. */
int media_create(const struct media_config *cfg, struct mq *events, struct media **out);
/* Stops workers, finalises recordings (MEDIA_EV_RECORD_DONE is still queued for each),
 * frees every session and mix. */
void media_destroy(struct media *m);

/* Allocates a session with a local RTP port pair. `owner` is echoed in its events.
 * `near`, when not NULL, puts the new session on the same worker (sessions that will be
 * bridged or mixed should be near each other). Returns 0, EAGAIN (no free port or
 * slot) or an errno. */
int media_session_alloc(struct media *m, uint64_t owner, struct media_session *near,
			struct media_session **out);
/* Stops everything on the session (a play ends without MEDIA_EV_PLAY_DONE), leaves any
 * bridge or mix (finalising the bridge's recording), releases its port. Events queued
 * before the call may still arrive; they carry only the owner cookie. */
void media_session_free(struct media_session *s);
uint16_t media_session_port(const struct media_session *s);
const struct in_addr *media_address(const struct media *m);

/* Sets (or updates, on re-INVITE) the negotiated parameters; media flows from then on.
 * Symmetric RTP: the session sends to the source of the packets it receives, whatever
 * `remote` said. With p->srtp.suite set, RTP and RTCP are encrypted and authenticated
 * both ways (SRTP contexts are made when the keys change, never per packet; packets that
 * fail authentication are dropped and counted). Opus legs are encoded and decoded at
 * 8 kHz (libopus resamples) with a 48 kHz RTP clock; their RFC 4733 events run on the
 * clock of the audio. Returns 0 or EINVAL (codec not G.711/G.722/Opus, payload type
 * over 127, unknown SRTP suite). */
int media_session_set(struct media_session *s, const struct media_params *p);

/* Plays items to the session's peer, replacing any play in progress (which ends with
 * MEDIA_PLAY_STOPPED). While bridged, the play replaces the bridged audio towards this
 * session's peer. Files are decoded once and cached (a file changed on disk is
 * reloaded). Tones: ringback 425 Hz 1 s on 4 s off, busy 425 Hz 0.5/0.5 s (0 duration:
 * until stopped), beep 1000 Hz 250 ms. Returns 0, ENOENT (a file does not exist) or
 * EINVAL (not a readable audio file, no items). */
int media_play(struct media_session *s, const struct media_play_req *req);
/* Stops the session's play, which ends with MEDIA_PLAY_STOPPED (nothing if none). */
void media_play_stop(struct media_session *s);
/* Decodes a prompt into the cache ahead of its first play (at start-up, so that the
 * first caller does not wait for the decoding), and checks that it is playable. Returns
 * 0, ENOENT or EINVAL like media_play. Any thread. */
int media_prompt_preload(struct media *m, const char *path);

/* Sends one RFC 4733 digit (or nothing when the peer did not offer telephone-event):
 * a start packet with the marker, continuations every 20 ms and three end packets.
 * Digits queue (up to 32) and go out one after another; duration 0 means 100 ms.
 * Returns 0 or EINVAL (not 0-9, *, #, A-D). */
int media_send_dtmf(struct media_session *s, char digit, uint16_t duration_ms);
/* Turns in-band (audio) DTMF detection on or off for the session (default off; turned on
 * by the engine when the peer did not offer telephone-event). */
void media_inband_dtmf(struct media_session *s, bool on);

/* ICE-lite (RFC 8445) credentials of a WebRTC session: ours (the ice-ufrag and ice-pwd
 * of our SDP) and the peer's ice-ufrag. ufrags are 4-256 ice-chars (letters, digits,
 * '+', '/'), passwords 22-256. */
#define MEDIA_ICE_FIELD_MAX 256
struct media_ice {
	const char *ufrag, *pwd, *remote_ufrag;
};
/* Makes the session a WebRTC one (rtcp-mux, RFC 7983 demultiplexing on its RTP port):
 * it answers STUN Binding requests signed with these credentials and takes media only
 * from the address a checked request with USE-CANDIDATE nominated (MEDIA_EV_ICE_CONNECTED
 * then); it sends nothing before. Without a valid check from that address for 30 s
 * (RFC 7675 consent), media stops and MEDIA_EV_ICE_CONSENT_LOST comes. Called again
 * with new credentials (an ICE restart), the nominated address stays in use until the
 * peer nominates one with them. NULL `ice` makes it a plain RTP session again. Returns
 * 0, EINVAL (bad credentials) or ENOMEM. */
int media_session_ice(struct media_session *s, const struct media_ice *ice);
/* DTLS-SRTP (RFC 5763/5764) of a WebRTC session, after media_session_ice: a DTLS 1.2
 * client or server (the role a=setup gave us) with the nominated peer, accepting only
 * the certificate whose digest is `peer_fingerprint` (the SDP's a=fingerprint value,
 * "sha-256 XX:XX:..."). Media waits for the keys (MEDIA_EV_DTLS_CONNECTED), which then
 * replace any SDES keys; MEDIA_EV_DTLS_FAILED if the handshake fails. A client sends
 * its hello once a peer is nominated. Returns 0, EINVAL or ENOMEM. */
enum media_dtls_role { MEDIA_DTLS_CLIENT = 1, MEDIA_DTLS_SERVER };
int media_session_dtls(struct media_session *s, enum media_dtls_role role,
		       const char *peer_fingerprint);
/* Our certificate's fingerprint for a=fingerprint ("sha-256 XX:XX:..."), made when the
 * engine starts (ECDSA P-256). */
const char *media_dtls_fingerprint(const struct media *m);

/* Starts answering-machine and fax tone detection (amd.h) on the audio the session
 * receives, typically right after an outbound call is answered; `p` NULL takes the
 * defaults. Its events come as MEDIA_EV_AMD: first the decision (PERSON, MACHINE,
 * UNSURE or FAX, with the audio time since the start), then, after MACHINE and unless
 * p->beep_wait_ms is 0, MACHINE_BEEP when the voicemail's beep ends or NO_BEEP. Time
 * runs from the start even while no RTP comes (silence suppression, a silent peer).
 * A detection already running is replaced. Returns 0, EINVAL (media_amd_check fails) or
 * ENOMEM. */
int media_amd_start(struct media_session *s, const struct media_amd_params *p);
/* Stops the session's detection (nothing more is reported; nothing if none runs). */
void media_amd_stop(struct media_session *s);

/* Bridges two sessions (both ways). When codecs match, packets are relayed; otherwise
 * audio is transcoded through linear PCM. When `record_path` is not NULL, a stereo WAV is
 * written there: `a`'s received audio on the left channel, `b`'s on the right, aligned
 * on RTP timestamps with silence for gaps. Returns 0, EINVAL or an errno.
 * Bridged sessions share a worker: allocate the second `near` the first; otherwise `b`
 * is moved to `a`'s worker here (the engine thread waits for its old worker to let go,
 * well under a millisecond when it is not overloaded). A session already bridged or in a
 * mix leaves it first. RFC 4733
 * events pass across when both sides negotiated telephone-event. The recording is PCM16
 * stereo at 16 kHz when either side's codec is G.722, 8 kHz otherwise; it is a valid
 * WAV at every moment (written by a writer thread, at most about a second behind);
 * parent directories are created. A path ending in ".enc" is written encrypted (see
 * media_config.record_key). Its events (MEDIA_EV_RECORD_DONE, _ERROR) carry
 * `a`'s owner. An unwritable path fails the call with its errno. */
int media_bridge(struct media_session *a, struct media_session *b, const char *record_path);
/* Ends the bridge that `s` is part of (both directions); recordings are finalised. */
void media_unbridge(struct media_session *s);
/* Pauses or resumes writing the bridge's recording (silence is written meanwhile, so
 * the file's timeline stays true), e.g. while a caller gives card details. */
void media_record_pause(struct media_session *s, bool paused);

/* Conferences: a mixer of three or more parties. A member's mode says what it hears and
 * who hears it: FULL (hears all, heard by all), LISTEN (hears all, heard by none:
 * supervisor monitoring), WHISPER (hears all, heard only by `whisper_to`). */
enum media_mix_mode { MEDIA_MIX_FULL, MEDIA_MIX_LISTEN, MEDIA_MIX_WHISPER };
struct media_mix;
/* Creates an empty mix; with `record_path`, its recording is 8 kHz stereo: the first
 * member to join (usually the customer) left, every other FULL member right. Returns 0,
 * ENOMEM or the errno of opening the file. */
int media_mix_create(struct media *m, const char *record_path, struct media_mix **out);
/* Adds `s` (leaving any bridge or other mix), or changes its mode if already a member.
 * Members hear the sum of FULL members minus themselves, plus WHISPER members aimed at
 * them, mixed every 20 ms (16 kHz when a member speaks G.722). Members mix on the worker
 * of the first one: allocate them `near` it, or they are moved there (as media_bridge
 * does). Returns 0, EINVAL (WHISPER without a `whisper_to` that is already a member) or
 * ENOSPC (32 members). */
int media_mix_join(struct media_mix *x, struct media_session *s, enum media_mix_mode mode,
		   struct media_session *whisper_to);
/* Removes `s` from the mix (nothing if it is not a member). */
void media_mix_leave(struct media_mix *x, struct media_session *s);
/* Frees the mix: members leave it (they stay allocated), its recording is finalised. */
void media_mix_free(struct media_mix *x);
/* Sets the owner cookie carried by the mix's recording events (default 0); call it
 * before the first member joins. */
void media_mix_set_owner(struct media_mix *x, uint64_t owner);

/* Counters for /metrics and benchmarks (read without locks; approximate). */
struct media_stats {
	uint64_t sessions, packets_in, packets_out, bytes_in, bytes_out, late_or_lost;
	uint64_t recordings;	 /* recordings open (being written or finishing) */
	uint64_t events_dropped; /* events lost to a full engine queue */
	uint64_t worker_cpu_us;	 /* CPU time used by the worker threads */
	/* SRTP and SRTCP packets decrypted, encrypted, and refused (failed authentication or
	 * replay, or could not be encrypted). */
	uint64_t srtp_in, srtp_out, srtp_failed;
	/* Of srtp_failed: packets whose authentication tag was wrong, and replays (an index
	 * already seen or too old). */
	uint64_t srtp_auth_failed, srtp_replayed;
	/* WebRTC sessions: ICE checks answered with success; checks answered with an error
	 * (failed authentication, a role conflict, an unknown required attribute);
	 * malformed STUN or STUN we do not answer (no valid FINGERPRINT, a response),
	 * dropped; other datagrams dropped (from an address no check nominated, after
	 * consent was lost, or of no kind RFC 7983 names). */
	uint64_t ice_checks, ice_refused, ice_malformed, ice_dropped;
	/* DTLS-SRTP: handshakes completed, handshakes failed (or ended by the peer), and
	 * datagrams in the DTLS range whose records are malformed (dropped before OpenSSL). */
	uint64_t dtls_connected, dtls_failed, dtls_malformed;
	/* RTCP packets received and those dropped as malformed (RFC 3550 6.1 checks). */
	uint64_t rtcp_in, rtcp_malformed;
	/* RTP packets the kernel relay moved (also counted in packets_in and packets_out). */
	uint64_t kernel_packets;
	bool kernel_relay; /* the kernel relay runs */
};
void media_stats_get(const struct media *m, struct media_stats *out);
/* Writes the ICE, DTLS, SRTP and RTCP counters of `st` in Prometheus text format
 * (centrala_ice_*, centrala_dtls_*, centrala_srtp_*_total by reason, centrala_rtcp_*),
 * for /metrics. Returns the length, or 0 when `size` is too small. */
size_t media_stats_prometheus(const struct media_stats *st, char *buf, size_t size);

/* What one session knows of its call's quality: what it received, and what the peer's
 * RTCP reports (RFC 3550 6.4) say of what we sent. */
struct media_session_stats {
	uint64_t packets_in;   /* RTP packets received and accepted */
	int64_t lost_in;       /* packets we missed, from sequence numbers (RFC 3550 A.3) */
	uint32_t jitter_in_us; /* interarrival jitter of what we receive */
	/* From the peer's latest report block about our stream (valid when reports > 0). */
	uint64_t reports;	 /* report blocks received about our stream */
	double fraction_lost;	 /* 0..1, of the interval before that report */
	int32_t cumulative_lost; /* the peer's count (may be negative: duplicates) */
	uint32_t jitter_us;	 /* the peer's interarrival jitter of our stream */
	int32_t rtt_ms;		 /* from its LSR and DLSR; -1 while unknown */
	uint64_t rtcp_malformed; /* RTCP packets from the peer dropped as malformed */
};
/* A snapshot of the session's figures (engine thread; written by its worker, read
 * without waiting for it: figures of one report are consistent with each other). */
void media_session_stats(const struct media_session *s, struct media_session_stats *out);
/* The packet I/O the workers run: MEDIA_IO_URING or MEDIA_IO_EPOLL, never AUTO. */
enum media_io media_io_path(const struct media *m);
/* True when the kernel relay runs (media_config.kernel_relay). */
bool media_kernel_relay(const struct media *m);
/* "off", "auto" or "on"; media_kernel_parse: 0 or EINVAL. */
const char *media_kernel_name(enum media_kernel k);
int media_kernel_parse(const char *name, enum media_kernel *out);
/* "auto", "uring" or "epoll"; NULL for a value out of range. */
const char *media_io_name(enum media_io io);
/* Parses one of those names. Returns 0, or EINVAL for anything else. */
int media_io_parse(const char *name, enum media_io *out);

#endif
