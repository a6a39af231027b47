/*
 * Reading what a browser's SDP offer says for WebRTC (sdp.h, struct sdp_webrtc): the
 * ICE credentials, the DTLS fingerprint and setup role, rtcp-mux and BUNDLE of its first
 * audio stream. Parsed by sofia-sip like every SDP we read, after the same guard
 * against its loop on a bad m= line. Pure: no I/O.
 */
#include "sip/sdp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

/* The value of attribute `name`: the stream's own, or else the session's. */
static const char *attr(const sdp_session_t *s, const sdp_media_t *m, const char *name)
{
	for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next)
		if (!strcasecmp(a->a_name, name))
			return a->a_value ? a->a_value : "";
	for (const sdp_attribute_t *a = s->sdp_attributes; a; a = a->a_next)
		if (!strcasecmp(a->a_name, name))
			return a->a_value ? a->a_value : "";
	return NULL;
}

static bool copy(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (!src || n == 0 || n >= size)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* True when the space-separated `list` holds `word`. */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == wl && !strncmp(p, word, n))
			return true;
		p += n;
	}
	return false;
}

int sdp_webrtc_read(const char *text, size_t len, struct sdp_webrtc *out, char *msg, size_t msgsize)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sdp_parser_t *parser = NULL;
	sdp_session_t *s = NULL;
	struct sdp_webrtc w;
	const sdp_media_t *m;
	const char *v;
	int rc = ENOTSUP;

	memset(&w, 0, sizeof(w));
	if (!sdp__lines_sane(text, len)) {
		snprintf(msg, msgsize, "invalid SDP: bad character in m= line");
		rc = EPROTO;
		goto out;
	}
	parser = sdp_parse(home, text, (issize_t)len, 0);
	s = parser ? sdp_session(parser) : NULL;
	if (!s) {
		snprintf(msg, msgsize, "invalid SDP: %s",
			 parser ? sdp_parsing_error(parser) : "no memory");
		rc = EPROTO;
		goto out;
	}
	for (m = s->sdp_media; m; m = m->m_next)
		if (m->m_type == sdp_media_audio && m->m_port != 0 && m->m_proto_name &&
		    (!strcasecmp(m->m_proto_name, "UDP/TLS/RTP/SAVPF") ||
		     !strcasecmp(m->m_proto_name, "UDP/TLS/RTP/SAVP")))
			break;
	if (!m) {
		snprintf(msg, msgsize, "no UDP/TLS/RTP/SAVPF audio stream");
		goto out;
	}
	if (!copy(w.ufrag, sizeof(w.ufrag), attr(s, m, "ice-ufrag")) ||
	    !copy(w.pwd, sizeof(w.pwd), attr(s, m, "ice-pwd"))) {
		snprintf(msg, msgsize, "a=ice-ufrag or a=ice-pwd missing or too long");
		goto out;
	}
	v = attr(s, m, "fingerprint");
	if (!v || strncasecmp(v, "sha-256 ", 8) || !copy(w.fingerprint, sizeof(w.fingerprint), v)) {
		snprintf(msg, msgsize, "no a=fingerprint of sha-256");
		goto out;
	}
	v = attr(s, m, "setup");
	if (!v || (strcmp(v, "actpass") && strcmp(v, "active") && strcmp(v, "passive"))) {
		snprintf(msg, msgsize, "a=setup missing or not actpass, active or passive");
		goto out;
	}
	copy(w.setup, sizeof(w.setup), v);
	w.rtcp_mux = attr(s, m, "rtcp-mux") != NULL;
	/* a=mid is the stream's own; BUNDLE groups are session-level. */
	for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next)
		if (!strcasecmp(a->a_name, "mid") && a->a_value) {
			copy(w.mid, sizeof(w.mid), a->a_value);
			break;
		}
	for (const sdp_attribute_t *a = s->sdp_attributes; a && w.mid[0]; a = a->a_next)
		if (!strcasecmp(a->a_name, "group") && a->a_value &&
		    !strncmp(a->a_value, "BUNDLE ", 7) && has_word(a->a_value + 7, w.mid))
			w.bundled = true;
	*out = w;
	rc = 0;
out:
	su_home_deinit(home); /* the parser lives in it */
	return rc;
}
