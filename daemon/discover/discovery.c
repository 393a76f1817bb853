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
        identity_list_done(&r->found);
        free(r->addresses);
        address_infos_free(r->info, r->n_addresses);
        strv_free(r->notes);
        *r = (DiscoveryResult) {};
}

int discovery_result_note(DiscoveryResult *r, const char *note) {
        return strv_contains(r->notes, note) ? 0 : strv_extend(&r->notes, note);
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

unsigned discovery_family_bit(int family) {
        return family == AF_INET ? DISCOVERY_IPV4 : DISCOVERY_IPV6;
}

int discovery_keep_unanswered(DiscoveryResult *r, const DiscoveryResult *old) {
        for (size_t i = 0; i < old->found.n; i++) {
                const Identity *id = &old->found.items[i];
                char a[ADDRESS_STRING_MAX];
                int k;

                if (r->answered & discovery_family_bit(id->address.family))
                        continue;
                k = identity_list_add(&r->found, &id->address, id->helo, id->source);
                if (k < 0)
                        return k;
                log_warning("No whoami source answered over IPv%c: still watching %s, found earlier",
                            id->address.family == AF_INET ? '4' : '6', address_to_string(&id->address, a));
        }
        return 0;
}

/* A private or CGNAT source: receivers see the NAT's public address. */
static int note_behind_nat(const Address *a, char ***notes) {
        char s[ADDRESS_STRING_MAX], *note = NULL;

        if (strextendf(&note, "outbound %s is in a private range (%s): this host is behind NAT and "
                       "receivers see another address; set [Watch] Addresses= to the public "
                       "one or use Discover=dns", address_to_string(a, s),
                       address_scope_to_string(address_scope(a))) < 0)
                return -ENOMEM;
        if (strv_contains(*notes, note)) {
                free(note);
                return 0;
        }
        return strv_push(notes, note);
}

int discover_route(const Config *c, int family, const char *helo, const char *source,
                   IdentityList *ids, char ***notes) {
        for (size_t i = 0; i < c->n_route_probes; i++) {
                char s[ADDRESS_STRING_MAX], p[ADDRESS_STRING_MAX];
                AddressScope scope;
                Address a;
                int k;

                if (family != AF_UNSPEC && c->route_probes[i].family != family)
                        continue;
                address_to_string(&c->route_probes[i], p);
                k = discover_route_source(&c->route_probes[i], &a);
                if (k < 0) {
                        log_debug_errno(k, "No route towards %s", p);
                        continue;
                }
                scope = address_scope(&a);
                if (address_scope_is_behind_nat(scope)) {
                        k = note_behind_nat(&a, notes);
                        if (k < 0)
                                return k;
                        continue;
                }
                if (scope == ADDRESS_LOOPBACK || scope == ADDRESS_LINK_LOCAL || scope == ADDRESS_UNSPECIFIED ||
                    scope == ADDRESS_MULTICAST) {
                        log_debug("Route towards %s uses %s (%s), not an outbound address", p,
                                  address_to_string(&a, s), address_scope_to_string(scope));
                        continue;
                }
                k = identity_list_add(ids, &a, helo, source);
                if (k < 0)
                        return k;
        }
        return 0;
}

/* Identities of r->found from [0, from) without a HELO name get HeloName=. */
static int default_helo(DiscoveryResult *r, size_t from, const char *helo) {
        for (size_t i = from; helo && i < r->found.n; i++)
                if (!r->found.items[i].helo && !(r->found.items[i].helo = strdup(helo)))
                        return -ENOMEM;
        return 0;
}

static int extend_notes(DiscoveryResult *r, const DiscoveryResult *from) {
        for (char **n = from ? from->notes : NULL; n && *n; n++) {
                int k = discovery_result_note(r, *n);
                if (k < 0)
                        return k;
        }
        return 0;
}

int discovery_run(const Config *c, const DiscoveryResult *dns, const DiscoveryResult *mta, DiscoveryResult *ret) {
        DiscoveryResult r = {};
        int k;

        k = identity_list_append(&r.found, &c->addresses);
        if (k >= 0 && dns)
                k = identity_list_append(&r.found, &dns->found);
        if (k >= 0 && (c->discover & DISCOVER_ROUTE))
                k = discover_route(c, AF_UNSPEC, NULL, "route", &r.found, &r.notes);
        if (k >= 0)
                k = default_helo(&r, 0, c->helo_name);
        if (k >= 0 && mta)
                k = identity_list_append(&r.found, &mta->found);
        if (k >= 0)
                k = extend_notes(&r, dns);
        if (k >= 0)
                k = extend_notes(&r, mta);
        if (k >= 0)
                k = identity_list_fold(&r.found, &r.addresses, &r.info, &r.n_addresses);
        if (k < 0) {
                discovery_result_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}
