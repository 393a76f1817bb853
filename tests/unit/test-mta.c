/* SPDX-License-Identifier: MIT */
/* The MTA discovery's pure parts: the discovery child's pipe protocol (what
 * the daemon accepts from it) and Postfix next hops. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "mta-child.h"
#include "mta.h"
#include "strv.h"

static void test_round_trip(void **state) {
        DiscoveryResult in = {}, out = {};
        Address a, b;
        char *text = NULL;
        size_t size = 0;
        bool failed = false;

        assert_int_equal(address_parse("192.0.2.10", &a, NULL), 0);
        assert_int_equal(address_parse("2001:db8::25", &b, NULL), 0);
        assert_int_equal(identity_list_add(&in.found, &a, "mail.example.test", "postfix:smtp"), 0);
        assert_int_equal(identity_list_add(&in.found, &b, NULL, "postfix:relayhost"), 0);
        assert_int_equal(identity_list_add(&in.found, &a, "bad name\\with backslash", "exim:remote_smtp"), 0);
        assert_int_equal(discovery_result_note(&in, "a note\nwith a newline, a \\ and a\ttab"), 0);
        assert_int_equal(mta_result_format(&in, true, &text, &size), 0);
        assert_int_equal(strlen(text), size);

        assert_int_equal(mta_result_parse(text, &out, &failed), 0);
        assert_true(failed);
        assert_int_equal(out.found.n, 3);
        assert_string_equal(out.found.items[0].helo, "mail.example.test");
        assert_string_equal(out.found.items[0].source, "postfix:smtp");
        assert_null(out.found.items[1].helo);
        assert_true(address_equal(&out.found.items[1].address, &b));
        assert_string_equal(out.found.items[2].helo, "bad name\\with backslash");
        assert_string_equal(out.notes[0], "a note\nwith a newline, a \\ and a\ttab");
        discovery_result_done(&in);
        discovery_result_done(&out);
        free(text);
}

static void test_garbage_refused(void **state) {
        static const char * const bad[] = {
                "",                                             /* no end */
                "id\t192.0.2.10\tmail\tpostfix:smtp\n",         /* no end */
                "end\nid\t192.0.2.10\t\tstatic\n",              /* after the end */
                "id\t192.0.2.300\t\tstatic\nend\n",             /* not an address */
                "id\t192.0.2.10\t\t\nend\n",                    /* no source */
                "id\t192.0.2.10\tmail\nend\n",                  /* too few fields */
                "id\t192.0.2.10\tmail\tsrc\textra\nend\n",      /* too many */
                "id\t192.0.2.10\tm\x01il\tsrc\nend\n",          /* a control character */
                "note\tbad \xff byte\nend\n",                   /* not UTF-8 */
                "what\tever\nend\n",
                "end",                                          /* cut short */
        };

        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                DiscoveryResult r = {};
                bool failed = false;
                if (mta_result_parse(bad[i], &r, &failed) >= 0)
                        fail_msg("accepted #%zu", i);
                assert_int_equal(r.found.n, 0);
        }
}

static void test_nexthop(void **state) {
        static const struct {
                const char *nexthop, *host;
                bool mx;
        } good[] = {
                { "[smtp.isp.example]:587",     "smtp.isp.example", false },
                { "[smtp.isp.example]",         "smtp.isp.example", false },
                { "isp.example",                "isp.example",      true },
                { "isp.example:25",             "isp.example",      true },
                { "[192.0.2.1]:25",             "192.0.2.1",        false },
                { "[IPv6:2001:db8::1]:25",      "2001:db8::1",      false },
        };
        static const char * const bad[] = { "[]", "[smtp.isp.example", ":25", "" };

        for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
                char *host = NULL;
                bool mx = !good[i].mx;
                assert_int_equal(relay_nexthop_parse(good[i].nexthop, &host, &mx), 0);
                assert_string_equal(host, good[i].host);
                assert_int_equal(mx, good[i].mx);
                free(host);
        }
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                char *host = NULL;
                bool mx;
                if (relay_nexthop_parse(bad[i], &host, &mx) >= 0)
                        fail_msg("accepted '%s'", bad[i]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_garbage_refused),
                cmocka_unit_test(test_nexthop),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
