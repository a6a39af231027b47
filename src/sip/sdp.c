/*
 * SDP negotiation for one audio stream. sofia-sip parses; we choose. Static payload
 * types (0 PCMU, 8 PCMA, 9 G722) are recognised with or without an rtpmap line; Opus
 * (opus/48000/2) by its rtpmap, under the dynamic payload type the offer gave it (ours
 * is 111 when we offer). RFC 4733 telephone-event is taken at the chosen codec's clock:
 * 8000 for G.711 and G.722, 48000 for Opus.
 */
#include "sip/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include <sodium.h>
#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

static const char *const srtp_suites[] = {
    [MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80] = "AES_CM_128_HMAC_SHA1_80",
    [MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32] = "AES_CM_128_HMAC_SHA1_32",
};

static const struct {
	enum media_codec codec;
	const char *name;
	uint8_t pt;	  /* static, or ours when we offer a dynamic one (>= 96) */
	unsigned clock;	  /* RTP clock of the rtpmap */
	const char *rest; /* channels after the clock ("/2"), "" */
	const char *fmtp; /* our a=fmtp parameters, NULL: none */
} codecs[] = {
    {MEDIA_CODEC_PCMU, "PCMU", 0, 8000, "", NULL},
    {MEDIA_CODEC_PCMA, "PCMA", 8, 8000, "", NULL},
    {MEDIA_CODEC_G722, "G722", 9, 8000, "", NULL},
    /* RFC 7587: always 48000/2, whatever is sent; we ask for in-band FEC. */
    {MEDIA_CODEC_OPUS, "opus", 111, 48000, "/2", "minptime=10;useinbandfec=1"},
};
#define NCODECS		(sizeof(codecs) / sizeof(codecs[0]))
#define DTMF_PT_48K_OFS 9 /* our telephone-event/48000 type: dtmf_pt + 9 (101 -> 110) */

static size_t codec_idx(enum media_codec c)
{
	for (size_t i = 0; i < NCODECS; i++)
		if (codecs[i].codec == c)
			return i;
	return 0;
}

const char *sdp_codec_name(enum media_codec c)
{
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].codec == c)
			return codecs[i].name;
	return "none";
}

void sdp_prefs_default(struct sdp_prefs *p)
{
	memset(p, 0, sizeof(*p));
	p->codecs[p->ncodecs++] = MEDIA_CODEC_PCMU;
	p->codecs[p->ncodecs++] = MEDIA_CODEC_PCMA;
	p->codecs[p->ncodecs++] = MEDIA_CODEC_G722;
	p->codecs[p->ncodecs++] = MEDIA_CODEC_OPUS;
	p->dtmf_pt = 101;
}

static enum media_codec codec_of(const sdp_rtpmap_t *rm)
{
	for (size_t i = 0; i < NCODECS; i++) {
		if (rm->rm_encoding && !strcasecmp(rm->rm_encoding, codecs[i].name) &&
		    rm->rm_rate == codecs[i].clock)
			return codecs[i].codec;
		if (!rm->rm_encoding && codecs[i].pt < 96 && rm->rm_pt == codecs[i].pt)
			return codecs[i].codec;
	}
	return MEDIA_CODEC_NONE;
}

static bool prefs_allow(const struct sdp_prefs *p, enum media_codec c)
{
	for (size_t i = 0; i < p->ncodecs; i++)
		if (p->codecs[i] == c)
			return true;
	return false;
}

static enum media_dir dir_from_peer(unsigned mode)
{
	switch (mode) {
	case sdp_sendonly:
		return MEDIA_DIR_RECVONLY; /* the peer only sends: we must not send */
	case sdp_recvonly:
		return MEDIA_DIR_SENDONLY;
	case sdp_inactive:
		return MEDIA_DIR_INACTIVE;
	default:
		return MEDIA_DIR_SENDRECV;
	}
}

/*
 * sofia-sip 1.12.11 loops for ever, allocating, when an m= line's format list reaches a
 * byte that is not a token character (`m=audio 1 UDP "x"`, `m=audio 1 X /a`): one INVITE
 * would exhaust the server's memory. So every m= line must have RFC 4566's shape before
 * sofia-sip sees the text: media SP port ["/" integer] SP proto *(SP fmt), where media,
 * fmt and each part of proto are tokens and SP is one or more spaces. Records are split
 * on CR or LF and leading blanks skipped, as sofia-sip's lenient mode does.
 */
