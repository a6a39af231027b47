/*
 * The API's service thread: one libwebsockets context on http.listen, reading requests
 * (headers, query, a bounded body), handing them to route.c, and writing the answers
 * that the engine and the workers post back through the inbox. Other threads never
 * touch a connection: they post a reply or an event and wake the service thread with
 * lws_cancel_service.
 */
#include "api/api_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/crec.h"
#include "core/log.h"
#include "core/mq.h"

#define DEF(v, d) ((v) ? (v) : (d))

json_t *api__error_json(const char *code, const char *msg, const char *field)
{
	json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);

	if (e && field)
		json_object_set_new(e, "field", json_string(field));
	return json_pack("{s:o}", "error", e);
}

/* ---- the inbox ---- */

/* Whether the caller, who just added to the inbox under the lock, wakes the service
 * thread: only the first since its last drain does. Each lws_cancel_service is a write
 * to lws's pipe and a turn of the service loop (a poll over every socket); under 50
 * calls/s the engine posted an event per change, one wake each. Called with the lock. */
static bool wake_first(struct api *a)
{
	bool first = !a->woken;

	a->woken = true;
	return first;
}

void api__post(struct api *a, struct api_resp *r)
{
	bool wake;

	pthread_mutex_lock(&a->lock);
	if (a->resp_tail)
		a->resp_tail->next = r;
	else
		a->resp_head = r;
	a->resp_tail = r;
	wake = wake_first(a);
	pthread_mutex_unlock(&a->lock);
	if (wake && a->ctx)
		lws_cancel_service(a->ctx);
}

void api__resp_free(struct api_resp *r)
{
	api__download_free(r->dl);
	free(r->extra);
	free(r->store_body);
	free(r->body);
	free(r);
}

static struct api_resp *resp_new(uint64_t req, int status, const char *ctype, char *body,
				 size_t len)
{
	struct api_resp *r = calloc(1, sizeof(*r));

	if (!r) {
		free(body);
		return NULL;
	}
	r->req = req;
	r->status = status;
	r->ctype = ctype;
	r->body = body;
	r->len = len;
	return r;
}

void api_reply(struct api *a, uint64_t req, int status, json_t *body)
{
	char *text = NULL;
	struct api_resp *r;

	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (!text) {
			status = 500;
			text = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of "
				      "memory\"}}");
		}
	}
	r = resp_new(req, status, "application/json", text, text ? strlen(text) : 0);
	if (r)
		api__post(a, r);
}

void api_reply_text(struct api *a, uint64_t req, int status, const char *ctype, const char *text,
		    size_t len)
{
	char *copy = malloc(len + 1);
	struct api_resp *r;

	if (copy) {
		memcpy(copy, text, len);
		copy[len] = '\0';
	}
	r = resp_new(req, copy ? status : 500, ctype, copy, copy ? len : 0);
	if (r)
		api__post(a, r);
}

void api_reply_persist(struct api *a, const struct api_cmd *m, int status, json_t *body,
		       const char *kind, const char *key, const char *store_body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct api_resp *r;

	json_decref(body);
	r = resp_new(m->req, status, "application/json", text, text ? strlen(text) : 0);
	if (!r)
		return;
	r->persist = true;
	snprintf(r->tenant, sizeof(r->tenant), "%s", m->tenant);
	snprintf(r->user, sizeof(r->user), "%s", m->user);
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->store_body = store_body ? strdup(store_body) : NULL;
	api__post(a, r);
}

void api_reply_error(struct api *a, uint64_t req, int status, const char *code, const char *message)
{
	api_reply(a, req, status, api__error_json(code, message, NULL));
}

static int evin_post(struct api *a, struct api_evin *ev);

int api_phone_send(struct api *a, const char *tenant, const char *user, uint64_t ws,
		   const char *type, json_t *data)
{
	struct api_evin *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		json_decref(data);
		return ENOBUFS;
	}
	snprintf(ev->tenant, sizeof(ev->tenant), "%s", tenant);
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	snprintf(ev->agent, sizeof(ev->agent), "%s", user);
	ev->data = data ? data : json_object();
	ev->ts_ms = clock_wall_ms();
	ev->direct = true;
	ev->ws = ws;
	return evin_post(a, ev);
}

