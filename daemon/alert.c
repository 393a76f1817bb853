/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "alert.h"
#include "log.h"
#include "macro.h"
#include "strv.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static const AlertInfo alerts[_ALERT_CONDITION_MAX] = {
        [ALERT_NO_PTR]          = { "bbbec62c92b8499299cb2d6d1ab7b0fd", LOG_ERR,     "no-ptr" },
        [ALERT_FORWARD_MISMATCH] = { "27a7df10ac374a70bdef9a93ba858afe", LOG_ERR,    "forward-mismatch" },
        [ALERT_FORWARD_MISSING] = { "02f4653024df4f3686f6f313d155bf74", LOG_ERR,     "forward-missing" },
        [ALERT_INVALID_NAME]    = { "b2d153943a7a4b9294d9381a58108cde", LOG_ERR,     "invalid-name" },
        [ALERT_GENERIC_PTR]     = { "3ca1a2b9d6234a3e996ebb56c74a7630", LOG_WARNING, "generic-ptr" },
        [ALERT_MULTIPLE_PTR]    = { "bc174f8ea5b34c43bf98469919cce83f", LOG_WARNING, "multiple-ptr" },
        [ALERT_HELO_MISMATCH]   = { "6277a3e16b374095ac124c4f34d80377", LOG_WARNING, "helo-mismatch" },
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
        if (new->kind == VERDICT_PASS)
                return was == VERDICT_UNKNOWN ? ALERT_NONE : ALERT_RECOVERED;
        return condition_of(new);
}

static char *reasons_string(const Verdict *v) {
        char *s = NULL;

        for (Reason r = 0; r < _REASON_MAX; r++)
                if ((v->reasons & REASON_BIT(r)) && strextendf(&s, "%s%s", s ? " " : "", reason_to_string(r)) < 0) {
                        free(s);
                        return NULL;
                }
        return s ? s : strdup("");
}

void alert_emit(AlertCondition c, const Verdict *old, const Verdict *new) {
        static int use_journal = -1;
        const AlertInfo *info = alert_info(c);
        _cleanup_free_ char *reasons = NULL, *ptr = NULL, *message = NULL;
        char addr[ADDRESS_STRING_MAX];
        const char *was = verdict_kind_to_string(old ? old->kind : VERDICT_UNKNOWN);

        if (!info || !new)
                return;
        if (use_journal < 0)
                use_journal = access(JOURNAL_SOCKET, W_OK) >= 0;

        address_to_string(&new->address, addr);
        reasons = reasons_string(new);
        ptr = strv_join(new->ptr, " ");
        if (c == ALERT_RECOVERED)
                (void) strextendf(&message, "Reverse DNS of %s recovered (%s, was %s): %s",
                                  addr, verdict_kind_to_string(new->kind), was, new->message ? new->message : "");
        else if (c == ALERT_DNS_UNREACHABLE)
                (void) strextendf(&message, "Reverse DNS of %s cannot be checked: %s", addr,
                                  new->message ? new->message : "DNS does not answer");
        else
                (void) strextendf(&message, "%s", new->message ? new->message : "");
        if (!message || !reasons || !ptr) {
                log_error("Out of memory writing an alert for %s", addr);
                return;
        }

        if (use_journal) {
                int r = sd_journal_send("MESSAGE=%s", message,
                                        "MESSAGE_ID=%s", info->message_id,
                                        "PRIORITY=%i", info->priority,
                                        "SYSLOG_IDENTIFIER=ptrwatchd",
                                        "PTRWATCH_ADDRESS=%s", addr,
                                        "PTRWATCH_VERDICT=%s", verdict_kind_to_string(new->kind),
                                        "PTRWATCH_OLD_VERDICT=%s", was,
                                        "PTRWATCH_REASONS=%s", reasons,
                                        "PTRWATCH_PTR=%s", ptr,
                                        NULL);
                if (r >= 0)
                        return;
                log_warning("Failed to write to the journal: %s; using stderr", strerror(-r));
        }
        fprintf(stderr, "<%d>%s\n", info->priority, message);
}
