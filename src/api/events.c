/*
 * Events: numbered per tenant, kept in a ring of the last http.limits.event_ring
 * (API_EVENT_RING unless set) for clients
 * that come back with ?since=N, and written to the WebSockets subscribed to them.
 *
 * Each event is serialised once into a reference-counted message that every recipient
 * queues by pointer. Recipients are found without a scan of the tenant's sockets: an
 * agent's own sockets (topic agent.me) by a map from username, the broad topics
 * (queues, agents, interactions) from the tenant's short list of subscribers to any of
 * them. A socket whose queue reaches ws_queue_max is closed: a slow reader costs a
 * bounded amount of memory, then reconnects with since=N.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mq.h"

#define DEF(v, d) ((v) ? (v) : (d))

enum {
	T_ME = 1,
	T_QUEUES = 2,
	T_AGENTS = 4,
	T_INTERACTIONS = 8,
	T_CAMPAIGNS = 16,
};

static const struct {
	const char *name;
	uint32_t bit;
	uint32_t roles; /* who may subscribe */
} topics[] = {
    {"agent.me", T_ME, API_ROLE_AGENT | API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA},
    {"queues", T_QUEUES, API_ROLE_AGENT | API_ROLE_SUPERVISOR | API_ROLE_ADMIN},
    {"agents", T_AGENTS, API_ROLE_SUPERVISOR | API_ROLE_ADMIN},
    {"interactions", T_INTERACTIONS, API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA},
    {"campaigns", T_CAMPAIGNS, API_ROLE_SUPERVISOR | API_ROLE_ADMIN},
};

/* The broad topics an event type goes to (agent.me is by the event's agent). */
static uint32_t topics_of(const char *type)
{
	if (!strcmp(type, "agent.state") || !strcmp(type, "agent.queues"))
		return T_AGENTS;
	if (!strcmp(type, "queue.stats") || !strcmp(type, "contact.queued"))
		return T_QUEUES;
	if (!strncmp(type, "campaign.", 9))
		return T_CAMPAIGNS;
	if (!strncmp(type, "contact.", 8))
		return T_QUEUES | T_INTERACTIONS;
	return T_INTERACTIONS; /* call.*, recording.* */
}

struct api_msg {
	unsigned refs;
	uint64_t seq;
	uint32_t topics;
	char agent[48];
	size_t len;
	unsigned char *frame; /* the WebSocket frame: its header (inside buf's LWS_PRE), the text */
	size_t flen;
	unsigned char buf[]; /* LWS_PRE bytes, then the text */
};

/* A text frame's header takes at most 10 bytes (RFC 6455 5.2; a server's is unmasked). */
_Static_assert(LWS_PRE >= 10, "the frame header is built inside LWS_PRE");

/* What one writable turn of a socket sends in one write: its kernel buffer's size
 * (server.c sets SO_SNDBUF to it), so that the kernel usually takes it all. */
#define WS_BATCH 32768

struct ws_client {
	struct lws *wsi;
	struct api_session *sess;
	struct api_tenant *t;
	uint32_t topics;
	bool dead;
	bool have_since;
	uint64_t since;
	struct api_msg **q;
	unsigned qhead, qlen, qcap;
	struct ws_client *unext, *uprev; /* the user's sockets (agent.me) */
	struct ws_client *snext;	 /* the session's sockets */
	size_t bidx;			 /* index in t->broad, SIZE_MAX: none */
	uint64_t id;			 /* for the browser phone's messages (api_phone_send) */
	bool phone;			 /* it sent phone.offer: its close tells the engine */
	size_t inlen, incap;
	char *in; /* a message being received; grown up to WS_IN_MAX (an SDP offer) */
};

#define WS_IN_SMALL 1024
#define WS_IN_MAX   16384

