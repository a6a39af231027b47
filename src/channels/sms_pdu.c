/*
 * SMPP 3.4 PDUs for the SMS channel, packed and unpacked by libsmpp34 (Debian
 * libsmpp34-dev); this file only fills its structures and reads them back.
 */
#include "channels/sms.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>

static bool put_str(uint8_t *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		return false;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
	return true;
}

/* libsmpp34 writes the text of every call's outcome into one global buffer
 * (smpp34_strerror): the SMPP sessions, each on its thread, take turns in it. */
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

static int pack(uint32_t type, uint8_t *buf, size_t size, void *pdu)
{
	int len = 0, rc;

	pthread_mutex_lock(&lib_lock);
	rc = smpp34_pack(type, buf, (int)size, &len, pdu);
	pthread_mutex_unlock(&lib_lock);
	return rc ? -1 : len;
}

/* smpp34_unpack under the lock; on failure its text in err (when err is not NULL). */
static int unpack(uint32_t type, void *pdu, const uint8_t *buf, size_t len, char *err,
		  size_t errsize)
{
	int rc;

	pthread_mutex_lock(&lib_lock);
	rc = smpp34_unpack(type, pdu, buf, (int)len);
	if (rc && err)
		snprintf(err, errsize, "%.200s", smpp34_strerror);
	pthread_mutex_unlock(&lib_lock);
	return rc;
}

int smpp_header_read(const uint8_t *buf, size_t len, struct smpp_header *h)
{
	uint32_t v[4];

	if (len < SMPP_HEADER_BYTES)
		return EAGAIN;
	memcpy(v, buf, sizeof(v));
	h->length = ntohl(v[0]);
	h->id = ntohl(v[1]);
	h->status = ntohl(v[2]);
	h->seq = ntohl(v[3]);
	if (h->length < SMPP_HEADER_BYTES || h->length > SMPP_PDU_MAX)
		return EBADMSG;
	return 0;
}

int smpp_pdu_bind_transceiver(uint8_t *buf, size_t size, uint32_t seq, const struct smpp_bind *b)
{
	bind_transceiver_t p;

	memset(&p, 0, sizeof(p));
	p.command_id = BIND_TRANSCEIVER;
	p.command_status = ESME_ROK;
	p.sequence_number = seq;
	if (!put_str(p.system_id, sizeof(p.system_id), b->system_id) ||
	    !put_str(p.password, sizeof(p.password), b->password) ||
	    !put_str(p.system_type, sizeof(p.system_type), b->system_type))
		return -1;
	p.interface_version = SMPP_VERSION;
	return pack(BIND_TRANSCEIVER, buf, size, &p);
}

int smpp_pdu_enquire_link(uint8_t *buf, size_t size, uint32_t seq)
{
	enquire_link_t p;

	memset(&p, 0, sizeof(p));
	p.command_id = ENQUIRE_LINK;
	p.sequence_number = seq;
	return pack(ENQUIRE_LINK, buf, size, &p);
}

int smpp_pdu_unbind(uint8_t *buf, size_t size, uint32_t seq)
{
	unbind_t p;

	memset(&p, 0, sizeof(p));
	p.command_id = UNBIND;
	p.sequence_number = seq;
	return pack(UNBIND, buf, size, &p);
}

int smpp_pdu_response(uint8_t *buf, size_t size, uint32_t command_id, uint32_t status, uint32_t seq)
{
	switch (command_id) {
	case ENQUIRE_LINK_RESP: {
		enquire_link_resp_t p;
		memset(&p, 0, sizeof(p));
		p.command_id = command_id, p.command_status = status, p.sequence_number = seq;
		return pack(command_id, buf, size, &p);
	}
	case DELIVER_SM_RESP: {
		deliver_sm_resp_t p;
		memset(&p, 0, sizeof(p));
		p.command_id = command_id, p.command_status = status, p.sequence_number = seq;
		return pack(command_id, buf, size, &p);
	}
	case UNBIND_RESP: {
		unbind_resp_t p;
		memset(&p, 0, sizeof(p));
		p.command_id = command_id, p.command_status = status, p.sequence_number = seq;
		return pack(command_id, buf, size, &p);
	}
	case GENERIC_NACK: {
		generic_nack_t p;
		memset(&p, 0, sizeof(p));
		p.command_id = command_id, p.command_status = status, p.sequence_number = seq;
		return pack(command_id, buf, size, &p);
	}
	default:
		return -1;
	}
}

