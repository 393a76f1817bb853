/* SPDX-License-Identifier: MIT */
/* The regular-expression prefilter (daemon/util/regex-literal.c): what it
 * finds in patterns, and that with it SpamAssassin's own rules hit exactly
 * as without it on relays made to hit them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "regex-literal.h"
#include "sa-rules.h"

static void test_filters(void **state) {
        static const struct {
                const char *pattern;
                bool caseless;
                const char *filter;     /* NULL: none */
        } cases[] = {
                { "^[^\\]]+ rdns=\\S*(?:cm|catv|dsl)\\S*\\d+", true, " rdns=\ncm|catv|dsl\n" },
                { "^[^\\]]+ helo=\\S+\\.(?:home|lan) ", false, " helo=\nhome|lan\n" },
                { "foo|bar", false, "foo|bar\n" },              /* alternatives at the top */
                { "abcd?ef", false, "abc\nef\n" },              /* d may be absent */
                { "mail(?:box)?", false, "mail\n" },            /* an optional group */
                { "(?:a|b)*cd", false, "cd\n" },
                { "(?:mx|smtp){0,2}relay", false, "relay\n" },
                { "(?:mx|smtp)+relay", false, "mx|smtp\nrelay\n" },
                { "x{0,3}yz", false, "yz\n" },
                { "ab{2}cd", false, "ab\ncd\n" },
                { "ab+c", false, "ab\n" },
                { "MAIL", true, "mail\n" },
                { "MAIL", false, "MAIL\n" },
                { "\\.example\\.com", false, ".example.com\n" },
                { "\\bmail\\b", false, "mail\n" },
                { "\\x{41}BC", false, "BC\n" },                 /* a code point and its argument */
                { "\\x41BC", false, "BC\n" },
                { "\\p{Lu}xy", false, "xy\n" },
                { "\\d{1,3}\\.\\d{1,3}", false, NULL },
                { "xa{foo}bar", false, "bar\n" },               /* "{" not a quantifier (to PCRE2 10.42) */
                { "xab{ 1 }cd", false, "xa\ncd\n" },           /* nor this, to 10.42: b may be repeated nothing */
                { "xab{,3}cd", false, "xa\ncd\n" },
                { "x(?:ab|cd){,3}yz", false, "yz\n" },         /* a group that may match nothing */
                { "[abc]+mail", false, "mail\n" },
                { "[]|x]mail", false, "mail\n" },               /* "]" first in a class */
                { "(foo|)bar", false, "bar\n" },                /* an empty alternative */
                { "(?:a.b|cd)xy", false, "a|cd\nxy\n" },        /* each alternative's longest run */
                { "(?<!smtp)mail", false, "mail\n" },           /* an assertion, skipped */
                { "(?#a comment (with)mail", false, "mail\n" },  /* a comment ends at its first ")" */
                { "(?#comment)abc", false, "abc\n" },
                { "(?i)mail", false, NULL },                    /* inline options */
                { "x(?i:MAIL)", false, NULL },
                { "\\Qa.b\\E", false, NULL },
                { "(*UTF)abc", false, NULL },
                { "a(*ACCEPT)mail", false, NULL },
                { "a\\|b", false, NULL },                       /* "|" is the filter's separator */
                { "\\1mail", false, "mail\n" },                 /* a back reference */
                { "mail\\", false, NULL },                      /* does not compile */
                { "m\xc3\xa4il", false, "il\n" },               /* not ASCII: ends a run */
                { "rdns=\\S*\\bmail[^a-z]", true, "rdns=\nmail\n" },   /* every run */
                { "\\S+[\\-\\.](?:dial|\\S?dsl|cable)[\\-\\.]", true, "dial|dsl|cable\n" },
                { "helo=(?:pc|oem\\S*) ", false, "helo=\npc|oem\n" },
                { "(?:(?<!smtp)cm|dsl)x", false, "cm|dsl\n" },     /* an assertion takes nothing */
                { "(?:ab|c*)x", false, NULL },                  /* an alternative that requires nothing */
                { "foo|b.r", false, "foo|b\n" },
                { "(?:mx|(?:smtp|relay)\\d)", false, NULL },    /* a group's requirement is no run of its alternative */
                { "((((((((((a|b))))))))))", false, NULL },     /* deeper than REGEX_GROUP_DEPTH_MAX */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *f = regex_prefilter(cases[i].pattern, strlen(cases[i].pattern), cases[i].caseless);
                if (!cases[i].filter != !f || (f && strcmp(f, cases[i].filter) != 0))
                        fail_msg("/%s/%s: filter \"%s\", expected \"%s\"", cases[i].pattern,
                                 cases[i].caseless ? "i" : "", f ?: "(none)", cases[i].filter ?: "(none)");
                free(f);
        }
}

