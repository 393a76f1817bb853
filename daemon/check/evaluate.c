/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "evaluate.h"
#include "receivers-predict.h"
#include "hostname.h"
#include "macro.h"
#include "strv.h"

/* What the forward replies taught us, folded over every PTR name. */
typedef struct ForwardSummary {
        size_t n_asked;
        const char *mismatch_name;      /* first name with records, none ours */
        const Address *mismatch_address;
        const char *missing_name;       /* first name without records */
        const char *generic_name;       /* first confirming name that looks generic */
        const char *generic_token;
        const char *invalid_name;       /* first name that is not a host name */
        bool temporary;
        bool timeout;
        uint32_t min_ttl;
        bool ttl_from_negative_without_soa;
} ForwardSummary;

static usec_t clamp_ttl(uint64_t ttl_usec, const VerdictPolicy *p) {
        return CLAMP(ttl_usec, p->min_ttl, p->max_ttl);
}

static int confirm_names(Verdict *v, const DnsReply *ptr, const DnsReply * const *forward,
                         ForwardSummary *s) {
        int r;

        for (size_t i = 0; ptr->names && ptr->names[i]; i++) {
                const char *name = ptr->names[i];
                const DnsReply *f = forward ? forward[i] : NULL;

                if (!hostname_is_valid(name)) {
                        if (!s->invalid_name)
                                s->invalid_name = name;
                        continue;
                }
                if (!f)
                        continue;
                s->n_asked++;

                if (dns_status_is_temporary(f->status)) {
                        s->temporary = true;
                        s->timeout = s->timeout || f->status == DNS_TIMEOUT || f->status == DNS_UNREACHABLE;
                        continue;
                }
                if (f->has_ttl)
                        s->min_ttl = MIN(s->min_ttl, f->ttl);
                else
                        s->ttl_from_negative_without_soa = true;

                bool match = false;
                for (size_t k = 0; k < f->n_addresses; k++)
                        if (address_equal(&f->addresses[k], &v->address))
                                match = true;
                if (match) {
                        const char *token;
                        r = strv_extend(&v->confirmed, name);
                        if (r < 0)
                                return r;
                        if (!s->generic_name && hostname_is_generic(name, &v->address, &token)) {
                                s->generic_name = name;
                                s->generic_token = token;
                        }
                } else if (f->n_addresses > 0) {
                        if (!s->mismatch_name) {
                                s->mismatch_name = name;
                                s->mismatch_address = &f->addresses[0];
                        }
                } else if (!s->missing_name)
                        s->missing_name = name;
        }
        return 0;
}

/* The sentence for each warning a passing address may carry. */
static int append_warnings(Verdict *v, const DnsReply *ptr, const ForwardSummary *s) {
        int r = 0;

        if (v->reasons & REASON_BIT(REASON_MULTIPLE_PTR))
                r = strextendf(&v->message, "; %zu PTR records: Postfix and others use only the first "
                               "one the resolver returns, so receivers may see a different name",
                               strv_length(ptr->names));
        if (r >= 0 && (v->reasons & REASON_BIT(REASON_INVALID_NAME)))
                r = strextendf(&v->message, "; PTR name '%s' is not a valid host name", s->invalid_name);
        if (r >= 0 && (v->reasons & REASON_BIT(REASON_GENERIC_PTR))) {
                if (s->generic_token)
                        r = strextendf(&v->message, "; PTR name %s looks dynamic (token '%s'), "
                                       "which spam filters penalize", s->generic_name, s->generic_token);
                else
                        r = strextendf(&v->message, "; PTR name %s looks generic (it embeds the address), "
                                       "which spam filters penalize", s->generic_name);
        }
        return r;
}

static int evaluate_names(Verdict *v, const DnsReply *ptr, const DnsReply * const *forward,
                          const VerdictPolicy *p, const char *addr) {
        const char *family = v->address.family == AF_INET ? "A" : "AAAA";
        ForwardSummary s = { .min_ttl = ptr->ttl };
        int r;

        if (strv_length(ptr->names) > 1)
                v->reasons |= REASON_BIT(REASON_MULTIPLE_PTR);
        r = confirm_names(v, ptr, forward, &s);
        if (r < 0)
                return r;
        if (s.invalid_name)
                v->reasons |= REASON_BIT(REASON_INVALID_NAME);

        /* A negative forward answer without an SOA is held for MinTTL, the floor. */
        usec_t ttl = s.ttl_from_negative_without_soa ? p->min_ttl
                                                     : clamp_ttl((uint64_t) s.min_ttl * USEC_PER_SEC, p);

        if (v->confirmed) {
                if (s.generic_name)
                        v->reasons |= REASON_BIT(REASON_GENERIC_PTR);
                v->kind = (v->reasons & REASON_WARNINGS) ? VERDICT_WARN : VERDICT_PASS;
                v->ttl = ttl;
                r = strextendf(&v->message, "%s is forward-confirmed by %s", addr, v->confirmed[0]);
                return r < 0 ? r : append_warnings(v, ptr, &s);
        }

        if (s.temporary) {
                /* RFC 8601 §2.7.3: a transient failure is a temperror, not a fail. */
                v->kind = VERDICT_TEMPERROR;
                v->reasons |= REASON_BIT(s.timeout ? REASON_TIMEOUT : REASON_SERVFAIL);
                v->ttl = VERDICT_RETRY_MIN_USEC;
                return strextendf(&v->message, "the forward lookup of the PTR names of %s %s",
                                  addr, s.timeout ? "timed out" : "failed with a DNS server error");
        }

        v->kind = VERDICT_FAIL;
        v->ttl = ttl;
        if (s.n_asked == 0) {
                /* Every name was invalid: receivers treat that as no name at all. */
                v->ttl = clamp_ttl((uint64_t) ptr->ttl * USEC_PER_SEC, p);
                return strextendf(&v->message, "IP address %s has no valid PTR host name: '%s' is not "
                                  "a valid host name", addr, s.invalid_name ?: ptr->names[0]);
        }
        if (s.mismatch_name) {
                char other[ADDRESS_STRING_MAX];
                v->reasons |= REASON_BIT(REASON_FORWARD_MISMATCH);
                r = strextendf(&v->message, "the PTR name %s of %s resolves to %s, not to %s",
                               s.mismatch_name, addr, address_to_string(s.mismatch_address, other), addr);
        } else {
                v->reasons |= REASON_BIT(REASON_FORWARD_MISSING);
                r = strextendf(&v->message, "the PTR name %s of %s has no %s record, so it does not "
                               "forward-confirm", s.missing_name, addr, family);
        }
        if (r >= 0 && (v->reasons & REASON_BIT(REASON_MULTIPLE_PTR)))
                r = strextendf(&v->message, "; none of its %zu PTR names forward-confirms",
                               strv_length(ptr->names));
        return r;
}

