/*
 * Tests of the io_uring packet layer (src/media/uring.c) on its own, with rings made
 * small enough to fill: a submission queue or a send-slot pool that runs out, receive
 * buffers that run out in the middle of a burst, a send that fails among good ones, and
 * a socket closed while its receive and sends are in flight. Real UDP sockets on
 * 127.0.0.1; every wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/uring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEEN 256

/* What a test's completion handler saw. */
struct seen {
	struct media__uring *u;
	int fd; /* re-armed on this socket when the receive stops */
	bool rearm;
	int relay_fd; /* when > 0, each datagram is sent on from it to relay_to and flushed */
	struct sockaddr_in relay_to;
	unsigned n; /* datagrams */
	uint32_t id[MAX_SEEN];
	unsigned ends; /* completions without `more` */
	int end_res[16];
	uint16_t from_port;
};

static void on_event(void *arg, const struct media__uring_event *ev)
{
	struct seen *s = arg;

	if (ev->data && ev->len >= 4 && s->n < MAX_SEEN) {
		memcpy(&s->id[s->n++], ev->data, 4);
		s->from_port = ntohs(ev->from->sin_port);
		if (s->relay_fd > 0) {
			/* As a worker relays a packet and flushes before telling the engine. */
			assert_int_equal(
			    media__uring_send(s->u, s->relay_fd, ev->data, ev->len, &s->relay_to),
			    0);
			assert_int_equal(media__uring_submit(s->u, false), 0);
		}
	}
	if (!ev->more) {
		if (s->ends < 16)
			s->end_res[s->ends] = ev->res;
		s->ends++;
		if (s->rearm && (ev->res >= 0 || ev->res == -ENOBUFS))
			assert_int_equal(media__uring_recv(s->u, s->fd, ev->tag), 0);
	}
}

static int udp_socket(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 1 << 20;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

/* Reads every datagram waiting on a plain socket; returns how many, their ids in order. */
static unsigned drain(int fd, uint32_t *ids, unsigned max, unsigned want)
{
	unsigned n = 0;

	for (int i = 0; i < 100 && n < want; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint8_t buf[2048];

		if (poll(&p, 1, 10) <= 0)
			continue;
		for (;;) {
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r < 4)
				break;
			if (n < max)
				memcpy(&ids[n], buf, 4);
			n++;
		}
	}
	return n;
}

/* Submits and handles completions until `done` says so or half a second passed. */
static void pump(struct media__uring *u, struct seen *s, bool (*done)(struct seen *, void *),
		 void *arg)
{
	for (int i = 0; i < 50; i++) {
		struct __kernel_timespec ts = {0, 10 * 1000000L};
		struct io_uring_cqe *cqe;

		io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
		media__uring_reap(u, on_event, s);
		if (done && done(s, arg))
			return;
	}
}

static bool got_n(struct seen *s, void *arg)
{
	return s->n >= *(unsigned *)arg;
}

static bool sent_n(struct seen *s, void *arg)
{
	return s->u->st.sent + s->u->st.send_errors >= *(uint64_t *)arg;
}

static void send_ids(struct media__uring *u, int fd, const struct sockaddr_in *to, uint32_t from,
		     uint32_t count)
{
	for (uint32_t i = from; i < from + count; i++) {
		uint8_t pkt[172];

		memset(pkt, 0xff, sizeof(pkt));
		memcpy(pkt, &i, 4);
		assert_int_equal(media__uring_send(u, fd, pkt, sizeof(pkt), to), 0);
	}
}

static void test_probe_accepts_this_kernel(void **state)
{
	(void)state;
	/* The test machines run io_uring; where it is refused, the media tests fail. */
	assert_int_equal(media__uring_probe(), 0);
}