int smpp_pdu_submit_sm(uint8_t *buf, size_t size, uint32_t seq, const struct smpp_addr *src,
		       const struct smpp_addr *dst, const struct sms_split *s, unsigned part,
		       bool registered_delivery)
{
	submit_sm_t p;
	const struct sms_part *sp;

	if (part >= s->count)
		return -1;
	sp = &s->part[part];
	memset(&p, 0, sizeof(p));
	p.command_id = SUBMIT_SM;
	p.sequence_number = seq;
	p.source_addr_ton = src->ton;
	p.source_addr_npi = src->npi;
	p.dest_addr_ton = dst->ton;
	p.dest_addr_npi = dst->npi;
	if (!put_str(p.source_addr, sizeof(p.source_addr), src->addr) ||
	    !put_str(p.destination_addr, sizeof(p.destination_addr), dst->addr) ||
	    sp->len > sizeof(p.short_message))
		return -1;
	p.esm_class = s->udhi ? SMPP34_UDHI_IND : 0;
	p.registered_delivery =
	    registered_delivery ? SMPP34_DELIVERY_RECEIPT_ON : SMPP34_DELIVERY_RECEIPT_OFF;
	p.data_coding = s->data_coding;
	p.sm_length = (uint8_t)sp->len;
	memcpy(p.short_message, sp->data, sp->len);
	return pack(SUBMIT_SM, buf, size, &p);
}

static unsigned tlv_uint(const tlv_t *t)
{
	if (t->length == 1)
		return t->value.val08;
	if (t->length == 2)
		return t->value.val16;
	if (t->length == 4)
		return t->value.val32;
	return 0;
}

/* The end of a deliver_sm's mandatory part, or 0 when it is cut short. */
static size_t deliver_mandatory_end(const uint8_t *buf, size_t len)
{
	size_t o = SMPP_HEADER_BYTES;
	/* service_type, ton, npi, source, ton, npi, destination, esm_class, protocol_id,
	 * priority, schedule, validity, registered_delivery, replace, data_coding,
	 * default msg id, sm_length, short_message */
	static const int8_t layout[] = {-1, 2, -1, 2, -1, 3, -1, -1, 4};

	for (size_t i = 0; i < sizeof(layout); i++) {
		if (layout[i] < 0) {
			const uint8_t *z = o < len ? memchr(buf + o, 0, len - o) : NULL;
			if (!z)
				return 0;
			o = (size_t)(z - buf) + 1;
		} else {
			o += (size_t)layout[i];
		}
	}
	if (o >= len)
		return 0;
	o += 1 + (size_t)buf[o]; /* sm_length and the message */
	return o <= len ? o : 0;
}

/* The optional parameters read here, with the lengths SMPP 3.4 gives them. */
static bool tlv_wanted(unsigned tag, size_t tl)
{
	switch (tag) {
	case TLVID_message_payload:
		return tl <= MAX_TLV_SIZE;
	case TLVID_receipted_message_id:
		return tl >= 1 && tl <= 65;
	case TLVID_message_state:
	case TLVID_sar_total_segments:
	case TLVID_sar_segment_seqnum:
		return tl == 1;
	case TLVID_sar_msg_ref_num:
		return tl == 2;
	default:
		return false;
	}
}

/*
 * Copies the PDU into out[] with only the optional parameters read here, each of its
 * right length, and its command_length set: libsmpp34 checks each parameter it knows and
 * leaks what it allocated when one is wrong, so no other ever reaches it. Returns the
 * copy's length, or 0 when the PDU is cut short.
 */
static size_t deliver_filtered(const uint8_t *buf, size_t len, uint8_t *out, size_t size)
{
	size_t o = deliver_mandatory_end(buf, len), n;
	uint32_t be;

	if (!o || o > size)
		return 0;
	memcpy(out, buf, o);
	n = o;
	while (o < len) {
		size_t tl;
		unsigned tag;
		if (len - o < 4)
			return 0;
		tag = (unsigned)buf[o] << 8 | buf[o + 1];
		tl = (size_t)buf[o + 2] << 8 | buf[o + 3];
		if (tl > len - o - 4)
			return 0;
		if (tlv_wanted(tag, tl) && n + 4 + tl <= size) {
			memcpy(out + n, buf + o, 4 + tl);
			n += 4 + tl;
		}
		o += 4 + tl;
	}
	be = htonl((uint32_t)n);
	memcpy(out, &be, 4);
	return n;
}

