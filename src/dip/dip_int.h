/*
 * Private structures of the dip module: queued requests, transfers in flight on the
 * worker's curl multi handle, and the JSON flattening. Nothing outside src/dip includes
 * this file.
 */
#ifndef CENTRALA_DIP_INT_H
#define CENTRALA_DIP_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dip/dip.h"

/* A request as queued: one allocation owns every string. */
struct dip_job {
	struct dip_job *next;
	uint64_t cookie;
	bool post;
	char *url;  /* with the query string already added for GET */
	char *body; /* POST: JSON text */
	struct curl_slist *headers;
	uint32_t timeout_ms;
	/* while in flight (worker only) */
	struct dip_job *next_active;
	CURL *easy;
	char *resp;
	size_t nresp;
	size_t max_body;
	bool too_large;
	char errbuf[CURL_ERROR_SIZE];
};

struct dip {
	struct mq *results;
	struct dip_config cfg;
	pthread_t thread;
	bool started;
	CURLM *multi;
	pthread_mutex_t lock; /* protects inbox, stop */
	struct dip_job *inbox, *inbox_tail;
	bool stop;
	/* worker only */
	struct dip_job *waiting, *waiting_tail; /* taken from the inbox, not yet started */
	unsigned running;
	struct dip_job *active;		 /* transfers on the multi handle */
	struct dip_result **undelivered; /* results the queue had no room for */
	size_t nundelivered, capundelivered;
};

/* Builds a job from a request (copies everything); EINVAL or ENOMEM. */
int dip__job_build(const struct dip_request *req, struct dip_job **out);
void dip__job_free(struct dip_job *j);
/* Creates the easy handle of a job; ENOMEM. */
int dip__job_start(struct dip *d, struct dip_job *j);
/* Turns a finished transfer into a result (NULL on allocation failure). */
struct dip_result *dip__job_result(struct dip *d, struct dip_job *j, CURLcode code);
/* Flattens a JSON text into r->fields; returns DIP_OK or DIP_ERR_NOT_JSON. */
enum dip_error dip__flatten(const char *text, size_t len, size_t max_fields, struct dip_result *r);

#endif
