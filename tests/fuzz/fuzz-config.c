/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "fuzz.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = strdup_bytes(data, size), *error = NULL;
        Config c;

        if (!text || config_init(&c) < 0)
                return 0;
        log_set_max_level(LOG_CRIT);    /* unknown-key warnings would flood */
        (void) config_parse_string(&c, "fuzz.conf", text, &error);
        config_done(&c);
        return 0;
}