struct api_tenant {
	char id[40];
	uint64_t seq;  /* the last event's number */
	uint64_t base; /* this run's numbers start after it (see tenant_get) */
	struct ws_client **broad;
	size_t nbroad, capbroad;
	struct strmap *users;	/* username → first ws_client with agent.me */
	atomic_uint nws;	/* its sockets, for /metrics (api_ws_clients_of) */
	size_t nring;		/* the ring's size */
	struct api_msg *ring[]; /* the last nring events, by seq % nring */
};

static void msg_unref(struct api_msg *m)
{
	if (m && !--m->refs)
		free(m);
}

int api__events_init(struct api *a)
{
	return strmap_create(64, &a->tenants);
}

void api__events_free(struct api *a)
{
	for (size_t i = 0; i < a->ntenants; i++) {
		struct api_tenant *t = a->tenant_list[i];
		for (size_t k = 0; k < t->nring; k++)
			msg_unref(t->ring[k]);
		free(t->broad);
		strmap_free(t->users);
		free(t);
	}
	free(a->tenant_list);
	a->tenant_list = NULL;
	a->ntenants = 0;
	strmap_free(a->tenants);
	a->tenants = NULL;
}

static struct api_tenant *tenant_get(struct api *a, const char *id)
{
	struct api_tenant *t = strmap_get(a->tenants, id), **list;
	size_t nring = DEF(a->c.event_ring, API_EVENT_RING);

	if (t)
		return t;
	if (!(t = calloc(1, sizeof(*t) + nring * sizeof(t->ring[0]))))
		return NULL;
	t->nring = nring;
	snprintf(t->id, sizeof(t->id), "%s", id);
	/* Numbers go on rising across restarts (a thousand per millisecond of wall clock
	 * to spare, within 2^53 for JavaScript), so a client that comes back with a number
	 * from before a restart is told to resync instead of missing events. */
	t->base = t->seq = (uint64_t)clock_wall_ms() * 1000;
	/* Under the lock: the engine's /metrics reads the map (api_ws_clients_of). */
	pthread_mutex_lock(&a->lock);
	list = realloc(a->tenant_list, (a->ntenants + 1) * sizeof(*list));
	if (!list || strmap_create(64, &t->users) || strmap_put(a->tenants, id, t)) {
		if (list)
			a->tenant_list = list;
		pthread_mutex_unlock(&a->lock);
		strmap_free(t->users);
		free(t);
		return NULL;
	}
	a->tenant_list = list;
	list[a->ntenants++] = t;
	pthread_mutex_unlock(&a->lock);
	return t;
}

