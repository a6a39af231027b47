/*
 * The time zone of a lead from its number's country, for leads without a `timezone`
 * column. Only countries (and regions of them with their own calling prefixes) that
 * keep one zone are listed; a number of a country with several zones (+1, +7, +52,
 * +55, +61, +62, ...) has none here, and the caller falls back to the campaign's or the
 * tenant's zone, as docs/dialer.md says. Longest prefix wins.
 */
#include "dialer/dialer.h"

#include <string.h>

static const struct {
	const char *prefix; /* E.164 digits after "+" */
	const char *zone;
} zones[] = {
    /* Regions with a zone of their own first: the longest prefix wins anyway. */
    {"34922", "Atlantic/Canary"},  {"34928", "Atlantic/Canary"},  {"34822", "Atlantic/Canary"},
    {"34828", "Atlantic/Canary"},  {"351292", "Atlantic/Azores"}, {"351295", "Atlantic/Azores"},
    {"351296", "Atlantic/Azores"}, {"20", "Africa/Cairo"},	  {"27", "Africa/Johannesburg"},
    {"30", "Europe/Athens"},	   {"31", "Europe/Amsterdam"},	  {"32", "Europe/Brussels"},
    {"33", "Europe/Paris"},	   {"34", "Europe/Madrid"},	  {"36", "Europe/Budapest"},
    {"39", "Europe/Rome"},	   {"40", "Europe/Bucharest"},	  {"41", "Europe/Zurich"},
    {"43", "Europe/Vienna"},	   {"44", "Europe/London"},	  {"45", "Europe/Copenhagen"},
    {"46", "Europe/Stockholm"},	   {"47", "Europe/Oslo"},	  {"48", "Europe/Warsaw"},
    {"49", "Europe/Berlin"},	   {"60", "Asia/Kuala_Lumpur"},	  {"63", "Asia/Manila"},
    {"64", "Pacific/Auckland"},	   {"65", "Asia/Singapore"},	  {"66", "Asia/Bangkok"},
    {"81", "Asia/Tokyo"},	   {"82", "Asia/Seoul"},	  {"84", "Asia/Ho_Chi_Minh"},
    {"86", "Asia/Shanghai"},	   {"90", "Europe/Istanbul"},	  {"91", "Asia/Kolkata"},
    {"234", "Africa/Lagos"},	   {"254", "Africa/Nairobi"},	  {"351", "Europe/Lisbon"},
    {"352", "Europe/Luxembourg"},  {"353", "Europe/Dublin"},	  {"354", "Atlantic/Reykjavik"},
    {"356", "Europe/Malta"},	   {"357", "Asia/Nicosia"},	  {"358", "Europe/Helsinki"},
    {"359", "Europe/Sofia"},	   {"370", "Europe/Vilnius"},	  {"371", "Europe/Riga"},
    {"372", "Europe/Tallinn"},	   {"373", "Europe/Chisinau"},	  {"375", "Europe/Minsk"},
    {"380", "Europe/Kyiv"},	   {"381", "Europe/Belgrade"},	  {"385", "Europe/Zagreb"},
    {"386", "Europe/Ljubljana"},   {"420", "Europe/Prague"},	  {"421", "Europe/Bratislava"},
    {"852", "Asia/Hong_Kong"},	   {"966", "Asia/Riyadh"},	  {"971", "Asia/Dubai"},
    {"972", "Asia/Jerusalem"},
};

const char *dialer_zone_of_number(const char *e164)
{
	const char *best = NULL;
	size_t best_len = 0;

	if (!e164 || e164[0] != '+')
		return NULL;
	e164++;
	for (size_t i = 0; i < sizeof(zones) / sizeof(*zones); i++) {
		size_t n = strlen(zones[i].prefix);
		if (n > best_len && !strncmp(e164, zones[i].prefix, n)) {
			best = zones[i].zone;
			best_len = n;
		}
	}
	return best;
}
