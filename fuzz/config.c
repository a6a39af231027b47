/*
 * libFuzzer harness of the configuration file (src/core/config.c on libfyaml through
 * src/core/yaml.c), with the checks `centrala check` and `centrala serve` add on top:
 * every tenant's flows (src/ivr loader and validator, through the engine) and the ACD's
 * queues, skills and strategies. Any text is loaded; every error message must be
 * readable. Seeds: tests/fuzz/corpus/config/ (the demo configuration, a config with
 * every section, one full of errors). Build and run: fuzz/README.md.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "engine/engine_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct cfg *cfg = NULL;
	char *text;

	if (!ready) {
		log_setup(LOG_LEVEL_DEBUG, open("/dev/null", O_WRONLY | O_CLOEXEC));
		ready = 1;
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cfg_load_string("fuzz.yaml", text, &cfg) == 0) {
		eng__flows_check(cfg);
		eng__acd_check(cfg);
		for (size_t i = 0; i < cfg_error_count(cfg); i++)
			if (strlen(cfg_error_at(cfg, i)) > size + 4096)
				abort();
		cfg_free(cfg);
	}
	free(text);
	return 0;
}
