/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns_extra.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "prioq.h"
#include "sd-getdns.h"
#include "timeutil.h"

/* getdns opens a socket per query. As sd-event sources, N ready sockets cost
 * O(N^2): sd-event dispatches one source per iteration, and every iteration's
 * epoll_wait() reports all the ready ones again. So getdns' sockets live in an
 * epoll instance of our own, which sd-event watches as one source, and each
 * wakeup dispatches every ready getdns event; getdns' timeouts sit in our own
 * priority queue behind one sd-event timer. */

#define EPOLL_BATCH 256
/* Timer accuracy: sd-event's default of 250 ms would smear every DNS timeout. */
#define GETDNS_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)

typedef struct Loop {
        getdns_eventloop base;          /* first: getdns hands &base back to us */
        sd_event *event;
        int epoll_fd;
        sd_event_source *io;            /* on epoll_fd */
        sd_event_source *timer;         /* armed for the earliest deadline */
        Prioq deadlines;
        unsigned n_scheduled;
        Upstream *peers;                /* the only sources a UDP reply may come from */
        size_t n_peers;
        uint64_t n_dropped;             /* datagrams from anyone else */
} Loop;

/* Our record behind getdns_eventloop_event.ev. Reference-counted, because
 * getdns clears (and may reschedule) events from inside callbacks while a
 * batch that still names them is being dispatched. */
typedef struct Event {
        Loop *loop;
        getdns_eventloop_event *ev;     /* NULL once cleared */
        int fd;                         /* in epoll_fd, or -1 */
        unsigned deadline_idx;
        unsigned n_ref;
        bool udp;                       /* a datagram socket: replies are checked for their source */
} Event;

static Event *event_unref(Event *e) {
        if (e && --e->n_ref == 0)
                free(e);
        return NULL;
}

static void loop_arm_timer(Loop *loop) {
        uint64_t when;

        if (prioq_peek(&loop->deadlines, &when)) {
                (void) sd_event_source_set_time(loop->timer, when);
                (void) sd_event_source_set_enabled(loop->timer, SD_EVENT_ONESHOT);
        } else
                (void) sd_event_source_set_enabled(loop->timer, SD_EVENT_OFF);
}

static bool from_peer(const Loop *loop, const struct sockaddr_storage *ss) {
        for (size_t i = 0; i < loop->n_peers; i++) {
                const Upstream *u = &loop->peers[i];
                if (ss->ss_family == AF_INET && u->address.family == AF_INET) {
                        const struct sockaddr_in *in = (const struct sockaddr_in *) ss;
                        if (ntohs(in->sin_port) == u->port && memcmp(&in->sin_addr, u->address.bytes, 4) == 0)
                                return true;
                } else if (ss->ss_family == AF_INET6 && u->address.family == AF_INET6) {
                        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) ss;
                        if (ntohs(in6->sin6_port) == u->port && memcmp(&in6->sin6_addr, u->address.bytes, 16) == 0)
                                return true;
                }
        }
        return false;
}

/* getdns 1.6 takes a UDP reply from any source whose ID matches: a forger
 * who guesses 16 bits needs no route to the resolver. Before getdns reads,
 * look at who sent the next datagram and drop it unless it came from a
 * configured server (address and port). True: a datagram from a peer waits. */
static bool next_datagram_from_peer(Loop *loop, int fd) {
        for (unsigned i = 0; i < 64; i++) {
                struct sockaddr_storage ss;
                socklen_t len = sizeof ss;
                char byte;

                if (recvfrom(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *) &ss, &len) < 0)
                        return errno != EAGAIN && errno != EWOULDBLOCK;  /* an error: getdns' to see */
                if (from_peer(loop, &ss))
                        return true;
                (void) recv(fd, &byte, 1, MSG_DONTWAIT | MSG_TRUNC);
                loop->n_dropped++;
                log_debug("Dropped a DNS reply from a source that is no configured server");
        }
        return false;   /* a flood: the rest next time round */
}

