/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "macro.h"
#include "strv.h"
#include "evaluate.h"

#define NOW (1795000000ULL * USEC_PER_SEC)

static const VerdictPolicy policy = {
        .min_ttl = 30 * USEC_PER_SEC,
        .max_ttl = USEC_PER_DAY,
};

static DnsReply reply(DnsStatus status, uint32_t ttl, bool has_ttl) {
        return (DnsReply) { .status = status, .ttl = ttl, .has_ttl = has_ttl };
}

static DnsReply ptr_answer(uint32_t ttl, const char *name, ...) {
        DnsReply r = reply(DNS_ANSWER, ttl, true);
        va_list ap;

        va_start(ap, name);
        for (const char *n = name; n; n = va_arg(ap, const char *))
                assert_int_equal(strv_extend(&r.names, n), 0);
        va_end(ap);
        return r;
}

static DnsReply fwd_answer(uint32_t ttl, const char *address) {
        DnsReply r = reply(DNS_ANSWER, ttl, true);

        r.addresses = calloc(1, sizeof(Address));
        assert_non_null(r.addresses);
        assert_int_equal(address_parse(address, &r.addresses[0], NULL), 0);
        r.n_addresses = 1;
        return r;
}

/* Evaluate for address with the PTR reply, forward replies (NULL = not
 * asked) and HELO names with their answers. */
static Verdict *evaluate_full(const char *address, const VerdictPolicy *p, const HeloAnswers *helo,
                              size_t n_helo, DnsReply *ptr, DnsReply **fwd) {
        Verdict *v = NULL;
        Address a;

        assert_int_equal(address_parse(address, &a, NULL), 0);
        assert_int_equal(verdict_evaluate(&a, ptr, (const DnsReply * const *) fwd, helo, n_helo, p ? p : &policy, NOW, &v), 0);
        assert_non_null(v);
        assert_int_equal(v->checked_at, NOW);
        assert_int_equal(v->expires_at, NOW + v->ttl);
        assert_non_null(v->message);
        assert_int_equal(strv_length(v->helo), n_helo);
        return v;
}

static Verdict *evaluate(const char *address, const VerdictPolicy *p, DnsReply *ptr, DnsReply **fwd) {
        return evaluate_full(address, p, NULL, 0, ptr, fwd);
}

static Verdict *evaluate_helo(const char *address, const HeloAnswers *helo, size_t n_helo, DnsReply *ptr,
                              DnsReply **fwd) {
        return evaluate_full(address, NULL, helo, n_helo, ptr, fwd);
}

static void assert_reasons(const Verdict *v, unsigned expected) {
        if (v->reasons != expected) {
                char got[256] = "", want[256] = "";
                for (Reason r = 0; r < _REASON_MAX; r++) {
                        if (v->reasons & REASON_BIT(r))
                                strcat(strcat(got, reason_to_string(r)), " ");
                        if (expected & REASON_BIT(r))
                                strcat(strcat(want, reason_to_string(r)), " ");
                }
                fail_msg("reasons [%s], expected [%s]", got, want);
        }
}

#define BIT(x) REASON_BIT(REASON_##x)

static void test_temporary_ptr(void **state) {
        static const struct {
                DnsStatus status;
                unsigned reason;
        } cases[] = {
                { DNS_SERVFAIL,    BIT(SERVFAIL) },
                { DNS_REFUSED,     BIT(SERVFAIL) },
                { DNS_TIMEOUT,     BIT(TIMEOUT) },
                { DNS_UNREACHABLE, BIT(TIMEOUT) },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                DnsReply ptr = reply(cases[i].status, 0, false);
                Verdict *v = evaluate("192.0.2.10", NULL, &ptr, NULL);
                assert_int_equal(v->kind, VERDICT_TEMPERROR);
                assert_reasons(v, cases[i].reason);
                assert_int_equal(v->ttl, VERDICT_RETRY_MIN_USEC);
                assert_null(v->ptr);
                verdict_free(v);
        }
}

