/* SPDX-License-Identifier: MIT */
#pragma once

#include "config.h"
#include "identity.h"

/* What one discovery round found. */
typedef struct DiscoveryResult {
        IdentityList found;     /* every (address, HELO, source) as the sources said it */
        /* discovery_run(): each address once, sorted, and what its identities say */
        Address *addresses;
        AddressInfo *info;
        size_t n_addresses;
        char **notes;           /* for the administrator: "behind NAT", relays, disagreements */
        unsigned answered;      /* Discover=dns: DISCOVERY_IPV4/6 for each family some source answered over */
} DiscoveryResult;

#define DISCOVERY_IPV4 1u
#define DISCOVERY_IPV6 2u
unsigned discovery_family_bit(int family);

void discovery_result_done(DiscoveryResult *r);
int discovery_result_note(DiscoveryResult *r, const char *note);

/* Discover=dns through an outage: add to r what old found for each family
 * that no whoami source answered for in r, and say so in the log. */
int discovery_keep_unanswered(DiscoveryResult *r, const DiscoveryResult *old);

/* Discover=route: the source address the kernel picks towards each probe
 * (a connected UDP socket; nothing is sent). Returns 0 with the family's
 * address, or -ENETUNREACH and the like when there is no route. */
int discover_route_source(const Address *probe, Address *ret);

/* Discover=route for one family (AF_UNSPEC: both) as the configuration's
 * probes find it: the public source addresses, added to ids with source and
 * helo; notes about NAT go to notes. */
int discover_route(const Config *c, int family, const char *helo, const char *source,
                   IdentityList *ids, char ***notes);

/* One synchronous round: Addresses=, Discover=route, plus what the last
 * Discover=dns round (dns) and the last MTA round (mta) found; either may be
 * NULL. Identities without a HELO name from the first three get HeloName=. */
int discovery_run(const Config *c, const DiscoveryResult *dns, const DiscoveryResult *mta, DiscoveryResult *ret);
