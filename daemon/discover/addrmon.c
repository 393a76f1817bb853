/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addrmon.h"
#include "log.h"
#include "macro.h"
#include "timeutil.h"

/* Address and route changes come in bursts: act once they have settled. */
#define ADDRESS_MONITOR_DEBOUNCE_USEC (1 * USEC_PER_SEC)

struct AddressMonitor {
        sd_event_source *io;
        sd_event_source *debounce;
        address_monitor_callback_t callback;
        void *userdata;
        int fd;
};

static int on_debounce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        AddressMonitor *m = userdata;

        m->callback(m->userdata);
        return 0;
}

static int on_netlink_message(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
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
        r = sd_event_add_io(e, &m->io, m->fd, EPOLLIN, on_netlink_message, m);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(m->io, "rtnetlink");
        r = sd_event_add_time(e, &m->debounce, CLOCK_MONOTONIC, UINT64_MAX, USEC_PER_MSEC, on_debounce_timer, m);
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
