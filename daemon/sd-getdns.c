/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getdns/getdns_extra.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "log.h"
#include "macro.h"
#include "sd-getdns.h"
#include "timeutil.h"

/* Timer accuracy: sd-event's default of 250 ms would smear every DNS timeout. */
#define GETDNS_TIMER_ACCURACY_USEC (1 * USEC_PER_MSEC)

typedef struct Loop {
        getdns_eventloop base;          /* first: getdns hands &base back to us */
        sd_event *event;
        unsigned n_scheduled;
} Loop;

/* Our record behind getdns_eventloop_event.ev. Reference-counted, because
 * getdns clears (and may reschedule) the event from inside its own callback
 * while we are still dispatching it. */
typedef struct Event {
        Loop *loop;
        getdns_eventloop_event *ev;     /* NULL once cleared */
        sd_event_source *io;
        sd_event_source *timer;
        unsigned n_ref;
} Event;

static Event *event_unref(Event *e) {
        if (e && --e->n_ref == 0) {
                sd_event_source_disable_unref(e->io);
                sd_event_source_disable_unref(e->timer);
                free(e);
        }
        return NULL;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Event *e = userdata;
        getdns_eventloop_event *ev = e->ev;

        if (!ev)
                return 0;
        e->n_ref++;
        /* Write first, as getdns' own loops do; the write callback may clear
         * the event, after which ev must not be touched again. */
        if ((revents & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && ev->write_cb)
                ev->write_cb(ev->userarg);
        if (e->ev && (revents & (EPOLLIN | EPOLLERR | EPOLLHUP)) && e->ev->read_cb)
                e->ev->read_cb(e->ev->userarg);
        event_unref(e);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Event *e = userdata;

        if (!e->ev || !e->ev->timeout_cb)
                return 0;
        e->n_ref++;
        e->ev->timeout_cb(e->ev->userarg);
        event_unref(e);
        return 0;
}

static getdns_return_t loop_clear(getdns_eventloop *base, getdns_eventloop_event *ev) {
        Loop *loop = (Loop *) base;
        Event *e;

        if (!ev || !(e = ev->ev))
                return GETDNS_RETURN_GOOD;      /* idempotent */
        ev->ev = NULL;
        e->ev = NULL;
        e->io = sd_event_source_disable_unref(e->io);
        e->timer = sd_event_source_disable_unref(e->timer);
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
        *e = (Event) { .loop = loop, .ev = ev, .n_ref = 1 };

        if (fd >= 0 && (ev->read_cb || ev->write_cb)) {
                uint32_t events = (ev->read_cb ? EPOLLIN : 0) | (ev->write_cb ? EPOLLOUT : 0);
                r = sd_event_add_io(loop->event, &e->io, fd, events, on_io, e);
                if (r < 0)
                        goto fail;
                (void) sd_event_source_set_description(e->io, "getdns-io");
        }
        /* UINT64_MAX means "no timer", even when a stale timeout_cb is set. */
        if (ev->timeout_cb && timeout_ms != UINT64_MAX) {
                uint64_t usec = timeout_ms > UINT64_MAX / USEC_PER_MSEC / 2 ? UINT64_MAX / 2
                                                                             : timeout_ms * USEC_PER_MSEC;
                r = sd_event_add_time_relative(loop->event, &e->timer, CLOCK_MONOTONIC, usec,
                                               GETDNS_TIMER_ACCURACY_USEC, on_timer, e);
                if (r < 0)
                        goto fail;
                (void) sd_event_source_set_description(e->timer, "getdns-timer");
        }
        ev->ev = e;
        loop->n_scheduled++;
        return GETDNS_RETURN_GOOD;

fail:
        /* getdns ignores this return value: the query would hang silently. */
        log_error("Failed to schedule a getdns event (fd %d): %s", fd, strerror(-r));
        if (e) {
                e->ev = NULL;
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

static void loop_cleanup(getdns_eventloop *base) {
        Loop *loop = (Loop *) base;

        if (loop->n_scheduled > 0)
                log_debug("getdns event loop torn down with %u events still scheduled", loop->n_scheduled);
        sd_event_unref(loop->event);
        free(loop);
}

static getdns_eventloop_vmt loop_vmt = {
        .cleanup = loop_cleanup,
        .schedule = loop_schedule,
        .clear = loop_clear,
        .run = loop_run,
        .run_once = loop_run_once,
};

int sd_getdns_attach(getdns_context *context, sd_event *event) {
        Loop *loop;

        loop = calloc(1, sizeof(Loop));
        if (!loop)
                return -ENOMEM;
        loop->base.vmt = &loop_vmt;
        loop->event = sd_event_ref(event);
        if (getdns_context_set_eventloop(context, &loop->base) != GETDNS_RETURN_GOOD) {
                sd_event_unref(loop->event);
                free(loop);
                return -EINVAL;
        }
        return 0;
}