static void test_sends_beyond_the_submission_queue_all_arrive_in_order(void **state)
{
	struct media__uring_sizes sizes = {.sq = 4, .cq = 64, .bufs = 8, .tx = 64};
	struct media__uring u;
	struct sockaddr_in a, b;
	int fa, fb;
	uint32_t ids[64];
	uint64_t want = 40;
	struct seen s = {.u = &u};

	(void)state;
	assert_int_equal(media__uring_init(&u, &sizes), 0);
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	send_ids(&u, fa, &b, 0, 40);
	/* The queue holds 4: it went to the kernel early, without losing anything. */
	assert_true(u.st.sq_full >= 9);
	assert_int_equal(u.st.sync_sends, 0);
	pump(&u, &s, sent_n, &want);
	assert_int_equal(u.st.sent, 40);
	assert_int_equal(u.st.send_errors, 0);
	assert_int_equal(u.tx_used, 0);
	assert_int_equal(drain(fb, ids, 64, 40), 40);
	for (uint32_t i = 0; i < 40; i++)
		assert_int_equal(ids[i], i);
	close(fa);
	close(fb);
	media__uring_fini(&u);
}

static void test_full_slot_pool_sends_at_once_keeping_order(void **state)
{
	struct media__uring_sizes sizes = {.sq = 64, .cq = 128, .bufs = 8, .tx = 4};
	struct media__uring u;
	struct sockaddr_in a, b;
	int fa, fb;
	uint32_t ids[64];
	uint64_t want = 4;
	struct seen s = {.u = &u};

	(void)state;
	assert_int_equal(media__uring_init(&u, &sizes), 0);
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	send_ids(&u, fa, &b, 0, 20);
	assert_int_equal(u.tx_used, 4);
	assert_int_equal(u.st.sync_sends, 16);
	pump(&u, &s, sent_n, &want);
	assert_int_equal(u.tx_used, 0);
	/* Once the slots are back, sends queue again. */
	send_ids(&u, fa, &b, 20, 4);
	assert_int_equal(u.st.sync_sends, 16);
	want = 8;
	pump(&u, &s, sent_n, &want);
	assert_int_equal(drain(fb, ids, 64, 24), 24);
	for (uint32_t i = 0; i < 24; i++)
		assert_int_equal(ids[i], i);
	close(fa);
	close(fb);
	media__uring_fini(&u);
}

static void test_receive_resumes_after_buffers_run_out(void **state)
{
	struct media__uring_sizes sizes = {.sq = 16, .cq = 64, .bufs = 4, .tx = 16};
	struct media__uring u;
	struct sockaddr_in a, b;
	int fa, fb;
	unsigned want = 10;
	struct seen s = {.u = &u, .rearm = true};

	(void)state;
	assert_int_equal(media__uring_init(&u, &sizes), 0);
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	s.fd = fb;
	/* Ten datagrams wait before the receive is armed: four buffers take the first
	 * four, the receive stops with ENOBUFS, and the rest wait in the socket. */
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(sendto(fa, &i, 4, 0, (struct sockaddr *)&b, sizeof(b)), 4);
	assert_int_equal(media__uring_recv(&u, fb, 7), 0);
	pump(&u, &s, got_n, &want);
	assert_int_equal(s.n, 10);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(s.id[i], i);
	assert_int_equal(s.from_port, ntohs(a.sin_port));
	assert_true(u.st.nobufs >= 1);
	assert_true(s.ends >= 1);
	assert_int_equal(s.end_res[0], -ENOBUFS);
	/* Still armed: a later datagram arrives too. */
	uint32_t late = 99;
	assert_int_equal(sendto(fa, &late, 4, 0, (struct sockaddr *)&b, sizeof(b)), 4);
	want = 11;
	pump(&u, &s, got_n, &want);
	assert_int_equal(s.n, 11);
	assert_int_equal(s.id[10], 99);
	assert_int_equal(media__uring_cancel(&u, 7), 0);
	close(fa);
	close(fb);
	media__uring_fini(&u);
}

