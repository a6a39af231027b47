/*
 * Campaigns written through the API: POST /campaigns, PUT and DELETE /campaigns/{id}
 * for admins. A body has the fields of a `campaigns:` entry of the file and is checked
 * by the configuration's parser and the dialer's own (the same messages as `centrala
 * check`, the field named in a 400); a campaign the file lists is refused with 409
 * naming its line. The engine checks the references against what runs (queues, trunks,
 * flows, calendars, dispositions), starts, changes or stops the campaign and answers;
 * the API stores it as the API's with an audit entry before replying
 * (engine/campaign_live.c).
 */
#include "api/api_int.h"

#include <string.h>

#include "core/config.h"
#include "core/yaml.h"
#include "dialer/dialer.h"

static int campaign_line(const struct cfg_tenant *t, const char *key)
{
	struct fy_node *n;
	void *it = NULL;
	int line = 0, col;

	while (t && t->campaigns && (n = cy_items(t->campaigns, &it))) {
		struct fy_node *id = cy_get(n, "id");
		const char *s = id ? cy_text(id) : NULL;
		if (s && !strcmp(s, key)) {
			cy_pos(n, &line, &col);
			return line ? line : 1;
		}
	}
	return 0;
}

/* The dialer's checks of the fields (references are the engine's to check). */
static void check(struct cfg *c)
{
	struct dialer_campaign *v = NULL;
	size_t n = 0;

	if (c->ntenants != 1 || !c->tenants[0].campaigns)
		return;
	if (!dialer_campaigns_parse(c->cy, c->tenants[0].campaigns, "tenants[0].campaigns", NULL,
				    NULL, &v, &n))
		dialer_campaigns_free(v, n);
}

static const struct api_obj_kind campaigns = {
    "campaigns", "id",		"campaign",	     false,
    false,	 campaign_line, API_OP_CAMPAIGN_PUT, API_OP_CAMPAIGN_DELETE,
    check};

void api__h_campaign_create(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &campaigns, NULL);
}

void api__h_campaign_put(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_write(conn, s, &campaigns, target);
}

void api__h_campaign_delete(struct api_conn *conn, struct api_session *s, const char *target)
{
	api__obj_delete(conn, s, &campaigns, target);
}
