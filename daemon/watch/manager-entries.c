/* SPDX-License-Identifier: MIT */
/* The watch's entries beneath the rest of the manager: what is reported
 * for each, the summary, one announcement per transition, the re-check
 * schedule, the checks themselves, and the marks that the state and the
 * metrics need writing. manager-discover.c, manager-persist.c,
 * manager-explain.c and manager.c use this file; it uses none of them (the
 * advice it updates is beneath it, manager-advice.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "alert.h"
#include "bounds.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "strv.h"

/* ---- reporting ---- */

const Verdict *manager_reported(const Manager *m, const Entry *e, Verdict *scratch, bool *ret_stale) {
        return entry_reported(e, m->config.serve_stale, now(CLOCK_REALTIME), scratch, ret_stale);
}

Verdict manager_view(const Manager *m, const Entry *e) {
        Verdict scratch, v;
        bool stale;

        v = *manager_reported(m, e, &scratch, &stale);  /* an "unknown" scratch holds no pointers */
        v.stale = stale;
        v.watched = e->watched;
        v.helo = e->watched ? e->info.helo : m->helo_names;
        v.sources = e->info.sources;
        if (e->advised_message)
                v.message = e->advised_message;
        return v;
}

bool manager_entry_is_fresh(const Manager *m, const Entry *e) {
        return entry_is_fresh(e, now(CLOCK_REALTIME), now(CLOCK_MONOTONIC));
}

Entry *manager_get_entry(Manager *m, const Address *a) {
        return cache_get(&m->cache, a);
}

/* The worst announced verdict among the watched entries, from their counts:
 * no scan of the entries per change. Nothing watched: unknown. */
void manager_set_summary(Manager *m) {
        VerdictKind worst = VERDICT_UNKNOWN;
        bool any = false;

        for (VerdictKind k = 0; k < _VERDICT_KIND_MAX; k++)
                if (m->n_watched_by_kind[k] > 0) {
                        worst = any ? verdict_kind_worst(worst, k) : k;
                        any = true;
                }
        if (worst != m->summary) {
                m->summary = worst;
                if (m->hooks.properties_changed)
                        m->hooks.properties_changed(m, "Summary");
        }
}

/* Tell the bus and the journal when what we report for a watched address
 * changes: one alert per transition, not per re-check. */
static void entry_announce(Entry *e) {
        Manager *m = e->manager;
        Verdict scratch, old;
        const Verdict *v = manager_reported(m, e, &scratch, NULL);
        AlertCondition c;

        if (v->kind == e->announced_kind && v->reasons == e->announced_reasons &&
            v->resolver_stale == e->announced_resolver_stale)
                return;
        old = (Verdict) { .address = e->address, .kind = e->announced_kind, .reasons = e->announced_reasons,
                          .resolver_stale = e->announced_resolver_stale };
        e->announced_kind = v->kind;
        e->announced_reasons = v->reasons;
        e->announced_resolver_stale = v->resolver_stale;
        if (!e->watched)
                return;
        m->n_watched_by_kind[old.kind]--;
        m->n_watched_by_kind[v->kind]++;
        manager_mark_dirty(m, DIRTY_EXPORT);

        /* The journal speaks of changes from what it last said: a fail the
         * zone's own server already contradicts (resolver_stale) raises
         * nothing, so a genuine fail after it is news, and a pass after it
         * no recovery. */
        Verdict told = { .address = e->address, .kind = e->alerted_kind, .reasons = e->alerted_reasons };
        c = alert_condition(&told, v);
        if (!(v->kind == VERDICT_FAIL && v->resolver_stale)) {
                e->alerted_kind = v->kind;
                e->alerted_reasons = v->reasons;
        }
        if (c != ALERT_NONE) {
                Verdict shown = *v;
                if (e->advised_message)
                        shown.message = e->advised_message;
                alert_emit(c, &told, &shown);
        }
        if (old.kind != v->kind && m->hooks.verdict_changed)
                m->hooks.verdict_changed(m, e, old.kind, v);
        manager_set_summary(m);
}