static struct api_msg *msg_make(const char *text, size_t len, uint64_t seq, uint32_t tp,
				const char *agent)
{
	struct api_msg *m = malloc(sizeof(*m) + LWS_PRE + len);

	if (!m)
		return NULL;
	m->refs = 1;
	m->seq = seq;
	m->topics = tp;
	snprintf(m->agent, sizeof(m->agent), "%s", agent ? agent : "");
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	/* The frame is made once here, so that a socket's queued messages go out in one
	 * write of their frames laid end to end (api__ws_writable). */
	if (len < 126) {
		m->frame = m->buf + LWS_PRE - 2;
		m->frame[1] = (unsigned char)len;
	} else if (len < 65536) {
		m->frame = m->buf + LWS_PRE - 4;
		m->frame[1] = 126;
		m->frame[2] = (unsigned char)(len >> 8);
		m->frame[3] = (unsigned char)len;
	} else {
		m->frame = m->buf + LWS_PRE - 10;
		m->frame[1] = 127;
		for (int i = 0; i < 8; i++)
			m->frame[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	}
	m->frame[0] = 0x81; /* FIN, text */
	m->flen = (size_t)(m->buf + LWS_PRE + len - m->frame);
	return m;
}

static void client_kill(struct ws_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	lws_callback_on_writable(c->wsi);
}

static void client_push(struct api *a, struct ws_client *c, struct api_msg *m)
{
	unsigned max = DEF(a->c.ws_queue_max, 1024);

	if (c->dead)
		return;
	if (c->qlen == c->qcap) {
		unsigned cap = c->qcap ? c->qcap * 2 : 8;
		struct api_msg **q;
		if (c->qlen >= max || !(q = malloc(cap * sizeof(*q)))) {
			atomic_fetch_add(&a->n_ws_dropped_slow, 1);
			log_warn("api",
				 "tenant=%s event=ws_dropped user=%s reason=slow_reader queued=%u",
				 c->t->id, c->sess->user, c->qlen);
			client_kill(c);
			return;
		}
		for (unsigned i = 0; i < c->qlen; i++)
			q[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = q;
		c->qcap = cap;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qlen++) % c->qcap] = m;
	m->refs++;
	if (c->qlen == 1)
		lws_callback_on_writable(c->wsi);
}

static bool wants(const struct ws_client *c, const struct api_msg *m)
{
	if (c->topics & m->topics)
		return true;
	return (c->topics & T_ME) && m->agent[0] && !strcmp(m->agent, c->sess->user);
}

static void send_direct(struct api *a, struct ws_client *c, json_t *j);

/* api_phone_send's message to the user's socket(s) subscribed to agent.me. */
static void deliver_direct(struct api *a, struct api_tenant *t, const struct api_evin *ev)
{
	for (struct ws_client *c = strmap_get(t->users, ev->agent); c; c = c->unext)
		if (!ev->ws || c->id == ev->ws)
			send_direct(a, c,
				    json_pack("{s:s, s:O}", "type", ev->type, "data", ev->data));
}

void api__event_in(struct api *a, struct api_evin *ev)
{
	struct api_tenant *t = tenant_get(a, ev->tenant);
	char when[32];
	json_t *j;
	char *text;
	struct api_msg *m;
	uint32_t tp = topics_of(ev->type);

	if (!strcmp(ev->type, API_VISITOR_TYPE)) {
		api__chat_deliver(a, ev->tenant, ev->agent, ev->data);
		free(ev);
		return;
	}
	if (!t)
		goto out;
	if (ev->direct) {
		deliver_direct(a, t, ev);
		goto out;
	}
	clock_iso8601(ev->ts_ms, when, sizeof(when));
	j = json_pack("{s:I, s:s, s:s, s:O}", "seq", (json_int_t)(t->seq + 1), "type", ev->type,
		      "time", when, "data", ev->data);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text) {
		atomic_fetch_add(&a->n_events_dropped, 1);
		goto out;
	}
	m = msg_make(text, strlen(text), t->seq + 1, tp, ev->agent);
	free(text);
	if (!m) {
		atomic_fetch_add(&a->n_events_dropped, 1);
		goto out;
	}
	t->seq++;
	atomic_fetch_add(&a->n_events, 1);
	msg_unref(t->ring[t->seq % t->nring]);
	t->ring[t->seq % t->nring] = m; /* the ring holds the first reference */
	api__webhooks_offer(a, t->id, t->seq, ev->type, (const char *)m->buf + LWS_PRE, m->len);
	for (size_t i = 0; i < t->nbroad; i++)
		if (t->broad[i]->topics & tp)
			client_push(a, t->broad[i], m);
	if (ev->agent[0])
		for (struct ws_client *c = strmap_get(t->users, ev->agent); c; c = c->unext)
			if (!(c->topics & tp)) /* not already sent as a broad subscriber */
				client_push(a, c, m);
out:
	json_decref(ev->data);
	free(ev);
}