static void test_a_failed_send_is_counted_and_the_others_go(void **state)
{
	struct media__uring_sizes sizes = {.sq = 16, .cq = 64, .bufs = 4, .tx = 16};
	struct media__uring u;
	struct sockaddr_in a, b, nowhere;
	int fa, fb;
	uint32_t ids[8], id;
	uint64_t want = 3;
	struct seen s = {.u = &u};
	struct media__wstats ws;

	(void)state;
	memset(&ws, 0, sizeof(ws));
	assert_int_equal(media__uring_init(&u, &sizes), 0);
	u.wstats = &ws;
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	nowhere = b;
	nowhere.sin_port = 0; /* UDP refuses port 0: EINVAL for this packet alone */
	id = 1;
	assert_int_equal(media__uring_send(&u, fa, &id, 4, &b), 0);
	id = 2;
	assert_int_equal(media__uring_send(&u, fa, &id, 4, &nowhere), 0);
	id = 3;
	assert_int_equal(media__uring_send(&u, fa, &id, 4, &b), 0);
	assert_int_equal(media__uring_send(&u, fa, &id, MEDIA__PKT_MAX + 1, &b), EMSGSIZE);
	pump(&u, &s, sent_n, &want);
	assert_int_equal(u.st.sent, 2);
	assert_int_equal(u.st.send_errors, 1);
	assert_int_equal(u.st.last_send_errno, EINVAL);
	assert_int_equal(atomic_load(&ws.packets_out), 2);
	assert_int_equal(atomic_load(&ws.bytes_out), 8);
	assert_int_equal(u.tx_used, 0);
	assert_int_equal(drain(fb, ids, 8, 2), 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 3);
	close(fa);
	close(fb);
	media__uring_fini(&u);
}

static void test_socket_closed_with_operations_in_flight(void **state)
{
	struct media__uring_sizes sizes = {.sq = 16, .cq = 64, .bufs = 8, .tx = 16};
	struct media__uring u;
	struct sockaddr_in a, b, c;
	int fa, fb, fc, again;
	uint32_t ids[8];
	unsigned want = 7;
	struct seen s = {.u = &u};

	(void)state;
	assert_int_equal(media__uring_init(&u, &sizes), 0);
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	fc = udp_socket(&c);
	/* fb has a receive armed and two datagrams arriving (taken into buffers or still in
	 * the socket when the cancel comes), and two sends from fb are queued but not
	 * submitted. */
	assert_int_equal(media__uring_recv(&u, fb, 5), 0);
	assert_int_equal(media__uring_submit(&u, false), 0);
	for (uint32_t i = 0; i < 2; i++)
		assert_int_equal(sendto(fa, &i, 4, 0, (struct sockaddr *)&b, sizeof(b)), 4);
	send_ids(&u, fb, &c, 100, 2);
	/* Cancel and close at once, as a worker releasing a session does. */
	assert_int_equal(media__uring_cancel(&u, 5), 0);
	close(fb);
	/* The sends left from fb before it closed. */
	assert_int_equal(drain(fc, ids, 8, 2), 2);
	assert_int_equal(ids[0], 100);
	assert_int_equal(ids[1], 101);
	/* Nothing holds the socket: its port is free again. */
	again = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(again, (struct sockaddr *)&b, sizeof(b)), 0);
	close(again);
	/* The completions still come (the datagrams the receive took before the cancel,
	 * if any, then the cancellation), and every buffer goes back: seven datagrams at
	 * once on another socket leave the eighth buffer free, so the receive does not run
	 * out (it would, were a buffer lost). */
	pump(&u, &s, NULL, NULL);
	assert_true(s.n <= 2);
	assert_int_equal(s.ends, 1);
	assert_int_equal(s.end_res[0], -ECANCELED);
	memset(&s, 0, sizeof(s));
	s.u = &u;
	assert_int_equal(media__uring_recv(&u, fc, 6), 0);
	assert_int_equal(media__uring_submit(&u, false), 0);
	for (uint32_t i = 0; i < 7; i++)
		assert_int_equal(sendto(fa, &i, 4, 0, (struct sockaddr *)&c, sizeof(c)), 4);
	pump(&u, &s, got_n, &want);
	assert_int_equal(s.n, 7);
	assert_int_equal(u.st.nobufs, 0);
	assert_int_equal(media__uring_cancel(&u, 6), 0);
	close(fa);
	close(fc);
	media__uring_fini(&u);
}

