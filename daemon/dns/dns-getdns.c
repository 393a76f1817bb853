/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns-getdns.h"
#include "dnswire.h"
#include "hostname.h"
#include "macro.h"
#include "strv.h"

#define RCODE_NOERROR  0
#define RCODE_SERVFAIL 2
#define RCODE_NXDOMAIN 3

/* Presentation form of a wire-format name, lower case, no trailing dot. */
static char *name_from_bindata(const getdns_bindata *b) {
        _cleanup_free_ char *fqdn = NULL;

        if (!b || getdns_convert_dns_name_to_fqdn(b, &fqdn) != GETDNS_RETURN_GOOD || !fqdn)
                return NULL;
        return hostname_normalize(fqdn);
}

static char *record_name(const getdns_dict *rr, const char *key) {
        getdns_bindata *b = NULL;

        if (getdns_dict_get_bindata(rr, key, &b) != GETDNS_RETURN_GOOD)
                return NULL;
        return name_from_bindata(b);
}

static bool record_get(const getdns_dict *rr, uint32_t *type, uint32_t *klass, uint32_t *ttl) {
        if (getdns_dict_get_int(rr, "type", type) != GETDNS_RETURN_GOOD ||
            getdns_dict_get_int(rr, "class", klass) != GETDNS_RETURN_GOOD ||
            getdns_dict_get_int(rr, "ttl", ttl) != GETDNS_RETURN_GOOD)
                return false;
        *ttl = dns_ttl_sanitize(*ttl);
        return true;
}

static int add_address(DnsReply *r, const getdns_dict *rr, uint16_t qtype) {
        getdns_bindata *b = NULL;
        Address a = { .family = qtype == GETDNS_RRTYPE_A ? AF_INET : AF_INET6 };
        size_t size = qtype == GETDNS_RRTYPE_A ? 4 : 16;

        if (getdns_dict_get_bindata(rr, qtype == GETDNS_RRTYPE_A ? "/rdata/ipv4_address"
                                                                 : "/rdata/ipv6_address", &b) != GETDNS_RETURN_GOOD ||
            !b || b->size != size)
                return 0;       /* malformed rdata: ignore the record */
        Address *l = reallocarray(r->addresses, r->n_addresses + 1, sizeof(Address));
        if (!l)
                return -ENOMEM;
        memcpy(a.bytes, b->data, size);
        l[r->n_addresses++] = a;
        r->addresses = l;
        return 0;
}

