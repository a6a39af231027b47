/*
 * HTTP API benchmark client, driven by bench/api.sh (which starts the server, SIPp and
 * this program; read it first). One process, one thread, one epoll loop: keep-alive
 * HTTP connections and WebSockets written from scratch on plain sockets, so the client
 * costs little of the two cores it shares with the server.
 *
 *   bench_api fill STORE_URL CONFIG N PASSWORD
 *       Provisions CONFIG's tenants into the store (its users carry no password, so
 *       nothing is hashed), gives every user of the first tenant the password PASSWORD
 *       (one Argon2id hash at the server's cost, shared: logins still pay a full
 *       check each), and writes N interactions of that tenant. SQLite only.
 *   bench_api login PORT TENANT PASSWORD USERS_FILE TOKENS_OUT [IN_FLIGHT]
 *       Logs every user of USERS_FILE in (POST /api/v1/login, IN_FLIGHT at once) and
 *       writes "username token" lines; prints the time it took.
 *   bench_api http PORT TOKENS_FILE state|interactions CONNECTIONS SECONDS SERVER_PID
 *       Keep-alive load, one request in flight per connection, each connection with a
 *       token of its own: PUT /api/v1/agents/me/state alternating ready / not_ready, or
 *       GET /api/v1/interactions (a page of 50, following `next` 10 pages deep, then
 *       from the start). Prints requests/s, latency p50/p99/max, status counts and the
 *       server's CPU time per request.
 *   bench_api ws PORT AGENT_TOKENS N_AGENT SUP_TOKENS N_SUP SERVER_PID READY_FILE
 *       Opens N_AGENT WebSockets subscribed to agent.me with the tokens of AGENT_TOKENS
 *       in turn, and N_SUP subscribed to queues, agents and interactions with those of
 *       SUP_TOKENS (one token per socket when there are enough lines; the server allows
 *       up to ws_per_token, 8, sockets per token), prints the server's RSS per socket,
 *       creates READY_FILE, then measures each event's latency (its `time`, the
 *       engine's wall clock, against the arrival here) until SIGINT or SIGTERM.
 *
 * Prints figures; asserts nothing about time.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "crm/crm.h"
#include "store/store.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_api: %s: %s\n", what, strerror(err));
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t self_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
	       (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
}

/* The server's CPU time (user + system, all threads) in ms, from /proc. */
static double proc_cpu_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	/* Fields after the command (which may hold spaces): state is field 3, utime 14. */
	if (!(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* CPU ticks of each of the server's threads, to say which one a load falls on. */
struct tasks {
	int tid[64];
	char comm[64][20];
	unsigned long long ticks[64];
	size_t n;
};

static void tasks_read(int pid, struct tasks *t)
{
	char path[320], buf[1024], *p, *q;
	DIR *d;
	struct dirent *de;

	memset(t, 0, sizeof(*t));
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d)) && t->n < 64) {
		unsigned long long ut, st;
		FILE *f;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(buf, sizeof(buf), f) && (p = strchr(buf, '(')) &&
		    (q = strrchr(buf, ')')) &&
		    sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			   &st) == 2) {
			t->tid[t->n] = atoi(de->d_name);
			snprintf(t->comm[t->n], sizeof(t->comm[0]), "%.*s", (int)(q - p - 1),
				 p + 1);
			t->ticks[t->n++] = ut + st;
		}
		fclose(f);
	}
	closedir(d);
}

/* A name for thread i of t: the main thread is the engine (it also runs the SIP stack);
 * of the unnamed ones, by creation order (thread ids grow), the first two are the
 * store's writer and reader (made first), the last three the API's two workers and its
 * service thread (made last); the media threads name themselves. */
static const char *task_name(int pid, const struct tasks *t, size_t i)
{
	size_t below = 0, above = 0;

	if (t->tid[i] == pid)
		return "engine";
	if (strcmp(t->comm[i], "centrala"))
		return t->comm[i];
	for (size_t k = 0; k < t->n; k++) {
		if (k == i || t->tid[k] == pid || strcmp(t->comm[k], "centrala"))
			continue;
		below += t->tid[k] < t->tid[i];
		above += t->tid[k] > t->tid[i];
	}
	if (above == 0)
		return "api";
	if (above <= 2)
		return "api-worker";
	if (below == 0)
		return "store-writer";
	if (below == 1)
		return "store-reader";
	return "other";
}

