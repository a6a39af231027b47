/*
 * SIP signalling on sofia-sip's NUA: listeners, the registrar for agent phones (digest
 * authentication with per-tenant realms), and call legs for the engine's B2BUA. Each leg
 * is one dialog with its own media session; SDP offer/answer happens here, so the engine
 * deals only in legs, events and media sessions.
 *
 * Threading: everything here runs on the engine thread, which runs the su_root given to
 * sip_create(); handlers are called on that thread. The SIP stack itself runs there too
 * (sip_create turns off su_root_threading): no thread of its own, no messages across.
 *
 * Lifetime: a leg exists from the INVITE (in or out) until its SIP_EV_ENDED event; after
 * the handler for that event returns, the leg and its media session are freed.
 */
#ifndef CENTRALA_SIP_H
#define CENTRALA_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sofia-sip/su_wait.h>

#include "core/config.h"
#include "media/media.h"

struct sip;
struct sip_leg;

/* A phone user's stored credentials, found by (domain, user). */
struct sip_cred {
	char ha1_md5[33];
	char ha1_sha256[65];
	void *cookie; /* the engine's user object */
};

struct sip_invite_info {
	const char *from_user, *from_display, *from_host;
	const char *to_user;  /* the dialled number: Request-URI user part */
	const char *req_host; /* Request-URI host: the tenant's domain or our address */
	const char *source;   /* "ip:port" the request came from */
	const char *pai_user; /* P-Asserted-Identity's number (user part, or tel: number), or
			       * NULL: to be trusted only from a trunk's address */
	const char *call_id;
	void *auth_cookie; /* the user who authenticated this INVITE, or NULL */
};

enum sip_event_type {
	SIP_EV_PROGRESS = 1, /* outgoing leg: 180/183 */
	SIP_EV_ANSWERED,     /* outgoing leg: 2xx, media negotiated and set */
	SIP_EV_CONFIRMED,    /* incoming leg: ACK for our 2xx arrived */
	SIP_EV_MEDIA,	     /* a re-INVITE changed direction (hold/unhold) or address */
	SIP_EV_DTMF,	     /* SIP INFO dtmf-relay / dtmf */
	SIP_EV_REFER,	     /* blind transfer requested by the peer */
	SIP_EV_ENDED,	     /* the dialog is over; the leg is freed after the handler */
};

struct sip_event {
	enum sip_event_type type;
	int status;	    /* PROGRESS: 180/183; ENDED: final failure status or 0 */
	bool early_media;   /* PROGRESS with SDP */
	bool by_peer;	    /* ENDED: BYE/CANCEL/failure from the other side */
	enum media_dir dir; /* MEDIA */
	char digit;	    /* DTMF */
	const char *refer_user, *refer_host; /* REFER target */
	const char *reason;		     /* ENDED: text for logs */
};

struct sip_handlers {
	/* Finds the credentials of phone user `user` in the tenant whose domain is `domain`.
	 * Returns 0 and fills *out, or ENOENT. */
	int (*lookup)(void *arg, const char *domain, const char *user, struct sip_cred *out);
	/* A new INVITE. The engine answers by a leg call (progress, answer, reject, ...)
	 * now or later; it may call sip_leg_challenge to demand authentication. */
	void (*incoming)(void *arg, struct sip_leg *leg, const struct sip_invite_info *info);
	void (*event)(void *arg, struct sip_leg *leg, const struct sip_event *ev);
	/* A user's registered contact count changed (0: no phone registered). */
	void (*registration)(void *arg, void *user_cookie, const char *domain, const char *user,
			     size_t ncontacts);
};

struct sip_config {
	const struct cfg *cfg; /* listeners, user agent, nonce TTL, auth guard */
	struct media *media;
};

int sip_create(su_root_t *root, const struct sip_config *sc, const struct sip_handlers *h,
	       void *arg, struct sip **out);
/* Whether the stack's event loop sleeps until its next timer is due (true), rather than
 * polling with a zero timeout for the last fraction of a millisecond before each one:
 * this program rounds sofia-sip's su_duration() up (src/sip/timewait.c), and this checks
 * through the library's own timer code that its calls reach that definition. Needs
 * su_init(); creates and destroys a root of its own, so it may run on any thread.
 * sip_create() logs a warning when it returns false. */
bool sip_stack_timers_round_up(void);
/* Stops the stack. Legs should have been hung up just before: those still alive after
 * a second are freed without their handlers being called. Returns within about 3 s. */
void sip_destroy(struct sip *s);

/* Registered contact URIs of a user (at most max), freshest first. */
size_t sip_contacts(struct sip *s, const char *domain, const char *user, const char **out,
		    size_t max);

/* Outgoing leg: INVITE `uri` with an offer from a new media session placed near `near`.
 * `from_user`/`from_display` name the caller; `auth_user`/`auth_pass` answer a trunk's
 * challenge. `first` puts a codec first in our offer (to avoid transcoding). */
