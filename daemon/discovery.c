/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/epoll.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
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

static int add_unique(DiscoveryResult *r, const Address *a) {
        for (size_t i = 0; i < r->n_addresses; i++)
                if (address_equal(&r->addresses[i], a))
                        return 0;
        Address *l = reallocarray(r->addresses, r->n_addresses + 1, sizeof(Address));
        if (!l)
                return -ENOMEM;
        l[r->n_addresses++] = *a;
        r->addresses = l;
        return 0;
}

static int compare_addresses(const void *a, const void *b) {
        return address_compare(a, b);
}

int discovery_run(const Config *c, DiscoveryResult *ret) {
        DiscoveryResult r = {};
        int k;

        for (size_t i = 0; i < c->n_addresses; i++) {
                k = add_unique(&r, &c->addresses[i]);
                if (k < 0)
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
                        if (strextendf(&note, "outbound %s is a %s address: this host is behind NAT and "
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
                k = add_unique(&r, &a);
                if (k < 0)
                        goto fail;
        }

        if (r.n_addresses > 1)
                qsort(r.addresses, r.n_addresses, sizeof(Address), compare_addresses);
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
