/*
 * The kernel relay (fast.c): bridged sessions whose packets need nothing from user space
 * are relayed by an eBPF program on the interfaces (bpf/relay.bpf.c, table in
 * fast_leg.h) instead of going through the worker's sockets.
 *
 * A session relays in the kernel while it is eligible: bridged without transcoding,
 * plain RTP on both legs (no SRTP, no ICE), latched, its partner free to send (no play,
 * no DTMF being generated, not on hold), and nothing in the worker needs its audio but
 * a bridge recording (no mixing, in-band DTMF or answering-machine detection); a
 * recorded session's payloads are copied by the kernel into the worker's ring buffer
 * and reach its jitter buffer on the tick (media__fast_consume). The worker takes a
 * session back before any command touches it or its partner, and whenever one of its
 * packets reaches the socket anyway (a new source or SSRC, an RFC 4733 event, a packet
 * the kernel could not route): it folds the kernel's counters into the session
 * (received packets, highest sequence number, jitter; the partner's sent packets,
 * octets, sequence number and timestamp), so RTCP, statistics, timeouts and the stream
 * sent afterwards continue as if every packet had gone through the worker. The next
 * packet the worker relays puts the session back in the kernel if it is still eligible.
 */
#ifndef CENTRALA_MEDIA_FAST_H
#define CENTRALA_MEDIA_FAST_H

#include <stdbool.h>

struct media;
struct media__worker;
struct media_session;

/* Loads and attaches the program when m->cfg.kernel_relay asks for it (engine thread,
 * at start). 0 when it runs or is not wanted, or an errno when it is required (ON) and
 * cannot run; AUTO falls back with a log line saying why. */
int media__fast_open(struct media *m);
void media__fast_close(struct media *m);
/* Worker thread. */
void media__fast_try(struct media__worker *w, struct media_session *s);
void media__fast_leave(struct media__worker *w, struct media_session *s);
/* Hands the payloads the kernel copied for this worker's recorded sessions to their
 * jitter buffers (on each tick, before the recorder reads them). */
void media__fast_consume(struct media__worker *w);
/* Folds what the kernel relayed since the last call into the session and its partner. */
void media__fast_fold(struct media__worker *w, struct media_session *s);

#endif
