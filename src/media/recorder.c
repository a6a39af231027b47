/*
 * Recordings. The worker assembles one second of interleaved stereo PCM at a time in a
 * chunk (left: side 0, right: side 1, silence where a side has nothing or the recording
 * is paused) and hands full chunks to the writer thread through a queue, so the packet
 * path never waits for the disk. The writer appends each chunk and rewrites the WAV
 * header (wav.c): the file is valid at every moment and at most about a second behind.
 * Chunks are recycled through a free list; a writer that falls behind costs memory, not
 * audio.
 */
#include "media/media_int.h"

#include "core/crec.h"
#include "core/log.h"
#include "core/mq.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define WRITER_QUEUE 16384

enum writer_op { OP_WRITE = 1, OP_CLOSE, OP_STOP };

struct writer_msg {
	enum writer_op op;
	struct media__rec *rec;
	struct media__chunk *chunk;
};

int media__rec_open(struct media *m, const char *path, uint32_t rate, uint64_t owner,
		    struct media__rec **out)
{
	struct media__rec *r = calloc(1, sizeof(*r));
	size_t plen = strlen(path), slen = strlen(CREC_SUFFIX);
	int err;

	if (!r)
		return ENOMEM;
	if (plen > slen && !strcmp(path + plen - slen, CREC_SUFFIX)) {
		/* Encrypted at rest: without its key, no recording rather than a clear one. */
		uint8_t key[CREC_KEY_BYTES];

		err = m->cfg.record_key ? m->cfg.record_key(m->cfg.record_key_arg, path, key)
					: ENOKEY;
		if (!err)
			err = media__wav_open_sealed(&r->wav, path, rate, 2, key);
		sodium_memzero(key, sizeof(key));
	} else {
		err = media__wav_open(&r->wav, path, rate, 2);
	}
	if (err) {
		log_warn("media", "owner=%llu event=record_open_failed path=%s errno=%d",
			 (unsigned long long)owner, path, err);
		free(r);
		return err;
	}
	r->m = m;
	r->owner = owner;
	r->rate = rate;
	r->chunk_bytes = (size_t)rate * 2 * sizeof(int16_t);
	atomic_init(&r->failed, false);
	atomic_fetch_add(&m->recordings, 1);
	*out = r;
	return 0;
}

void media__rec_discard(struct media__rec *r)
{
	struct media *m = r->m;

	media__wav_close(&r->wav);
	media__event(m, MEDIA_EV_RECORD_DONE, r->owner, NULL);
	atomic_fetch_sub(&m->recordings, 1);
	free(r);
}

static struct media__chunk *chunk_get(struct media *m, size_t bytes)
{
	int k = bytes > 32000;
	struct media__chunk *c;

	pthread_mutex_lock(&m->chunk_lock);
	c = m->free_chunks[k];
	if (c)
		m->free_chunks[k] = c->next;
	pthread_mutex_unlock(&m->chunk_lock);
	if (!c) {
		/* Once per second of recording at most, and only while the pool grows. */
		c = malloc(sizeof(*c) + bytes);
		if (!c)
			return NULL;
		c->cap = bytes;
	}
	c->next = NULL;
	c->len = 0;
	return c;
}

static void chunk_put(struct media *m, struct media__chunk *c)
{
	int k = c->cap > 32000;

	pthread_mutex_lock(&m->chunk_lock);
	c->next = m->free_chunks[k];
	m->free_chunks[k] = c;
	pthread_mutex_unlock(&m->chunk_lock);
}

void media__chunks_free(struct media *m)
{
	for (int k = 0; k < 2; k++) {
		while (m->free_chunks[k]) {
			struct media__chunk *c = m->free_chunks[k];

			m->free_chunks[k] = c->next;
			free(c);
		}
	}
}

void media__rec_start(struct media__worker *w, struct media__rec *r)
{
	r->list_idx = w->nrecs;
	w->recs[w->nrecs++] = r;
}

static void push_pending(struct media__worker *w, struct media__rec *r)
{
	while (r->pending_head) {
		struct media__chunk *c = r->pending_head, *next = c->next;
		struct writer_msg msg = {OP_WRITE, r, c};

		/* Once queued, the chunk is the writer's: read its link before. */
		if (mq_push(w->m->wq, &msg, sizeof(msg)) != 0)
			return; /* the writer is behind: keep it for the next tick */
		r->pending_head = next;
		if (!next)
			r->pending_tail = NULL;
	}
}

static void enqueue(struct media__rec *r, struct media__chunk *c)
{
	c->next = NULL;
	if (r->pending_tail)
		r->pending_tail->next = c;
	else
		r->pending_head = c;
	r->pending_tail = c;
}

