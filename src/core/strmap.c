/* Open-addressing string map; grows at 50% load so probes stay short. */
#include "core/strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strmap_slot {
	char *key;
	void *value;
	uint32_t hash;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int strmap_create(size_t expected, struct strmap **out)
{
	struct strmap *m = calloc(1, sizeof(*m));
	size_t cap = 16;

	if (!m)
		return ENOMEM;
	while (cap < expected * 2)
		cap *= 2;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return ENOMEM;
	}
	m->cap = cap;
	*out = m;
	return 0;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

static struct strmap_slot *find(const struct strmap *m, const char *key, uint32_t h)
{
	size_t i = h & (m->cap - 1);

	while (m->slots[i].key) {
		if (m->slots[i].hash == h && !strcmp(m->slots[i].key, key))
			return &m->slots[i];
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

static int grow(struct strmap *m)
{
	struct strmap_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->slots = calloc(oldcap * 2, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return ENOMEM;
	}
	m->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].hash) = old[i];
	free(old);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value)
{
	uint32_t h = hash_str(key);
	struct strmap_slot *s;

	if ((m->n + 1) * 2 > m->cap && grow(m))
		return ENOMEM;
	s = find(m, key, h);
	if (!s->key) {
		s->key = strdup(key);
		if (!s->key)
			return ENOMEM;
		s->hash = h;
		m->n++;
	}
	s->value = value;
	return 0;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key, hash_str(key));

	return s->key ? s->value : NULL;
}

int strmap_put2(struct strmap *m, const char *a, const char *b, void *value)
{
	char key[512];

	snprintf(key, sizeof(key), "%s\x1f%s", a, b);
	return strmap_put(m, key, value);
}

void *strmap_get2(const struct strmap *m, const char *a, const char *b)
{
	char key[512];

	snprintf(key, sizeof(key), "%s\x1f%s", a, b);
	return strmap_get(m, key);
}

size_t strmap_count(const struct strmap *m)
{
	return m->n;
}
