/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "resolvconf.h"
#include "strv.h"
#include "macro.h"

static void test_timespan(void **state) {
        static const struct {
                const char *text;
                usec_t usec;
        } good[] = {
                { "30s", 30 * USEC_PER_SEC },
                { "30", 30 * USEC_PER_SEC },
                { "5min", 5 * USEC_PER_MINUTE },
                { "1h", USEC_PER_HOUR },
                { "1d", USEC_PER_DAY },
                { "1h 30min", 90 * USEC_PER_MINUTE },
                { "1h30min", 90 * USEC_PER_MINUTE },
                { "500ms", 500 * USEC_PER_MSEC },
                { " 2 weeks ", 14 * USEC_PER_DAY },
                { "0", 0 },
                { "3 seconds", 3 * USEC_PER_SEC },
        };
        static const char * const bad[] = {
                "", " ", "s", "-5s", "5 parsecs", "5mo", "1.5h", "1h-", "ten", "99999999999999999999d",
                "5m in",
        };
        usec_t u;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                if (timespan_parse(good[i].text, &u) < 0)
                        fail_msg("refused '%s'", good[i].text);
                assert_int_equal(u, good[i].usec);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (timespan_parse(bad[i], &u) >= 0)
                        fail_msg("accepted '%s'", bad[i]);
}

