/*
 * libFuzzer harness of the SIP requests and responses the server reads: each input is
 * one message as it arrives in a datagram or off a TCP stream. It is parsed by
 * sofia-sip's own parser (msg_make with the server's extended header classes) and
 * passes the transaction layer's checks (nta answers 400 to a request with a broken
 * essential header or failing sip_sanity_check, and drops such a response); what is left
 * goes to the handlers the stack calls in the server (src/sip):
 *   REGISTER             sip__register (digest, bindings, the failed-auth guard)
 *   INVITE, no To tag    sip__invite (SDP offer, From, P-Asserted-Identity, digest)
 *   INVITE with To tag   the re-INVITE of an answered leg (hold, new address)
 *   INFO, REFER, BYE,    sip__leg_event on an answered leg (DTMF bodies, transfer
 *   CANCEL, ACK, ...     targets, the end of the dialog)
 *   a response           sip__leg_event(nua_r_invite) on an outgoing leg (answers,
 *                        early media, a trunk's challenge)
 * Legs in dialog are made by a fixed, valid INVITE first. NUA handles are NULL: the
 * stack ignores calls on an invalid handle, so replies go nowhere and only our reading
 * of the message is exercised. The engine's part (a handler per event) checks that
 * every string handed up is readable and that a digit is one of DTMF's sixteen.
 * Build and run: fuzz/README.md.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_util.h>

#include "core/log.h"
#include "core/mq.h"
#include "media/media.h"
#include "sip/sip_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sip s;
static struct cfg cfg;
static struct media *media;
static struct mq *events;
static struct sip_leg *last_leg;

static void touch(const char *p)
{
	if (p && strlen(p) > (1u << 20))
		abort();
}

static int lookup(void *arg, const char *domain, const char *user, struct sip_cred *out)
{
	touch(domain);
	touch(user);
	if (strcmp(user, "alice"))
		return ENOENT;
	/* HA1 of alice:<domain>:secret would need the domain; any value works here. */
	memset(out, 0, sizeof(*out));
	memset(out->ha1_md5, 'a', 32);
	memset(out->ha1_sha256, 'b', 64);
	return 0;
}

static void incoming(void *arg, struct sip_leg *l, const struct sip_invite_info *info)
{
	touch(info->from_user);
	touch(info->from_display);
	touch(info->from_host);
	touch(info->to_user);
	touch(info->req_host);
	touch(info->source);
	touch(info->pai_user);
	touch(info->call_id);
	last_leg = l;
}

static void event(void *arg, struct sip_leg *l, const struct sip_event *ev)
{
	if (ev->type == SIP_EV_DTMF && !strchr("0123456789*#ABCD", ev->digit))
		abort();
	if (ev->type == SIP_EV_REFER) {
		touch(ev->refer_user);
		touch(ev->refer_host);
	}
	touch(ev->reason);
}

static msg_t *parse(const void *data, size_t size)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)size);
	sip_t *sip = msg ? sip_object(msg) : NULL;
	/* nta's default NTATAG_BAD_REQ_MASK and NTATAG_BAD_RESP_MASK. */
	unsigned bad = sip && sip->sip_request ? ~(unsigned)(sip_mask_response | sip_mask_proxy)
					       : ~(unsigned)(sip_mask_request | sip_mask_proxy);

	if (!sip || (sip->sip_flags & MSG_FLG_ERROR) || (!sip->sip_request && !sip->sip_status) ||
	    (msg_extract_errors(msg) & bad) || sip_sanity_check(sip) < 0) {
		msg_destroy(msg);
		return NULL;
	}
	return msg;
}

/* An answered incoming leg, made by a valid INVITE (a new one per input). */
static struct sip_leg *answered_leg(void)
{
	static const char invite[] =
	    "INVITE sip:100@127.0.0.1 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-fuzz\r\n"
	    "From: <sip:+48601234567@127.0.0.1>;tag=a\r\n"
	    "To: <sip:100@127.0.0.1>\r\n"
	    "Call-ID: fuzz@127.0.0.1\r\n"
	    "CSeq: 1 INVITE\r\n"
	    "Contact: <sip:caller@127.0.0.1:5070>\r\n"
	    "Content-Type: application/sdp\r\n"
	    "Content-Length: 126\r\n\r\n"
	    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
	msg_t *msg = parse(invite, sizeof(invite) - 1);

