/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "addrmap.h"
#include "checker.h"
#include "config.h"
#include "discovery.h"
#include "prioq.h"
#include "verdict.h"

typedef struct Manager Manager;
typedef struct Entry Entry;

typedef struct ManagerOptions {
        const char *config_path;
        bool config_explicit;
        const char *state_dir;          /* NULL: no persistence */
        const char *resolv_conf;        /* NULL: /etc/resolv.conf */
} ManagerOptions;

/* Called when a check the caller waits for is done; reported is the verdict
 * as served (possibly stale), valid during the call. */
typedef void (*entry_callback_t)(Manager *m, const Entry *e, void *userdata);

typedef struct Waiter Waiter;

/* One address the daemon knows: watched, or cached after an ad-hoc check. */
struct Entry {
        Manager *manager;
        Address address;
        bool watched;
        Verdict *definitive;            /* the last pass, warn or fail */
        Verdict *failure;               /* the latest temperror, if newer */
        usec_t failing_since;           /* CLOCK_REALTIME, while failure is set */
        usec_t backoff;
        usec_t due;                     /* CLOCK_MONOTONIC: re-check then */
        unsigned queue_idx;
        bool checking;
        bool notifying;                 /* its waiters are being called */
        Waiter *waiters;
        Entry *lru_prev, *lru_next;     /* ad-hoc entries only */
        VerdictKind announced_kind;     /* what VerdictChanged last said */
        unsigned announced_reasons;
};

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
        Resolver *resolver;
        Checker *checker;

        AddrMap entries;
        Prioq queue;                    /* watched entries by next event */
        sd_event_source *timer;         /* the one timer, armed for the queue's head */
        Entry *lru_head, *lru_tail;
        size_t n_adhoc;

        Address *watched;               /* sorted */
        size_t n_watched;
        char **notes;                   /* from discovery */
        AddressMonitor *monitor;
        DiscoveryResult dns_found;      /* the last Discover=dns round */
        Whoami *whoami;                 /* a Discover=dns round under way */
        struct DiscoverWaiter *discover_waiters;

        usec_t last_refresh;            /* CLOCK_REALTIME, 0 = never */
        usec_t next_refresh;
        VerdictKind summary;
        size_t n_watched_by_kind[_VERDICT_KIND_MAX];    /* by announced_kind */

        sd_event_source *save_timer;
        bool dirty;
        struct Refresh *refreshes;

        ManagerHooks hooks;
        sd_bus *bus;
        unsigned n_pending_replies;
        void *ratelimit;
};

int manager_new(sd_event *event, const ManagerOptions *o, Manager **ret, char **ret_error);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* Load state, discover, schedule. */
int manager_start(Manager *m);
/* Write the state now (at exit). */
int manager_save(Manager *m);
/* Re-read the configuration; on error keep the running one. */
int manager_reload(Manager *m);

/* The verdict to report for e: the definitive one (stale while failing and
 * within ServeStale=), else the failure, else an "unknown" one in *scratch. */
const Verdict *entry_reported(const Entry *e, Verdict *scratch, bool *ret_stale);
Entry *manager_get_entry(Manager *m, const Address *a);
/* Whether a Check may be answered from the cache without asking DNS. */
bool entry_is_fresh(const Entry *e);

/* Ad-hoc or forced check: calls back when done (never from inside this
 * call). Joins a check already running for the address. */
int manager_check(Manager *m, const Address *a, entry_callback_t cb, void *userdata);

typedef void (*refresh_callback_t)(Manager *m, void *userdata);
/* Re-discover and re-check every watched address; calls back when all are done. */
int manager_refresh(Manager *m, refresh_callback_t cb, void *userdata);