void media__rec_write(struct media__worker *w, struct media__rec *r, const int16_t *left,
		      const int16_t *right, unsigned n)
{
	int16_t *out;

	if (atomic_load_explicit(&r->failed, memory_order_relaxed))
		return;
	if (r->pending_head)
		push_pending(w, r); /* the writer was behind at the last attempt */
	if (!r->cur) {
		r->cur = chunk_get(w->m, r->chunk_bytes);
		if (!r->cur)
			return;
	}
	if (n * 4 > r->cur->cap - r->cur->len)
		n = (unsigned)((r->cur->cap - r->cur->len) / 4);
	out = (int16_t *)(r->cur->data + r->cur->len);
	if (r->paused) {
		memset(out, 0, n * 4);
	} else {
		for (unsigned i = 0; i < n; i++) {
			out[2 * i] = left ? left[i] : 0;
			out[2 * i + 1] = right ? right[i] : 0;
		}
	}
	r->cur->len += n * 4;
	if (r->cur->len == r->cur->cap) {
		enqueue(r, r->cur);
		r->cur = NULL;
		push_pending(w, r);
	}
}

void media__rec_tick(struct media__worker *w, struct media__rec *r)
{
	const int16_t *ch[2] = {NULL, NULL};
	int16_t *buf[2] = {w->pcm_a, w->pcm_b};

	for (int i = 0; i < 2; i++) {
		struct media_session *s = r->side[i];

		/* The jitter buffer is drained even while paused, so that resuming picks up
		 * current audio rather than a backlog. */
		if (s && s->jbuf) {
			media__jbuf_get(s->jbuf, buf[i]);
			ch[i] = buf[i];
		}
	}
	media__rec_write(w, r, ch[0], ch[1], r->rate / 50);
}

static void writer_push(struct media *m, const struct writer_msg *msg)
{
	while (mq_push(m->wq, msg, sizeof(*msg)) == ENOBUFS) {
		struct timespec ts = {0, 100000};

		nanosleep(&ts, NULL);
	}
}

void media__rec_finish(struct media__worker *w, struct media__rec *r)
{
	struct writer_msg msg = {OP_CLOSE, r, NULL};

	if (r->list_idx < w->nrecs && w->recs[r->list_idx] == r) {
		struct media__rec *last = w->recs[--w->nrecs];

		w->recs[r->list_idx] = last;
		last->list_idx = r->list_idx;
	}
	if (r->cur) {
		if (r->cur->len)
			enqueue(r, r->cur);
		else
			chunk_put(w->m, r->cur);
		r->cur = NULL;
	}
	r->side[0] = r->side[1] = NULL;
	/* The rest must reach the writer: wait for room rather than lose the end. */
	while (r->pending_head) {
		struct media__chunk *c = r->pending_head;
		struct writer_msg wm = {OP_WRITE, r, c};

		r->pending_head = c->next;
		writer_push(w->m, &wm);
	}
	r->pending_tail = NULL;
	writer_push(w->m, &msg);
}

static void writer_handle(struct media *m, const struct writer_msg *msg)
{
	struct media__rec *r = msg->rec;
	int err;

	switch (msg->op) {
	case OP_WRITE:
		if (!atomic_load(&r->failed)) {
			err = media__wav_append(&r->wav, msg->chunk->data, msg->chunk->len);
			if (err) {
				atomic_store(&r->failed, true);
				log_error("media", "owner=%llu event=record_write_failed errno=%d",
					  (unsigned long long)r->owner, err);
				media__event(m, MEDIA_EV_RECORD_ERROR, r->owner, NULL);
			}
		}
		chunk_put(m, msg->chunk);
		break;
	case OP_CLOSE:
		err = media__wav_close(&r->wav);
		if (err && !atomic_load(&r->failed)) {
			atomic_store(&r->failed, true);
			media__event(m, MEDIA_EV_RECORD_ERROR, r->owner, NULL);
		}
		if (!atomic_load(&r->failed))
			media__event(m, MEDIA_EV_RECORD_DONE, r->owner, NULL);
		atomic_fetch_sub(&m->recordings, 1);
		free(r);
		break;
	case OP_STOP:
		break;
	}
}

static void *writer_main(void *arg)
{
	struct media *m = arg;
	union {
		struct writer_msg msg;
		unsigned char raw[MQ_MSG_MAX];
	} buf;

	pthread_setname_np(pthread_self(), "media-rec");
	for (;;) {
		struct pollfd pfd = {.fd = mq_fd(m->wq), .events = POLLIN};

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		mq_drain_fd(m->wq);
		while (mq_pop(m->wq, buf.raw) == sizeof(struct writer_msg)) {
			if (buf.msg.op == OP_STOP)
				return NULL;
			writer_handle(m, &buf.msg);
		}
	}
	return NULL;
}

int media__writer_start(struct media *m)
{
	int err = mq_alloc(&m->wq, WRITER_QUEUE);

	if (err)
		return err;
	err = pthread_create(&m->writer, NULL, writer_main, m);
	if (err) {
		mq_free(m->wq);
		m->wq = NULL;
		return err;
	}
	m->writer_started = true;
	return 0;
}

void media__writer_stop(struct media *m)
{
	if (m->writer_started) {
		struct writer_msg msg = {OP_STOP, NULL, NULL};

		/* Messages are handled in order: every close queued before this is done. */
		writer_push(m, &msg);
		pthread_join(m->writer, NULL);
		m->writer_started = false;
	}
	mq_free(m->wq);
	m->wq = NULL;
}
