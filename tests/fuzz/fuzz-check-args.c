/* SPDX-License-Identifier: MIT */
/* The D-Bus Check(s address, t flags) argument path of the daemon. */
#include <string.h>

#include "bus.h"
#include "fuzz.h"
#include "macro.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL, *error = NULL;
        uint64_t flags = 0;
        Address a;
        bool force;

        if (size < sizeof flags)
                return 0;
        memcpy(&flags, data, sizeof flags);
        text = strdup_bytes(data + sizeof flags, size - sizeof flags);
        if (!text)
                return 0;
        if (bus_check_args(text, flags, &a, &force, &error) < 0 && !error)
                return 0;       /* out of memory only */
        return 0;
}
