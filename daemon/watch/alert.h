/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "verdict.h"

/* The conditions an administrator is told about, each with a fixed
 * MESSAGE_ID that systemd/ptrwatch.catalog explains. */
typedef enum AlertCondition {
        ALERT_NO_PTR,
        ALERT_FORWARD_MISMATCH,
        ALERT_FORWARD_MISSING,
        ALERT_INVALID_NAME,
        ALERT_GENERIC_PTR,
        ALERT_MULTIPLE_PTR,
        ALERT_HELO_MISMATCH,
        ALERT_HELO_INVALID,
        ALERT_HELO_NOT_FQDN,
        ALERT_HELO_UNRESOLVABLE,
        ALERT_DNS_UNREACHABLE,
        ALERT_RECOVERED,
        _ALERT_CONDITION_MAX,
        ALERT_NONE = -1,
} AlertCondition;

typedef struct AlertInfo {
        const char *message_id;         /* 32 hex digits */
        int priority;                   /* syslog level */
        const char *name;
} AlertInfo;

const AlertInfo *alert_info(AlertCondition c);

/* Which condition the move from old to new (reported verdicts) is, if any:
 * one entry per transition, and the first verdict only when it is not pass. */
AlertCondition alert_condition(const Verdict *old, const Verdict *new);

/* To the journal when its socket exists (decided once, at the first call),
 * else to stderr with a "<N>" priority prefix. */
void alert_emit(AlertCondition c, const Verdict *old, const Verdict *new);
