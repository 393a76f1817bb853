/* SPDX-License-Identifier: MIT */
/* The verdict cache with a clock of the test's own: backoff steps, the
 * serve-stale window, when a cached verdict may answer a Check, LRU
 * eviction order, shared lookups (waiters). Links neither getdns nor sd-bus. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cache.h"
#include "macro.h"

#define RT0   (1795000000ULL * USEC_PER_SEC)    /* CLOCK_REALTIME at the start */
#define MONO0 (1000ULL * USEC_PER_SEC)          /* CLOCK_MONOTONIC at the start */
#define STALE USEC_PER_DAY

static Address addr(const char *s) {
        Address a;
        assert_int_equal(address_parse(s, &a, NULL), 0);
        return a;
}

static Verdict *verdict(const Address *a, VerdictKind kind, usec_t checked_at, usec_t ttl) {
        Verdict *v = verdict_new(a);
        assert_non_null(v);
        v->kind = kind;
        v->checked_at = checked_at;
        v->ttl = ttl;
        v->expires_at = checked_at + ttl;
        return v;
}

static void test_backoff_steps(void **state) {
        static const usec_t expected[] = { 30, 60, 120, 240, 300, 300, 300 };
        usec_t b = 0;

        for (size_t i = 0; i < ELEMENTSOF(expected); i++) {
                b = cache_backoff_next(b);
                assert_int_equal(b, expected[i] * USEC_PER_SEC);
        }
}

/* Confirmed before alerting: a fail after a pass is held and asked again
 * later; the next answer settles it either way. */
static void test_hold_unconfirmed(void **state) {
        const usec_t delay = 30 * USEC_PER_SEC, ttl = 600 * USEC_PER_SEC;
        Address a = addr("192.0.2.10");
        Entry e = { .address = a };
        Verdict scratch, *fail;

        /* nothing to hold before a pass, nor with ConfirmDelay=0 */
        fail = verdict(&a, VERDICT_FAIL, RT0, ttl);
        assert_false(entry_hold_unconfirmed(&e, fail, delay, MONO0));
        verdict_free(fail);
        assert_true(entry_take_verdict(&e, verdict(&a, VERDICT_PASS, RT0, ttl), MONO0));
        fail = verdict(&a, VERDICT_FAIL, RT0 + 1, ttl);
        assert_false(entry_hold_unconfirmed(&e, fail, 0, MONO0 + 1));
        /* held: the pass is still what is reported, asked again after the delay */
        assert_true(entry_hold_unconfirmed(&e, fail, delay, MONO0 + 1));
        assert_ptr_equal(e.unconfirmed, fail);
        assert_int_equal(e.due, MONO0 + 1 + delay);
        assert_int_equal(entry_reported(&e, STALE, RT0 + 1, &scratch, NULL)->kind, VERDICT_PASS);
        /* a second fail while one is held is not held again: it is the answer */
        Verdict *again = verdict(&a, VERDICT_FAIL, RT0 + 2, ttl);
        assert_false(entry_hold_unconfirmed(&e, again, delay, MONO0 + delay));
        assert_true(entry_take_verdict(&e, again, MONO0 + delay));
        assert_null(e.unconfirmed);
        assert_int_equal(entry_reported(&e, STALE, RT0 + 2, &scratch, NULL)->kind, VERDICT_FAIL);
        /* from a fail, a fail is not held (nothing to confirm) */
        fail = verdict(&a, VERDICT_FAIL, RT0 + 3, ttl);
        assert_false(entry_hold_unconfirmed(&e, fail, delay, MONO0 + delay));
        verdict_free(fail);
        /* a held fail that does not repeat is dropped by the next answer */
        assert_true(entry_take_verdict(&e, verdict(&a, VERDICT_WARN, RT0 + 4, ttl), MONO0));
        fail = verdict(&a, VERDICT_FAIL, RT0 + 5, ttl);
        assert_true(entry_hold_unconfirmed(&e, fail, delay, MONO0));
        assert_true(entry_take_verdict(&e, verdict(&a, VERDICT_PASS, RT0 + 6, ttl), MONO0 + delay));
        assert_null(e.unconfirmed);
        assert_int_equal(e.definitive->kind, VERDICT_PASS);
        verdict_free(e.definitive);
}