static void test_no_ptr(void **state) {
        DnsReply ptr = reply(DNS_NXDOMAIN, 300, true);
        Verdict *v = evaluate("192.0.2.11", NULL, &ptr, NULL);

        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(NO_PTR));
        assert_string_equal(v->message, "IP address 192.0.2.11 does not have a PTR record in DNS");
        assert_int_equal(v->ttl, 300 * USEC_PER_SEC);   /* RFC 2308 negative TTL */
        verdict_free(v);

        /* NODATA is no-ptr too; without an SOA it is held for MinTTL */
        ptr = reply(DNS_NODATA, 0, false);
        v = evaluate("2001:db8::26", NULL, &ptr, NULL);
        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(NO_PTR));
        assert_int_equal(v->ttl, policy.min_ttl);
        assert_string_equal(v->message, "IP address 2001:db8::26 does not have a PTR record in DNS");
        verdict_free(v);

        /* an answer without PTR names (never from the resolver, but the
         * evaluator must not trust that) is no PTR, not a crash */
        ptr = reply(DNS_ANSWER, 600, true);
        v = evaluate("192.0.2.11", NULL, &ptr, NULL);
        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(NO_PTR));
        verdict_free(v);

        /* a negative TTL below MinTTL is clamped up */
        ptr = reply(DNS_NXDOMAIN, 5, true);
        v = evaluate("192.0.2.11", NULL, &ptr, NULL);
        assert_int_equal(v->ttl, policy.min_ttl);
        verdict_free(v);
}

static void test_pass_and_ttl(void **state) {
        DnsReply ptr = ptr_answer(900, "mail.example.test", NULL);
        DnsReply f = fwd_answer(600, "192.0.2.10");
        DnsReply *fwd[] = { &f };
        Verdict *v = evaluate("192.0.2.10", NULL, &ptr, fwd);

        assert_int_equal(v->kind, VERDICT_PASS);
        assert_reasons(v, 0);
        assert_int_equal(v->ttl, 600 * USEC_PER_SEC);   /* the smallest of the deciding TTLs */
        assert_int_equal(strv_length(v->ptr), 1);
        assert_string_equal(v->confirmed[0], "mail.example.test");
        verdict_free(v);

        /* clamped to MaxTTL */
        VerdictPolicy p = policy;
        p.max_ttl = 60 * USEC_PER_SEC;
        v = evaluate("192.0.2.10", &p, &ptr, fwd);
        assert_int_equal(v->ttl, 60 * USEC_PER_SEC);
        verdict_free(v);

        /* and to MinTTL */
        p = policy;
        p.min_ttl = 1000 * USEC_PER_SEC;
        v = evaluate("192.0.2.10", &p, &ptr, fwd);
        assert_int_equal(v->ttl, 1000 * USEC_PER_SEC);
        verdict_free(v);

        /* the PTR TTL decides when it is smaller */
        ptr.ttl = 120;
        f.ttl = 3000;
        v = evaluate("192.0.2.10", NULL, &ptr, fwd);
        assert_int_equal(v->ttl, 120 * USEC_PER_SEC);
        verdict_free(v);

        dns_reply_done(&ptr);
        dns_reply_done(&f);
}