int api_event(struct api *a, const char *tenant, const char *type, const char *agent, json_t *data)
{
	struct api_evin *ev = calloc(1, sizeof(*ev));

	if (!ev) {
		atomic_fetch_add(&a->n_events_dropped, 1);
		json_decref(data);
		return ENOBUFS;
	}
	snprintf(ev->tenant, sizeof(ev->tenant), "%s", tenant);
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	snprintf(ev->agent, sizeof(ev->agent), "%s", agent ? agent : "");
	ev->data = data ? data : json_object();
	ev->ts_ms = clock_wall_ms();
	return evin_post(a, ev);
}

static int evin_post(struct api *a, struct api_evin *ev)
{
	bool wake;

	pthread_mutex_lock(&a->lock);
	if (a->ev_inbox >= 65536) {
		pthread_mutex_unlock(&a->lock);
		atomic_fetch_add(&a->n_events_dropped, 1);
		json_decref(ev->data);
		free(ev);
		return ENOBUFS;
	}
	a->ev_inbox++;
	if (a->ev_tail)
		a->ev_tail->next = ev;
	else
		a->ev_head = ev;
	a->ev_tail = ev;
	wake = wake_first(a);
	pthread_mutex_unlock(&a->lock);
	if (wake && a->ctx)
		lws_cancel_service(a->ctx);
	return 0;
}

int api_visitor_event(struct api *a, const char *tenant, const char *token, json_t *msg)
{
	/* Through the events' inbox, marked by a type no event has. */
	return api_event(a, tenant, API_VISITOR_TYPE, token, msg);
}

void api_stats(struct api *a, struct api_stats *out)
{
	out->requests = atomic_load(&a->n_requests);
	out->events = atomic_load(&a->n_events);
	out->events_dropped = atomic_load(&a->n_events_dropped);
	out->ws_dropped_slow = atomic_load(&a->n_ws_dropped_slow);
	out->ws_clients = atomic_load(&a->n_ws);
	out->sessions = atomic_load(&a->n_sessions);
}

void api_set_cfg(struct api *a, const struct cfg *cfg)
{
	__atomic_store_n(&a->c.cfg, cfg, __ATOMIC_RELEASE);
}

unsigned api_port(const struct api *a)
{
	return a->port;
}

/* ---- pending requests ---- */

int api__pending_add(struct api *a, struct api_conn *conn, uint64_t *out)
{
	uint64_t id = ++a->next_req;
	size_t slot = id & (API_PENDING_MAX - 1);

	if (a->pending[slot])
		return EBUSY;
	a->pending[slot] = conn->wsi;
	conn->req = id;
	conn->deadline_ms = clock_mono_ms() + DEF(a->c.req_timeout_ms, 5000);
	*out = id;
	return 0;
}

static void pending_del(struct api *a, struct api_conn *conn)
{
	if (conn->req) {
		size_t slot = conn->req & (API_PENDING_MAX - 1);
		if (a->pending[slot] == conn->wsi)
			a->pending[slot] = NULL;
		conn->req = 0;
	}
}

