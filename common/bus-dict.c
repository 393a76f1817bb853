/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus-dict.h"
#include "macro.h"
#include "strv.h"

int bus_dict_open_entry(sd_bus_message *m, const char *key, const char *sig) {
        int r = sd_bus_message_open_container(m, 'e', "sv");

        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', key);
        return r < 0 ? r : sd_bus_message_open_container(m, 'v', sig);
}

int bus_dict_close_entry(sd_bus_message *m) {
        int r = sd_bus_message_close_container(m);

        return r < 0 ? r : sd_bus_message_close_container(m);
}

int bus_dict_append(sd_bus_message *m, const char *key, const char *sig, ...) {
        va_list ap;
        int r;

        r = bus_dict_open_entry(m, key, sig);
        if (r < 0)
                return r;
        /* one basic value: sd_bus_message_append_basic(), without parsing a format */
        va_start(ap, sig);
        switch (sig[1] ? 0 : sig[0]) {
        case 's':
                r = sd_bus_message_append_basic(m, 's', va_arg(ap, const char *));
                break;
        case 'b':
        case 'i': {
                int i = va_arg(ap, int);
                r = sd_bus_message_append_basic(m, sig[0], &i);
                break;
        }
        case 'u': {
                uint32_t u = va_arg(ap, uint32_t);
                r = sd_bus_message_append_basic(m, 'u', &u);
                break;
        }
        case 't': {
                uint64_t t = va_arg(ap, uint64_t);
                r = sd_bus_message_append_basic(m, 't', &t);
                break;
        }
        case 'd': {
                double d = va_arg(ap, double);
                r = sd_bus_message_append_basic(m, 'd', &d);
                break;
        }
        default:
                r = sd_bus_message_appendv(m, sig, ap);
                break;
        }
        va_end(ap);
        return r < 0 ? r : bus_dict_close_entry(m);
}

int bus_dict_append_strv(sd_bus_message *m, const char *key, char * const *l) {
        int r;

        r = bus_dict_open_entry(m, key, "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, (char **) (l ?: (char * const []) { NULL }));
        return r < 0 ? r : bus_dict_close_entry(m);
}

int bus_dict_read(sd_bus_message *m, bus_dict_field_t field, void *userdata) {
        const char *key, *contents;
        int r, n = 0;
        char type;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                n++;
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(m, &type, &contents);
                if (r >= 0)
                        r = field(m, key, contents, userdata);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r < 0 ? r : n;
}

int bus_dict_read_string(sd_bus_message *m, const char *contents, char **ret) {
        const char *s;
        int r;

        if (!streq(contents, "s"))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_read(m, "v", "s", &s);
        if (r < 0)
                return r;
        free(*ret);
        return (*ret = strdup(s)) ? 0 : -ENOMEM;
}

int bus_dict_read_strv(sd_bus_message *m, const char *contents, char ***ret) {
        char **l = NULL;
        int r;

        if (!streq(contents, "as"))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_read_strv(m, &l);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                strv_free(l);
                return r;
        }
        strv_free(*ret);
        *ret = l;
        return 0;
}
