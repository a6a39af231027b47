/*
 * The key of an encrypted recording (a tenant's `recording_encryption`): the media
 * engine asks for it by the recording's path, which names the tenant's folder under
 * the recordings directory (eng__recording_path). A path outside it, or a tenant
 * without a key, gets none, and the media engine then refuses the recording rather than
 * write it in the clear.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <string.h>

#include "core/crec.h"

int eng__record_key(void *arg, const char *path, uint8_t key[32])
{
	struct engine *e = arg;
	const char *dir = e->cfg->recordings, *t;
	size_t dl = strlen(dir), tl;

	if (strncmp(path, dir, dl) || path[dl] != '/')
		return ENOENT;
	t = path + dl + 1;
	tl = strcspn(t, "/");
	for (size_t i = 0; i < e->ntenants; i++) {
		const struct cfg_tenant *ct = e->tenants[i].ct;

		if (strlen(ct->id) == tl && !strncmp(ct->id, t, tl) && ct->rec_encrypt) {
			memcpy(key, ct->rec_key, CREC_KEY_BYTES);
			return 0;
		}
	}
	return ENOKEY;
}