static void inbox_drain(struct api *a)
{
	struct api_resp *r, *rn;
	struct api_evin *ev, *en;

	pthread_mutex_lock(&a->lock);
	r = a->resp_head;
	a->resp_head = a->resp_tail = NULL;
	ev = a->ev_head;
	a->ev_head = a->ev_tail = NULL;
	a->ev_inbox = 0;
	a->woken = false;
	pthread_mutex_unlock(&a->lock);
	for (; r; r = rn) {
		size_t slot = r->req & (API_PENDING_MAX - 1);
		struct api_conn *conn = a->pending[slot] ? lws_wsi_user(a->pending[slot]) : NULL;
		rn = r->next;
		r->next = NULL;
		if (r->apply) {
			r->apply(a, r->arg);
			r->apply = NULL;
			r->arg = NULL;
		}
		if (conn && (conn->req != r->req || conn->resp))
			conn = NULL;
		if (a->audits[slot].note && a->audits[slot].req == r->req) {
			json_t *note = a->audits[slot].note;
			a->audits[slot].note = NULL;
			if (r->status >= 200 && r->status < 300) {
				/* Written first, answered after, like a stored object below. */
				struct api_job j;
				memset(&j, 0, sizeof(j));
				j.kind = JOB_AUDIT_WRITE;
				j.req = r->req;
				snprintf(j.tenant, sizeof(j.tenant), "%s",
					 json_string_value(json_object_get(note, "tenant")));
				snprintf(j.user, sizeof(j.user), "%s",
					 json_string_value(json_object_get(note, "user")));
				j.args = note;
				j.resp = r;
				if (conn)
					conn->deadline_ms =
					    clock_mono_ms() + DEF(a->c.req_timeout_ms, 5000);
				api__job_pending(a, &j);
				continue;
			}
			json_decref(note);
		}
		if (r->persist) {
			/* Stored first, answered after: the request stays pending meanwhile. The
			 * change is live already, so it is stored even when its client has gone
			 * (a 504 sent, the connection closed); the answer is then dropped. */
			struct api_job j;
			memset(&j, 0, sizeof(j));
			j.kind = JOB_OBJECT_SAVE;
			j.req = r->req;
			j.roles = conn ? conn->roles : 0;
			snprintf(j.tenant, sizeof(j.tenant), "%s", r->tenant);
			snprintf(j.user, sizeof(j.user), "%s", r->user);
			r->persist = false;
			j.resp = r;
			if (conn)
				conn->deadline_ms =
				    clock_mono_ms() + DEF(a->c.req_timeout_ms, 5000);
			else
				log_info(
				    "api",
				    "tenant=%s event=object_stored_unanswered object=%s key=%s "
				    "note=\"the client had gone: stored all the same\"",
				    r->tenant, r->kind, r->key);
			api__job_pending(a, &j);
			continue;
		}
		if (!conn) {
			api__resp_free(r);
			continue;
		}
		pending_del(a, conn);
		if (r->login) {
			/* The password checked out on a worker: the session is made here. */
			char tok[64];
			free(r->body);
			r->body = NULL;
			api__login_ok(a, r->tenant, r->user);
			if (api__session_new(a, r->tenant, r->user, r->roles, tok)) {
				r->status = 500;
				r->body = strdup("{\"error\":{\"code\":\"internal\",\"message\":"
						 "\"out of memory\"}}");
			} else {
				json_t *j = json_pack("{s:s, s:s, s:s, s:o}", "token", tok,
						      "tenant", r->tenant, "username", r->user,
						      "roles", api__roles_json(r->roles));
				r->body = json_dumps(j, JSON_COMPACT);
				json_decref(j);
				sodium_memzero(tok, sizeof(tok));
			}
			r->len = r->body ? strlen(r->body) : 0;
		} else if (r->status == API_NOT_LIVE) {
			api__resp_free(r);
			api__disposition_stored(conn);
			continue;
		} else if (r->status == 401 && !strcmp(conn->path, "/api/v1/login")) {
			json_t *b = api__body(conn); /* parsed once already: it is valid */
			const char *t = json_string_value(json_object_get(b, "tenant"));
			const char *u = json_string_value(json_object_get(b, "username"));
			api__login_failed(a, conn->peer, t ? t : "", u ? u : "");
			json_decref(b);
		}
		conn->resp = r;
		lws_callback_on_writable(conn->wsi);
	}
	for (; ev; ev = en) {
		en = ev->next;
		api__event_in(a, ev);
	}
}

/* ---- writing ---- */

int api__out_reserve(struct api *a, size_t need)
{
	unsigned char *p;

	if (need <= a->out_cap)
		return 0;
	p = realloc(a->out, need);
	if (!p)
		return ENOMEM;
	a->out = p;
	a->out_cap = need;
	return 0;
}

static const char *status_text(int s)
{
	switch (s) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return s >= 500 ? "Internal Server Error" : "Error";
	}
}

/* Headers and body in one write: pipelined requests keep their bodies that way. Returns
 * lws's verdict for the connection (non-zero: close it). */
