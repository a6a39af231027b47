/*
 * The SMPP 3.4 session with the operator's SMSC, on a thread of its own: connect, bind
 * as transceiver, stay bound (enquire_link after silence), submit what smpp_send queues
 * (split into parts, a receipt asked for), answer every deliver_sm (texts reassembled,
 * receipts read), and when anything goes wrong (the socket closes, a response does not
 * come, bytes that are no PDU) drop the connection and bind again with back-off. A text
 * leaves the queue only when the SMSC acknowledged each part of it, so a session lost
 * loses no text: the parts not acknowledged are submitted again after the next bind.
 */
#include "channels/sms.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <smpp34.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mq.h"

#define REASM_TTL_MS 600000 /* parts of a long text wait ten minutes for the rest */

struct job {
	uint64_t cookie;
	char to[22];
	struct sms_split split;
	uint32_t seq[SMS_PARTS_MAX];	/* 0: not submitted on this bind */
	int64_t sent_ms[SMS_PARTS_MAX]; /* when it was submitted */
	bool acked[SMS_PARTS_MAX];
	char ids[SMS_PARTS_MAX * 66];
	int64_t retry_ms; /* throttled: not before this */
	struct job *next;
};

struct smpp_session {
	struct smpp_conf c;
	char host[256], system_id[16], password[9], system_type[13], source[21], name[300];
	struct smpp_events ev;
	struct mq *inbox; /* struct job * (NULL: stop) */
	pthread_t thread;
	atomic_bool stop;

	int fd;
	bool bound;
	uint32_t seq;
	uint8_t rbuf[SMPP_PDU_MAX * 2];
	size_t rlen;
	int64_t last_tx_ms, enquire_sent_ms;
	struct job *jobs, **jobs_tail;
	struct sms_reasm *reasm;
};

static uint32_t next_seq(struct smpp_session *s)
{
	if (++s->seq > 0x7FFFFFFF)
		s->seq = 1;
	return s->seq;
}

static int64_t now_ms(void)
{
	return (int64_t)clock_mono_ms();
}

static void drop(struct smpp_session *s, const char *why)
{
	if (s->fd >= 0) {
		log_warn("sms", "smsc=%s event=smpp_session_lost reason=\"%s\"", s->name, why);
		close(s->fd);
	}
	s->fd = -1;
	s->rlen = 0;
	s->enquire_sent_ms = 0;
	for (struct job *j = s->jobs; j; j = j->next)
		memset(j->seq, 0, sizeof(j->seq));
	if (s->bound && s->ev.state)
		s->ev.state(s->ev.arg, false);
	s->bound = false;
}

static int tx(struct smpp_session *s, const uint8_t *buf, int len)
{
	size_t off = 0;

	if (len < 0)
		return EINVAL;
	while (off < (size_t)len) {
		ssize_t n = send(s->fd, buf + off, (size_t)len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return EIO;
		off += (size_t)n;
	}
	s->last_tx_ms = now_ms();
	return 0;
}

static int dial(struct smpp_session *s)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char port[16];
	int fd = -1, err;

	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", s->c.port);
	if ((err = getaddrinfo(s->host, port, &hints, &ai)) != 0)
		return EHOSTUNREACH;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return ECONNREFUSED;
	s->fd = fd;
	return 0;
}

/* Waits up to `ms` for a stop; true when asked to stop. */
static bool wait_stop(struct smpp_session *s, int ms)
{
	int64_t until = now_ms() + ms;

	while (!atomic_load(&s->stop)) {
		int64_t left = until - now_ms();
		struct pollfd p = {mq_fd(s->inbox), POLLIN, 0};
		if (left <= 0)
			return false;
		poll(&p, 1, (int)left);
	}
	return true;
}

/* Reads one whole PDU into pdu[] within `ms`; 0, ETIMEDOUT, EIO or EBADMSG. */
static int read_pdu(struct smpp_session *s, uint8_t *pdu, struct smpp_header *h, int ms)
{
	int64_t until = now_ms() + ms;

	for (;;) {
		int err = smpp_header_read(s->rbuf, s->rlen, h);
		if (err == EBADMSG)
			return EBADMSG;
		if (!err && s->rlen >= h->length) {
			memcpy(pdu, s->rbuf, h->length);
			memmove(s->rbuf, s->rbuf + h->length, s->rlen - h->length);
			s->rlen -= h->length;
			return 0;
		}
		if (ms < 0)
			return ETIMEDOUT; /* only what is buffered */
		{
			int64_t left = until - now_ms();
			struct pollfd p = {s->fd, POLLIN, 0};
			ssize_t n;
			if (left <= 0)
				return ETIMEDOUT;
			if (poll(&p, 1, (int)left) <= 0)
				continue;
			n = recv(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen, 0);
			if (n <= 0)
				return EIO;
			s->rlen += (size_t)n;
		}
	}
}

