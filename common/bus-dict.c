/* SPDX-License-Identifier: MIT */
#include <stdarg.h>

#include "bus-dict.h"

static int open_entry(sd_bus_message *m, const char *key, const char *sig) {
        int r = sd_bus_message_open_container(m, 'e', "sv");

        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        return r < 0 ? r : sd_bus_message_open_container(m, 'v', sig);
}

static int close_entry(sd_bus_message *m) {
        int r = sd_bus_message_close_container(m);

        return r < 0 ? r : sd_bus_message_close_container(m);
}

int bus_dict_append(sd_bus_message *m, const char *key, const char *sig, ...) {
        va_list ap;
        int r;

        r = open_entry(m, key, sig);
        if (r >= 0) {
                va_start(ap, sig);
                r = sd_bus_message_appendv(m, sig, ap);
                va_end(ap);
        }
        return r < 0 ? r : close_entry(m);
}

int bus_dict_append_strv(sd_bus_message *m, const char *key, char * const *l) {
        int r;

        r = open_entry(m, key, "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) (l ?: (char * const []) { NULL }));
        return r < 0 ? r : close_entry(m);
}