/* Prints the threads that used CPU between a and b, busiest first. */
static void tasks_print(int pid, const struct tasks *a, const struct tasks *b, uint64_t per)
{
	double ms[64];
	bool done[64] = {false};

	for (size_t i = 0; i < b->n; i++) {
		ms[i] = (double)b->ticks[i];
		for (size_t k = 0; k < a->n; k++)
			if (a->tid[k] == b->tid[i])
				ms[i] -= (double)a->ticks[k];
		ms[i] *= 1000.0 / (double)sysconf(_SC_CLK_TCK);
	}
	printf(per ? "  server threads (CPU ms, µs per request):" : "  server threads (CPU ms):");
	for (int shown = 0; shown < 6; shown++) {
		size_t best = SIZE_MAX;
		for (size_t i = 0; i < b->n; i++)
			if (!done[i] && ms[i] > 0 && (best == SIZE_MAX || ms[i] > ms[best]))
				best = i;
		if (best == SIZE_MAX)
			break;
		done[best] = true;
		printf(" %s %.0f", task_name(pid, b, best), ms[best]);
		if (per)
			printf(" (%.1f)", ms[best] * 1000.0 / (double)per);
	}
	printf("\n");
}

static long proc_kib(int pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl) && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* ---- histograms ---- */

/* Fixed-width buckets: `width` units each, the last one catches everything above. */
struct hist {
	uint64_t *b;
	size_t n;
	double width;
	uint64_t count;
	double max, sum;
};

static void hist_init(struct hist *h, size_t n, double width)
{
	memset(h, 0, sizeof(*h));
	if (!(h->b = calloc(n, sizeof(*h->b))))
		die("calloc", ENOMEM);
	h->n = n;
	h->width = width;
}

static void hist_add(struct hist *h, double v)
{
	size_t i = v <= 0 ? 0 : (size_t)(v / h->width);

	h->b[i < h->n ? i : h->n - 1]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* The value below which a fraction q of the samples lie (the bucket's upper edge). */
static double hist_q(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->count), acc = 0;

	for (size_t i = 0; i < h->n; i++) {
		acc += h->b[i];
		if (acc > want)
			return (double)(i + 1) * h->width;
	}
	return h->max;
}

/* ---- connections ---- */

enum ckind { C_HTTP, C_WS };

struct conn {
	int fd;
	enum ckind kind;
	const char *user, *token;
	bool sup;      /* ws: a supervisor's socket */
	bool upgraded; /* ws: handshake done */
	bool subbed;   /* ws: "subscribed" received */
	bool busy;     /* http: a request in flight */
	bool closed;
	uint64_t sent_us;
	unsigned n;    /* http: requests answered */
	unsigned page; /* http: pages followed since the first */
	char cursor[200];
	char *in;
	size_t ilen, icap;
};

static int ep;
static int port;

static int conn_open(struct conn *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct epoll_event ev = {.events = EPOLLIN};
	int one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;
		close(c->fd);
		c->fd = -1;
		return err;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		return errno;
	return 0;
}

/* Small writes on loopback go out whole or not at all: a short write is an error here. */
static int conn_send(struct conn *c, const void *buf, size_t len)
{
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

	if (n != (ssize_t)len) {
		c->closed = true;
		return EIO;
	}
	return 0;
}

/* Reads what is there; false when the peer closed. */
static bool conn_read(struct conn *c)
{
	for (;;) {
		ssize_t n;
		if (c->icap - c->ilen < 65536) {
			size_t cap = c->icap ? c->icap * 2 : 131072;
			char *p = realloc(c->in, cap);
			if (!p)
				die("realloc", ENOMEM);
			c->in = p;
			c->icap = cap;
		}
		n = recv(c->fd, c->in + c->ilen, c->icap - c->ilen - 1, 0);
		if (n > 0) {
			c->ilen += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false;
	}
}

static void conn_consume(struct conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->ilen - n);
	c->ilen -= n;
}

/* A complete HTTP response at the start of c->in: its length, status and body. */
static bool http_response(struct conn *c, size_t *total, int *status, const char **body,
			  size_t *blen)
{
	char *end, *cl;
	size_t hl, len = 0;

	c->in[c->ilen] = '\0';
	if (!(end = strstr(c->in, "\r\n\r\n")))
		return false;
	hl = (size_t)(end - c->in) + 4;
	*end = '\0';
	if ((cl = strcasestr(c->in, "\r\ncontent-length:")))
		len = strtoul(cl + 17, NULL, 10);
	*end = '\r';
	if (c->ilen < hl + len)
		return false;
	*status = atoi(c->in + 9);
	*body = c->in + hl;
	*blen = len;
	*total = hl + len;
	return true;
}

/* ---- tokens and users files ---- */

struct pair {
	char *user, *token;
};

static size_t read_pairs(const char *path, struct pair **out)
{
	FILE *f = fopen(path, "r");
	char line[512];
	struct pair *p = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		die(path, errno);
	while (fgets(line, sizeof(line), f)) {
		char *u = strtok(line, " \t\r\n"), *t = strtok(NULL, " \t\r\n");
		if (!u)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			if (!(p = realloc(p, cap * sizeof(*p))))
				die("realloc", ENOMEM);
		}
		p[n].user = strdup(u);
		p[n].token = t ? strdup(t) : NULL;
		n++;
	}
	fclose(f);
	*out = p;
	return n;
}

