/*
 * SMS texts: the GSM 03.38 default alphabet (one septet an octet, as SMPP carries it
 * with data_coding 0) or UCS-2 (UTF-16BE), split into concatenated parts with a user
 * data header, read back, and put together again on the way in.
 */
#include "channels/sms.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GSM 03.38 default alphabet: code point of each septet (0x1B is the escape). */
static const uint16_t gsm_basic[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8,
    0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x001B, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020, 0x0021, 0x0022, 0x0023,
    0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B,
    0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* The extension table: septet after the escape, and its code point. */
static const struct {
	uint8_t septet;
	uint16_t cp;
} gsm_ext[] = {
    {0x0A, 0x000C}, {0x14, 0x005E}, {0x28, 0x007B}, {0x29, 0x007D}, {0x2F, 0x005C},
    {0x3C, 0x005B}, {0x3D, 0x007E}, {0x3E, 0x005D}, {0x40, 0x007C}, {0x65, 0x20AC},
};

/* The septet(s) for code point cp: 1 (basic), 2 (escape + extension) or 0 (none). */
static int gsm_septets(uint32_t cp, uint8_t out[2])
{
	if (cp == 0x1B)
		return 0;
	for (int i = 0; i < 128; i++)
		if (gsm_basic[i] == cp) {
			out[0] = (uint8_t)i;
			return 1;
		}
	for (size_t i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++)
		if (gsm_ext[i].cp == cp) {
			out[0] = 0x1B;
			out[1] = gsm_ext[i].septet;
			return 2;
		}
	return 0;
}

/* Reads one UTF-8 character; returns its length, or 0 when invalid (overlong forms,
 * surrogates, beyond U+10FFFF, NUL). */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v;

	if (c == 0)
		return 0;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
	} else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

static size_t utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

bool sms_gsm7_fits(const char *utf8, size_t *septets)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t n = 0, k;
	uint32_t cp;
	uint8_t sp[2];
	int w;

	while (*s) {
		if (!(k = utf8_next(s, &cp)) || !(w = gsm_septets(cp, sp)))
			return false;
		n += (size_t)w;
		s += k;
	}
	if (septets)
		*septets = n;
	return true;
}

/* The text as units: septets (GSM) or UTF-16BE code units, each unit 1 or 2 octets
 * wide (GSM) or 2 octets (UCS-2); `glue` marks a unit that must stay with the next one
 * (escape, high surrogate). */
struct units {
	uint8_t b[SMS_TEXT_MAX * 2];
	bool glue[SMS_TEXT_MAX * 2];
	size_t n; /* octets in b */
};

static int to_units(const char *utf8, bool gsm, struct units *u)
{
	const unsigned char *s = (const unsigned char *)utf8;
	uint32_t cp;
	size_t k;

	u->n = 0;
	while (*s) {
		if (!(k = utf8_next(s, &cp)))
			return EILSEQ;
		if (u->n + 4 > sizeof(u->b))
			return EMSGSIZE;
		if (gsm) {
			uint8_t sp[2];
			int w = gsm_septets(cp, sp);
			for (int i = 0; i < w; i++) {
				u->glue[u->n] = i + 1 < w;
				u->b[u->n++] = sp[i];
			}
		} else if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000, hi = 0xD800 | (v >> 10),
				 lo = 0xDC00 | (v & 0x3FF);
			u->glue[u->n] = true, u->b[u->n++] = (uint8_t)(hi >> 8);
			u->glue[u->n] = true, u->b[u->n++] = (uint8_t)hi;
			u->glue[u->n] = false, u->b[u->n++] = (uint8_t)(lo >> 8);
			u->glue[u->n] = false, u->b[u->n++] = (uint8_t)lo;
		} else {
			u->glue[u->n] = true, u->b[u->n++] = (uint8_t)(cp >> 8);
			u->glue[u->n] = false, u->b[u->n++] = (uint8_t)cp;
		}
		s += k;
	}
	return 0;
}

int sms_split(const char *utf8, uint8_t ref, unsigned max_parts, struct sms_split *out)
{
	static __thread struct units u;
	bool gsm;
	size_t single, each, pos = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!utf8 || !*utf8)
		return EINVAL;
	if (strlen(utf8) >= SMS_TEXT_MAX)
		return EMSGSIZE;
	if (max_parts == 0 || max_parts > SMS_PARTS_MAX)
		max_parts = SMS_PARTS_MAX;
	gsm = sms_gsm7_fits(utf8, NULL);
	if ((err = to_units(utf8, gsm, &u)))
		return err;
	out->data_coding = gsm ? SMS_DC_DEFAULT : SMS_DC_UCS2;
	single = gsm ? 160 : 140;
	each = gsm ? 153 : 134;
	if (u.n <= single) {
		out->count = 1;
		memcpy(out->part[0].data, u.b, u.n);
		out->part[0].len = u.n;
		return 0;
	}
	out->udhi = true;
	while (pos < u.n) {
		struct sms_part *p;
		size_t take = u.n - pos > each ? each : u.n - pos;

		/* Never end a part inside an escape or a surrogate pair (nor mid-unit). */
		while (take > 0 && pos + take < u.n && u.glue[pos + take - 1])
			take--;
		if (out->count == max_parts)
			return EMSGSIZE;
		p = &out->part[out->count++];
		p->data[0] = 5;	   /* UDH length */
		p->data[1] = 0x00; /* concatenation, 8-bit reference */
		p->data[2] = 3;
		p->data[3] = ref;
		p->data[5] = (uint8_t)out->count;
		memcpy(p->data + 6, u.b + pos, take);
		p->len = 6 + take;
		pos += take;
	}
	for (unsigned i = 0; i < out->count; i++)
		out->part[i].data[4] = (uint8_t)out->count;
	return 0;
}

