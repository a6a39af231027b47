/*
 * HTTP data dips: GET or POST to a company's CRM or billing system on behalf of an IVR
 * session, off the engine thread. Requests are copied into a queue served by one worker
 * thread running libcurl's multi interface (many requests in flight, each with its own
 * timeout); each result comes back as a message on the caller's queue. A JSON reply is
 * parsed with jansson and flattened into name/value pairs ("customer.balance",
 * "orders.0.id"); replies are capped in size.
 *
 * Threading: dip_request() may be called from any thread and never blocks on the
 * network. Memory: a result belongs to whoever pops its message, who frees it with
 * dip_result_free(). Drain the results queue before freeing it after dip_destroy().
 */
#ifndef CENTRALA_DIP_H
#define CENTRALA_DIP_H

#include <stddef.h>
#include <stdint.h>

struct mq;
struct dip;

#define DIP_MSG_RESULT 0x44495001u /* first field of a struct dip_msg */

struct dip_kv {
	const char *name;
	const char *value;
};

struct dip_request {
	uint64_t cookie;	      /* echoed in the result */
	const char *method;	      /* "GET" or "POST" */
	const char *url;	      /* http:// or https:// */
	const struct dip_kv *headers; /* extra request headers */
	size_t nheaders;
	const struct dip_kv *fields; /* GET: added to the query string; POST: a JSON object */
	size_t nfields;
	uint32_t timeout_ms; /* whole request; 0: 5 s */
};

enum dip_error {
	DIP_OK = 0,
	DIP_ERR_TIMEOUT,   /* no complete answer in time */
	DIP_ERR_CONNECT,   /* could not resolve or connect */
	DIP_ERR_HTTP,	   /* a status outside 2xx */
	DIP_ERR_NOT_JSON,  /* a 2xx body that is not JSON */
	DIP_ERR_TOO_LARGE, /* the body passed the size cap */
	DIP_ERR_OTHER,
};

struct dip_result {
	uint64_t cookie;
	enum dip_error error;
	int status; /* HTTP status, 0 when there was no response */
	uint32_t elapsed_ms;
	char message[128];     /* "ok", or what went wrong ("HTTP 500", "timeout after 3000 ms") */
	struct dip_kv *fields; /* the flattened JSON reply (on DIP_OK) */
	size_t nfields;
};

/* What arrives on the results queue. */
struct dip_msg {
	uint32_t kind; /* DIP_MSG_RESULT */
	struct dip_result *result;
};

struct dip_config {
	size_t max_body;       /* bytes of reply accepted; 0: 64 KiB */
	size_t max_fields;     /* flattened fields kept; 0: 128 */
	unsigned max_parallel; /* requests in flight; 0: 32 (the rest wait in order) */
};

/* Starts the worker. `results` (not NULL) receives struct dip_msg messages; `cfg` may be
 * NULL for the defaults. Returns 0, ENOMEM, EIO (libcurl) or the thread's errno. */
int dip_create(struct mq *results, const struct dip_config *cfg, struct dip **out);
/* Stops the worker: requests in flight or waiting are dropped without a result. */
void dip_destroy(struct dip *d);
/* Queues a request (everything is copied). Returns 0, or EINVAL (method, URL, a header
 * with a line break, no results queue) or ENOMEM; on error no result will come. */
int dip_request(struct dip *d, const struct dip_request *req);
void dip_result_free(struct dip_result *r);
/* A field of the result, or NULL. */
const char *dip_result_get(const struct dip_result *r, const char *name);
/* "ok", "timeout", "connect", "http", "not_json", "too_large", "other". */
const char *dip_error_name(enum dip_error e);

#endif
