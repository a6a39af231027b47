/*
 * The kernel relay's table, shared by the worker (fast.c) and the eBPF program
 * (bpf/relay.bpf.c) that reads it for every UDP packet reaching one of the server's RTP
 * ports. One entry per port pair of the media range (index (port - port_min) / 2), in an
 * array map the workers see through mmap: a session enters or leaves the kernel path
 * with a few stores, without a system call.
 *
 * An entry describes one direction of a bridge: packets from the session's latched
 * remote (source address and port, SSRC and payload type as user space saw them last)
 * are rewritten as the partner's outgoing stream (its SSRC, payload type, sequence and
 * timestamp offsets, our partner socket's port as source, the partner's remote as
 * destination) and sent on by the kernel. Anything else (another source, SSRC or payload
 * type, RFC 4733 events, RTCP, a packet the kernel cannot route) goes up to the socket
 * as before, and the worker takes the session back.
 *
 * Writers: the worker fills the mapping while `active` is 0 and sets it last (release);
 * the program adds to the counters (atomically: packets of a session may be handled on
 * both CPUs) and stores the latest sequence, timestamp and jitter.
 */
#ifndef CENTRALA_MEDIA_FAST_LEG_H
#define CENTRALA_MEDIA_FAST_LEG_H

#include <linux/types.h>

struct media_fast_leg {
	__u32 active; /* 1: the kernel relays this direction */
	__u32 gen;    /* bumped at each entry, so counters are read against the right one */
	/* Match (network byte order, as on the wire). */
	__u32 local_ip;	 /* our address the peer sends to; 0: any */
	__u32 remote_ip; /* the latched remote */
	__u16 remote_port;
	__u8 pt_in;  /* the session's payload type */
	__u8 pt_out; /* the partner's */
	__u32 ssrc_in;
	/* Rewrite. */
	__u32 ssrc_out;	 /* network byte order */
	__u16 seq_off;	 /* out_seq = in_seq + seq_off (host order arithmetic) */
	__u16 out_sport; /* the partner's RTP port (network order) */
	__u32 ts_off;	 /* out_ts = in_ts + ts_off */
	__u32 out_saddr; /* source address; 0: the address the packet came to */
	__u32 out_daddr; /* the partner's remote */
	__u16 out_dport;
	__u16 out_local;   /* 1: out_daddr is this host's: delivered up the stack, no route */
	__u32 ns_per_unit; /* RTP clock: nanoseconds per timestamp unit (jitter) */
	__u32 record;	   /* 1: a copy of each payload goes to the worker's ring */
	__u32 worker;	   /* the worker's ring (index in rec_rings) */
	/* Written by the program. */
	__u64 packets;	 /* relayed by the kernel since the entry */
	__u64 octets;	 /* payload octets of those */
	__u32 ext_max;	 /* highest sequence number seen, with wraps (cycles << 16) */
	__u32 last_ts;	 /* RTP timestamp of the newest packet (incoming clock) */
	__u32 jitter_q4; /* RFC 3550 A.8 interarrival jitter, scaled by 16 */
	__s32 transit;	 /* last transit time, timestamp units */
	__u32 have_transit;
	__u32 pad;
	__u64 last_ns; /* when the newest packet came (CLOCK_MONOTONIC) */
};

/* A payload the kernel relayed of a recorded session, for the worker's jitter buffer:
 * the incoming packet's own header fields, as the worker would have read them. */
#define MEDIA_FAST_REC_MAX 480 /* payload bytes a copy holds: 60 ms of G.711 or G.722 */
struct media_fast_rec {
	__u32 idx; /* the entry (session) */
	__u32 gen; /* its gen when the packet came */
	__u32 ssrc, ts;
	__u16 seq, len;
	__u8 data[MEDIA_FAST_REC_MAX];
};
#define MEDIA_FAST_WORKERS_MAX 64 /* rings: workers that may record through the kernel */
#define MEDIA_FAST_RING_BYTES  (4u << 20)

/* Configured before the program is loaded (its read-only data). */
struct media_fast_conf {
	__u16 port_min, port_max; /* the media port range; entries: (max - min) / 2 + 1 */
};

#define MEDIA_FAST_LEGS_MAX 32768 /* entries of the array map (65536 ports / 2) */

#endif
