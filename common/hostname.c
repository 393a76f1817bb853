/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "hostname.h"
#include "macro.h"

/* Postfix src/util/valid_hostname.c: letters, digits, '-', '_' and '.';
 * labels of 1-63 characters that neither start nor end with '-'; at most 255
 * characters; not all-numeric. A name that parses as an address literal is a
 * "numeric hostname" to smtpd and counts as no name. */
bool hostname_is_valid(const char *name) {
        size_t label = 0, total = 0;
        bool non_numeric = false;

        if (isempty(name))
                return false;
        for (const char *p = name; *p; p++, total++) {
                unsigned char c = (unsigned char) *p;

                if (isalnum(c) || c == '_') {
                        if (++label > HOSTNAME_LABEL_MAX)
                                return false;
                        if (!isdigit(c))
                                non_numeric = true;
                } else if (c == '-') {
                        if (label == 0 || p[1] == 0 || p[1] == '.')
                                return false;
                        label++;
                        non_numeric = true;
                } else if (c == '.') {
                        if (label == 0 || p[1] == 0)
                                return false;
                        label = 0;
                } else
                        return false;
        }
        if (total > HOSTNAME_MAX || !non_numeric)
                return false;
        return address_parse(name, NULL, NULL) < 0;
}

char *hostname_normalize(const char *name) {
        size_t n = strlen(name);
        char *s;

        if (n > 1 && name[n - 1] == '.')
                n--;
        s = strndup(name, n);
        if (!s)
                return NULL;
        for (char *p = s; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return s;
}

/* Without the Public Suffix List (a runtime dependency we do not want for a
 * heuristic), the registered domain is the last two labels, or the last three
 * when the name ends in a two-letter country code under one of these common
 * second-level labels (example.co.uk, example.com.au, example.ne.jp). */
static const char * const second_level_labels[] = {
        "ac", "co", "com", "edu", "gen", "go", "gob", "gov", "ltd", "mil",
        "ne", "net", "nom", "or", "org", "plc", "sch",
};

size_t hostname_host_part_length(const char *name) {
        const char *dot[3] = {};        /* the last three dots, the last first */
        size_t n = strlen(name), k = 0;

        for (const char *p = name + n; p > name && k < 3; p--)
                if (p[-1] == '.')
                        dot[k++] = p - 1;
        if (k < 2)
                return 0;               /* one or two labels: all registered domain */

        if (strlen(dot[0] + 1) == 2) {
                size_t l = (size_t) (dot[0] - dot[1] - 1);
                for (size_t i = 0; i < ELEMENTSOF(second_level_labels); i++)
                        if (strlen(second_level_labels[i]) == l &&
                            strncmp(dot[1] + 1, second_level_labels[i], l) == 0)
                                return k == 3 ? (size_t) (dot[2] - name) : 0;
        }
        return (size_t) (dot[1] - name);
}

/* Dynamic-pool tokens, from SpamAssassin 20_dynrdns.cf, Rspamd hfilter.lua and
 * draft-msullivan-dnsop-generic-naming-schemes. The one table of them. */
static const char * const generic_tokens[] = {
        "adsl", "broadband", "cable", "catv", "client", "cpe", "cust",
        "customer", "dhcp", "dial", "dialup", "dsl", "dyn", "dynamic", "nat",
        "pool", "ppp", "pppoe", "res",
};

static bool is_separator(char c) {
        return c == '-' || c == '.' || c == '_';
}

/* needle occurs in hay[0..n) with neither neighbour accepted by "inside". */
static bool contains_bounded(const char *hay, size_t n, const char *needle, int (*inside)(int)) {
        size_t k = strlen(needle);

        for (size_t i = 0; k > 0 && i + k <= n; i++)
                if (memcmp(hay + i, needle, k) == 0 &&
                    (i == 0 || !inside((unsigned char) hay[i - 1])) &&
                    (i + k == n || !inside((unsigned char) hay[i + k])))
                        return true;
        return false;
}

static int is_token_char(int c) {
        /* A token is bounded by a separator, a digit or the end. */
        return c && !is_separator((char) c) && !isdigit(c);
}

static bool has_generic_token(const char *host, size_t n, const char **ret_token) {
        for (size_t i = 0; i < ELEMENTSOF(generic_tokens); i++)
                if (contains_bounded(host, n, generic_tokens[i], is_token_char)) {
                        *ret_token = generic_tokens[i];
                        return true;
                }
        return false;
}

/* A maximal run of digits in the host part. */
typedef struct Run {
        size_t start, end;
} Run;

/* Whether digits[0..n) write octet o: decimal, or zero-padded to three. */
static bool writes_octet(const char *digits, size_t n, unsigned o) {
        unsigned v = 0;

        if (n == 0 || n > 3)
                return false;
        for (size_t i = 0; i < n; i++)
                v = v * 10 + (unsigned) (digits[i] - '0');
        if (v != o)
                return false;
        return n == 3 || digits[0] != '0' || n == 1;    /* "7", "007", "192": yes; "07": no */
}

static bool adjacent_octets(const char *a, size_t na, const char *b, size_t nb, const uint8_t o[4]) {
        for (int i = 0; i < 3; i++)
                if ((writes_octet(a, na, o[i]) && writes_octet(b, nb, o[i + 1])) ||
                    (writes_octet(a, na, o[i + 1]) && writes_octet(b, nb, o[i])))
                        return true;
        return false;
}

/* Two octets that are adjacent in the address, in either order, decimal or
 * zero-padded, joined by '-', '.', '_' — or by nothing, but then both must be
 * zero-padded: "web20" is a host number, "192000" is an address. Or all
 * four zero-padded, in either order; or all four as 8 hex digits. Each must
 * stand alone: no digit (hex digit for the hex form) right before or after.
 * One pass over the digit runs of the host part, no formatting. */
static bool embeds_ipv4(const char *host, size_t n, const uint8_t o[4]) {
        Run runs[HOSTNAME_MAX / 2 + 1];
        size_t k = 0;

        for (size_t i = 0; i < n && k < ELEMENTSOF(runs); ) {
                if (!isdigit((unsigned char) host[i])) {
                        i++;
                        continue;
                }
                runs[k].start = i;
                while (i < n && isdigit((unsigned char) host[i]))
                        i++;
                runs[k++].end = i;
        }

        for (size_t r = 0; r < k; r++) {
                const char *d = host + runs[r].start;
                size_t len = runs[r].end - runs[r].start;

                /* joined by a separator: this run, one separator, the next run */
                if (r + 1 < k && runs[r + 1].start == runs[r].end + 1 && is_separator(host[runs[r].end]) &&
                    adjacent_octets(d, len, host + runs[r + 1].start, runs[r + 1].end - runs[r + 1].start, o))
                        return true;
                /* joined by nothing: two octets zero-padded, or all four */
                if (len == 6 && adjacent_octets(d, 3, d + 3, 3, o))
                        return true;
                if (len == 12 &&
                    ((writes_octet(d, 3, o[0]) && writes_octet(d + 3, 3, o[1]) &&
                      writes_octet(d + 6, 3, o[2]) && writes_octet(d + 9, 3, o[3])) ||
                     (writes_octet(d, 3, o[3]) && writes_octet(d + 3, 3, o[2]) &&
                      writes_octet(d + 6, 3, o[1]) && writes_octet(d + 9, 3, o[0]))))
                        return true;
        }

        /* All four octets as 8 hex digits, as in SpamAssassin's __RDNS_DYNAMIC_HEXIP. */
        char hex[9];
        snprintf(hex, sizeof hex, "%02x%02x%02x%02x", o[0], o[1], o[2], o[3]);
        return contains_bounded(host, n, hex, isxdigit);
}

/* A run of at least two consecutive hex groups of the address, not all zero,
 * joined by '-', '.' or '_' (with or without leading zeros); or the low 64
 * bits or the whole address as contiguous hex digits. */
static bool embeds_ipv6(const char *host, size_t n, const Address *a) {
        static const char seps[] = "-._";
        uint16_t g[8];
        char needle[64];

        for (int i = 0; i < 8; i++)
                g[i] = (uint16_t) (a->bytes[2 * i] << 8 | a->bytes[2 * i + 1]);

        for (int i = 0; i < 7; i++) {
                if (g[i] == 0 && g[i + 1] == 0)
                        continue;
                for (const char *s = seps; *s; s++)
                        for (int pad = 0; pad < 2; pad++) {
                                snprintf(needle, sizeof needle, pad ? "%04x%c%04x" : "%x%c%x",
                                         g[i], *s, g[i + 1]);
                                if (contains_bounded(host, n, needle, isxdigit))
                                        return true;
                        }
        }

        char full[33];
        for (int i = 0; i < 16; i++)
                snprintf(full + 2 * i, 3, "%02x", a->bytes[i]);
        if (contains_bounded(host, n, full, isxdigit) ||
            contains_bounded(host, n, full + 16, isxdigit))
                return true;

        /* The compressed text form with ':' written as '-', e.g. 2001-db8--25. */
        char text[ADDRESS_STRING_MAX];
        address_to_string(a, text);
        for (char *p = text; *p; p++)
                if (*p == ':')
                        *p = '-';
        return contains_bounded(host, n, text, isxdigit);
}

bool hostname_is_generic(const char *name, const Address *a, const char **ret_token) {
        size_t n = hostname_host_part_length(name);
        const char *token = NULL;

        if (n == 0)
                return false;
        if (!(a->family == AF_INET ? embeds_ipv4(name, n, a->bytes) : embeds_ipv6(name, n, a)) &&
            !has_generic_token(name, n, &token))
                return false;
        if (ret_token)
                *ret_token = token;
        return true;
}
