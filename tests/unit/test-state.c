/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "state.h"
#include "strv.h"

static Verdict *make(const char *address, VerdictKind kind, const char *message) {
        Address a;
        Verdict *v;

        assert_int_equal(address_parse(address, &a, NULL), 0);
        v = verdict_new(&a);
        v->kind = kind;
        v->message = strdup(message);
        v->ttl = 600 * USEC_PER_SEC;
        v->checked_at = 1795000000ULL * USEC_PER_SEC;
        v->expires_at = v->checked_at + v->ttl;
        return v;
}

static void test_round_trip(void **state) {
        Verdict *in[2], **out = NULL;
        char *text = NULL, *error = NULL;
        size_t size, n;

        in[0] = make("192.0.2.10", VERDICT_WARN, "tab\there, newline\nthere, comma, backslash\\ and \x01");
        in[0]->reasons = REASON_BIT(REASON_MULTIPLE_PTR) | REASON_BIT(REASON_INVALID_NAME);
        assert_int_equal(strv_extend(&in[0]->ptr, "a,b.example.test"), 0);
        assert_int_equal(strv_extend(&in[0]->ptr, "mail.example.test"), 0);
        assert_int_equal(strv_extend(&in[0]->confirmed, "mail.example.test"), 0);
        assert_int_equal(strv_extend(&in[0]->helo, "[192.0.2.10]"), 0);
        assert_int_equal(strv_extend(&in[0]->helo, "mail.example.test"), 0);
        in[1] = make("2001:db8::25", VERDICT_FAIL, "IP address 2001:db8::25 does not have a PTR record in DNS");
        in[1]->reasons = REASON_BIT(REASON_NO_PTR);
        in[1]->authority = calloc(1, sizeof(Authority));
        assert_non_null(in[1]->authority);
        in[1]->authority->zone = strdup("0/26.113.0.203.in-addr.arpa");
        in[1]->authority->contact = strdup("dns-admin@customer,example");      /* a comma: escaped */
        in[1]->authority->classless = true;
        assert_int_equal(strv_extend(&in[1]->authority->nameservers, "ns.classless.test"), 0);

        assert_int_equal(state_format(in, 2, &text, &size), 0);
        assert_int_equal(state_parse(text, size, NULL, &out, &n, &error), 0);
        assert_null(error);
        assert_int_equal(n, 2);
        for (size_t i = 0; i < 2; i++) {
                assert_true(address_equal(&in[i]->address, &out[i]->address));
                assert_int_equal(in[i]->kind, out[i]->kind);
                assert_int_equal(in[i]->reasons, out[i]->reasons);
                assert_string_equal(in[i]->message, out[i]->message);
                assert_int_equal(in[i]->checked_at, out[i]->checked_at);
                assert_int_equal(in[i]->expires_at, out[i]->expires_at);
                assert_int_equal(in[i]->ttl, out[i]->ttl);
                assert_int_equal(strv_length(in[i]->ptr), strv_length(out[i]->ptr));
                assert_true(out[i]->watched);
        }
        assert_string_equal(out[0]->ptr[0], "a,b.example.test");
        assert_int_equal(strv_length(out[0]->helo), 2);
        assert_string_equal(out[0]->helo[0], "[192.0.2.10]");
        assert_null(out[1]->helo);
        assert_null(out[0]->authority);
        assert_string_equal(out[1]->authority->zone, "0/26.113.0.203.in-addr.arpa");
        assert_string_equal(out[1]->authority->contact, "dns-admin@customer,example");
        assert_true(out[1]->authority->classless);
        assert_null(out[1]->authority->registry);
        assert_string_equal(out[1]->authority->nameservers[0], "ns.classless.test");
        assert_string_equal(out[0]->confirmed[0], "mail.example.test");

        /* every proper prefix is refused: truncation is always caught */
        for (size_t cut = 0; cut < size; cut++) {
                Verdict **v = NULL;
                char *e = NULL;
                if (state_parse(text, cut, NULL, &v, &n, &e) >= 0)
                        fail_msg("accepted the first %zu of %zu bytes", cut, size);
                assert_non_null(e);
                free(e);
        }
        verdicts_free(out, 2);
        verdicts_free((Verdict **) memcpy(calloc(2, sizeof(Verdict *)), in, sizeof in), 2);
        free(text);
}

