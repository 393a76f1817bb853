/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"

/* What one discovery round found. */
typedef struct DiscoveryResult {
        Address *addresses;     /* to watch: static + discovered, deduplicated, sorted */
        size_t n_addresses;
        char **notes;           /* for the administrator: "behind NAT", disagreements */
        unsigned answered;      /* Discover=dns: DISCOVERY_IPV4/6 for each family some source answered over */
} DiscoveryResult;

#define DISCOVERY_IPV4 1u
#define DISCOVERY_IPV6 2u

void discovery_result_done(DiscoveryResult *r);

/* Discover=dns through an outage: add to r what old found for each family
 * that no whoami source answered for in r, and say so in the log. */
int discovery_keep_unanswered(DiscoveryResult *r, const DiscoveryResult *old);

/* Discover=route: the source address the kernel picks towards each probe
 * (a connected UDP socket; nothing is sent). Returns 0 with the family's
 * address, or -ENETUNREACH and the like when there is no route. */
int discover_route_source(const Address *probe, Address *ret);

/* One synchronous round: Addresses=, Discover=route, plus what the last
 * Discover=dns round found (dns, may be NULL). */
int discovery_run(const Config *c, const DiscoveryResult *dns, DiscoveryResult *ret);

/* Discover=dns: ask each whoami source over IPv4 and IPv6 (where it has a
 * server) which address it sees. Calls back once, from the event loop (never
 * from inside a resolver callback), with the addresses found and notes, e.g.
 * when sources disagree. The result's contents are the callee's to take. */
typedef struct Whoami Whoami;
typedef void (*whoami_callback_t)(DiscoveryResult *result, void *userdata);
int whoami_start(sd_event *e, const Config *c, whoami_callback_t cb, void *userdata, Whoami **ret);
Whoami *whoami_free(Whoami *w);

/* Watch rtnetlink for address and route changes; calls back (debounced)
 * when the host's addresses may have changed. */
typedef struct AddressMonitor AddressMonitor;
typedef void (*address_monitor_callback_t)(void *userdata);
int address_monitor_new(sd_event *e, address_monitor_callback_t cb, void *userdata, AddressMonitor **ret);
AddressMonitor *address_monitor_free(AddressMonitor *m);
