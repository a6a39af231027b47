/*
 * The nonce-count table behind digest_nc_accept(): which nc each live nonce has reached.
 * Entries are found by the nonce's MAC (an HMAC, so its first 8 bytes are already a
 * uniform hash) in sets of four; a set that is full drops its oldest-born entry and
 * raises the "forgotten" watermark to that birth time. Expired nonces need no entry:
 * digest_verify answers them stale whatever their count.
 */
#include "sip/digest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4

struct nc_entry {
	uint64_t key; /* first 16 hex digits of the nonce's MAC; 0: free */
	int64_t born_s;
	uint32_t nc;
};

struct digest_nc_table {
	struct nc_entry *e;
	size_t nsets;
	int64_t forgotten_s; /* newest birth among live entries dropped for room */
};

int digest_nc_create(size_t slots, struct digest_nc_table **out)
{
	struct digest_nc_table *t = calloc(1, sizeof(*t));

	if (!t)
		return ENOMEM;
	t->nsets = (slots + WAYS - 1) / WAYS;
	if (!t->nsets)
		t->nsets = 1;
	t->e = calloc(t->nsets * WAYS, sizeof(*t->e));
	if (!t->e) {
		free(t);
		return ENOMEM;
	}
	t->forgotten_s = INT64_MIN;
	*out = t;
	return 0;
}

void digest_nc_free(struct digest_nc_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

/* Parses up to `max` hex digits ending at '\0' or `stop`; false if none or another
 * character comes first. */
static bool hex_parse(const char *s, char stop, size_t max, uint64_t *out, const char **end)
{
	uint64_t v = 0;
	size_t n = 0;

	for (; *s && *s != stop; s++, n++) {
		unsigned d;
		if (n == max)
			return false;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	if (!n)
		return false;
	*out = v;
	if (end)
		*end = s;
	return true;
}

int digest_nc_accept(struct digest_nc_table *t, const char *nonce, const char *nc, int64_t now_s,
		     int64_t ttl_s)
{
	const char *dot;
	char head[17];
	uint64_t born, key, count = 1;
	struct nc_entry *set, *slot = NULL;

	/* Nonces are "<birth seconds hex>.<MAC hex>" (digest_nonce_make). */
	if (!nonce || !hex_parse(nonce, '.', 16, &born, &dot) || *dot != '.' ||
	    strlen(dot + 1) < 16)
		return EINVAL;
	memcpy(head, dot + 1, 16);
	head[16] = '\0';
	if (!hex_parse(head, '\0', 16, &key, NULL))
		return EINVAL;
	if (!key)
		key = 1;
	/* RFC 7616 says 8 hex digits; fewer are taken too (the response was computed with
	 * exactly this text anyway). */
	if (nc && (!hex_parse(nc, '\0', 8, &count, NULL) || count == 0))
		return EINVAL;
	set = &t->e[(key % t->nsets) * WAYS];
	for (size_t i = 0; i < WAYS; i++)
		if (set[i].key == key && set[i].born_s == (int64_t)born) {
			if (count <= set[i].nc)
				return EALREADY;
			set[i].nc = (uint32_t)count;
			return 0;
		}
	if ((int64_t)born <= t->forgotten_s)
		return ESTALE;
	/* A free entry, else an expired one, else the oldest-born live one. */
	for (size_t i = 0; i < WAYS; i++) {
		struct nc_entry *c = &set[i];
		if (!c->key || now_s - c->born_s > ttl_s) {
			slot = c;
			break;
		}
		if (!slot || c->born_s < slot->born_s)
			slot = c;
	}
	if (slot->key && now_s - slot->born_s <= ttl_s && slot->born_s > t->forgotten_s)
		t->forgotten_s = slot->born_s;
	slot->key = key;
	slot->born_s = (int64_t)born;
	slot->nc = (uint32_t)count;
	return 0;
}