static void test_forward_missing_and_mismatch(void **state) {
        DnsReply ptr = ptr_answer(900, "nofwd.example.test", NULL);
        DnsReply missing = reply(DNS_NODATA, 300, true);
        DnsReply *fwd[] = { &missing, NULL };
        Verdict *v = evaluate("192.0.2.12", NULL, &ptr, fwd);

        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(FORWARD_MISSING));
        assert_int_equal(v->ttl, 300 * USEC_PER_SEC);   /* the negative forward answer decides */
        assert_null(v->confirmed);
        verdict_free(v);
        dns_reply_done(&ptr);

        /* NXDOMAIN for the name is "missing" too, and AAAA-only for IPv4 as well */
        ptr = ptr_answer(900, "gone.example.test", NULL);
        missing = reply(DNS_NXDOMAIN, 0, false);
        v = evaluate("192.0.2.12", NULL, &ptr, fwd);
        assert_reasons(v, BIT(FORWARD_MISSING));
        assert_int_equal(v->ttl, policy.min_ttl);
        verdict_free(v);
        dns_reply_done(&ptr);

        ptr = ptr_answer(900, "mismatch.example.test", NULL);
        DnsReply other = fwd_answer(600, "192.0.2.99");
        fwd[0] = &other;
        v = evaluate("192.0.2.13", NULL, &ptr, fwd);
        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(FORWARD_MISMATCH));
        assert_non_null(strstr(v->message, "192.0.2.99"));
        verdict_free(v);
        dns_reply_done(&ptr);

        /* one name missing, one mismatching: mismatch, since records exist */
        ptr = ptr_answer(900, "nofwd.example.test", "mismatch.example.test", NULL);
        missing = reply(DNS_NODATA, 300, true);
        DnsReply *both[] = { &missing, &other };
        v = evaluate("192.0.2.13", NULL, &ptr, both);
        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(FORWARD_MISMATCH) | BIT(MULTIPLE_PTR));
        verdict_free(v);
        dns_reply_done(&ptr);
        dns_reply_done(&other);
}

static void test_warnings(void **state) {
        /* several PTRs, the confirming one last */
        DnsReply ptr = ptr_answer(900, "n0.example.test", "n1.example.test", "mx15.example.test", NULL);
        DnsReply none = reply(DNS_NODATA, 300, true), wrong = fwd_answer(600, "192.0.2.201"),
                 good = fwd_answer(600, "192.0.2.15");
        DnsReply *fwd[] = { &none, &wrong, &good };
        Verdict *v = evaluate("192.0.2.15", NULL, &ptr, fwd);

        assert_int_equal(v->kind, VERDICT_WARN);
        assert_reasons(v, BIT(MULTIPLE_PTR));
        assert_int_equal(strv_length(v->confirmed), 1);
        assert_string_equal(v->confirmed[0], "mx15.example.test");
        assert_int_equal(strv_length(v->ptr), 3);
        verdict_free(v);
        dns_reply_done(&ptr);
        dns_reply_done(&wrong);
        dns_reply_done(&good);

        /* generic */
        ptr = ptr_answer(900, "192-0-2-16.dsl.example.test", NULL);
        good = fwd_answer(600, "192.0.2.16");
        DnsReply *one[] = { &good };
        v = evaluate("192.0.2.16", NULL, &ptr, one);
        assert_int_equal(v->kind, VERDICT_WARN);
        assert_reasons(v, BIT(GENERIC_PTR));
        verdict_free(v);
        dns_reply_done(&ptr);
        dns_reply_done(&good);

        /* HELO name: equal (case and trailing dot do not matter) passes, another name warns */
        ptr = ptr_answer(900, "mail.example.test", NULL);
        good = fwd_answer(600, "192.0.2.10");
        one[0] = &good;
        DnsReply has_a = fwd_answer(600, "192.0.2.10"), nxdomain = reply(DNS_NXDOMAIN, 300, true);
        HeloAnswers h = { .name = "Mail.Example.Test.", .reply = { &has_a, &nxdomain, &nxdomain } };
        v = evaluate_helo("192.0.2.10", &h, 1, &ptr, one);
        assert_int_equal(v->kind, VERDICT_PASS);
        verdict_free(v);
        h.name = "smtp.example.test";
        v = evaluate_helo("192.0.2.10", &h, 1, &ptr, one);
        assert_int_equal(v->kind, VERDICT_WARN);
        assert_reasons(v, BIT(HELO_MISMATCH));
        assert_non_null(strstr(v->message, "smtp.example.test"));
        verdict_free(v);
        dns_reply_done(&ptr);
        dns_reply_done(&good);
        dns_reply_done(&has_a);
        dns_reply_done(&nxdomain);
}

