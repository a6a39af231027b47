/*
 * Renders prompt sets from their catalogues: `make-prompts CACHE_DIR PROMPT_DIR LANG...`
 * calls tts_prompts_make() for each language, so PROMPT_DIR/<lang>/prompts.tsv becomes
 * PROMPT_DIR/<lang>/<name>.wav with the very code the server runs at start-up. Used by
 * scripts/make-prompts (the source tree's prompts/) and by the build, which renders the
 * sets that `make install` puts under share/centrala/prompts, so an installed server
 * finds them made and never writes below /usr.
 */
#include <stdio.h>
#include <string.h>
#include "tts/tts.h"

int main(int argc, char **argv)
{
	struct tts *t;
	int rc, failed = 0;

	if (argc < 3)
		return 2;
	rc = tts_create(argv[1], NULL, &t);
	if (rc) {
		fprintf(stderr, "make-prompts: cache %s: %s\n", argv[1], strerror(rc));
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		unsigned made = 0;
		rc = tts_prompts_make(t, argv[2], argv[i], &made);
		if (rc) {
			fprintf(stderr, "make-prompts: %s/%s: %s\n", argv[2], argv[i],
				strerror(rc));
			failed = 1;
		} else {
			printf("make-prompts: %s/%s: %u made\n", argv[2], argv[i], made);
		}
	}
	tts_destroy(t);
	return failed;
}
