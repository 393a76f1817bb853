/* SPDX-License-Identifier: MIT */
#pragma once

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
unsigned discovery_family_bit(int family);

void discovery_result_done(DiscoveryResult *r);
int discovery_result_add(DiscoveryResult *r, const Address *a);
/* Sorted, each address once. */
void discovery_result_sort(DiscoveryResult *r);

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