unsigned api_ws_clients_of(struct api *a, const char *tenant)
{
	struct api_tenant *t;
	unsigned n = 0;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	if (a->tenants && (t = strmap_get(a->tenants, tenant)))
		n = atomic_load(&t->nws);
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* ---- sockets ---- */

int api__ws_open(struct api_conn *conn, struct api_session *s)
{
	struct api *a = conn->a;
	struct ws_client *c;
	char buf[32];

	/* An operator's token names no tenant: it has no events socket. */
	if (!s || (s->roles & API_ROLE_OPERATOR) || !api__rate_ok(a, s))
		return EACCES;
	if (atomic_load(&a->n_ws) >= DEF(a->c.ws_max, 20000) || s->nws >= DEF(a->c.ws_per_token, 8))
		return EBUSY;
	if (!(c = calloc(1, sizeof(*c))))
		return ENOMEM;
	c->wsi = conn->wsi;
	c->sess = s;
	c->bidx = SIZE_MAX;
	c->id = ++a->next_ws_id;
	if (!(c->t = tenant_get(a, s->tenant))) {
		free(c);
		return ENOMEM;
	}
	if (api__query(conn, "since", buf, sizeof(buf))) {
		c->have_since = true;
		c->since = strtoull(buf, NULL, 10);
	}
	c->snext = s->ws;
	s->ws = c;
	s->nws++;
	conn->ws = c;
	atomic_fetch_add(&a->n_ws, 1);
	atomic_fetch_add(&c->t->nws, 1);
	return 0;
}

static void user_unlink(struct ws_client *c)
{
	if (!(c->topics & T_ME))
		return;
	if (c->uprev)
		c->uprev->unext = c->unext;
	else
		strmap_put(c->t->users, c->sess->user, c->unext);
	if (c->unext)
		c->unext->uprev = c->uprev;
	c->unext = c->uprev = NULL;
}

static void broad_unlink(struct ws_client *c)
{
	struct api_tenant *t = c->t;

	if (c->bidx == SIZE_MAX)
		return;
	t->broad[c->bidx] = t->broad[--t->nbroad];
	t->broad[c->bidx]->bidx = c->bidx;
	c->bidx = SIZE_MAX;
}

static void ws_error(struct api *a, struct ws_client *c, const char *code, const char *msg)
{
	send_direct(a, c,
		    json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code", code,
			      "message", msg));
}

/* Hands a browser phone message to the engine: API_OP_PHONE with no request to answer
 * (req 0), the socket's id as target; the engine answers with api_phone_send. */
static void phone_cmd(struct api *a, struct ws_client *c, const char *action, const char *sdp,
		      const char *type)
{
	struct api_cmd m;

	memset(&m, 0, sizeof(m));
	m.op = API_OP_PHONE;
	m.roles = c->sess->roles;
	snprintf(m.tenant, sizeof(m.tenant), "%s", c->sess->tenant);
	snprintf(m.user, sizeof(m.user), "%s", c->sess->user);
	snprintf(m.target, sizeof(m.target), "%llu", (unsigned long long)c->id);
	m.args = sdp ? json_pack("{s:s, s:s}", "action", action, "sdp", sdp)
		     : json_pack("{s:s}", "action", action);
	if (!m.args || !a->c.cmds || mq_push(a->c.cmds, &m, sizeof(m))) {
		json_decref(m.args);
		if (type)
			ws_error(a, c, "busy", "the engine is not taking commands");
	}
}

/* {"type": "phone.offer", "sdp": "..."}, "phone.accept", "phone.reject", "phone.hangup",
 * "phone.hold", "phone.resume", "phone.close": the browser phone of an agent whose
 * socket is subscribed to agent.me (where the answers come). */
static void phone_rx(struct api *a, struct ws_client *c, const char *type, json_t *j)
{
	static const char *const actions[] = {"offer", "accept", "reject", "hangup",
					      "hold",  "resume", "close",  NULL};
	const char *action = type + 6, *sdp = NULL;
	size_t i;

	for (i = 0; actions[i] && strcmp(actions[i], action); i++)
		;
	if (!actions[i]) {
		ws_error(a, c, "invalid_field", "unknown phone message");
		return;
	}
	if (!(c->sess->roles & (API_ROLE_AGENT | API_ROLE_SUPERVISOR))) {
		ws_error(a, c, "forbidden", "the browser phone is for agents and supervisors");
		return;
	}
	if (!(c->topics & T_ME)) {
		ws_error(a, c, "invalid_field", "subscribe to agent.me before phone messages");
		return;
	}
	if (!strcmp(action, "offer")) {
		sdp = json_string_value(json_object_get(j, "sdp"));
		if (!sdp || !*sdp) {
			ws_error(a, c, "invalid_field", "phone.offer needs sdp (a string)");
			return;
		}
		c->phone = true;
	}
	phone_cmd(a, c, action, sdp, type);
}

