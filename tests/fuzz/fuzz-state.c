/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "fuzz.h"
#include "macro.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Verdict **v = NULL;
        char *error = NULL, *text = NULL;
        size_t n = 0, tsize;

        if (state_parse((const char *) data, size, NULL, &v, &n, &error) >= 0) {
                /* what parses must format and parse again to the same count */
                if (state_format(v, n, &text, &tsize) >= 0) {
                        Verdict **again = NULL;
                        size_t m = 0;
                        if (state_parse(text, tsize, NULL, &again, &m, NULL) < 0 || m != n)
                                abort();
                        verdicts_free(again, m);
                        free(text);
                }
                verdicts_free(v, n);
        }
        free(error);
        return 0;
}