static int bind_session(struct smpp_session *s)
{
	uint8_t buf[SMPP_PDU_MAX];
	struct smpp_header h;
	uint32_t seq = next_seq(s);
	char sysid[32];
	int err;

	if ((err = tx(s, buf, smpp_pdu_bind_transceiver(buf, sizeof(buf), seq, &s->c.bind))))
		return err;
	for (;;) {
		if ((err = read_pdu(s, buf, &h, s->c.response_ms)))
			return err;
		if (h.id == BIND_TRANSCEIVER_RESP && h.seq == seq)
			break;
		if (h.id == ENQUIRE_LINK)
			tx(s, buf,
			   smpp_pdu_response(buf, sizeof(buf), ENQUIRE_LINK_RESP, 0, h.seq));
		else if (h.id == GENERIC_NACK)
			return EPROTO;
	}
	if (h.status != ESME_ROK) {
		log_error("sms", "smsc=%s event=smpp_bind_refused status=0x%08x", s->name,
			  h.status);
		return EACCES;
	}
	smpp_parse_bind_resp(buf, h.length, sysid, sizeof(sysid));
	log_info("sms", "smsc=%s event=smpp_bound system_id=%s", s->name, sysid);
	s->bound = true;
	if (s->ev.state)
		s->ev.state(s->ev.arg, true);
	return 0;
}

