/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <systemd/sd-event.h>

#include "advice.h"
#include "checker.h"
#include "log.h"
#include "macro.h"
#include "mta.h"
#include "oneshot.h"
#include "output.h"
#include "protocol.h"
#include "strv.h"
#include "whoami.h"

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

/* Checks addresses[i] with the HELO names of info[i] (NULL: HeloName=),
 * prints, and returns the exit status. */
static int check_and_print(sd_event *event, const Config *c, const Address *addresses, const AddressInfo *info,
                           size_t n, bool json, FILE *out) {
        _cleanup_(resolver_freep) Resolver *resolver = NULL;
        _cleanup_(checker_freep) Checker *checker = NULL;
        _cleanup_strv_free_ char **helo = NULL;
        _cleanup_free_ Verdict **verdicts = NULL;
        _cleanup_free_ Slot *slots = NULL;
        _cleanup_(receiver_rules_freep) ReceiverRules *rules = NULL;
        VerdictPolicy policy = { .min_ttl = c->min_ttl, .max_ttl = c->max_ttl };
        Batch batch = { .event = event, .n_left = n };
        int r, status = EXIT_UNKNOWN;

        verdicts = calloc(n, sizeof(Verdict *));
        slots = calloc(n, sizeof(Slot));
        if ((n && (!verdicts || !slots)) || (c->helo_name && strv_extend(&helo, c->helo_name) < 0))
                return log_error("Out of memory"), EXIT_UNKNOWN;
        batch.verdicts = verdicts;
        r = receiver_rules_load(c->spamassassin_rules, c->rspamd_hfilter, &rules);
        if (r < 0)
                return log_error("Out of memory"), EXIT_UNKNOWN;
        policy.rules = rules;
        ResolverOptions ro = resolver_options_from_config(c, NULL);
        r = resolver_new(event, &ro, &resolver);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the resolver"), EXIT_UNKNOWN;
        r = checker_new(resolver, &policy, &checker);
        if (r < 0)
                return log_error("Out of memory"), EXIT_UNKNOWN;

        for (size_t i = 0; i < n; i++) {
                slots[i] = (Slot) { .batch = &batch, .index = i };
                r = checker_check(checker, &addresses[i], info ? info[i].helo : helo, true, on_verdict, &slots[i]);
                if (r < 0)
                        return log_error_errno(r, "Failed to start a check"), EXIT_UNKNOWN;
        }
        r = n > 0 ? sd_event_loop(event) : 0;
        if (r < 0) {
                log_error_errno(r, "Event loop failed");
                goto finish;
        }
        /* The sources, attached as the daemon attaches them when it reports,
         * and the advice it gives. */
        for (size_t i = 0; info && i < n; i++)
                if (info[i].sources && !(verdicts[i]->sources = strv_copy(info[i].sources))) {
                        log_error("Out of memory");
                        goto finish;
                }
        for (size_t i = 0; info && i < n; i++)
                for (size_t k = 0; k < n; k++)
                        if (advice_postfix_ipv6(verdicts[i], info[i].sources, verdicts[k], info[k].sources)) {
                                if (strextendf(&verdicts[i]->message, ADVICE_POSTFIX_IPV6) < 0)
                                        log_error("Out of memory");
                                break;
                        }
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

int oneshot_check(const Config *c, const Address *addresses, size_t n, bool json, FILE *out) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        int r;

        r = sd_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop"), EXIT_UNKNOWN;
        return check_and_print(event, c, addresses, NULL, n, json, out);
}

typedef struct WhoamiWait {
        sd_event *event;
        DiscoveryResult result;
} WhoamiWait;

static void on_whoami_done(DiscoveryResult *result, void *userdata) {
        WhoamiWait *w = userdata;

        w->result = *result;
        *result = (DiscoveryResult) {};
        (void) sd_event_exit(w->event, 0);
}

/* Discover=dns, once, on our own event loop. */
static int oneshot_whoami(sd_event *event, const Config *c, DiscoveryResult *ret) {
        WhoamiWait w = { .event = event };
        Whoami *whoami = NULL;
        int r;

        r = whoami_start(event, c, on_whoami_done, &w, &whoami);
        if (r < 0)
                return r;
        r = sd_event_loop(event);
        whoami_free(whoami);
        if (r < 0) {
                discovery_result_done(&w.result);
                return r;
        }
        *ret = w.result;
        return 0;
}

int oneshot_discover_check(const Config *c, bool json, FILE *out) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        DiscoveryResult dns = {}, mta = {}, found = {};
        bool failed = false;
        int r, status = EXIT_UNKNOWN;

        r = sd_event_new(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop"), EXIT_UNKNOWN;
        if (c->discover & DISCOVER_DNS) {
                r = oneshot_whoami(event, c, &dns);
                if (r < 0)
                        log_error_errno(r, "Failed to ask the whoami sources");
        }
        if (c->discover & (DISCOVER_POSTFIX | DISCOVER_EXIM)) {
                r = mta_discover(c, &mta, &failed);
                if (r < 0)
                        log_error_errno(r, "Failed to read the MTA's configuration");
        }
        r = discovery_run(c, &dns, &mta, &found);
        if (r < 0) {
                log_error_errno(r, "Failed to discover the outbound addresses");
                goto finish;
        }
        for (char **n = found.notes; n && *n; n++)
                log_warning("%s", *n);
        if (found.n_addresses == 0) {
                log_error("No outbound address found: set [Watch] Addresses= or check Discover=");
                goto finish;
        }
        status = check_and_print(event, c, found.addresses, found.info, found.n_addresses, json, out);
finish:
        discovery_result_done(&dns);
        discovery_result_done(&mta);
        discovery_result_done(&found);
        return status;
}
