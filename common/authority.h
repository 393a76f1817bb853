/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "json.h"

/* Who can fix a reverse zone: the verdict object's "authority". */
typedef struct Authority {
        char *zone;             /* the reverse zone's apex */
        char **nameservers;     /* its NS names */
        char *contact;          /* the SOA RNAME as a mail address */
        bool classless;         /* reached through an RFC 2317 CNAME: the delegated child */
        char *registry;         /* the zone is a regional registry's: the block is not delegated */
} Authority;

Authority *authority_free(Authority *a);
Authority *authority_copy(const Authority *a);

/* JSON: an object, or null; D-Bus: a{sv}, empty for none. */
void authority_write_json(JsonWriter *w, const Authority *a);
int authority_append_bus(sd_bus_message *m, const Authority *a);
int authority_read_bus(sd_bus_message *m, Authority **ret);
