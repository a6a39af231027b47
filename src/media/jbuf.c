/*
 * Jitter buffer for received audio that is decoded for a mixer or a recorder: a speexdsp
 * JitterBuffer fed with every audio packet and read once per 20 ms tick. Packets are
 * reordered by timestamp, late ones dropped, gaps become silence. Payloads are copied
 * into a pool of slots preallocated with the buffer: speexdsp is given a destroy
 * callback, so it stores our pointers instead of allocating a copy per packet, and
 * hands them back on get (or to the callback when it discards one). Opus packets are
 * kept on an 8 kHz timeline (their 48 kHz timestamps divided by six, as they are
 * decoded at 8 kHz) and what is missing is concealed by libopus instead of silenced.
 */
#include "media/media_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define RESET_JUMP 80000 /* ten seconds of 8 kHz timestamp: the source restarted */

static void slot_release(void *data)
{
	struct media__jb_slot *slot =
	    (struct media__jb_slot *)((uint8_t *)data - offsetof(struct media__jb_slot, data));
	struct media__jbuf *j = slot->owner;

	j->free_list[j->free_top++] = (uint16_t)slot->idx;
}

static int configure(struct media__jbuf *j, enum media_codec codec, unsigned out_rate)
{
	unsigned rate = media__codec_rate(codec);

	if (codec == MEDIA_CODEC_G722 && !j->dec) {
		j->dec = media__g722_dec_new();
		if (!j->dec)
			return ENOMEM;
	}
	if (codec == MEDIA_CODEC_OPUS && !j->opus && media__opus_dec_new(&j->opus))
		return ENOMEM;
	if (rate != out_rate) {
		if (media__rs_ensure(&j->rs, rate, out_rate))
			return ENOMEM;
	} else {
		media__rs_free(&j->rs);
	}
	j->codec = codec;
	j->out_rate = out_rate;
	return 0;
}

int media__jbuf_new(enum media_codec codec, unsigned out_rate, struct media__jbuf **out)
{
	struct media__jbuf *j = calloc(1, sizeof(*j));
	spx_int32_t step = 160;

	if (!j)
		return ENOMEM;
	j->jb = jitter_buffer_init(step);
	if (!j->jb)
		goto fail;
	jitter_buffer_ctl(j->jb, JITTER_BUFFER_SET_DESTROY_CALLBACK, (void *)slot_release);
	for (unsigned i = 0; i < MEDIA__JB_SLOTS; i++) {
		j->pool[i].owner = j;
		j->pool[i].idx = i;
		j->free_list[i] = (uint16_t)(MEDIA__JB_SLOTS - 1 - i);
	}
	j->free_top = MEDIA__JB_SLOTS;
	if (configure(j, codec, out_rate))
		goto fail;
	*out = j;
	return 0;
fail:
	media__jbuf_free(j);
	return ENOMEM;
}

void media__jbuf_free(struct media__jbuf *j)
{
	if (!j)
		return;
	if (j->jb)
		jitter_buffer_destroy(j->jb); /* returns held slots through slot_release */
	media__g722_dec_free(j->dec);
	media__opus_dec_free(j->opus);
	media__rs_free(&j->rs);
	free(j);
}

static void reset(struct media__jbuf *j)
{
	for (unsigned i = 0; i < j->npending; i++)
		j->free_list[j->free_top++] = j->pending[i];
	j->npending = 0;
	jitter_buffer_reset(j->jb);
	j->started = false;
	j->fifo_len = 0;
}

int media__jbuf_reconfigure(struct media__jbuf *j, enum media_codec codec, unsigned out_rate)
{
	if (j->codec == codec && j->out_rate == out_rate)
		return 0;
	reset(j);
	if (j->dec && codec == MEDIA_CODEC_G722) {
		/* A fresh decoder: the old state belongs to another stream. */
		media__g722_dec_free(j->dec);
		j->dec = NULL;
	}
	media__opus_dec_reset(j->opus);
	return configure(j, codec, out_rate);
}