/* ---- fill ---- */

static int fill(int argc, char **argv)
{
	const char *url, *cfgpath, *password;
	struct store_provision_report rep;
	char hash[crypto_pwhash_STRBYTES], id[CRM_ID_SIZE];
	const struct cfg_tenant *t;
	struct crm_interaction ix = {0};
	struct crm_event tl[5];
	struct store_db *db;
	struct cfg *cfg;
	sqlite3 *sq;
	sqlite3_stmt *st;
	size_t n;
	uint64_t t0;
	int64_t start;
	int err;

	if (argc != 6)
		return 2;
	url = argv[2];
	cfgpath = argv[3];
	n = strtoul(argv[4], NULL, 10);
	password = argv[5];
	if (strncmp(url, "sqlite:", 7))
		die("fill: the store must be sqlite:PATH", EINVAL);
	if ((err = cfg_load(cfgpath, &cfg)))
		die(cfgpath, err);
	if (cfg_error_count(cfg)) {
		fprintf(stderr, "bench_api: %s\n", cfg_error_at(cfg, 0));
		return 1;
	}
	t = &cfg->tenants[0];
	if ((err = store_db_open(url, &db)))
		die("store_db_open", err);
	t0 = mono_us();
	if ((err = store_db_provision(db, cfg, NULL, &rep))) {
		fprintf(stderr, "bench_api: provision: %s\n", rep.error);
		return 1;
	}
	printf("provisioned %zu users of tenant %s in %.1f s (%u passwords hashed)\n", t->nusers,
	       t->id, (double)(mono_us() - t0) / 1e6, rep.hashed);
	/* One hash at the server's own cost, shared by every bench user. */
	t0 = mono_us();
	if (sodium_init() < 0 ||
	    crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE))
		die("crypto_pwhash_str", ENOMEM);
	printf("one Argon2id hash (interactive cost, as the server) takes %.0f ms here\n",
	       (double)(mono_us() - t0) / 1000.0);
	if (sqlite3_open(url + 7, &sq) != SQLITE_OK ||
	    sqlite3_prepare_v2(sq, "UPDATE users SET password_hash = ?1 WHERE tenant = ?2", -1, &st,
			       NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_api: sqlite: %s\n", sqlite3_errmsg(sq));
		return 1;
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, t->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "bench_api: sqlite: %s\n", sqlite3_errmsg(sq));
		return 1;
	}
	sqlite3_finalize(st);
	sqlite3_close(sq);

	/* Interactions: one every 10 s over the last n * 10 s, agents in turn. */
	ix.tenant = t->id;
	ix.id = id;
	ix.from = "+48601234567";
	ix.to = "200";
	ix.number = "200";
	ix.queue = t->nqueues ? t->queues[0].id : "support";
	ix.disposition = "resolved";
	ix.hangup_by = "caller";
	ix.timeline = tl;
	ix.ntimeline = 5;
	start = clock_wall_ms() - (int64_t)n * 10000 - 3600000;
	t0 = mono_us();
	for (size_t i = 0; i < n; i++) {
		int64_t ts = start + (int64_t)i * 10000;
		if (i % 10000 == 0 && (err = store_db_begin(db)))
			die("begin", err);
		crm_id_new(id);
		ix.agent = t->nusers ? t->users[i % t->nusers].username : "agent";
		ix.created_ms = ts;
		ix.queued_ms = ts + 1000;
		ix.offered_ms = ts + 4000;
		ix.answered_ms = ts + 6000;
		ix.ended_ms = ts + 120000;
		tl[0] = (struct crm_event){.ts_ms = ts, .event = "created"};
		tl[1] =
		    (struct crm_event){.ts_ms = ts + 1000, .event = "queued", .queue = ix.queue};
		tl[2] = (struct crm_event){.ts_ms = ts + 4000,
					   .event = "offered",
					   .agent = ix.agent,
					   .result = "answered"};
		tl[3] =
		    (struct crm_event){.ts_ms = ts + 6000, .event = "answered", .agent = ix.agent};
		tl[4] = (struct crm_event){.ts_ms = ts + 120000, .event = "ended", .by = "caller"};
		crm_interaction_durations(&ix);
		if ((err = store_db_interaction_put(db, &ix)))
			die("interaction_put", err);
		if ((i % 10000 == 9999 || i + 1 == n) && (err = store_db_commit(db)))
			die("commit", err);
	}
	printf("wrote %zu interactions in %.1f s\n", n, (double)(mono_us() - t0) / 1e6);
	store_db_close(db);
	cfg_free(cfg);
	return 0;
}

