/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "discovery.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

/* Address changes come in bursts (DAD, several addresses, routes): wait
 * this long after the last event before discovering again. */

void discovery_result_done(DiscoveryResult *r) {
        free(r->addresses);
        strv_free(r->notes);
        *r = (DiscoveryResult) {};
}

int discover_route_source(const Address *probe, Address *ret) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
                struct sockaddr_storage storage;
        } sa = {}, local = {};
        socklen_t len, local_len = sizeof(local);
        int fd, r = 0;

        if (probe->family == AF_INET) {
                sa.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(53), .sin_addr = probe->in };
                len = sizeof(sa.in);
        } else {
                sa.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(53), .sin6_addr = probe->in6 };
                len = sizeof(sa.in6);
        }
        fd = socket(probe->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* connect() on UDP only picks the route and source: nothing is sent. */
        if (connect(fd, &sa.sa, len) < 0 || getsockname(fd, &local.sa, &local_len) < 0)
                r = -errno;
        close(fd);
        if (r < 0)
                return r;

        *ret = (Address) { .family = probe->family };
        if (probe->family == AF_INET)
                ret->in = local.in.sin_addr;
        else
                ret->in6 = local.in6.sin6_addr;
        return 0;
}

int discovery_result_add(DiscoveryResult *r, const Address *a) {
        Address *l = reallocarray(r->addresses, r->n_addresses + 1, sizeof(Address));

        if (!l)
                return -ENOMEM;
        l[r->n_addresses++] = *a;
        r->addresses = l;
        return 0;
}

/* Sorted, each address once: one sort instead of a scan per address added. */
void discovery_result_sort(DiscoveryResult *r) {
        addresses_sort_unique(r->addresses, &r->n_addresses);
}

unsigned discovery_family_bit(int family) {
        return family == AF_INET ? DISCOVERY_IPV4 : DISCOVERY_IPV6;
}

int discovery_keep_unanswered(DiscoveryResult *r, const DiscoveryResult *old) {
        bool kept = false;
        int k;

        for (size_t i = 0; i < old->n_addresses; i++) {
                char a[ADDRESS_STRING_MAX];

                if (r->answered & discovery_family_bit(old->addresses[i].family))
                        continue;
                k = discovery_result_add(r, &old->addresses[i]);
                if (k < 0)
                        return k;
                log_warning("No whoami source answered over IPv%c: still watching %s, found earlier",
                            old->addresses[i].family == AF_INET ? '4' : '6',
                            address_to_string(&old->addresses[i], a));
                kept = true;
        }
        if (kept)
                discovery_result_sort(r);
        return 0;
}

int discovery_run(const Config *c, const DiscoveryResult *dns, DiscoveryResult *ret) {
        DiscoveryResult r = {};
        int k;

        for (size_t i = 0; i < c->n_addresses; i++) {
                k = discovery_result_add(&r, &c->addresses[i]);
                if (k < 0)
                        goto fail;
        }
        for (size_t i = 0; dns && i < dns->n_addresses; i++) {
                k = discovery_result_add(&r, &dns->addresses[i]);
                if (k < 0)
                        goto fail;
        }
        for (char **n = dns ? dns->notes : NULL; n && *n; n++)
                if (strv_extend(&r.notes, *n) < 0) {
                        k = -ENOMEM;
                        goto fail;
                }

        for (size_t i = 0; (c->discover & DISCOVER_ROUTE) && i < c->n_route_probes; i++) {
                char s[ADDRESS_STRING_MAX], p[ADDRESS_STRING_MAX];
                Address a;
                AddressScope scope;

                address_to_string(&c->route_probes[i], p);
                k = discover_route_source(&c->route_probes[i], &a);
                if (k < 0) {
                        log_debug_errno(k, "No route towards %s", p);
                        continue;
                }
                address_to_string(&a, s);
                scope = address_scope(&a);
                if (address_scope_is_behind_nat(scope)) {
                        /* A receiver sees the NAT's public address, not this one. */
                        char *note = NULL;
                        if (strextendf(&note, "outbound %s is in a private range (%s): this host is behind NAT and "
                                       "receivers see another address; set [Watch] Addresses= to the public "
                                       "one or use Discover=dns", s, address_scope_to_string(scope)) < 0 ||
                            strv_push(&r.notes, note) < 0) {
                                k = -ENOMEM;
                                goto fail;
                        }
                        continue;
                }
                if (scope == ADDRESS_LOOPBACK || scope == ADDRESS_LINK_LOCAL || scope == ADDRESS_UNSPECIFIED ||
                    scope == ADDRESS_MULTICAST) {
                        log_debug("Route towards %s uses %s (%s), not an outbound address", p, s,
                                  address_scope_to_string(scope));
                        continue;
                }
                k = discovery_result_add(&r, &a);
                if (k < 0)
                        goto fail;
        }

        discovery_result_sort(&r);
        *ret = r;
        return 0;

fail:
        discovery_result_done(&r);
        return k;
}
