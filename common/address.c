/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "macro.h"

int address_parse(const char *s, Address *ret, const char **ret_why) {
        const char *why = NULL;
        Address a = {};

        if (isempty(s))
                why = "empty address";
        else if (strlen(s) >= ADDRESS_STRING_MAX)
                why = "too long to be an address";
        else if (strpbrk(s, " \t\r\n\v\f"))
                why = "contains white space";
        else if (strchr(s, '%'))
                /* A zone index only means something for link-local addresses,
                 * which have no reverse DNS a receiver could see. */
                why = "a zone index (%…) is not allowed";
        else if (strchr(s, '/'))
                why = "a prefix length is not allowed: give one address";
        else if (s[0] == '[')
                why = "brackets are not allowed: give the bare address";
        else if (inet_pton(AF_INET, s, &a.in) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, &a.in6) == 1) {
                if (IN6_IS_ADDR_V4MAPPED(&a.in6)) {
                        /* ::ffff:a.b.c.d is IPv4 on the wire: a receiver sees
                         * a.b.c.d and looks up its in-addr.arpa name. */
                        struct in_addr v4;
                        memcpy(&v4, a.bytes + 12, 4);
                        a = (Address) { .family = AF_INET, .in = v4 };
                } else
                        a.family = AF_INET6;
        } else
                why = strchr(s, ':') ? "not a valid IPv6 address" : "not a valid IPv4 address";

        if (why) {
                if (ret_why)
                        *ret_why = why;
                return -EINVAL;
        }
        if (ret)
                *ret = a;
        return 0;
}

const char *address_to_string(const Address *a, char buf[static ADDRESS_STRING_MAX]) {
        if (!inet_ntop(a->family, a->bytes, buf, ADDRESS_STRING_MAX))
                strcpy(buf, "?");
        return buf;
}

void address_reverse_name(const Address *a, char buf[static REVERSE_NAME_MAX]) {
        static const char hex[] = "0123456789abcdef";
        char *p = buf;

        if (a->family == AF_INET) {
                snprintf(buf, REVERSE_NAME_MAX, "%u.%u.%u.%u.in-addr.arpa",
                         a->bytes[3], a->bytes[2], a->bytes[1], a->bytes[0]);
                return;
        }
        for (int i = 15; i >= 0; i--) {
                *p++ = hex[a->bytes[i] & 0xf];
                *p++ = '.';
                *p++ = hex[a->bytes[i] >> 4];
                *p++ = '.';
        }
        strcpy(p, "ip6.arpa");
}

static size_t address_size(const Address *a) {
        return a->family == AF_INET ? 4 : 16;
}

bool address_equal(const Address *a, const Address *b) {
        return a->family == b->family && memcmp(a->bytes, b->bytes, address_size(a)) == 0;
}

int address_compare(const Address *a, const Address *b) {
        if (a->family != b->family)
                return a->family == AF_INET ? -1 : 1;
        return memcmp(a->bytes, b->bytes, address_size(a));
}

void addresses_sort_unique(Address *a, size_t *n) {
        size_t k = 0;

        if (*n < 2)
                return;
        qsort(a, *n, sizeof(Address), address_compare_qsort);
        for (size_t i = 1; i < *n; i++)
                if (!address_equal(&a[i], &a[k]))
                        a[++k] = a[i];
        *n = k + 1;
}

int address_compare_qsort(const void *a, const void *b) {
        return address_compare(a, b);
}

typedef struct ScopeRange {
        int family;
        uint8_t prefix[16];
        unsigned prefixlen;
        AddressScope scope;
} ScopeRange;

/* Most specific first: the first match wins. */
static const ScopeRange scope_ranges[] = {
        { AF_INET,  { 0 },                    8,  ADDRESS_UNSPECIFIED },
        { AF_INET,  { 10 },                   8,  ADDRESS_PRIVATE },
        { AF_INET,  { 100, 64 },              10, ADDRESS_CGNAT },
        { AF_INET,  { 127 },                  8,  ADDRESS_LOOPBACK },
        { AF_INET,  { 169, 254 },             16, ADDRESS_LINK_LOCAL },
        { AF_INET,  { 172, 16 },              12, ADDRESS_PRIVATE },
        { AF_INET,  { 192, 0, 2 },            24, ADDRESS_DOCUMENTATION },
        { AF_INET,  { 192, 168 },             16, ADDRESS_PRIVATE },
        { AF_INET,  { 198, 18 },              15, ADDRESS_BENCHMARK },
        { AF_INET,  { 198, 51, 100 },         24, ADDRESS_DOCUMENTATION },
        { AF_INET,  { 203, 0, 113 },          24, ADDRESS_DOCUMENTATION },
        { AF_INET,  { 224 },                  4,  ADDRESS_MULTICAST },
        { AF_INET,  { 240 },                  4,  ADDRESS_RESERVED },
        { AF_INET6, { 0 },                    128, ADDRESS_UNSPECIFIED },
        { AF_INET6, { [15] = 1 },             128, ADDRESS_LOOPBACK },
        { AF_INET6, { 0x20, 0x01, 0x0d, 0xb8 }, 32, ADDRESS_DOCUMENTATION },
        { AF_INET6, { 0xfc },                 7,  ADDRESS_ULA },
        { AF_INET6, { 0xfe, 0x80 },           10, ADDRESS_LINK_LOCAL },
        { AF_INET6, { 0xff },                 8,  ADDRESS_MULTICAST },
};

static bool prefix_matches(const uint8_t *addr, const uint8_t *prefix, unsigned len) {
        unsigned bytes = len / 8, bits = len % 8;

        if (memcmp(addr, prefix, bytes) != 0)
                return false;
        if (bits == 0)
                return true;
        uint8_t mask = (uint8_t) (0xff << (8 - bits));
        return (addr[bytes] & mask) == (prefix[bytes] & mask);
}

AddressScope address_scope(const Address *a) {
        for (size_t i = 0; i < ELEMENTSOF(scope_ranges); i++)
                if (scope_ranges[i].family == a->family &&
                    prefix_matches(a->bytes, scope_ranges[i].prefix, scope_ranges[i].prefixlen))
                        return scope_ranges[i].scope;
        return ADDRESS_GLOBAL;
}

static const char * const scope_names[_ADDRESS_SCOPE_MAX] = {
        [ADDRESS_GLOBAL]        = "global",
        [ADDRESS_PRIVATE]       = "private",
        [ADDRESS_CGNAT]         = "cgnat",
        [ADDRESS_ULA]           = "ula",
        [ADDRESS_LINK_LOCAL]    = "link-local",
        [ADDRESS_LOOPBACK]      = "loopback",
        [ADDRESS_DOCUMENTATION] = "documentation",
        [ADDRESS_BENCHMARK]     = "benchmark",
        [ADDRESS_UNSPECIFIED]   = "unspecified",
        [ADDRESS_MULTICAST]     = "multicast",
        [ADDRESS_RESERVED]      = "reserved",
};

const char *address_scope_to_string(AddressScope s) {
        return s < _ADDRESS_SCOPE_MAX ? scope_names[s] : NULL;
}

bool address_scope_is_behind_nat(AddressScope s) {
        return s == ADDRESS_PRIVATE || s == ADDRESS_CGNAT || s == ADDRESS_ULA;
}
