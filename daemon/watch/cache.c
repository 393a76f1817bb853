/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "cache.h"
#include "macro.h"
#include "prioq.h"

void cache_init(Cache *c, size_t adhoc_max) {
        *c = (Cache) { .adhoc_max = adhoc_max };
}

Entry *cache_get(const Cache *c, const Address *a) {
        return addrmap_get(&c->entries, a);
}

static void lru_unlink(Cache *c, Entry *e) {
        if (e->lru_prev)
                e->lru_prev->lru_next = e->lru_next;
        else if (c->lru_head == e)
                c->lru_head = e->lru_next;
        else
                return;                 /* not in the list */
        if (e->lru_next)
                e->lru_next->lru_prev = e->lru_prev;
        else
                c->lru_tail = e->lru_prev;
        e->lru_prev = e->lru_next = NULL;
        c->n_adhoc--;
}

static void lru_push_front(Cache *c, Entry *e) {
        e->lru_prev = NULL;
        e->lru_next = c->lru_head;
        if (c->lru_head)
                c->lru_head->lru_prev = e;
        c->lru_head = e;
        if (!c->lru_tail)
                c->lru_tail = e;
        c->n_adhoc++;
}

int cache_add(Cache *c, const Address *a, struct Manager *owner, Entry **ret) {
        Entry *e = calloc(1, sizeof(Entry));
        int r;

        if (!e)
                return -ENOMEM;
        *e = (Entry) { .manager = owner, .address = *a, .queue_idx = PRIOQ_IDX_NULL,
                       .announced_kind = VERDICT_UNKNOWN,
                       .alerted_kind = VERDICT_UNKNOWN };
        r = addrmap_put(&c->entries, a, e);
        if (r < 0) {
                free(e);
                return r;
        }
        lru_push_front(c, e);
        *ret = e;
        return 0;
}

static void entry_destroy(Cache *c, Entry *e) {
        lru_unlink(c, e);
        while (e->waiters)
                entry_pop_waiter(e);
        verdict_free(e->definitive);
        verdict_free(e->failure);
        verdict_free(e->unconfirmed);
        address_info_done(&e->info);
        free(e->advised_message);
        free(e);
}

void cache_remove(Cache *c, Entry *e) {
        addrmap_remove(&c->entries, &e->address);
        entry_destroy(c, e);
}

void cache_done(Cache *c) {
        void *value;

        for (AddrMapIter i = {}; addrmap_next(&c->entries, &i, &value); )
                entry_destroy(c, value);        /* the map goes as a whole below */
        addrmap_done(&c->entries);
        *c = (Cache) { .adhoc_max = c->adhoc_max };
}

void cache_touch(Cache *c, Entry *e) {
        if (e->watched)
                return;
        lru_unlink(c, e);
        lru_push_front(c, e);
}

void cache_set_watched(Cache *c, Entry *e, bool watched) {
        e->watched = watched;
        if (watched)
                lru_unlink(c, e);
        else if (!e->lru_prev && c->lru_head != e)
                lru_push_front(c, e);
}

void cache_trim(Cache *c, void (*evict)(Entry *e, void *userdata), void *userdata) {
        for (Entry *e = c->lru_tail, *prev; e && c->n_adhoc > c->adhoc_max; e = prev) {
                prev = e->lru_prev;
                if (!e->checking && !e->waiters && !e->notifying)
                        evict(e, userdata);
        }
}

const Verdict *entry_reported(const Entry *e, usec_t serve_stale, usec_t now_rt,
                              Verdict *scratch, bool *ret_stale) {
        bool stale = false;
        const Verdict *v;

        if (e->failure) {
                /* RFC 8767: serve the last answer through an outage, for a while. */
                if (e->definitive && now_rt < e->failing_since + serve_stale) {
                        v = e->definitive;
                        stale = true;
                } else
                        v = e->failure;
        } else if (e->definitive)
                v = e->definitive;
        else {
                *scratch = (Verdict) { .address = e->address, .kind = VERDICT_UNKNOWN };
                v = scratch;
        }
        if (ret_stale)
                *ret_stale = stale;
        return v;
}

bool entry_is_fresh(const Entry *e, usec_t now_rt, usec_t now_mono) {
        if (e->failure)
                return e->checking || now_mono < e->due;
        return e->definitive && now_rt < e->definitive->expires_at;
}

usec_t cache_backoff_next(usec_t prev) {
        return prev ? MIN(2 * prev, VERDICT_RETRY_MAX_USEC) : VERDICT_RETRY_MIN_USEC;
}

bool entry_hold_unconfirmed(Entry *e, Verdict *v, usec_t confirm_delay, usec_t now_mono) {
        if (confirm_delay == 0 || v->kind != VERDICT_FAIL || e->unconfirmed || !e->definitive ||
            (e->definitive->kind != VERDICT_PASS && e->definitive->kind != VERDICT_WARN))
                return false;
        e->unconfirmed = v;
        e->due = now_mono + confirm_delay;
        return true;
}

bool entry_take_verdict(Entry *e, Verdict *v, usec_t now_mono) {
        /* the next answer settles a held fail: repeated, it is taken below */
        e->unconfirmed = verdict_free(e->unconfirmed);
        v->watched = e->watched;
        /* Anything but pass, warn or fail is no answer. */
        if (v->kind != VERDICT_PASS && v->kind != VERDICT_WARN && v->kind != VERDICT_FAIL) {
                if (!e->failure)
                        e->failing_since = v->checked_at;
                e->backoff = cache_backoff_next(e->backoff);
                v->ttl = e->backoff;
                v->expires_at = v->checked_at + v->ttl;
                verdict_free(e->failure);
                e->failure = v;
                e->due = now_mono + e->backoff;
                return false;
        }
        verdict_free(e->definitive);
        verdict_free(e->failure);
        e->definitive = v;
        e->failure = NULL;
        e->failing_since = 0;
        e->backoff = 0;
        e->due = now_mono + v->ttl;
        return true;
}

usec_t entry_next_event(const Entry *e, usec_t serve_stale, usec_t now_rt, usec_t now_mono) {
        usec_t t = e->checking ? USEC_INFINITY : e->due;

        if (e->failure && e->definitive) {
                usec_t end = e->failing_since + serve_stale;
                if (end > now_rt)
                        t = MIN(t, now_mono + (end - now_rt));
        }
        return t;
}

int entry_add_waiter(Entry *e, entry_callback_t cb, void *userdata) {
        Waiter *w = malloc(sizeof(Waiter));

        if (!w)
                return -ENOMEM;
        *w = (Waiter) { .callback = cb, .userdata = userdata, .next = e->waiters };
        e->waiters = w;
        return 0;
}

void entry_pop_waiter(Entry *e) {
        Waiter *w = e->waiters;

        e->waiters = w->next;
        free(w);
}

Waiter *entry_take_waiters(Entry *e) {
        return TAKE_PTR(e->waiters);
}
