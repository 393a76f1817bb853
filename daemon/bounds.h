/* SPDX-License-Identifier: MIT */
#pragma once

/* Every bound the daemon enforces, in one place. The per-query bounds
 * (queries in flight, PTR names per address, CNAME chain length, state file
 * size) live beside their code: MAX_IN_FLIGHT_LIMIT, VERDICT_PTR_NAMES_MAX,
 * DNS_CNAME_CHAIN_MAX, STATE_FILE_MAX. */

/* Ad-hoc (not watched) addresses kept in the cache; the least recently used
 * one goes first. */
#define ADHOC_CACHE_MAX 1024

/* D-Bus calls waiting for a live check or a refresh, all callers together.
 * dbus-daemon itself allows 128 pending replies per connection and never
 * times them out; beyond this the daemon answers LimitsExceeded at once. */
#define PENDING_REPLIES_MAX 1024

/* Ad-hoc live checks by unprivileged callers: a token bucket per sender. */
#define RATELIMIT_BURST 10
#define RATELIMIT_INTERVAL_USEC (6 * USEC_PER_SEC)     /* one token back every 6 s: 10/min */
#define RATELIMIT_SENDERS_MAX 512

/* Entries of one list key in the configuration (Addresses= and the like),
 * all its assignments together. */
#define CONFIG_LIST_MAX 16384

/* Watched addresses, static and discovered together. */
#define WATCHED_MAX 65536

/* State writes are batched: at most one per this interval. */
#define STATE_SAVE_DELAY_USEC (1 * USEC_PER_SEC)
