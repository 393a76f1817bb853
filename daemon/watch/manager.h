/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "cache.h"
#include "checker.h"
#include "config.h"
#include "addrmon.h"
#include "discovery.h"
#include "mta-child.h"
#include "whoami.h"
#include "prioq.h"
#include "verdict.h"

typedef struct Manager Manager;

typedef struct ManagerOptions {
        const char *config_path;
        bool config_explicit;
        const char *state_dir;          /* NULL: no persistence */
        const char *resolv_conf;        /* NULL: /etc/resolv.conf */
} ManagerOptions;

/* Hooks the bus glue fills in; the manager calls them when things change. */
typedef struct ManagerHooks {
        void (*verdict_changed)(Manager *m, const Entry *e, VerdictKind old, const Verdict *now);
        void (*properties_changed)(Manager *m, const char *property);
        void *userdata;
} ManagerHooks;

struct Manager {
        sd_event *event;
        ManagerOptions options;
        Config config;
        VerdictPolicy policy;
        ReceiverRules *receiver_rules;  /* policy.rules: the receivers' own rule files */
        char **helo_names;              /* HeloName=: what unwatched addresses are checked with */
        Resolver *resolver;
        Checker *checker;

        Cache cache;
        Prioq queue;                    /* watched entries by next event */
        sd_event_source *timer;         /* the one timer, armed for the queue's head */

        Address *watched;               /* sorted */
        size_t n_watched;
        char **notes;                   /* from discovery */
        AddressMonitor *monitor;
        DiscoveryResult dns_found;      /* the last Discover=dns round */
        Whoami *whoami;                 /* a Discover=dns round under way */
        DiscoveryResult mta_found;      /* the last Discover=postfix/exim round */
        MtaChild *mta_child;            /* one under way */
        bool mta_again;                 /* the MTA's configuration changed during that round */
        sd_event_source **mta_watches;  /* inotify on the MTA's configuration directories */
        size_t n_mta_watches;
        sd_event_source *mta_settle;    /* waits for a burst of changes to end */
        struct DiscoverWaiter *discover_waiters;
        Entry **advice_candidates;      /* watched, sent from by a Postfix service */
        size_t n_advice_candidates;

        usec_t last_refresh;            /* CLOCK_REALTIME, 0 = never */
        usec_t next_refresh;
        VerdictKind summary;
        size_t n_watched_by_kind[_VERDICT_KIND_MAX];    /* by announced_kind */

        sd_event_source *save_timer;
        unsigned dirty;                 /* DIRTY_STATE, DIRTY_EXPORT: written by save_timer */
        bool export_failing;            /* warned once already */
        char *export_recorded;          /* the metrics path noted in the state directory */
        uint64_t checks_total[_VERDICT_KIND_MAX];       /* every check made, by verdict */
        struct Refresh *refreshes;

        ManagerHooks hooks;
};

int manager_new(sd_event *event, const ManagerOptions *o, Manager **ret, char **ret_error);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Load state, discover, schedule. */
int manager_start(Manager *m);
/* Write the state now, and the metrics if they changed (at exit). */
int manager_save(Manager *m);
/* Write the metrics file now ([Export] PrometheusTextfile=). */
int manager_export(Manager *m);
/* Re-read the configuration; on error keep the running one. */
int manager_reload(Manager *m);

/* The verdict to report for e now (entry_reported() with ServeStale=). */
const Verdict *manager_reported(const Manager *m, const Entry *e, Verdict *scratch, bool *ret_stale);
/* The same as a shallow copy, valid until e or the configuration changes:
 * stale marked, watched, the HELO names attached: what the bus and the
 * metrics show. */
Verdict manager_view(const Manager *m, const Entry *e);
Entry *manager_get_entry(Manager *m, const Address *a);
/* Whether a Check may be answered from the cache now (entry_is_fresh()). */
bool manager_entry_is_fresh(const Manager *m, const Entry *e);

/* Ad-hoc or forced check: calls back when done (never from inside this
 * call). Joins a check already running for the address. */
/* ptrwatch explain: a live check of a, every lookup traced, the cache left
 * as it is; calls back with the verdict as it would be reported (the
 * callee owns both). */
typedef void (*explain_callback_t)(Manager *m, Verdict *v, Trace *trace, void *userdata);
int manager_explain(Manager *m, const Address *a, explain_callback_t cb, void *userdata);

int manager_check(Manager *m, const Address *a, entry_callback_t cb, void *userdata);

typedef void (*refresh_callback_t)(Manager *m, void *userdata);
/* Re-discover and re-check every watched address; calls back when all are done. */
int manager_refresh(Manager *m, refresh_callback_t cb, void *userdata);
