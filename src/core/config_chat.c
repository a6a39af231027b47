/*
 * The web chat's settings (`chat:` under a tenant): which queues a visitor may choose,
 * and the limits that keep a public, login-free endpoint from being abused (messages per
 * second and bytes per message of one visitor, chats open at once from one address, how
 * long a chat whose visitor went away waits for the visitor to come back), and the
 * tenant's canned answers that agents pick from. Absent: the
 * tenant takes no chats. Checked here so that `centrala check` names a wrong value by
 * its place in the file.
 */
#include "core/config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const chat_keys[] = {
    "queues", "max_message", "per_second", "sessions_per_address", "resume", "canned", NULL};

/* A sequence of strings at `key` of n into *out, *nout (each at most `max` bytes). */
static void strings(struct cy *c, struct fy_node *n, const char *path, const char *key, size_t max,
		    char ***out, size_t *nout)
{
	struct fy_node *qs = cy_get(n, key), *it;
	void *iter = NULL;
	char p[512];
	size_t i = 0;

	if (!qs || !cy_is_seq(c, qs, cy_path(p, sizeof(p), path, key)))
		return;
	while ((it = cy_items(qs, &iter))) {
		char pi[512];
		char **v;
		if (!cy_is_scalar(c, it, cy_path_idx(pi, sizeof(pi), p, i++)))
			continue;
		if (strlen(cy_text(it)) > max) {
			cy_error(c, it, pi, "at most %zu bytes", max);
			continue;
		}
		if (!(v = realloc(*out, (*nout + 1) * sizeof(*v))))
			return;
		*out = v;
		if ((v[*nout] = strdup(cy_text(it))))
			(*nout)++;
	}
}

void cfg__parse_chat(struct cy *c, struct fy_node *n, const char *path, struct cfg_chat *w)
{
	w->max_message = 2000;
	w->per_second = 5;
	w->sessions_per_address = 3;
	w->resume_ms = 120000;
	if (!n)
		return;
	cy_pos(n, &w->line, &w->col);
	if (!cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, chat_keys);
	w->enabled = true;
	strings(c, n, path, "queues", 63, &w->queues, &w->nqueues);
	cy_get_int(c, n, path, "max_message", false, 1, 65536, &w->max_message);
	cy_get_int(c, n, path, "per_second", false, 1, 1000, &w->per_second);
	cy_get_int(c, n, path, "sessions_per_address", false, 1, 100000, &w->sessions_per_address);
	cy_get_ms(c, n, path, "resume", false, &w->resume_ms);
	strings(c, n, path, "canned", (size_t)w->max_message, &w->canned, &w->ncanned);
}

void cfg__check_chat(struct cy *c, const struct cfg_tenant *t, const char *path)
{
	for (size_t i = 0; i < t->chat.nqueues; i++)
		if (!cfg_queue_find(t, t->chat.queues[i]))
			cy_error(c, NULL, path, "%d:%d: chat.queues[%zu]: unknown queue \"%s\"",
				 t->chat.line, t->chat.col, i, t->chat.queues[i]);
}

void cfg__free_chat(struct cfg_chat *w)
{
	for (size_t i = 0; i < w->nqueues; i++)
		free(w->queues[i]);
	free(w->queues);
	w->queues = NULL;
	w->nqueues = 0;
	for (size_t i = 0; i < w->ncanned; i++)
		free(w->canned[i]);
	free(w->canned);
	w->canned = NULL;
	w->ncanned = 0;
}

bool cfg_chat_queue(const struct cfg_tenant *t, const char *queue)
{
	if (!t->chat.enabled || !queue)
		return false;
	if (!t->chat.nqueues)
		return cfg_queue_find(t, queue) != NULL;
	for (size_t i = 0; i < t->chat.nqueues; i++)
		if (!strcmp(t->chat.queues[i], queue))
			return true;
	return false;
}