static int write_resp(struct api_conn *conn, const struct api_resp *r)
{
	struct api *a = conn->a;
	char head[512];
	int hl, n;

	hl = snprintf(head, sizeof(head),
		      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
		      r->status, status_text(r->status), r->ctype ? r->ctype : "application/json",
		      r->len, r->status == 401 ? "WWW-Authenticate: Bearer\r\n" : "");
	if (api__out_reserve(a, LWS_PRE + (size_t)hl + r->len))
		return -1;
	memcpy(a->out + LWS_PRE, head, (size_t)hl);
	if (r->len)
		memcpy(a->out + LWS_PRE + hl, r->body, r->len);
	n = lws_write(conn->wsi, a->out + LWS_PRE, (size_t)hl + r->len, LWS_WRITE_HTTP_HEADERS);
	if (n < 0)
		return -1;
	return lws_http_transaction_completed(conn->wsi) ? -1 : 0;
}

/* One answer per request: a second (which would be a bug) replaces the first. */
static void set_resp(struct api_conn *conn, struct api_resp *r)
{
	if (conn->resp) {
		log_error("api", "event=double_response path=%s", conn->path);
		api__resp_free(conn->resp);
	}
	conn->resp = r;
	lws_callback_on_writable(conn->wsi);
}

void api__respond_text(struct api_conn *conn, int status, const char *ctype, const char *text,
		       size_t len)
{
	struct api_resp *r;
	char *copy = malloc(len + 1);

	if (copy) {
		memcpy(copy, text, len);
		copy[len] = '\0';
	}
	r = resp_new(0, copy ? status : 500, ctype, copy, copy ? len : 0);
	if (!r)
		return;
	set_resp(conn, r);
}

void api__respond(struct api_conn *conn, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct api_resp *r;

	json_decref(body);
	r = resp_new(0, status, "application/json", text, text ? strlen(text) : 0);
	if (!r)
		return;
	set_resp(conn, r);
}

void api__respond_error(struct api_conn *conn, int status, const char *code, const char *msg,
			const char *field)
{
	api__respond(conn, status, api__error_json(code, msg, field));
}

void api__engine(struct api_conn *conn, const struct api_session *s, enum api_op op,
		 const char *target, json_t *args)
{
	api__engine_obj(conn, s, op, target, args, NULL);
}

void api__engine_audit(struct api_conn *conn, const struct api_session *s, enum api_op op,
		       const char *target, json_t *args, const char *object, const char *key,
		       const char *action, const char *detail)
{
	struct api *a = conn->a;
	size_t slot;

	api__engine_obj(conn, s, op, target, args, NULL);
	if (!conn->req)
		return; /* refused (answered already) */
	slot = conn->req & (API_PENDING_MAX - 1);
	json_decref(a->audits[slot].note); /* a command the engine never answered */
	a->audits[slot].req = conn->req;
	a->audits[slot].note =
	    json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s?}", "tenant", s->tenant, "user", s->user,
		      "object", object, "key", key, "action", action, "detail", detail);
}

void api__audit_detail(const json_t *b, const char *const *shown, char *out, size_t size)
{
	const char *k;
	json_t *v;
	size_t off = (size_t)snprintf(out, size, "fields=");
	int n;

	json_object_foreach((json_t *)b, k, v)
	{
		n = snprintf(out + off, size - off, "%s%s", off > 7 ? "," : "", k);
		if (n < 0 || (size_t)n >= size - off)
			return;
		off += (size_t)n;
	}
	for (size_t i = 0; shown && shown[i]; i++) {
		v = json_object_get(b, shown[i]);
		if (json_is_string(v))
			n = snprintf(out + off, size - off, " %s=%s", shown[i],
				     json_string_value(v));
		else if (json_is_boolean(v))
			n = snprintf(out + off, size - off, " %s=%s", shown[i],
				     json_is_true(v) ? "true" : "false");
		else
			continue;
		if (n < 0 || (size_t)n >= size - off) {
			out[off] = '\0';
			return;
		}
		off += (size_t)n;
	}
}

