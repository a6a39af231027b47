/*
 * The encryption settings of the configuration: SIP over TLS (`sip.tls`), whether legs
 * use SRTP (`srtp:` of a tenant or a trunk) and the key that encrypts a tenant's
 * recordings at rest (`recording_encryption:`). Kept apart from config.c so that the
 * parts that handle key material stay small enough to review at a glance.
 */
#include "core/config_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

static const char *const sip_tls_keys[] = {"cert", "key", "ca", NULL};
static const char *const rec_enc_keys[] = {"key", "key_file", NULL};

void cfg__parse_sip_tls(struct cy *c, struct fy_node *sip, struct cfg *cfg)
{
	struct fy_node *n = cy_get(sip, "tls");

	if (!n || !cy_is_map(c, n, "sip.tls"))
		return;
	cy_check_keys(c, n, "sip.tls", sip_tls_keys);
	cy_get_dup(c, n, "sip.tls", "cert", true, &cfg->sip_tls_cert);
	cy_get_dup(c, n, "sip.tls", "key", true, &cfg->sip_tls_key);
	cy_get_dup(c, n, "sip.tls", "ca", false, &cfg->sip_tls_ca);
}

void cfg__check_sip_tls(struct cy *c, struct fy_node *sip, const struct cfg *cfg)
{
	size_t ntls = 0;
	char p[64];

	for (size_t i = 0; i < cfg->nsip_listen; i++) {
		if (cfg->sip_listen[i].proto != CFG_PROTO_TLS)
			continue;
		if (++ntls > 1)
			cy_error(c, sip ? cy_get(sip, "listen") : NULL,
				 cy_path_idx(p, sizeof(p), "sip.listen", i),
				 "only one tls: listener is served");
		else if (!cfg->sip_tls_cert || !cfg->sip_tls_key)
			cy_error(c, sip ? cy_get(sip, "listen") : NULL,
				 cy_path_idx(p, sizeof(p), "sip.listen", i),
				 "a tls: listener needs sip.tls: {cert: FILE, key: FILE}");
	}
}

void cfg__parse_srtp(struct cy *c, struct fy_node *map, const char *path, enum cfg_srtp *out)
{
	const char *s;
	char p[512];

	if (cy_get_str(c, map, path, "srtp", false, &s))
		return;
	if (!strcmp(s, "required"))
		*out = CFG_SRTP_REQUIRED;
	else if (!strcmp(s, "optional"))
		*out = CFG_SRTP_OPTIONAL;
	else if (!strcmp(s, "off"))
		*out = CFG_SRTP_OFF;
	else
		cy_error(c, cy_get(map, "srtp"), cy_path(p, sizeof(p), path, "srtp"),
			 "expected required, optional or off, got \"%s\"", s);
}

/* 64 hexadecimal digits, surrounding white space allowed; 0 or EINVAL. */
static int key_from_hex(const char *text, unsigned char key[CFG_REC_KEY_BYTES])
{
	size_t len, bin_len = 0;
	const char *end;

	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len && isspace((unsigned char)text[len - 1]))
		len--;
	if (len != 2 * CFG_REC_KEY_BYTES ||
	    sodium_hex2bin(key, CFG_REC_KEY_BYTES, text, len, NULL, &bin_len, &end) ||
	    bin_len != CFG_REC_KEY_BYTES)
		return EINVAL;
	return 0;
}

int cfg_rec_key_read(const char *path, unsigned char key[CFG_REC_KEY_BYTES])
{
	char buf[2 * CFG_REC_KEY_BYTES + 8];
	size_t n;
	FILE *f = fopen(path, "re");
	int err;

	if (!f)
		return errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	err = key_from_hex(buf, key);
	sodium_memzero(buf, sizeof(buf));
	return err;
}

void cfg__parse_rec_encryption(struct cy *c, struct fy_node *tenant, const char *path,
			       struct cfg_tenant *t)
{
	struct fy_node *n = cy_get(tenant, "recording_encryption");
	const char *s;
	char p[512], kp[512];
	int err;

	if (!n || !cy_is_map(c, n, cy_path(p, sizeof(p), path, "recording_encryption")))
		return;
	cy_check_keys(c, n, p, rec_enc_keys);
	if (!cy_get_str(c, n, p, "key", false, &s)) {
		if (cy_get(n, "key_file"))
			cy_error(c, n, p, "give key or key_file, not both");
		else if (key_from_hex(s, t->rec_key))
			cy_error(c, cy_get(n, "key"), cy_path(kp, sizeof(kp), p, "key"),
				 "expected 64 hexadecimal digits (centrala recording keygen)");
		else
			t->rec_encrypt = true;
	} else if (!cy_get_str(c, n, p, "key_file", false, &s)) {
		if ((err = cfg_rec_key_read(s, t->rec_key)))
			cy_error(c, cy_get(n, "key_file"), cy_path(kp, sizeof(kp), p, "key_file"),
				 "%s: %s", s,
				 err == EINVAL ? "expected 64 hexadecimal digits" : strerror(err));
		else
			t->rec_encrypt = true;
	} else {
		cy_error(c, n, p, "expected key or key_file");
	}
}