/* An answer, then an outage: the answer is served stale within ServeStale,
 * the temperror after it; the backoff doubles; an answer ends it all. */
static void test_serve_stale_window(void **state) {
        Address a = addr("192.0.2.10");
        Entry e = { .address = a };
        Verdict scratch;
        bool stale;

        assert_true(entry_take_verdict(&e, verdict(&a, VERDICT_PASS, RT0, 600 * USEC_PER_SEC), MONO0));
        assert_int_equal(e.due, MONO0 + 600 * USEC_PER_SEC);
        assert_ptr_equal(entry_reported(&e, STALE, RT0, &scratch, &stale), e.definitive);
        assert_false(stale);

        /* the first temperror at RT0 + 700 s */
        usec_t t1 = RT0 + 700 * USEC_PER_SEC, m1 = MONO0 + 700 * USEC_PER_SEC;
        assert_false(entry_take_verdict(&e, verdict(&a, VERDICT_TEMPERROR, t1, 0), m1));
        assert_non_null(e.definitive);
        assert_int_equal(e.failing_since, t1);
        assert_int_equal(e.due, m1 + 30 * USEC_PER_SEC);
        assert_int_equal(e.failure->ttl, 30 * USEC_PER_SEC);
        assert_int_equal(entry_reported(&e, STALE, t1, &scratch, &stale)->kind, VERDICT_PASS);
        assert_true(stale);

        /* a second one: backoff doubles, failing_since stays */
        usec_t t2 = t1 + 30 * USEC_PER_SEC;
        assert_false(entry_take_verdict(&e, verdict(&a, VERDICT_TEMPERROR, t2, 0), m1 + 30 * USEC_PER_SEC));
        assert_int_equal(e.failing_since, t1);
        assert_int_equal(e.backoff, 60 * USEC_PER_SEC);

        /* serve-stale ends exactly ServeStale after the outage began */
        assert_true(stale);
        assert_int_equal(entry_reported(&e, STALE, t1 + STALE - 1, &scratch, &stale)->kind, VERDICT_PASS);
        assert_true(stale);
        assert_int_equal(entry_reported(&e, STALE, t1 + STALE, &scratch, &stale)->kind, VERDICT_TEMPERROR);
        assert_false(stale);
        /* and the next event says when */
        e.due = USEC_INFINITY;
        assert_int_equal(entry_next_event(&e, STALE, t2, MONO0), MONO0 + (t1 + STALE - t2));
        /* ServeStale=0: no stale serving at all */
        assert_int_equal(entry_reported(&e, 0, t2, &scratch, &stale)->kind, VERDICT_TEMPERROR);

        /* an answer replaces both and resets the backoff */
        assert_true(entry_take_verdict(&e, verdict(&a, VERDICT_FAIL, t2, 300 * USEC_PER_SEC), MONO0));
        assert_null(e.failure);
        assert_int_equal(e.backoff, 0);
        assert_int_equal(e.failing_since, 0);
        assert_int_equal(entry_reported(&e, STALE, t2, &scratch, &stale)->kind, VERDICT_FAIL);
        verdict_free(e.definitive);
}

/* #10.3: after a temperror a cached verdict answers only while a re-check
 * runs or the backoff has not passed, never instead of asking again. */
static void test_fresh_only_within_backoff(void **state) {
        Address a = addr("192.0.2.11");
        Entry e = { .address = a };

        assert_false(entry_is_fresh(&e, RT0, MONO0));   /* never checked */
        entry_take_verdict(&e, verdict(&a, VERDICT_PASS, RT0, 60 * USEC_PER_SEC), MONO0);
        assert_true(entry_is_fresh(&e, RT0 + 59 * USEC_PER_SEC, MONO0));
        assert_false(entry_is_fresh(&e, RT0 + 60 * USEC_PER_SEC, MONO0));

        entry_take_verdict(&e, verdict(&a, VERDICT_TEMPERROR, RT0 + 61 * USEC_PER_SEC, 0), MONO0);
        assert_true(entry_is_fresh(&e, RT0 + 62 * USEC_PER_SEC, MONO0 + 29 * USEC_PER_SEC));
        assert_false(entry_is_fresh(&e, RT0 + 62 * USEC_PER_SEC, MONO0 + 30 * USEC_PER_SEC));
        e.checking = true;
        assert_true(entry_is_fresh(&e, RT0 + 62 * USEC_PER_SEC, MONO0 + 31 * USEC_PER_SEC));
        verdict_free(e.definitive);
        verdict_free(e.failure);
}

