/* SPDX-License-Identifier: MIT */
/* Which addresses are watched (Addresses=, Discover=), and Refresh: discover
 * again, then check every watched address again. */
#include <errno.h>
#include <stdlib.h>

#include "bounds.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "strv.h"

typedef struct Refresh Refresh;
struct Refresh {
        Manager *manager;
        Refresh *prev, *next;           /* in manager->refreshes */
        refresh_callback_t callback;
        void *userdata;
        size_t n_pending;
        sd_event_source *done;          /* defers the callback when nothing is pending */
};

static bool same_addresses(const Address *a, size_t na, const Address *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!address_equal(&a[i], &b[i]))
                        return false;
        return true;
}

static int manager_apply_discovery(Manager *m, DiscoveryResult *d) {
        bool changed;
        int r;

        if (d->n_addresses > WATCHED_MAX) {
                log_warning("%zu addresses to watch, more than %d: watching the first %d",
                            d->n_addresses, WATCHED_MAX, WATCHED_MAX);
                d->n_addresses = WATCHED_MAX;
        }
        for (char **n = d->notes; n && *n; n++)
                if (!strv_contains(m->notes, *n))
                        log_warning("%s", *n);

        /* Unwatch first what is gone, then watch what is new. */
        for (size_t i = 0; i < m->n_watched; i++) {
                /* discovery results are sorted */
                bool keep = d->n_addresses > 0 &&
                            bsearch(&m->watched[i], d->addresses, d->n_addresses, sizeof(Address),
                                    address_compare_qsort);
                Entry *e = manager_get_entry(m, &m->watched[i]);
                if (!keep && e) {
                        char s[ADDRESS_STRING_MAX];
                        log_info("No longer watching %s", address_to_string(&e->address, s));
                        entry_set_watched(e, false);
                }
        }
        for (size_t k = 0; k < d->n_addresses; k++) {
                Entry *e = manager_get_entry(m, &d->addresses[k]);
                if (!e) {
                        r = entry_new(m, &d->addresses[k], &e);
                        if (r < 0)
                                return r;
                }
                entry_set_watched(e, true);
                if (!manager_entry_is_fresh(m, e) || e->due <= now(CLOCK_MONOTONIC))
                        (void) entry_start_check(e, true);
        }

        changed = !same_addresses(m->watched, m->n_watched, d->addresses, d->n_addresses);
        free(m->watched);
        m->watched = TAKE_PTR(d->addresses);
        m->n_watched = d->n_addresses;
        strv_free(m->notes);
        m->notes = TAKE_PTR(d->notes);
        if (changed) {
                char *list = NULL;
                manager_mark_dirty(m, DIRTY_STATE | DIRTY_EXPORT);
                /* name them when they fit on a line; count them otherwise */
                for (size_t i = 0; i < m->n_watched && m->n_watched <= WATCHED_LISTED_MAX; i++) {
                        char s[ADDRESS_STRING_MAX];
                        (void) strextendf(&list, "%s%s", i ? " " : "", address_to_string(&m->watched[i], s));
                }
                log_info("Watching %zu address%s%s%s", m->n_watched, m->n_watched == 1 ? "" : "es",
                         list ? ": " : "", list ? list : "");
                free(list);
                if (m->hooks.properties_changed)
                        m->hooks.properties_changed(m, "Addresses");
        }
        manager_set_summary(m);
        manager_arm_timer(m);
        manager_trim(m);
        return 0;
}

/* Addresses=, Discover=route and the last Discover=dns answers, applied now. */
static int manager_discover_now(Manager *m) {
        DiscoveryResult d = {};
        int r;

        r = discovery_run(&m->config, &m->dns_found, &d);
        if (r < 0)
                return r;
        r = manager_apply_discovery(m, &d);
        discovery_result_done(&d);
        return r;
}


/* Call back everyone waiting for a discovery round (the list is taken
 * first: callbacks may ask for another round). */
static void discover_waiters_run(Manager *m) {
        DiscoverWaiter *w = TAKE_PTR(m->discover_waiters);

        while (w) {
                DiscoverWaiter *next = w->next;
                w->callback(m, w->userdata);
                free(w);
                w = next;
        }
}