int sms_udh_read(const uint8_t *sm, size_t len, struct sms_concat *c, size_t *hdr_len)
{
	size_t udhl, i;

	memset(c, 0, sizeof(*c));
	if (len < 1 || (udhl = sm[0]) + 1 > len)
		return EBADMSG;
	for (i = 1; i + 1 < udhl + 1;) {
		uint8_t iei = sm[i], iel = sm[i + 1];
		const uint8_t *v = sm + i + 2;
		if (i + 2 + iel > udhl + 1)
			return EBADMSG;
		if (iei == 0x00 && iel == 3) {
			c->ref = v[0];
			c->total = v[1];
			c->seq = v[2];
		} else if (iei == 0x08 && iel == 4) {
			c->ref = (unsigned)v[0] << 8 | v[1];
			c->total = v[2];
			c->seq = v[3];
		}
		i += 2 + iel;
	}
	if (c->total && (c->seq == 0 || c->seq > c->total))
		return EBADMSG;
	*hdr_len = udhl + 1;
	return 0;
}

int sms_decode(uint8_t dc, const uint8_t *data, size_t len, char *out, size_t size)
{
	size_t o = 0;
	char tmp[4];

#define PUT(cp)                                                                                    \
	do {                                                                                       \
		size_t w_ = utf8_put((cp), tmp);                                                   \
		if (o + w_ + 1 > size)                                                             \
			return EMSGSIZE;                                                           \
		memcpy(out + o, tmp, w_);                                                          \
		o += w_;                                                                           \
	} while (0)

	if (size == 0)
		return EMSGSIZE;
	switch (dc) {
	case SMS_DC_DEFAULT:
		for (size_t i = 0; i < len; i++) {
			uint8_t sp = data[i] & 0x7F;
			if (sp == 0x1B && i + 1 < len) {
				uint16_t cp = 0;
				uint8_t e = data[++i] & 0x7F;
				for (size_t k = 0; k < sizeof(gsm_ext) / sizeof(gsm_ext[0]); k++)
					if (gsm_ext[k].septet == e)
						cp = gsm_ext[k].cp;
				/* An unknown extension reads as its basic character (03.38). */
				PUT(cp ? cp : gsm_basic[e]);
			} else if (sp == 0x1B) {
				PUT(0x20);
			} else {
				PUT(gsm_basic[sp]);
			}
		}
		break;
	case SMS_DC_IA5:
	case SMS_DC_LATIN1:
		for (size_t i = 0; i < len; i++) {
			if (!data[i])
				return EILSEQ;
			if (dc == SMS_DC_IA5 && data[i] >= 0x80)
				return EILSEQ;
			PUT(data[i]);
		}
		break;
	case SMS_DC_UCS2:
		if (len % 2)
			return EILSEQ;
		for (size_t i = 0; i < len; i += 2) {
			uint32_t cu = (uint32_t)data[i] << 8 | data[i + 1];
			if (cu == 0)
				return EILSEQ;
			if (cu >= 0xD800 && cu <= 0xDBFF) {
				uint32_t lo;
				if (i + 3 >= len)
					return EILSEQ;
				lo = (uint32_t)data[i + 2] << 8 | data[i + 3];
				if (lo < 0xDC00 || lo > 0xDFFF)
					return EILSEQ;
				cu = 0x10000 + ((cu - 0xD800) << 10) + (lo - 0xDC00);
				i += 2;
			} else if (cu >= 0xDC00 && cu <= 0xDFFF) {
				return EILSEQ;
			}
			PUT(cu);
		}
		break;
	default:
		return ENOTSUP;
	}
#undef PUT
	out[o] = '\0';
	return 0;
}

/* ---- reassembly ---- */

struct reasm_msg {
	char from[32];
	unsigned ref, total, have;
	uint8_t dc;
	int64_t first_ms;
	uint8_t *part[256];
	size_t len[256];
	struct reasm_msg *next;
};

struct sms_reasm {
	struct reasm_msg *msgs;
	unsigned n;
};