/* ---- scheduling ---- */

static bool manager_checks_full(Manager *m) {
        return checker_in_progress(m->checker) >= CHECKS_IN_PROGRESS_MAX;
}

static usec_t manager_entry_next_event(const Manager *m, const Entry *e) {
        return entry_next_event(e, m->config.serve_stale, now(CLOCK_REALTIME), now(CLOCK_MONOTONIC));
}

static void entry_reschedule(Entry *e) {
        Manager *m = e->manager;

        if (!e->watched)
                return;
        if (e->queue_idx == PRIOQ_IDX_NULL) {
                if (prioq_put(&m->queue, e, manager_entry_next_event(m, e), &e->queue_idx) < 0)
                        log_error("Out of memory scheduling a re-check");
        } else
                prioq_reshuffle(&m->queue, manager_entry_next_event(m, e), &e->queue_idx);
}

int on_recheck_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        usec_t t = now(CLOCK_MONOTONIC), key;
        Entry *e;

        while ((e = prioq_peek(&m->queue, &key)) && key <= t) {
                if (e->due <= t) {
                        /* re-keys e to "not before it is done" */
                        if (entry_start_check(e, true) == 0)
                                break;          /* enough checks running: on_check_finished() goes on */
                } else
                        entry_announce(e);      /* serve-stale ran out */
                entry_reschedule(e);
        }
        manager_arm_timer(m);
        return 0;
}

void manager_arm_timer(Manager *m) {
        usec_t key, next_rt = 0;

        if (prioq_peek(&m->queue, &key) && key != USEC_INFINITY &&
            !(manager_checks_full(m) && key <= now(CLOCK_MONOTONIC))) {
                usec_t mono = now(CLOCK_MONOTONIC);
                (void) sd_event_source_set_time(m->timer, key);
                (void) sd_event_source_set_enabled(m->timer, SD_EVENT_ONESHOT);
                next_rt = now(CLOCK_REALTIME) + (key > mono ? key - mono : 0);
        } else
                (void) sd_event_source_set_enabled(m->timer, SD_EVENT_OFF);

        /* Whole seconds, so that the property does not change on every check. */
        next_rt = next_rt / USEC_PER_SEC * USEC_PER_SEC;
        if (next_rt != m->next_refresh) {
                m->next_refresh = next_rt;
                if (m->hooks.properties_changed)
                        m->hooks.properties_changed(m, "NextRefresh");
        }
}

/* ---- entries ---- */

static void entry_free(Entry *e) {
        Manager *m = e->manager;

        prioq_remove(&m->queue, &e->queue_idx);
        cache_remove(&m->cache, e);
}

static void on_evict(Entry *e, void *userdata) {
        entry_free(e);
}

void manager_trim(Manager *m) {
        cache_trim(&m->cache, on_evict, NULL);
}

int entry_new(Manager *m, const Address *a, Entry **ret) {
        return cache_add(&m->cache, a, m, ret);
}

void entry_set_watched(Entry *e, bool watched) {
        Manager *m = e->manager;

        if (e->watched == watched)
                return;
        if (watched)
                m->n_watched_by_kind[e->announced_kind]++;
        else
                m->n_watched_by_kind[e->announced_kind]--;
        cache_set_watched(&m->cache, e, watched);
        if (watched)
                entry_reschedule(e);
        else
                prioq_remove(&m->queue, &e->queue_idx);
}