static int on_getdns_epoll(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Loop *loop = userdata;
        struct epoll_event events[EPOLL_BATCH];
        int n;

        n = epoll_wait(loop->epoll_fd, events, EPOLL_BATCH, 0);
        if (n < 0) {
                if (errno != EINTR)
                        log_error("epoll_wait() on getdns' sockets failed: %m");
                return 0;
        }
        /* Hold every event of the batch before the first callback can clear it. */
        for (int i = 0; i < n; i++)
                ((Event *) events[i].data.ptr)->n_ref++;
        for (int i = 0; i < n; i++) {
                Event *e = events[i].data.ptr;
                getdns_eventloop_event *ev = e->ev;
                uint32_t r = events[i].events;

                if (!ev)
                        continue;       /* cleared by an earlier callback */
                /* Write first, as getdns' own loops do; the write callback may
                 * clear the event, after which ev must not be touched again. */
                if ((r & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && ev->write_cb)
                        ev->write_cb(ev->userarg);
                if (e->ev && (r & (EPOLLIN | EPOLLERR | EPOLLHUP)) && e->ev->read_cb &&
                    (!e->udp || loop->n_peers == 0 || (r & EPOLLERR) || next_datagram_from_peer(loop, e->fd)))
                        e->ev->read_cb(e->ev->userarg);
        }
        for (int i = 0; i < n; i++)
                event_unref(events[i].data.ptr);
        loop_arm_timer(loop);
        return 0;
}

static int on_getdns_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Loop *loop = userdata;
        uint64_t when, t = now(CLOCK_MONOTONIC);
        Event *e;

        while ((e = prioq_peek(&loop->deadlines, &when)) && when <= t) {
                prioq_remove(&loop->deadlines, &e->deadline_idx);
                e->n_ref++;
                if (e->ev && e->ev->timeout_cb)
                        e->ev->timeout_cb(e->ev->userarg);
                event_unref(e);
        }
        loop_arm_timer(loop);
        return 0;
}

static getdns_return_t loop_clear(getdns_eventloop *base, getdns_eventloop_event *ev) {
        Loop *loop = (Loop *) base;
        Event *e;

        if (!ev || !(e = ev->ev))
                return GETDNS_RETURN_GOOD;      /* idempotent */
        ev->ev = NULL;
        e->ev = NULL;
        if (e->fd >= 0 && epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, e->fd, NULL) < 0 && errno != EBADF)
                log_debug("Failed to stop watching getdns fd %d: %m", e->fd);
        e->fd = -1;
        prioq_remove(&loop->deadlines, &e->deadline_idx);
        loop->n_scheduled--;
        event_unref(e);
        return GETDNS_RETURN_GOOD;
}

static getdns_return_t loop_schedule(getdns_eventloop *base, int fd, uint64_t timeout_ms,
                                     getdns_eventloop_event *ev) {
        Loop *loop = (Loop *) base;
        Event *e;
        int r;

        if (!ev)
                return GETDNS_RETURN_INVALID_PARAMETER;
        if (ev->ev)
                loop_clear(base, ev);

        e = calloc(1, sizeof(Event));
        if (!e) {
                r = -ENOMEM;
                goto fail;
        }
        *e = (Event) { .loop = loop, .ev = ev, .fd = -1, .deadline_idx = PRIOQ_IDX_NULL, .n_ref = 1 };

        if (fd >= 0 && (ev->read_cb || ev->write_cb)) {
                struct epoll_event ee = {
                        .events = (ev->read_cb ? EPOLLIN : 0) | (ev->write_cb ? EPOLLOUT : 0),
                        .data.ptr = e,
                };
                if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ee) < 0) {
                        r = -errno;
                        goto fail;
                }
                e->fd = fd;
                int type = 0;
                socklen_t len = sizeof type;
                e->udp = ev->read_cb && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) >= 0 && type == SOCK_DGRAM;
        }
        /* UINT64_MAX means "no timer", even when a stale timeout_cb is set. */
        if (ev->timeout_cb && timeout_ms != UINT64_MAX) {
                uint64_t usec = timeout_ms > UINT64_MAX / USEC_PER_MSEC / 2 ? UINT64_MAX / 2
                                                                             : timeout_ms * USEC_PER_MSEC;
                r = prioq_put(&loop->deadlines, e, now(CLOCK_MONOTONIC) + usec, &e->deadline_idx);
                if (r < 0)
                        goto fail;
                loop_arm_timer(loop);
        }
        ev->ev = e;
        loop->n_scheduled++;
        return GETDNS_RETURN_GOOD;

