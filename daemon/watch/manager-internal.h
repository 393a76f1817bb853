/* SPDX-License-Identifier: MIT */
#pragma once

/* What the manager's files share; not for the bus glue. */

#include "manager.h"

typedef void (*discover_callback_t)(Manager *m, void *userdata);

typedef struct DiscoverWaiter {
        discover_callback_t callback;
        void *userdata;
        struct DiscoverWaiter *next;
} DiscoverWaiter;

/* The files of the manager, in layers: manager.c (life cycle) uses
 * manager-discover.c, manager-persist.c and manager-explain.c, which use
 * manager-entries.c, which uses manager-advice.c. No file calls back up. */

/* manager-entries.c */
#define DIRTY_STATE  1u         /* a watched definitive verdict, or the watched set */
#define DIRTY_EXPORT 2u         /* anything the metrics show */
void manager_mark_dirty(Manager *m, unsigned what);
int entry_new(Manager *m, const Address *a, Entry **ret);
void entry_set_watched(Entry *e, bool watched);
/* 1: started (or running already); 0, only with may_defer, for a watched
 * entry while CHECKS_IN_PROGRESS_MAX are running: left due, the scheduler
 * starts it as others finish; or a negative errno. */
int entry_start_check(Entry *e, bool may_defer);
void manager_arm_timer(Manager *m);
void manager_set_summary(Manager *m);
void manager_trim(Manager *m);
int on_recheck_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* manager-advice.c: give the advice that takes several verdicts (after
 * any watched verdict or the watched set changed); true when an advised
 * message changed (the metrics show it). */
bool manager_update_advice(Manager *m);
/* Which watched entries take part: after the watched set changed. */
void manager_list_advice_candidates(Manager *m);

/* manager-persist.c */
int on_save_timer(sd_event_source *s, uint64_t usec, void *userdata);
void manager_load_state(Manager *m);

/* manager-discover.c */
/* Discover now; with Discover=dns, also ask the whoami sources, and call
 * back (if cb) once their answers are in. Without it, call back at once. */
int manager_discover(Manager *m, discover_callback_t cb, void *userdata);
/* Ends the rounds under way (their waiters stay for the next round). */
void manager_discover_abort(Manager *m);
/* Re-discover when the MTA's configuration changes (inotify). */
void manager_watch_mta(Manager *m);
void manager_unwatch_mta(Manager *m);
void on_addresses_changed(void *userdata);
struct Refresh;
void refresh_free(struct Refresh *f);