void api__ws_close(struct api_conn *conn)
{
	struct ws_client *c = conn ? conn->ws : NULL, **pp;

	if (!c)
		return;
	if (c->phone)
		phone_cmd(conn->a, c, "close", NULL, NULL);
	user_unlink(c);
	broad_unlink(c);
	for (pp = &c->sess->ws; *pp; pp = &(*pp)->snext)
		if (*pp == c) {
			*pp = c->snext;
			break;
		}
	c->sess->nws--;
	atomic_fetch_sub(&c->t->nws, 1);
	while (c->qlen) {
		msg_unref(c->q[c->qhead]);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	free(c->q);
	free(c->in);
	free(c);
	conn->ws = NULL;
	atomic_fetch_sub(&conn->a->n_ws, 1);
}

void api__ws_kill_session(struct api *a, struct api_session *s)
{
	(void)a;
	for (struct ws_client *c = s->ws; c; c = c->snext)
		client_kill(c);
}

static void send_direct(struct api *a, struct ws_client *c, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	struct api_msg *m = text ? msg_make(text, strlen(text), 0, 0, NULL) : NULL;

	free(text);
	json_decref(j);
	if (m) {
		client_push(a, c, m);
		msg_unref(m);
	}
}

static void replay(struct api *a, struct ws_client *c)
{
	struct api_tenant *t = c->t;
	uint64_t oldest = t->seq - t->base >= t->nring ? t->seq - t->nring + 1 : t->base + 1;

	if (c->since == t->seq)
		return;
	if (c->since > t->seq || c->since + 1 < oldest) {
		send_direct(a, c,
			    json_pack("{s:s, s:{s:I, s:I}}", "type", "resync", "data", "seq",
				      (json_int_t)t->seq, "oldest", (json_int_t)oldest));
		return;
	}
	for (uint64_t s = c->since + 1; s <= t->seq; s++) {
		struct api_msg *m = t->ring[s % t->nring];
		if (m && m->seq == s && wants(c, m))
			client_push(a, c, m);
	}
}

static void subscribe(struct api *a, struct ws_client *c, json_t *list)
{
	uint32_t want = 0;
	json_t *v, *names = json_array();
	size_t i;

	json_array_foreach(list, i, v)
	{
		const char *n = json_string_value(v);
		size_t k;
		for (k = 0; n && k < sizeof(topics) / sizeof(topics[0]); k++)
			if (!strcmp(n, topics[k].name))
				break;
		if (!n || k == sizeof(topics) / sizeof(topics[0]) ||
		    !(topics[k].roles & c->sess->roles)) {
			json_decref(names);
			send_direct(a, c,
				    json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error",
					      "code", "forbidden_topic", "message",
					      n ? n : "topics are strings"));
			return;
		}
		want |= topics[k].bit;
	}
	user_unlink(c);
	broad_unlink(c);
	c->topics = want;
	if (want & T_ME) {
		struct ws_client *head = strmap_get(c->t->users, c->sess->user);
		c->unext = head;
		c->uprev = NULL;
		if (head)
			head->uprev = c;
		strmap_put(c->t->users, c->sess->user, c);
	}
	if (want & ~(uint32_t)T_ME) {
		struct api_tenant *t = c->t;
		if (t->nbroad == t->capbroad) {
			size_t cap = t->capbroad ? t->capbroad * 2 : 16;
			struct ws_client **b = realloc(t->broad, cap * sizeof(*b));
			if (!b) {
				client_kill(c);
				json_decref(names);
				return;
			}
			t->broad = b;
			t->capbroad = cap;
		}
		c->bidx = t->nbroad;
		t->broad[t->nbroad++] = c;
	}
	for (size_t k = 0; k < sizeof(topics) / sizeof(topics[0]); k++)
		if (want & topics[k].bit)
			json_array_append_new(names, json_string(topics[k].name));
	send_direct(a, c,
		    json_pack("{s:s, s:{s:o, s:I}}", "type", "subscribed", "data", "topics", names,
			      "seq", (json_int_t)c->t->seq));
	if (c->have_since) {
		replay(a, c);
		c->have_since = false;
	}
}

