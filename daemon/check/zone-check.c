/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "zone-check.h"

/* An authoritative server answers at once or not at all. */
#define ZONE_CHECK_TIMEOUT (2 * USEC_PER_SEC)

struct ZoneCheck {
        Resolver *resolver;     /* the configured one: the name server's address */
        Resolver *direct;       /* the zone's own server */
        sd_event_source *done;  /* delivers, outside any resolver callback */
        char *ns, *qname;
        uint16_t type;
        DnsStatus seen_status;
        char **seen_names;
        int differs;
        char server[ADDRESS_STRING_MAX + 8];
        zone_check_callback_t callback;
        void *userdata;
};

ZoneCheck *zone_check_free(ZoneCheck *z) {
        if (!z)
                return NULL;
        sd_event_source_disable_unref(z->done);
        resolver_free(z->direct);
        free(z->ns);
        free(z->qname);
        strv_free(z->seen_names);
        free(z);
        return NULL;
}

static int on_zone_check_done(sd_event_source *s, void *userdata) {
        ZoneCheck *z = userdata;

        z->callback(z, z->differs, z->differs >= 0 ? z->server : NULL, z->userdata);
        return 0;
}

static void finish(ZoneCheck *z, int differs) {
        z->differs = differs;
        (void) sd_event_source_set_enabled(z->done, SD_EVENT_ONESHOT);
}

static bool same_names(char * const *a, char * const *b) {
        size_t n = strv_length(a);

        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strv_contains(b, a[i]))
                        return false;
        return true;
}

static void on_direct_reply(Resolver *r, DnsReply *reply, void *userdata) {
        ZoneCheck *z = userdata;
        bool seen_negative = dns_status_is_negative(z->seen_status) ||
                             (z->seen_status == DNS_ANSWER && !z->seen_names);

        if (dns_status_is_temporary(reply->status) || reply->status == DNS_INVALID) {
                finish(z, -1);
                return;
        }
        if (dns_status_is_negative(reply->status))
                finish(z, !seen_negative);
        else
                finish(z, seen_negative || !same_names(z->seen_names, reply->names));
}

static void on_ns_address(Resolver *r, DnsReply *reply, void *userdata) {
        ZoneCheck *z = userdata;
        Upstream server;
        int k;

        if (reply->status != DNS_ANSWER || reply->n_addresses == 0) {
                finish(z, -1);
                return;
        }
        server = (Upstream) { .address = reply->addresses[0], .port = 53 };
        ResolverOptions o = { .servers = &server, .n_servers = 1, .timeout = ZONE_CHECK_TIMEOUT, .max_in_flight = 1 };
        char a[ADDRESS_STRING_MAX];
        snprintf(z->server, sizeof z->server, "%s (%s)", z->ns, address_to_string(&server.address, a));
        k = resolver_new(resolver_event(r), &o, &z->direct);
        if (k >= 0)
                k = resolver_query(z->direct, z->qname, z->type, on_direct_reply, z);
        if (k < 0)
                finish(z, -1);
}

int zone_check_start(Resolver *r, const char *ns, const char *qname, uint16_t type, const DnsReply *seen,
                     zone_check_callback_t callback, void *userdata, ZoneCheck **ret) {
        ZoneCheck *z = calloc(1, sizeof(ZoneCheck));
        int k;

        if (!z)
                return -ENOMEM;
        *z = (ZoneCheck) { .resolver = r, .type = type, .seen_status = seen->status, .differs = -1,
                           .callback = callback, .userdata = userdata };
        z->ns = strdup(ns);
        z->qname = strdup(qname);
        if (!z->ns || !z->qname || (seen->names && !(z->seen_names = strv_copy(seen->names)))) {
                zone_check_free(z);
                return -ENOMEM;
        }
        k = sd_event_add_defer(resolver_event(r), &z->done, on_zone_check_done, z);
        if (k >= 0) {
                (void) sd_event_source_set_enabled(z->done, SD_EVENT_OFF);
                (void) sd_event_source_set_description(z->done, "zone-check-done");
                /* the family the resolver can reach: A first */
                k = resolver_query_first(r, ns, GETDNS_RRTYPE_A, on_ns_address, z);
        }
        if (k < 0) {
                zone_check_free(z);
                return k;
        }
        *ret = z;
        return 0;
}
