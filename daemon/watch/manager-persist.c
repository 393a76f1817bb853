/* SPDX-License-Identifier: MIT */
/* What outlives the process or leaves it: the state file (loaded at start,
 * written batched and at exit) and the metrics file for node_exporter. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "export.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "state.h"

int on_save_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) manager_save(userdata);
        return 0;
}

/* The watched verdicts as reported (stale marked, HELO names attached):
 * shallow views into the entries, valid until they change. */
static int manager_reported_views(Manager *m, Verdict **ret_views, Verdict ***ret_list, size_t *ret_n) {
        _cleanup_free_ Verdict *views = calloc(m->n_watched + 1, sizeof(Verdict));
        _cleanup_free_ Verdict **list = calloc(m->n_watched + 1, sizeof(Verdict *));
        size_t n = 0;

        if (!views || !list)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_watched; i++) {
                Entry *e = manager_get_entry(m, &m->watched[i]);
                if (!e)
                        continue;
                views[n] = manager_view(m, e);
                list[n] = &views[n];
                n++;
        }
        *ret_views = TAKE_PTR(views);
        *ret_list = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

int manager_export(Manager *m) {
        _cleanup_free_ Verdict *views = NULL;
        _cleanup_free_ Verdict **list = NULL;
        MetricsInput in = { .version = PTRWATCH_VERSION };
        int r;

        if (!m->config.prometheus_textfile)
                return 0;
        r = manager_reported_views(m, &views, &list, &in.n_verdicts);
        if (r < 0)
                return r;
        in.verdicts = list;
        memcpy(in.checks_total, m->checks_total, sizeof in.checks_total);
        r = export_textfile(m->config.prometheus_textfile, &in);
        if (r < 0) {
                /* once, until it works again; retried at the next change */
                if (!m->export_failing)
                        log_warning_errno(r, "Failed to write the metrics to %s%s (trying again at the next change)",
                                          m->config.prometheus_textfile, export_hint(r));
                m->export_failing = true;
                return r;
        }
        if (m->export_failing)
                log_info("Metrics written to %s again", m->config.prometheus_textfile);
        m->export_failing = false;
        if (m->options.state_dir && (!m->export_recorded || !streq(m->export_recorded, m->config.prometheus_textfile))) {
                r = export_record(m->options.state_dir, m->config.prometheus_textfile);
                if (r < 0)
                        return log_warning_errno(r, "Failed to note in %s where the metrics are", m->options.state_dir);
                free(m->export_recorded);
                m->export_recorded = strdup(m->config.prometheus_textfile);
        }
        return 0;
}

static int manager_save_state(Manager *m) {
        _cleanup_free_ Verdict **list = NULL;
        size_t n = 0;
        int r;

        list = calloc(m->n_watched + 1, sizeof(Verdict *));
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_watched; i++) {
                Entry *e = manager_get_entry(m, &m->watched[i]);
                if (e && e->definitive)
                        list[n++] = e->definitive;
        }
        r = state_save(m->options.state_dir, list, n);
        if (r < 0)
                return log_error_errno(r, "Failed to save verdicts in %s", m->options.state_dir);
        return 0;
}

int manager_save(Manager *m) {
        int r = 0, k;

        if (m->options.state_dir) {
                k = manager_save_state(m);
                if (k < 0)
                        r = k;
                else
                        m->dirty &= ~DIRTY_STATE;
        }
        if (m->dirty & DIRTY_EXPORT) {
                (void) manager_export(m);
                m->dirty &= ~DIRTY_EXPORT;      /* a failure waits for the next change */
        }
        if (!m->dirty)
                (void) sd_event_source_set_enabled(m->save_timer, SD_EVENT_OFF);
        return r;
}

void manager_load_state(Manager *m) {
        Verdict **list = NULL;
        size_t n = 0;
        usec_t rt = now(CLOCK_REALTIME), mono = now(CLOCK_MONOTONIC);
        int r;

        if (!m->options.state_dir)
                return;
        r = state_load(m->options.state_dir, m->policy.rules, &list, &n);
        if (r < 0) {
                log_warning_errno(r, "Failed to load verdicts from %s (starting fresh)", m->options.state_dir);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                Entry *e;
                if (manager_get_entry(m, &list[i]->address) || entry_new(m, &list[i]->address, &e) < 0) {
                        verdict_free(list[i]);
                        continue;
                }
                e->definitive = list[i];
                m->last_refresh = MAX(m->last_refresh, list[i]->checked_at / USEC_PER_SEC * USEC_PER_SEC);
                e->announced_kind = list[i]->kind;
                e->announced_reasons = list[i]->reasons;
                e->announced_resolver_stale = list[i]->resolver_stale;
                if (!list[i]->resolver_stale) {
                        e->alerted_kind = list[i]->kind;
                        e->alerted_reasons = list[i]->reasons;
                }
                /* Expired, checked "in the future" (the clock moved back), or
                 * valid for longer than MaxTTL allows (a file we did not
                 * write so): re-check now. */
                if (list[i]->expires_at <= rt || list[i]->checked_at > rt ||
                    list[i]->expires_at - rt > m->config.max_ttl) {
                        list[i]->expires_at = MIN(list[i]->expires_at, rt);
                        list[i]->ttl = MIN(list[i]->ttl, m->config.max_ttl);
                        e->due = mono;
                } else
                        e->due = mono + (list[i]->expires_at - rt);
        }
        free(list);
        if (n > 0)
                log_info("Loaded %zu verdict%s from %s", n, n == 1 ? "" : "s", m->options.state_dir);
}
