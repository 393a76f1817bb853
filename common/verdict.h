/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "address.h"
#include "authority.h"
#include "receivers.h"
#include "timeutil.h"

typedef enum VerdictKind {
        VERDICT_UNKNOWN,
        VERDICT_PASS,
        VERDICT_WARN,
        VERDICT_TEMPERROR,
        VERDICT_FAIL,
        _VERDICT_KIND_MAX,
} VerdictKind;

/* In the order JSON and the journal list them. */
typedef enum Reason {
        REASON_NO_PTR,
        REASON_FORWARD_MISSING,
        REASON_FORWARD_MISMATCH,
        REASON_MULTIPLE_PTR,
        REASON_GENERIC_PTR,
        REASON_HELO_MISMATCH,
        REASON_HELO_INVALID,
        REASON_HELO_NOT_FQDN,
        REASON_HELO_UNRESOLVABLE,
        REASON_INVALID_NAME,
        REASON_SERVFAIL,
        REASON_TIMEOUT,
        _REASON_MAX,
} Reason;

#define REASON_BIT(r) (1u << (r))
/* Reasons that turn a pass into a warn. */
#define REASON_WARNINGS (REASON_BIT(REASON_MULTIPLE_PTR) | REASON_BIT(REASON_GENERIC_PTR) | \
                         REASON_BIT(REASON_HELO_MISMATCH) | REASON_BIT(REASON_INVALID_NAME) | \
                         REASON_HELO_CHECKS)
/* What the HELO checks may add, to a pass (a warn then) or a fail alike. */
#define REASON_HELO_CHECKS (REASON_BIT(REASON_HELO_INVALID) | REASON_BIT(REASON_HELO_NOT_FQDN) | \
                            REASON_BIT(REASON_HELO_UNRESOLVABLE))

/* A temperror is retried after this long first, doubling up to the maximum. */
#define VERDICT_RETRY_MIN_USEC (30 * USEC_PER_SEC)
#define VERDICT_RETRY_MAX_USEC (5 * USEC_PER_MINUTE)

typedef struct Verdict {
        Address address;
        VerdictKind kind;
        unsigned reasons;               /* REASON_BIT()s */
        char **ptr;                     /* every PTR name, lower case, no trailing dot */
        char **confirmed;               /* the ones that forward-confirm */
        char **helo;                    /* the HELO names mail from it is sent with (sorted):
                                         * those checked, persisted; reported as discovered */
        char **sources;                 /* where the address came from: attached when reported */
        unsigned helo_dns;              /* HELO_DNS_*: what DNS said of helo[0] (daemon/helo.h) */
        Prediction *receivers;          /* _RECEIVER_MAX predictions, or NULL */
        Authority *authority;           /* who holds the reverse zone; NULL for a pass */
        char *message;
        usec_t ttl;                     /* how long the data behind it stays valid */
        usec_t checked_at;              /* CLOCK_REALTIME */
        usec_t expires_at;              /* CLOCK_REALTIME */
        bool stale;
        bool watched;
        bool resolver_stale;            /* a fail the zone's own servers no longer give */
        uint32_t predicted_with;        /* daemon: the generation of the rule files receivers came from */
        usec_t resolver_expires_at;     /* CLOCK_REALTIME: when the resolver's copy goes */
} Verdict;

Verdict *verdict_new(const Address *a);
/* A temperror with this message and no times yet: for when no verdict
 * could be made (made ahead, so that making it cannot fail then). */
Verdict *verdict_new_failed(const Address *a, const char *message);
Verdict *verdict_free(Verdict *v);
Verdict *verdict_copy(const Verdict *v);
static inline void verdict_freep(Verdict **v) {
        verdict_free(*v);
}

const char *verdict_kind_to_string(VerdictKind k);
int verdict_kind_from_string(const char *s);
const char *reason_to_string(Reason r);
int reason_from_string(const char *s);
/* The names of the reasons set, in Reason order, in buf (no allocation). */
char **reasons_to_strv(unsigned reasons, const char *buf[static _REASON_MAX + 1]);

/* pass < warn < temperror = unknown < fail */
int verdict_kind_severity(VerdictKind k);
VerdictKind verdict_kind_worst(VerdictKind a, VerdictKind b);
/* The monitoring-plugin exit code: 0 pass, 1 warn, 2 fail, 3 temperror/unknown. */
int verdict_kind_exit_status(VerdictKind k);