void api__engine_obj(struct api_conn *conn, const struct api_session *s, enum api_op op,
		     const char *target, json_t *args, struct cfg *obj)
{
	struct api *a = conn->a;
	struct api_cmd m;

	memset(&m, 0, sizeof(m));
	if (api__pending_add(a, conn, &m.req)) {
		json_decref(args);
		cfg_free(obj);
		api__respond_error(conn, 503, "busy", "too many requests in progress", NULL);
		return;
	}
	m.obj = obj;
	m.op = op;
	m.roles = s->roles;
	snprintf(m.tenant, sizeof(m.tenant), "%s", s->tenant);
	snprintf(m.user, sizeof(m.user), "%s", s->user);
	snprintf(m.target, sizeof(m.target), "%s", target ? target : "");
	m.args = args;
	if (!a->c.cmds || mq_push(a->c.cmds, &m, sizeof(m))) {
		pending_del(a, conn);
		json_decref(args);
		cfg_free(obj);
		api__respond_error(conn, 503, "busy", "the engine is not taking commands", NULL);
	}
}

const char *api__query(const struct api_conn *conn, const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name);
	const char *p = conn->query;

	while (*p) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			size_t vl = len - nl - 1;
			if (vl >= size)
				vl = size - 1;
			memcpy(buf, p + nl + 1, vl);
			buf[vl] = '\0';
			return buf;
		}
		p += len + (amp ? 1 : 0);
	}
	return NULL;
}

/* ---- reading ---- */

static enum api_method method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return M_GET;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
		return M_POST;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
		return M_PUT;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI))
		return M_PATCH;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
		return M_DELETE;
	return M_OTHER;
}

/* The query string, its arguments URL-decoded by lws, joined again with '&'. */
static void read_query(struct api_conn *conn)
{
	size_t off = 0;
	char frag[API_QUERY_MAX];

	conn->query[0] = '\0';
	for (int i = 0;; i++) {
		int n = lws_hdr_copy_fragment(conn->wsi, frag, sizeof(frag),
					      WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n <= 0)
			break;
		if (off + (size_t)n + 2 >= sizeof(conn->query))
			break;
		if (off)
			conn->query[off++] = '&';
		memcpy(conn->query + off, frag, (size_t)n);
		off += (size_t)n;
		conn->query[off] = '\0';
	}
}

static void read_peer(struct api_conn *conn)
{
	lws_get_peer_simple(conn->wsi, conn->peer, sizeof(conn->peer));
}

static void conn_reset(struct api_conn *conn)
{
	pending_del(conn->a, conn);
	free(conn->body);
	conn->body = NULL;
	conn->body_len = conn->body_cap = 0;
	conn->body_too_big = false;
	conn->dispatched = false;
	if (conn->resp) {
		api__resp_free(conn->resp);
		conn->resp = NULL;
	}
	api__file_close(conn);
}

static int body_add(struct api_conn *conn, const void *in, size_t len)
{
	size_t max = DEF(conn->a->c.max_body, 1u << 20);

	if (!len)
		return 0;
	if (conn->body_too_big || conn->body_len + len > max) {
		conn->body_too_big = true;
		return 0;
	}
	if (conn->body_len + len + 1 > conn->body_cap) {
		size_t cap = conn->body_cap ? conn->body_cap * 2 : 1024;
		char *p;
		while (cap < conn->body_len + len + 1)
			cap *= 2;
		if (!(p = realloc(conn->body, cap)))
			return ENOMEM;
		conn->body = p;
		conn->body_cap = cap;
	}
	memcpy(conn->body + conn->body_len, in, len);
	conn->body_len += len;
	conn->body[conn->body_len] = '\0';
	return 0;
}

/* Static files of the web UI: a path under static_dir, no "..", index.html for "/". */
static const char *mime_of(const char *path)
{
	static const struct {
		const char *ext, *type;
	} t[] = {{".html", "text/html; charset=utf-8"},
		 {".js", "text/javascript; charset=utf-8"},
		 {".css", "text/css; charset=utf-8"},
		 {".json", "application/json"},
		 {".svg", "image/svg+xml"},
		 {".png", "image/png"},
		 {".ico", "image/x-icon"},
		 {".woff2", "font/woff2"},
		 {".wav", "audio/wav"}};
	const char *dot = strrchr(path, '.');

	for (size_t i = 0; dot && i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(dot, t[i].ext))
			return t[i].type;
	return "application/octet-stream";
}