static void test_helo_form(void **state) {
        static const struct {
                const char *helo;
                HeloForm form;
        } cases[] = {
                { "mail.example.test",          HELO_HOSTNAME },
                { "mail.example.test.",         HELO_HOSTNAME },
                { "mail",                       HELO_HOSTNAME },
                { "under_score.example.test",   HELO_HOSTNAME },
                { "[192.0.2.10]",               HELO_ADDRESS },
                { "[IPv6:2001:db8::25]",        HELO_ADDRESS },
                { "[ipv6:2001:db8::25]",        HELO_ADDRESS },
                /* #23.1: the tag and the family must agree (Postfix's
                 * valid_mailhost_addr(); a live smtpd answers 501) */
                { "[2001:db8::25]",             HELO_INVALID },
                { "[IPv6:192.0.2.10]",          HELO_INVALID },
                { "192.0.2.10",                 HELO_BARE_ADDRESS },
                { "2001:db8::25",               HELO_BARE_ADDRESS },
                { "[192.0.2.300]",              HELO_INVALID },
                { "[mail.example.test]",        HELO_INVALID },
                { "[192.0.2.10",                HELO_INVALID },
                { "mail..example.test",         HELO_INVALID },
                { "-mail.example.test",         HELO_INVALID },
                { "mail example.test",          HELO_INVALID },
                { "123.456",                    HELO_INVALID },
                { "",                           HELO_INVALID },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                if (helo_form(cases[i].helo) != cases[i].form)
                        fail_msg("helo_form(\"%s\") = %d, want %d", cases[i].helo, helo_form(cases[i].helo),
                                 cases[i].form);
        }
        assert_true(helo_needs_lookup("Mail.Example.TEST."));
        assert_true(helo_needs_lookup("mail"));
        assert_false(helo_needs_lookup("[192.0.2.10]"));
        assert_false(helo_needs_lookup("bad..name"));
}