/* Take in a finished check. */
static void entry_update(Entry *e, Verdict *v) {
        Manager *m = e->manager;
        char a[ADDRESS_STRING_MAX];

        m->checks_total[v->kind]++;
        if (e->watched && entry_hold_unconfirmed(e, v, m->config.confirm_delay, now(CLOCK_MONOTONIC))) {
                log_debug("%s: %s; asking again in %.3gs before telling anyone", address_to_string(&e->address, a),
                          v->message ?: "fail", (double) m->config.confirm_delay / USEC_PER_SEC);
                return;
        }
        if (e->unconfirmed && v->kind != VERDICT_FAIL)
                log_debug("%s: the fail did not repeat (%s); nothing to tell", address_to_string(&e->address, a),
                          verdict_kind_to_string(v->kind));
        if (entry_take_verdict(e, v, now(CLOCK_MONOTONIC)) && e->watched)
                manager_mark_dirty(m, DIRTY_STATE);
        if (e->watched)
                manager_mark_dirty(m, DIRTY_EXPORT);
        if (e->watched) {
                usec_t t = v->checked_at / USEC_PER_SEC * USEC_PER_SEC;
                if (t != m->last_refresh) {
                        m->last_refresh = t;
                        if (m->hooks.properties_changed)
                                m->hooks.properties_changed(m, "LastRefresh");
                }
        }
        if (e->watched && manager_update_advice(m))
                manager_mark_dirty(m, DIRTY_EXPORT);
        entry_announce(e);
}

static void on_check_finished(Verdict *v, void *userdata) {
        Entry *e = userdata;
        Manager *m = e->manager;
        Waiter *w;

        e->checking = false;
        entry_update(e, v);
        entry_reschedule(e);

        /* Callbacks may start new checks and add waiters: take the list
         * first, and keep e from being evicted while they run. */
        w = entry_take_waiters(e);
        e->notifying = true;
        while (w) {
                Waiter *next = w->next;
                w->callback(m, e, w->userdata);
                free(w);
                w = next;
        }
        e->notifying = false;
        manager_arm_timer(m);
        manager_trim(m);
}

int entry_start_check(Entry *e, bool may_defer) {
        Manager *m = e->manager;
        int r;

        if (e->checking)
                return 1;
        if (may_defer && manager_checks_full(m)) {
                /* due now: the scheduler starts it as others finish */
                e->due = MIN(e->due, now(CLOCK_MONOTONIC));
                entry_reschedule(e);
                return 0;
        }
        r = checker_check(m->checker, &e->address, e->watched ? e->info.helo : m->helo_names, e->watched,
                          on_check_finished, e);
        if (r < 0) {
                char a[ADDRESS_STRING_MAX];
                log_error_errno(r, "Failed to start a check of %s", address_to_string(&e->address, a));
                e->due = now(CLOCK_MONOTONIC) + VERDICT_RETRY_MIN_USEC;
                return r;
        }
        e->checking = true;
        entry_reschedule(e);
        return 1;
}

int manager_check(Manager *m, const Address *a, entry_callback_t cb, void *userdata) {
        Entry *e = manager_get_entry(m, a);
        int r;

        if (!e) {
                r = entry_new(m, a, &e);
                if (r < 0)
                        return r;
        } else
                cache_touch(&m->cache, e);
        r = entry_add_waiter(e, cb, userdata);
        if (r < 0)
                return r;
        r = entry_start_check(e, false);        /* a caller waits: now */
        if (r < 0) {
                entry_pop_waiter(e);
                return r;
        }
        manager_trim(m);
        return 0;
}

/* ---- what needs writing ---- */

/* Writes are batched: after a second, plus a millisecond per watched
 * address, so that 100,000 addresses re-checked one by one do not rewrite
 * 15 MB every second. */
void manager_mark_dirty(Manager *m, unsigned what) {
        if (!m->options.state_dir)
                what &= ~DIRTY_STATE;
        if (!m->config.prometheus_textfile)
                what &= ~DIRTY_EXPORT;
        if (what == 0 || (m->dirty & what) == what)
                return;
        if (!m->dirty) {
                (void) sd_event_source_set_time_relative(m->save_timer,
                                                         STATE_SAVE_DELAY_USEC + m->n_watched * STATE_SAVE_DELAY_PER_ADDRESS_USEC);
                (void) sd_event_source_set_enabled(m->save_timer, SD_EVENT_ONESHOT);
        }
        m->dirty |= what;
}
