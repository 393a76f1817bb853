/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "address.h"
#include "fuzz.h"
#include "hostname.h"
#include "macro.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = strdup_bytes(data, size);
        char buf[ADDRESS_STRING_MAX], rname[REVERSE_NAME_MAX];
        Address a, b;

        if (!text)
                return 0;
        if (address_parse(text, &a, NULL) >= 0) {
                /* the canonical form parses back to the same address */
                address_to_string(&a, buf);
                if (address_parse(buf, &b, NULL) < 0 || !address_equal(&a, &b))
                        abort();
                address_reverse_name(&a, rname);
                (void) address_scope(&a);
        }
        /* the same bytes as a host name, against a fixed address */
        (void) address_parse("192.0.2.10", &a, NULL);
        if (hostname_is_valid(text))
                (void) hostname_is_generic(text, &a, NULL);
        return 0;
}