static void job_done(struct smpp_session *s, struct job *j, bool ok, uint32_t status,
		     const char *why)
{
	for (struct job **p = &s->jobs; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	s->jobs_tail = &s->jobs;
	while (*s->jobs_tail)
		s->jobs_tail = &(*s->jobs_tail)->next;
	if (s->ev.sent)
		s->ev.sent(s->ev.arg, j->cookie, ok, j->ids, status, why);
	free(j);
}

/* Submits the parts not submitted on this bind. */
static int submit_pending(struct smpp_session *s)
{
	uint8_t buf[SMPP_PDU_MAX];
	struct smpp_addr dst;
	int64_t now = now_ms();

	for (struct job *j = s->jobs; j; j = j->next) {
		if (j->retry_ms > now)
			continue;
		dst.addr = j->to[0] == '+' ? j->to + 1 : j->to;
		dst.ton = j->to[0] == '+' ? 1 : 0;
		dst.npi = 1;
		for (unsigned i = 0; i < j->split.count; i++) {
			int len, err;
			if (j->acked[i] || j->seq[i])
				continue;
			j->seq[i] = next_seq(s);
			j->sent_ms[i] = now;
			len = smpp_pdu_submit_sm(buf, sizeof(buf), j->seq[i], &s->c.source, &dst,
						 &j->split, i, s->c.receipts);
			if (len < 0) {
				job_done(s, j, false, 0, "the text does not fit a submit_sm");
				return 0; /* the list changed: next round */
			}
			if ((err = tx(s, buf, len)))
				return err;
		}
	}
	return 0;
}

static struct job *job_by_seq(struct smpp_session *s, uint32_t seq, unsigned *part)
{
	for (struct job *j = s->jobs; j; j = j->next)
		for (unsigned i = 0; i < j->split.count; i++)
			if (j->seq[i] == seq && !j->acked[i]) {
				*part = i;
				return j;
			}
	return NULL;
}

static void on_submit_resp(struct smpp_session *s, const uint8_t *pdu, const struct smpp_header *h)
{
	unsigned part = 0;
	struct job *j = job_by_seq(s, h->seq, &part);
	char id[66];
	bool all = true;

	if (!j)
		return;
	if (h->status == ESME_RTHROTTLED || h->status == ESME_RMSGQFUL) {
		/* Again in a second, on this bind. */
		j->seq[part] = 0;
		j->retry_ms = now_ms() + 1000;
		return;
	}
	if (h->status != ESME_ROK) {
		char why[64];
		snprintf(why, sizeof(why), "submit_sm refused, status 0x%08x", h->status);
		log_warn("sms", "smsc=%s event=sms_refused status=0x%08x", s->name, h->status);
		job_done(s, j, false, h->status, why);
		return;
	}
	smpp_parse_submit_sm_resp(pdu, h->length, id, sizeof(id));
	j->acked[part] = true;
	if (j->ids[0])
		strncat(j->ids, ",", sizeof(j->ids) - strlen(j->ids) - 1);
	strncat(j->ids, id, sizeof(j->ids) - strlen(j->ids) - 1);
	for (unsigned i = 0; i < j->split.count; i++)
		all = all && j->acked[i];
	if (all) {
		log_info("sms", "smsc=%s event=sms_submitted parts=%u ids=%s", s->name,
			 j->split.count, j->ids);
		job_done(s, j, true, 0, NULL);
	}
}

static const char *state_name(int st)
{
	static const char *names[] = {"SCHEDLD", "ENROUTE", "DELIVRD", "EXPIRED", "DELETED",
				      "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD"};
	return st >= 0 && st <= 8 ? names[st] : "UNKNOWN";
}

/* A deliver_sm: the status to answer it with. */
static uint32_t on_deliver(struct smpp_session *s, const uint8_t *pdu, size_t len)
{
	static __thread struct smpp_deliver d;
	static __thread char text[SMS_TEXT_MAX * 2];
	char err[256], from[32];
	struct sms_concat c = {0, 0, 0};
	const uint8_t *body;
	size_t blen, hl = 0;
	uint8_t *whole = NULL;
	int rc;

	if (smpp_parse_deliver_sm(pdu, len, &d, err, sizeof(err))) {
		log_warn("sms", "smsc=%s event=sms_unreadable reason=\"%s\"", s->name, err);
		return ESME_RSYSERR;
	}
	if (d.receipt) {
		struct sms_receipt r;
		if (sms_receipt_parse((const char *)d.sm, d.sm_len, &r)) {
			memset(&r, 0, sizeof(r));
			snprintf(r.stat, sizeof(r.stat), "%s", state_name(d.message_state));
		}
		if (d.receipted_id[0])
			snprintf(r.id, sizeof(r.id), "%s", d.receipted_id);
		if (d.message_state >= 0)
			snprintf(r.stat, sizeof(r.stat), "%s", state_name(d.message_state));
		if (!r.id[0]) {
			log_warn("sms", "smsc=%s event=sms_receipt_unreadable", s->name);
			return ESME_ROK;
		}
		log_info("sms", "smsc=%s event=sms_receipt id=%s stat=%s", s->name, r.id, r.stat);
		if (s->ev.receipt)
			s->ev.receipt(s->ev.arg, &r);
		return ESME_ROK;
	}
	body = d.sm;
	blen = d.sm_len;
	if (d.esm_class & SMPP34_UDHI_IND) {
		if (sms_udh_read(d.sm, d.sm_len, &c, &hl)) {
			log_warn("sms", "smsc=%s event=sms_unreadable reason=\"bad UDH\"", s->name);
			return ESME_RX_P_APPN;
		}
		body += hl;
		blen -= hl;
	} else if (d.sar.total) {
		c = d.sar;
	}
	if (sms_e164(d.from, from, sizeof(from)))
		snprintf(from, sizeof(from), "%s", d.from);
	if (c.total > 1) {
		rc = sms_reasm_add(s->reasm, from, &c, d.data_coding, body, blen, now_ms(), &whole,
				   &blen);
		if (rc == EAGAIN)
			return ESME_ROK;
		if (rc) {
			log_warn("sms", "smsc=%s event=sms_unreadable reason=\"bad part\"",
				 s->name);
			return ESME_RX_P_APPN;
		}
		body = whole;
	}
	rc = sms_decode(d.data_coding, body, blen, text, sizeof(text));
	free(whole);
	if (rc) {
		log_warn("sms", "smsc=%s event=sms_unreadable reason=\"%s\" data_coding=%u",
			 s->name, strerror(rc), d.data_coding);
		return ESME_RX_P_APPN;
	}
	if (s->ev.message && s->ev.message(s->ev.arg, from, d.to, text)) {
		/* Not taken (a full queue): the SMSC keeps this part and delivers it again;
		 * the other parts of a long text stay here to complete it then. */
		log_warn("sms", "smsc=%s event=sms_deferred", s->name);
		return ESME_RMSGQFUL;
	}
	if (c.total > 1)
		sms_reasm_done(s->reasm, from, &c);
	log_info("sms", "smsc=%s event=sms_received parts=%u", s->name, c.total ? c.total : 1);
	return ESME_ROK;
}

/* Handles one PDU while bound; non-zero: the session is to be dropped. */
static int on_pdu(struct smpp_session *s, const uint8_t *pdu, const struct smpp_header *h)
{
	uint8_t buf[64];

	switch (h->id) {
	case DELIVER_SM:
		return tx(s, buf,
			  smpp_pdu_response(buf, sizeof(buf), DELIVER_SM_RESP,
					    on_deliver(s, pdu, h->length), h->seq));
	case SUBMIT_SM_RESP:
		on_submit_resp(s, pdu, h);
		return 0;
	case ENQUIRE_LINK:
		return tx(s, buf,
			  smpp_pdu_response(buf, sizeof(buf), ENQUIRE_LINK_RESP, 0, h->seq));
	case ENQUIRE_LINK_RESP:
		s->enquire_sent_ms = 0;
		return 0;
	case UNBIND:
		tx(s, buf, smpp_pdu_response(buf, sizeof(buf), UNBIND_RESP, 0, h->seq));
		return ECONNRESET;
	case GENERIC_NACK: {
		unsigned part;
		struct job *j = job_by_seq(s, h->seq, &part);
		log_warn("sms", "smsc=%s event=smpp_generic_nack status=0x%08x seq=%u", s->name,
			 h->status, h->seq);
		if (j)
			j->seq[part] = 0, j->retry_ms = now_ms() + 1000;
		return 0;
	}
	default:
		log_warn("sms", "smsc=%s event=smpp_unknown_command id=0x%08x", s->name, h->id);
		if (h->id & 0x80000000)
			return 0;
		return tx(
		    s, buf,
		    smpp_pdu_response(buf, sizeof(buf), GENERIC_NACK, ESME_RINVCMDID, h->seq));
	}
}

static void take_inbox(struct smpp_session *s)
{
	unsigned char m[MQ_MSG_MAX];
	struct job *j;

	mq_drain_fd(s->inbox);
	while (mq_pop(s->inbox, m) == sizeof(j)) {
		memcpy(&j, m, sizeof(j));
		if (!j)
			continue;
		*s->jobs_tail = j;
		s->jobs_tail = &j->next;
	}
}

static void serve_bound(struct smpp_session *s)
{
	static __thread uint8_t pdu[SMPP_PDU_MAX];
	struct smpp_header h;

	while (!atomic_load(&s->stop)) {
		struct pollfd p[2] = {{s->fd, POLLIN, 0}, {mq_fd(s->inbox), POLLIN, 0}};
		int64_t now = now_ms();
		bool late = false;
		int err;

		take_inbox(s);
		if ((err = submit_pending(s))) {
			drop(s, "write failed");
			return;
		}
		/* Each part submitted is answered within response_ms, or the session is lost
		 * (and the part submitted again on the next bind). */
		for (struct job *j = s->jobs; j; j = j->next)
			for (unsigned i = 0; i < j->split.count; i++)
				late = late || (j->seq[i] && !j->acked[i] &&
						now - j->sent_ms[i] > s->c.response_ms);
		if (late || (s->enquire_sent_ms && now - s->enquire_sent_ms > s->c.response_ms)) {
			drop(s, "no response in time");
			return;
		}
		if (!s->enquire_sent_ms && now - s->last_tx_ms >= s->c.enquire_ms) {
			uint8_t buf[32];
			s->enquire_sent_ms = now;
			if (tx(s, buf, smpp_pdu_enquire_link(buf, sizeof(buf), next_seq(s)))) {
				drop(s, "write failed");
				return;
			}
		}
		sms_reasm_expire(s->reasm, now, REASM_TTL_MS);
		poll(p, 2, 200);
		if (p[0].revents) {
			ssize_t n = recv(s->fd, s->rbuf + s->rlen, sizeof(s->rbuf) - s->rlen, 0);
			if (n <= 0) {
				drop(s, n == 0 ? "closed by the SMSC" : "read failed");
				return;
			}
			s->rlen += (size_t)n;
		}
		while ((err = read_pdu(s, pdu, &h, -1)) == 0)
			if ((err = on_pdu(s, pdu, &h))) {
				drop(s, "unbound by the SMSC");
				return;
			}
		if (err == EBADMSG) {
			/* Bytes that are no PDU: framing is lost; everything not acknowledged
			 * either way is sent again on a new bind. */
			log_warn("sms", "smsc=%s event=smpp_garbage bytes=%zu", s->name, s->rlen);
			drop(s, "garbage on the socket");
			return;
		}
	}
}

static void *session_main(void *arg)
{
	struct smpp_session *s = arg;
	int backoff = s->c.reconnect_min_ms;

	pthread_setname_np(pthread_self(), "smpp");

	while (!atomic_load(&s->stop)) {
		int err;

		take_inbox(s);
		if ((err = dial(s))) {
			log_warn("sms", "smsc=%s event=smpp_connect_failed err=%s retry_ms=%d",
				 s->name, strerror(err), backoff);
		} else if ((err = bind_session(s))) {
			drop(s, err == EACCES ? "bind refused" : "bind failed");
		} else {
			backoff = s->c.reconnect_min_ms;
			serve_bound(s);
			if (atomic_load(&s->stop))
				break;
			/* Lost: a quick first retry. */
			if (wait_stop(s, s->c.reconnect_min_ms))
				break;
			continue;
		}
		if (wait_stop(s, backoff))
			break;
		backoff = backoff * 2 > s->c.reconnect_max_ms ? s->c.reconnect_max_ms : backoff * 2;
	}
	if (s->fd >= 0 && s->bound) {
		uint8_t buf[32];
		struct smpp_header h;
		static __thread uint8_t pdu[SMPP_PDU_MAX];
		uint32_t seq = next_seq(s);
		if (!tx(s, buf, smpp_pdu_unbind(buf, sizeof(buf), seq)))
			while (!read_pdu(s, pdu, &h, 1000) && h.id != UNBIND_RESP)
				;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	return NULL;
}

int smpp_session_start(const struct smpp_conf *conf, const struct smpp_events *ev,
		       struct smpp_session **out)
{
	struct smpp_session *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return ENOMEM;
	s->c = *conf;
	snprintf(s->host, sizeof(s->host), "%s", conf->host ? conf->host : "127.0.0.1");
	snprintf(s->system_id, sizeof(s->system_id), "%s", conf->bind.system_id);
	snprintf(s->password, sizeof(s->password), "%s",
		 conf->bind.password ? conf->bind.password : "");
	snprintf(s->system_type, sizeof(s->system_type), "%s",
		 conf->bind.system_type ? conf->bind.system_type : "");
	snprintf(s->source, sizeof(s->source), "%s", conf->source.addr ? conf->source.addr : "");
	snprintf(s->name, sizeof(s->name), "%s", conf->log_name ? conf->log_name : s->host);
	s->c.host = s->host;
	s->c.bind.system_id = s->system_id;
	s->c.bind.password = s->password;
	s->c.bind.system_type = s->system_type;
	s->c.source.addr = s->source;
	s->c.log_name = s->name;
	if (s->c.enquire_ms <= 0)
		s->c.enquire_ms = 30000;
	if (s->c.response_ms <= 0)
		s->c.response_ms = 10000;
	if (s->c.reconnect_min_ms <= 0)
		s->c.reconnect_min_ms = 1000;
	if (s->c.reconnect_max_ms < s->c.reconnect_min_ms)
		s->c.reconnect_max_ms = s->c.reconnect_min_ms * 60;
	s->ev = *ev;
	s->fd = -1;
	s->jobs_tail = &s->jobs;
	if (!(s->reasm = sms_reasm_new()) || (err = mq_alloc(&s->inbox, 4096))) {
		sms_reasm_free(s->reasm);
		free(s);
		return ENOMEM;
	}
	if ((err = pthread_create(&s->thread, NULL, session_main, s))) {
		mq_free(s->inbox);
		sms_reasm_free(s->reasm);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

void smpp_session_stop(struct smpp_session *s)
{
	struct job *nil = NULL;
	unsigned char m[MQ_MSG_MAX];
	struct job *j;

	if (!s)
		return;
	atomic_store(&s->stop, true);
	mq_push(s->inbox, &nil, sizeof(nil));
	pthread_join(s->thread, NULL);
	while (mq_pop(s->inbox, m) == sizeof(j)) {
		memcpy(&j, m, sizeof(j));
		free(j);
	}
	while (s->jobs) {
		j = s->jobs;
		s->jobs = j->next;
		free(j);
	}
	mq_free(s->inbox);
	sms_reasm_free(s->reasm);
	free(s);
}

int smpp_send(struct smpp_session *s, uint64_t cookie, const char *to, const char *text)
{
	struct job *j = calloc(1, sizeof(*j));
	int err;

	if (!j)
		return ENOMEM;
	j->cookie = cookie;
	snprintf(j->to, sizeof(j->to), "%s", to);
	/* The concatenation reference: varies from text to text to the same number. */
	if ((err = sms_split(text, (uint8_t)(cookie * 31 + (uint64_t)clock_mono_us()), 0,
			     &j->split))) {
		free(j);
		return err;
	}
	if ((err = mq_push(s->inbox, &j, sizeof(j)))) {
		free(j);
		return err;
	}
	return 0;
}