/* ---- login ---- */

static int login(int argc, char **argv)
{
	struct pair *users;
	struct conn *conns;
	size_t nusers, next = 0, done = 0, failed = 0, inflight, nretry = 0, retried = 0;
	const char **retry;
	const char *tenant, *password;
	struct hist h;
	uint64_t t0, c0;
	FILE *out;

	if (argc < 7)
		return 2;
	port = atoi(argv[2]);
	tenant = argv[3];
	password = argv[4];
	nusers = read_pairs(argv[5], &users);
	if (!(out = fopen(argv[6], "w")))
		die(argv[6], errno);
	inflight = argc > 7 ? strtoul(argv[7], NULL, 10) : 16;
	if (inflight > nusers)
		inflight = nusers;
	if ((ep = epoll_create1(0)) < 0 || !(conns = calloc(inflight, sizeof(*conns))) ||
	    !(retry = calloc(nusers, sizeof(*retry))))
		die("setup", errno);
	hist_init(&h, 100000, 1.0); /* ms */
	t0 = mono_us();
	c0 = self_cpu_us();
	for (size_t i = 0; i < inflight; i++) {
		conns[i].kind = C_HTTP;
		if (conn_open(&conns[i]))
			die("connect", errno);
	}
	for (;;) {
		struct epoll_event evs[64];
		int ne;
		/* Idle connections take the next user. */
		for (size_t i = 0; i < inflight; i++) {
			struct conn *c = &conns[i];
			char body[512], req[1024];
			int bl, rl;
			if (c->busy || c->closed || (next == nusers && !nretry))
				continue;
			c->user = nretry ? retry[--nretry] : users[next++].user;
			bl = snprintf(body, sizeof(body),
				      "{\"tenant\":\"%s\",\"username\":\"%s\",\"password\":\"%s\"}",
				      tenant, c->user, password);
			rl = snprintf(
			    req, sizeof(req),
			    "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			    "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			    bl, body);
			c->busy = true;
			c->sent_us = mono_us();
			conn_send(c, req, (size_t)rl);
		}
		if (done + failed == nusers)
			break;
		ne = epoll_wait(ep, evs, 64, 1000);
		for (int k = 0; k < ne; k++) {
			struct conn *c = evs[k].data.ptr;
			size_t total, blen;
			int status;
			const char *body;
			bool alive = conn_read(c);
			while (c->busy && http_response(c, &total, &status, &body, &blen)) {
				const char *tk = strstr(body, "\"token\":\"");
				hist_add(&h, (double)(mono_us() - c->sent_us) / 1000.0);
				if (status == 200 && tk) {
					fprintf(out, "%s %.*s\n", c->user, 43, tk + 9);
					done++;
				} else if (status == 504 && retried < nusers) {
					/* Waited past the server's request timeout behind other
					 * password checks: counted, and tried again. */
					retry[nretry++] = c->user;
					retried++;
				} else {
					fprintf(stderr, "bench_api: login %s: %d %.*s\n", c->user,
						status, (int)blen, body);
					failed++;
				}
				c->busy = false;
				conn_consume(c, total);
			}
			if (!alive) {
				/* The server closed it (idle timeout): reopen, retry the user. */
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				if (c->busy) {
					failed++;
					c->busy = false;
				}
				c->ilen = 0;
				if (conn_open(c))
					c->closed = true;
			}
		}
	}
	fclose(out);
	printf("logins: %zu ok, %zu failed, %zu in flight, %zu answered 504 and retried, %.1f s "
	       "(%.1f logins/s), latency p50 %.0f ms p99 %.0f ms; client CPU %.2f s\n",
	       done, failed, inflight, retried, (double)(mono_us() - t0) / 1e6,
	       (double)done / ((double)(mono_us() - t0) / 1e6), hist_q(&h, 0.5), hist_q(&h, 0.99),
	       (double)(self_cpu_us() - c0) / 1e6);
	return failed ? 1 : 0;
}

