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

typedef struct ResolverOptions {
        const Upstream *servers;        /* none: from resolv_conf */
        size_t n_servers;
        const char *resolv_conf;        /* NULL: /etc/resolv.conf */
        usec_t timeout;
        unsigned max_in_flight;
} ResolverOptions;

/* The window of queries in flight starts here and grows by one per answer
 * up to max_in_flight; a timeout halves it, down to RESOLVER_WINDOW_MIN. */
#define RESOLVER_WINDOW_START 64u
/* ... and never shrinks below this: a dead resolver answers nothing however
 * little is asked, and a refresh must still end. */
#define RESOLVER_WINDOW_MIN 64u
/* The EDNS0 UDP buffer we advertise. */
#define RESOLVER_EDNS_BUFFER 1232

/* A getdns stub resolver on the event loop: at most the window's worth of
 * queries (never more than max_in_flight) are out at once, the rest wait in
 * order. */
int resolver_new(sd_event *event, const ResolverOptions *o, Resolver **ret);
/* The [Resolver] settings of c. */
ResolverOptions resolver_options_from_config(const Config *c, const char *resolv_conf);
/* Drops every query in flight or queued without calling its callback. Must
 * not be called from inside a resolver callback. */
Resolver *resolver_free(Resolver *r);

sd_event *resolver_event(const Resolver *r);

int resolver_query(Resolver *r, const char *name, uint16_t type, resolver_callback_t callback, void *userdata);
/* Ahead of everything queued: a lookup that finishes work already begun
 * (a check's forward lookups), so that checks end early and hold little. */
int resolver_query_first(Resolver *r, const char *name, uint16_t type, resolver_callback_t callback, void *userdata);
/* The same in another class than IN (CH for Cloudflare's whoami). */
int resolver_query_class(Resolver *r, const char *name, uint16_t type, uint16_t klass,
                         resolver_callback_t callback, void *userdata);

typedef struct ResolverStats {
        uint64_t n_sent;                /* questions sent, retransmissions included */
        uint64_t n_retransmitted;
        unsigned n_in_flight;
        unsigned n_queued;
        unsigned max_in_flight_seen;
        unsigned window;
} ResolverStats;
ResolverStats resolver_stats(const Resolver *r);

static inline void resolver_freep(Resolver **r) {
        resolver_free(*r);
}
