/*
 * libFuzzer harness of the data dip's reading of an HTTP reply (src/dip/json.c): any
 * body a customer's web service sends is flattened into IVR variables by dip__flatten.
 * The first byte of an input is the cap on fields (0 to 255), the rest the body. A reply
 * that is not JSON is DIP_ERR_NOT_JSON with a message; one that is gives at most the
 * cap of fields, each with a name and a value that are terminated strings.
 * Seeds: tests/fuzz/corpus/dip_json/. Build and run: fuzz/README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dip/dip_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dip_result *r;
	enum dip_error e;
	size_t max;

	if (size < 1)
		return 0;
	max = data[0];
	r = calloc(1, sizeof(*r));
	if (!r)
		return 0;
	/* No terminator is given: a read past the body is caught. */
	e = dip__flatten((const char *)data + 1, size - 1, max, r);
	if (e == DIP_ERR_NOT_JSON && (r->nfields || !r->message[0]))
		abort();
	if (e == DIP_OK) {
		if (r->nfields > (max ? max : 1))
			abort();
		for (size_t i = 0; i < r->nfields; i++) {
			if (!r->fields[i].name || !r->fields[i].value)
				abort();
			(void)strlen(r->fields[i].name);
			(void)strlen(r->fields[i].value);
		}
	}
	dip_result_free(r);
	return 0;
}