/* ---- http load ---- */

static void http_next(struct conn *c, bool state)
{
	char req[1024];
	int rl;

	if (state) {
		const char *b = c->n % 2 ? "{\"state\":\"not_ready\"}" : "{\"state\":\"ready\"}";
		rl = snprintf(req, sizeof(req),
			      "PUT /api/v1/agents/me/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			      "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
			      "Content-Length: %zu\r\n\r\n%s",
			      c->token, strlen(b), b);
	} else {
		rl =
		    snprintf(req, sizeof(req),
			     "GET /api/v1/interactions?limit=50%s%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "Authorization: Bearer %s\r\n\r\n",
			     c->cursor[0] ? "&cursor=" : "", c->cursor, c->token);
	}
	c->busy = true;
	c->sent_us = mono_us();
	conn_send(c, req, (size_t)rl);
}

static int http(int argc, char **argv)
{
	struct pair *toks;
	struct conn *conns;
	size_t ntoks, nconns, items = 0;
	unsigned secs;
	int pid, st_count[6] = {0};
	bool state;
	struct hist h;
	uint64_t t0, t1, c0, end, done = 0;
	double s0, s1;
	long rss0;
	static struct tasks ta, tb;

	if (argc != 8)
		return 2;
	port = atoi(argv[2]);
	ntoks = read_pairs(argv[3], &toks);
	state = !strcmp(argv[4], "state");
	nconns = strtoul(argv[5], NULL, 10);
	secs = (unsigned)atoi(argv[6]);
	pid = atoi(argv[7]);
	if (!ntoks || !nconns)
		return 2;
	if ((ep = epoll_create1(0)) < 0 || !(conns = calloc(nconns, sizeof(*conns))))
		die("setup", errno);
	hist_init(&h, 500000, 10.0); /* µs, up to 5 s */
	for (size_t i = 0; i < nconns; i++) {
		conns[i].kind = C_HTTP;
		conns[i].user = toks[i % ntoks].user;
		conns[i].token = toks[i % ntoks].token;
		if (conn_open(&conns[i]))
			die("connect", errno);
	}
	rss0 = proc_kib(pid, "VmRSS");
	tasks_read(pid, &ta);
	s0 = proc_cpu_ms(pid);
	c0 = self_cpu_us();
	t0 = mono_us();
	end = t0 + (uint64_t)secs * 1000000u;
	for (size_t i = 0; i < nconns; i++)
		http_next(&conns[i], state);
	while (!stop_flag) {
		struct epoll_event evs[256];
		int ne = epoll_wait(ep, evs, 256, 100);
		uint64_t now = mono_us();
		bool more = now < end;
		size_t busy = 0;
		for (int k = 0; k < ne; k++) {
			struct conn *c = evs[k].data.ptr;
			size_t total, blen;
			int status;
			const char *body;
			if (!conn_read(c) && !c->closed) {
				c->closed = true;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				fprintf(stderr, "bench_api: the server closed a connection\n");
			}
			while (c->busy && http_response(c, &total, &status, &body, &blen)) {
				hist_add(&h, (double)(mono_us() - c->sent_us));
				st_count[status / 100 < 6 ? status / 100 : 5]++;
				if (status != 200 &&
				    st_count[status / 100 < 6 ? status / 100 : 5] < 4)
					fprintf(stderr, "bench_api: %d %.*s\n", status,
						(int)(blen > 200 ? 200 : blen), body);
				done++;
				c->n++;
				if (!state && status == 200) {
					/* Follow the keyset cursor 10 pages deep, then start over.
					 */
					const char *nx = strstr(body, "\"next\":\"");
					for (const char *p = body;
					     (p = strstr(p, "{\"id\":")) && p < body + blen; p++)
						items++;
					c->cursor[0] = '\0';
					if (nx && ++c->page < 10) {
						const char *q = strchr(nx + 8, '"');
						if (q && (size_t)(q - nx - 8) < sizeof(c->cursor))
							snprintf(c->cursor, sizeof(c->cursor),
								 "%.*s", (int)(q - nx - 8), nx + 8);
					} else {
						c->page = 0;
					}
				}
				c->busy = false;
				conn_consume(c, total);
				if (more && !c->closed)
					http_next(c, state);
			}
		}
		for (size_t i = 0; i < nconns; i++)
			busy += conns[i].busy && !conns[i].closed;
		if (!more && !busy)
			break;
	}
	t1 = mono_us();
	s1 = proc_cpu_ms(pid);
	tasks_read(pid, &tb);
	{
		double wall = (double)(t1 - t0) / 1e6;
		printf("%s: %zu connections (%zu tokens), %.1f s, %llu requests: %.0f req/s\n",
		       state ? "PUT /api/v1/agents/me/state (ready/not_ready)"
			     : "GET /api/v1/interactions?limit=50 (10 pages deep by cursor)",
		       nconns, ntoks < nconns ? ntoks : nconns, wall, (unsigned long long)done,
		       (double)done / wall);
		printf("  latency p50 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms\n",
		       hist_q(&h, 0.5) / 1000.0, hist_q(&h, 0.99) / 1000.0, h.max / 1000.0,
		       h.count ? h.sum / (double)h.count / 1000.0 : 0);
		printf("  status 2xx %d, 4xx %d, 5xx %d\n", st_count[2], st_count[4], st_count[5]);
		if (!state)
			printf("  items returned %zu (%.1f per page)\n", items,
			       done ? (double)items / (double)done : 0);
		printf("  server CPU %.0f ms (%.1f%% of one core), %.1f µs per request; RSS %ld -> "
		       "%ld KiB\n",
		       s1 - s0, (s1 - s0) / 10.0 / wall,
		       done ? (s1 - s0) * 1000.0 / (double)done : 0, rss0, proc_kib(pid, "VmRSS"));
		tasks_print(pid, &ta, &tb, done);
		printf("  client CPU %.0f ms\n", (double)(self_cpu_us() - c0) / 1000.0);
	}
	return 0;
}

