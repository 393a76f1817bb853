/* SPDX-License-Identifier: MIT */
#pragma once

#include "discovery.h"

/* The MTA backends' findings and the helpers they share with their
 * dispatcher (mta.h), beneath both. */

/* How long one postconf or exim run may take before it is killed. */
#define MTA_COMMAND_TIMEOUT (10 * USEC_PER_SEC)

typedef struct MtaFound {
        IdentityList ids;
        char **notes;
        char **relays;          /* "SOURCE PROTOCOLS NEXTHOP", e.g. "postfix:relayhost ipv4 [smtp.isp.example]:587" */
        bool failed;            /* a tool could not be run, failed or took too long */
} MtaFound;

void mta_found_done(MtaFound *f);
int mta_note(MtaFound *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A relay's next hop as Postfix writes it ("[host]:port", "host", "[addr]"):
 * the host, and whether MX records are looked up (no brackets). */
int relay_nexthop_parse(const char *nexthop, char **ret_host, bool *ret_mx);

/* Whether a is configured on an interface of this host (bind() succeeds). */
bool address_is_local(const Address *a);
