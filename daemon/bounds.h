/* SPDX-License-Identifier: MIT */
#pragma once

/* Every bound the daemon enforces, in one place. The per-query bounds
 * (queries in flight, PTR names per address, CNAME chain length, state file
 * size) live beside their code: MAX_IN_FLIGHT_LIMIT, VERDICT_PTR_NAMES_MAX,
 * DNS_CNAME_CHAIN_MAX, STATE_FILE_MAX. */

/* Ad-hoc (not watched) addresses kept in the cache; the least recently used
 * one goes first. */
#define ADHOC_CACHE_MAX 1024

/* D-Bus calls waiting for a live check, all callers together. dbus-daemon
 * itself allows 128 pending replies per connection and never times out. */
#define PENDING_REPLIES_MAX 4096

/* Ad-hoc live checks by unprivileged callers: a token bucket per sender. */
#define RATELIMIT_BURST 10
#define RATELIMIT_INTERVAL_USEC (6 * USEC_PER_SEC)     /* one token back every 6 s: 10/min */
#define RATELIMIT_SENDERS_MAX 512

/* Watched addresses, static and discovered together. */
#define WATCHED_MAX 65536

/* State writes are batched: at most one per this interval. */
#define STATE_SAVE_DELAY_USEC (1 * USEC_PER_SEC)