void api__ws_rx(struct api_conn *conn, const void *in, size_t len, bool final)
{
	struct ws_client *c = conn->ws;
	struct api *a = conn->a;
	json_error_t e;
	json_t *j, *sub, *since;
	const char *type;

	if (!c || c->dead)
		return;
	if (c->inlen + len > c->incap && c->inlen + len <= WS_IN_MAX) {
		/* Most messages are small; an SDP offer takes a few kilobytes. */
		size_t cap = c->inlen + len <= WS_IN_SMALL ? WS_IN_SMALL : WS_IN_MAX;
		char *grown = realloc(c->in, cap);
		if (grown) {
			c->in = grown;
			c->incap = cap;
		}
	}
	if (c->inlen + len > c->incap) {
		c->inlen = 0;
		send_direct(a, c,
			    json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code",
				      "too_large", "message", "message too large"));
		return;
	}
	/* An empty frame (legal in WebSocket) may come before any buffer exists. */
	if (len)
		memcpy(c->in + c->inlen, in, len);
	c->inlen += len;
	if (!final)
		return;
	j = json_loadb(c->in, c->inlen, 0, &e);
	c->inlen = 0;
	if (!j || !json_is_object(j)) {
		char msg[200];
		snprintf(msg, sizeof(msg), "malformed JSON at byte %d: %s", e.position, e.text);
		json_decref(j);
		send_direct(a, c,
			    json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "code",
				      "invalid_json", "message", j ? "expected an object" : msg));
		return;
	}
	if ((since = json_object_get(j, "since")) && json_is_integer(since)) {
		c->have_since = true;
		c->since = (uint64_t)json_integer_value(since);
	}
	if ((sub = json_object_get(j, "subscribe")) && json_is_array(sub))
		subscribe(a, c, sub);
	else if ((type = json_string_value(json_object_get(j, "type"))) &&
		 !strncmp(type, "phone.", 6))
		phone_rx(a, c, type, j);
	else if (json_object_get(j, "ping"))
		send_direct(a, c, json_pack("{s:s}", "type", "pong"));
	json_decref(j);
}

int api__ws_writable(struct api_conn *conn)
{
	struct ws_client *c = conn->ws;
	struct api *a = conn->a;
	size_t used = 0;

	if (!c)
		return 0;
	if (c->dead || c->sess->revoked)
		return -1;
	/* Every queued frame that fits in WS_BATCH (at least one), copied end to end and
	 * written with one send: at one write per message, the service thread spent a
	 * system call per message and socket, 7.7 µs a delivery (docs/performance.md). The
	 * frames are whole WebSocket frames made by msg_make, so they go out raw; lws
	 * keeps what the kernel does not take and sends it before the next writable
	 * callback, and the socket counts as choked meanwhile. */
	while (c->qlen) {
		struct api_msg *m = c->q[c->qhead];
		if (used && used + m->flen > WS_BATCH)
			break;
		if (api__out_reserve(a, LWS_PRE + used + m->flen))
			return -1;
		memcpy(a->out + LWS_PRE + used, m->frame, m->flen);
		used += m->flen;
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
		msg_unref(m);
	}
	if (used && lws_write(conn->wsi, a->out + LWS_PRE, used, LWS_WRITE_RAW) < (int)used)
		return -1;
	if (c->qlen)
		lws_callback_on_writable(conn->wsi);
	return 0;
}