void media__jbuf_put(struct media__jbuf *j, uint32_t ssrc, uint32_t ts, uint16_t seq,
		     const uint8_t *payload, size_t len)
{
	struct media__jb_slot *slot;
	unsigned span = (unsigned)len; /* one byte per 8 kHz unit: G.711 and G.722 */

	if (j->codec == MEDIA_CODEC_OPUS) {
		span = media__opus_samples(payload, len);
		ts /= 6;
	}
	if (len == 0 || len > MEDIA__JB_SLOT_BYTES || span == 0) {
		j->late_or_lost++;
		return;
	}
	if (j->started) {
		int32_t d = media__ts_diff(ts, j->last_ts);

		if (ssrc != j->ssrc || d > RESET_JUMP || d < -RESET_JUMP)
			reset(j);
	}
	if (!j->started) {
		j->started = true;
		j->ssrc = ssrc;
		j->last_ts = ts;
	} else if (media__ts_diff(ts, j->last_ts) > 0) {
		j->last_ts = ts;
	}
	if (j->free_top == 0) {
		j->late_or_lost++;
		return;
	}
	slot = &j->pool[j->free_list[--j->free_top]];
	memcpy(slot->data, payload, len);
	slot->ts = ts;
	slot->seq = seq;
	slot->len = (uint16_t)len;
	slot->span = (uint16_t)span;
	j->pending[j->npending++] = (uint16_t)slot->idx;
}

static void flush_pending(struct media__jbuf *j)
{
	for (unsigned i = 0; i < j->npending; i++) {
		struct media__jb_slot *slot = &j->pool[j->pending[i]];
		JitterBufferPacket pkt;

		memset(&pkt, 0, sizeof(pkt));
		pkt.data = (char *)slot->data;
		pkt.len = slot->len;
		pkt.timestamp = slot->ts;
		pkt.span = slot->span;
		pkt.sequence = slot->seq;
		jitter_buffer_put(j->jb, &pkt);
	}
	j->npending = 0;
}

static void fifo_zeros(struct media__jbuf *j, unsigned n)
{
	if (n > MEDIA__FRAME_MAX - j->fifo_len)
		n = MEDIA__FRAME_MAX - j->fifo_len;
	if (j->codec == MEDIA_CODEC_OPUS && j->opus) {
		/* Concealed rather than silent, frame by frame. */
		while (n) {
			unsigned got =
			    media__opus_conceal(j->opus, NULL, 0, j->fifo + j->fifo_len, n);

			if (!got)
				break;
			j->fifo_len += got;
			n -= got;
		}
	}
	memset(j->fifo + j->fifo_len, 0, n * sizeof(int16_t));
	j->fifo_len += n;
}

void media__jbuf_get(struct media__jbuf *j, int16_t *out)
{
	unsigned ratio = media__codec_rate(j->codec) / 8000; /* samples per timestamp unit */
	unsigned need = 160 * ratio, nout = j->out_rate / 50;
	int16_t dec[MEDIA__FRAME_MAX];
	bool got = false;

	flush_pending(j);
	while (j->started && j->fifo_len < need) {
		JitterBufferPacket pkt;
		spx_int32_t off = 0;
		spx_int32_t want = (spx_int32_t)((need - j->fifo_len + ratio - 1) / ratio);
		int r;

		memset(&pkt, 0, sizeof(pkt));
		r = jitter_buffer_get(j->jb, &pkt, want, &off);
		got = true;
		if (r == JITTER_BUFFER_OK && pkt.data) {
			unsigned n;

			if (off > 0)
				fifo_zeros(j, (unsigned)off * ratio);
			n = media__decode(j->codec,
					  j->codec == MEDIA_CODEC_OPUS ? (void *)j->opus
								       : (void *)j->dec,
					  (const uint8_t *)pkt.data, pkt.len, dec);
			slot_release(pkt.data);
			if (n > MEDIA__FRAME_MAX - j->fifo_len)
				n = MEDIA__FRAME_MAX - j->fifo_len;
			memcpy(j->fifo + j->fifo_len, dec, n * sizeof(int16_t));
			j->fifo_len += n;
		} else {
			if (r == JITTER_BUFFER_MISSING)
				j->late_or_lost++;
			fifo_zeros(j, (pkt.span > 0 ? (unsigned)pkt.span : (unsigned)want) * ratio);
		}
	}
	if (j->fifo_len < need)
		fifo_zeros(j, need - j->fifo_len);
	/* Tell speexdsp how much audio we still hold after this tick, so that its delay
	 * estimate counts it: tick() does when get() was called (it knows the leftover of
	 * the last packet), remaining_span() when the fifo alone served this tick. */
	if (got)
		jitter_buffer_tick(j->jb);
	else if (j->started)
		jitter_buffer_remaining_span(j->jb, (j->fifo_len - need) / ratio);
	if (j->rs) {
		unsigned made = media__rs_run(j->rs, j->fifo, need, out, nout);

		if (made < nout)
			memset(out + made, 0, (nout - made) * sizeof(*out));
	} else {
		memcpy(out, j->fifo, need * sizeof(*out));
	}
	j->fifo_len -= need;
	memmove(j->fifo, j->fifo + need, j->fifo_len * sizeof(int16_t));
}