/* Whether a coding's parameters (after its name) leave it acceptable: no "q=" weight
 * of zero ("q=0", "q=0.0", ...). */
static bool weight_ok(const char *q)
{
	q += strspn(q, " \t");
	if (*q != ';')
		return true;
	q += 1 + strspn(q + 1, " \t");
	return strncasecmp(q, "q=", 2) || strspn(q + 2, "0.") != strcspn(q + 2, " \t,");
}

/* Whether the request's Accept-Encoding takes gzip: named and not refused with q=0, or
 * not named and "*" taken. */
static bool accepts_gzip(struct lws *wsi)
{
	char ae[256];
	const char *s = ae;
	bool star = false;

	if (lws_hdr_copy(wsi, ae, sizeof(ae), WSI_TOKEN_HTTP_ACCEPT_ENCODING) <= 0)
		return false;
	while (*s) {
		size_t n;
		s += strspn(s, " \t,");
		n = strcspn(s, " \t,;");
		if (n == 4 && !strncasecmp(s, "gzip", 4))
			return weight_ok(s + n);
		if (n == 1 && *s == '*')
			star = weight_ok(s + n);
		s += strcspn(s, ",");
	}
	return star;
}

/* FILE.gz beside FILE, written by the web build, when it is at least as new as FILE. */
static bool gz_beside(const char *file, char *gz, size_t size)
{
	struct stat f, g;

	if ((size_t)snprintf(gz, size, "%s.gz", file) >= size)
		return false;
	return !stat(file, &f) && !stat(gz, &g) && S_ISREG(g.st_mode) && g.st_mtime >= f.st_mtime;
}

static int serve_static(struct api_conn *conn)
{
	struct api *a = conn->a;
	char file[API_PATH_MAX + 512], gz[API_PATH_MAX + 520];
	static const char vary[] = "Vary: Accept-Encoding\x0d\x0a";
	static const char gzipped[] = "Content-Encoding: gzip\x0d\x0aVary: Accept-Encoding\x0d\x0a";
	const char *p = conn->path;
	int n;

	if (!a->c.static_dir || conn->method != M_GET || strstr(p, "..")) {
		api__respond_error(conn, 404, "not_found", "no such resource", NULL);
		return 0;
	}
	if (!strcmp(p, "/"))
		p = "/index.html";
	snprintf(file, sizeof(file), "%s%s", a->c.static_dir, p);
	if (access(file, R_OK)) {
		/* A single-page application: unknown paths get its index. */
		snprintf(file, sizeof(file), "%s/index.html", a->c.static_dir);
		if (access(file, R_OK)) {
			api__respond_error(conn, 404, "not_found", "no such resource", NULL);
			return 0;
		}
	}
	/* The compressed copy to a browser that takes it; either way caches are told the
	 * answer depends on Accept-Encoding. */
	if (gz_beside(file, gz, sizeof(gz))) {
		if (accepts_gzip(conn->wsi))
			n = lws_serve_http_file(conn->wsi, gz, mime_of(file), gzipped,
						(int)sizeof(gzipped) - 1);
		else
			n = lws_serve_http_file(conn->wsi, file, mime_of(file), vary,
						(int)sizeof(vary) - 1);
	} else
		n = lws_serve_http_file(conn->wsi, file, mime_of(file), NULL, 0);
	if (n < 0 || (n > 0 && lws_http_transaction_completed(conn->wsi)))
		return -1;
	return 0;
}

