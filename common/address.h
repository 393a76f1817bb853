/* SPDX-License-Identifier: MIT */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct Address {
        int family;                     /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
                uint8_t bytes[16];
        };
} Address;

/* "255.255.255.255" or the longest RFC 5952 text, plus NUL. */
#define ADDRESS_STRING_MAX 46
/* 32 nibbles, each with a dot, then "ip6.arpa", plus NUL. */
#define REVERSE_NAME_MAX (32 * 2 + 8 + 1)

typedef enum AddressScope {
        ADDRESS_GLOBAL,
        ADDRESS_PRIVATE,        /* RFC 1918 */
        ADDRESS_CGNAT,          /* RFC 6598 shared address space */
        ADDRESS_ULA,            /* RFC 4193 */
        ADDRESS_LINK_LOCAL,
        ADDRESS_LOOPBACK,
        ADDRESS_DOCUMENTATION,  /* RFC 5737, RFC 3849 */
        ADDRESS_BENCHMARK,      /* RFC 2544 */
        ADDRESS_UNSPECIFIED,
        ADDRESS_MULTICAST,
        ADDRESS_RESERVED,
        _ADDRESS_SCOPE_MAX,
} AddressScope;

/* Strict parse of one IPv4 or IPv6 address in text form. On failure returns
 * -EINVAL and, if ret_why is set, a short phrase saying what is wrong. */
int address_parse(const char *s, Address *ret, const char **ret_why);

const char *address_to_string(const Address *a, char buf[static ADDRESS_STRING_MAX]);
void address_reverse_name(const Address *a, char buf[static REVERSE_NAME_MAX]);
bool address_equal(const Address *a, const Address *b);
int address_compare(const Address *a, const Address *b);
/* address_compare() for qsort() and bsearch() over arrays of Address. */
int address_compare_qsort(const void *a, const void *b);
/* Sorted, each address once: one sort, not a scan per address. */
void addresses_sort_unique(Address *a, size_t *n);

AddressScope address_scope(const Address *a);
const char *address_scope_to_string(AddressScope s);
/* Private, CGNAT and ULA addresses are translated before they reach a receiver. */
bool address_scope_is_behind_nat(AddressScope s);