/* The character-strings of a TXT record, each made a C string (NULs dropped). */
static int add_txt(DnsReply *r, const getdns_dict *rr) {
        getdns_list *strings = NULL;
        size_t n = 0;

        if (getdns_dict_get_list(rr, "/rdata/txt_strings", &strings) != GETDNS_RETURN_GOOD ||
            getdns_list_get_length(strings, &n) != GETDNS_RETURN_GOOD)
                return 0;
        for (size_t i = 0; i < n; i++) {
                getdns_bindata *b = NULL;
                char *s;

                if (getdns_list_get_bindata(strings, i, &b) != GETDNS_RETURN_GOOD || !b)
                        continue;
                s = strdup_bytes(b->data, b->size);
                if (!s)
                        return -ENOMEM;
                if (strlen(s) != b->size) {     /* an embedded NUL: not an address, whatever it is */
                        free(s);
                        continue;
                }
                if (strv_push(&r->names, s) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A name in wire format (uncompressed, as getdns hands it over): its length
 * including the root label, or 0 when malformed. */
static size_t wire_name_length(const uint8_t *p, size_t size) {
        size_t i = 0;

        while (i < size && p[i] != 0) {
                if (p[i] > 63)
                        return 0;       /* a compression pointer or an extended label */
                i += 1 + (size_t) p[i];
        }
        return i < size && i + 1 <= 255 ? i + 1 : 0;
}

static bool wire_name_equal(const getdns_bindata *a, const uint8_t *b, size_t b_size) {
        size_t n = wire_name_length(a->data, a->size);
        return n > 0 && dns_wire_names_equal(a->data, n, b, b_size);
}

/* The owner of rr is the wire name (owner, owner_size). */
static bool record_owned_by(const getdns_dict *rr, const uint8_t *owner, size_t owner_size) {
        getdns_bindata *b = NULL;

        return getdns_dict_get_bindata(rr, "name", &b) == GETDNS_RETURN_GOOD && b &&
               wire_name_equal(b, owner, owner_size);
}

static char *mailbox_from_wire(const getdns_bindata *b) {
        size_t n = b ? wire_name_length(b->data, b->size) : 0;
        char *s = NULL, *at;

        if (n < 2)
                return NULL;
        for (size_t i = 0; b->data[i]; i += 1 + (size_t) b->data[i]) {
                const uint8_t *label = b->data + i + 1;
                size_t len = b->data[i];

                for (size_t k = 0; k < len; k++)
                        if (label[k] < 0x21 || label[k] > 0x7e || label[k] == '@') {
                                free(s);
                                return NULL;
                        }
                if (strextendf(&s, "%s%.*s", i == 0 ? "" : i == 1 + (size_t) b->data[0] ? "@" : ".",
                               (int) len, (const char *) label) < 0)
                        return NULL;
        }
        at = strchr(s, '@');
        if (!at) {
                /* a single label ("hostmaster."): no mailbox anyone can write to */
                free(s);
                return NULL;
        }
        for (char *c = at; c && *c; c++)        /* the domain in lower case; the local part as it is */
                *c = (char) tolower((unsigned char) *c);
        return s;
}

/* The SOA record rr: its owner is the zone's apex. */
static int read_soa(const getdns_dict *rr, DnsReply *r) {
        getdns_bindata *owner = NULL, *rname = NULL;

        if (r->soa_zone || getdns_dict_get_bindata(rr, "name", &owner) != GETDNS_RETURN_GOOD)
                return 0;
        r->soa_zone = name_from_bindata(owner);
        r->soa_mname = record_name(rr, "/rdata/mname");
        if (getdns_dict_get_bindata(rr, "/rdata/rname", &rname) == GETDNS_RETURN_GOOD)
                r->soa_contact = mailbox_from_wire(rname);
        return r->soa_zone ? 0 : -ENOMEM;
}

/* Follow CNAMEs from qname within the answer; collect the RRset of qtype at
 * the end of the chain. Every CNAME followed counts towards *min_ttl, also
 * when the chain ends in nothing (NXDOMAIN or NODATA after a CNAME). Owner
 * names compare case-insensitively (RFC 4343), in wire form: only the PTR
 * targets are turned into text. Returns the number of records collected. */
static int collect_answer(const getdns_list *answer, const char *qname, uint16_t qtype, uint16_t qclass,
                          DnsReply *r, uint32_t *min_ttl) {
        uint8_t owner_buf[DNS_WIRE_NAME_MAX];
        const uint8_t *owner = owner_buf, *seen[DNS_CNAME_CHAIN_MAX + 1];
        size_t owner_size, seen_size[DNS_CNAME_CHAIN_MAX + 1], n = 0;
        int found = 0;

        owner_size = (size_t) dns_wire_name(qname, owner_buf);
        if (owner_size == 0 || getdns_list_get_length(answer, &n) != GETDNS_RETURN_GOOD)
                return 0;

        for (unsigned hop = 0; hop <= DNS_CNAME_CHAIN_MAX; hop++) {
                getdns_bindata *cname = NULL;

                seen[hop] = owner;
                seen_size[hop] = owner_size;
                for (size_t i = 0; i < n; i++) {
                        getdns_dict *rr = NULL;
                        uint32_t type, klass, ttl;

                        if (getdns_list_get_dict(answer, i, &rr) != GETDNS_RETURN_GOOD ||
                            !record_get(rr, &type, &klass, &ttl) || klass != qclass ||
                            (type != qtype && type != GETDNS_RRTYPE_CNAME) ||
                            !record_owned_by(rr, owner, owner_size))
                                continue;

                        if (type == qtype) {
                                if (qtype == GETDNS_RRTYPE_PTR || qtype == GETDNS_RRTYPE_MX ||
                                    qtype == GETDNS_RRTYPE_NS) {
                                        char *target = record_name(rr, qtype == GETDNS_RRTYPE_PTR ? "/rdata/ptrdname" :
                                                                       qtype == GETDNS_RRTYPE_MX ? "/rdata/exchange" :
                                                                                                   "/rdata/nsdname");
                                        if (!target)
                                                continue;
                                        if (strv_push(&r->names, target) < 0)
                                                return -ENOMEM;
                                } else if (qtype == GETDNS_RRTYPE_TXT) {
                                        if (add_txt(r, rr) < 0)
                                                return -ENOMEM;
                                } else if (qtype == GETDNS_RRTYPE_SOA) {
                                        if (read_soa(rr, r) < 0)
                                                return -ENOMEM;
                                } else if (add_address(r, rr, qtype) < 0)
                                        return -ENOMEM;
                                *min_ttl = MIN(*min_ttl, ttl);
                                found++;
                        } else if (!cname && !found) {
                                getdns_bindata *c = NULL;
                                if (getdns_dict_get_bindata(rr, "/rdata/cname", &c) == GETDNS_RETURN_GOOD && c &&
                                    wire_name_length(c->data, c->size) == c->size) {
                                        cname = c;
                                        *min_ttl = MIN(*min_ttl, ttl);
                                }
                        }
                }
                if (found || !cname) {
                        if (hop > 0) {
                                /* where the chain ended, its last target: an
                                 * RFC 2317 delegation's child, or a name in
                                 * the zone the chain led to last */
                                getdns_bindata end = { .size = owner_size, .data = (uint8_t *) owner };
                                r->cname_end = name_from_bindata(&end);
                                if (!r->cname_end)
                                        return -ENOMEM;
                        }
                        return found;
                }
                for (unsigned i = 0; i <= hop; i++)
                        if (wire_name_equal(cname, seen[i], seen_size[i])) {
                                r->why = "a CNAME loop";
                                return -ELOOP;
                        }
                /* cname points into the reply, which outlives this call */
                owner = cname->data;
                owner_size = cname->size;
        }
        r->why = "a CNAME chain longer than " STRINGIFY(DNS_CNAME_CHAIN_MAX);
        return -ELOOP;
}

/* RFC 1035 §3.3.13: RNAME is a mailbox, its first label the local part
 * (which may hold dots: "noc\.team.isp.example." is noc.team@isp.example). */
/* RFC 2308 §5: the negative TTL is min(SOA TTL, SOA MINIMUM). The SOA's
 * owner, the zone's apex, goes into r. */
static bool negative_ttl(const getdns_dict *reply, uint32_t *ret, DnsReply *r) {
        getdns_list *authority = NULL;
        size_t n = 0;

        if (getdns_dict_get_list(reply, "authority", &authority) != GETDNS_RETURN_GOOD ||
            getdns_list_get_length(authority, &n) != GETDNS_RETURN_GOOD)
                return false;
        for (size_t i = 0; i < n; i++) {
                getdns_dict *rr = NULL;
                uint32_t type, klass, ttl, minimum;

                if (getdns_list_get_dict(authority, i, &rr) == GETDNS_RETURN_GOOD &&
                    record_get(rr, &type, &klass, &ttl) && type == GETDNS_RRTYPE_SOA &&
                    getdns_dict_get_int(rr, "/rdata/minimum", &minimum) == GETDNS_RETURN_GOOD) {
                        *ret = MIN(ttl, dns_ttl_sanitize(minimum));
                        (void) read_soa(rr, r);
                        return true;
                }
        }
        return false;
}

/* The raw reply getdns kept (replies_full) passes dns_wire_validate(). */
static bool reply_is_sound(const getdns_dict *response, const char *qname, uint16_t qtype, uint16_t qclass,
                           const char **why) {
        getdns_bindata *wire = NULL;

        if (getdns_dict_get_bindata(response, "/replies_full/0", &wire) != GETDNS_RETURN_GOOD || !wire) {
                *why = "no raw reply to check";
                return false;
        }
        return dns_wire_validate(wire->data, wire->size, qname, qtype, qclass, why) >= 0;
}

int dns_reply_from_getdns(getdns_callback_type_t type, const getdns_dict *response,
                          const char *qname, uint16_t qtype, uint16_t qclass, DnsReply *ret) {
        DnsReply r = { .status = DNS_UNREACHABLE };
        getdns_dict *reply = NULL;
        getdns_list *answer = NULL;
        uint32_t rcode = 0, chain_ttl = UINT32_MAX;
        int k;

        *ret = r;
        if (type == GETDNS_CALLBACK_TIMEOUT) {
                ret->status = DNS_TIMEOUT;
                return 0;
        }
        if (type != GETDNS_CALLBACK_COMPLETE || !response ||
            getdns_dict_get_dict(response, "/replies_tree/0", &reply) != GETDNS_RETURN_GOOD ||
            getdns_dict_get_int(reply, "/header/rcode", &rcode) != GETDNS_RETURN_GOOD)
                return 0;       /* no reply at all: unreachable */

        /* Nothing in a reply counts before the reply as a whole is sound. */
        if (!reply_is_sound(response, qname, qtype, qclass, &r.why)) {
                r.status = DNS_INVALID;
                r.rcode = (int) rcode;
                *ret = r;
                return 0;
        }

        r.rcode = (int) rcode;
        switch (rcode) {
        case RCODE_NOERROR:
        case RCODE_NXDOMAIN:
                break;
        case RCODE_SERVFAIL:
                r.status = DNS_SERVFAIL;
                *ret = r;
                return 0;
        default:
                r.status = DNS_REFUSED;
                *ret = r;
                return 0;
        }

        if (getdns_dict_get_list(reply, "answer", &answer) == GETDNS_RETURN_GOOD) {
                k = collect_answer(answer, qname, qtype, qclass, &r, &chain_ttl);
                if (k == -ELOOP) {
                        const char *why = r.why;
                        dns_reply_done(&r);
                        *ret = (DnsReply) { .status = DNS_INVALID, .rcode = (int) rcode, .why = why };
                        return 0;
                }
                if (k < 0) {
                        dns_reply_done(&r);
                        return k;
                }
        } else
                k = 0;

        if (k > 0 && rcode == RCODE_NOERROR) {
                r.status = DNS_ANSWER;
                r.ttl = chain_ttl;
                r.has_ttl = true;
        } else {
                /* NODATA or NXDOMAIN, perhaps at the end of a CNAME chain:
                 * the negative TTL, and no longer than any CNAME that led
                 * there. An NXDOMAIN never carries records of the asked type. */
                uint32_t neg;
                strv_free(TAKE_PTR(r.names));
                r.addresses = mfree(r.addresses);
                r.n_addresses = 0;
                r.status = rcode == RCODE_NXDOMAIN ? DNS_NXDOMAIN : DNS_NODATA;
                r.has_ttl = negative_ttl(reply, &neg, &r);
                if (r.has_ttl)
                        r.ttl = MIN(neg, chain_ttl);
        }
        *ret = r;
        return 0;
}
