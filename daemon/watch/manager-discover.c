/* SPDX-License-Identifier: MIT */
/* Which addresses are watched (Addresses=, Discover=), and Refresh: discover
 * again, then check every watched address again. */
#include <errno.h>
#include <sys/inotify.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

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

/* Checked with other HELO names than mail from it is now sent with (a
 * verdict loaded from an older state file has none): check again. */
static bool entry_helo_changed(const Entry *e) {
        const Verdict *v = e->definitive;

        return v && !address_info_same_helo(&e->info, v->helo);
}

/* The journal's line and the unit's status text ("systemctl status")
 * follow the watched set. */
static void manager_announce_watched(Manager *m) {
        char *list = NULL;

        /* name them when they fit on a line; count them otherwise */
        for (size_t i = 0; i < m->n_watched && m->n_watched <= WATCHED_LISTED_MAX; i++) {
                char s[ADDRESS_STRING_MAX];
                (void) strextendf(&list, "%s%s", i ? " " : "", address_to_string(&m->watched[i], s));
        }
        log_info("Watching %zu address%s%s%s", m->n_watched, m->n_watched == 1 ? "" : "es",
                 list ? ": " : "", list ? list : "");
        free(list);
        (void) sd_notifyf(false, "STATUS=Watching %zu address%s", m->n_watched, m->n_watched == 1 ? "" : "es");
}

static int manager_apply_discovery(Manager *m, DiscoveryResult *d) {
        bool changed, info_changed = false;
        int r;

        if (d->n_addresses > WATCHED_MAX) {
                log_warning("%zu addresses to watch, more than %d: watching the first %d",
                            d->n_addresses, WATCHED_MAX, WATCHED_MAX);
                for (size_t i = WATCHED_MAX; i < d->n_addresses; i++)
                        address_info_done(&d->info[i]);
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
                        address_info_done(&e->info);
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
                info_changed = info_changed || !strv_equal(e->info.helo, d->info[k].helo) ||
                               !strv_equal(e->info.sources, d->info[k].sources);
                address_info_done(&e->info);
                e->info = d->info[k];
                d->info[k] = (AddressInfo) {};
                if (!manager_entry_is_fresh(m, e) || e->due <= now(CLOCK_MONOTONIC) || entry_helo_changed(e))
                        (void) entry_start_check(e, true);
        }

        changed = !same_addresses(m->watched, m->n_watched, d->addresses, d->n_addresses);
        free(m->watched);
        m->watched = TAKE_PTR(d->addresses);
        m->n_watched = d->n_addresses;
        bool notes_changed = !strv_equal(m->notes, d->notes);
        strv_free(m->notes);
        m->notes = TAKE_PTR(d->notes);
        if (notes_changed && m->hooks.properties_changed)
                m->hooks.properties_changed(m, "Notes");
        /* the metrics show the HELO names: written again when they change,
         * the state when the watched set does */
        if (info_changed)
                manager_mark_dirty(m, DIRTY_EXPORT);
        if (changed) {
                manager_mark_dirty(m, DIRTY_STATE | DIRTY_EXPORT);
                manager_announce_watched(m);
                if (m->hooks.properties_changed)
                        m->hooks.properties_changed(m, "Addresses");
        }
        manager_list_advice_candidates(m);
        if (manager_update_advice(m))
                manager_mark_dirty(m, DIRTY_EXPORT);
        manager_set_summary(m);
        manager_arm_timer(m);
        manager_trim(m);
        return 0;
}

static bool manager_discovers_mta(const Manager *m) {
        return m->config.discover & (DISCOVER_POSTFIX | DISCOVER_EXIM);
}

