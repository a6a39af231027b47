/*
 * What the written channels' worker threads (mail_worker.c, sms_worker.c) share: a queue
 * of jobs (jansson objects) any thread may push to, a store connection of the worker's
 * own, and the thread's start and stop. What a worker does with its jobs is its own.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

struct job_msg {
	json_t *job;
};

int eng__worker_open(struct eng_worker *k, const char *store)
{
	int err;

	memset(k, 0, sizeof(*k));
	if ((err = mq_alloc(&k->jobs, 4096)))
		return err;
	if ((err = store_db_open(store, &k->db))) {
		mq_free(k->jobs);
		k->jobs = NULL;
	}
	return err;
}

int eng__worker_run(struct eng_worker *k, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(&k->th, NULL, fn, arg);

	k->running = !err;
	return err;
}

int eng__worker_push(struct eng_worker *k, json_t *job)
{
	struct job_msg m = {.job = job};
	int err;

	if (!job)
		return ENOMEM;
	if ((err = mq_push(k->jobs, &m, sizeof(m))))
		json_decref(job);
	return err;
}

json_t *eng__worker_pop(struct eng_worker *k)
{
	unsigned char buf[MQ_MSG_MAX];
	struct job_msg m;

	if (mq_pop(k->jobs, buf) != sizeof(m)) {
		/* Empty: the wake-up is cleared, then looked again (a push in between stays). */
		mq_drain_fd(k->jobs);
		if (mq_pop(k->jobs, buf) != sizeof(m))
			return NULL;
	}
	memcpy(&m, buf, sizeof(m));
	return m.job;
}

void eng__worker_wait(struct eng_worker *k, int ms)
{
	struct pollfd pfd = {.fd = mq_fd(k->jobs), .events = POLLIN};

	poll(&pfd, 1, ms);
}

void eng__worker_close(struct eng_worker *k)
{
	json_t *job;

	k->stop = 1;
	if (k->running)
		pthread_join(k->th, NULL);
	k->running = false;
	if (k->jobs) {
		while ((job = eng__worker_pop(k)))
			json_decref(job);
		mq_free(k->jobs);
	}
	if (k->db)
		store_db_close(k->db);
	k->jobs = NULL;
	k->db = NULL;
}
