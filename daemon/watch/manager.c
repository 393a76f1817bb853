/* SPDX-License-Identifier: MIT */
/* The manager's life cycle: new, start, reload, free. Everything else of
 * the manager lives in the files beneath (manager-internal.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bounds.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "strv.h"

/* ---- life cycle ---- */

static int engine_new(Manager *m, const Config *c, Resolver **ret_resolver, Checker **ret_checker) {
        Resolver *resolver = NULL;
        Checker *checker = NULL;
        int r;

        ResolverOptions ro = resolver_options_from_config(c, m->options.resolv_conf);
        r = resolver_new(m->event, &ro, &resolver);
        if (r < 0)
                return r;
        r = checker_new(resolver, &m->policy, &checker);
        if (r < 0) {
                resolver_free(resolver);
                return r;
        }
        *ret_resolver = resolver;
        *ret_checker = checker;
        return 0;
}

/* The verdict a new one for a replaces: a refresh that finds the same
 * facts shares its predictions (VerdictPolicy.current). */
static const Verdict *current_verdict(const Address *a, void *userdata) {
        Entry *e = manager_get_entry(userdata, a);
        return e ? e->definitive : NULL;
}

/* The verdict policy and the HELO names of the configuration. */
static int manager_apply_policy(Manager *m) {
        const Config *c = &m->config;
        char **helo = NULL;

        if (c->helo_name && strv_extend(&helo, c->helo_name) < 0)
                return -ENOMEM;
        /* the receivers' rule files: read now, not per check */
        ReceiverRules *rules = NULL;
        int r = receiver_rules_load(c->spamassassin_rules, c->rspamd_hfilter, &rules);
        if (r < 0) {
                strv_free(helo);
                return r;
        }
        receiver_rules_free(m->receiver_rules);
        m->receiver_rules = rules;
        strv_free(m->helo_names);
        m->helo_names = helo;
        m->policy = (VerdictPolicy) { .min_ttl = c->min_ttl, .max_ttl = c->max_ttl, .rules = rules,
                                      .current = current_verdict, .current_userdata = m };
        return 0;
}

int manager_new(sd_event *event, const ManagerOptions *o, Manager **ret, char **ret_error) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        m->event = sd_event_ref(event);
        m->options = *o;
        m->summary = VERDICT_UNKNOWN;
        cache_init(&m->cache, ADHOC_CACHE_MAX);

        r = config_init(&m->config);
        if (r < 0)
                return r;
        r = config_load(&m->config, o->config_path, o->config_explicit, ret_error);
        if (r < 0)
                return r;
        r = manager_apply_policy(m);
        if (r < 0)
                return r;

        r = engine_new(m, &m->config, &m->resolver, &m->checker);
        if (r < 0) {
                if (ret_error && asprintf(ret_error, "Failed to set up the resolver: %s", strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }

        r = sd_event_add_time(event, &m->timer, CLOCK_MONOTONIC, USEC_INFINITY, USEC_PER_MSEC, on_recheck_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->timer, "recheck");

        r = sd_event_add_time(event, &m->save_timer, CLOCK_MONOTONIC, USEC_INFINITY, USEC_PER_SEC,
                              on_save_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->save_timer, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->save_timer, "save-state");

        *ret = TAKE_PTR(m);
        return 0;
}


int manager_start(Manager *m) {
        int r;

        manager_load_state(m);
        if (m->config.discover & DISCOVER_FOLLOWS_ADDRESSES) {
                r = address_monitor_new(m->event, on_addresses_changed, m, &m->monitor);
                if (r < 0)
                        log_warning_errno(r, "Failed to watch for address changes (discovering only at refresh)");
        }
        manager_watch_mta(m);
        r = manager_discover(m, NULL, NULL);
        if (r < 0)
                return r;
        if (m->n_watched == 0 && !m->whoami && !m->mta_child)
                log_notice("No outbound address to watch: set [Watch] Addresses= or check Discover=");
        /* the metrics of the loaded state, at once: a scrape need not wait */
        (void) manager_export(m);
        return 0;
}

int manager_reload(Manager *m) {
        _cleanup_free_ char *error = NULL;
        Resolver *resolver;
        Checker *checker;
        Config c;
        int r;

        r = config_init(&c);
        if (r < 0)
                return r;
        r = config_load(&c, m->options.config_path, m->options.config_explicit, &error);
        if (r < 0) {
                log_error("Not reloading: %s", error ? error : strerror(-r));
                config_done(&c);
                return r;
        }
        r = engine_new(m, &c, &resolver, &checker);
        if (r < 0) {
                log_error_errno(r, "Not reloading: failed to set up the resolver");
                config_done(&c);
                return r;
        }

        /* A whoami round points into the old configuration: end it; its
         * waiters are served by the round the refresh below starts. */
        manager_discover_abort(m);

        /* Checks in flight die with the old engine, without calling back:
         * restart them on the new one so that their waiters get an answer. */
        resolver_free(m->resolver);
        checker_free(m->checker);
        m->resolver = resolver;
        m->checker = checker;
        config_done(&m->config);
        m->config = c;
        if (manager_apply_policy(m) < 0)
                log_error("Out of memory applying the HELO names, keeping the old ones");

        void *value;
        for (AddrMapIter i = {}; addrmap_next(&m->cache.entries, &i, &value); ) {
                Entry *e = value;
                if (e->checking) {
                        e->checking = false;
                        (void) entry_start_check(e, e->watched && !e->waiters);
                }
        }
        if (m->monitor && !(m->config.discover & DISCOVER_FOLLOWS_ADDRESSES))
                m->monitor = address_monitor_free(m->monitor);
        else if (!m->monitor && (m->config.discover & DISCOVER_FOLLOWS_ADDRESSES))
                (void) address_monitor_new(m->event, on_addresses_changed, m, &m->monitor);
        manager_watch_mta(m);

        manager_mark_dirty(m, DIRTY_EXPORT);    /* perhaps to another file */
        log_info("Configuration reloaded; checking every watched address again");
        return manager_refresh(m, NULL, NULL);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        address_monitor_free(m->monitor);
        manager_discover_abort(m);
        manager_unwatch_mta(m);
        while (m->discover_waiters) {
                DiscoverWaiter *w = m->discover_waiters;
                m->discover_waiters = w->next;
                free(w);
        }
        discovery_result_done(&m->dns_found);
        discovery_result_done(&m->mta_found);
        /* The resolver first: its queries die without calling back into checks. */
        m->resolver = resolver_free(m->resolver);
        m->checker = checker_free(m->checker);

        while (m->refreshes)
                refresh_free(m->refreshes);
        cache_done(&m->cache);
        prioq_done(&m->queue);
        sd_event_source_disable_unref(m->timer);
        sd_event_source_disable_unref(m->save_timer);
        free(m->watched);
        free(m->advice_candidates);
        strv_free(m->notes);
        free(m->export_recorded);
        strv_free(m->helo_names);
        receiver_rules_free(m->receiver_rules);
        config_done(&m->config);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}
