/* libFuzzer harness for the streaming CSV reader (src/core/csv.c): every record of any
 * input is read to the end, with each separator; fields stay inside the record. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char seps[] = {',', ';', '\t'};

	for (size_t s = 0; s < sizeof(seps); s++) {
		FILE *f = fmemopen((void *)data, size, "r");
		struct csv *r = NULL;
		char **v;
		size_t n;
		long line;
		int rc;

		if (!size || !f) {
			if (f)
				fclose(f);
			return 0;
		}
		if (csv_open(f, seps[s], &r)) {
			fclose(f);
			return 0;
		}
		while ((rc = csv_next(r, &v, &n, &line)) != ENOENT && rc != EIO && rc != ENOMEM) {
			if (rc == 0)
				for (size_t i = 0; i < n; i++)
					(void)strlen(v[i]);
		}
		csv_close(r);
		fclose(f);
	}
	return 0;
}
