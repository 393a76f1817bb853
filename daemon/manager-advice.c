/* SPDX-License-Identifier: MIT */
/* Advice that takes more than one verdict to give (advice.h), for the
 * watched addresses. */
#include <string.h>

#include "advice.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "strv.h"

static bool postfix_ipv6_applies(Manager *m, const Entry *e) {
        Verdict scratch6, scratch4;
        const Verdict *v6 = manager_reported(m, e, &scratch6, NULL);

        if (v6->kind != VERDICT_FAIL)
                return false;
        for (size_t i = 0; i < m->n_watched; i++) {
                Entry *w;
                if (m->watched[i].family != AF_INET || !(w = manager_get_entry(m, &m->watched[i])))
                        continue;
                if (advice_postfix_ipv6(v6, e->info.sources, manager_reported(m, w, &scratch4, NULL), w->info.sources))
                        return true;
        }
        return false;
}

static bool has_postfix_source(const Entry *e) {
        for (char **s = e->info.sources; s && *s; s++)
                if (strncmp(*s, "postfix:", 8) == 0)
                        return true;
        return false;
}

void manager_update_advice(Manager *m) {
        for (size_t i = 0; i < m->n_watched; i++) {
                Entry *e = manager_get_entry(m, &m->watched[i]);
                Verdict scratch;
                char *advised = NULL;

                if (!e || (!e->advised_message && (e->address.family != AF_INET6 || !has_postfix_source(e))))
                        continue;
                if (postfix_ipv6_applies(m, e) &&
                    strextendf(&advised, "%s" ADVICE_POSTFIX_IPV6, manager_reported(m, e, &scratch, NULL)->message ?: "") < 0)
                        log_error("Out of memory giving advice");
                if (!streq(advised ?: "", e->advised_message ?: ""))
                        manager_mark_dirty(m, DIRTY_EXPORT);
                free(e->advised_message);
                e->advised_message = advised;
        }
}
