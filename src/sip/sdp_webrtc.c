/*
 * WebRTC SDP (sdp.h, struct sdp_webrtc): reading what a browser's offer says of its
 * first audio stream (the ICE credentials, the DTLS fingerprint and setup role,
 * rtcp-mux, BUNDLE, the codec we take from it) and writing our answer. Offers are
 * parsed by sofia-sip like every SDP we read, after the same guard against its loop on
 * a bad m= line. Pure: no I/O.
 */
#include "sip/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

/*
 * The codecs a browser phone may use, by name and clock rate as the offer's rtpmap
 * says them; the first of the offer's formats found here is taken (browsers list Opus
 * first: the media engine transcodes it to and from the other leg's codec). The one
 * place to add a codec.
 */
static const struct {
	enum media_codec codec;
	const char *name;
	unsigned rate;
	uint8_t static_pt; /* a payload type that needs no rtpmap, 0xff: none */
	const char *chans; /* after the rate in our rtpmap ("/2"), or "" */
	const char *fmtp;  /* our a=fmtp for it, or NULL */
} webrtc_codecs[] = {
    {MEDIA_CODEC_OPUS, "opus", 48000, 0xff, "/2", "minptime=10;useinbandfec=1"},
    {MEDIA_CODEC_PCMU, "PCMU", 8000, 0, "", NULL},
    {MEDIA_CODEC_PCMA, "PCMA", 8000, 8, "", NULL},
};

static size_t codec_row(enum media_codec c)
{
	size_t i;

	for (i = 0; i < sizeof(webrtc_codecs) / sizeof(webrtc_codecs[0]) - 1; i++)
		if (webrtc_codecs[i].codec == c)
			break;
	return i;
}

/* The codec of a format whose rtpmap reads "NAME/RATE[/CHANNELS]" (NULL: no rtpmap). */
static enum media_codec codec_of(unsigned pt, const char *map)
{
	for (size_t i = 0; i < sizeof(webrtc_codecs) / sizeof(webrtc_codecs[0]); i++) {
		size_t nl = strlen(webrtc_codecs[i].name);
		if (map && !strncasecmp(map, webrtc_codecs[i].name, nl) && map[nl] == '/' &&
		    strtoul(map + nl + 1, NULL, 10) == webrtc_codecs[i].rate)
			return webrtc_codecs[i].codec;
		if (!map && pt == webrtc_codecs[i].static_pt)
			return webrtc_codecs[i].codec;
	}
	return MEDIA_CODEC_NONE;
}

/* The rtpmap of format `pt` in the stream: the text after "PT ", or NULL. sofia-sip
 * reads rtpmaps only of RTP/AVP and RTP/SAVP streams, so a WebRTC profile's are read
 * here from the attributes. */
static const char *rtpmap_of(const sdp_media_t *m, unsigned pt)
{
	for (const sdp_attribute_t *a = m->m_attributes; a; a = a->a_next) {
		char *end;
		unsigned long v;

		if (strcasecmp(a->a_name, "rtpmap") || !a->a_value)
			continue;
		v = strtoul(a->a_value, &end, 10);
		if (end != a->a_value && v == pt && *end == ' ') {
			while (*end == ' ')
				end++;
			return end;
		}
	}
	return NULL;
}

static enum media_dir dir_from_peer(unsigned mode)
{
	switch (mode) {
	case sdp_sendonly:
		return MEDIA_DIR_RECVONLY;
	case sdp_recvonly:
		return MEDIA_DIR_SENDONLY;
	case sdp_inactive:
		return MEDIA_DIR_INACTIVE;
	default:
		return MEDIA_DIR_SENDRECV;
	}
}

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
	uint8_t te8 = 0, te48 = 0;
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
	for (const sdp_list_t *f = m->m_format; f; f = f->l_next) {
		char *end;
		unsigned long pt = f->l_text ? strtoul(f->l_text, &end, 10) : 128;
		const char *map;
		enum media_codec cd;

		if (pt > 127 || *end)
			continue;
		map = rtpmap_of(m, (unsigned)pt);
		cd = codec_of((unsigned)pt, map);
		if (w.codec == MEDIA_CODEC_NONE && cd != MEDIA_CODEC_NONE) {
			w.codec = cd;
			w.pt = (uint8_t)pt;
		}
		if (map && !strncasecmp(map, "telephone-event/8000", 20) && !te8)
			te8 = (uint8_t)pt;
		if (map && !strncasecmp(map, "telephone-event/48000", 21) && !te48)
			te48 = (uint8_t)pt;
	}
	if (w.codec == MEDIA_CODEC_NONE) {
		snprintf(msg, msgsize, "no common codec");
		goto out;
	}
	/* RFC 4733 events run on the codec's clock. */
	w.dtmf_pt = webrtc_codecs[codec_row(w.codec)].rate == 48000 ? te48 : te8;
	w.dir = dir_from_peer(m->m_mode);
	*out = w;
	rc = 0;