static void test_helo_checks(void **state) {
        DnsReply ptr = ptr_answer(900, "mail.example.test", NULL);
        DnsReply good = fwd_answer(600, "192.0.2.10");
        DnsReply *one[] = { &good };
        DnsReply a = fwd_answer(700, "198.51.100.1"), nx = reply(DNS_NXDOMAIN, 120, true),
                 nodata = reply(DNS_NODATA, 90, true), mx = reply(DNS_ANSWER, 800, true),
                 servfail = reply(DNS_SERVFAIL, 0, false);
        Verdict *v;

        /* no A, AAAA or MX: unresolvable, and held no longer than the negative answers */
        HeloAnswers h = { .name = "gone.example.test", .reply = { &nx, &nx, &nodata } };
        v = evaluate_helo("192.0.2.10", &h, 1, &ptr, one);
        assert_int_equal(v->kind, VERDICT_WARN);
        assert_reasons(v, BIT(HELO_UNRESOLVABLE) | BIT(HELO_MISMATCH));
        assert_int_equal(v->ttl, 90 * USEC_PER_SEC);
        assert_non_null(strstr(v->message, "gone.example.test has no A, AAAA or MX record"));
        assert_string_equal(v->helo[0], "gone.example.test");
        verdict_free(v);

        /* an MX record alone is enough (Postfix's rule); the negative
         * answers beside it decide nothing, and do not shorten the TTL */
        h.reply[HELO_LOOKUP_MX] = &mx;
        v = evaluate_helo("192.0.2.10", &h, 1, &ptr, one);
        assert_reasons(v, BIT(HELO_MISMATCH));
        assert_int_equal(v->ttl, 600 * USEC_PER_SEC);
        verdict_free(v);
        h = (HeloAnswers) { .name = "gone.example.test", .reply = { &a, &nx, &nodata } };
        v = evaluate_helo("192.0.2.10", &h, 1, &ptr, one);
        assert_int_equal(v->ttl, 600 * USEC_PER_SEC);   /* min(PTR 900, A 600, HELO's A 700) */
        verdict_free(v);
        h.reply[HELO_LOOKUP_A] = &nx;

        /* a lookup without an answer claims nothing */
        h.reply[HELO_LOOKUP_MX] = &servfail;
        v = evaluate_helo("192.0.2.10", &h, 1, &ptr, one);
        assert_reasons(v, BIT(HELO_MISMATCH));
        verdict_free(v);

        /* not fully qualified; invalid; an address literal passes all three */
        HeloAnswers several[] = {
                { .name = "[192.0.2.10]" },
                { .name = "localhost" },
                { .name = "mail.example.test", .reply = { &good, &nx, &nx } },
                { .name = "no good" },
        };
        v = evaluate_helo("192.0.2.10", several, ELEMENTSOF(several), &ptr, one);
        assert_int_equal(v->kind, VERDICT_WARN);
        assert_reasons(v, BIT(HELO_NOT_FQDN) | BIT(HELO_INVALID) | BIT(HELO_MISMATCH));
        assert_non_null(strstr(v->message, "HELO name localhost is not fully qualified"));
        assert_non_null(strstr(v->message, "HELO name no good is neither"));
        assert_null(strstr(v->message, "192.0.2.10]"));
        assert_int_equal(strv_length(v->helo), 4);
        verdict_free(v);

        /* a fail stays a fail, with the HELO reasons beside its own */
        DnsReply noptr = reply(DNS_NXDOMAIN, 600, true);
        h = (HeloAnswers) { .name = "gone.example.test", .reply = { &nx, &nx, &nx } };
        v = evaluate_helo("192.0.2.11", &h, 1, &noptr, NULL);
        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(NO_PTR) | BIT(HELO_UNRESOLVABLE));
        assert_int_equal(v->ttl, 120 * USEC_PER_SEC);
        verdict_free(v);

        /* a temperror carries the names but no HELO reason */
        v = evaluate_helo("192.0.2.11", &h, 1, &servfail, NULL);
        assert_int_equal(v->kind, VERDICT_TEMPERROR);
        assert_false(v->reasons & REASON_HELO_CHECKS);
        verdict_free(v);

        DnsReply *all[] = { &ptr, &good, &a, &nx, &nodata, &mx, &servfail, &noptr };
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                dns_reply_done(all[i]);
}

static void test_invalid_names(void **state) {
        /* only an address literal: counts as no name */
        DnsReply ptr = ptr_answer(900, "192.0.2.18", NULL);
        DnsReply *fwd[] = { NULL, NULL };
        Verdict *v = evaluate("192.0.2.18", NULL, &ptr, fwd);

        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(INVALID_NAME));
        assert_int_equal(v->ttl, 900 * USEC_PER_SEC);
        assert_string_equal(v->ptr[0], "192.0.2.18");
        verdict_free(v);
        dns_reply_done(&ptr);

        /* an invalid name beside a confirming one warns */
        ptr = ptr_answer(900, "-bad.example.test", "ok19.example.test", NULL);
        DnsReply good = fwd_answer(600, "192.0.2.19");
        fwd[1] = &good;
        v = evaluate("192.0.2.19", NULL, &ptr, fwd);
        assert_int_equal(v->kind, VERDICT_WARN);
        assert_reasons(v, BIT(INVALID_NAME) | BIT(MULTIPLE_PTR));
        verdict_free(v);
        dns_reply_done(&ptr);
        dns_reply_done(&good);
}

