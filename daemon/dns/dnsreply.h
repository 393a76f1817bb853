/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "address.h"

/* What one DNS question came back with, reduced to what a verdict needs. */
typedef enum DnsStatus {
        DNS_ANSWER,             /* NOERROR with records of the asked type */
        DNS_NODATA,             /* NOERROR, none of the asked type */
        DNS_NXDOMAIN,
        DNS_SERVFAIL,
        DNS_REFUSED,            /* REFUSED and any other error rcode */
        DNS_TIMEOUT,
        DNS_UNREACHABLE,        /* no upstream could be asked at all */
        DNS_INVALID,            /* a reply that cannot be trusted: malformed, another
                                 * question's, cut short, a CNAME loop; why says which */
        _DNS_STATUS_MAX,
} DnsStatus;

/* Longest CNAME chain we follow inside one answer. */
#define DNS_CNAME_CHAIN_MAX 16

typedef struct DnsReply {
        DnsStatus status;
        int rcode;
        char **names;           /* PTR or MX targets (lower case, no trailing dot,
                                 * in answer order) or TXT strings */
        Address *addresses;     /* A or AAAA records */
        size_t n_addresses;
        /* ANSWER: the smallest TTL over the CNAME chain and the RRset.
         * NODATA/NXDOMAIN: the RFC 2308 negative TTL, min(SOA TTL, SOA
         * MINIMUM), when the reply carried an SOA (has_ttl). */
        uint32_t ttl;
        bool has_ttl;
        const char *why;        /* DNS_INVALID: a static sentence */
        /* Who holds the zone: the SOA of a negative answer's authority
         * section, or of an SOA answer. */
        char *soa_zone;         /* its owner: the zone's apex */
        char *soa_mname;
        char *soa_contact;      /* RNAME as a mail address (RFC 1035 §3.3.13) */
        char *cname_end;        /* the name a CNAME chain from the question led to */
} DnsReply;

void dns_reply_done(DnsReply *r);
/* RFC 2181 §8: a TTL with the most significant bit set is treated as 0. */
uint32_t dns_ttl_sanitize(uint32_t ttl);
bool dns_status_is_negative(DnsStatus s);       /* a definitive "no" */
bool dns_status_is_temporary(DnsStatus s);      /* no answer at all */
const char *dns_status_to_string(DnsStatus s);