out:
	su_home_deinit(home); /* the parser lives in it */
	return rc;
}

size_t sdp_webrtc_answer(char *buf, size_t size, uint64_t session_id, uint64_t version,
			 const struct sdp_webrtc *offer, const struct sdp_webrtc_local *ours)
{
	static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	char ip[INET_ADDRSTRLEN], group[64] = "", mid[48] = "", dtmf[96] = "", fmts[16];
	char fmtp[96] = "";
	size_t row;
	int r;

	if (!offer || !ours || !ours->ufrag || !ours->pwd || !ours->fingerprint || !ours->setup ||
	    offer->codec == MEDIA_CODEC_NONE || (unsigned)offer->dir > MEDIA_DIR_INACTIVE ||
	    !inet_ntop(AF_INET, &ours->addr, ip, sizeof(ip)))
		return 0;
	if (offer->mid[0]) {
		snprintf(mid, sizeof(mid), "a=mid:%s\r\n", offer->mid);
		if (offer->bundled)
			snprintf(group, sizeof(group), "a=group:BUNDLE %s\r\n", offer->mid);
	}
	row = codec_row(offer->codec);
	if (webrtc_codecs[row].codec != offer->codec)
		return 0;
	if (webrtc_codecs[row].fmtp)
		snprintf(fmtp, sizeof(fmtp), "a=fmtp:%u %s\r\n", offer->pt,
			 webrtc_codecs[row].fmtp);
	if (offer->dtmf_pt) {
		snprintf(fmts, sizeof(fmts), " %u", offer->dtmf_pt);
		snprintf(dtmf, sizeof(dtmf), "a=rtpmap:%u telephone-event/%u\r\na=fmtp:%u 0-16\r\n",
			 offer->dtmf_pt, webrtc_codecs[row].rate, offer->dtmf_pt);
	} else {
		fmts[0] = '\0';
	}
	/* The candidate's priority is RFC 8445 5.1.2.1's for a host candidate (type
	 * preference 126, local preference 65535, component 1). */
	r = snprintf(buf, size,
		     "v=0\r\n"
		     "o=centrala %" PRIu64 " %" PRIu64 " IN IP4 %s\r\n"
		     "s=centrala\r\n"
		     "t=0 0\r\n"
		     "a=ice-lite\r\n"
		     "%s"
		     "a=msid-semantic: WMS %s\r\n"
		     "m=audio %u UDP/TLS/RTP/SAVPF %u%s\r\n"
		     "c=IN IP4 %s\r\n"
		     "a=rtcp:%u IN IP4 %s\r\n"
		     "a=ice-ufrag:%s\r\n"
		     "a=ice-pwd:%s\r\n"
		     "a=fingerprint:%s\r\n"
		     "a=setup:%s\r\n"
		     "%s"
		     "a=%s\r\n"
		     "a=rtcp-mux\r\n"
		     "a=rtpmap:%u %s/%u%s\r\n"
		     "%s"
		     "%s"
		     "a=ptime:20\r\n"
		     "a=msid:%s audio\r\n"
		     "a=candidate:1 1 udp 2130706431 %s %u typ host\r\n"
		     "a=end-of-candidates\r\n",
		     session_id, version, ip, group, ours->msid ? ours->msid : "centrala",
		     ours->port, offer->pt, fmts, ip, ours->port, ip, ours->ufrag, ours->pwd,
		     ours->fingerprint, ours->setup, mid, dirs[offer->dir], offer->pt,
		     webrtc_codecs[row].name, webrtc_codecs[row].rate, webrtc_codecs[row].chans,
		     fmtp, dtmf, ours->msid ? ours->msid : "centrala", ip, ours->port);
	return r > 0 && (size_t)r < size ? (size_t)r : 0;
}
