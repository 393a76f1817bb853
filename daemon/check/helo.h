/* SPDX-License-Identifier: MIT */
#pragma once

#include "dnsreply.h"
#include "verdict.h"

/* The HELO checks receivers make (Postfix smtpd_check.c:
 * reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname,
 * reject_unknown_helo_hostname), and whether a PTR name equals the HELO name. */

typedef enum HeloForm {
        HELO_HOSTNAME,          /* a valid host name by Postfix's rules */
        HELO_ADDRESS,           /* an address literal, [192.0.2.10] or [IPv6:2001:db8::1] */
        HELO_BARE_ADDRESS,      /* 192.0.2.10 or 2001:db8::1, without brackets */
        HELO_INVALID,
} HeloForm;

HeloForm helo_form(const char *helo);
/* Whether the unresolvable check asks DNS about it: a host name, as Postfix
 * asks (res_query(), without search domains: a name without a dot is asked
 * as it is). An address, literal or bare, is never looked up: Postfix's
 * dns_lookup() refuses a name that is not a valid host name unasked. */
bool helo_needs_lookup(const char *helo);

enum { HELO_LOOKUP_A, HELO_LOOKUP_AAAA, HELO_LOOKUP_MX, _HELO_LOOKUP_MAX };

/* What DNS said of a HELO name (Verdict.helo_dns, for helo[0]): the
 * receivers' predictions rest on it. */
#define HELO_DNS_ASKED  (1u << 0)
#define HELO_DNS_A      (1u << 1)
#define HELO_DNS_AAAA   (1u << 2)
#define HELO_DNS_MX     (1u << 3)
#define HELO_DNS_TEMP   (1u << 4)       /* some question had no answer */

typedef struct HeloAnswers {
        const char *name;
        const DnsReply *reply[_HELO_LOOKUP_MAX];        /* NULL when not asked */
} HeloAnswers;

unsigned helo_dns_facts(const HeloAnswers *h);

/* Adds the HELO reasons and their message clauses to a definitive verdict
 * (v->confirmed decides helo-mismatch), and lowers *min_ttl to the TTL of
 * the answers they rest on. */
int helo_evaluate(Verdict *v, const HeloAnswers *h, size_t n, uint32_t *min_ttl);
