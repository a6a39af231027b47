/*
 * RFC 4733 telephone-events for DTMF: the payload format, a receiver that reports each
 * digit exactly once however many of its packets (start, continuations, the three end
 * retransmissions) arrive or are lost, and a sender that turns queued digits into the
 * packet sequence the RFC asks for. Pure state machines driven by the caller's packets
 * and ticks; fuzzed by fuzz/rtp.c.
 */
#include "media/media_int.h"

#include <errno.h>

#define TE_VOLUME     10 /* -10 dBm0 */
#define TE_GAP_TICKS  2	 /* silence between two sent digits */
#define TE_ENDS	      3	 /* end packets sent per event */
#define TE_DEFAULT_MS 100
#define TE_MIN_MS     40

static const char digits[] = "0123456789*#ABCD";

int media__te_parse(const uint8_t *p, size_t len, struct media__te *out)
{
	if (len < 4)
		return EINVAL;
	out->event = p[0];
	out->end = (p[1] & 0x80) != 0;
	out->volume = p[1] & 0x3F;
	out->duration = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

void media__te_write(uint8_t p[4], const struct media__te *e)
{
	p[0] = e->event;
	p[1] = (uint8_t)((e->end ? 0x80 : 0) | (e->volume & 0x3F));
	p[2] = (uint8_t)(e->duration >> 8);
	p[3] = (uint8_t)e->duration;
}

char media__te_digit(uint8_t event)
{
	return event < 16 ? digits[event] : 0;
}

int media__te_event(char digit)
{
	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	for (int i = 0; i < 16; i++)
		if (digits[i] == digit)
			return i;
	return -1;
}

static void finish(struct media__dtmf_rx *r, unsigned clock_hz, struct media__dtmf_out *out)
{
	if (out->ndigits < 2) {
		uint32_t ms = (uint32_t)r->duration * 1000u / clock_hz;

		out->digit[out->ndigits] = media__te_digit(r->event);
		out->ms[out->ndigits] = (uint16_t)(ms > 0xFFFF ? 0xFFFF : ms);
		out->ndigits++;
	}
	r->active = false;
	r->done_valid = true;
	r->done_ts = r->ts;
}

void media__dtmf_rx_packet(struct media__dtmf_rx *r, uint32_t ts, const struct media__te *e,
			   unsigned clock_hz, uint64_t now_ms, struct media__dtmf_out *out)
{
	out->started = false;
	out->ndigits = 0;
	if (!media__te_digit(e->event))
		return; /* flash-hook and other events are not digits */
	if (r->done_valid && ts == r->done_ts)
		return; /* a retransmitted end, or a late packet of a reported digit */
	if (r->active && ts != r->ts) {
		if (media__ts_diff(ts, r->ts) < 0)
			return; /* an old event's straggler */
		/* A new event began before the old one's end arrived: all its ends were lost. */
		finish(r, clock_hz, out);
	}
	if (!r->active) {
		if (r->done_valid && media__ts_diff(ts, r->done_ts) < 0)
			return;
		r->active = true;
		r->ts = ts;
		r->event = e->event;
		r->duration = e->duration;
		out->started = true;
	} else if (e->duration > r->duration) {
		r->duration = e->duration;
	}
	r->last_ms = now_ms;
	if (e->end)
		finish(r, clock_hz, out);
}

void media__dtmf_rx_expire(struct media__dtmf_rx *r, unsigned clock_hz, uint64_t now_ms,
			   uint32_t idle_ms, struct media__dtmf_out *out)
{
	out->started = false;
	out->ndigits = 0;
	if (r->active && now_ms - r->last_ms >= idle_ms)
		finish(r, clock_hz, out);
}

int media__dtmf_tx_queue(struct media__dtmf_tx *t, char digit, uint16_t duration_ms,
			 unsigned clock_hz)
{
	int ev = media__te_event(digit);
	uint32_t dur;

	if (ev < 0)
		return EINVAL;
	if (t->count == MEDIA__DTMF_QUEUE)
		return ENOBUFS;
	if (duration_ms == 0)
		duration_ms = TE_DEFAULT_MS;
	if (duration_ms < TE_MIN_MS)
		duration_ms = TE_MIN_MS;
	dur = (uint32_t)duration_ms * clock_hz / 1000u;
	if (dur > 0xFFFF)
		dur = 0xFFFF;
	unsigned i = (t->head + t->count) % MEDIA__DTMF_QUEUE;
	t->q[i].event = (uint8_t)ev;
	t->q[i].duration = (uint16_t)dur;
	t->count++;
	return 0;
}

bool media__dtmf_tx_tick(struct media__dtmf_tx *t, uint32_t ts_now, uint16_t step,
			 uint8_t payload[4], bool *marker, uint32_t *ts)
{
	struct media__te e;
	bool first = false;

	if (!t->active) {
		if (t->gap) {
			t->gap--;
			return false;
		}
		if (!t->count)
			return false;
		t->event = t->q[t->head].event;
		t->total = t->q[t->head].duration;
		t->head = (t->head + 1) % MEDIA__DTMF_QUEUE;
		t->count--;
		t->active = true;
		t->ts = ts_now;
		t->sent = 0;
		t->ends = 0;
		first = true;
	}
	if (t->sent < t->total)
		t->sent =
		    (uint16_t)((uint32_t)t->sent + step >= t->total ? t->total : t->sent + step);
	e.event = t->event;
	e.volume = TE_VOLUME;
	e.duration = t->sent;
	e.end = t->sent >= t->total;
	if (e.end && ++t->ends == TE_ENDS) {
		t->active = false;
		t->gap = TE_GAP_TICKS;
	}
	media__te_write(payload, &e);
	*marker = first;
	*ts = t->ts;
	return true;
}