static void dispatch(struct api_conn *conn)
{
	if (conn->dispatched)
		return;
	conn->dispatched = true;
	atomic_fetch_add(&conn->a->n_requests, 1);
	if (conn->body_too_big) {
		api__respond_error(conn, 413, "too_large", "request body too large", NULL);
		return;
	}
	if (!strncmp(conn->path, "/api/", 5) || !strcmp(conn->path, "/metrics") ||
	    !strcmp(conn->path, "/healthz")) {
		api__route(conn);
		return;
	}
	if (serve_static(conn))
		lws_set_timeout(conn->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
}

static void timeouts(struct api *a)
{
	uint64_t now = clock_mono_ms();

	for (size_t i = 0; i < API_PENDING_MAX; i++) {
		struct api_conn *conn = a->pending[i] ? lws_wsi_user(a->pending[i]) : NULL;
		if (conn && now >= conn->deadline_ms) {
			pending_del(a, conn);
			api__respond_error(conn, 504, "timeout", "no answer in time", NULL);
		}
	}
	api__sessions_expire(a);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct api_conn *conn = user;
	struct api *a = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		inbox_drain(a);
		return 0;
	case LWS_CALLBACK_HTTP:
		conn_reset(conn);
		conn->a = a;
		conn->wsi = wsi;
		conn->method = method_of(wsi);
		snprintf(conn->path, sizeof(conn->path), "%.*s", (int)len, (const char *)in);
		read_query(conn);
		read_peer(conn);
		if (conn->method == M_POST || conn->method == M_PUT || conn->method == M_PATCH) {
			/* The body follows (LWS_CALLBACK_HTTP_BODY); a request that declares none
			 * is dispatched at once. */
			if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
				char cl[24];
				lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH);
				if (strtoull(cl, NULL, 10) > DEF(a->c.max_body, 1u << 20)) {
					/* Answered now, once: the body that still comes is
					 * dropped, and its end does not dispatch again. */
					conn->body_too_big = true;
					dispatch(conn);
					return 0;
				}
				if (strtoull(cl, NULL, 10) > 0)
					return 0;
			}
		}
		dispatch(conn);
		return 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (body_add(conn, in, len))
			return -1;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		dispatch(conn);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (conn && conn->resp) {
			struct api_resp *r = conn->resp;
			int rc;
			conn->resp = NULL;
			rc = r->file ? api__file_start(conn, r) : write_resp(conn, r);
			api__resp_free(r);
			return rc;
		}
		if (conn && conn->file_open)
			return api__file_more(conn);
		return 0;
	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		/* The transaction or the connection is over; lws frees this data next. */
		if (conn && conn->a)
			conn_reset(conn);
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		/* A WebSocket: only on /api/v1/events, with a valid token. */
		char uri[64];
		struct api_session *s;
		memset(conn, 0, sizeof(*conn));
		conn->a = a;
		conn->wsi = wsi;
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
			return 1;
		if (!strcmp(uri, "/api/v1/public/chat")) {
			/* The web chat's visitors: no token (chat_ws.c). */
			read_query(conn);
			read_peer(conn);
			return api__chat_open(conn) ? 1 : 0;
		}
		if (strcmp(uri, "/api/v1/events"))
			return 1;
		read_query(conn);
		read_peer(conn);
		s = api__session(a, conn);
		return api__ws_open(conn, s) ? 1 : 0;
	}
	case LWS_CALLBACK_ESTABLISHED: {
		/* An event stream needs little kernel buffer; a small one also makes a reader
		 * that stopped reading show up in our own bounded queue soon. */
		int fd = lws_get_socket_fd(wsi), sz = 32768; /* events.c's WS_BATCH */
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		api__chat_established(conn);
		return 0;
	}
	case LWS_CALLBACK_RECEIVE:
		if (conn->chat)
			api__chat_rx(conn, in, len, lws_is_final_fragment(wsi));
		else
			api__ws_rx(conn, in, len, lws_is_final_fragment(wsi));
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (conn->chat)
			return api__chat_writable(conn);
		return api__ws_writable(conn);
	case LWS_CALLBACK_CLOSED:
		api__chat_close(conn);
		api__ws_close(conn);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols protocols[] = {
    {"centrala", callback, sizeof(struct api_conn), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

#define TICK_MS 250

/* Every TICK_MS on the service thread: lws_service waits for the next socket event or
 * scheduled callback, so without it a request waiting on the store or the engine would
 * be given its 504 only when some other socket woke the loop. */
static void tick(lws_sorted_usec_list_t *sul)
{
	struct api *a = lws_container_of(sul, struct api, tick);

	timeouts(a);
	lws_sul_schedule(a->ctx, 0, &a->tick, tick, TICK_MS * LWS_US_PER_MS);
}

static void *service(void *arg)
{
	struct api *a = arg;

	pthread_setname_np(pthread_self(), "api-http");

	lws_sul_schedule(a->ctx, 0, &a->tick, tick, TICK_MS * LWS_US_PER_MS);
	while (!a->stop)
		if (lws_service(a->ctx, 0) < 0)
			break;
	lws_sul_cancel(&a->tick);
	return NULL;
}

static int parse_listen(const char *s, char *host, size_t hsize, int *port)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;

	if (!colon || (size_t)(colon - s) >= hsize)
		return EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return EINVAL;
	*port = (int)p;
	return 0;
}

static void lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_write(level & LLL_ERR ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "api",
		  "event=lws msg=\"%.*s\"", (int)n, line);
}