/* ---- websockets ---- */

static void ws_send_text(struct conn *c, const char *text)
{
	unsigned char frame[512];
	size_t n = strlen(text);
	const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};

	if (n > 400)
		return;
	frame[0] = 0x81;
	frame[1] = (unsigned char)(0x80 | n);
	memcpy(frame + 2, mask, 4);
	for (size_t i = 0; i < n; i++)
		frame[6 + i] = (unsigned char)text[i] ^ mask[i % 4];
	conn_send(c, frame, 6 + n);
}

static void ws_handshake(struct conn *c)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
			 "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
			 c->token);

	conn_send(c, req, (size_t)n);
}

struct wsstat {
	struct hist sup, agent;
	uint64_t types[16];
	char names[16][32];
	size_t ntypes;
	uint64_t subscribed, errors, closed;
	bool measuring;
};

static void ws_count_type(struct wsstat *w, const char *type, size_t len)
{
	size_t i;

	if (len >= sizeof(w->names[0]))
		len = sizeof(w->names[0]) - 1;
	for (i = 0; i < w->ntypes; i++)
		if (strlen(w->names[i]) == len && !strncmp(w->names[i], type, len))
			break;
	if (i == w->ntypes) {
		if (w->ntypes == 16)
			return;
		snprintf(w->names[i], sizeof(w->names[i]), "%.*s", (int)len, type);
		w->ntypes++;
	}
	w->types[i]++;
}

