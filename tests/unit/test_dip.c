/*
 * Tests of HTTP data dips against a small HTTP server started inside the test on
 * 127.0.0.1 (a thread per connection, real sockets): GET with variables in the query
 * string, POST of a JSON object with headers, JSON flattening, and every failure the
 * IVR must branch on — timeout, refused connection, a non-JSON body, a 500, a reply
 * over the size cap — plus many requests in flight at once and header injection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/mq.h"
#include "dip/dip.h"

/* ---- the test's HTTP server ---- */

#define MAX_CONN 64

struct server {
	int fd, stopfd;
	uint16_t port;
	pthread_t thread;
	pthread_t conn[MAX_CONN];
	int nconn;
};

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void reply(int fd, int status, const char *ctype, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, ctype, strlen(body));

	send_all(fd, head, (size_t)n);
	send_all(fd, body, strlen(body));
}

/* The value of header `name` in the request head, copied into out. */
static void header(const char *req, const char *name, char *out, size_t size)
{
	const char *p = strcasestr(req, name);

	out[0] = '\0';
	if (!p)
		return;
	p += strlen(name);
	while (*p == ' ' || *p == ':')
		p++;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\r\n"), p);
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[16384], path[1024], ctype[128], tenant[128], *body, *resp;
	size_t n = 0, clen = 0;

	/* Read the head, then the body by Content-Length. */
	for (;;) {
		ssize_t r = recv(fd, req + n, sizeof(req) - 1 - n, 0);
		if (r <= 0)
			goto out;
		n += (size_t)r;
		req[n] = '\0';
		body = strstr(req, "\r\n\r\n");
		if (body) {
			char cl[32];
			header(req, "Content-Length", cl, sizeof(cl));
			clen = (size_t)atol(cl);
			if (n >= (size_t)(body + 4 - req) + clen)
				break;
		}
	}
	body += 4;
	sscanf(req, "%*s %1023s", path);
	if (!strncmp(path, "/customer", 9)) {
		const char *q = strchr(path, '?');
		resp = malloc(2048);
		snprintf(resp, 2048,
			 "{\"customer\": {\"balance\": 12.5, \"name\": \"Ola\", \"vip\": true, "
			 "\"orders\": [{\"id\": 7}, {\"id\": 9}], \"none\": null, \"n\": 42}, "
			 "\"query\": \"%s\"}",
			 q ? q + 1 : "");
		reply(fd, 200, "application/json", resp);
		free(resp);
	} else if (!strcmp(path, "/echo")) {
		header(req, "Content-Type", ctype, sizeof(ctype));
		header(req, "X-Tenant", tenant, sizeof(tenant));
		resp = malloc(clen + 512);
		snprintf(resp, clen + 512,
			 "{\"got\": %.*s, \"ctype\": \"%s\", \"tenant\": \"%s\", \"method\": "
			 "\"%.4s\"}",
			 (int)clen, body, ctype, tenant, req);
		reply(fd, 200, "application/json", resp);
		free(resp);
	} else if (!strcmp(path, "/slow")) {
		/* Never answer: wait until the client gives up and closes. */
		char b[64];
		while (recv(fd, b, sizeof(b), 0) > 0)
			;
	} else if (!strcmp(path, "/text")) {
		reply(fd, 200, "text/plain", "hello, not json");
	} else if (!strcmp(path, "/fail")) {
		reply(fd, 500, "application/json", "{\"error\": \"boom\"}");
	} else if (!strcmp(path, "/empty")) {
		send_all(fd, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 47);
	} else if (!strcmp(path, "/big")) {
		size_t sz = 200 * 1024;
		resp = malloc(sz + 16);
		resp[0] = '"';
		memset(resp + 1, 'x', sz);
		strcpy(resp + 1 + sz, "\"");
		reply(fd, 200, "application/json", resp);
		free(resp);
	} else {
		reply(fd, 404, "application/json", "{}");
	}
out:
	close(fd);
	return NULL;
}

static void *server_main(void *arg)
{
	struct server *s = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN},
				      {.fd = s->stopfd, .events = POLLIN}};
		int c;
		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		if (s->nconn == MAX_CONN ||
		    pthread_create(&s->conn[s->nconn], NULL, conn_main, (void *)(intptr_t)c)) {
			close(c);
			continue;
		}
		s->nconn++;
	}
	return NULL;
}