	last_leg = NULL;
	if (!msg)
		abort();
	sip__invite(&s, NULL, NULL, sip_object(msg));
	msg_destroy(msg);
	if (!last_leg)
		abort();
	/* Sessions are given back by their worker a moment after the legs of the last
	 * input went: wait for a slot rather than report a full table. */
	for (int i = 0; sip_leg_answer(last_leg); i++) {
		struct timespec ms = {0, 1000000};
		if (i == 5000)
			abort();
		nanosleep(&ms, NULL);
	}
	return last_leg;
}

static void init(void)
{
	struct media_config mc = {.port_min = 61000,
				  .port_max = 61398,
				  .workers = 1,
				  .max_sessions = 64,
				  .io = MEDIA_IO_EPOLL};

	/* Every log line is formatted (with the message's strings in it) and thrown away. */
	log_setup(LOG_LEVEL_DEBUG, open("/dev/null", O_WRONLY | O_CLOEXEC));
	inet_pton(AF_INET, "127.0.0.1", &mc.address);
	if (mq_alloc(&events, 1024) || media_create(&mc, events, &media))
		abort();
	cfg.auth_fail_limit = 5;
	cfg.auth_block_ms = 60000;
	cfg.nonce_ttl_ms = 300000;
	s.cfg = &cfg;
	s.media = media;
	s.h = (struct sip_handlers){.lookup = lookup, .incoming = incoming, .event = event};
	sdp_prefs_default(&s.prefs);
	digest_key_init(&s.key);
	if (digest_guard_create(4096, 5, 60000, 60000, &s.guard) ||
	    digest_nc_create(SIP_NC_SLOTS, &s.nc))
		abort();
	sip_update_default_mclass(sip_extend_mclass(NULL));
	/* The stack's note on each reply to a NULL handle. */
	setenv("NUA_DEBUG", "0", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static unsigned char drain[MQ_MSG_MAX];
	msg_t *msg;
	sip_t *sip;
	struct sip_leg *l;
	nua_event_t ev;

	if (!ready) {
		init();
		ready = 1;
	}
	if (!(msg = parse(data, size)))
		return 0;
	sip = sip_object(msg);
	if (sip->sip_status) {
		/* An answer to an INVITE of ours. */
		l = answered_leg();
		l->incoming = false;
		l->state = LEG_NEW;
		l->have_params = false;
		l->auth_user = strdup("trunkuser");
		l->auth_pass = strdup("trunkpass");
		sip__leg_event(&s, nua_r_invite, sip->sip_status->st_status,
			       sip->sip_status->st_phrase, NULL, l, sip, NULL);
		goto out;
	}
	switch (sip->sip_request->rq_method) {
	case sip_method_register:
		sip__register(&s, NULL, sip);
		goto out;
	case sip_method_invite:
		if (!sip->sip_to->a_tag) {
			last_leg = NULL;
			sip__invite(&s, NULL, NULL, sip);
			/* The engine answers: our SDP from what was negotiated. */
			if (last_leg && last_leg->have_params)
				(void)sip_leg_answer(last_leg);
			goto out;
		}
		sip__invite(&s, NULL, answered_leg(), sip);
		goto out;
	case sip_method_info:
		ev = nua_i_info;
		break;
	case sip_method_refer:
		ev = nua_i_refer;
		break;
	case sip_method_bye:
		ev = nua_i_bye;
		break;
	case sip_method_cancel:
		ev = nua_i_cancel;
		break;
	case sip_method_ack:
		ev = nua_i_ack;
		break;
	default:
		goto out;
	}
	l = answered_leg();
	sip__leg_event(&s, ev, 200, "OK", NULL, l, sip, NULL);
	if (ev == nua_i_refer)
		sip_leg_refer_result(l, 202);
out:
	sip__legs_release(&s);
	while (mq_pop(events, drain))
		;
	msg_destroy(msg);
	return 0;
}
