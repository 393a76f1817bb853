/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>

#include "addrmap.h"
#include "identity.h"
#include "verdict.h"

/* The verdict cache: one Entry per address the daemon knows, watched or
 * kept after an ad-hoc check; the last definitive verdict beside the latest
 * temperror (RFC 8767: only an answer replaces a verdict), the retry
 * backoff, serve-stale, the callers waiting for a check, and the LRU order
 * of the ad-hoc entries. No I/O and no clock of its own: every function
 * that needs the time is given it, so that unit tests can drive it. */

typedef struct Entry Entry;
typedef struct Waiter Waiter;
struct Manager;

/* Called when a check the caller waits for is done. */
typedef void (*entry_callback_t)(struct Manager *m, const Entry *e, void *userdata);

struct Waiter {
        entry_callback_t callback;
        void *userdata;
        Waiter *next;
};

struct Entry {
        struct Manager *manager;        /* the owner, for callbacks; the cache never uses it */
        Address address;
        bool watched;
        AddressInfo info;               /* watched: its HELO names and sources, from discovery */
        char *advised_message;          /* the message with advice that takes other verdicts to give */
        Verdict *definitive;            /* the last pass, warn or fail */
        Verdict *failure;               /* the latest temperror, if newer */
        Verdict *unconfirmed;           /* a fail after a pass or warn, until asked again */
        usec_t failing_since;           /* CLOCK_REALTIME, while failure is set */
        usec_t backoff;
        usec_t due;                     /* CLOCK_MONOTONIC: re-check then */
        unsigned queue_idx;             /* the owner's scheduling queue */
        bool checking;
        bool notifying;                 /* its waiters are being called */
        Waiter *waiters;
        Entry *lru_prev, *lru_next;     /* ad-hoc entries only */
        VerdictKind announced_kind;     /* what VerdictChanged last said */
        unsigned announced_reasons;
        bool announced_resolver_stale;
        VerdictKind alerted_kind;       /* what the journal was last told (a resolver_stale fail raises nothing) */
        unsigned alerted_reasons;
};

typedef struct Cache {
        AddrMap entries;
        Entry *lru_head, *lru_tail;     /* ad-hoc entries, most recently used first */
        size_t n_adhoc;
        size_t adhoc_max;
} Cache;

void cache_init(Cache *c, size_t adhoc_max);
/* Frees every entry and its waiters without calling them. */
void cache_done(Cache *c);

Entry *cache_get(const Cache *c, const Address *a);
/* A new ad-hoc entry (most recently used), owned by the cache. */
int cache_add(Cache *c, const Address *a, struct Manager *owner, Entry **ret);
void cache_remove(Cache *c, Entry *e);
/* Mark e most recently used (ad-hoc entries only). */
void cache_touch(Cache *c, Entry *e);
/* Watched entries leave the LRU list and are never evicted. */
void cache_set_watched(Cache *c, Entry *e, bool watched);
/* The least recently used ad-hoc entries beyond adhoc_max, except those
 * being checked or with waiters: calls evict (which must cache_remove them). */
void cache_trim(Cache *c, void (*evict)(Entry *e, void *userdata), void *userdata);

/* Confirmed before alerting: a fail where the last definitive verdict was a
 * pass or warn is held (the entry keeps reporting what it had) and asked
 * again confirm_delay later. Returns true when v was taken and held. A held
 * fail that the next check does not repeat is dropped there. */
bool entry_hold_unconfirmed(Entry *e, Verdict *v, usec_t confirm_delay, usec_t now_mono);

/* The verdict to report: the definitive one (stale while failing and within
 * serve_stale), else the failure, else an "unknown" one in *scratch. */
const Verdict *entry_reported(const Entry *e, usec_t serve_stale, usec_t now_rt,
                              Verdict *scratch, bool *ret_stale);
/* Whether a Check may be answered from the cache without asking DNS: a
 * definitive verdict while it is valid; after a temperror, only while a
 * re-check is under way or the backoff has not yet passed. */
bool entry_is_fresh(const Entry *e, usec_t now_rt, usec_t now_mono);
/* Take in a finished check (the cache owns v then): an answer replaces the
 * definitive verdict, anything else is kept beside it with backoff. Sets
 * e->due. Returns true when the definitive verdict changed. */
bool entry_take_verdict(Entry *e, Verdict *v, usec_t now_mono);
/* When e next needs attention (CLOCK_MONOTONIC): its re-check, or the end
 * of serve-stale, when the reported verdict turns into the temperror. */
usec_t entry_next_event(const Entry *e, usec_t serve_stale, usec_t now_rt, usec_t now_mono);

int entry_add_waiter(Entry *e, entry_callback_t cb, void *userdata);
void entry_pop_waiter(Entry *e);
/* The waiters, most recently added first; the entry has none after. */
Waiter *entry_take_waiters(Entry *e);

/* The next backoff step after prev (0: the first): VERDICT_RETRY_MIN_USEC,
 * doubling up to VERDICT_RETRY_MAX_USEC. */
usec_t cache_backoff_next(usec_t prev);
