/*
 * The dip service: callers queue jobs in the inbox under `lock` and wake the worker
 * with curl_multi_wakeup(); the worker starts up to max_parallel transfers on its multi
 * handle, drives them with curl_multi_poll(), and posts each finished transfer's
 * result to the results queue. When that queue is full the result waits in the worker
 * and is offered again a few milliseconds later, so no result is lost.
 */
#include "dip/dip_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mq.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *dip_error_name(enum dip_error e)
{
	static const char *const names[] = {"ok",	"timeout",   "connect", "http",
					    "not_json", "too_large", "other"};

	return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "other";
}

void dip_result_free(struct dip_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfields; i++) {
		free((char *)r->fields[i].name);
		free((char *)r->fields[i].value);
	}
	free(r->fields);
	free(r);
}

const char *dip_result_get(const struct dip_result *r, const char *name)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].name, name))
			return r->fields[i].value;
	return NULL;
}

static bool deliver(struct dip *d, struct dip_result *r)
{
	struct dip_msg m = {.kind = DIP_MSG_RESULT, .result = r};

	return mq_push(d->results, &m, sizeof(m)) == 0;
}

static void keep_undelivered(struct dip *d, struct dip_result *r)
{
	if (d->nundelivered == d->capundelivered) {
		size_t cap = d->capundelivered ? d->capundelivered * 2 : 16;
		struct dip_result **v = realloc(d->undelivered, cap * sizeof(*v));
		if (!v) {
			log_error("dip", "event=result_dropped cookie=%llu reason=no_memory",
				  (unsigned long long)r->cookie);
			dip_result_free(r);
			return;
		}
		d->undelivered = v;
		d->capundelivered = cap;
	}
	d->undelivered[d->nundelivered++] = r;
}

static void retry_undelivered(struct dip *d)
{
	size_t k = 0;

	for (size_t i = 0; i < d->nundelivered; i++) {
		/* Keep the order: once one does not fit, the rest wait too. */
		if (k == 0 && deliver(d, d->undelivered[i]))
			continue;
		d->undelivered[k++] = d->undelivered[i];
	}
	d->nundelivered = k;
}

static void finish(struct dip *d, CURL *e, CURLcode code)
{
	struct dip_job *j = NULL;
	struct dip_result *r;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
	curl_multi_remove_handle(d->multi, e);
	d->running--;
	for (struct dip_job **p = &d->active; *p; p = &(*p)->next_active)
		if (*p == j) {
			*p = j->next_active;
			break;
		}
	r = dip__job_result(d, j, code);
	if (r) {
		log_debug("dip", "event=done cookie=%llu status=%d result=%s elapsed_ms=%u",
			  (unsigned long long)r->cookie, r->status, dip_error_name(r->error),
			  r->elapsed_ms);
		if (d->nundelivered || !deliver(d, r))
			keep_undelivered(d, r);
	}
	dip__job_free(j);
}

static void start_waiting(struct dip *d)
{
	pthread_mutex_lock(&d->lock);
	if (d->inbox) {
		if (d->waiting_tail)
			d->waiting_tail->next = d->inbox;
		else
			d->waiting = d->inbox;
		d->waiting_tail = d->inbox_tail;
		d->inbox = d->inbox_tail = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	while (d->waiting && d->running < d->cfg.max_parallel) {
		struct dip_job *j = d->waiting;
		d->waiting = j->next;
		if (!d->waiting)
			d->waiting_tail = NULL;
		j->next = NULL;
		if (dip__job_start(d, j)) {
			struct dip_result *r = calloc(1, sizeof(*r));
			if (r) {
				r->cookie = j->cookie;
				r->error = DIP_ERR_OTHER;
				snprintf(r->message, sizeof(r->message), "out of memory");
				if (d->nundelivered || !deliver(d, r))
					keep_undelivered(d, r);
			}
			dip__job_free(j);
			continue;
		}
		d->running++;
		j->next_active = d->active;
		d->active = j;
	}
}

static void *worker(void *arg)
{
	struct dip *d = arg;

	pthread_setname_np(pthread_self(), "dip");

	for (;;) {
		CURLMsg *msg;
		int running = 0, left = 0;
		bool stop;

		pthread_mutex_lock(&d->lock);
		stop = d->stop;
		pthread_mutex_unlock(&d->lock);
		if (stop)
			break;
		start_waiting(d);
		curl_multi_perform(d->multi, &running);
		while ((msg = curl_multi_info_read(d->multi, &left)))
			if (msg->msg == CURLMSG_DONE)
				finish(d, msg->easy_handle, msg->data.result);
		if (d->nundelivered)
			retry_undelivered(d);
		curl_multi_poll(d->multi, NULL, 0, d->nundelivered ? 10 : 1000, NULL);
	}
	return NULL;
}

int dip_create(struct mq *results, const struct dip_config *cfg, struct dip **out)
{
	struct dip *d;
	int rc;

	if (!results)
		return EINVAL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return EIO;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	if (cfg)
		d->cfg = *cfg;
	if (!d->cfg.max_body)
		d->cfg.max_body = 64 * 1024;
	if (!d->cfg.max_fields)
		d->cfg.max_fields = 128;
	if (!d->cfg.max_parallel)
		d->cfg.max_parallel = 32;
	d->results = results;
	pthread_mutex_init(&d->lock, NULL);
	d->multi = curl_multi_init();
	if (!d->multi) {
		rc = ENOMEM;
		goto fail_multi;
	}
	rc = pthread_create(&d->thread, NULL, worker, d);
	if (rc)
		goto fail_thread;
	d->started = true;
	*out = d;
	return 0;
fail_thread:
	curl_multi_cleanup(d->multi);
fail_multi:
	pthread_mutex_destroy(&d->lock);
	free(d);
	return rc;
}

static void free_jobs(struct dip_job *j)
{
	while (j) {
		struct dip_job *next = j->next;
		dip__job_free(j);
		j = next;
	}
}

void dip_destroy(struct dip *d)
{
	struct dip_job *j;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_mutex_unlock(&d->lock);
	curl_multi_wakeup(d->multi);
	if (d->started)
		pthread_join(d->thread, NULL);
	/* Transfers still in flight: detach and free them. */
	while ((j = d->active)) {
		d->active = j->next_active;
		curl_multi_remove_handle(d->multi, j->easy);
		dip__job_free(j);
	}
	free_jobs(d->inbox);
	free_jobs(d->waiting);
	for (size_t i = 0; i < d->nundelivered; i++)
		dip_result_free(d->undelivered[i]);
	free(d->undelivered);
	curl_multi_cleanup(d->multi);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int dip_request(struct dip *d, const struct dip_request *req)
{
	struct dip_job *j = NULL;
	int rc = dip__job_build(req, &j);

	if (rc)
		return rc;
	pthread_mutex_lock(&d->lock);
	if (d->stop) {
		pthread_mutex_unlock(&d->lock);
		dip__job_free(j);
		return ECANCELED;
	}
	if (d->inbox_tail)
		d->inbox_tail->next = j;
	else
		d->inbox = j;
	d->inbox_tail = j;
	pthread_mutex_unlock(&d->lock);
	curl_multi_wakeup(d->multi);
	return 0;
}
