/* SPDX-License-Identifier: MIT */
#pragma once

#include "timeutil.h"

/* The bounds on what callers and the configuration can make the daemon hold.
 * Others live beside their code: MAX_IN_FLIGHT_LIMIT (config.h),
 * VERDICT_PTR_NAMES_MAX (evaluate.h), DNS_CNAME_CHAIN_MAX (dnsreply.h),
 * STATE_FILE_MAX and STATE_ENTRIES_MAX (state.h), the time-span limits of
 * the configuration (config.c). */

/* Ad-hoc (not watched) addresses kept in the cache; the least recently used
 * one goes first. */
#define ADHOC_CACHE_MAX 1024

/* D-Bus calls waiting for a live check or a refresh, all callers together.
 * dbus-daemon itself allows 128 pending replies per connection and never
 * times them out; beyond this the daemon answers LimitsExceeded at once.
 * Unprivileged users share what root and ptrwatchd leave free, each UID at
 * most its own share, so that no user can starve root's calls. */
#define PENDING_REPLIES_MAX 1024
#define PENDING_RESERVED_PRIVILEGED 256
#define PENDING_PER_USER_MAX 64

/* Verdicts in one reply. dbus-daemon's default limit for a message on the
 * system bus is 32 MiB, and a verdict with the receivers' predictions takes
 * about 1,450 bytes (tests/bench/scale.py measures it): 4,096 take about
 * 6 MB, a fifth of the limit, with room for verdicts several times longer.
 * GetVerdicts refuses beyond it, ListVerdicts pages. */
#define VERDICTS_PER_REPLY_MAX 4096

/* Ad-hoc live checks by unprivileged callers: a token bucket per UID. */
#define RATELIMIT_BURST 10
#define RATELIMIT_INTERVAL_USEC (6 * USEC_PER_SEC)     /* one token back every 6 s: 10/min */
#define RATELIMIT_USERS_MAX 512

/* Entries of one list key in the configuration (Addresses= and the like),
 * all its assignments together. */
#define CONFIG_LIST_MAX 131072

/* Checks of watched addresses running at once; the rest wait, due, in the
 * scheduler's queue: 100,000 at once would hold their lookups all together.
 * A caller's Check is never made to wait behind them. */
#define CHECKS_IN_PROGRESS_MAX 1024

/* The log names the watched addresses up to this many, else counts them. */
#define WATCHED_LISTED_MAX 16

/* Watched addresses, static and discovered together. */
#define WATCHED_MAX 131072

/* State writes are batched: at most one per this interval. */
#define STATE_SAVE_DELAY_USEC (1 * USEC_PER_SEC)
/* ... plus this per watched address: 100 s with 100,000 of them. */
#define STATE_SAVE_DELAY_PER_ADDRESS_USEC USEC_PER_MSEC