/* Checks what the listener really bound: the address asked for, never a wider one. */
static int check_bound(struct api *a, const char *host)
{
	a->port = (unsigned)lws_get_vhost_listen_port(a->vh);
	(void)host;
	return 0;
}

int api_create(const struct api_config *c, struct api **out)
{
	struct lws_context_creation_info info;
	struct api *a;
	char host[64];
	int port, err;

	if (parse_listen(c->listen, host, sizeof(host), &port))
		return EINVAL;
	if (!(a = calloc(1, sizeof(*a))))
		return ENOMEM;
	a->c = *c;
	pthread_mutex_init(&a->lock, NULL);
	if ((err = api__sessions_init(a)) || (err = api__events_init(a)) ||
	    (err = api__keys_load(a)) || (err = api__webhooks_start(a)))
		goto fail;
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host;
	info.protocols = protocols;
	info.user = a;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.max_http_header_data = (unsigned short)DEF(c->header_max, 8192);
	info.keepalive_timeout = (int)DEF(c->idle_timeout_s, 60);
	info.timeout_secs = 20;
	info.ka_time = 0;
	info.alpn = "http/1.1";
	info.fd_limit_per_thread = 1 + DEF(c->ws_max, 20000) + 1024;
	if (c->tls_cert && c->tls_key) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = c->tls_cert;
		info.ssl_private_key_filepath = c->tls_key;
	}
	if (!(a->ctx = lws_create_context(&info))) {
		err = ENOMEM;
		goto fail;
	}
	if (!(a->vh = lws_create_vhost(a->ctx, &info))) {
		log_error("api", "event=listen_failed listen=%s", c->listen);
		err = EADDRINUSE;
		goto fail;
	}
	if ((err = check_bound(a, host)))
		goto fail;
	if ((err = api__workers_start(a)))
		goto fail;
	if (pthread_create(&a->thread, NULL, service, a)) {
		err = ENOMEM;
		goto fail_thread;
	}
	log_info("api", "event=http_listening listen=%s:%u tls=%d", host, a->port,
		 c->tls_cert && c->tls_key);
	*out = a;
	return 0;
fail_thread:
	api__workers_stop(a);
fail:
	if (a->ctx)
		lws_context_destroy(a->ctx);
	api__events_free(a);
	api__sessions_free(a);
	api__webhooks_stop(a);
	api__keys_free(a);
	for (size_t i = 0; i < API_PENDING_MAX; i++)
		json_decref(a->audits[i].note);
	pthread_mutex_destroy(&a->lock);
	free(a);
	return err;
}

void api_destroy(struct api *a)
{
	struct api_resp *r, *rn;
	struct api_evin *ev, *en;

	if (!a)
		return;
	a->stop = 1;
	lws_cancel_service(a->ctx);
	pthread_join(a->thread, NULL);
	api__workers_stop(a);
	lws_context_destroy(a->ctx);
	for (r = a->resp_head; r; r = rn) {
		rn = r->next;
		free(r->arg); /* an apply that never ran: plain allocations */
		api__resp_free(r);
	}
	for (ev = a->ev_head; ev; ev = en) {
		en = ev->next;
		json_decref(ev->data);
		free(ev);
	}
	api__events_free(a);
	api__sessions_free(a);
	api__webhooks_stop(a);
	api__keys_free(a);
	for (size_t i = 0; i < API_PENDING_MAX; i++)
		json_decref(a->audits[i].note);
	pthread_mutex_destroy(&a->lock);
	free(a->out);
	free(a);
}
