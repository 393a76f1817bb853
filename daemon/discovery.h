/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "config.h"

/* What one discovery round found. */
typedef struct DiscoveryResult {
        Address *addresses;     /* to watch: static + discovered, deduplicated, sorted */
        size_t n_addresses;
        char **notes;           /* for the administrator: "behind NAT", disagreements */
} DiscoveryResult;

void discovery_result_done(DiscoveryResult *r);

/* Discover=route: the source address the kernel picks towards each probe
 * (a connected UDP socket; nothing is sent). Returns 0 with the family's
 * address, or -ENETUNREACH and the like when there is no route. */
int discover_route_source(const Address *probe, Address *ret);

/* One synchronous round: Addresses= plus Discover=route. */
int discovery_run(const Config *c, DiscoveryResult *ret);

/* Watch rtnetlink for address and route changes; calls back (debounced)
 * when the host's addresses may have changed. */
typedef struct AddressMonitor AddressMonitor;
typedef void (*address_monitor_callback_t)(void *userdata);
int address_monitor_new(sd_event *e, address_monitor_callback_t cb, void *userdata, AddressMonitor **ret);
AddressMonitor *address_monitor_free(AddressMonitor *m);
