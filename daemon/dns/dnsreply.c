/* SPDX-License-Identifier: MIT */
#include "dnsreply.h"
#include "macro.h"
#include "strv.h"

void dns_reply_done(DnsReply *r) {
        if (!r)
                return;
        r->soa_zone = mfree(r->soa_zone);
        r->soa_mname = mfree(r->soa_mname);
        r->soa_contact = mfree(r->soa_contact);
        r->cname_end = mfree(r->cname_end);
        r->names = strv_free(r->names);
        free(r->addresses);
        r->addresses = NULL;
        r->n_addresses = 0;
}

uint32_t dns_ttl_sanitize(uint32_t ttl) {
        return ttl > INT32_MAX ? 0 : ttl;
}

bool dns_status_is_negative(DnsStatus s) {
        return s == DNS_NODATA || s == DNS_NXDOMAIN;
}

bool dns_status_is_temporary(DnsStatus s) {
        return s == DNS_SERVFAIL || s == DNS_REFUSED || s == DNS_TIMEOUT || s == DNS_UNREACHABLE ||
               s == DNS_INVALID;
}

static const char * const dns_status_names[_DNS_STATUS_MAX] = {
        [DNS_ANSWER]      = "answer",
        [DNS_NODATA]      = "nodata",
        [DNS_NXDOMAIN]    = "nxdomain",
        [DNS_SERVFAIL]    = "servfail",
        [DNS_REFUSED]     = "refused",
        [DNS_TIMEOUT]     = "timeout",
        [DNS_UNREACHABLE] = "unreachable",
        [DNS_INVALID]     = "invalid",
};

const char *dns_status_to_string(DnsStatus s) {
        return s < _DNS_STATUS_MAX ? dns_status_names[s] : NULL;
}
