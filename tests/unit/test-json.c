/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>

#include "json.h"
#include "macro.h"
#include "output.h"
#include "strv.h"
#include "verdict-wire.h"

static char *render(void (*fn)(JsonWriter *w, const void *arg), const void *arg, bool pretty) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        JsonWriter w;

        assert_non_null(f);
        json_init(&w, f, pretty);
        fn(&w, arg);
        fclose(f);
        return buf;
}

static void write_escapes(JsonWriter *w, const void *arg) {
        json_begin_object(w);
        json_key(w, "s");
        json_string(w, "quote\" backslash\\ nl\n tab\t ctl\x01 high\xc3\xa4");
        json_key(w, "empty");
        json_begin_array(w);
        json_end_array(w);
        json_key(w, "n");
        json_integer(w, -42);
        json_key(w, "b");
        json_boolean(w, true);
        json_key(w, "z");
        json_null(w);
        json_end_object(w);
}

static void test_escapes(void **state) {
        char *s = render(write_escapes, NULL, false);

        assert_string_equal(s, "{\"s\": \"quote\\\" backslash\\\\ nl\\n tab\\t ctl\\u0001 high\\u00c3\\u00a4\", "
                               "\"empty\": [], \"n\": -42, \"b\": true, \"z\": null}");
        free(s);
}

static void write_verdict(JsonWriter *w, const void *arg) {
        verdict_write_json(w, arg);
}

static void test_verdict_object(void **state) {
        Verdict *v;
        char *s;
        Address a;

        assert_int_equal(address_parse("192.0.2.10", &a, NULL), 0);
        v = verdict_new(&a);
        v->kind = VERDICT_WARN;
        v->reasons = REASON_BIT(REASON_MULTIPLE_PTR) | REASON_BIT(REASON_NO_PTR);
        assert_int_equal(strv_extend(&v->ptr, "a.example.test"), 0);
        assert_int_equal(strv_extend(&v->ptr, "b.example.test"), 0);
        assert_int_equal(strv_extend(&v->confirmed, "b.example.test"), 0);
        v->message = strdup("m");
        v->ttl = 600 * USEC_PER_SEC;
        v->checked_at = 1795000000ULL * USEC_PER_SEC;
        v->expires_at = v->checked_at + v->ttl;
        s = render(write_verdict, v, false);
        assert_string_equal(s,
                "{\"address\": \"192.0.2.10\", \"reverse_name\": \"10.2.0.192.in-addr.arpa\", "
                "\"verdict\": \"warn\", \"reasons\": [\"no-ptr\", \"multiple-ptr\"], "
                "\"ptr\": [\"a.example.test\", \"b.example.test\"], \"confirmed\": [\"b.example.test\"], \"helo\": [], \"sources\": [], \"receivers\": {}, \"authority\": null, "
                "\"message\": \"m\", \"ttl\": 600, \"checked_at\": \"2026-11-18T11:06:40Z\", "
                "\"expires_at\": \"2026-11-18T11:16:40Z\", \"stale\": false, \"watched\": false, "
                "\"resolver_stale\": false, \"resolver_expires_at\": null}");
        free(s);

        /* never checked: null times */
        verdict_free(v);
        v = verdict_new(&a);
        s = render(write_verdict, v, false);
        assert_non_null(strstr(s, "\"verdict\": \"unknown\""));
        assert_non_null(strstr(s, "\"checked_at\": null"));
        assert_non_null(strstr(s, "\"message\": \"not checked yet\""));
        free(s);
        verdict_free(v);
}

/* The one table of keys: unique, each with a D-Bus type, exactly the
 * contract's keys. */
static void test_wire_keys(void **state) {
        static const char * const contract[] = {
                "address", "reverse_name", "verdict", "reasons", "ptr", "confirmed", "helo", "sources", "receivers", "authority", "message",
                "ttl", "checked_at", "expires_at", "stale", "watched", "resolver_stale", "resolver_expires_at",
        };

        assert_int_equal(verdict_wire_keys_count, ELEMENTSOF(contract));
        for (size_t i = 0; i < verdict_wire_keys_count; i++) {
                assert_string_equal(verdict_wire_keys[i].key, contract[i]);
                assert_non_null(wire_type_signature(verdict_wire_keys[i].type));
                for (size_t j = 0; j < i; j++)
                        assert_string_not_equal(verdict_wire_keys[i].key, verdict_wire_keys[j].key);
        }
        assert_null(wire_type_signature(_WIRE_TYPE_MAX));
}

static void test_summary(void **state) {
        Address a;
        Verdict *v[3];
        char *s;

        assert_int_equal(address_parse("192.0.2.10", &a, NULL), 0);
        for (size_t i = 0; i < 3; i++)
                v[i] = verdict_new(&a);
        v[0]->kind = VERDICT_PASS;
        v[1]->kind = VERDICT_PASS;
        v[2]->kind = VERDICT_FAIL;
        s = verdicts_summary(v, 3);
        assert_string_equal(s, "3 addresses: 2 pass, 1 fail");
        free(s);
        assert_int_equal(verdicts_worst(v, 3), VERDICT_FAIL);
        s = verdicts_summary(v, 1);
        assert_string_equal(s, "1 address: 1 pass");
        free(s);
        s = verdicts_summary(v, 0);
        assert_string_equal(s, "0 addresses");
        free(s);
        for (size_t i = 0; i < 3; i++)
                verdict_free(v[i]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_verdict_object),
                cmocka_unit_test(test_wire_keys),
                cmocka_unit_test(test_summary),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
