/*
 * The TTS service: a queue of render requests and the one worker thread that owns
 * espeak-ng. Callers on any thread queue jobs under `lock`; the worker takes them in
 * order, answers from the disk cache when it can, otherwise synthesises, and then
 * either posts a struct tts_done to the results queue or wakes the synchronous caller.
 */
#include "tts/tts_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mq.h"

static void job_free(struct tts_job *j)
{
	if (j) {
		free(j->text);
		free(j);
	}
}

static void answer(struct tts *t, struct tts_job *j, int status, bool cached)
{
	if (j->wait) {
		pthread_mutex_lock(&j->wait->lock);
		j->wait->status = status;
		snprintf(j->wait->path, sizeof(j->wait->path), "%s", j->path);
		j->wait->done = true;
		pthread_cond_signal(&j->wait->cond);
		pthread_mutex_unlock(&j->wait->lock);
		return;
	}
	if (t->results) {
		struct tts_done d;
		memset(&d, 0, sizeof(d));
		d.kind = TTS_MSG_DONE;
		d.status = status;
		d.cookie = j->cookie;
		d.cached = cached;
		if (!status)
			snprintf(d.path, sizeof(d.path), "%s", j->path);
		/* A caller waits for this answer: give a full queue a second to drain. */
		for (int i = 0; mq_push(t->results, &d, sizeof(d)); i++) {
			if (i == 100) {
				log_error("tts",
					  "event=result_dropped cookie=%llu reason=queue_full",
					  (unsigned long long)j->cookie);
				break;
			}
			usleep(10000);
		}
	}
}

static void run_job(struct tts *t, struct tts_job *j)
{
	uint64_t key = tts__cache_path(t->dir, j);
	bool known;
	int rc;

	pthread_mutex_lock(&t->lock);
	known = tts__known(t, key);
	pthread_mutex_unlock(&t->lock);
	if (known || access(j->path, R_OK) == 0) {
		pthread_mutex_lock(&t->lock);
		tts__known_add(t, key);
		t->stats.cache_hits++;
		pthread_mutex_unlock(&t->lock);
		answer(t, j, 0, true);
		return;
	}
	rc = tts__synth(j);
	pthread_mutex_lock(&t->lock);
	if (rc) {
		t->stats.failures++;
	} else {
		t->stats.syntheses++;
		tts__known_add(t, key);
	}
	pthread_mutex_unlock(&t->lock);
	if (rc)
		log_warn("tts", "event=synthesis_failed voice=%s error=%s", j->voice, strerror(rc));
	answer(t, j, rc, false);
}

static void *worker(void *arg)
{
	struct tts *t = arg;

	pthread_setname_np(pthread_self(), "tts");

	for (;;) {
		struct tts_job *j;
		pthread_mutex_lock(&t->lock);
		while (!t->head && !t->stop)
			pthread_cond_wait(&t->cond, &t->lock);
		if (t->stop) {
			pthread_mutex_unlock(&t->lock);
			break;
		}
		j = t->head;
		t->head = j->next;
		if (!t->head)
			t->tail = NULL;
		t->stats.queued--;
		pthread_mutex_unlock(&t->lock);
		run_job(t, j);
		job_free(j);
	}
	return NULL;
}

/* Creates a directory and its missing parents ("var/tts" on a fresh checkout). */
static int mkdir_p(const char *dir)
{
	char p[TTS_DIR_MAX + 1];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return errno;
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return errno;
	return 0;
}

int tts_create(const char *cache_dir, struct mq *results, struct tts **out)
{
	struct tts *t;
	int rc;

	if (!cache_dir || strlen(cache_dir) > TTS_DIR_MAX)
		return ENAMETOOLONG;
	rc = mkdir_p(cache_dir);
	if (rc)
		return rc;
	if (sodium_init() < 0)
		return EIO;
	t = calloc(1, sizeof(*t));
	if (!t)
		return ENOMEM;
	snprintf(t->dir, sizeof(t->dir), "%s", cache_dir);
	t->results = results;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	rc = tts__engine_acquire();
	if (rc)
		goto fail_engine;
	rc = pthread_create(&t->thread, NULL, worker, t);
	if (rc)
		goto fail_engine;
	t->started = true;
	*out = t;
	return 0;
fail_engine:
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
	return rc;
}

void tts_destroy(struct tts *t)
{
	struct tts_job *j;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (t->started)
		pthread_join(t->thread, NULL);
	while ((j = t->head)) {
		t->head = j->next;
		if (j->wait)
			answer(t, j, ECANCELED, false);
		job_free(j);
	}
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t->known);
	free(t);
}

static int enqueue(struct tts *t, const struct tts_params *p, uint64_t cookie, struct tts_wait *w)
{
	struct tts_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return ENOMEM;
	rc = tts__job_params(j, p);
	if (rc) {
		free(j);
		return rc;
	}
	j->text = strdup(p->text);
	if (!j->text) {
		free(j);
		return ENOMEM;
	}
	j->cookie = cookie;
	j->wait = w;
	pthread_mutex_lock(&t->lock);
	if (t->stop) {
		pthread_mutex_unlock(&t->lock);
		job_free(j);
		return ECANCELED;
	}
	if (t->tail)
		t->tail->next = j;
	else
		t->head = j;
	t->tail = j;
	t->stats.queued++;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

int tts_request(struct tts *t, const struct tts_params *p, uint64_t cookie)
{
	if (!t->results)
		return EINVAL;
	return enqueue(t, p, cookie, NULL);
}

int tts_render_sync(struct tts *t, const struct tts_params *p, char *path, size_t size)
{
	struct tts_wait w;
	int rc;

	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	rc = enqueue(t, p, 0, &w);
	if (!rc) {
		pthread_mutex_lock(&w.lock);
		while (!w.done)
			pthread_cond_wait(&w.cond, &w.lock);
		pthread_mutex_unlock(&w.lock);
		rc = w.status;
		if (!rc)
			snprintf(path, size, "%s", w.path);
	}
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	return rc;
}

void tts_stats(struct tts *t, struct tts_stats *out)
{
	pthread_mutex_lock(&t->lock);
	*out = t->stats;
	pthread_mutex_unlock(&t->lock);
}
