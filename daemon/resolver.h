/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "dnsreply.h"

typedef struct Resolver Resolver;

/* Called once per query, never from inside resolver_query(). The callee may
 * move the reply's contents out (leaving it zeroed); what is left is freed
 * after the call. */
typedef void (*resolver_callback_t)(Resolver *r, DnsReply *reply, void *userdata);

/* A getdns stub resolver on the event loop. Upstreams from c->servers, else
 * from resolv_conf (normally /etc/resolv.conf); at most c->max_in_flight
 * queries are out at once, the rest wait in order. */
int resolver_new(sd_event *event, const Config *c, const char *resolv_conf, Resolver **ret);
/* Drops every query in flight or queued without calling its callback. Must
 * not be called from inside a resolver callback. */
Resolver *resolver_free(Resolver *r);

int resolver_query(Resolver *r, const char *name, uint16_t type, resolver_callback_t callback, void *userdata);

typedef struct ResolverStats {
        uint64_t n_sent;
        unsigned n_in_flight;
        unsigned n_queued;
        unsigned max_in_flight_seen;
} ResolverStats;
ResolverStats resolver_stats(const Resolver *r);

static inline void resolver_freep(Resolver **r) {
        resolver_free(*r);
}
