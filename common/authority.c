/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "authority.h"
#include "bus-dict.h"
#include "macro.h"
#include "strv.h"

Authority *authority_free(Authority *a) {
        if (!a)
                return NULL;
        free(a->zone);
        strv_free(a->nameservers);
        free(a->contact);
        free(a->registry);
        free(a);
        return NULL;
}

Authority *authority_copy(const Authority *a) {
        Authority *c;

        if (!a || !(c = calloc(1, sizeof(Authority))))
                return NULL;
        c->classless = a->classless;
        if ((a->zone && !(c->zone = strdup(a->zone))) ||
            (a->contact && !(c->contact = strdup(a->contact))) ||
            (a->registry && !(c->registry = strdup(a->registry))) ||
            (a->nameservers && !(c->nameservers = strv_copy(a->nameservers))))
                return authority_free(c);
        return c;
}

void authority_write_json(JsonWriter *w, const Authority *a) {
        if (!a) {
                json_null(w);
                return;
        }
        json_begin_object(w);
        json_key(w, "zone");
        json_string(w, a->zone);
        json_key(w, "nameservers");
        json_begin_array(w);
        for (char **n = a->nameservers; n && *n; n++)
                json_string(w, *n);
        json_end_array(w);
        json_key(w, "contact");
        json_string(w, a->contact);
        json_key(w, "classless");
        json_boolean(w, a->classless);
        if (a->registry) {
                json_key(w, "registry");
                json_string(w, a->registry);
        }
        json_end_object(w);
}

int authority_append_bus(sd_bus_message *m, const Authority *a) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && a && a->zone)
                r = bus_dict_append(m, "zone", "s", a->zone);
        if (r >= 0 && a)
                r = bus_dict_append_strv(m, "nameservers", a->nameservers);
        if (r >= 0 && a && a->contact)
                r = bus_dict_append(m, "contact", "s", a->contact);
        if (r >= 0 && a)
                r = bus_dict_append(m, "classless", "b", (int) a->classless);
        if (r >= 0 && a && a->registry)
                r = bus_dict_append(m, "registry", "s", a->registry);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int read_field(sd_bus_message *m, const char *key, const char *contents, void *userdata) {
        Authority *a = userdata;
        int r, b;

        if (streq(key, "nameservers"))
                return bus_dict_read_strv(m, contents, &a->nameservers);
        if (streq(key, "classless") && streq(contents, "b")) {
                r = sd_bus_message_read(m, "v", "b", &b);
                a->classless = b;
                return r;
        }
        char **field = streq(key, "zone") ? &a->zone : streq(key, "contact") ? &a->contact :
                       streq(key, "registry") ? &a->registry : NULL;
        return field ? bus_dict_read_string(m, contents, field) : sd_bus_message_skip(m, "v");
}

int authority_read_bus(sd_bus_message *m, Authority **ret) {
        Authority *a = calloc(1, sizeof(Authority));
        int r;

        if (!a)
                return -ENOMEM;
        r = bus_dict_read(m, read_field, a);
        if (r <= 0) {           /* an empty a{sv}: a pass, no authority */
                authority_free(a);
                *ret = NULL;
                return r < 0 ? r : 0;
        }
        *ret = a;
        return 0;
}