struct sip_dial {
	const char *uri;
	const char *from_user, *from_display, *from_host;
	const char *auth_user, *auth_pass;
	enum media_codec first;
	struct media_session *near;
	uint64_t media_owner;
	const char *extra_headers; /* e.g. "X-Centrala-Call: 42\r\n", may be NULL */
	/* REQUIRED: offer RTP/SAVP with an SDES key (the answer must take it); OPTIONAL:
	 * best-effort, RTP/AVP with the key (SRTP when the answer takes it, plain RTP
	 * when it does not); OFF or DEFAULT: plain RTP. */
	enum cfg_srtp srtp;
};
int sip_leg_dial(struct sip *s, const struct sip_dial *d, struct sip_leg **out);

/* A registration with a carrier (a trunk's `register: true`): REGISTER for `user` at
 * registrar `uri` ("sip:host[:port]"), the challenge answered with `password`, refreshed
 * by the stack. The handle is the caller's until sip_trunk_unregister, which sends the
 * un-REGISTER and frees it once answered (or at sip_destroy). 0, EINVAL or ENOMEM. */
struct sip_trunk_reg;
struct sip_trunk_reg_params {
	const char *tenant, *trunk; /* for the log */
	const char *uri, *user, *password;
	long expires_s; /* 0: 3600 */
};
int sip_trunk_register(struct sip *s, const struct sip_trunk_reg_params *p,
		       struct sip_trunk_reg **out);
void sip_trunk_unregister(struct sip_trunk_reg *r);
/* Whether the carrier's last answer accepted the registration. */
bool sip_trunk_registered(const struct sip_trunk_reg *r);

/*
 * Local legs: a leg that is no SIP dialog, for a phone the engine reaches by other
 * signalling (the browser phone over the events WebSocket). It borrows a media session
 * that outlives it (the phone's, for the login) and behaves towards the engine as an
 * outgoing leg ringing: sip_leg_local_answer gives SIP_EV_ANSWERED; sip_leg_hangup (by
 * the engine) and sip_leg_local_end (by the phone) give SIP_EV_ENDED once the current
 * call has returned, as a dialog's end does; `gone` is called then, after the engine's
 * handler, with whether the phone ended it. Its media session is taken out of any
 * bridge or mix and its play stopped as the leg goes; it is never freed here.
 */
typedef void(sip_local_gone_h)(void *arg, struct sip_leg *l, bool by_phone);
/* A local leg on `ms` with the parameters negotiated for it (p: codec, payload types,
 * direction). 0 or ENOMEM. */
int sip_leg_local(struct sip *s, struct media_session *ms, const struct media_params *p,
		  sip_local_gone_h *gone, void *arg, struct sip_leg **out);
/* The phone answered: SIP_EV_ANSWERED now. EINVAL when not a ringing local leg. */
int sip_leg_local_answer(struct sip_leg *l);
/* The phone rejected (status, e.g. 486 or 603) or hung up: SIP_EV_ENDED by the peer
 * soon after. EINVAL when not a local leg or already ending. */
int sip_leg_local_end(struct sip_leg *l, int status);
bool sip_leg_is_local(const struct sip_leg *l);
/* The local leg's media session is freed with the leg (its phone went first). */
void sip_leg_local_adopt(struct sip_leg *l);
/* Whether an answered leg's call is up (answered and not ending). */
bool sip_leg_answered(const struct sip_leg *l);

/* Incoming legs. */
int sip_leg_progress(struct sip_leg *l, int status, bool early_media);
int sip_leg_answer(struct sip_leg *l);
int sip_leg_reject(struct sip_leg *l, int status, const char *phrase);
/* 503 Service Unavailable with Retry-After: retry_after_s (the server is stopping). */
int sip_leg_unavailable(struct sip_leg *l, unsigned retry_after_s);
/* Demands digest authentication (407) in `realm`; the retried INVITE comes back through
 * the incoming handler as a new leg with auth_cookie set. */
int sip_leg_challenge(struct sip_leg *l, const char *realm);
/* Ends the leg whatever its state: BYE, CANCEL, or a final response. */
void sip_leg_hangup(struct sip_leg *l, int status_if_unanswered);
/* Tells the REFER's sender how the transfer went (NOTIFY with a sipfrag). */
void sip_leg_refer_result(struct sip_leg *l, int status);

/* Applies a tenant's or trunk's SRTP rule to an incoming leg's offer: EPERM when the
 * offer is plain RTP and `mode` is required, or SRTP and `mode` is off (the caller
 * answers 488); 0 otherwise. Re-INVITEs of the leg keep to the same rule. */
int sip_leg_srtp_policy(struct sip_leg *l, enum cfg_srtp mode);
/* Whether the leg's media is SRTP. */
bool sip_leg_srtp(const struct sip_leg *l);

/* Allocates the leg's media session now (incoming legs: done when the offer is read). */
struct media_session *sip_leg_media(struct sip_leg *l);
const struct media_params *sip_leg_params(const struct sip_leg *l);
bool sip_leg_incoming(const struct sip_leg *l);
void sip_leg_set_cookie(struct sip_leg *l, void *cookie);
void *sip_leg_cookie(const struct sip_leg *l);
const char *sip_leg_call_id(const struct sip_leg *l);

/* Sets the media owner for incoming legs (needed before sip_leg_answer). */
void sip_leg_set_media_owner(struct sip_leg *l, uint64_t owner);

struct sip_stats {
	uint64_t registers_ok, registers_failed, invites_in, invites_out, blocked;
	size_t registered_contacts;
};
void sip_stats_get(const struct sip *s, struct sip_stats *out);

#endif