static void test_malformed(void **state) {
        static const char * const bad[] = {
                "",
                "ptrwatch-state 3\nend 0\n",
                /* version 2: ten fields, the HELO names fifth */
                "ptrwatch-state 2\n192.0.2.1\tpass\t\t\t\t1\t1\t2\tm\nend 1\n",
                "ptrwatch-state 2\n192.0.2.1\tpass\t\t\t\tmail.,,x\t1\t1\t2\t0\t\tm\nend 1\n",
                "ptrwatch-state 2\n192.0.2.1\tpass\t\t\t\tm\\xff\t1\t1\t2\t0\t\tm\nend 1\n",
                "ptrwatch-state 2\n192.0.2.1\tpass\t\t\t\t\t1\t1\t2\tx\t\tm\nend 1\n",
                "ptrwatch-state 2\n192.0.2.1\tfail\tno-ptr\t\t\t\t1\t1\t2\t0\tzone,contact\tm\nend 1\n",
                "ptrwatch-state 2\n192.0.2.1\tfail\tno-ptr\t\t\t\t1\t1\t2\t0\tzone,-,2,-\tm\nend 1\n",
                "ptrwatch-state 2\n192.0.2.1\tpass\t\t\t\t\t1\t1\t2\t99999999\t\tm\nend 1\n",
                "ptrwatch-state 1\n",
                "ptrwatch-state 1\nend 1\n",
                "ptrwatch-state 1\nend 0\nmore\n",
                "ptrwatch-state 1\nend 0",
                "ptrwatch-state 1\n192.0.2.300\tpass\t\t\t\t1\t1\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\ttemperror\ttimeout\t\t\t1\t1\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\tno-such-reason\t\t\t1\t1\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t5\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\tx\t1\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t1\t2\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t1\t2\tm\textra\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\ta,,b\t\t1\t1\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t1\t2\tbad \\q escape\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t1\t2\t\\x00\nend 1\n",
                /* #10.6: bytes that are not UTF-8 would make every GetVerdicts fail */
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t1\t2\tbad \\xff byte\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\tmail.\\xc3\\x28.test\t\t1\t1\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\tx\\xed\\xa0\\x80\t1\t1\t2\tm\nend 1\n",
                "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t1\t2\toverlong \\xc0\\xaf\nend 1\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Verdict **v = NULL;
                char *error = NULL;
                size_t n;
                if (state_parse(bad[i], strlen(bad[i]), NULL, &v, &n, &error) >= 0)
                        fail_msg("accepted malformed state #%zu", i);
                assert_non_null(error);
                free(error);
        }
        /* well-formed UTF-8 loads, escaped or not */
        {
                static const char good[] = "ptrwatch-state 1\n192.0.2.1\tpass\t\t\t\t1\t1\t2\tcaf\\xc3\\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\nend 1\n";
                Verdict **v = NULL;
                size_t n = 0;
                assert_int_equal(state_parse(good, strlen(good), NULL, &v, &n, NULL), 0);
                assert_int_equal(n, 1);
                assert_string_equal(v[0]->message, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7");
                verdicts_free(v, n);
        }
        /* version 1 (no HELO names) still loads; version 2 with them */
        {
                static const char v1[] = "ptrwatch-state 1\n192.0.2.1\tpass\t\tmail.example.test\tmail.example.test\t1\t1\t2\tm\nend 1\n";
                static const char v2[] = "ptrwatch-state 2\n192.0.2.1\tpass\t\tmail.example.test\tmail.example.test\tmail.example.test\t1\t1\t2\t3\t2.0.192.in-addr.arpa,noc.team@isp.example,0,-,ns1.isp.example,ns2.isp.example\tm\nend 1\n";
                Verdict **v = NULL;
                size_t n = 0;
                assert_int_equal(state_parse(v1, strlen(v1), NULL, &v, &n, NULL), 0);
                assert_int_equal(n, 1);
                assert_null(v[0]->helo);
                assert_int_equal(v[0]->expires_at, 2);
                verdicts_free(v, n);
                assert_int_equal(state_parse(v2, strlen(v2), NULL, &v, &n, NULL), 0);
                assert_string_equal(v[0]->helo[0], "mail.example.test");
                assert_int_equal(v[0]->expires_at, 2);
                assert_int_equal(v[0]->helo_dns, 3);
                assert_string_equal(v[0]->authority->zone, "2.0.192.in-addr.arpa");
                assert_string_equal(v[0]->authority->contact, "noc.team@isp.example");
                assert_null(v[0]->authority->registry);
                assert_int_equal(strv_length(v[0]->authority->nameservers), 2);
                /* the predictions, made again from what was stored */
                assert_non_null(v[0]->receivers);
                assert_int_equal(v[0]->receivers[RECEIVER_POSTFIX_UNKNOWN_CLIENT].action, ACTION_ACCEPT);
                assert_int_equal(v[0]->receivers[RECEIVER_POSTFIX_UNKNOWN_HELO].action, ACTION_ACCEPT);
                verdicts_free(v, n);
        }
        /* a NUL byte inside */
        Verdict **v = NULL;
        char *error = NULL;
        size_t n;
        assert_true(state_parse("ptrwatch-state 1\n\0end 0\n", 24, NULL, &v, &n, &error) < 0);
        free(error);
}

static void test_save_load_and_aside(void **state) {
        char dir[] = "/tmp/ptrwatch-state-XXXXXX", path[256];
        Verdict *in[1] = { make("192.0.2.10", VERDICT_PASS, "ok") }, **out = NULL;
        size_t n = 99;
        glob_t g;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        /* nothing there: nothing loaded, no error */
        assert_int_equal(state_load(dir, NULL, &out, &n), 0);
        assert_int_equal(n, 0);

        assert_int_equal(state_save(dir, in, 1), 0);
        assert_int_equal(state_load(dir, NULL, &out, &n), 0);
        assert_int_equal(n, 1);
        verdicts_free(out, n);

        /* a corrupt file is moved aside, and loading gives nothing */
        snprintf(path, sizeof path, "%s/verdicts", dir);
        f = fopen(path, "we");
        fputs("ptrwatch-state 1\n192.0.2.10\tpa", f);
        fclose(f);
        assert_int_equal(state_load(dir, NULL, &out, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(access(path, F_OK), -1);
        snprintf(path, sizeof path, "%s/verdicts.corrupt-*", dir);
        assert_int_equal(glob(path, 0, NULL, &g), 0);
        assert_int_equal(g.gl_pathc, 1);
        unlink(g.gl_pathv[0]);
        globfree(&g);

        rmdir(dir);
        verdict_free(in[0]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_save_load_and_aside),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
