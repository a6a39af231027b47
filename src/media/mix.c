/*
 * Conferences. On every tick the mixer takes 20 ms of each member's received audio from
 * its jitter buffer (at the mix rate: 16 kHz when a member speaks G.722, else 8 kHz),
 * sums what everyone may hear, and sends each member the sum minus its own voice, plus
 * any whisper meant for it. Modes: FULL hears all and is heard by all; LISTEN hears all
 * and is heard by none (silent monitoring); WHISPER hears all and is heard only by its
 * `whisper_to` (coaching an agent). A recording of a mix is stereo at 8 kHz: the first
 * member (usually the customer) on the left, every other FULL member on the right.
 * Members are on the mix's worker, so no lock is needed.
 */
#include "media/media_int.h"

#include "core/log.h"

#include <stdlib.h>
#include <string.h>

static int16_t clip(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

static struct media__mix_member *find(struct media_mix *x, const struct media_session *s)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->mem[i].s == s)
			return &x->mem[i];
	return NULL;
}

void media__mix_update(struct media__worker *w, struct media_mix *x)
{
	unsigned rate = 8000;

	(void)w;
	for (size_t i = 0; i < x->n; i++)
		if (x->mem[i].s->configured && x->mem[i].s->p.codec == MEDIA_CODEC_G722)
			rate = 16000;
	x->rate = rate;
	for (size_t i = 0; i < x->n; i++) {
		struct media_session *s = x->mem[i].s;
		enum media_codec c = s->configured ? s->p.codec : MEDIA_CODEC_PCMU;
		int err = s->jbuf ? media__jbuf_reconfigure(s->jbuf, c, rate)
				  : media__jbuf_new(c, rate, &s->jbuf);

		if (err)
			log_error("media", "owner=%llu error=jbuf_alloc",
				  (unsigned long long)s->owner);
		if (s->configured && media__codec_state_ensure(s))
			log_error("media", "owner=%llu error=codec_alloc",
				  (unsigned long long)s->owner);
	}
	if (x->rec && x->rate != x->rec->rate) {
		media__rs_ensure(&x->rec_rs[0], x->rate, x->rec->rate);
		media__rs_ensure(&x->rec_rs[1], x->rate, x->rec->rate);
	}
}

void media__mix_join_apply(struct media__worker *w, struct media_mix *x, struct media_session *s,
			   enum media_mix_mode mode, struct media_session *whisper_to,
			   struct media__rec *rec)
{
	struct media__mix_member *mm;

	if (!x->attached) {
		x->attached = true;
		if (w->nmixes == w->capmixes) {
			size_t cap = w->capmixes ? w->capmixes * 2 : 16;
			struct media_mix **p = realloc(w->mixes, cap * sizeof(*p));

			if (!p) {
				log_error("media", "error=mix_alloc");
				return;
			}
			w->mixes = p;
			w->capmixes = cap;
		}
		x->list_idx = w->nmixes;
		w->mixes[w->nmixes++] = x;
	}
	if (rec) {
		/* Fed by the mix's tick, so not listed in w->recs. */
		rec->list_idx = SIZE_MAX;
		x->rec = rec;
	}
	mm = find(x, s);
	if (mm) {
		mm->mode = mode;
		mm->whisper_to = whisper_to;
		return;
	}
	if (s->role == MEDIA__ROLE_BRIDGE)
		media__bridge_leave(w, s);
	else if (s->role == MEDIA__ROLE_MIX)
		media__mix_leave_apply(w, s->mix, s);
	if (x->n == MEDIA__MIX_MAX)
		return;
	mm = &x->mem[x->n++];
	memset(mm, 0, sizeof(*mm));
	mm->s = s;
	mm->mode = mode;
	mm->whisper_to = whisper_to;
	s->mix = x;
	s->role = MEDIA__ROLE_MIX;
	media__mix_update(w, x);
}

