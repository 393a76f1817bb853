/* SPDX-License-Identifier: MIT */
/* ptrwatch explain: one live check with every answer traced, outside the
 * cache, reported as the manager reports a verdict. */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "strv.h"

typedef struct Explain {
        Manager *manager;
        Trace trace;
        explain_callback_t callback;
        void *userdata;
} Explain;

static void on_explained(Verdict *v, void *userdata) {
        Explain *x = userdata;
        Manager *m = x->manager;
        Entry *e = manager_get_entry(m, &v->address);

        /* what the bus shows of a watched address: its sources too */
        v->watched = e && e->watched;
        if (v->watched && e->info.sources && !v->sources && !(v->sources = strv_copy(e->info.sources)))
                log_error("Out of memory explaining");
        x->callback(m, v, &x->trace, x->userdata);
        trace_done(&x->trace);
        free(x);
}

int manager_explain(Manager *m, const Address *a, explain_callback_t cb, void *userdata) {
        Entry *e = manager_get_entry(m, a);
        Explain *x = calloc(1, sizeof(Explain));
        int r;

        if (!x)
                return -ENOMEM;
        *x = (Explain) { .manager = m, .callback = cb, .userdata = userdata };
        r = checker_check_traced(m->checker, a, e && e->watched ? e->info.helo : m->helo_names, true, trace_record,
                                 &x->trace, on_explained, x);
        if (r < 0)
                free(x);
        return r;
}
