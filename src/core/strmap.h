/*
 * A string-keyed hash map (open addressing, linear probing) for lookups on the event
 * path: numbers to routes, SIP users to agents, domains to tenants. Keys are copied;
 * values are borrowed pointers. Built at provisioning, read per event; no deletion.
 */
#ifndef CENTRALA_CORE_STRMAP_H
#define CENTRALA_CORE_STRMAP_H

#include <stddef.h>

struct strmap;

int strmap_create(size_t expected, struct strmap **out);
void strmap_free(struct strmap *m);
/* Inserts or replaces. Returns 0 or ENOMEM. */
int strmap_put(struct strmap *m, const char *key, void *value);
/* Two-part key "a\x1fb" without building it at the caller. */
int strmap_put2(struct strmap *m, const char *a, const char *b, void *value);
void *strmap_get(const struct strmap *m, const char *key);
void *strmap_get2(const struct strmap *m, const char *a, const char *b);
size_t strmap_count(const struct strmap *m);

#endif
