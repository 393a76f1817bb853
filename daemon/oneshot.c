/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "checker.h"
#include "log.h"
#include "macro.h"
#include "oneshot.h"
#include "protocol.h"
#include "strv.h"
#include "output.h"

/* Exit status when the check could not be run at all (monitoring: UNKNOWN). */

typedef struct Batch {
        sd_event *event;
        Verdict **verdicts;     /* in argument order */
        size_t n_left;
} Batch;

typedef struct Slot {
        Batch *batch;
        size_t index;
} Slot;

static void on_verdict(Verdict *v, void *userdata) {
        Slot *s = userdata;

        s->batch->verdicts[s->index] = v;
        if (--s->batch->n_left == 0)
                (void) sd_event_exit(s->batch->event, 0);
}

int oneshot_check(const Config *c, const Address *addresses, size_t n, bool json, FILE *out) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(resolver_freep) Resolver *resolver = NULL;
        _cleanup_(checker_freep) Checker *checker = NULL;
        _cleanup_free_ Verdict **verdicts = NULL;
        _cleanup_free_ Slot *slots = NULL;
        VerdictPolicy policy = {
                .helo_name = c->helo_name,
                .min_ttl = c->min_ttl,
                .max_ttl = c->max_ttl,
        };
        Batch batch = {};
        int r, status;

        verdicts = calloc(n, sizeof(Verdict *));
        slots = calloc(n, sizeof(Slot));
        if (!verdicts || !slots)
                return log_error("Out of memory"), EXIT_UNKNOWN;

        r = sd_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop"), EXIT_UNKNOWN;
        ResolverOptions ro = resolver_options_from_config(c, NULL);
        r = resolver_new(event, &ro, &resolver);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the resolver"), EXIT_UNKNOWN;
        r = checker_new(resolver, &policy, &checker);
        if (r < 0)
                return log_error("Out of memory"), EXIT_UNKNOWN;

        batch = (Batch) { .event = event, .verdicts = verdicts, .n_left = n };
        for (size_t i = 0; i < n; i++) {
                slots[i] = (Slot) { .batch = &batch, .index = i };
                r = checker_check(checker, &addresses[i], on_verdict, &slots[i]);
                if (r < 0)
                        return log_error_errno(r, "Failed to start a check"), EXIT_UNKNOWN;
        }
        if (n > 0) {
                r = sd_event_loop(event);
                if (r < 0) {
                        log_error_errno(r, "Event loop failed");
                        status = EXIT_UNKNOWN;
                        goto finish;
                }
        }

        /* The HELO names, attached as the daemon attaches them when it reports. */
        for (size_t i = 0; c->helo_name && i < n; i++)
                if (verdicts[i] && strv_extend(&verdicts[i]->helo, c->helo_name) < 0)
                        return log_error("Out of memory"), EXIT_UNKNOWN;

        if (json)
                verdicts_print_json_array(out, verdicts, n, true);
        else
                verdicts_print_table(out, verdicts, n, &(TableOptions) {
                        .legend = true,
                        .colour = colour_wanted(out),
                });
        status = verdict_kind_exit_status(verdicts_worst(verdicts, n));

finish: {
                ResolverStats st = resolver_stats(resolver);
                log_debug("%" PRIu64 " queries sent, at most %u in flight (MaxInFlight=%u)",
                          st.n_sent, st.max_in_flight_seen, c->max_in_flight);
        }
        /* The resolver first: in-flight queries are cancelled without
         * calling back into checks that are about to go. */
        resolver = resolver_free(resolver);
        for (size_t i = 0; i < n; i++)
                verdict_free(verdicts[i]);
        return status;
}
