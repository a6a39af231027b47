/*
 * The kernel relay (see media/fast_leg.h): a TCX ingress program on the interfaces the
 * RTP ports are reached through. For a UDP packet to one of our RTP ports whose entry is
 * active and which matches what the worker saw last (source address and port, RTP
 * version, payload type, SSRC), it rewrites the packet as the bridge partner's outgoing
 * stream and sends it on: back up the stack when the partner's remote is a local
 * address (the worker says so), out of the interface the route names otherwise (which
 * bpf_fib_lookup finds only where the interface forwards: net.ipv4.conf.IF.forwarding). Everything
 * else goes on unchanged (TCX_NEXT), to the next program and the socket.
 *
 * Built by CMake with clang -target bpf; loaded by src/media/fast.c.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "media/fast_leg.h"

#ifndef TCX_NEXT
#define TCX_NEXT (-1)
#endif
#define AF_INET 2

const volatile struct media_fast_conf conf = {0};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, MEDIA_FAST_LEGS_MAX);
	__type(key, __u32);
	__type(value, struct media_fast_leg);
} legs SEC(".maps");

/* One ring per worker, made and put here by fast.c. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MEDIA_FAST_WORKERS_MAX);
	__type(key, __u32);
	__array(
	    values, struct {
		    __uint(type, BPF_MAP_TYPE_RINGBUF);
		    __uint(max_entries, MEDIA_FAST_RING_BYTES);
	    });
} rec_rings SEC(".maps");

static __always_inline __u16 ip_csum(struct iphdr *ip)
{
	__u32 sum = 0;
	__u16 *p = (__u16 *)ip;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += p[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

SEC("tc")
int relay(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *rtp = (void *)(udp + 1);
	struct media_fast_leg *e;
	struct bpf_fib_lookup fib = {0};
	__u32 idx, saddr, payload;
	__u16 dport, seq, d;
	__u32 ts;
	__u64 now;
	int rc;

	if ((void *)(rtp + 12) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TCX_NEXT;
	if (ip->ihl != 5 || ip->protocol != IPPROTO_UDP || (ip->frag_off & bpf_htons(0x3fff)))
		return TCX_NEXT;
	dport = bpf_ntohs(udp->dest);
	if (dport < conf.port_min || dport > conf.port_max || (dport - conf.port_min) & 1)
		return TCX_NEXT;
	idx = (__u32)(dport - conf.port_min) / 2;
	e = bpf_map_lookup_elem(&legs, &idx);
	if (!e || !*(volatile __u32 *)&e->active)
		return TCX_NEXT;
	if ((e->local_ip && ip->daddr != e->local_ip) || ip->saddr != e->remote_ip ||
	    udp->source != e->remote_port)
		return TCX_NEXT;
	if ((rtp[0] & 0xc0) != 0x80 || (rtp[1] & 0x7f) != e->pt_in ||
	    *(__u32 *)(rtp + 8) != e->ssrc_in)
		return TCX_NEXT;
	if (bpf_ntohs(udp->len) < sizeof(*udp) + 12)
		return TCX_NEXT;

	saddr = e->out_saddr ? e->out_saddr : ip->daddr;
	rc = BPF_FIB_LKUP_RET_NOT_FWDED;
	if (e->out_local)
		goto relay;
	/* Another host: the route and neighbour (the lookup needs forwarding enabled on the
	 * interface the packet came in by). */
	fib.family = AF_INET;
	fib.l4_protocol = IPPROTO_UDP;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.ipv4_src = saddr;
	fib.ipv4_dst = e->out_daddr;
	fib.sport = e->out_sport;
	fib.dport = e->out_dport;
	fib.ifindex = skb->ingress_ifindex;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NOT_FWDED)
		return TCX_NEXT; /* no route or no neighbour yet: the socket path sends it */
relay:

	seq = bpf_ntohs(*(__u16 *)(rtp + 2));
	ts = bpf_ntohl(*(__u32 *)(rtp + 4));
	payload = bpf_ntohs(udp->len) - sizeof(*udp) - 12;
	/* A recorded session: its payload to the worker's jitter buffer first. Without
	 * room in the ring the packet takes the socket path, so the recording loses none. */
	if (e->record) {
		void *ring = bpf_map_lookup_elem(&rec_rings, &e->worker);
		struct media_fast_rec *r;
		__u32 len = payload;

		if (!ring || len > MEDIA_FAST_REC_MAX || (rtp[0] & 0x3f))
			return TCX_NEXT; /* CSRCs, an extension or padding: the worker reads it */
		r = bpf_ringbuf_reserve(ring, sizeof(*r), 0);
		if (!r)
			return TCX_NEXT;
		r->idx = idx;
		r->gen = e->gen;
		r->ssrc = bpf_ntohl(*(__u32 *)(rtp + 8));
		r->ts = ts;
		r->seq = seq;
		r->len = (__u16)len;
		if (len && bpf_skb_load_bytes(skb, sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + 12,
					      r->data, len & 0x1ff) != 0) {
			bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
			return TCX_NEXT;
		}
		bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
		/* Direct packet pointers are invalid after a helper that may change the
		 * packet: read them again. */
		data = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		eth = data;
		ip = (void *)(eth + 1);
		udp = (void *)(ip + 1);
		rtp = (void *)(udp + 1);
		if ((void *)(rtp + 12) > end)
			return TC_ACT_SHOT;
	}

	/* Counters and receive figures of the session. */
	__sync_fetch_and_add(&e->packets, 1);
	__sync_fetch_and_add(&e->octets, payload);
	d = (__u16)(seq - (__u16)e->ext_max);
	if (d && d < 0x8000) {
		__u32 cycles = e->ext_max & 0xffff0000u;

		if (seq < (__u16)e->ext_max)
			cycles += 0x10000;
		e->ext_max = cycles | seq;
	}
	now = bpf_ktime_get_ns();
	if (e->ns_per_unit) {
		__s32 transit = (__s32)((__u32)(now / e->ns_per_unit) - ts);

		if (e->have_transit) {
			__s32 dt = transit - e->transit;

			if (dt < 0)
				dt = -dt;
			e->jitter_q4 += (__u32)dt - ((e->jitter_q4 + 8) >> 4);
		}
		e->transit = transit;
		e->have_transit = 1;
	}
	e->last_ts = ts;
	e->last_ns = now;

	/* The partner's stream. */
	rtp[1] = (__u8)((rtp[1] & 0x80) | e->pt_out);
	*(__u16 *)(rtp + 2) = bpf_htons((__u16)(seq + e->seq_off));
	*(__u32 *)(rtp + 4) = bpf_htonl(ts + e->ts_off);
	*(__u32 *)(rtp + 8) = e->ssrc_out;
	ip->saddr = saddr;
	ip->daddr = e->out_daddr;
	ip->ttl = 64;
	ip->check = 0;
	ip->check = ip_csum(ip);
	udp->source = e->out_sport;
	udp->dest = e->out_dport;
	udp->check = 0; /* IPv4: none (RFC 768); the payload changed */
	if (rc == BPF_FIB_LKUP_RET_NOT_FWDED)
		return TC_ACT_OK; /* a local address: up the stack to its socket */
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
