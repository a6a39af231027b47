/*
 * Two-party bridges. Both sessions point at each other; the packet path (rx.c) relays
 * every packet to the partner — header rewritten in place when the codecs match,
 * transcoded through linear PCM when they do not. A recorded bridge also gives each side
 * a jitter buffer that the recorder reads on the tick.
 */
#include "media/media_int.h"

#include "core/log.h"

static void ensure_codec_state(struct media_session *s)
{
	if (media__codec_state_ensure(s))
		log_error("media", "owner=%llu error=codec_alloc", (unsigned long long)s->owner);
}

void media__bridge_update(struct media__worker *w, struct media_session *s)
{
	struct media_session *peer = s->peer;
	bool transcode;

	(void)w;
	if (!peer)
		return;
	transcode = s->configured && peer->configured && s->p.codec != peer->p.codec;
	if (transcode != s->transcode) {
		/* Decoders and resamplers must not carry state across a change of mode. */
		if (s->down_rs)
			speex_resampler_reset_mem(s->down_rs);
		if (s->up_rs)
			speex_resampler_reset_mem(s->up_rs);
		if (peer->down_rs)
			speex_resampler_reset_mem(peer->down_rs);
		if (peer->up_rs)
			speex_resampler_reset_mem(peer->up_rs);
		media__opus_dec_reset(s->opus_dec);
		media__opus_dec_reset(peer->opus_dec);
	}
	s->transcode = peer->transcode = transcode;
	if (transcode) {
		ensure_codec_state(s);
		ensure_codec_state(peer);
	}
	if (s->rec) {
		for (int i = 0; i < 2; i++) {
			struct media_session *x = s->rec->side[i];

			if (x && x->jbuf && x->configured &&
			    media__jbuf_reconfigure(x->jbuf, x->p.codec, s->rec->rate) != 0)
				log_error("media", "owner=%llu error=jbuf_reconfigure",
					  (unsigned long long)x->owner);
		}
	}
	s->tx.resync = peer->tx.resync = true;
}

static void detach(struct media__worker *w, struct media_session *s)
{
	if (s->role == MEDIA__ROLE_BRIDGE)
		media__bridge_leave(w, s);
	else if (s->role == MEDIA__ROLE_MIX)
		media__mix_leave_apply(w, s->mix, s);
}

void media__bridge_apply(struct media__worker *w, struct media_session *a, struct media_session *b,
			 struct media__rec *rec)
{
	detach(w, a);
	detach(w, b);
	a->peer = b;
	b->peer = a;
	a->role = b->role = MEDIA__ROLE_BRIDGE;
	if (rec) {
		rec->side[0] = a;
		rec->side[1] = b;
		a->rec = b->rec = rec;
		for (int i = 0; i < 2; i++) {
			struct media_session *x = rec->side[i];
			enum media_codec c = x->configured ? x->p.codec : MEDIA_CODEC_PCMU;

			if (!x->jbuf && media__jbuf_new(c, rec->rate, &x->jbuf) != 0)
				log_error("media", "owner=%llu error=jbuf_alloc",
					  (unsigned long long)x->owner);
		}
		media__rec_start(w, rec);
	}
	media__bridge_update(w, a);
}

void media__bridge_leave(struct media__worker *w, struct media_session *s)
{
	struct media_session *peer = s->peer;
	struct media__rec *rec = s->rec;

	if (rec) {
		media__rec_finish(w, rec);
		s->rec = NULL;
		if (peer)
			peer->rec = NULL;
	}
	media__jbuf_free(s->jbuf);
	s->jbuf = NULL;
	s->peer = NULL;
	s->role = MEDIA__ROLE_NONE;
	s->transcode = false;
	s->tx.resync = true;
	if (peer) {
		media__jbuf_free(peer->jbuf);
		peer->jbuf = NULL;
		peer->peer = NULL;
		peer->role = MEDIA__ROLE_NONE;
		peer->transcode = false;
		peer->tx.resync = true;
	}
}