static void test_truncated_datagram_is_reported_without_data(void **state)
{
	struct media__uring_sizes sizes = {.sq = 16, .cq = 64, .bufs = 4, .tx = 16};
	struct media__uring u;
	struct sockaddr_in a, b;
	int fa, fb;
	static uint8_t big[4000];
	uint32_t id = 42;
	unsigned want = 1;
	struct seen s = {.u = &u};

	(void)state;
	assert_int_equal(media__uring_init(&u, &sizes), 0);
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	assert_int_equal(media__uring_recv(&u, fb, 9), 0);
	assert_int_equal(media__uring_submit(&u, false), 0);
	memset(big, 0xee, sizeof(big));
	assert_int_equal(sendto(fa, big, sizeof(big), 0, (struct sockaddr *)&b, sizeof(b)),
			 (ssize_t)sizeof(big));
	assert_int_equal(sendto(fa, &id, 4, 0, (struct sockaddr *)&b, sizeof(b)), 4);
	pump(&u, &s, got_n, &want);
	/* Only the small one reached the handler with data; the large one was counted. */
	assert_int_equal(s.n, 1);
	assert_int_equal(s.id[0], 42);
	assert_int_equal(u.st.truncated, 1);
	assert_int_equal(media__uring_cancel(&u, 9), 0);
	close(fa);
	close(fb);
	media__uring_fini(&u);
}

static void test_wait_counts_neither_reaped_nor_pending_sends(void **state)
{
	struct media__uring_sizes sizes = {.sq = 16, .cq = 64, .bufs = 8, .tx = 16};
	struct media__uring u;
	struct sockaddr_in a, b, c;
	int fa, fb, fc;
	uint32_t id = 5;
	struct seen s = {.u = &u};
	uint64_t t0;
	struct timespec now;

	(void)state;
	assert_int_equal(media__uring_init(&u, &sizes), 0);
	fa = udp_socket(&a);
	fb = udp_socket(&b);
	fc = udp_socket(&c);
	assert_int_equal(media__uring_recv(&u, fb, 3), 0);
	/* A datagram relayed and flushed inside the reap: its send completes and is reaped
	 * in the same reap. Then sends still queued. Neither may make the wait ask for more
	 * than the next datagram. */
	s.relay_fd = fa;
	s.relay_to = c;
	assert_int_equal(sendto(fa, &id, 4, 0, (struct sockaddr *)&b, sizeof(b)), 4);
	unsigned one = 1;
	pump(&u, &s, got_n, &one);
	assert_int_equal(s.n, 1);
	assert_int_equal(u.tx_used, 0);
	s.relay_fd = 0;
	send_ids(&u, fa, &c, 3, 2);
	id = 6;
	assert_int_equal(sendto(fa, &id, 4, 0, (struct sockaddr *)&b, sizeof(b)), 4);
	/* No time limit: a miscount would block here; alarm() fails the test instead. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	t0 = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
	alarm(5);
	assert_int_equal(media__uring_wait(&u, 1, 0), 0);
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	assert_true((uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000 - t0 < 1000);
	media__uring_reap(&u, on_event, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.id[1], 6);
	assert_int_equal(u.tx_used, 0);
	assert_int_equal(u.st.sent, 3);
	/* With a time limit and nothing to come, it returns after that limit. */
	assert_int_equal(media__uring_wait(&u, 4, 2000), 0);
	assert_int_equal(media__uring_cancel(&u, 3), 0);
	close(fa);
	close(fb);
	close(fc);
	media__uring_fini(&u);
}

static void test_init_refuses_a_buffer_count_not_a_power_of_two(void **state)
{
	struct media__uring_sizes sizes = {.bufs = 12};
	struct media__uring u;

	(void)state;
	assert_int_equal(media__uring_init(&u, &sizes), EINVAL);
	assert_false(u.ring_ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_accepts_this_kernel),
	    cmocka_unit_test(test_sends_beyond_the_submission_queue_all_arrive_in_order),
	    cmocka_unit_test(test_full_slot_pool_sends_at_once_keeping_order),
	    cmocka_unit_test(test_receive_resumes_after_buffers_run_out),
	    cmocka_unit_test(test_a_failed_send_is_counted_and_the_others_go),
	    cmocka_unit_test(test_socket_closed_with_operations_in_flight),
	    cmocka_unit_test(test_truncated_datagram_is_reported_without_data),
	    cmocka_unit_test(test_wait_counts_neither_reaped_nor_pending_sends),
	    cmocka_unit_test(test_init_refuses_a_buffer_count_not_a_power_of_two),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