struct sms_reasm *sms_reasm_new(void)
{
	return calloc(1, sizeof(struct sms_reasm));
}

static void msg_free(struct reasm_msg *m)
{
	for (unsigned i = 0; i < 256; i++)
		free(m->part[i]);
	free(m);
}

void sms_reasm_free(struct sms_reasm *r)
{
	if (!r)
		return;
	while (r->msgs) {
		struct reasm_msg *m = r->msgs;
		r->msgs = m->next;
		msg_free(m);
	}
	free(r);
}

static void reasm_unlink(struct sms_reasm *r, struct reasm_msg *m)
{
	for (struct reasm_msg **p = &r->msgs; *p; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			r->n--;
			return;
		}
}

int sms_reasm_add(struct sms_reasm *r, const char *from, const struct sms_concat *c, uint8_t dc,
		  const uint8_t *data, size_t len, int64_t now_ms, uint8_t **out, size_t *out_len)
{
	struct reasm_msg *m;
	size_t total = 0;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	if (!c->total || !c->seq || c->seq > c->total || c->total > 255)
		return EINVAL;
	for (m = r->msgs; m; m = m->next)
		if (m->ref == c->ref && m->total == c->total && !strcmp(m->from, from))
			break;
	if (!m) {
		if (!(m = calloc(1, sizeof(*m))))
			return ENOMEM;
		snprintf(m->from, sizeof(m->from), "%s", from);
		m->ref = c->ref;
		m->total = c->total;
		m->dc = dc;
		m->first_ms = now_ms;
		m->next = r->msgs;
		r->msgs = m;
		r->n++;
	}
	if (!m->part[c->seq - 1]) {
		if (!(m->part[c->seq - 1] = malloc(len ? len : 1)))
			return ENOMEM;
		memcpy(m->part[c->seq - 1], data, len);
		m->len[c->seq - 1] = len;
		m->have++;
	}
	if (m->have < m->total)
		return EAGAIN;
	for (unsigned i = 0; i < m->total; i++)
		total += m->len[i];
	if (!(buf = malloc(total ? total : 1)))
		return ENOMEM;
	total = 0;
	for (unsigned i = 0; i < m->total; i++) {
		memcpy(buf + total, m->part[i], m->len[i]);
		total += m->len[i];
	}
	*out = buf;
	*out_len = total;
	return 0;
}

void sms_reasm_done(struct sms_reasm *r, const char *from, const struct sms_concat *c)
{
	for (struct reasm_msg *m = r->msgs; m; m = m->next)
		if (m->ref == c->ref && m->total == c->total && !strcmp(m->from, from)) {
			reasm_unlink(r, m);
			msg_free(m);
			return;
		}
}

unsigned sms_reasm_expire(struct sms_reasm *r, int64_t now_ms, int64_t ttl_ms)
{
	unsigned n = 0;

	for (struct reasm_msg **p = &r->msgs; *p;) {
		struct reasm_msg *m = *p;
		if (m->first_ms < now_ms - ttl_ms) {
			*p = m->next;
			r->n--;
			msg_free(m);
			n++;
		} else {
			p = &m->next;
		}
	}
	return n;
}

unsigned sms_reasm_pending(const struct sms_reasm *r)
{
	return r->n;
}

/* ---- receipts ---- */

/* The value after "key:" up to the next blank, into out[size]. */
static bool receipt_field(const char *text, size_t len, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i + kl <= len; i++) {
		if ((i == 0 || text[i - 1] == ' ') && !strncasecmp(text + i, key, kl)) {
			size_t j = i + kl, k = 0;
			while (j < len && text[j] != ' ' && k + 1 < size)
				out[k++] = text[j++];
			out[k] = '\0';
			return k > 0;
		}
	}
	return false;
}

int sms_receipt_parse(const char *text, size_t len, struct sms_receipt *r)
{
	memset(r, 0, sizeof(*r));
	if (!receipt_field(text, len, "id:", r->id, sizeof(r->id)) ||
	    !receipt_field(text, len, "stat:", r->stat, sizeof(r->stat)))
		return EBADMSG;
	receipt_field(text, len, "err:", r->err, sizeof(r->err));
	return 0;
}

int sms_e164(const char *in, char *out, size_t size)
{
	char digits[20];
	size_t n = 0;
	const char *s = in;

	while (*s == ' ')
		s++;
	if (*s == '+')
		s++;
	else if (s[0] == '0' && s[1] == '0')
		s += 2;
	for (; *s; s++) {
		if (*s == ' ' || *s == '-' || *s == '(' || *s == ')')
			continue;
		if (!isdigit((unsigned char)*s) || n + 1 >= sizeof(digits))
			return EINVAL;
		digits[n++] = *s;
	}
	digits[n] = '\0';
	if (n < 6 || n > 15 || digits[0] == '0' || size < n + 2)
		return EINVAL;
	snprintf(out, size, "+%s", digits);
	return 0;
}