/* #10.7: a verdict that is no answer (unknown, as out of memory once made)
 * never becomes the definitive one, and is retried with backoff. */
static void test_unknown_is_no_answer(void **state) {
        Address a = addr("192.0.2.12");
        Entry e = { .address = a };

        assert_false(entry_take_verdict(&e, verdict(&a, VERDICT_UNKNOWN, RT0, 0), MONO0));
        assert_null(e.definitive);
        assert_non_null(e.failure);
        assert_int_equal(e.due, MONO0 + 30 * USEC_PER_SEC);
        verdict_free(e.failure);
}

static int n_evicted;
static void on_evict(Entry *e, void *userdata) {
        Cache *c = userdata;
        n_evicted++;
        cache_remove(c, e);
}

static void test_lru_eviction_order(void **state) {
        Cache c;
        Entry *e[5];
        char s[32];

        cache_init(&c, 3);
        for (int i = 0; i < 5; i++) {
                Address a;
                snprintf(s, sizeof s, "192.0.2.%d", 20 + i);
                a = addr(s);
                assert_int_equal(cache_add(&c, &a, NULL, &e[i]), 0);
        }
        assert_int_equal(cache_add(&c, &e[0]->address, NULL, &e[0]), -EEXIST);
        assert_int_equal(c.n_adhoc, 5);

        /* .20 used again; .21 is being checked; .22 watched */
        cache_touch(&c, e[0]);
        e[1]->checking = true;
        cache_set_watched(&c, e[2], true);
        assert_int_equal(c.n_adhoc, 4);

        /* least recently used first: .23, then .24 would go, .21 is spared */
        n_evicted = 0;
        cache_trim(&c, on_evict, &c);
        assert_int_equal(n_evicted, 1);
        Address gone = addr("192.0.2.23");
        assert_null(cache_get(&c, &gone));
        assert_non_null(cache_get(&c, &e[1]->address));
        assert_non_null(cache_get(&c, &e[0]->address));
        assert_ptr_equal(c.lru_head, e[0]);
        cache_done(&c);
}

static int calls[3];
static void on_done(struct Manager *m, const Entry *e, void *userdata) {
        calls[(intptr_t) userdata]++;
}

static void test_waiters_shared(void **state) {
        Cache c;
        Address a = addr("192.0.2.30");
        Entry *e;
        Waiter *w;
        int n = 0;

        cache_init(&c, 1);
        assert_int_equal(cache_add(&c, &a, NULL, &e), 0);
        for (intptr_t i = 0; i < 3; i++)
                assert_int_equal(entry_add_waiter(e, on_done, (void *) i), 0);
        entry_pop_waiter(e);            /* the last one could not be queued */
        w = entry_take_waiters(e);
        assert_null(e->waiters);
        while (w) {
                Waiter *next = w->next;
                w->callback(NULL, e, w->userdata);
                free(w);
                w = next;
                n++;
        }
        assert_int_equal(n, 2);
        assert_int_equal(calls[0] + calls[1] + calls[2], 2);
        assert_int_equal(calls[2], 0);

        /* an entry with waiters is never evicted, even as the least
         * recently used: the next one goes instead */
        Address b = addr("192.0.2.31");
        Entry *f;
        assert_int_equal(cache_add(&c, &b, NULL, &f), 0);
        assert_int_equal(entry_add_waiter(e, on_done, NULL), 0);
        assert_ptr_equal(c.lru_tail, e);
        n_evicted = 0;
        cache_trim(&c, on_evict, &c);
        assert_int_equal(n_evicted, 1);
        assert_ptr_equal(cache_get(&c, &a), e);
        assert_null(cache_get(&c, &b));
        cache_done(&c);                 /* frees the waiter without calling it */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_backoff_steps),
                cmocka_unit_test(test_hold_unconfirmed),
                cmocka_unit_test(test_serve_stale_window),
                cmocka_unit_test(test_fresh_only_within_backoff),
                cmocka_unit_test(test_unknown_is_no_answer),
                cmocka_unit_test(test_lru_eviction_order),
                cmocka_unit_test(test_waiters_shared),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