/* The HELO names checked, and what they add to a definitive verdict. */
static int evaluate_helo(Verdict *v, const HeloAnswers *helo, size_t n, const VerdictPolicy *p) {
        uint32_t ttl = UINT32_MAX;
        int r;

        for (size_t i = 0; i < n; i++)
                if (strv_extend(&v->helo, helo[i].name) < 0)
                        return -ENOMEM;
        v->helo_dns = n > 0 ? helo_dns_facts(&helo[0]) : 0;
        if (v->kind != VERDICT_PASS && v->kind != VERDICT_WARN && v->kind != VERDICT_FAIL)
                return 0;
        r = helo_evaluate(v, helo, n, &ttl);
        if (r < 0)
                return r;
        if (ttl != UINT32_MAX)
                v->ttl = MIN(v->ttl, clamp_ttl((uint64_t) ttl * USEC_PER_SEC, p));
        if (v->kind == VERDICT_PASS && (v->reasons & REASON_WARNINGS))
                v->kind = VERDICT_WARN;
        return 0;
}

int verdict_evaluate(const Address *a,
                     const DnsReply *ptr,
                     const DnsReply * const *forward,
                     const HeloAnswers *helo, size_t n_helo,
                     const VerdictPolicy *p,
                     usec_t now_realtime,
                     Verdict **ret) {
        _cleanup_(verdict_freep) Verdict *v = NULL;
        char addr[ADDRESS_STRING_MAX], rname[REVERSE_NAME_MAX];
        int r = 0;

        v = verdict_new(a);
        if (!v)
                return -ENOMEM;
        address_to_string(a, addr);
        address_reverse_name(a, rname);
        v->checked_at = now_realtime;

        switch (ptr->status) {
        case DNS_SERVFAIL:
        case DNS_REFUSED:
        case DNS_TIMEOUT:
        case DNS_UNREACHABLE:
        case DNS_INVALID:
                v->kind = VERDICT_TEMPERROR;
                v->ttl = VERDICT_RETRY_MIN_USEC;
                if (ptr->status == DNS_INVALID) {
                        /* nothing learned: a reply we cannot trust decides nothing */
                        v->reasons = REASON_BIT(REASON_SERVFAIL);
                        r = strextendf(&v->message, "an answer that cannot be trusted looking up %s: %s", rname,
                                       ptr->why ? ptr->why : "malformed");
                } else if (ptr->status == DNS_TIMEOUT || ptr->status == DNS_UNREACHABLE) {
                        v->reasons = REASON_BIT(REASON_TIMEOUT);
                        r = strextendf(&v->message, ptr->status == DNS_TIMEOUT ?
                                       "DNS timed out looking up %s" :
                                       "no DNS server could be reached to look up %s", rname);
                } else {
                        v->reasons = REASON_BIT(REASON_SERVFAIL);
                        r = strextendf(&v->message, "DNS server %s looking up %s",
                                       ptr->status == DNS_SERVFAIL ? "failure (SERVFAIL)" : "refused",
                                       rname);
                }
                break;

        case DNS_ANSWER:
                if (strv_length(ptr->names) > 0) {
                        v->ptr = strv_copy(ptr->names);
                        if (!v->ptr)
                                return -ENOMEM;
                        r = evaluate_names(v, ptr, forward, p, addr);
                        break;
                }
                _fallthrough_;  /* an answer without PTR names is none */
        case DNS_NXDOMAIN:
        case DNS_NODATA:
                /* RFC 2308 §5: a negative answer lives for the SOA's negative TTL. */
                v->kind = VERDICT_FAIL;
                v->reasons = REASON_BIT(REASON_NO_PTR);
                v->ttl = ptr->has_ttl ? clamp_ttl((uint64_t) ptr->ttl * USEC_PER_SEC, p) : p->min_ttl;
                r = strextendf(&v->message, "IP address %s does not have a PTR record in DNS", addr);
                break;

        default:
                return -EINVAL;
        }
        if (r >= 0)
                r = evaluate_helo(v, helo, n_helo, p);
        if (r >= 0)
                r = receivers_predict(v, p->rules, p->current ? p->current(a, p->current_userdata) : NULL);
        if (r < 0)
                return r;

        v->expires_at = now_realtime + v->ttl;
        *ret = TAKE_PTR(v);
        return 0;
}
