/*
 * Parsing steps shared between the files of the configuration loader (config.c and
 * config_sec.c); not for other modules.
 */
#ifndef CENTRALA_CORE_CONFIG_INT_H
#define CENTRALA_CORE_CONFIG_INT_H

#include "core/config.h"

/* sip.tls: {cert, key, ca}. */
void cfg__parse_sip_tls(struct cy *c, struct fy_node *sip, struct cfg *cfg);
/* After the listeners: a tls: listener needs sip.tls, and only one is served. */
void cfg__check_sip_tls(struct cy *c, struct fy_node *sip, const struct cfg *cfg);
/* `srtp: required|optional|off` of the mapping at `path`; *out is left alone when
 * absent or invalid (the error recorded). */
void cfg__parse_srtp(struct cy *c, struct fy_node *map, const char *path, enum cfg_srtp *out);
/* A tenant's `recording_encryption: {key: HEX}` or `{key_file: FILE}`. */
void cfg__parse_rec_encryption(struct cy *c, struct fy_node *tenant, const char *path,
			       struct cfg_tenant *t);
/* `email:` of a queue or a tenant (config_email.c); *out is set when present. */
void cfg__parse_email(struct cy *c, struct fy_node *parent, const char *path,
		      struct cfg_email **out);
/* After the queues: each queue's email takes what it lacks from the tenant's, then must
 * be complete; two queues never poll one mailbox. */
void cfg__resolve_email(struct cy *c, struct cfg_tenant *t, const char *path);
void cfg__free_email(struct cfg_email *e);
/* `sms:` of a queue or a tenant (config_sms.c), the same way as email. */
void cfg__parse_sms(struct cy *c, struct fy_node *parent, const char *path, struct cfg_sms **out);
void cfg__resolve_sms(struct cy *c, struct cfg_tenant *t, const char *path);
void cfg__free_sms(struct cfg_sms *s);

/* A tenant's `chat:` (config_chat.c): parsed with its defaults, checked after the
 * queues, freed. */
void cfg__parse_chat(struct cy *c, struct fy_node *n, const char *path, struct cfg_chat *w);
void cfg__check_chat(struct cy *c, const struct cfg_tenant *t, const char *path);
void cfg__free_chat(struct cfg_chat *w);

/* http.webhooks (config_webhook.c). */
void cfg__parse_http_webhooks(struct cy *c, struct fy_node *http, struct cfg *cfg);
/* Whether the document says http.webhooks.allow_private: true (read wherever a webhook
 * is parsed, before or after the http section). */
bool cfg__webhooks_allow_private(struct cy *c);

#endif