static void ws_message(struct conn *c, struct wsstat *w, const char *m, size_t len, double rx_ms)
{
	char buf[40];
	const char *type = memmem(m, len, "\"type\":\"", 8), *time, *q;
	int64_t ts;

	if (!type)
		return;
	type += 8;
	q = memchr(type, '"', len - (size_t)(type - m));
	if (!q)
		return;
	if (!strncmp(type, "subscribed", 10)) {
		c->subbed = true;
		w->subscribed++;
		return;
	}
	if (!strncmp(type, "error", 5) || !strncmp(type, "resync", 6)) {
		if (w->errors++ < 3)
			fprintf(stderr, "bench_api: %.*s\n", (int)len, m);
		return;
	}
	if (!w->measuring || !(time = memmem(m, len, "\"time\":\"", 8)))
		return;
	ws_count_type(w, type, (size_t)(q - type));
	snprintf(buf, sizeof(buf), "%.24s", time + 8);
	if (clock_parse_iso8601(buf, &ts))
		return;
	hist_add(c->sup ? &w->sup : &w->agent, rx_ms - (double)ts);
}

/* Frames at the start of c->in (the server's are unmasked and unfragmented). */
static void ws_frames(struct conn *c, struct wsstat *w, double rx_ms)
{
	size_t off = 0;

	for (;;) {
		const unsigned char *p = (const unsigned char *)c->in + off;
		size_t avail = c->ilen - off, hl = 2, len;
		if (avail < 2)
			break;
		len = p[1] & 0x7f;
		if (len == 126) {
			hl = 4;
			if (avail < hl)
				break;
			len = (size_t)p[2] << 8 | p[3];
		} else if (len == 127) {
			hl = 10;
			if (avail < hl)
				break;
			len = 0;
			for (int i = 2; i < 10; i++)
				len = len << 8 | p[i];
		}
		if (avail < hl + len)
			break;
		switch (p[0] & 0x0f) {
		case 1:
			ws_message(c, w, (const char *)p + hl, len, rx_ms);
			break;
		case 8:
			c->closed = true;
			break;
		case 9: {
			unsigned char pong[6] = {0x8a, 0x80, 0, 0, 0, 0};
			conn_send(c, pong, sizeof(pong));
			break;
		}
		default:
			break;
		}
		off += hl + len;
	}
	conn_consume(c, off);
}