fail:
        /* getdns ignores this return value: the query would hang silently. */
        log_error_errno(r, "Failed to schedule a getdns event (fd %d)", fd);
        if (e) {
                if (e->fd >= 0)
                        (void) epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, e->fd, NULL);
                event_unref(e);
        }
        return GETDNS_RETURN_GENERIC_ERROR;
}

static void loop_run_once(getdns_eventloop *base, int blocking) {
        Loop *loop = (Loop *) base;

        (void) sd_event_run(loop->event, blocking ? UINT64_MAX : 0);
}

static void loop_run(getdns_eventloop *base) {
        Loop *loop = (Loop *) base;

        while (loop->n_scheduled > 0)
                if (sd_event_run(loop->event, UINT64_MAX) < 0)
                        break;
}

static void loop_free(Loop *loop) {
        sd_event_source_disable_unref(loop->io);
        sd_event_source_disable_unref(loop->timer);
        if (loop->epoll_fd >= 0)
                close(loop->epoll_fd);
        prioq_done(&loop->deadlines);
        sd_event_unref(loop->event);
        free(loop->peers);
        free(loop);
}

static void loop_cleanup(getdns_eventloop *base) {
        Loop *loop = (Loop *) base;

        if (loop->n_scheduled > 0)
                log_debug("getdns event loop torn down with %u events still scheduled", loop->n_scheduled);
        loop_free(loop);
}

static getdns_eventloop_vmt loop_vmt = {
        .cleanup = loop_cleanup,
        .schedule = loop_schedule,
        .clear = loop_clear,
        .run = loop_run,
        .run_once = loop_run_once,
};

int sd_getdns_set_peers(getdns_context *context, const Upstream *peers, size_t n) {
        getdns_eventloop *base = NULL;
        Loop *loop;
        Upstream *copy = NULL;

        if (getdns_context_get_eventloop(context, &base) != GETDNS_RETURN_GOOD || !base || base->vmt != &loop_vmt)
                return -EINVAL;
        loop = (Loop *) base;
        if (n > 0 && !(copy = memdup(peers, n * sizeof(Upstream))))
                return -ENOMEM;
        free(loop->peers);
        loop->peers = copy;
        loop->n_peers = n;
        return 0;
}

uint64_t sd_getdns_dropped(getdns_context *context) {
        getdns_eventloop *base = NULL;

        if (getdns_context_get_eventloop(context, &base) != GETDNS_RETURN_GOOD || !base || base->vmt != &loop_vmt)
                return 0;
        return ((Loop *) base)->n_dropped;
}

int sd_getdns_attach(getdns_context *context, sd_event *event) {
        Loop *loop;
        int r;

        loop = calloc(1, sizeof(Loop));
        if (!loop)
                return -ENOMEM;
        loop->base.vmt = &loop_vmt;
        loop->event = sd_event_ref(event);
        loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (loop->epoll_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(event, &loop->io, loop->epoll_fd, EPOLLIN, on_getdns_epoll, loop);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(loop->io, "getdns-io");
        r = sd_event_add_time(event, &loop->timer, CLOCK_MONOTONIC, UINT64_MAX, GETDNS_TIMER_ACCURACY_USEC,
                              on_getdns_timer, loop);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(loop->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(loop->timer, "getdns-timer");

        if (getdns_context_set_eventloop(context, &loop->base) != GETDNS_RETURN_GOOD) {
                r = -EINVAL;
                goto fail;
        }
        return 0;

fail:
        loop_free(loop);
        return r;
}