static void server_start(struct server *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 64), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	s->stopfd = eventfd(0, 0);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	uint64_t one = 1;

	assert_int_equal(write(s->stopfd, &one, sizeof(one)), sizeof(one));
	pthread_join(s->thread, NULL);
	for (int i = 0; i < s->nconn; i++)
		pthread_join(s->conn[i], NULL);
	close(s->fd);
	close(s->stopfd);
}

/* ---- fixture ---- */

struct fx {
	struct server srv;
	struct mq *q;
	struct dip *d;
	char base[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	server_start(&f->srv);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u", f->srv.port);
	assert_int_equal(mq_alloc(&f->q, 64), 0);
	assert_int_equal(dip_create(f->q, NULL, &f->d), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dip_destroy(f->d);
	mq_free(f->q);
	server_stop(&f->srv);
	free(f);
	return 0;
}

/* Waits (bounded) for the next result. */
static struct dip_result *next_result(struct fx *f)
{
	unsigned char buf[MQ_MSG_MAX];
	struct dip_msg m;
	struct pollfd p = {.fd = mq_fd(f->q), .events = POLLIN};

	while (mq_len(f->q) == 0) {
		assert_int_equal(poll(&p, 1, 10000), 1);
		mq_drain_fd(f->q);
	}
	assert_int_equal(mq_pop(f->q, buf), sizeof(m));
	memcpy(&m, buf, sizeof(m));
	assert_int_equal(m.kind, DIP_MSG_RESULT);
	return m.result;
}

static struct dip_result *run(struct fx *f, const char *method, const char *path,
			      const struct dip_kv *fields, size_t nfields, uint32_t timeout_ms)
{
	char url[256];
	struct dip_request req = {.cookie = 7,
				  .method = method,
				  .url = url,
				  .fields = fields,
				  .nfields = nfields,
				  .timeout_ms = timeout_ms};

	snprintf(url, sizeof(url), "%s%s", f->base, path);
	assert_int_equal(dip_request(f->d, &req), 0);
	return next_result(f);
}

static void test_get_with_variables_returns_flattened_json(void **state)
{
	const struct dip_kv fields[] = {{"account", "12 34"}, {"lang", "pl"}};
	struct dip_result *r = run(*state, "GET", "/customer?phone=%2B48601", fields, 2, 2000);

	assert_int_equal(r->error, DIP_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->cookie, 7);
	assert_string_equal(r->message, "ok");
	assert_string_equal(dip_result_get(r, "query"), "phone=%2B48601&account=12%2034&lang=pl");
	assert_string_equal(dip_result_get(r, "customer.balance"), "12.5");
	assert_string_equal(dip_result_get(r, "customer.name"), "Ola");
	assert_string_equal(dip_result_get(r, "customer.vip"), "true");
	assert_string_equal(dip_result_get(r, "customer.orders.1.id"), "9");
	assert_string_equal(dip_result_get(r, "customer.none"), "");
	assert_string_equal(dip_result_get(r, "customer.n"), "42");
	assert_null(dip_result_get(r, "customer"));
	dip_result_free(r);
}

static void test_post_sends_a_json_object_with_headers(void **state)
{
	struct fx *f = *state;
	const struct dip_kv fields[] = {{"account", "4711"}, {"name", "Zażółć \"gęślą\""}};
	const struct dip_kv headers[] = {{"X-Tenant", "acme"}};
	char url[128];
	struct dip_request req = {.cookie = 99,
				  .method = "POST",
				  .url = url,
				  .headers = headers,
				  .nheaders = 1,
				  .fields = fields,
				  .nfields = 2};
	struct dip_result *r;

	snprintf(url, sizeof(url), "%s/echo", f->base);
	assert_int_equal(dip_request(f->d, &req), 0);
	r = next_result(f);
	assert_int_equal(r->error, DIP_OK);
	assert_int_equal(r->cookie, 99);
	assert_string_equal(dip_result_get(r, "method"), "POST");
	assert_string_equal(dip_result_get(r, "ctype"), "application/json");
	assert_string_equal(dip_result_get(r, "tenant"), "acme");
	assert_string_equal(dip_result_get(r, "got.account"), "4711");
	assert_string_equal(dip_result_get(r, "got.name"), "Zażółć \"gęślą\"");
	dip_result_free(r);
}

static void test_timeout_is_an_error(void **state)
{
	struct dip_result *r = run(*state, "GET", "/slow", NULL, 0, 300);

	assert_int_equal(r->error, DIP_ERR_TIMEOUT);
	assert_int_equal(r->status, 0);
	assert_string_equal(r->message, "timeout after 300 ms");
	assert_true(r->elapsed_ms >= 250 && r->elapsed_ms < 3000);
	assert_string_equal(dip_error_name(r->error), "timeout");
	dip_result_free(r);
}

static void test_non_json_reply_is_an_error(void **state)
{
	struct dip_result *r = run(*state, "GET", "/text", NULL, 0, 2000);

	assert_int_equal(r->error, DIP_ERR_NOT_JSON);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->nfields, 0);
	assert_non_null(strstr(r->message, "not JSON"));
	dip_result_free(r);
}

static void test_server_error_is_an_error_with_its_status(void **state)
{
	struct dip_result *r = run(*state, "POST", "/fail", NULL, 0, 2000);

	assert_int_equal(r->error, DIP_ERR_HTTP);
	assert_int_equal(r->status, 500);
	assert_string_equal(r->message, "HTTP 500");
	dip_result_free(r);
}

static void test_reply_over_the_size_cap_is_an_error(void **state)
{
	struct dip_result *r = run(*state, "GET", "/big", NULL, 0, 5000);

	assert_int_equal(r->error, DIP_ERR_TOO_LARGE);
	assert_string_equal(r->message, "reply larger than 65536 bytes");
	dip_result_free(r);
}

static void test_empty_reply_is_ok_without_fields(void **state)
{
	struct dip_result *r = run(*state, "GET", "/empty", NULL, 0, 2000);

	assert_int_equal(r->error, DIP_OK);
	assert_int_equal(r->status, 204);
	assert_int_equal(r->nfields, 0);
	dip_result_free(r);
}

static void test_refused_connection_is_an_error(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char url[128];
	struct dip_request req = {.cookie = 3, .method = "GET", .url = url};
	struct dip_result *r;

	/* A port that was just free and has nobody listening. */
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(s, (struct sockaddr *)&a, &len);
	close(s);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", ntohs(a.sin_port));
	assert_int_equal(dip_request(f->d, &req), 0);
	r = next_result(f);
	assert_int_equal(r->error, DIP_ERR_CONNECT);
	assert_int_equal(r->status, 0);
	dip_result_free(r);
}

static void test_many_requests_are_in_flight_at_once(void **state)
{
	struct fx *f = *state;
	char url[128];
	struct dip_request req = {.method = "GET", .url = url, .timeout_ms = 5000};
	bool seen[40] = {0};

	snprintf(url, sizeof(url), "%s/customer", f->base);
	for (int i = 0; i < 40; i++) {
		req.cookie = (uint64_t)i;
		assert_int_equal(dip_request(f->d, &req), 0);
	}
	for (int i = 0; i < 40; i++) {
		struct dip_result *r = next_result(f);
		assert_int_equal(r->error, DIP_OK);
		assert_true(r->cookie < 40 && !seen[r->cookie]);
		seen[r->cookie] = true;
		dip_result_free(r);
	}
}

static void test_bad_requests_are_refused(void **state)
{
	struct fx *f = *state;
	const struct dip_kv evil[] = {{"X-A", "1\r\nX-Injected: 2"}};
	const struct dip_kv badname[] = {{"X A", "1"}};
	struct dip_request req = {.method = "GET", .url = "http://127.0.0.1/"};

	req.headers = evil;
	req.nheaders = 1;
	assert_int_equal(dip_request(f->d, &req), EINVAL);
	req.headers = badname;
	assert_int_equal(dip_request(f->d, &req), EINVAL);
	req.nheaders = 0;
	req.method = "DELETE";
	assert_int_equal(dip_request(f->d, &req), EINVAL);
	req.method = "GET";
	req.url = "file:///etc/passwd";
	assert_int_equal(dip_request(f->d, &req), EINVAL);
	req.url = "http://127.0.0.1/a b";
	assert_int_equal(dip_request(f->d, &req), EINVAL);
	assert_int_equal(mq_len(f->q), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_get_with_variables_returns_flattened_json, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_post_sends_a_json_object_with_headers, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_non_json_reply_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_error_is_an_error_with_its_status, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reply_over_the_size_cap_is_an_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_empty_reply_is_ok_without_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_connection_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_requests_are_in_flight_at_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests_are_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