/* Addresses=, Discover=route and the last Discover=dns and MTA answers, applied now. */
static int manager_discover_now(Manager *m) {
        DiscoveryResult d = {};
        int r;

        r = discovery_run(&m->config, &m->dns_found, manager_discovers_mta(m) ? &m->mta_found : NULL, &d);
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

/* One source of a round is in: apply what is known; when none is under
 * way any more, the round is over. */
static void manager_round_part_done(Manager *m) {
        int r;

        r = manager_discover_now(m);
        if (r < 0)
                log_error_errno(r, "Failed to apply the discovered addresses");
        if (!m->whoami && !m->mta_child)
                discover_waiters_run(m);
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
        manager_round_part_done(m);
}

static int manager_start_mta(Manager *m);

static void on_mta_done(DiscoveryResult *result, bool failed, void *userdata) {
        Manager *m = userdata;

        m->mta_child = mta_child_free(m->mta_child);
        if (failed && result->found.n == 0 && m->mta_found.found.n > 0) {
                /* A tool that did not answer is no answer: keep what it said last. */
                log_warning("The MTA's identities could not be read this time: still watching the %zu found earlier",
                            m->mta_found.found.n);
                identity_list_done(&result->found);
                result->found = m->mta_found.found;
                m->mta_found.found = (IdentityList) {};
        }
        discovery_result_done(&m->mta_found);
        m->mta_found = *result;
        *result = (DiscoveryResult) {};
        if (m->mta_again) {
                /* the configuration changed while we read it: read it again */
                m->mta_again = false;
                if (manager_start_mta(m) < 0)
                        log_error("Failed to read the MTA's configuration again");
        }
        manager_round_part_done(m);
}

static int manager_start_mta(Manager *m) {
        int r;

        r = mta_child_start(m->event, &m->config, on_mta_done, m, &m->mta_child);
        if (r < 0)
                return log_error_errno(r, "Failed to start reading the MTA's configuration");
        return 0;
}

void manager_discover_abort(Manager *m) {
        m->whoami = whoami_free(m->whoami);
        m->mta_child = mta_child_free(m->mta_child);
        m->mta_again = false;
}

/* Discover now; with Discover=dns, also ask the whoami sources, with
 * Discover=postfix or exim read the MTA's configuration, and call back (if
 * cb) once all are in. Without them, call back at once. */
int manager_discover(Manager *m, discover_callback_t cb, void *userdata) {
        int r;

        r = manager_discover_now(m);
        if (r < 0)
                return r;
        if ((m->config.discover & DISCOVER_DNS) && !m->whoami) {
                r = whoami_start(m->event, &m->config, on_whoami_done, m, &m->whoami);
                if (r < 0)
                        log_error_errno(r, "Failed to ask the whoami sources");
        }
        if (manager_discovers_mta(m) && !m->mta_child)
                (void) manager_start_mta(m);
        if (!m->whoami && !m->mta_child) {
                /* Waiters of a round a reload ended, if any, are served now too. */
                discover_waiters_run(m);
                if (cb)
                        cb(m, userdata);
                return 0;
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
        /* a reading of the MTA under way may have looked at the old ones */
        if (m->mta_child)
                m->mta_again = true;
        r = manager_discover(m, NULL, NULL);
        if (r < 0)
                log_error_errno(r, "Failed to discover outbound addresses");
}

/* ---- the MTA's configuration changing ---- */

/* postconf -e rewrites main.cf through a temporary file and a rename; an
 * editor may write several files: wait for the burst to end. */
#define MTA_SETTLE_USEC (500 * USEC_PER_MSEC)

static int on_mta_settled(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int r;

        log_info("The MTA's configuration changed: discovering again");
        if (m->mta_child) {
                m->mta_again = true;
                return 0;
        }
        r = manager_discover(m, NULL, NULL);
        if (r < 0)
                log_error_errno(r, "Failed to discover outbound addresses");
        return 0;
}

static int on_mta_config_changed(sd_event_source *s, const struct inotify_event *event, void *userdata) {
        Manager *m = userdata;

        if (event->mask & IN_Q_OVERFLOW || !event->len || event->name[0] != '.') {
                (void) sd_event_source_set_time_relative(m->mta_settle, MTA_SETTLE_USEC);
                (void) sd_event_source_set_enabled(m->mta_settle, SD_EVENT_ONESHOT);
        }
        return 0;
}

void manager_unwatch_mta(Manager *m) {
        for (size_t i = 0; i < m->n_mta_watches; i++)
                sd_event_source_disable_unref(m->mta_watches[i]);
        m->mta_watches = mfree(m->mta_watches);
        m->n_mta_watches = 0;
        m->mta_settle = sd_event_source_disable_unref(m->mta_settle);
}

static void manager_watch_dir(Manager *m, const char *dir) {
        sd_event_source *s = NULL, **l;
        int r;

        r = sd_event_add_inotify(m->event, &s, dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ONLYDIR,
                                 on_mta_config_changed, m);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch %s for changes (discovering at refresh only)", dir);
                return;
        }
        l = reallocarray(m->mta_watches, m->n_mta_watches + 1, sizeof(sd_event_source *));
        if (!l) {
                sd_event_source_disable_unref(s);
                return;
        }
        (void) sd_event_source_set_description(s, "mta-config-changed");
        m->mta_watches = l;
        m->mta_watches[m->n_mta_watches++] = s;
}

void manager_watch_mta(Manager *m) {
        const Config *c = &m->config;

        manager_unwatch_mta(m);
        if (!manager_discovers_mta(m))
                return;
        if (sd_event_add_time(m->event, &m->mta_settle, CLOCK_MONOTONIC, USEC_INFINITY, 10 * USEC_PER_MSEC,
                              on_mta_settled, m) < 0)
                return;
        (void) sd_event_source_set_enabled(m->mta_settle, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->mta_settle, "mta-config-settle");
        if (c->discover & DISCOVER_POSTFIX)
                manager_watch_dir(m, c->postfix_config ?: POSTFIX_CONFIG_DEFAULT);
        if (c->discover & DISCOVER_EXIM) {
                /* update-exim4.conf writes Debian's generated configuration here */
                _cleanup_free_ char *dir = c->exim_config ? strndup(c->exim_config, strrchr(c->exim_config, '/') -
                                                                    c->exim_config) : NULL;
                manager_watch_dir(m, dir && *dir ? dir : "/etc/exim4");
                if (!c->exim_config)
                        manager_watch_dir(m, "/var/lib/exim4");
        }
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