static void on_whoami_done(DiscoveryResult *result, void *userdata) {
        Manager *m = userdata;
        int r;

        /* An outage is no answer: what the last round found for a family that
         * no source answered for stays watched (served stale, if need be). */
        r = discovery_keep_unanswered(result, &m->dns_found);
        if (r < 0)
                log_error_errno(r, "Failed to keep the last whoami answers");
        discovery_result_done(&m->dns_found);
        m->dns_found = *result;
        *result = (DiscoveryResult) {};
        m->whoami = whoami_free(m->whoami);     /* we are in its defer source, not a resolver callback */
        r = manager_discover_now(m);
        if (r < 0)
                log_error_errno(r, "Failed to apply the discovered addresses");
        discover_waiters_run(m);
}

/* Discover now; with Discover=dns, also ask the whoami sources, and call
 * back (if cb) once their answers are in. Without it, call back at once. */
int manager_discover(Manager *m, discover_callback_t cb, void *userdata) {
        int r;

        r = manager_discover_now(m);
        if (r < 0)
                return r;
        if (!(m->config.discover & DISCOVER_DNS)) {
                /* Waiters of a round a reload ended, if any, are served now too. */
                discover_waiters_run(m);
                if (cb)
                        cb(m, userdata);
                return 0;
        }
        if (!m->whoami) {
                r = whoami_start(m->event, &m->config, on_whoami_done, m, &m->whoami);
                if (r < 0) {
                        log_error_errno(r, "Failed to ask the whoami sources");
                        return r;       /* no waiter was queued: the caller still owns userdata */
                }
        }
        /* A round under way (perhaps just started) serves this request too. */
        if (cb) {
                DiscoverWaiter *w = malloc(sizeof(DiscoverWaiter));
                if (!w)
                        return -ENOMEM;
                *w = (DiscoverWaiter) { .callback = cb, .userdata = userdata, .next = m->discover_waiters };
                m->discover_waiters = w;
        }
        return 0;
}

void on_addresses_changed(void *userdata) {
        Manager *m = userdata;
        int r;

        log_debug("Host addresses or routes changed, discovering again");
        r = manager_discover(m, NULL, NULL);
        if (r < 0)
                log_error_errno(r, "Failed to discover outbound addresses");
}

void refresh_free(Refresh *f) {
        Manager *m = f->manager;

        if (f->prev)
                f->prev->next = f->next;
        else
                m->refreshes = f->next;
        if (f->next)
                f->next->prev = f->prev;
        sd_event_source_disable_unref(f->done);
        free(f);
}

static int on_refresh_nothing_pending(sd_event_source *s, void *userdata) {
        Refresh *f = userdata;

        if (f->callback)
                f->callback(f->manager, f->userdata);
        refresh_free(f);
        return 0;
}

static void on_refresh_entry_checked(Manager *m, const Entry *e, void *userdata) {
        Refresh *f = userdata;

        if (--f->n_pending == 0) {
                if (f->callback)
                        f->callback(m, f->userdata);
                refresh_free(f);
        }
}

static void refresh_recheck(Manager *m, void *userdata) {
        Refresh *f = userdata;
        int r;

        for (size_t i = 0; i < m->n_watched; i++) {
                Entry *e = manager_get_entry(m, &m->watched[i]);
                if (!e || entry_add_waiter(e, on_refresh_entry_checked, f) < 0)
                        continue;
                /* at most CHECKS_IN_PROGRESS_MAX at once: the others stay
                 * due, with the waiter, and start as those finish */
                if (entry_start_check(e, true) < 0) {
                        entry_pop_waiter(e);
                        continue;
                }
                f->n_pending++;
        }
        if (f->n_pending == 0) {
                r = sd_event_add_defer(m->event, &f->done, on_refresh_nothing_pending, f);
                if (r >= 0)
                        (void) sd_event_source_set_description(f->done, "refresh-nothing-pending");
                if (r < 0) {
                        log_error_errno(r, "Failed to finish a refresh");
                        refresh_free(f);
                        return;
                }
        }
        manager_arm_timer(m);
}

int manager_refresh(Manager *m, refresh_callback_t cb, void *userdata) {
        Refresh *f;
        int r;

        f = calloc(1, sizeof(Refresh));
        if (!f)
                return -ENOMEM;
        *f = (Refresh) { .manager = m, .callback = cb, .userdata = userdata, .next = m->refreshes };
        if (m->refreshes)
                m->refreshes->prev = f;
        m->refreshes = f;

        /* Re-discover first; re-check once the whoami answers are in. */
        r = manager_discover(m, refresh_recheck, f);
        if (r < 0) {
                refresh_free(f);
                return r;
        }
        return 0;
}