static void test_forward_temporary(void **state) {
        DnsReply ptr = ptr_answer(900, "lame.broken.test", NULL);
        DnsReply sf = reply(DNS_SERVFAIL, 0, false), to = reply(DNS_TIMEOUT, 0, false);
        DnsReply *fwd[] = { &sf, NULL };
        Verdict *v = evaluate("192.0.2.22", NULL, &ptr, fwd);

        /* RFC 8601: a transient failure is a temperror, never a fail */
        assert_int_equal(v->kind, VERDICT_TEMPERROR);
        assert_reasons(v, BIT(SERVFAIL));
        assert_int_equal(v->ttl, VERDICT_RETRY_MIN_USEC);
        verdict_free(v);

        fwd[0] = &to;
        v = evaluate("192.0.2.22", NULL, &ptr, fwd);
        assert_reasons(v, BIT(TIMEOUT));
        verdict_free(v);
        dns_reply_done(&ptr);

        /* another name confirms: pass; a mismatch beside a failure: still temperror */
        ptr = ptr_answer(900, "ok23.example.test", "lame.broken.test", NULL);
        DnsReply good = fwd_answer(600, "192.0.2.23");
        fwd[0] = &good;
        fwd[1] = &sf;
        v = evaluate("192.0.2.23", NULL, &ptr, fwd);
        assert_int_equal(v->kind, VERDICT_WARN);
        assert_reasons(v, BIT(MULTIPLE_PTR));
        verdict_free(v);

        DnsReply wrong = fwd_answer(600, "192.0.2.99");
        fwd[0] = &wrong;
        v = evaluate("192.0.2.23", NULL, &ptr, fwd);
        assert_int_equal(v->kind, VERDICT_TEMPERROR);
        assert_true(v->reasons & BIT(SERVFAIL));
        verdict_free(v);
        dns_reply_done(&ptr);
        dns_reply_done(&good);
        dns_reply_done(&wrong);
}

static void test_ipv6_same_family_only(void **state) {
        /* an A record never confirms an IPv6 address, even if it "matches" */
        DnsReply ptr = ptr_answer(900, "v4only.example.test", NULL);
        DnsReply none = reply(DNS_NODATA, 300, true);
        DnsReply *fwd[] = { &none };
        Verdict *v = evaluate("2001:db8::27", NULL, &ptr, fwd);

        assert_int_equal(v->kind, VERDICT_FAIL);
        assert_reasons(v, BIT(FORWARD_MISSING));
        assert_non_null(strstr(v->message, "AAAA"));
        verdict_free(v);
        dns_reply_done(&ptr);
}

static void test_precedence(void **state) {
        assert_true(verdict_kind_severity(VERDICT_PASS) < verdict_kind_severity(VERDICT_WARN));
        assert_true(verdict_kind_severity(VERDICT_WARN) < verdict_kind_severity(VERDICT_TEMPERROR));
        assert_int_equal(verdict_kind_severity(VERDICT_TEMPERROR), verdict_kind_severity(VERDICT_UNKNOWN));
        assert_true(verdict_kind_severity(VERDICT_TEMPERROR) < verdict_kind_severity(VERDICT_FAIL));

        assert_int_equal(verdict_kind_worst(VERDICT_PASS, VERDICT_WARN), VERDICT_WARN);
        assert_int_equal(verdict_kind_worst(VERDICT_FAIL, VERDICT_TEMPERROR), VERDICT_FAIL);
        assert_int_equal(verdict_kind_worst(VERDICT_TEMPERROR, VERDICT_WARN), VERDICT_TEMPERROR);

        assert_int_equal(verdict_kind_exit_status(VERDICT_PASS), 0);
        assert_int_equal(verdict_kind_exit_status(VERDICT_WARN), 1);
        assert_int_equal(verdict_kind_exit_status(VERDICT_FAIL), 2);
        assert_int_equal(verdict_kind_exit_status(VERDICT_TEMPERROR), 3);
        assert_int_equal(verdict_kind_exit_status(VERDICT_UNKNOWN), 3);

        for (VerdictKind k = 0; k < _VERDICT_KIND_MAX; k++)
                assert_int_equal(verdict_kind_from_string(verdict_kind_to_string(k)), (int) k);
        for (Reason r = 0; r < _REASON_MAX; r++)
                assert_int_equal(reason_from_string(reason_to_string(r)), (int) r);
        assert_true(reason_from_string("nope") < 0);
}