static void test_upstream(void **state) {
        Upstream u;
        char buf[ADDRESS_STRING_MAX];

        assert_int_equal(upstream_parse("127.0.0.1", &u), 0);
        assert_int_equal(u.port, 53);
        assert_int_equal(upstream_parse("127.0.0.1:5353", &u), 0);
        assert_int_equal(u.port, 5353);
        assert_int_equal(upstream_parse("[::1]:53", &u), 0);
        assert_int_equal(u.address.family, AF_INET6);
        assert_int_equal(upstream_parse("2001:db8::53", &u), 0);
        assert_string_equal(address_to_string(&u.address, buf), "2001:db8::53");
        assert_int_equal(u.port, 53);
        assert_int_equal(upstream_parse("[2001:db8::53]", &u), 0);

        static const char * const bad[] = {
                "", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[::1", "[::1]x",
                "[127.0.0.1]:53", "localhost:53", "::1]:53", "127.0.0.1:-1",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (upstream_parse(bad[i], &u) >= 0)
                        fail_msg("accepted '%s'", bad[i]);
}

static void test_full_file(void **state) {
        Config c;
        char *error = NULL;
        char buf[ADDRESS_STRING_MAX];

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(config_parse_string(&c, "test.conf",
                "# the contract's example, comments and all\n"
                "[Watch]\n"
                "Addresses=192.0.2.10 2001:db8::25   # explicit outbound addresses\n"
                "Discover=route dns                 # any of: route dns none\n"
                "HeloName=Mail.Example.COM.\n"
                "Whoami=cloudflare myip.example.test/A@192.0.2.53 whoami.example.test/TXT/CH@[2001:db8::53]:5353\n"
                "RouteProbes=192.0.2.1\n"
                "; another comment style\n"
                "[Resolver]\n"
                "Servers=127.0.0.1:53 [::1]:5353\n"
                "Timeout=3s\n"
                "MaxInFlight=16\n"
                "[Cache]\n"
                "MinTTL=10s\n"
                "MaxTTL=2h\n"
                "ServeStale=3d\n", &error), 0);
        assert_null(error);
        assert_int_equal(c.addresses.n, 2);
        assert_string_equal(address_to_string(&c.addresses.items[1].address, buf), "2001:db8::25");
        assert_string_equal(c.addresses.items[1].source, "static");
        assert_null(c.addresses.items[1].helo);
        assert_int_equal(c.discover, DISCOVER_ROUTE | DISCOVER_DNS);
        assert_string_equal(c.helo_name, "Mail.Example.COM.");   /* as the MTA sends it */
        assert_int_equal(c.n_whoami, 3);
        assert_int_equal(c.whoami[0].style, WHOAMI_TXT_CHAOS);
        assert_int_equal(c.whoami[1].style, WHOAMI_ADDRESS);
        assert_string_equal(c.whoami[1].name, "myip.example.test");
        assert_int_equal(c.whoami[2].style, WHOAMI_TXT_CHAOS);
        assert_int_equal(c.whoami[2].server6.port, 5353);
        assert_int_equal(c.n_route_probes, 1);
        assert_int_equal(c.n_servers, 2);
        assert_int_equal(c.servers[1].port, 5353);
        assert_int_equal(c.timeout, 3 * USEC_PER_SEC);
        assert_int_equal(c.max_in_flight, 16);
        assert_int_equal(c.min_ttl, 10 * USEC_PER_SEC);
        assert_int_equal(c.max_ttl, 2 * USEC_PER_HOUR);
        assert_int_equal(c.serve_stale, 3 * USEC_PER_DAY);
        config_done(&c);
}

/* Part two: identities with HELO names, the MTA's discovery keys. */
static void test_identities(void **state) {
        _cleanup_free_ char *error = NULL;
        char buf[ADDRESS_STRING_MAX];
        Config c;

        assert_int_equal(config_init(&c), 0);
        assert_string_equal(c.postfix_config, "/etc/postfix");
        assert_null(c.exim_config);
        assert_int_equal(config_parse_string(&c, "i.conf",
                "[Watch]\n"
                "Addresses=203.0.113.5/Mail2.Example.COM. 2001:db8::25/[IPv6:2001:db8::25] 192.0.2.10\n"
                "HeloName=[192.0.2.10]\n"
                "Discover=route postfix exim\n"
                "PostfixConfig=/srv/postfix-out\n"
                "EximConfig=/etc/exim4/exim4.conf\n", &error), 0);
        assert_null(error);
        assert_int_equal(c.addresses.n, 3);
        assert_string_equal(address_to_string(&c.addresses.items[0].address, buf), "203.0.113.5");
        assert_string_equal(c.addresses.items[0].helo, "Mail2.Example.COM.");     /* as sent */
        assert_string_equal(c.addresses.items[1].helo, "[IPv6:2001:db8::25]");
        assert_null(c.addresses.items[2].helo);
        assert_string_equal(c.helo_name, "[192.0.2.10]");
        assert_int_equal(c.discover, DISCOVER_ROUTE | DISCOVER_POSTFIX | DISCOVER_EXIM);
        assert_string_equal(c.postfix_config, "/srv/postfix-out");
        assert_string_equal(c.exim_config, "/etc/exim4/exim4.conf");
        /* empty: back to the defaults */
        assert_int_equal(config_parse_string(&c, "j.conf", "[Watch]\nPostfixConfig=\nEximConfig=\n", NULL), 0);
        assert_string_equal(c.postfix_config, "/etc/postfix");
        assert_null(c.exim_config);
        config_done(&c);

        static const struct {
                const char *text, *error;
        } bad[] = {
                { "[Watch]\nHeloName=mail example.com\n", "x.conf:2: HeloName=: HELO name 'mail example.com' holds a space" },
                { "[Watch]\nAddresses=192.0.2.10/24\n", "x.conf:2: Addresses=: '192.0.2.10/24': a prefix length is not an address" },
                { "[Watch]\nAddresses=192.0.2.10/\n", "x.conf:2: Addresses=: empty HELO name" },
                { "[Watch]\nAddresses=mail.example.com/192.0.2.10\n", "x.conf:2: Addresses=: 'mail.example.com' is not an IP address" },
                { "[Watch]\nHeloName=m\xc3\xa4il.example.com\n", "x.conf:2: HeloName=: HELO name" },
                { "[Watch]\nDiscover=postfix sendmail\n", "x.conf:2: Discover=: unknown method 'sendmail' (expected route, dns, postfix, exim or none)" },
                { "[Watch]\nPostfixConfig=etc/postfix\n", "x.conf:2: PostfixConfig=: 'etc/postfix' is not an absolute directory name" },
                { "[Watch]\nEximConfig=/etc/exim4/\n", "x.conf:2: EximConfig=: '/etc/exim4/' is not an absolute file name" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *e = NULL;
                assert_int_equal(config_init(&c), 0);
                assert_true(config_parse_string(&c, "x.conf", bad[i].text, &e) < 0);
                if (!e || strncmp(e, bad[i].error, strlen(bad[i].error)) != 0)
                        fail_msg("%s: got '%s', want '%s…'", bad[i].text, e ? e : "(null)", bad[i].error);
                free(e);
                config_done(&c);
        }
}

static void test_defaults_and_reset(void **state) {
        Config c;

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(c.discover, DISCOVER_ROUTE);
        assert_int_equal(c.timeout, 5 * USEC_PER_SEC);
        assert_int_equal(c.max_in_flight, 256);
        assert_int_equal(c.min_ttl, 30 * USEC_PER_SEC);
        assert_int_equal(c.max_ttl, USEC_PER_DAY);
        assert_int_equal(c.serve_stale, USEC_PER_DAY);
        assert_int_equal(c.n_servers, 0);
        assert_null(c.helo_name);
        assert_int_equal(c.n_whoami, 2);

        /* lists accumulate; an empty assignment empties them; duplicates
         * fold into one address when watched */
        assert_int_equal(config_parse_string(&c, "a.conf",
                "[Watch]\nAddresses=192.0.2.1\nAddresses=192.0.2.2 192.0.2.1\nWhoami=\nDiscover=none\n", NULL), 0);
        assert_int_equal(c.addresses.n, 3);
        {
                IdentityList l = {};
                Address *a = NULL;
                AddressInfo *info = NULL;
                size_t n = 0;
                assert_int_equal(identity_list_append(&l, &c.addresses), 0);
                assert_int_equal(identity_list_fold(&l, &a, &info, &n), 0);
                assert_int_equal(n, 2);
                assert_int_equal(strv_length(info[0].sources), 1);
                assert_string_equal(info[0].sources[0], "static");
                free(a);
                address_infos_free(info, n);
        }
        assert_int_equal(c.n_whoami, 0);
        assert_int_equal(c.discover, 0);
        assert_int_equal(config_parse_string(&c, "b.conf", "[Watch]\nAddresses=\n", NULL), 0);
        assert_int_equal(c.addresses.n, 0);
        config_done(&c);
}

/* #14.9: an error quotes at most a short prefix of what it was given. */
static void test_errors_quote_a_prefix(void **state) {
        static const char * const keys[] = { "[Watch]\nAddresses=", "[Watch]\nHeloName=", "[Resolver]\nServers=",
                                             "[Resolver]\nTimeout=", "[Watch]\nDiscover=", "" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                char *text = malloc(60000), *error = NULL;
                Config c;

                strcpy(text, keys[i]);
                memset(text + strlen(text), 'x', 50000);
                text[strlen(keys[i]) + 50000] = '\n';
                text[strlen(keys[i]) + 50001] = 0;
                assert_int_equal(config_init(&c), 0);
                assert_true(config_parse_string(&c, "q.conf", text, &error) < 0);
                assert_non_null(error);
                if (strlen(error) > 200)
                        fail_msg("key #%zu: an error of %zu bytes", i, strlen(error));
                assert_non_null(strstr(error, "xxxx…"));
                free(error);
                free(text);
                config_done(&c);
        }
}

/* The bounds of the time spans are inclusive. */
static void test_timespan_bounds(void **state) {
        Config c;

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(config_parse_string(&c, "b.conf",
                "[Resolver]\nTimeout=1ms\n[Cache]\nServeStale=0\nMinTTL=1s\nMaxTTL=30d\n", NULL), 0);
        assert_int_equal(c.timeout, USEC_PER_MSEC);
        assert_int_equal(c.serve_stale, 0);
        assert_int_equal(c.max_ttl, 30 * USEC_PER_DAY);
        assert_int_equal(config_parse_string(&c, "c.conf", "[Cache]\nServeStale=30d\n[Resolver]\nTimeout=5min\n", NULL), 0);
        assert_int_equal(c.serve_stale, 30 * USEC_PER_DAY);
        assert_int_equal(c.timeout, 5 * USEC_PER_MINUTE);
        config_done(&c);
}

static void test_unknown_is_warning(void **state) {
        Config c;
        char *error = NULL;

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(config_parse_string(&c, "u.conf",
                "[Watch]\nFrobnicate=yes\n[Future]\nSomething=1\n[Cache]\nMinTTL=5s\n", &error), 0);
        assert_null(error);
        assert_int_equal(c.min_ttl, 5 * USEC_PER_SEC);
        config_done(&c);
}

static void test_malformed(void **state) {
        static const struct {
                const char *text;
                const char *error;      /* the whole "FILE:LINE: what" message, or its start */
        } cases[] = {
                { "Addresses=192.0.2.1\n", "bad.conf:1: assignment 'Addresses=' outside of a section" },
                { "[Watch]\nAddresses=192.0.2.300\n", "bad.conf:2: Addresses=: '192.0.2.300' is not an IP address" },
                { "[Watch]\nAddresses=fe80::1%eth0\n", "bad.conf:2: Addresses=: 'fe80::1%eth0' is not an IP address: a zone index" },
                { "[Watch]\nDiscover=magic\n", "bad.conf:2: Discover=: unknown method 'magic'" },
                { "[Watch]\nDiscover=none route\n", "bad.conf:2: Discover=: 'none' cannot be combined" },
                /* a HELO name receivers refuse is the verdict's business
                 * (helo-invalid); one that is not one word is the file's */
                { "[Watch]\nHeloName=bad\tname\n", "bad.conf:2: HeloName=: HELO name 'bad\tname' holds a space or another character that is not printable ASCII: a HELO name is one word" },
                { "[Watch]\nWhoami=nosuchpreset\n", "bad.conf:2: Whoami=: 'nosuchpreset'" },
                { "[Watch]\nWhoami=name.test/MX@192.0.2.1\n", "bad.conf:2: Whoami=: 'name.test/MX@192.0.2.1': the type" },
                { "[Resolver]\nServers=127.0.0.1:99999\n", "bad.conf:2: Servers=: '127.0.0.1:99999'" },
                { "[Resolver]\nTimeout=soon\n", "bad.conf:2: Timeout=: 'soon' is not a time span" },
                { "[Resolver]\nTimeout=0\n", "bad.conf:2: Timeout=: must be greater than zero" },
                { "[Resolver]\nTimeout=1h\n", "bad.conf:2: Timeout=: '1h' is longer" },
                { "[Resolver]\nMaxInFlight=0\n", "bad.conf:2: MaxInFlight=: '0' is not a whole number from 1 to 4096" },
                { "[Resolver]\nMaxInFlight=-3\n", "bad.conf:2: MaxInFlight=" },
                { "[Resolver]\nMaxInFlight=12abc\n", "bad.conf:2: MaxInFlight=" },
                { "[Cache]\nMinTTL=1h\nMaxTTL=1min\n", "bad.conf:3: MinTTL= must not be larger than MaxTTL=" },
                { "[Cache]\nMaxTTL=99999999999999999999s\n", "bad.conf:2: MaxTTL=: '99999999999999999999s' is longer than 30d" },
                /* #10.7: the assignment that made them clash, also past line 9 */
                { "[Cache]\n\n\n\n\n\n\n\nMaxTTL=1min\nMinTTL=1h\n", "bad.conf:10: MinTTL= must not be larger than MaxTTL=" },
                { "[Cache]\nMinTTL=1min\n\n\n\n\n\n\n\nMaxTTL=10s\n", "bad.conf:10: MinTTL= must not be larger than MaxTTL=" },
                { "[Cache]\nMinTTL=2d\n", "bad.conf:2: MinTTL= must not be larger than MaxTTL=" },
                /* #10.7: getdns refuses a 0 ms timeout; --check-config must not say OK */
                { "[Resolver]\nTimeout=500us\n", "bad.conf:2: Timeout=: '500us' is shorter than 1ms" },
                { "[Resolver]\nTimeout=999usec\n", "bad.conf:2: Timeout=: '999usec' is shorter than 1ms" },
                /* #10.7: failing_since + ServeStale must not wrap */
                { "[Cache]\nServeStale=584542y\n", "bad.conf:2: ServeStale=: '584542y' is not a time span" },
                { "[Cache]\nServeStale=18446744073709551615us\n", "bad.conf:2: ServeStale=: '18446744073709551615us' is longer than 30d" },
                { "[Cache]\nServeStale=31d\n", "bad.conf:2: ServeStale=: '31d' is longer than 30d" },
                { "[Cache]\nMaxTTL=60d\n", "bad.conf:2: MaxTTL=: '60d' is longer than 30d" },
                { "[Cache\nMinTTL=1s\n", "bad.conf:1: malformed section header '[Cache'" },
                { "[Ca che]\n", "bad.conf:1: malformed section header" },
                { "[Watch]\njust some words\n", "bad.conf:2: expected KEY=VALUE or [Section], got 'just some words'" },
                { "[Watch]\n=value\n", "bad.conf:2: missing key before '='" },
                { "\n\n\n[Cache]\nServeStale=forever\n", "bad.conf:5: ServeStale=: 'forever' is not a time span" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Config c;
                char *error = NULL;

                assert_int_equal(config_init(&c), 0);
                if (config_parse_string(&c, "bad.conf", cases[i].text, &error) >= 0)
                        fail_msg("accepted malformed file #%zu:\n%s", i, cases[i].text);
                assert_non_null(error);
                if (strncmp(error, cases[i].error, strlen(cases[i].error)) != 0)
                        fail_msg("file #%zu: error \"%s\", expected \"%s…\"", i, error, cases[i].error);
                free(error);
                config_done(&c);
        }
        assert_true(ELEMENTSOF(cases) >= 15);

        /* a line past the limit is refused with its number */
        char *huge = malloc(70000), *error = NULL;
        Config c;
        strcpy(huge, "[Watch]\nAddresses=");
        memset(huge + strlen(huge), 'x', 69000);
        huge[69000] = 0;
        assert_int_equal(config_init(&c), 0);
        assert_true(config_parse_string(&c, "long.conf", huge, &error) < 0);
        assert_string_equal(error, "long.conf:2: line longer than 65536 characters");
        free(error);
        free(huge);
        config_done(&c);
}

static char *write_file(const char *dir, const char *name, const char *text) {
        char *path;
        FILE *f;

        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return path;
}

static void test_files_and_dropins(void **state) {
        char dir[] = "/tmp/ptrwatch-config-XXXXXX";
        char *main_conf, *d, *p1, *p2, *p3, *p4, *error = NULL;
        Config c;

        assert_non_null(mkdtemp(dir));
        main_conf = write_file(dir, "ptrwatchd.conf", "[Cache]\nMinTTL=1s\nMaxTTL=1h\n");
        assert_true(asprintf(&d, "%s/ptrwatchd.conf.d", dir) > 0);
        assert_int_equal(mkdir(d, 0755), 0);
        /* read in lexical order: 20 overrides 10; non-.conf files are ignored */
        p1 = write_file(d, "20-late.conf", "[Cache]\nMinTTL=7s\n");
        p2 = write_file(d, "10-early.conf", "[Cache]\nMinTTL=3s\n[Watch]\nAddresses=192.0.2.5\n");
        p3 = write_file(d, "30-notes.txt", "this is not a configuration file\n");

        assert_int_equal(config_init(&c), 0);
        assert_int_equal(config_load(&c, main_conf, true, &error), 0);
        assert_null(error);
        assert_int_equal(c.min_ttl, 7 * USEC_PER_SEC);
        assert_int_equal(c.max_ttl, USEC_PER_HOUR);
        assert_int_equal(c.addresses.n, 1);
        config_done(&c);

        /* an error in a drop-in names the drop-in and its line */
        p4 = write_file(d, "40-broken.conf", "[Cache]\n\nMaxTTL=never\n");
        assert_int_equal(config_init(&c), 0);
        assert_true(config_load(&c, main_conf, true, &error) < 0);
        assert_non_null(error);
        assert_non_null(strstr(error, "40-broken.conf:3: MaxTTL=: 'never'"));
        free(error);
        error = NULL;
        config_done(&c);

        /* a missing explicit file is an error, a missing default one is not */
        char *missing;
        assert_true(asprintf(&missing, "%s/nope.conf", dir) > 0);
        assert_int_equal(config_init(&c), 0);
        assert_true(config_load(&c, missing, true, &error) < 0);
        assert_non_null(strstr(error, "nope.conf: No such file or directory"));
        free(error);
        error = NULL;
        assert_int_equal(config_load(&c, missing, false, &error), 0);
        config_done(&c);

        /* a binary file is refused, not half-read */
        char *bin = write_file(dir, "bin.conf", "");
        FILE *f = fopen(bin, "we");
        fwrite("[Cache]\0MinTTL=1s\n", 1, 18, f);
        fclose(f);
        assert_int_equal(config_init(&c), 0);
        assert_true(config_load(&c, bin, true, &error) < 0);
        assert_non_null(strstr(error, "NUL byte"));
        free(error);
        config_done(&c);

        unlink(p1); unlink(p2); unlink(p3); unlink(p4); unlink(bin); unlink(main_conf);
        rmdir(d);
        rmdir(dir);
        free(p1); free(p2); free(p3); free(p4); free(bin); free(main_conf); free(d); free(missing);
}

static void test_resolv_conf(void **state) {
        char dir[] = "/tmp/ptrwatch-resolv-XXXXXX";
        char *path;
        Upstream *u = NULL;
        size_t n = 0;

        assert_non_null(mkdtemp(dir));
        path = write_file(dir, "resolv.conf",
                          "# comment\nsearch example.test\nnameserver 192.0.2.53\n"
                          "nameserver fe80::1%eth0\nnameserver 2001:db8::53\noptions edns0\nnameserver bogus\n");
        assert_int_equal(resolv_conf_parse(path, &u, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(u[0].address.family, AF_INET);
        assert_int_equal(u[0].port, 53);
        assert_int_equal(u[1].address.family, AF_INET6);
        free(u);
        unlink(path);
        free(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timespan),
                cmocka_unit_test(test_upstream),
                cmocka_unit_test(test_full_file),
                cmocka_unit_test(test_defaults_and_reset),
                cmocka_unit_test(test_identities),
                cmocka_unit_test(test_timespan_bounds),
                cmocka_unit_test(test_errors_quote_a_prefix),
                cmocka_unit_test(test_unknown_is_warning),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_files_and_dropins),
                cmocka_unit_test(test_resolv_conf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