int smpp_parse_deliver_sm(const uint8_t *buf, size_t len, struct smpp_deliver *d, char *err,
			  size_t errsize)
{
	static __thread uint8_t copy[SMPP_PDU_MAX];
	deliver_sm_t p;
	tlv_t *t;
	char why[256];

	memset(d, 0, sizeof(*d));
	d->message_state = -1;
	memset(&p, 0, sizeof(p));
	if (!(len = deliver_filtered(buf, len, copy, sizeof(copy)))) {
		snprintf(err, errsize, "deliver_sm unreadable: a field or parameter cut short");
		return EBADMSG;
	}
	if (unpack(DELIVER_SM, &p, copy, len, why, sizeof(why)) != 0) {
		snprintf(err, errsize, "deliver_sm unreadable: %s", why);
		destroy_tlv(p.tlv);
		return EBADMSG;
	}
	snprintf(d->from, sizeof(d->from), "%s", (const char *)p.source_addr);
	snprintf(d->to, sizeof(d->to), "%s", (const char *)p.destination_addr);
	d->esm_class = p.esm_class;
	d->data_coding = p.data_coding;
	d->receipt = (p.esm_class & 0x3C) == SMPP34_DELIVERY_RECEIPT;
	memcpy(d->sm, p.short_message, p.sm_length);
	d->sm_len = p.sm_length;
	smpp34_tlv_for_each(t, p.tlv)
	{
		switch (t->tag) {
		case TLVID_message_payload:
			if (p.sm_length == 0 && t->length <= sizeof(d->sm)) {
				memcpy(d->sm, t->value.octet, t->length);
				d->sm_len = t->length;
			}
			break;
		case TLVID_receipted_message_id:
			snprintf(d->receipted_id, sizeof(d->receipted_id), "%.*s",
				 (int)strnlen((const char *)t->value.octet, t->length),
				 (const char *)t->value.octet);
			break;
		case TLVID_message_state:
			d->message_state = (int)tlv_uint(t);
			break;
		case TLVID_sar_msg_ref_num:
			d->sar.ref = tlv_uint(t);
			break;
		case TLVID_sar_total_segments:
			d->sar.total = tlv_uint(t);
			break;
		case TLVID_sar_segment_seqnum:
			d->sar.seq = tlv_uint(t);
			break;
		default:
			break;
		}
	}
	destroy_tlv(p.tlv);
	return 0;
}

int smpp_parse_submit_sm_resp(const uint8_t *buf, size_t len, char *id, size_t idsize)
{
	submit_sm_resp_t p;

	memset(&p, 0, sizeof(p));
	id[0] = '\0';
	if (len == SMPP_HEADER_BYTES)
		return 0; /* an error response may have no body */
	if (unpack(SUBMIT_SM_RESP, &p, buf, len, NULL, 0) != 0)
		return EBADMSG;
	snprintf(id, idsize, "%s", (const char *)p.message_id);
	return 0;
}

int smpp_parse_bind_resp(const uint8_t *buf, size_t len, char *sysid, size_t size)
{
	bind_transceiver_resp_t p;
	uint8_t copy[SMPP_HEADER_BYTES + 16];
	const uint8_t *z;
	uint32_t be;

	memset(&p, 0, sizeof(p));
	sysid[0] = '\0';
	if (len == SMPP_HEADER_BYTES)
		return 0;
	/* system_id alone: its optional parameter is not read here, and libsmpp34 leaks what
	 * it allocated for a wrong one. */
	z = memchr(buf + SMPP_HEADER_BYTES, 0, len - SMPP_HEADER_BYTES);
	if (!z || (size_t)(z - buf) + 1 > sizeof(copy))
		return EBADMSG;
	len = (size_t)(z - buf) + 1;
	memcpy(copy, buf, len);
	be = htonl((uint32_t)len);
	memcpy(copy, &be, 4);
	if (unpack(BIND_TRANSCEIVER_RESP, &p, copy, len, NULL, 0) != 0) {
		destroy_tlv(p.tlv);
		return EBADMSG;
	}
	snprintf(sysid, size, "%s", (const char *)p.system_id);
	destroy_tlv(p.tlv);
	return 0;
}