static int ws(int argc, char **argv)
{
	struct pair *agents, *sups;
	size_t nta, nts, na, ns, n, opened = 0, upgraded = 0;
	struct conn *conns;
	struct wsstat w;
	const char *ready;
	int pid;
	long rss0, rss1;
	static struct tasks ta, tb;
	uint64_t t0, c0 = 0, m0 = 0;
	double s0 = 0;
	FILE *f;

	if (argc != 9)
		return 2;
	port = atoi(argv[2]);
	nta = read_pairs(argv[3], &agents);
	na = strtoul(argv[4], NULL, 10);
	nts = read_pairs(argv[5], &sups);
	ns = strtoul(argv[6], NULL, 10);
	pid = atoi(argv[7]);
	ready = argv[8];
	n = na + ns;
	if (!nta || !nts)
		return 2;
	memset(&w, 0, sizeof(w));
	hist_init(&w.sup, 100000, 0.1); /* ms, up to 10 s */
	hist_init(&w.agent, 100000, 0.1);
	if ((ep = epoll_create1(0)) < 0 || !(conns = calloc(n, sizeof(*conns))))
		die("setup", errno);
	for (size_t i = 0; i < n; i++) {
		/* Sockets take the tokens in turn (the server allows ws_per_token, 8, each). */
		struct pair *p = i < na ? &agents[i % nta] : &sups[(i - na) % nts];
		conns[i].kind = C_WS;
		conns[i].fd = -1;
		conns[i].user = p->user;
		conns[i].token = p->token;
		conns[i].sup = i >= na;
	}
	rss0 = proc_kib(pid, "VmRSS");
	t0 = mono_us();
	while (!stop_flag) {
		struct epoll_event evs[256];
		int ne;
		double rx;
		/* At most 200 handshakes in flight: the listen backlog stays short. */
		while (opened < n && opened - w.subscribed < 200) {
			struct conn *c = &conns[opened++];
			int err = conn_open(c);
			if (err)
				die("connect", err);
			ws_handshake(c);
		}
		if (!w.measuring && w.subscribed + w.closed == n) {
			/* Every socket is open and subscribed: memory, then the measurement. */
			usleep(500000);
			rss1 = proc_kib(pid, "VmRSS");
			printf(
			    "websockets: %zu agent sockets (agent.me, %zu logins) + %zu supervisor "
			    "sockets (queues, agents, interactions; %zu logins) open and "
			    "subscribed in %.1f s, %llu refused or closed\n",
			    na, nta < na ? nta : na, ns, nts < ns ? nts : ns,
			    (double)(mono_us() - t0) / 1e6, (unsigned long long)w.closed);
			printf("  server RSS %ld -> %ld KiB: %.1f KiB per socket\n", rss0, rss1,
			       (double)(rss1 - rss0) / (double)(n - w.closed));
			fflush(stdout);
			w.measuring = true;
			s0 = proc_cpu_ms(pid);
			tasks_read(pid, &ta);
			c0 = self_cpu_us();
			m0 = mono_us();
			if ((f = fopen(ready, "w")))
				fclose(f);
		}
		ne = epoll_wait(ep, evs, 256, 200);
		rx = now_ms();
		for (int k = 0; k < ne; k++) {
			struct conn *c = evs[k].data.ptr;
			bool alive = conn_read(c);
			if (!c->upgraded) {
				char *end;
				c->in[c->ilen] = '\0';
				if ((end = strstr(c->in, "\r\n\r\n"))) {
					if (strncmp(c->in, "HTTP/1.1 101", 12)) {
						if (w.errors++ < 3)
							fprintf(stderr,
								"bench_api: ws refused: %.40s\n",
								c->in);
						alive = false;
					} else {
						c->upgraded = true;
						upgraded++;
						conn_consume(c, (size_t)(end + 4 - c->in));
						ws_send_text(
						    c, c->sup ? "{\"subscribe\":[\"queues\","
								"\"agents\",\"interactions\"]}"
							      : "{\"subscribe\":[\"agent.me\"]}");
					}
				}
			}
			if (c->upgraded)
				ws_frames(c, &w, rx);
			if ((!alive || c->closed) && c->fd >= 0) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				c->fd = -1;
				w.closed++;
				if (w.measuring)
					fprintf(stderr,
						"bench_api: the server closed %s's socket\n",
						c->user);
			}
		}
	}
	if (!w.measuring)
		return 1;
	{
		double wall = (double)(mono_us() - m0) / 1e6;
		double s1 = proc_cpu_ms(pid);
		uint64_t total = w.sup.count + w.agent.count;
		tasks_read(pid, &tb);
		printf("events over %.1f s: %llu delivered (%.0f/s), %llu to supervisors, %llu to "
		       "agents\n",
		       wall, (unsigned long long)total, (double)total / wall,
		       (unsigned long long)w.sup.count, (unsigned long long)w.agent.count);
		printf("  by type:");
		for (size_t i = 0; i < w.ntypes; i++)
			printf(" %s %llu", w.names[i], (unsigned long long)w.types[i]);
		printf("\n");
		printf(
		    "  latency engine -> client (ms; the event's time has ms resolution): "
		    "supervisors p50 %.1f p99 %.1f max %.1f; agents p50 %.1f p99 %.1f max %.1f\n",
		    hist_q(&w.sup, 0.5), hist_q(&w.sup, 0.99), w.sup.max, hist_q(&w.agent, 0.5),
		    hist_q(&w.agent, 0.99), w.agent.max);
		printf("  sockets closed by the server during the run: %llu; server CPU %.0f ms "
		       "(%.1f%% of one core, SIPp's calls included), client CPU %.0f ms, server "
		       "RSS %ld KiB\n",
		       (unsigned long long)w.closed, s1 - s0, (s1 - s0) / 10.0 / wall,
		       (double)(self_cpu_us() - c0) / 1000.0, proc_kib(pid, "VmRSS"));
		tasks_print(pid, &ta, &tb, 0);
		printf("  (over %.1f s: a thread's ms / %.0f = its %% of one core)\n", wall,
		       wall * 10.0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	int rc = 2;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	log_setup(LOG_LEVEL_WARN, 2);
	if (argc > 1 && !strcmp(argv[1], "fill"))
		rc = fill(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "login"))
		rc = login(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "http"))
		rc = http(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "ws"))
		rc = ws(argc, argv);
	if (rc == 2) {
		/* `make bench` runs every bench without arguments: say where the driver is. */
		printf("bench_api is driven by bench/api.sh (it starts the server and SIPp): run "
		       "bench/api.sh http|events\n");
		return argc > 1 ? 2 : 0;
	}
	return rc;
}
