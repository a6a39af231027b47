/* Internals shared by the SIP module's files: the stack, legs and the registrar. */
#ifndef CENTRALA_SIP_INT_H
#define CENTRALA_SIP_INT_H

#define NUA_MAGIC_T	struct sip
#define NUA_HMAGIC_T	struct sip_leg
#define SU_ROOT_MAGIC_T void

#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tagarg.h>

#include "sip/digest.h"
#include "sip/sdp.h"
#include "sip/sip.h"

/* Writes the TLS listener's certificate directory for sofia-sip (tls.c) from the
 * config's sip.tls files, checked first; its path goes to dir. 0 or errno (logged). */
int sip__tls_dir_make(const struct cfg *cfg, char *dir, size_t size);
/* Removes that directory and its files; an empty or NULL dir is ignored. */
void sip__tls_dir_remove(const char *dir);

#define SIP_MAX_CONTACTS 8
#define SIP_AOR_BUCKETS	 4096
#define SIP_NC_SLOTS	 8192
#define SIP_UDP_RMEM	 (2 << 20)
#define SIP_SHUTDOWN_MS	 3000

struct sip_binding {
	char uri[256];
	char call_id[128];
	uint32_t cseq;
	int64_t expires_s; /* wall-clock second it ends */
};

struct sip_aor {
	struct sip_aor *next;
	char domain[96], user[64];
	void *cookie;
	struct sip_binding b[SIP_MAX_CONTACTS];
	size_t n;
};

enum sip_leg_state { LEG_NEW, LEG_EARLY, LEG_ANSWERED, LEG_CONFIRMED, LEG_ENDING };

struct sip_leg {
	struct sip *sip;
	struct sip_leg *prev, *next; /* every live leg, for shutdown */
	nua_handle_t *nh;
	bool incoming;
	enum sip_leg_state state;
	struct media_params params;
	bool have_params;
	struct media_session *ms;
	uint64_t media_owner;
	struct media_session *near;
	void *cookie;
	int final_status;
	bool by_peer;
	bool auth_tried;
	char *auth_user, *auth_pass;
	char call_id[128];
	uint64_t sdp_version;
	bool refer_pending;
	bool md5_only;		      /* its user agent cannot cope with a SHA-256 challenge */
	enum cfg_srtp srtp_mode;      /* what re-INVITEs must keep to (sip_leg_srtp_policy) */
	bool srtp_avp;		      /* we offered best-effort SRTP: keys ride on RTP/AVP */
	struct media_srtp srtp_offer; /* the key of that offer, until answered for good */
	/* Our BYE is out: the engine hears SIP_EV_ENDED from end_timer at once, not when the
	 * phone answers (a phone gone silent would hold its agent for the BYE's 32 s). The
	 * leg then waits, forgotten by the engine (`ended`, no cookie, no media), for the
	 * stack to finish the dialog. */
	su_timer_t *end_timer;
	bool ended;
	/* A local leg (local.c): no dialog (nh NULL), its media session borrowed. */
	bool local;
	bool local_owns_ms;	 /* sip_leg_local_adopt: freed with the leg */
	su_timer_t *local_timer; /* delivers SIP_EV_ENDED after the call that ended it */
	sip_local_gone_h *local_gone;
	void *local_arg;
};

struct sip {
	su_root_t *root;
	nua_t *nua;
	const struct cfg *cfg;
	struct media *media;
	struct sip_handlers h;
	void *arg;
	struct sdp_prefs prefs;
	struct digest_key key;
	struct digest_guard *guard;
	struct digest_nc_table *nc; /* highest nonce-count accepted per nonce */
	struct sip_aor *aors[SIP_AOR_BUCKETS];
	struct sip_leg *legs;
	su_timer_t *sweep;
	/* No binding expires before this wall-clock second (it may be earlier than the
	 * first real expiry): the sweep reads no AOR until then. */
	int64_t next_expiry_s;
	bool shutdown_done;
	struct sip_stats stats;
	struct sip_trunk_reg *trunk_regs; /* registrations with carriers (trunk_reg.c) */
};

/* registrar.c */
void sip__register(struct sip *s, nua_handle_t *nh, const sip_t *sip);
void sip__sweep(struct sip *s, int64_t now_s);
void sip__aors_free(struct sip *s);
/* Source "ip:port" of a request, from its top Via (received/rport as the stack set). */
void sip__source(const sip_t *sip, char *buf, size_t size);
/* The address part of "ip:port", for the guard. */
void sip__source_ip(const char *src, char *buf, size_t size);
/* Checks credentials in an Authorization-like header list for `realm`. Returns the
 * digest result, fills cred when OK or STALE; a right answer whose (nonce, nc) was
 * already accepted is DIGEST_STALE (see digest_nc_accept). An answer for another user
 * than user_must (when given) or for another URI than the Request-URI `ruri` is
 * DIGEST_BAD. found=false when no header matched. */
enum digest_result sip__check_auth(struct sip *s, const sip_authorization_t *au, const char *realm,
				   const char *method, const url_t *ruri, const char *user_must,
				   struct sip_cred *cred, bool *found);
/* Two challenges (MD5 first for old phones, then SHA-256) as header lines; MD5 alone
 * with md5_only (see digest_ua_md5_only). */
void sip__challenge_headers(struct sip *s, const char *hname, const char *realm, bool stale,
			    bool md5_only, char *buf, size_t size);

/* trunk_reg.c: a REGISTER's answer on a trunk's handle; the rest at the stop. */
void sip__trunk_reg_event(struct sip *s, nua_event_t event, int status, const char *phrase,
			  nua_handle_t *nh, const sip_t *sip);
void sip__trunk_regs_free(struct sip *s);

/* leg.c */
/* A new leg in the list of live legs (nh NULL: a local leg), and its end. */
struct sip_leg *sip__leg_new(struct sip *s, nua_handle_t *nh, bool incoming);
void sip__leg_free(struct sip_leg *l);
void sip__leg_emit(struct sip_leg *l, const struct sip_event *ev);
/* local.c: sip_leg_hangup of a local leg. */
void sip__local_hangup(struct sip_leg *l);
/* local.c: what a local leg holds beyond a dialog's, let go as it is freed. */
void sip__local_free(struct sip_leg *l);
void sip__invite(struct sip *s, nua_handle_t *nh, struct sip_leg *l, const sip_t *sip);
void sip__leg_event(struct sip *s, nua_event_t ev, int status, const char *phrase, nua_handle_t *nh,
		    struct sip_leg *l, const sip_t *sip, tagi_t tags[]);
/* Frees every leg still alive without calling handlers (shutdown: an INVITE that never
 * got an answer keeps its handle busy for 32 s otherwise). Returns how many. */
size_t sip__legs_release(struct sip *s);

#endif
