/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns.h>
#include <sys/epoll.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "discovery.h"
#include "resolver.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

/* Address changes come in bursts (DAD, several addresses, routes): wait
 * this long after the last event before discovering again. */
#define ADDRESS_MONITOR_DEBOUNCE_USEC (1 * USEC_PER_SEC)

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

static int add_address(DiscoveryResult *r, const Address *a) {
        Address *l = reallocarray(r->addresses, r->n_addresses + 1, sizeof(Address));

        if (!l)
                return -ENOMEM;
        l[r->n_addresses++] = *a;
        r->addresses = l;
        return 0;
}

/* Sorted, each address once: one sort instead of a scan per address added. */
static void sort_unique(DiscoveryResult *r) {
        size_t k = 0;

        if (r->n_addresses < 2)
                return;
        qsort(r->addresses, r->n_addresses, sizeof(Address), address_compare_qsort);
        for (size_t i = 1; i < r->n_addresses; i++)
                if (!address_equal(&r->addresses[i], &r->addresses[k]))
                        r->addresses[++k] = r->addresses[i];
        r->n_addresses = k + 1;
}

static unsigned family_bit(int family) {
        return family == AF_INET ? DISCOVERY_IPV4 : DISCOVERY_IPV6;
}

int discovery_keep_unanswered(DiscoveryResult *r, const DiscoveryResult *old) {
        bool kept = false;
        int k;

        for (size_t i = 0; i < old->n_addresses; i++) {
                char a[ADDRESS_STRING_MAX];

                if (r->answered & family_bit(old->addresses[i].family))
                        continue;
                k = add_address(r, &old->addresses[i]);
                if (k < 0)
                        return k;
                log_warning("No whoami source answered over IPv%c: still watching %s, found earlier",
                            old->addresses[i].family == AF_INET ? '4' : '6',
                            address_to_string(&old->addresses[i], a));
                kept = true;
        }
        if (kept)
                sort_unique(r);
        return 0;
}

int discovery_run(const Config *c, const DiscoveryResult *dns, DiscoveryResult *ret) {
        DiscoveryResult r = {};
        int k;

        for (size_t i = 0; i < c->n_addresses; i++) {
                k = add_address(&r, &c->addresses[i]);
                if (k < 0)
                        goto fail;
        }
        for (size_t i = 0; dns && i < dns->n_addresses; i++) {
                k = add_address(&r, &dns->addresses[i]);
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
                        log_debug("No route towards %s: %s", p, strerror(-k));
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
                k = add_address(&r, &a);
                if (k < 0)
                        goto fail;
        }

        sort_unique(&r);
        *ret = r;
        return 0;

fail:
        discovery_result_done(&r);
        return k;
}

struct AddressMonitor {
        sd_event_source *io;
        sd_event_source *debounce;
        address_monitor_callback_t callback;
        void *userdata;
        int fd;
};

static int on_debounce(sd_event_source *s, uint64_t usec, void *userdata) {
        AddressMonitor *m = userdata;

        m->callback(m->userdata);
        return 0;
}

static int on_netlink(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        AddressMonitor *m = userdata;
        uint8_t buf[8192];
        bool relevant = false;

        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        if (errno == ENOBUFS) {         /* overrun: something changed */
                                relevant = true;
                                continue;
                        }
                        log_warning("Failed to read rtnetlink: %m, ignoring");
                        break;
                }
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) n); h = NLMSG_NEXT(h, n))
                        if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR ||
                            h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE)
                                relevant = true;
        }
        if (relevant) {
                uint64_t when;
                if (sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &when) < 0)
                        when = now(CLOCK_MONOTONIC);
                (void) sd_event_source_set_time(m->debounce, when + ADDRESS_MONITOR_DEBOUNCE_USEC);
                (void) sd_event_source_set_enabled(m->debounce, SD_EVENT_ONESHOT);
        }
        return 0;
}