void media__mix_leave_apply(struct media__worker *w, struct media_mix *x, struct media_session *s)
{
	struct media__mix_member *mm = find(x, s);

	if (!mm)
		return;
	*mm = x->mem[--x->n];
	for (size_t i = 0; i < x->n; i++)
		if (x->mem[i].whisper_to == s)
			x->mem[i].whisper_to = NULL;
	s->mix = NULL;
	s->role = MEDIA__ROLE_NONE;
	media__jbuf_free(s->jbuf);
	s->jbuf = NULL;
	media__tx_idle(s);
	media__mix_update(w, x);
}

void media__mix_free_apply(struct media__worker *w, struct media_mix *x)
{
	while (x->n)
		media__mix_leave_apply(w, x, x->mem[x->n - 1].s);
	if (x->rec) {
		media__rec_finish(w, x->rec);
		x->rec = NULL;
	}
	if (x->attached) {
		struct media_mix *last = w->mixes[--w->nmixes];

		w->mixes[x->list_idx] = last;
		last->list_idx = x->list_idx;
	}
	media__rs_free(&x->rec_rs[0]);
	media__rs_free(&x->rec_rs[1]);
	free(x);
}

void media__mix_tick(struct media__worker *w, struct media_mix *x)
{
	unsigned n = x->rate / 50;
	int32_t sum[320], right[320];
	int16_t out[320];

	if (x->n == 0 && !x->rec)
		return;
	memset(sum, 0, sizeof(sum));
	for (size_t i = 0; i < x->n; i++) {
		struct media__mix_member *mm = &x->mem[i];

		if (mm->s->jbuf)
			media__jbuf_get(mm->s->jbuf, mm->frame);
		else
			memset(mm->frame, 0, sizeof(mm->frame));
		if (mm->mode == MEDIA_MIX_FULL)
			for (unsigned k = 0; k < n; k++)
				sum[k] += mm->frame[k];
	}
	for (size_t i = 0; i < x->n; i++) {
		struct media__mix_member *mm = &x->mem[i];
		struct media_session *s = mm->s;

		if (!media__tx_allowed(s) || media__tx_busy(s))
			continue;
		for (unsigned k = 0; k < n; k++) {
			int32_t v = sum[k];

			if (mm->mode == MEDIA_MIX_FULL)
				v -= mm->frame[k];
			out[k] = clip(v);
		}
		for (size_t j = 0; j < x->n; j++) {
			const struct media__mix_member *o = &x->mem[j];

			if (o->mode == MEDIA_MIX_WHISPER && o->whisper_to == s)
				for (unsigned k = 0; k < n; k++)
					out[k] = clip(out[k] + o->frame[k]);
		}
		media__tx_audio(w, s, out, n, x->rate);
	}
	if (x->rec) {
		const int16_t *ch[2];
		int16_t l[320], r[320], lr[320], rr[320];
		unsigned rn = x->rec->rate / 50;

		memcpy(right, sum, sizeof(sum));
		if (x->n && x->mem[0].mode == MEDIA_MIX_FULL)
			for (unsigned k = 0; k < n; k++)
				right[k] -= x->mem[0].frame[k];
		for (unsigned k = 0; k < n; k++) {
			l[k] = x->n ? x->mem[0].frame[k] : 0;
			r[k] = clip(right[k]);
		}
		ch[0] = l;
		ch[1] = r;
		if (x->rate != x->rec->rate && x->rec_rs[0] && x->rec_rs[1]) {
			unsigned a = media__rs_run(x->rec_rs[0], l, n, lr, rn);
			unsigned b = media__rs_run(x->rec_rs[1], r, n, rr, rn);

			if (a < rn)
				memset(lr + a, 0, (rn - a) * sizeof(int16_t));
			if (b < rn)
				memset(rr + b, 0, (rn - b) * sizeof(int16_t));
			ch[0] = lr;
			ch[1] = rr;
		}
		media__rec_write(w, x->rec, ch[0], ch[1], rn);
	}
}
