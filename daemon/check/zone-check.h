/* SPDX-License-Identifier: MIT */
#pragma once

#include "dnsreply.h"
#include "resolver.h"

/* Resolver or zone? A fail is asked again of the reverse zone's own name
 * server, directly: when it already answers differently, the admin fixed
 * the zone and the resolver still serves its cached old answer. */

typedef struct ZoneCheck ZoneCheck;

/* differs: 1 the zone's server answers otherwise, 0 the same, -1 it could
 * not be asked (then server is NULL). Called from the event loop, never
 * from inside zone_check_start(); the callee may free z. */
typedef void (*zone_check_callback_t)(ZoneCheck *z, int differs, const char *server, void *userdata);

/* ns: a name server of the zone (its address is asked of r); qname and
 * type: the question; seen: what r answered. */
int zone_check_start(Resolver *r, const char *ns, const char *qname, uint16_t type, const DnsReply *seen,
                     zone_check_callback_t callback, void *userdata, ZoneCheck **ret);
ZoneCheck *zone_check_free(ZoneCheck *z);
