/* SPDX-License-Identifier: MIT */
/* The per-user limits, the priority queue, the address map and the alert
 * conditions: the daemon's pure logic that only the network tests reached
 * before. Links neither getdns nor sd-bus. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "addrmap.h"
#include "alert.h"
#include "macro.h"
#include "prioq.h"
#include "ratelimit.h"

#define T0 (1000ULL * USEC_PER_SEC)

/* A burst, then one check per interval; per UID, so that reconnecting buys
 * nothing (#14.6); another UID has its own bucket. */
static void test_ratelimit_bucket(void **state) {
        RateLimit *l = calloc(1, sizeof(RateLimit));
        int allowed = 0;

        assert_non_null(l);
        for (int i = 0; i < 100; i++)
                allowed += ratelimit_allow(l, 1000, T0);
        assert_int_equal(allowed, RATELIMIT_BURST);
        assert_false(ratelimit_allow(l, 1000, T0 + RATELIMIT_INTERVAL_USEC - 1));
        assert_true(ratelimit_allow(l, 1000, T0 + RATELIMIT_INTERVAL_USEC));
        assert_false(ratelimit_allow(l, 1000, T0 + RATELIMIT_INTERVAL_USEC));
        assert_true(ratelimit_allow(l, 1001, T0));
        /* 20 s later: 3 more (one per 6 s), not 10 */
        allowed = 0;
        for (int i = 0; i < 100; i++)
                allowed += ratelimit_allow(l, 1000, T0 + RATELIMIT_INTERVAL_USEC + 20 * USEC_PER_SEC);
        assert_int_equal(allowed, 3);
        /* a clock that does not move forward gives nothing back */
        assert_false(ratelimit_allow(l, 1000, T0));
        free(l);
}

/* Unprivileged users share what root leaves free, each at most its share;
 * root gets the reserve. */
static void test_ratelimit_pending_shares(void **state) {
        RateLimit *l = calloc(1, sizeof(RateLimit));
        unsigned n = 0;

        assert_non_null(l);
        while (ratelimit_take_pending(l, 1000, false) == 0)
                n++;
        assert_int_equal(n, PENDING_PER_USER_MAX);
        /* many users: the unprivileged total stops short of the reserve */
        for (uid_t u = 2000; u < 2100; u++)
                while (ratelimit_take_pending(l, u, false) == 0)
                        n++;
        assert_int_equal(n, PENDING_REPLIES_MAX - PENDING_RESERVED_PRIVILEGED);
        /* root still gets in, up to the whole pool */
        n = 0;
        while (ratelimit_take_pending(l, 0, true) == 0)
                n++;
        assert_int_equal(n, PENDING_RESERVED_PRIVILEGED);
        assert_int_equal(ratelimit_take_pending(l, 0, true), -EBUSY);
        /* a release makes room for that user again */
        ratelimit_release_pending(l, 1000, false);
        ratelimit_release_pending(l, 0, true);
        assert_int_equal(ratelimit_take_pending(l, 1000, false), 0);
        free(l);
}

static void test_prioq_order(void **state) {
        static const uint64_t keys[] = { 50, 10, 40, 30, 20, 60 };
        unsigned idx[ELEMENTSOF(keys)];
        Prioq q = {};
        uint64_t k;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                idx[i] = PRIOQ_IDX_NULL;
                assert_int_equal(prioq_put(&q, (void *) (uintptr_t) (i + 1), keys[i], &idx[i]), 0);
        }
        assert_int_equal((uintptr_t) prioq_peek(&q, &k), 2);
        assert_int_equal(k, 10);
        prioq_reshuffle(&q, 70, &idx[1]);       /* 10 -> 70 */
        assert_int_equal((uintptr_t) prioq_peek(&q, &k), 5);
        prioq_remove(&q, &idx[4]);              /* 20 */
        assert_int_equal(idx[4], PRIOQ_IDX_NULL);
        prioq_remove(&q, &idx[4]);              /* twice is harmless */
        uint64_t last = 0;
        for (size_t n = 0; prioq_peek(&q, &k); n++) {
                void *d = prioq_peek(&q, NULL);
                assert_true(k >= last);
                last = k;
                prioq_remove(&q, &idx[(uintptr_t) d - 1]);
        }
        assert_int_equal(last, 70);
        prioq_done(&q);
}

