/* SPDX-License-Identifier: MIT */
#include <syslog.h>

#include "alert.h"
#include "macro.h"
#include "strv.h"

static const AlertInfo alerts[_ALERT_CONDITION_MAX] = {
        [ALERT_NO_PTR]          = { "bbbec62c92b8499299cb2d6d1ab7b0fd", LOG_ERR,     "no-ptr" },
        [ALERT_FORWARD_MISMATCH] = { "27a7df10ac374a70bdef9a93ba858afe", LOG_ERR,    "forward-mismatch" },
        [ALERT_FORWARD_MISSING] = { "02f4653024df4f3686f6f313d155bf74", LOG_ERR,     "forward-missing" },
        [ALERT_INVALID_NAME]    = { "b2d153943a7a4b9294d9381a58108cde", LOG_ERR,     "invalid-name" },
        [ALERT_GENERIC_PTR]     = { "3ca1a2b9d6234a3e996ebb56c74a7630", LOG_WARNING, "generic-ptr" },
        [ALERT_MULTIPLE_PTR]    = { "bc174f8ea5b34c43bf98469919cce83f", LOG_WARNING, "multiple-ptr" },
        [ALERT_HELO_MISMATCH]   = { "6277a3e16b374095ac124c4f34d80377", LOG_WARNING, "helo-mismatch" },
        [ALERT_HELO_INVALID]    = { "89ea24cc757c4116ad98a71be12ce4ee", LOG_WARNING, "helo-invalid" },
        [ALERT_HELO_NOT_FQDN]   = { "f9c30fb61f0a42d2b1a96a875e62b15e", LOG_WARNING, "helo-not-fqdn" },
        [ALERT_HELO_UNRESOLVABLE] = { "f49111aaeb3149b5a477c93d4b9531f4", LOG_WARNING, "helo-unresolvable" },
        [ALERT_DNS_UNREACHABLE] = { "8726cb69fc2a457ea5ddbe511511de58", LOG_WARNING, "dns-unreachable" },
        [ALERT_RECOVERED]       = { "9985ef86e31345f8bb9a1099cbbb6318", LOG_NOTICE,  "recovered" },
};

const AlertInfo *alert_info(AlertCondition c) {
        return c >= 0 && c < _ALERT_CONDITION_MAX ? &alerts[c] : NULL;
}

/* The condition a verdict stands for: its most telling reason. */
static AlertCondition condition_of(const Verdict *v) {
        static const struct {
                Reason reason;
                AlertCondition condition;
        } by_reason[] = {
                { REASON_NO_PTR,           ALERT_NO_PTR },
                { REASON_FORWARD_MISMATCH, ALERT_FORWARD_MISMATCH },
                { REASON_FORWARD_MISSING,  ALERT_FORWARD_MISSING },
                { REASON_INVALID_NAME,     ALERT_INVALID_NAME },
                { REASON_GENERIC_PTR,      ALERT_GENERIC_PTR },
                { REASON_MULTIPLE_PTR,     ALERT_MULTIPLE_PTR },
                { REASON_HELO_INVALID,     ALERT_HELO_INVALID },
                { REASON_HELO_NOT_FQDN,    ALERT_HELO_NOT_FQDN },
                { REASON_HELO_UNRESOLVABLE, ALERT_HELO_UNRESOLVABLE },
                { REASON_HELO_MISMATCH,    ALERT_HELO_MISMATCH },
        };

        switch (v->kind) {
        case VERDICT_PASS:
                return ALERT_RECOVERED;
        case VERDICT_TEMPERROR:
                return ALERT_DNS_UNREACHABLE;
        case VERDICT_WARN:
        case VERDICT_FAIL:
                /* A warn's invalid-name is the lesser problem: a valid name confirmed. */
                for (size_t i = 0; i < ELEMENTSOF(by_reason); i++)
                        if ((v->reasons & REASON_BIT(by_reason[i].reason)) &&
                            !(v->kind == VERDICT_WARN && by_reason[i].reason == REASON_INVALID_NAME &&
                              (v->reasons & ~REASON_BIT(REASON_INVALID_NAME))))
                                return by_reason[i].condition;
                return v->kind == VERDICT_FAIL ? ALERT_FORWARD_MISSING : ALERT_MULTIPLE_PTR;
        default:
                return ALERT_NONE;
        }
}

AlertCondition alert_condition(const Verdict *old, const Verdict *new) {
        VerdictKind was = old ? old->kind : VERDICT_UNKNOWN;

        if (!new || new->kind == VERDICT_UNKNOWN)
                return ALERT_NONE;
        if (was == new->kind && old && old->reasons == new->reasons)
                return ALERT_NONE;                      /* a re-check, not a transition */
        if (was == VERDICT_TEMPERROR && new->kind == VERDICT_TEMPERROR)
                return ALERT_NONE;                      /* servfail <-> timeout: still the same outage */
        if (new->kind == VERDICT_PASS)
                return was == VERDICT_UNKNOWN ? ALERT_NONE : ALERT_RECOVERED;
        if (new->kind == VERDICT_FAIL && new->resolver_stale)
                return ALERT_NONE;                      /* fixed already: the resolver's copy is old */
        return condition_of(new);
}