static bool possible(const char *filter, bool caseless, const char *subject) {
        char lower[256];
        bool ascii = true;
        size_t i;
        for (i = 0; subject[i]; i++) {
                lower[i] = (char) (subject[i] >= 'A' && subject[i] <= 'Z' ? subject[i] + 32 : subject[i]);
                ascii = ascii && !(subject[i] & 0x80);
        }
        lower[i] = 0;
        return regex_prefilter_possible(filter, caseless, subject, i, lower, ascii);
}

static void test_possible(void **state) {
        assert_true(possible(NULL, false, "anything"));
        assert_true(possible("dsl|cable\n rdns=\n", false, "[ rdns=cable7.example ]"));
        assert_false(possible("dsl|cable\n rdns=\n", false, "[ rdns=mail.example ]"));
        assert_false(possible("dsl|cable\n rdns=\n", false, "[ helo=dsl.example ]"));
        assert_false(possible("dsl|cable\n", false, "[ rdns=DSL7.example ]"));
        assert_true(possible("dsl|cable\n", true, "[ rdns=DSL7.example ]"));
        /* caseless, "s" matches U+017F: a subject that is not ASCII is never ruled out */
        assert_true(possible("dsl\n", true, "[ rdns=d\xc5\xbfl.example ]"));
        assert_false(possible("dsl\n", false, "[ rdns=d\xc5\xbfl.example ]"));
}

typedef struct Hits {
        char text[4096];
        size_t len;
} Hits;

static int collect(const char *rule, double score, const char *where, void *userdata) {
        Hits *h = userdata;
        h->len += (size_t) snprintf(h->text + h->len, sizeof h->text - h->len, "%s ", rule);
        assert_true(h->len < sizeof h->text);
        return 0;
}

/* Relays that hit SpamAssassin's relay rules: dynamic-looking names, names
 * holding the address, well-known names in HELO, bare and bracketed
 * addresses, upper case, names that are not ASCII. */
static void test_spamassassin(void **state) {
        static const char * const names[] = {
                "", "mail.example.com", "MAIL.EXAMPLE.COM", "mx1.example.org", "smtp.example.net",
                "c-198-51-100-7.hsd1.ma.comcast.net", "dsl-198-51-100-7.dynamic.example.net",
                "198-51-100-7.static.example.net", "host7.static.example.net", "ppp-7.pool.example",
                "cpe-198-51-100-7.res.rr.com", "adsl.example.home", "dhcp7.cable.example", "7.100.51.198.example",
                "customer.198.51.100.7.example", "ip198-51-100-7.client.example", "ool-c6336407.dyn.example.net",
                "localhost", "mail.gmail.com", "ſmtp.example", "Kable7.example", "outbound-mail.example.com",
        };
        static const char * const helos[] = {
                NULL, "mail.example.com", "[198.51.100.7]", "198.51.100.7", "localhost", "example",
                "smtp.gmail.com", "hotmail.com", "dsl-198-51-100-7.example", "adsl.home", "mx.lan", "MAIL",
                "c6336407.example", "user-pc", "ſmtp.example",
        };
        static const SaEval evals[] = { { "ALL_TRUSTED", false }, { "NO_RELAYS", false },
                                        { "RCVD_HELO_IP_MISMATCH", false } };
        SaRules *rules;
        char *first_bad = NULL;
        unsigned bad;
        size_t n_hit = 0;
        char seen[8192] = " ";

        if (access("/usr/share/spamassassin", F_OK) < 0)
                skip();         /* scripts/test installs spamassassin */
        assert_int_equal(sa_rules_load(NULL, NULL, &rules, &bad, &first_bad), 0);
        assert_non_null(rules);
        free(first_bad);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                for (size_t k = 0; k < ELEMENTSOF(helos); k++) {
                        SaRelay relay = { .ip = "198.51.100.7", .rdns = names[i], .helo = helos[k] };
                        Hits with = { .len = 0 }, without = { .len = 0 };
                        sa_rules_set_prefilter(rules, true);
                        assert_int_equal(sa_rules_evaluate(rules, &relay, evals, ELEMENTSOF(evals), collect, &with), 0);
                        sa_rules_set_prefilter(rules, false);
                        assert_int_equal(sa_rules_evaluate(rules, &relay, evals, ELEMENTSOF(evals), collect,
                                                           &without), 0);
                        if (!streq(with.text, without.text))
                                fail_msg("rdns=%s helo=%s: with the prefilter \"%s\", without \"%s\"", names[i],
                                         helos[k] ?: "(none)", with.text, without.text);
                        for (char *w = strtok(with.text, " "); w; w = strtok(NULL, " ")) {
                                char key[300];
                                snprintf(key, sizeof key, " %s ", w);
                                if (!strstr(seen, key) && strlen(seen) + strlen(key) < sizeof seen) {
                                        strcat(seen, key + 1);
                                        n_hit++;
                                }
                        }
                }
        /* the relays hit enough different rules for the comparison to mean something */
        if (n_hit < 12)
                fail_msg("only %zu rules hit: %s", n_hit, seen);
        sa_rules_free(rules);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_filters),
                cmocka_unit_test(test_possible),
                cmocka_unit_test(test_spamassassin),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
