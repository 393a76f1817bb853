/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <strings.h>
#include <sys/socket.h>

#include "helo.h"
#include "hostname.h"
#include "macro.h"
#include "strv.h"

HeloForm helo_form(const char *helo) {
        size_t n = strlen(helo);
        char buf[HOSTNAME_MAX + 3];

        if (n == 0 || n >= sizeof buf)
                return HELO_INVALID;
        memcpy(buf, helo, n + 1);
        if (buf[0] == '[') {
                /* smtpd_check.c reject_invalid_hostaddr() and
                 * valid_mailhost_addr(): in brackets, "IPv6:" and an IPv6
                 * address, or an IPv4 address and no tag; an IPv6 address
                 * without the tag, or the tag on IPv4, is invalid (RFC 5321
                 * 4.1.3) */
                char *inner = buf + 1;
                int family = AF_INET;
                Address a;
                if (n < 3 || buf[n - 1] != ']')
                        return HELO_INVALID;
                buf[n - 1] = 0;
                if (strncasecmp(inner, "ipv6:", 5) == 0) {
                        inner += 5;
                        family = AF_INET6;
                }
                return address_parse(inner, &a, NULL) >= 0 && a.family == family ? HELO_ADDRESS : HELO_INVALID;
        }
        if (n > 1 && buf[n - 1] == '.')         /* one trailing dot is stripped first */
                buf[n - 1] = 0;
        if (address_parse(buf, NULL, NULL) >= 0)
                return HELO_BARE_ADDRESS;
        return hostname_is_valid(buf) ? HELO_HOSTNAME : HELO_INVALID;
}

bool helo_needs_lookup(const char *helo) {
        _cleanup_free_ char *h = hostname_normalize(helo);

        return h && helo_form(h) == HELO_HOSTNAME;
}

/* 1: no A, AAAA or MX record (every answer negative); 0: some record, or
 * not every question answered. The TTL is of the answers that decided: the
 * records found, else every negative answer. */
static int helo_unresolvable(const HeloAnswers *h, uint32_t *min_ttl) {
        uint32_t positive = UINT32_MAX, negative = UINT32_MAX;
        bool found = false;

        for (int i = 0; i < _HELO_LOOKUP_MAX; i++) {
                const DnsReply *r = h->reply[i];
                if (!r || dns_status_is_temporary(r->status) || r->status == DNS_INVALID)
                        return 0;       /* no answer: Postfix defers, we claim nothing */
                if (r->status == DNS_ANSWER) {
                        found = true;
                        positive = MIN(positive, r->ttl);
                } else if (r->has_ttl)
                        negative = MIN(negative, r->ttl);
        }
        *min_ttl = MIN(*min_ttl, found ? positive : negative);
        return !found;
}

/* The reason, and the message's clause for it: "; " and a sentence naming the HELO name. */
unsigned helo_dns_facts(const HeloAnswers *h) {
        static const unsigned bit[_HELO_LOOKUP_MAX] = { HELO_DNS_A, HELO_DNS_AAAA, HELO_DNS_MX };
        unsigned f = 0;

        for (int i = 0; i < _HELO_LOOKUP_MAX; i++) {
                const DnsReply *r = h->reply[i];
                if (!r)
                        continue;
                f |= HELO_DNS_ASKED;
                if (r->status == DNS_ANSWER)
                        f |= bit[i];
                else if (!dns_status_is_negative(r->status))
                        f |= HELO_DNS_TEMP;
        }
        return f;
}

static int add(Verdict *v, Reason reason, const char *what, const char *name) {
        v->reasons |= REASON_BIT(reason);
        return strextendf(&v->message, "; HELO name %s %s", name, what);
}

int helo_evaluate(Verdict *v, const HeloAnswers *h, size_t n, uint32_t *min_ttl) {
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *name = hostname_normalize(h[i].name);
                if (!name)
                        return -ENOMEM;

                switch (helo_form(name)) {
                case HELO_INVALID:
                        r = add(v, REASON_HELO_INVALID, "is neither a valid host name nor an address literal: "
                                "Postfix receivers with reject_invalid_helo_hostname refuse it (501), "
                                "spam filters score it", h[i].name);
                        break;
                case HELO_ADDRESS:
                        break;  /* valid, never looked up, not compared with a PTR name */
                case HELO_BARE_ADDRESS:
                        /* valid_hostaddr() lets it through
                         * reject_invalid_helo_hostname; it is no host name
                         * (all-numeric) for reject_non_fqdn_helo_hostname, and
                         * dns_lookup() answers "not found" for it unasked */
                        r = add(v, REASON_HELO_NOT_FQDN, "is a bare address, neither a host name nor an address "
                                "literal in brackets: Postfix receivers with reject_non_fqdn_helo_hostname refuse it "
                                "(504), spam filters score it", h[i].name);
                        if (r >= 0)
                                r = add(v, REASON_HELO_UNRESOLVABLE, "has no A, AAAA or MX record, being no name: "
                                        "Postfix receivers with reject_unknown_helo_hostname refuse it (450)",
                                        h[i].name);
                        break;
                case HELO_HOSTNAME:
                        if (!strchr(name, '.'))
                                r = add(v, REASON_HELO_NOT_FQDN, "is not fully qualified: Postfix "
                                        "receivers with reject_non_fqdn_helo_hostname refuse it (504), spam filters "
                                        "score it", h[i].name);
                        if (r >= 0 && helo_unresolvable(&h[i], min_ttl))
                                r = add(v, REASON_HELO_UNRESOLVABLE, "has no A, AAAA or MX record: "
                                        "Postfix receivers with reject_unknown_helo_hostname refuse it (450), "
                                        "spam filters score it", h[i].name);
                        if (r >= 0 && v->confirmed && !strv_contains(v->confirmed, name))
                                r = add(v, REASON_HELO_MISMATCH, "is not a confirming PTR name: spam filters score "
                                        "this (RFC 5321 forbids rejecting on it)", h[i].name);
                        break;
                }
        }
        return r;
}
