/*
 * Pure mappings of the engine's dialer: what a SIP outcome or AMD's verdict means for an
 * attempt, how a lead's status is stored, and what an agent's disposition does to the
 * lead. No I/O and no engine state, so the unit tests check every branch.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <string.h>

#include "media/amd.h"

enum dialer_result eng__camp_result_unanswered(int status, bool timed_out)
{
	/* Our own ring timeout cancels the INVITE: whatever final answer the CANCEL
	 * provokes (487 usually), the lead did not answer. */
	if (timed_out)
		return DIALER_R_NO_ANSWER;
	if (status == 487)
		return DIALER_R_NETWORK; /* cancelled by us for another reason (shutdown) */
	if (status >= 200 && status < 300)
		return DIALER_R_NETWORK; /* an answer is never "unanswered": a bug upstream */
	return dialer_result_from_sip(status, false);
}

enum dialer_result eng__camp_result_amd(int amd)
{
	switch (amd) {
	case MEDIA_AMD_MACHINE:
	case MEDIA_AMD_MACHINE_BEEP:
	case MEDIA_AMD_NO_BEEP:
		return DIALER_R_MACHINE;
	case MEDIA_AMD_FAX:
		return DIALER_R_FAX;
	default:
		/* UNSURE is handled as a person: hanging up on one is the worse mistake. */
		return DIALER_R_PERSON;
	}
}

const char *eng__camp_lead_state_name(enum dialer_lead_state s)
{
	switch (s) {
	case DIALER_LEAD_READY:
		return "ready";
	case DIALER_LEAD_DIALING:
		return "dialing";
	case DIALER_LEAD_WAITING:
		return "waiting";
	case DIALER_LEAD_DONE:
		return "done";
	}
	return "ready";
}

int eng__camp_disposition(const struct dialer_campaign *cfg, const char *code, int64_t now_ms,
			  int64_t callback_ms, enum dialer_dispose *d, int64_t *at_ms,
			  enum eng_camp_dnc *dnc)
{
	if (!code || !*code)
		return ENOENT;
	for (size_t i = 0; i < cfg->ndispositions; i++) {
		const struct dialer_disposition *p = &cfg->dispositions[i];
		if (strcmp(p->code, code))
			continue;
		*dnc = ENG_CAMP_DNC_NONE;
		*at_ms = now_ms;
		switch (p->action) {
		case DIALER_DISP_CLOSE:
			*d = DIALER_DISPOSE_CLOSE;
			break;
		case DIALER_DISP_DNC:
			*d = DIALER_DISPOSE_CLOSE;
			*dnc = ENG_CAMP_DNC_CAMPAIGN;
			break;
		case DIALER_DISP_OPT_OUT:
			*d = DIALER_DISPOSE_CLOSE;
			*dnc = ENG_CAMP_DNC_TENANT;
			break;
		case DIALER_DISP_RETRY:
			*d = DIALER_DISPOSE_RETRY;
			*at_ms = now_ms + (int64_t)p->retry_ms;
			break;
		case DIALER_DISP_CALLBACK:
			*d = DIALER_DISPOSE_CALLBACK;
			*at_ms = callback_ms > now_ms ? callback_ms : now_ms + 3600 * 1000LL;
			break;
		}
		return 0;
	}
	return ENOENT;
}