static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`{|}~", c));
}

static size_t span(const char *p, const char *end, bool (*ok)(char))
{
	size_t n = 0;

	while (p + n < end && ok(p[n]))
		n++;
	return n;
}

static bool is_space(char c)
{
	return c == ' ';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool media_line_ok(const char *p, const char *end)
{
	size_t n;

	if (!(n = span(p, end, is_token_char)))
		return false;
	p += n;
	if (!(n = span(p, end, is_space)))
		return false;
	p += n;
	if (!(n = span(p, end, is_digit)))
		return false;
	p += n;
	if (p < end && *p == '/') {
		if (!(n = span(++p, end, is_digit)))
			return false;
		p += n;
	}
	if (!(n = span(p, end, is_space)))
		return false;
	p += n;
	do {
		if (!(n = span(p, end, is_token_char)))
			return false;
		p += n;
	} while (p < end && *p == '/' && ++p);
	while (p < end) {
		p += span(p, end, is_space);
		if (p == end)
			break;
		if (!(n = span(p, end, is_token_char)))
			return false;
		p += n;
		if (p < end && *p != ' ')
			return false;
	}
	return true;
}

bool sdp__lines_sane(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (eol = p; eol < end && *eol != '\r' && *eol != '\n';)
			eol++;
		if (eol - p >= 2 && p[0] == 'm' && p[1] == '=' && !media_line_ok(p + 2, eol))
			return false;
		p = eol;
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
	}
	return true;
}

/*
 * One a=crypto value (RFC 4568 9.1): "TAG SUITE inline:KEY||SALT[|LIFETIME][|MKI:LEN]
 * [session-params]". Fills suite, tag and the key (as `key`), and returns true for a
 * suite we support whose key is 30 bytes of base64 without an MKI (we send none, and
 * every packet of a stream with one would carry it).
 */
static bool crypto_parse(const char *v, uint8_t *suite, uint8_t *tag,
			 uint8_t key[MEDIA_SRTP_KEY_LEN])
{
	char name[32], b64[64];
	unsigned t;
	int n = 0;
	size_t klen = 0, blen;
	const char *rest;

	if (sscanf(v, "%3u %31s inline:%n", &t, name, &n) != 2 || n == 0 || t > 255)
		return false;
	rest = v + n;
	blen = strcspn(rest, "| \t\r\n");
	if (blen >= sizeof(b64))
		return false;
	memcpy(b64, rest, blen);
	b64[blen] = 0;
	/* A lifetime ("|2^31" or a number) is allowed; an MKI ("|1:4") is not. */
	for (const char *q = rest + blen; *q == '|'; q += 1 + strcspn(q + 1, "| \t\r\n"))
		if (memchr(q + 1, ':', strcspn(q + 1, "| \t\r\n")))
			return false;
	*suite = MEDIA_SRTP_NONE;
	for (uint8_t i = 1; i < sizeof(srtp_suites) / sizeof(srtp_suites[0]); i++)
		if (!strcmp(name, srtp_suites[i]))
			*suite = i;
	if (*suite == MEDIA_SRTP_NONE ||
	    sodium_base642bin(key, MEDIA_SRTP_KEY_LEN, b64, blen, NULL, &klen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    klen != MEDIA_SRTP_KEY_LEN)
		return false;
	*tag = (uint8_t)t;
	return true;
}

/* The SRTP part of an audio stream into p->srtp; false (with msg) when none is usable.
 * `offered` (an answer to our offer) must be matched: same tag and suite. */
static bool crypto_pick(const sdp_media_t *m, const struct media_srtp *offered,
			struct media_params *p, char *msg, size_t msgsize)
{
	for (sdp_attribute_t *a = m->m_attributes; a; a = a->a_next) {
		uint8_t suite, tag, key[MEDIA_SRTP_KEY_LEN];

		if (strcasecmp(a->a_name, "crypto") || !a->a_value ||
		    !crypto_parse(a->a_value, &suite, &tag, key))
			continue;
		if (offered && offered->suite && (suite != offered->suite || tag != offered->tag))
			continue;
		p->srtp.suite = suite;
		p->srtp.tag = tag;
		memcpy(p->srtp.rx_key, key, sizeof(key));
		if (offered)
			memcpy(p->srtp.tx_key, offered->tx_key, sizeof(p->srtp.tx_key));
		sodium_memzero(key, sizeof(key));
		return true;
	}
	snprintf(msg, msgsize, "no supported SRTP crypto suite");
	return false;
}

static bool has_crypto(const sdp_media_t *m)
{
	for (sdp_attribute_t *a = m->m_attributes; a; a = a->a_next)
		if (!strcasecmp(a->a_name, "crypto"))
			return true;
	return false;
}

/* `avp_crypto`: a=crypto lines of an RTP/AVP stream count as well (best-effort SRTP):
 * a key there must be usable, and no key means plain RTP. */
static int negotiate(const char *text, size_t len, const struct sdp_prefs *prefs,
		     const struct media_srtp *offered, bool avp_crypto, struct media_params *out,
		     char *msg, size_t msgsize)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sdp_parser_t *parser = NULL;
	sdp_session_t *s = NULL;
	struct media_params p;
	int rc = ENOTSUP;

	memset(&p, 0, sizeof(p));
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
	for (sdp_media_t *m = s->sdp_media; m; m = m->m_next) {
		sdp_connection_t *c;
		if (m->m_type != sdp_media_audio || m->m_port == 0)
			continue;
		if (m->m_proto != sdp_proto_rtp && m->m_proto != sdp_proto_srtp) {
			snprintf(msg, msgsize, "audio profile %s not supported",
				 m->m_proto_name ? m->m_proto_name : "?");
			continue;
		}
		memset(&p.srtp, 0, sizeof(p.srtp));
		if (avp_crypto && m->m_proto == sdp_proto_rtp) {
			/* No key: plain RTP. A key in an answer must be one of ours (one we
			 * cannot use would leave the two sides speaking different media);
			 * an offer's unusable keys leave it plain, as its offerer allows. */
			if (has_crypto(m) && !crypto_pick(m, offered, &p, msg, msgsize)) {
				if (offered) {
					rc = ENOTSUP;
					continue;
				}
				msg[0] = '\0';
			}
		} else if (m->m_proto == sdp_proto_srtp &&
			   !crypto_pick(m, offered, &p, msg, msgsize)) {
			rc = ENOTSUP;
			continue;
		}
		if (offered && !avp_crypto && !offered->suite != (m->m_proto != sdp_proto_srtp)) {
			snprintf(msg, msgsize,
				 offered->suite ? "plain RTP answer to an SRTP offer"
						: "SRTP answer to a plain RTP offer");
			rc = ENOTSUP;
			continue;
		}
		c = m->m_connections ? m->m_connections : s->sdp_connection;
		if (!c || c->c_addrtype != sdp_addr_ip4 || !c->c_address ||
		    inet_pton(AF_INET, c->c_address, &p.remote.sin_addr) != 1) {
			snprintf(msg, msgsize, "no IPv4 connection address");
			rc = EPROTO;
			continue;
		}
		p.remote.sin_family = AF_INET;
		p.remote.sin_port = htons((uint16_t)m->m_port);
		p.codec = MEDIA_CODEC_NONE;
		p.dtmf_pt = 0;
		for (sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
			enum media_codec cd = codec_of(rm);
			if (p.codec == MEDIA_CODEC_NONE && cd != MEDIA_CODEC_NONE &&
			    prefs_allow(prefs, cd)) {
				p.codec = cd;
				p.pt = (uint8_t)rm->rm_pt;
			}
		}
		if (p.codec == MEDIA_CODEC_NONE) {
			snprintf(msg, msgsize, "no common codec");
			rc = ENOTSUP;
			continue;
		}
		/* Events run on the clock of the audio they interrupt (RFC 4733 2.1). */
		for (sdp_rtpmap_t *rm = m->m_rtpmaps; rm; rm = rm->rm_next)
			if (rm->rm_encoding && !strcasecmp(rm->rm_encoding, "telephone-event") &&
			    rm->rm_rate == codecs[codec_idx(p.codec)].clock && !p.dtmf_pt)
				p.dtmf_pt = (uint8_t)rm->rm_pt;
		p.ptime_ms = 20;
		for (sdp_attribute_t *a = m->m_attributes; a; a = a->a_next)
			if (!strcasecmp(a->a_name, "ptime") && a->a_value) {
				int v = atoi(a->a_value);
				if (v >= 10 && v <= 60 && v % 10 == 0)
					p.ptime_ms = (uint8_t)v;
			}
		/* c=0.0.0.0 is the old way of putting a call on hold. */
		p.dir =
		    p.remote.sin_addr.s_addr == 0 ? MEDIA_DIR_INACTIVE : dir_from_peer(m->m_mode);
		*out = p;
		rc = 0;
		break;
	}
	if (rc == ENOTSUP && !msg[0])
		snprintf(msg, msgsize, "no audio stream");
out:
	sodium_memzero(&p.srtp, sizeof(p.srtp));
	su_home_deinit(home);
	return rc;
}

int sdp_negotiate_offer(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			struct media_params *out, char *msg, size_t msgsize)
{
	msg[0] = '\0';
	return negotiate(sdp, len, prefs, NULL, false, out, msg, msgsize);
}

int sdp_negotiate_answer(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			 struct media_params *out, char *msg, size_t msgsize)
{
	msg[0] = '\0';
	return negotiate(sdp, len, prefs, NULL, false, out, msg, msgsize);
}

int sdp_negotiate_answer_srtp(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			      const struct media_srtp *offered, struct media_params *out, char *msg,
			      size_t msgsize)
{
	static const struct media_srtp plain;

	msg[0] = '\0';
	return negotiate(sdp, len, prefs, offered ? offered : &plain, false, out, msg, msgsize);
}

int sdp_negotiate_best_effort(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			      const struct media_srtp *offered, struct media_params *out, char *msg,
			      size_t msgsize)
{
	msg[0] = '\0';
	return negotiate(sdp, len, prefs, offered, true, out, msg, msgsize);
}

static uint8_t static_pt(enum media_codec c)
{
	return codecs[codec_idx(c)].pt;
}

size_t sdp_write(char *buf, size_t size, uint64_t session_id, uint64_t version,
		 const struct in_addr *addr, uint16_t port, const struct sdp_prefs *prefs,
		 const struct media_params *only, enum media_codec first, enum media_dir dir)
{
	return sdp_write_srtp(buf, size, session_id, version, addr, port, prefs, only, first, dir,
			      only ? &only->srtp : NULL);
}

static size_t write_sdp(char *buf, size_t size, uint64_t session_id, uint64_t version,
			const struct in_addr *addr, uint16_t port, const struct sdp_prefs *prefs,
			const struct media_params *only, enum media_codec first, enum media_dir dir,
			const struct media_srtp *srtp, bool avp);

size_t sdp_write_srtp(char *buf, size_t size, uint64_t session_id, uint64_t version,
		      const struct in_addr *addr, uint16_t port, const struct sdp_prefs *prefs,
		      const struct media_params *only, enum media_codec first, enum media_dir dir,
		      const struct media_srtp *srtp)
{
	return write_sdp(buf, size, session_id, version, addr, port, prefs, only, first, dir, srtp,
			 false);
}

size_t sdp_write_best_effort(char *buf, size_t size, uint64_t session_id, uint64_t version,
			     const struct in_addr *addr, uint16_t port,
			     const struct sdp_prefs *prefs, const struct media_params *only,
			     enum media_codec first, enum media_dir dir,
			     const struct media_srtp *srtp)
{
	return write_sdp(buf, size, session_id, version, addr, port, prefs, only, first, dir, srtp,
			 true);
}

static size_t write_sdp(char *buf, size_t size, uint64_t session_id, uint64_t version,
			const struct in_addr *addr, uint16_t port, const struct sdp_prefs *prefs,
			const struct media_params *only, enum media_codec first, enum media_dir dir,
			const struct media_srtp *srtp, bool avp)
{
	char crypto[128] = "";
	static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
	enum media_codec list[5];
	uint8_t pts[5];
	size_t n = 0, len;
	char ip[INET_ADDRSTRLEN], fmts[64] = "", maps[640] = "";
	uint8_t dtmf, dtmf48 = 0;
	bool opus = false;
	int r;

	inet_ntop(AF_INET, addr, ip, sizeof(ip));
	if (only) {
		list[n] = only->codec;
		pts[n++] = only->pt;
		dtmf = only->dtmf_pt;
	} else {
		if (first != MEDIA_CODEC_NONE && prefs_allow(prefs, first)) {
			list[n] = first;
			pts[n++] = static_pt(first);
		}
		for (size_t i = 0; i < prefs->ncodecs; i++)
			if (prefs->codecs[i] != first) {
				list[n] = prefs->codecs[i];
				pts[n++] = static_pt(prefs->codecs[i]);
			}
		dtmf = prefs->dtmf_pt;
	}
	for (size_t i = 0; i < n; i++) {
		size_t fl = strlen(fmts), ml = strlen(maps), c = codec_idx(list[i]);

		snprintf(fmts + fl, sizeof(fmts) - fl, " %u", pts[i]);
		snprintf(maps + ml, sizeof(maps) - ml, "a=rtpmap:%u %s/%u%s\r\n", pts[i],
			 codecs[c].name, codecs[c].clock, codecs[c].rest);
		if (codecs[c].fmtp) {
			ml = strlen(maps);
			snprintf(maps + ml, sizeof(maps) - ml, "a=fmtp:%u %s\r\n", pts[i],
				 codecs[c].fmtp);
		}
		opus |= list[i] == MEDIA_CODEC_OPUS;
	}
	/* An answer's events run on its codec's clock; an offer with Opus carries events
	 * at 48000 as well, for an answer that picks Opus. */
	if (only && only->codec == MEDIA_CODEC_OPUS) {
		dtmf48 = dtmf;
		dtmf = 0;
	} else if (!only && opus && dtmf && dtmf + DTMF_PT_48K_OFS < 128) {
		dtmf48 = (uint8_t)(dtmf + DTMF_PT_48K_OFS);
	}
	if (dtmf) {
		size_t fl = strlen(fmts), ml = strlen(maps);
		snprintf(fmts + fl, sizeof(fmts) - fl, " %u", dtmf);
		snprintf(maps + ml, sizeof(maps) - ml,
			 "a=rtpmap:%u telephone-event/8000\r\na=fmtp:%u 0-16\r\n", dtmf, dtmf);
	}
	if (dtmf48) {
		size_t fl = strlen(fmts), ml = strlen(maps);
		snprintf(fmts + fl, sizeof(fmts) - fl, " %u", dtmf48);
		snprintf(maps + ml, sizeof(maps) - ml,
			 "a=rtpmap:%u telephone-event/48000\r\na=fmtp:%u 0-16\r\n", dtmf48, dtmf48);
	}
	if (srtp && srtp->suite) {
		char b64[sodium_base64_ENCODED_LEN(MEDIA_SRTP_KEY_LEN,
						   sodium_base64_VARIANT_ORIGINAL)];

		if (srtp->suite >= sizeof(srtp_suites) / sizeof(srtp_suites[0]))
			return 0;
		sodium_bin2base64(b64, sizeof(b64), srtp->tx_key, MEDIA_SRTP_KEY_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		snprintf(crypto, sizeof(crypto), "a=crypto:%u %s inline:%s\r\n", srtp->tag,
			 srtp_suites[srtp->suite], b64);
		sodium_memzero(b64, sizeof(b64));
	}
	r = snprintf(buf, size,
		     "v=0\r\n"
		     "o=centrala %" PRIu64 " %" PRIu64 " IN IP4 %s\r\n"
		     "s=centrala\r\n"
		     "c=IN IP4 %s\r\n"
		     "t=0 0\r\n"
		     "m=audio %u RTP/%s%s\r\n"
		     "%s%s"
		     "a=ptime:20\r\n"
		     "a=%s\r\n",
		     session_id, version, ip, ip, port, crypto[0] && !avp ? "SAVP" : "AVP", fmts,
		     maps, crypto, dirs[dir]);
	sodium_memzero(crypto, sizeof(crypto));
	len = r > 0 && (size_t)r < size ? (size_t)r : 0;
	return len;
}
