/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "address.h"
#include "macro.h"

static void test_malformed(void **state) {
        static const char * const bad[] = {
                "", " 192.0.2.1", "192.0.2.1 ", "192.0.2.1\n", "192.0.2", "192.0.2.1.5",
                "192.0.2.256", "192.0.2.-1", "192.0.02.1", "0x7f.0.0.1", "192.0.2.1/24",
                "192.0.2.1:25", "192.0.2.", ".192.0.2.1", "192..2.1", "1e2.0.2.1",
                "2001:db8::1::2", "2001:db8:::1", "2001:db8::g", "fe80::1%eth0", "[2001:db8::1]",
                "2001:db8::1/64", "2001:db8:1:2:3:4:5:6:7", "12345::1", ":::", "2001:db8::1 ",
                "::ffff:192.0.2.256", "mail.example.com", "localhost", "192.0.2.1\t",
                "１９２.0.2.1", "192.0.2.1%",
                "0000000000000000000000000000000000000000000000000000000000",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *why = NULL;
                Address a;
                if (address_parse(bad[i], &a, &why) >= 0)
                        fail_msg("accepted malformed address '%s'", bad[i]);
                assert_non_null(why);
                assert_true(strlen(why) > 0);
        }
        assert_true(ELEMENTSOF(bad) >= 25);
}

static void check_canonical(const char *in, const char *out, int family) {
        char buf[ADDRESS_STRING_MAX];
        Address a;

        if (address_parse(in, &a, NULL) < 0)
                fail_msg("refused valid address '%s'", in);
        assert_int_equal(a.family, family);
        assert_string_equal(address_to_string(&a, buf), out);
}

static void test_canonical(void **state) {
        check_canonical("192.0.2.1", "192.0.2.1", AF_INET);
        check_canonical("0.0.0.0", "0.0.0.0", AF_INET);
        check_canonical("255.255.255.255", "255.255.255.255", AF_INET);
        check_canonical("2001:DB8::1", "2001:db8::1", AF_INET6);
        check_canonical("2001:0db8:0000:0000:0000:0000:0000:0025", "2001:db8::25", AF_INET6);
        check_canonical("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1", AF_INET6);     /* RFC 5952 §4.2.3 */
        check_canonical("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", AF_INET6); /* one 0 not compressed */
        check_canonical("::1", "::1", AF_INET6);
        /* IPv4-mapped is IPv4 on the wire: checked as IPv4 */
        check_canonical("::ffff:192.0.2.10", "192.0.2.10", AF_INET);
        check_canonical("::FFFF:c000:020a", "192.0.2.10", AF_INET);
}

static void test_reverse_name(void **state) {
        char buf[REVERSE_NAME_MAX];
        Address a;

        assert_int_equal(address_parse("192.0.2.10", &a, NULL), 0);
        address_reverse_name(&a, buf);
        assert_string_equal(buf, "10.2.0.192.in-addr.arpa");

        assert_int_equal(address_parse("2001:db8::25", &a, NULL), 0);
        address_reverse_name(&a, buf);
        assert_string_equal(buf, "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
        assert_int_equal(strlen(buf), 72);

        assert_int_equal(address_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", &a, NULL), 0);
        address_reverse_name(&a, buf);
        assert_string_equal(buf, "e.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.f.ip6.arpa");
}

static void check_scope(const char *s, AddressScope expect) {
        Address a;

        assert_int_equal(address_parse(s, &a, NULL), 0);
        if (address_scope(&a) != expect)
                fail_msg("%s: scope %s, expected %s", s, address_scope_to_string(address_scope(&a)),
                         address_scope_to_string(expect));
}

static void test_scope(void **state) {
        check_scope("8.8.8.8", ADDRESS_GLOBAL);
        check_scope("10.1.2.3", ADDRESS_PRIVATE);
        check_scope("172.16.0.1", ADDRESS_PRIVATE);
        check_scope("172.31.255.255", ADDRESS_PRIVATE);
        check_scope("172.32.0.1", ADDRESS_GLOBAL);
        check_scope("192.168.1.1", ADDRESS_PRIVATE);
        check_scope("100.64.0.1", ADDRESS_CGNAT);
        check_scope("100.127.255.255", ADDRESS_CGNAT);
        check_scope("100.128.0.1", ADDRESS_GLOBAL);
        check_scope("127.0.0.1", ADDRESS_LOOPBACK);
        check_scope("169.254.1.1", ADDRESS_LINK_LOCAL);
        check_scope("192.0.2.1", ADDRESS_DOCUMENTATION);
        check_scope("198.51.100.1", ADDRESS_DOCUMENTATION);
        check_scope("203.0.113.1", ADDRESS_DOCUMENTATION);
        check_scope("198.18.0.1", ADDRESS_BENCHMARK);
        check_scope("198.19.255.255", ADDRESS_BENCHMARK);
        check_scope("198.20.0.1", ADDRESS_GLOBAL);
        check_scope("0.0.0.0", ADDRESS_UNSPECIFIED);
        check_scope("224.0.0.1", ADDRESS_MULTICAST);
        check_scope("240.0.0.1", ADDRESS_RESERVED);
        check_scope("2606:4700::1", ADDRESS_GLOBAL);
        check_scope("::1", ADDRESS_LOOPBACK);
        check_scope("::", ADDRESS_UNSPECIFIED);
        check_scope("fd00::1", ADDRESS_ULA);
        check_scope("fc00::1", ADDRESS_ULA);
        check_scope("fe80::1", ADDRESS_LINK_LOCAL);
        check_scope("febf::1", ADDRESS_LINK_LOCAL);
        check_scope("2001:db8::1", ADDRESS_DOCUMENTATION);
        check_scope("ff02::1", ADDRESS_MULTICAST);

        assert_true(address_scope_is_behind_nat(ADDRESS_PRIVATE));
        assert_true(address_scope_is_behind_nat(ADDRESS_CGNAT));
        assert_true(address_scope_is_behind_nat(ADDRESS_ULA));
        assert_false(address_scope_is_behind_nat(ADDRESS_GLOBAL));
        assert_false(address_scope_is_behind_nat(ADDRESS_DOCUMENTATION));
}

static void test_equal_compare(void **state) {
        Address a, b, c;

        assert_int_equal(address_parse("192.0.2.1", &a, NULL), 0);
        assert_int_equal(address_parse("::ffff:192.0.2.1", &b, NULL), 0);
        assert_int_equal(address_parse("2001:db8::1", &c, NULL), 0);
        assert_true(address_equal(&a, &b));
        assert_false(address_equal(&a, &c));
        assert_true(address_compare(&a, &c) < 0);
        assert_true(address_compare(&c, &a) > 0);
        assert_int_equal(address_compare(&a, &b), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_canonical),
                cmocka_unit_test(test_reverse_name),
                cmocka_unit_test(test_scope),
                cmocka_unit_test(test_equal_compare),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
