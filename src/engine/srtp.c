/*
 * Which legs must be encrypted. A tenant's `srtp` rule (required, optional, off) holds
 * for its phones and callers; a trunk's own rule, when it has one, holds for the calls
 * it carries. Incoming offers are checked here before the call goes anywhere (a plain
 * offer where SRTP is required is refused with 488); legs we place offer RTP/SAVP
 * where it is required, best-effort SRTP (RTP/AVP with a key) where it is optional.
 */
#include "engine/engine_int.h"

#include "core/log.h"

enum cfg_srtp eng__srtp_mode(const struct cfg_tenant *ct, const struct cfg_trunk *tk)
{
	if (tk && tk->srtp != CFG_SRTP_DEFAULT)
		return tk->srtp;
	return ct->srtp != CFG_SRTP_DEFAULT ? ct->srtp : CFG_SRTP_OPTIONAL;
}

bool eng__srtp_refused(const struct cfg_tenant *ct, struct sip_leg *leg,
		       const struct sip_invite_info *info)
{
	const struct cfg_trunk *tk;
	enum cfg_srtp mode;

	if (!ct)
		return false;
	/* An authenticated phone is the tenant's, whatever address it calls from. */
	tk = info->auth_cookie ? NULL : eng__trunk_of_source(ct, info->source);
	mode = eng__srtp_mode(ct, tk);
	if (!sip_leg_srtp_policy(leg, mode))
		return false;
	log_warn("engine", "tenant=%s event=rejected status=488 reason=%s number=%s source=%s%s%s",
		 ct->id, mode == CFG_SRTP_REQUIRED ? "srtp_required" : "srtp_off", info->to_user,
		 info->source, tk ? " trunk=" : "", tk ? tk->id : "");
	sip_leg_reject(leg, 488, "Not Acceptable Here");
	return true;
}