int address_monitor_new(sd_event *e, address_monitor_callback_t cb, void *userdata, AddressMonitor **ret) {
        struct sockaddr_nl sa = {
                .nl_family = AF_NETLINK,
                .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE,
        };
        AddressMonitor *m;
        int r;

        m = calloc(1, sizeof(AddressMonitor));
        if (!m)
                return -ENOMEM;
        m->callback = cb;
        m->userdata = userdata;
        m->fd = -1;
        m->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
        if (m->fd < 0 || bind(m->fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(e, &m->io, m->fd, EPOLLIN, on_netlink, m);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(m->io, "rtnetlink");
        r = sd_event_add_time(e, &m->debounce, CLOCK_MONOTONIC, UINT64_MAX, USEC_PER_MSEC, on_debounce, m);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(m->debounce, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->debounce, "rediscover-debounce");
        *ret = m;
        return 0;

fail:
        address_monitor_free(m);
        return r;
}

AddressMonitor *address_monitor_free(AddressMonitor *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->io);
        sd_event_source_disable_unref(m->debounce);
        if (m->fd >= 0)
                close(m->fd);
        free(m);
        return NULL;
}

/* ---- Discover=dns ---- */

typedef struct WhoamiQuery {
        Whoami *whoami;
        const WhoamiSource *source;
        int family;                     /* of the server asked */
        Resolver *resolver;
        Address *found;
        size_t n_found;
        bool answered;
} WhoamiQuery;

struct Whoami {
        WhoamiQuery *queries;
        size_t n_queries;
        size_t n_pending;
        sd_event_source *done;
        whoami_callback_t callback;
        void *userdata;
};

static void on_whoami_reply(Resolver *r, DnsReply *reply, void *userdata) {
        WhoamiQuery *q = userdata;
        Whoami *w = q->whoami;

        if (reply->status == DNS_ANSWER || dns_status_is_negative(reply->status)) {
                /* NODATA and NXDOMAIN are answers too: that source sees nothing. */
                q->answered = true;
        }
        if (reply->status == DNS_ANSWER) {
                if (q->source->style == WHOAMI_ADDRESS) {
                        q->found = TAKE_PTR(reply->addresses);
                        q->n_found = reply->n_addresses;
                        reply->n_addresses = 0;
                } else
                        /* TXT styles: each string that parses as an address
                         * (Google adds an "edns0-client-subnet ..." string). */
                        for (char **t = reply->names; t && *t; t++) {
                                Address a;
                                if (address_parse(*t, &a, NULL) < 0)
                                        continue;
                                Address *l = reallocarray(q->found, q->n_found + 1, sizeof(Address));
                                if (!l)
                                        break;
                                l[q->n_found++] = a;
                                q->found = l;
                        }
        } else
                log_info("Whoami source %s (IPv%c) gave no answer: %s", q->source->label,
                         q->family == AF_INET ? '4' : '6', dns_status_to_string(reply->status));

        /* The resolvers must not be freed from inside their own callback. */
        if (--w->n_pending == 0)
                (void) sd_event_source_set_enabled(w->done, SD_EVENT_ONESHOT);
}

static int on_whoami_done(sd_event_source *s, void *userdata) {
        Whoami *w = userdata;
        DiscoveryResult result = {};

        for (size_t i = 0; i < w->n_queries; i++) {
                WhoamiQuery *q = &w->queries[i];
                if (q->answered)
                        result.answered |= family_bit(q->family);
                for (size_t k = 0; k < q->n_found; k++) {
                        char a[ADDRESS_STRING_MAX];
                        AddressScope scope = address_scope(&q->found[k]);
                        if (scope == ADDRESS_LOOPBACK || scope == ADDRESS_UNSPECIFIED || scope == ADDRESS_MULTICAST ||
                            scope == ADDRESS_LINK_LOCAL || address_scope_is_behind_nat(scope)) {
                                log_warning("Whoami source %s answered %s, not a public address, ignoring",
                                            q->source->label, address_to_string(&q->found[k], a));
                                continue;
                        }
                        (void) add_address(&result, &q->found[k]);
                }
                /* Two sources that answered for the same family and disagree: say so. */
                for (size_t j = 0; j < i; j++) {
                        WhoamiQuery *p = &w->queries[j];
                        if (p->family != q->family || !p->n_found || !q->n_found ||
                            address_equal(&p->found[0], &q->found[0]))
                                continue;
                        char pa[ADDRESS_STRING_MAX], qa[ADDRESS_STRING_MAX], *note = NULL;
                        if (strextendf(&note, "whoami sources disagree: %s sees %s, %s sees %s; the host may "
                                       "leave through several addresses (watching both)",
                                       p->source->label, address_to_string(&p->found[0], pa),
                                       q->source->label, address_to_string(&q->found[0], qa)) >= 0)
                                (void) strv_push(&result.notes, note);
                }
        }
        sort_unique(&result);
        w->callback(&result, w->userdata);
        discovery_result_done(&result);
        return 0;
}

int whoami_start(sd_event *e, const Config *c, whoami_callback_t cb, void *userdata, Whoami **ret) {
        Whoami *w;
        int r;

        w = calloc(1, sizeof(Whoami));
        if (!w)
                return -ENOMEM;
        w->callback = cb;
        w->userdata = userdata;
        w->queries = calloc(2 * c->n_whoami + 1, sizeof(WhoamiQuery));
        if (!w->queries) {
                free(w);
                return -ENOMEM;
        }
        r = sd_event_add_defer(e, &w->done, on_whoami_done, w);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(w->done, SD_EVENT_OFF);
        (void) sd_event_source_set_description(w->done, "whoami-done");

        for (size_t i = 0; i < c->n_whoami; i++) {
                const WhoamiSource *src = &c->whoami[i];
                const Upstream *servers[] = { &src->server4, &src->server6 };

                for (size_t f = 0; f < 2; f++) {
                        WhoamiQuery *q = &w->queries[w->n_queries];
                        ResolverOptions o = {
                                .servers = servers[f], .n_servers = 1,
                                .timeout = c->timeout, .max_in_flight = 1,
                        };
                        uint16_t type, klass = src->style == WHOAMI_TXT_CHAOS ? GETDNS_RRCLASS_CH : GETDNS_RRCLASS_IN;

                        if (servers[f]->address.family == 0)
                                continue;
                        *q = (WhoamiQuery) { .whoami = w, .source = src, .family = servers[f]->address.family };
                        type = src->style != WHOAMI_ADDRESS ? GETDNS_RRTYPE_TXT
                                : q->family == AF_INET ? GETDNS_RRTYPE_A : GETDNS_RRTYPE_AAAA;
                        r = resolver_new(e, &o, &q->resolver);
                        if (r < 0)
                                goto fail;
                        w->n_queries++;
                        r = resolver_query_class(q->resolver, src->name, type, klass, on_whoami_reply, q);
                        if (r < 0)
                                goto fail;
                        w->n_pending++;
                }
        }
        if (w->n_pending == 0)
                (void) sd_event_source_set_enabled(w->done, SD_EVENT_ONESHOT);
        *ret = w;
        return 0;

fail:
        whoami_free(w);
        return r;
}

Whoami *whoami_free(Whoami *w) {
        if (!w)
                return NULL;
        for (size_t i = 0; i < w->n_queries; i++) {
                resolver_free(w->queries[i].resolver);
                free(w->queries[i].found);
        }
        free(w->queries);
        sd_event_source_disable_unref(w->done);
        free(w);
        return NULL;
}