static void test_copy(void **state) {
        DnsReply ptr = ptr_answer(900, "mail.example.test", NULL);
        DnsReply f = fwd_answer(600, "192.0.2.10");
        DnsReply *fwd[] = { &f };
        Verdict *v = evaluate("192.0.2.10", NULL, &ptr, fwd), *c;

        c = verdict_copy(v);
        assert_non_null(c);
        assert_ptr_not_equal(c->ptr, v->ptr);
        assert_string_equal(c->ptr[0], v->ptr[0]);
        assert_string_equal(c->message, v->message);
        verdict_free(v);
        verdict_free(c);
        dns_reply_done(&ptr);
        dns_reply_done(&f);
}

static const Verdict *held;

static const Verdict *current_held(const Address *a, void *userdata) {
        return held;
}

/* A verdict made from the same facts as the one it replaces shares its
 * predictions instead of evaluating the receivers' rules again; any
 * difference in those facts, or in the rule files, evaluates them again. */
static void test_predictions_reused(void **state) {
        DnsReply ptr = ptr_answer(900, "mail.example.test", NULL), other = ptr_answer(900, "other.example.test", NULL);
        DnsReply f = fwd_answer(600, "192.0.2.10"), g = fwd_answer(600, "192.0.2.99");
        DnsReply *fwd[] = { &f }, *wrong[] = { &g };
        VerdictPolicy p = policy;
        Verdict *v, *like;

        p.current = current_held;
        like = evaluate("192.0.2.10", NULL, &ptr, fwd);
        assert_non_null(like->receivers);
        /* a marker no evaluation makes: shared or not is plain to see */
        like->receivers = predictions_free(like->receivers);
        like->receivers = predictions_new();
        assert_non_null(like->receivers);
        like->receivers[RECEIVER_GMAIL] = (Prediction) { .known = true, .note = strdup("marker") };
        held = like;

        v = evaluate("192.0.2.10", &p, &ptr, fwd);
        assert_ptr_equal(v->receivers, like->receivers);
        assert_string_equal(v->receivers[RECEIVER_GMAIL].note, "marker");
        verdict_free(v);

        v = evaluate("192.0.2.10", &p, &other, fwd);           /* another name */
        assert_ptr_not_equal(v->receivers, like->receivers);
        verdict_free(v);
        v = evaluate("192.0.2.10", &p, &ptr, wrong);           /* the same name, no longer confirming */
        assert_ptr_not_equal(v->receivers, like->receivers);
        assert_int_equal(v->kind, VERDICT_FAIL);
        verdict_free(v);
        v = evaluate("192.0.2.11", &p, &ptr, fwd);             /* another address */
        assert_ptr_not_equal(v->receivers, like->receivers);
        verdict_free(v);
        like->predicted_with = 7;                               /* other rule files */
        v = evaluate("192.0.2.10", &p, &ptr, fwd);
        assert_ptr_not_equal(v->receivers, like->receivers);
        verdict_free(v);
        like->predicted_with = 0;
        HeloAnswers helo = { .name = "mail.example.test" };     /* a HELO name now */
        v = evaluate_full("192.0.2.10", &p, &helo, 1, &ptr, fwd);
        assert_ptr_not_equal(v->receivers, like->receivers);
        verdict_free(v);

        held = NULL;
        verdict_free(like);
        dns_reply_done(&ptr);
        dns_reply_done(&other);
        dns_reply_done(&f);
        dns_reply_done(&g);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_predictions_reused),
                cmocka_unit_test(test_temporary_ptr),
                cmocka_unit_test(test_no_ptr),
                cmocka_unit_test(test_pass_and_ttl),
                cmocka_unit_test(test_forward_missing_and_mismatch),
                cmocka_unit_test(test_warnings),
                cmocka_unit_test(test_invalid_names),
                cmocka_unit_test(test_helo_form),
                cmocka_unit_test(test_helo_checks),
                cmocka_unit_test(test_forward_temporary),
                cmocka_unit_test(test_ipv6_same_family_only),
                cmocka_unit_test(test_precedence),
                cmocka_unit_test(test_copy),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
