/* SPDX-License-Identifier: MIT */
/* Advice that takes more than one verdict to give (advice.h), for the
 * watched addresses. Only addresses a Postfix service sends from take part,
 * listed when the watched set changes: a check costs nothing more on a host
 * with 100,000 static addresses. */
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "strv.h"

static bool has_postfix_source(const Entry *e) {
        for (char **s = e->info.sources; s && *s; s++)
                if (strncmp(*s, "postfix:", 8) == 0)
                        return true;
        return false;
}

void manager_list_advice_candidates(Manager *m) {
        size_t n = 0;

        /* before any is unwatched and evicted: their advice goes; the
         * candidates' comes back with manager_update_advice() */
        for (size_t i = 0; i < m->n_advice_candidates; i++)
                m->advice_candidates[i]->advised_message = mfree(m->advice_candidates[i]->advised_message);
        m->advice_candidates = mfree(m->advice_candidates);
        m->n_advice_candidates = 0;
        for (size_t i = 0; i < m->n_watched; i++) {
                Entry *e = cache_get(&m->cache, &m->watched[i]);
                if (!e || !has_postfix_source(e))
                        continue;
                Entry **l = reallocarray(m->advice_candidates, n + 1, sizeof(Entry *));
                if (!l) {
                        log_error("Out of memory listing the addresses Postfix sends from");
                        return;
                }
                m->advice_candidates = l;
                m->advice_candidates[n++] = e;
        }
        m->n_advice_candidates = n;
}

/* What is reported for e, as manager_reported() says (which sits above). */
static const Verdict *reported(const Manager *m, const Entry *e, Verdict *scratch) {
        return entry_reported(e, m->config.serve_stale, now(CLOCK_REALTIME), scratch, NULL);
}

static bool postfix_ipv6_applies(Manager *m, const Entry *e) {
        Verdict scratch6, scratch4;
        const Verdict *v6 = reported(m, e, &scratch6);

        if (e->address.family != AF_INET6 || v6->kind != VERDICT_FAIL)
                return false;
        for (size_t i = 0; i < m->n_advice_candidates; i++) {
                const Entry *w = m->advice_candidates[i];
                if (w->address.family == AF_INET &&
                    advice_postfix_ipv6(v6, e->info.sources, reported(m, w, &scratch4), w->info.sources))
                        return true;
        }
        return false;
}

bool manager_update_advice(Manager *m) {
        bool changed = false;

        for (size_t i = 0; i < m->n_advice_candidates; i++) {
                Entry *e = m->advice_candidates[i];
                Verdict scratch;
                char *advised = NULL;

                if (postfix_ipv6_applies(m, e) &&
                    strextendf(&advised, "%s" ADVICE_POSTFIX_IPV6, reported(m, e, &scratch)->message ?: "") < 0)
                        log_error("Out of memory giving advice");
                changed = changed || !streq(advised ?: "", e->advised_message ?: "");
                free(e->advised_message);
                e->advised_message = advised;
        }
        return changed;
}