static void test_addrmap(void **state) {
        AddrMap m = {};
        void *v;
        size_t n = 0;

        for (unsigned i = 0; i < 3000; i++) {
                Address a = { .family = AF_INET, .bytes = { 198, 18, i / 256, i % 256 } };
                assert_int_equal(addrmap_put(&m, &a, (void *) (uintptr_t) (i + 1)), 0);
        }
        Address a = { .family = AF_INET, .bytes = { 198, 18, 5, 7 } };
        Address six = { .family = AF_INET6, .bytes = { 198, 18, 5, 7 } };
        assert_int_equal((uintptr_t) addrmap_get(&m, &a), 5 * 256 + 7 + 1);
        assert_null(addrmap_get(&m, &six));     /* another family is another address */
        assert_int_equal(addrmap_put(&m, &a, NULL), -EEXIST);
        assert_int_equal((uintptr_t) addrmap_remove(&m, &a), 5 * 256 + 7 + 1);
        assert_null(addrmap_get(&m, &a));
        for (AddrMapIter i = {}; addrmap_next(&m, &i, &v); )
                n++;
        assert_int_equal(n, 2999);
        addrmap_done(&m);
}

static Verdict v_(VerdictKind k, unsigned reasons) {
        return (Verdict) { .kind = k, .reasons = reasons };
}

/* One alert when a problem starts, one when it ends; none per re-check,
 * none when only a temperror's reason changes (#14.7). */
static void test_alert_conditions(void **state) {
        Verdict unknown = v_(VERDICT_UNKNOWN, 0), pass = v_(VERDICT_PASS, 0),
                noptr = v_(VERDICT_FAIL, REASON_BIT(REASON_NO_PTR)),
                mismatch = v_(VERDICT_FAIL, REASON_BIT(REASON_FORWARD_MISMATCH)),
                multi = v_(VERDICT_WARN, REASON_BIT(REASON_MULTIPLE_PTR)),
                servfail = v_(VERDICT_TEMPERROR, REASON_BIT(REASON_SERVFAIL)),
                timeout = v_(VERDICT_TEMPERROR, REASON_BIT(REASON_TIMEOUT));

        assert_int_equal(alert_condition(&unknown, &pass), ALERT_NONE);         /* first verdict a pass */
        assert_int_equal(alert_condition(&unknown, &noptr), ALERT_NO_PTR);      /* first not a pass */
        assert_int_equal(alert_condition(&pass, &noptr), ALERT_NO_PTR);
        assert_int_equal(alert_condition(&noptr, &noptr), ALERT_NONE);          /* re-check */
        assert_int_equal(alert_condition(&noptr, &mismatch), ALERT_FORWARD_MISMATCH);
        assert_int_equal(alert_condition(&noptr, &pass), ALERT_RECOVERED);
        assert_int_equal(alert_condition(&pass, &multi), ALERT_MULTIPLE_PTR);
        assert_int_equal(alert_condition(&pass, &servfail), ALERT_DNS_UNREACHABLE);
        assert_int_equal(alert_condition(&servfail, &timeout), ALERT_NONE);
        assert_int_equal(alert_condition(&timeout, &servfail), ALERT_NONE);
        assert_int_equal(alert_condition(&servfail, &pass), ALERT_RECOVERED);
        assert_int_equal(alert_condition(&pass, &unknown), ALERT_NONE);
        for (AlertCondition c = 0; c < _ALERT_CONDITION_MAX; c++) {
                assert_non_null(alert_info(c));
                assert_int_equal(strlen(alert_info(c)->message_id), 32);
        }
        assert_null(alert_info(ALERT_NONE));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ratelimit_bucket),
                cmocka_unit_test(test_ratelimit_pending_shares),
                cmocka_unit_test(test_prioq_order),
                cmocka_unit_test(test_addrmap),
                cmocka_unit_test(test_alert_conditions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
