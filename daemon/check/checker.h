/* SPDX-License-Identifier: MIT */
#pragma once

#include "resolver.h"
#include "trace.h"
#include "evaluate.h"

typedef struct Checker Checker;

/* Receives the verdict and owns it from then on. */
typedef void (*checker_callback_t)(Verdict *v, void *userdata);

/* The check engine: PTR of the reverse name, then A or AAAA of every PTR
 * name (up to VERDICT_PTR_NAMES_MAX), then the verdict. The resolver and the
 * policy must outlive the checker. */
int checker_new(Resolver *resolver, const VerdictPolicy *policy, Checker **ret);
/* Drops checks in progress without calling back. */
Checker *checker_free(Checker *c);

/* Never calls back from inside this call. */
/* helo: the HELO names mail from a is sent with, sorted (NULL: none). */
/* ask_zone: a fail is asked of the reverse zone's own name server too
 * (resolver_stale): for watched addresses, not for every ad-hoc question. */
int checker_check(Checker *c, const Address *a, char * const *helo, bool ask_zone, checker_callback_t callback,
                  void *userdata);
/* The same, telling trace of every answer as it comes (ptrwatch explain). */
int checker_check_traced(Checker *c, const Address *a, char * const *helo, bool ask_zone, trace_hook_t trace,
                         void *trace_userdata, checker_callback_t callback, void *userdata);
size_t checker_in_progress(const Checker *c);

static inline void checker_freep(Checker **c) {
        checker_free(*c);
}
