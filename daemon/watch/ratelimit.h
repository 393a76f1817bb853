/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bounds.h"
#include "timeutil.h"

/* What one unprivileged user may ask of the daemon, keyed by UID (not by
 * bus connection: a new connection is free, a new UID is not): a token
 * bucket for live checks, and a share of the pool of calls waiting for DNS.
 * Root and the daemon's own user are never rate-limited and may also use
 * the room kept free for them. No I/O; the time is passed in. */

typedef struct CallerLimit {
        uid_t uid;
        bool used;
        double tokens;
        usec_t updated;                 /* CLOCK_MONOTONIC */
        unsigned pending;               /* its calls waiting for DNS */
} CallerLimit;

typedef struct RateLimit {
        CallerLimit callers[RATELIMIT_USERS_MAX];
        unsigned pending;               /* all waiting calls, privileged ones included */
        unsigned pending_unprivileged;
} RateLimit;

/* A live check by an unprivileged uid: true when its bucket has a token
 * (RATELIMIT_BURST, then one per RATELIMIT_INTERVAL_USEC). */
bool ratelimit_allow(RateLimit *l, uid_t uid, usec_t now_mono);

/* A call about to wait for DNS: 0, or -EBUSY when the pool (or, for an
 * unprivileged uid, its share) is full. Each success is paired with one
 * ratelimit_release(). */
int ratelimit_take_pending(RateLimit *l, uid_t uid, bool privileged);
void ratelimit_release_pending(RateLimit *l, uid_t uid, bool privileged);
